"""How do smoothing methods compare on this video? One table, and a recommendation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import signal

from posekit._levels import per_clip
from posekit._tables import to_dense
from posekit.schema import JOINTS
from posekit.tidy import get_fps

__all__ = ["compare", "recommend"]

_COLUMNS = [
    "jitter_px",
    "jitter_ratio",
    "displacement_px",
    "lag_frames",
    "hf_power",
    "rmse_truth_px",
]


def _aligned(raw: pd.DataFrame, other: pd.DataFrame, what: str) -> np.ndarray:
    """``other``'s x/y as ``(O, 17, 2, N)`` on ``raw``'s frame/object grid."""
    for c in ("x", "y"):
        if c not in other.columns:
            raise ValueError(f"compare: {what} has no column {c!r}")
    if not other.index.equals(raw.index):
        other = other[["x", "y"]].reindex(raw.index)
    return to_dense(other, ("x", "y"), layout="series").shaped()


def _per_joint(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Per-joint ratios (17,) plus the pooled ratio, from (O, 17, ...) sums."""
    axes = tuple(i for i in range(num.ndim) if i != 1)
    n = num.sum(axis=axes)
    d = den.sum(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.r_[n / d, n.sum() / d.sum()]


def _jitter(a: np.ndarray) -> np.ndarray:
    d2 = a[..., 2:] - 2 * a[..., 1:-1] + a[..., :-2]  # (O, 17, 2, N-2)
    sq = (d2 * d2).sum(axis=2)
    ok = np.isfinite(sq)
    return np.sqrt(_per_joint(np.where(ok, sq, 0.0), ok.astype(float)))


def _distance(a: np.ndarray, b: np.ndarray, *, rms: bool) -> np.ndarray:
    d = a - b
    sq = (d * d).sum(axis=2)  # (O, 17, N)
    ok = np.isfinite(sq)
    if rms:
        return np.sqrt(_per_joint(np.where(ok, sq, 0.0), ok.astype(float)))
    return _per_joint(np.where(ok, np.sqrt(np.where(ok, sq, 0.0)), 0.0), ok.astype(float))


def _velocity(a: np.ndarray) -> np.ndarray:
    v = np.diff(a, axis=-1)
    return np.where(np.isfinite(v), v, 0.0)


def _lag(v_raw: np.ndarray, v: np.ndarray, max_lag: int) -> np.ndarray:
    """Lag (frames) maximising the cross-correlation of velocities, per joint and pooled.

    Positive: the smoothed series runs behind the raw one. Parabolic interpolation around the
    peak gives fractions of a frame.
    """
    n = v_raw.shape[-1]
    lags = np.arange(-max_lag, max_lag + 1)
    cc = np.empty((len(lags), v_raw.shape[1]))
    for i, k in enumerate(lags):
        if k >= 0:
            prod = v_raw[..., : n - k] * v[..., k:]
        else:
            prod = v_raw[..., -k:] * v[..., : n + k]
        cc[i] = prod.sum(axis=(0, 2, 3))
    cc = np.column_stack([cc, cc.sum(axis=1)])
    out = np.full(cc.shape[1], np.nan)
    for j in range(cc.shape[1]):
        col = cc[:, j]
        if not np.any(col != 0):
            continue
        i = int(np.argmax(col))
        frac = 0.0
        if 0 < i < len(lags) - 1:
            y0, y1, y2 = col[i - 1], col[i], col[i + 1]
            den = y0 - 2 * y1 + y2
            if den != 0:
                frac = 0.5 * (y0 - y2) / den
        out[j] = lags[i] + frac
    return out


def _hf_power(v: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """Fraction of the velocity's power above ``cutoff_hz``, per joint and pooled."""
    v = v - v.mean(axis=-1, keepdims=True)
    spec = np.abs(np.fft.rfft(v, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(v.shape[-1], d=1.0 / fps)
    high = spec[..., freqs > cutoff_hz].sum(axis=-1)
    total = spec.sum(axis=-1)
    return _per_joint(high, total)


@per_clip
def compare(
    raw: pd.DataFrame,
    smoothed: Mapping[str, pd.DataFrame],
    /,
    *,
    truth: pd.DataFrame | None = None,
    fps: float | None = None,
    hf_cutoff_hz: float | None = 6.0,
    max_lag_frames: int = 15,
) -> pd.DataFrame:
    """Figures of merit of smoothed versions of a keypoints table, per method and joint.

    Parameters
    ----------
    raw
        The unsmoothed table (e.g. Kakao's ``smoothing=false`` result).
    smoothed
        ``{name: table}``: posekit filters' outputs, or Kakao's ``smoothing=true`` result; each
        is aligned to ``raw``'s index (rows it lacks count as NaN).
    truth
        The noise-free table, when known (``posekit.synth``): adds ``rmse_truth_px``.
    fps
        Frame rate; defaults to ``raw.attrs["fps"]``. Needed for ``hf_power`` only.
    hf_cutoff_hz
        Frequency above which power counts as high-frequency; ``None`` skips ``hf_power`` (then
        fps is not needed).
    max_lag_frames
        Largest lag searched, frames.

    Returns
    -------
    DataFrame
        Indexed by (method, joint) — ``"raw"`` first, then the methods in the order given;
        the 17 joints then ``"all"`` (pooled over joints). Columns:

        * ``jitter_px``: RMS over time of the 2-D second difference, px/frame².
        * ``jitter_ratio``: jitter relative to the raw data's.
        * ``displacement_px``: mean distance from the raw point, px.
        * ``lag_frames``: lag maximising the cross-correlation of raw and smoothed velocities,
          frames (fractional, parabolic interpolation); positive = behind the raw data. Both
          velocities are first low-passed at ``hf_cutoff_hz`` (zero-phase), so that the raw
          data's noise does not dominate the correlation.
        * ``hf_power``: fraction of the velocity's power above ``hf_cutoff_hz``.
        * ``rmse_truth_px``: RMS distance to the truth, px (NaN without ``truth``).

    Examples
    --------
    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=2, fps=30, noise_px=2.0, seed=1)
    >>> raw = sim.result.keypoints()
    >>> table = pk.smooth.compare(raw, {"median": pk.smooth.median(raw, window_frames=5)})
    >>> ratio = table.xs("all", level="joint")["jitter_ratio"]
    >>> float(ratio["raw"]), bool(ratio["median"] < 1)  # the median removes jitter
    (1.0, True)
    """
    rate = None
    if hf_cutoff_hz is not None:
        try:
            rate = get_fps(raw, fps)
        except ValueError as exc:
            raise ValueError(
                f"compare: {exc}; or pass hf_cutoff_hz=None to skip hf_power"
            ) from None
        if not 0 < hf_cutoff_hz < rate / 2:
            raise ValueError(
                f"compare: hf_cutoff_hz={hf_cutoff_hz} must be in (0, {rate / 2:g}) Hz"
            )
    if "raw" in smoothed:
        raise ValueError("compare: 'raw' is reserved for the raw table; rename that method")
    a_raw = to_dense(raw[["x", "y"]], ("x", "y"), layout="series").shaped()
    t_arr = _aligned(raw, truth, "truth") if truth is not None else None
    n = a_raw.shape[-1]
    max_lag = max(1, min(int(max_lag_frames), n // 4))
    v_raw = _velocity(a_raw)
    if rate is not None:
        # correlate band-limited velocities: raw velocity is mostly noise, whose lag-0
        # correlation with any filter's output would hide the filter's real delay
        sos = signal.butter(2, hf_cutoff_hz, fs=rate, output="sos")

        def band(v: np.ndarray) -> np.ndarray:
            return signal.sosfiltfilt(sos, v, axis=-1) if v.shape[-1] > 9 else v
    else:

        def band(v: np.ndarray) -> np.ndarray:
            return v

    vb_raw = band(v_raw)
    jit_raw = _jitter(a_raw)
    rows = []
    for name, table in {"raw": raw, **dict(smoothed)}.items():
        a = a_raw if name == "raw" else _aligned(raw, table, f"smoothed[{name!r}]")
        v = v_raw if name == "raw" else _velocity(a)
        jit = _jitter(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = jit / jit_raw
        cols = {
            "jitter_px": jit,
            "jitter_ratio": ratio,
            "displacement_px": _distance(a, a_raw, rms=False),
            "lag_frames": _lag(vb_raw, vb_raw if name == "raw" else band(v), max_lag),
            "hf_power": _hf_power(v, rate, hf_cutoff_hz)
            if rate is not None and hf_cutoff_hz is not None
            else np.full(18, np.nan),
            "rmse_truth_px": _distance(a, t_arr, rms=True)
            if t_arr is not None
            else np.full(18, np.nan),
        }
        rows.append(
            pd.DataFrame(cols, index=pd.Index([*JOINTS, "all"], name="joint")).assign(method=name)
        )
    out = pd.concat(rows).set_index("method", append=True).reorder_levels(["method", "joint"])
    out = out[_COLUMNS]
    out.attrs = {
        "fps": rate,
        "hf_cutoff_hz": hf_cutoff_hz,
        "units": {
            "jitter_px": "px/frame^2",
            "jitter_ratio": "1",
            "displacement_px": "px",
            "lag_frames": "frames",
            "hf_power": "fraction",
            "rmse_truth_px": "px",
        },
    }
    return out


def recommend(table: pd.DataFrame, /) -> pd.DataFrame:
    """The pooled (``joint == "all"``) rows of :func:`compare`, best method first.

    With a ground truth, methods are ranked by ``rmse_truth_px``. Without one, by a heuristic
    ``score`` (lower is better): ``jitter_ratio + excess + 0.1 · |lag_frames|``, where
    ``excess`` is how far the mean displacement exceeds what removing pure noise would move a
    point (σ·√(π/2), with the noise σ per coordinate estimated from the raw jitter as
    ``jitter / √12``), in units of σ. It rewards removing jitter and penalises moving points
    further than the noise explains (distortion) and lag.

    Parameters
    ----------
    table
        What :func:`compare` returns (with its ``"raw"`` rows, needed without a truth).

    Returns
    -------
    DataFrame
        One row per method, sorted, with a ``score`` column and ``rank`` (1 = use this).

    Raises
    ------
    ValueError
        ``table`` is not from :func:`compare`, or has no usable ``"raw"`` row.

    Examples
    --------
    With a ground truth, ranked by the RMS distance to it; either filter beats the raw data:

    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=2, fps=30, noise_px=2.0, seed=1)
    >>> raw = sim.result.keypoints()
    >>> table = pk.smooth.compare(raw, {"median": pk.smooth.median(raw, window_frames=5),
    ...                                 "butterworth": pk.smooth.butterworth(raw, cutoff_hz=4)},
    ...                           truth=sim.truth)
    >>> best = pk.smooth.recommend(table)
    >>> best.index[-1], int(best.loc["raw", "rank"])
    ('raw', 3)
    """
    try:
        pooled = table.xs("all", level="joint").copy()
    except (KeyError, TypeError):
        raise ValueError(
            "recommend: expected the table returned by posekit.smooth.compare"
        ) from None
    if pooled["rmse_truth_px"].notna().all():
        pooled["score"] = pooled["rmse_truth_px"]
    else:
        sigma = (
            float(pooled.loc["raw", "jitter_px"]) / np.sqrt(12.0)
            if "raw" in pooled.index
            else np.nan
        )
        if not np.isfinite(sigma) or sigma <= 0:
            raise ValueError(
                "recommend: the table has no usable 'raw' row to estimate the noise from"
            )
        excess = np.maximum(pooled["displacement_px"] - sigma * np.sqrt(np.pi / 2), 0.0) / sigma
        pooled["score"] = pooled["jitter_ratio"] + excess + 0.1 * pooled["lag_frames"].abs()
    pooled = pooled.sort_values("score", kind="stable")
    pooled["rank"] = np.arange(1, len(pooled) + 1)
    return pooled
