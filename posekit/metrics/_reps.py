"""Repetition counting from an angle or coordinate series."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, peak_widths

from posekit._levels import per_clip
from posekit.metrics._common import fill_gaps
from posekit.units import column_unit

__all__ = ["Repetitions", "count_repetitions"]


@dataclass(frozen=True)
class Repetitions:
    """The result of :func:`count_repetitions`.

    Parameters
    ----------
    reps
        One row per repetition: ``start_frame``, ``peak_frame``, ``end_frame``, ``start_time``,
        ``peak_time``, ``end_time`` (s), ``duration_s``, ``peak_value`` and ``prominence`` (in the
        series' units).
    prominence
        The prominence threshold that was used.
    fps
        The frame rate that was used (Hz).
    params
        The settings that were used (``direction``, ``min_period_s``...).
    note
        Why the count may be doubtful (empty when nothing is).

    Examples
    --------
    A knee angle swinging between 90° and 180° every 2 s for 10 s: minima at 2, 4, 6 and 8 s
    (the one at 0 s is at the edge and does not count):

    >>> import numpy as np
    >>> import pandas as pd
    >>> import posekit as pk
    >>> t = np.arange(300) / 30
    >>> knee = pd.Series(135 - 45 * np.cos(np.pi * t), name="left_knee")
    >>> reps = pk.metrics.count_repetitions(knee, fps=30)
    >>> reps.count, reps.reps["peak_time"].tolist(), reps.rate_per_min
    (4, [2.0, 4.0, 6.0, 8.0], 30.0)
    """

    reps: pd.DataFrame
    prominence: float
    fps: float
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def period_cv(self) -> float:
        """Coefficient of variation (sd / mean) of the time between consecutive peaks.

        About 0.1 or less for steady repetitions; NaN with fewer than 3.
        """
        t = self.reps["peak_time"].to_numpy()
        d = np.diff(t)
        return float(np.std(d, ddof=1) / np.mean(d)) if len(d) > 1 else float("nan")

    @property
    def amplitude_cv(self) -> float:
        """Coefficient of variation of the repetitions' prominences (NaN with fewer than 2)."""
        p = self.reps["prominence"].to_numpy()
        return float(np.std(p, ddof=1) / np.mean(p)) if len(p) > 1 else float("nan")

    @property
    def count(self) -> int:
        """The number of repetitions."""
        return len(self.reps)

    @property
    def rate_per_min(self) -> float:
        """Repetitions per minute, from the mean time between consecutive peaks (NaN if < 2)."""
        t = self.reps["peak_time"].to_numpy()
        return float(60.0 / np.mean(np.diff(t))) if len(t) > 1 else float("nan")

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return (
            f"Repetitions(count={self.count}, prominence={self.prominence:.4g}, fps={self.fps:g}, "
            f"period_cv={self.period_cv:.2f}, amplitude_cv={self.amplitude_cv:.2f})"
        )


def _series_frames(series: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, frame numbers or None) of a Series / 1-D array; one person only."""
    if isinstance(series, pd.DataFrame):
        cols = [c for c in series.columns if c != "time"]
        if len(cols) != 1:
            raise ValueError(
                f"count_repetitions: expected one series, got a table with columns {cols}; "
                "pick one, e.g. angles['left_knee']"
            )
        series = series[cols[0]]
    if isinstance(series, pd.Series):
        idx = series.index
        if isinstance(idx, pd.MultiIndex):
            if "object_id" in idx.names:
                ids = idx.get_level_values("object_id").unique()
                if len(ids) > 1:
                    raise ValueError(
                        f"count_repetitions: the series holds {len(ids)} people "
                        f"(object_id {ids.tolist()}); select one, e.g. "
                        "series.xs(object_id, level='object_id')"
                    )
            frames = (
                idx.get_level_values("frame").to_numpy(np.int64) if "frame" in idx.names else None
            )
        elif pd.api.types.is_integer_dtype(idx):
            frames = idx.to_numpy(np.int64)
        else:
            frames = None
        return series.to_numpy(np.float64, na_value=np.nan), frames
    arr = np.asarray(series, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"count_repetitions: expected a 1-D series, got shape {arr.shape}")
    return arr, None


#: Default absolute minimum prominence: degrees for angles, a share of the image height for
#: coordinates (pixels).
MIN_PROMINENCE_DEG = 20.0
MIN_PROMINENCE_HEIGHT_SHARE = 0.05


def _is_angle(series: Any) -> bool:
    from posekit.angles import DEFINITIONS

    name = getattr(series, "name", None)
    if name in {d.name for d in DEFINITIONS}:
        return True
    history = getattr(series, "attrs", {}).get("history", [])
    return any("angle" in str(h) for h in history[-1:])


def _default_min_prominence(series: Any) -> tuple[float, str]:
    if _is_angle(series):
        return MIN_PROMINENCE_DEG, f"{MIN_PROMINENCE_DEG:g} deg (an angle)"
    height = getattr(series, "attrs", {}).get("height")
    if getattr(series, "name", None) in ("x", "y") and height:
        v = MIN_PROMINENCE_HEIGHT_SHARE * float(height)
        return v, f"{v:g} px ({MIN_PROMINENCE_HEIGHT_SHARE:g} x image height)"
    return 0.0, "none (units unknown: pass min_prominence)"


def _rate(series: Any, fps: float | None) -> float:
    rate = fps if fps is not None else getattr(series, "attrs", {}).get("fps")
    if rate is None:
        raise ValueError(
            "count_repetitions: fps is unknown: pass fps=... (the series' attrs carry none)"
        )
    rate = float(rate)
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"count_repetitions: fps must be a positive number, got {rate}")
    return rate


def _on_grid(series: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, values)``: the series on a regular frame grid, its gaps bridged.

    Gaps in the index are gaps in time.
    """
    values, frames = _series_frames(series)
    if values.size == 0 or np.isnan(values).all():
        raise ValueError("count_repetitions: the series is empty or all NaN")
    if frames is None:
        frames = np.arange(len(values))
    else:
        order = np.argsort(frames, kind="stable")
        frames, values = frames[order], values[order]
        if len(frames) > 1 and np.any(np.diff(frames) == 0):
            raise ValueError("count_repetitions: repeated frame numbers; select one person")
    grid = np.arange(frames[0], frames[-1] + 1)
    full = np.full(len(grid), np.nan)
    full[frames - frames[0]] = values
    return grid, fill_gaps(full)


def _prominence(
    series: Any,
    prominence: float | None,
    min_prominence: float | Literal["auto"],
    relative: float,
    notes: list[str],
) -> tuple[float, str]:
    """The prominence to use and what its floor was (for the result's params).

    A missing floor is added to ``notes``.
    """
    if prominence is not None:
        if not prominence > 0:
            raise ValueError(f"prominence must be > 0, got {prominence}")
        return prominence, "not used (prominence given)"
    if min_prominence == "auto":
        floor, floor_what = _default_min_prominence(series)
        if floor == 0:
            notes.append(f"no absolute minimum prominence: {floor_what}")
    else:
        floor, floor_what = float(min_prominence), f"{float(min_prominence):g}"
        if not floor >= 0:
            raise ValueError(f"min_prominence must be >= 0, got {min_prominence}")
    prominence = max(relative, floor)
    if prominence <= 0:
        prominence = np.inf  # a flat series has no repetitions
    return prominence, floor_what


@per_clip
def count_repetitions(
    series: Any,
    /,
    *,
    prominence: float | None = None,
    min_prominence: float | Literal["auto"] = "auto",
    min_period_s: float = 0.6,
    fps: float | None = None,
    direction: Literal["min", "max"] = "min",
    rel_prominence: float = 0.4,
    rel_height: float = 0.9,
) -> Repetitions:
    """Count repetitions (squats, curls, raises...) in one person's angle or coordinate series.

    Each repetition is one prominent extremum: a minimum for ``direction="min"`` (a knee angle
    dipping in a squat, an elbow angle closing in a curl), a maximum for ``"max"``.

    Parameters
    ----------
    series
        One person's series: a Series indexed by frame or (frame, object_id) (a column of
        :func:`posekit.angles.joint_angles`, for example), or a 1-D array of consecutive frames.
        NaNs and frames missing from the index are bridged linearly for peak finding only.
    prominence
        How far (in the series' units) an extremum must stand out from its surroundings to
        count (``scipy.signal.find_peaks``). Default: ``rel_prominence`` × the series' range
        (1st to 99th percentile), but never less than ``min_prominence``.
    min_prominence
        The absolute floor of the default prominence, in the series' units, so that noise or
        a still pose does not make repetitions of its own small range. ``"auto"``: 20° for
        an angle (a column of :mod:`posekit.angles`, by name or history), 5 % of the image
        height for an ``x``/``y`` column with ``attrs["height"]``, else none (the result's
        ``note`` says so). Ignored when ``prominence`` is given.
    min_period_s
        Two repetitions' peaks are at least this many seconds apart.
    fps
        Frame rate; default ``series.attrs["fps"]``.
    direction
        Whether a repetition is a minimum or a maximum of the series.
    rel_prominence
        The default prominence as a fraction (0–1) of the series' range (1st to 99th
        percentile). Ignored when ``prominence`` is given.
    rel_height
        Where a repetition starts and ends: where the series has come back ``rel_height`` of the
        way from the peak to its surroundings (``scipy.signal.peak_widths``).

    Returns
    -------
    Repetitions
        ``.count`` and ``.reps`` (start/peak/end frame and time, duration, peak value), how
        regular they are (``.period_cv``, ``.amplitude_cv``) and a ``.note`` when the count is
        doubtful: periods varying by more than 30 %, prominences by more than 25 %, or no
        absolute floor.

    Examples
    --------
    >>> import posekit as pk
    >>> syn = pk.synth.generate("squat", duration_s=20, fps=30, seed=1)
    >>> knee = pk.angles.joint_angles(syn.result.keypoints())["left_knee"]
    >>> pk.metrics.count_repetitions(knee).count == syn.params["n_reps"]
    True
    """
    if direction not in ("min", "max"):
        raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
    rate = _rate(series, fps)
    grid, filled = _on_grid(series)
    signal = -filled if direction == "min" else filled
    lo, hi = np.percentile(filled, [1, 99])
    notes: list[str] = []
    prominence, floor_what = _prominence(
        series, prominence, min_prominence, rel_prominence * float(hi - lo), notes
    )
    distance = max(1, round(min_period_s * rate))
    peaks, props = find_peaks(signal, prominence=prominence, distance=distance)
    if len(peaks):
        _, _, left, right = peak_widths(signal, peaks, rel_height=rel_height)
        start = np.floor(left).astype(np.int64)
        end = np.ceil(right).astype(np.int64)
    else:
        start = end = np.array([], dtype=np.int64)
    f0 = int(grid[0])
    reps = pd.DataFrame(
        {
            "start_frame": start + f0,
            "peak_frame": peaks.astype(np.int64) + f0,
            "end_frame": end + f0,
        }
    )
    for col in ("start", "peak", "end"):
        reps[f"{col}_time"] = reps[f"{col}_frame"] / rate
    reps["duration_s"] = reps["end_time"] - reps["start_time"]
    reps["peak_value"] = filled[peaks]
    reps["prominence"] = props.get("prominences", np.array([]))
    reps.index.name = "rep"
    value_unit = column_unit(series) if isinstance(series, pd.Series) else None
    reps.attrs["units"] = {
        **dict.fromkeys(("start_frame", "peak_frame", "end_frame"), "frame"),
        **dict.fromkeys(("start_time", "peak_time", "end_time", "duration_s"), "s"),
        **(dict.fromkeys(("peak_value", "prominence"), value_unit) if value_unit else {}),
    }
    out = Repetitions(
        reps=reps,
        prominence=float(prominence),
        fps=rate,
        params={
            "direction": direction,
            "min_period_s": min_period_s,
            "rel_height": rel_height,
            "min_prominence": floor_what,
        },
    )
    if out.period_cv > 0.3:
        notes.append(
            f"irregular repetitions: the time between peaks varies by {100 * out.period_cv:.0f}%"
        )
    if out.amplitude_cv > 0.25:
        notes.append(
            f"repetitions of unequal size: their prominences vary by {100 * out.amplitude_cv:.0f}%"
            " (one movement with several bends, rather than repetitions?)"
        )
    return replace(out, note="; ".join(notes))
