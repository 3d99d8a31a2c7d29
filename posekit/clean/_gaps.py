"""Confidence masking, frame reindexing and gap interpolation."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from posekit._levels import per_clip
from posekit._renamed import renamed
from posekit.tidy import DenseKeypoints, from_dense, to_dense, with_history

__all__ = ["interpolate", "mask_low_confidence", "reindex_frames"]


def _value_columns(kp: pd.DataFrame) -> list[str]:
    """The columns that travel through the dense array (``time`` is recomputed from fps)."""
    cols = [c for c in kp.columns if c != "time" or not kp.attrs.get("fps")]
    missing = [c for c in ("x", "y") if c not in cols]
    if missing:
        raise ValueError(f"the keypoints table has no column(s) {missing}")
    return cols


@renamed(threshold="min_score")
@per_clip
def mask_low_confidence(kp: pd.DataFrame, /, *, min_score: float = 0.3) -> pd.DataFrame:
    """Set x and y to NaN where the keypoint's score is below ``min_score``.

    Parameters
    ----------
    kp
        A keypoints table.
    min_score
        Minimum score in [0, 1]. Kakao reports undetected joints with score 0 and made-up
        coordinates; its own sample drops points below 0.2. The default, 0.3, is kept from
        when this was called ``threshold=`` (the old name still works, deprecated); other
        functions' ``min_score`` defaults to 0.2.

    Returns
    -------
    DataFrame
        A new table; ``score`` is kept, so the masked points can still be inspected.

    Examples
    --------
    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=1, fps=30, dropout=0.1, seed=0)
    >>> kp = sim.result.keypoints(undetected="keep")
    >>> masked = pk.clean.mask_low_confidence(kp, min_score=0.3)
    >>> int(masked["x"].isna().sum()) == int((kp["score"] < 0.3).sum()) == 51
    True
    """
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"mask_low_confidence: min_score must be in [0, 1], got {min_score}")
    if "score" not in kp.columns:
        raise ValueError("mask_low_confidence: the table has no 'score' column")
    low = kp["score"].to_numpy() < min_score
    out = kp.copy()
    for c in ("x", "y"):
        out[c] = np.where(low, np.nan, kp[c].to_numpy())
    n = int(low.sum())
    return with_history(
        out, f"clean.mask_low_confidence(min_score={min_score}): {n} points masked", like=kp
    )


def _full_dense(kp: pd.DataFrame, columns: list[str], start: int | None, stop: int | None):
    dense = to_dense(kp, columns)
    if len(dense.frames) == 0:
        raise ValueError("the keypoints table is empty")
    first = int(dense.frames[0]) if start is None else int(start)
    end = int(dense.frames[-1]) + 1 if stop is None else int(stop)
    if end <= first:
        raise ValueError(f"reindex_frames: empty frame range start={first}, stop={end}")
    frames = np.arange(first, end, dtype=np.int64)
    values = np.full((len(frames), *dense.values.shape[1:]), np.nan)
    present = np.zeros((len(frames), dense.values.shape[1]), dtype=bool)
    inside = (dense.frames >= first) & (dense.frames < end)
    pos = dense.frames[inside] - first
    values[pos] = dense.values[inside]
    present[pos] = dense.present[inside]
    return dense, frames, values, present


@per_clip
def reindex_frames(
    kp: pd.DataFrame, /, *, start: int | None = None, stop: int | None = None
) -> pd.DataFrame:
    """Every frame from ``start`` to ``stop`` for every object_id, missing ones as NaN rows.

    Parameters
    ----------
    kp
        A keypoints table.
    start, stop
        Frame range ``start <= frame < stop`` (as Python's ``range``); default from the first
        to the last frame of the table. Rows outside the range are dropped.

    Returns
    -------
    DataFrame
        A rectangular table: (frames × object_ids × 17 joints) rows; added rows have NaN x,
        y and score, and ``time = frame / fps`` when fps is known.

    Examples
    --------
    A person missing from 6 of 30 frames:

    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=1, fps=30, missing_frames=0.2, seed=3)
    >>> kp = sim.result.keypoints()
    >>> full = pk.clean.reindex_frames(kp)
    >>> len(kp) // 17, len(full) // 17, int(full["x"].isna().sum()) // 17
    (24, 30, 6)
    >>> len(pk.clean.reindex_frames(kp, start=0, stop=40)) // 17
    40
    """
    cols = _value_columns(kp)
    dense, frames, values, _ = _full_dense(kp, cols, start, stop)
    present = np.ones(values.shape[:2], dtype=bool)
    out = _table(dense, frames, values, present, cols)
    step = f"clean.reindex_frames(start={frames[0]}, stop={frames[-1] + 1}): {len(kp)} -> {len(out)} rows"
    return with_history(out, step, like=kp)


def _table(dense: DenseKeypoints, frames, values, present, cols) -> pd.DataFrame:
    full = DenseKeypoints(
        values=values,
        frames=frames,
        object_ids=dense.object_ids,
        columns=tuple(cols),
        present=present,
        attrs=dense.attrs,
    )
    return from_dense(full)


def _neighbours(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the previous and next valid value along the last axis (-1 / n if none)."""
    n = valid.shape[-1]
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=-1)
    nxt = np.minimum.accumulate(np.where(valid, idx, n)[..., ::-1], axis=-1)[..., ::-1]
    return prev, nxt


@per_clip
def interpolate(
    kp: pd.DataFrame,
    /,
    *,
    max_gap_frames: int = 5,
    method: Literal["linear", "cubic"] = "linear",
) -> pd.DataFrame:
    """Fill gaps of at most ``max_gap_frames`` frames in x and y, per (object_id, joint).

    Parameters
    ----------
    kp
        A keypoints table (mask low-confidence points first).
    max_gap_frames
        Longest gap filled, in frames. Frames missing from the table count: a person absent
        from frames 10–12 has a 3-frame gap. Longer gaps stay NaN; nothing is extrapolated
        before a person's first or after their last valid value.
    method
        ``"linear"``, or ``"cubic"``: a cubic spline (not-a-knot) through the valid values of
        each stretch that the filled gaps join (linear where a stretch has fewer than 4).

    Returns
    -------
    DataFrame
        Every frame between each person's first and last appearance (frames missing from the
        input become rows). Filled points get x and y, score NaN and ``filled`` True (a bool
        column added after ``score``; points filled by an earlier step stay marked), so plots,
        the Player and :func:`posekit.tidy.to_result` tell them from detections.

    Examples
    --------
    A 3-frame gap in a point moving 2 px per frame is filled on the line:

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> gap = kp.assign(x=2.0 * f, y=100.0)
    >>> gap.loc[(slice(10, 12), 0, "nose"), ["x", "y"]] = np.nan
    >>> out = pk.clean.interpolate(gap, max_gap_frames=5)
    >>> nose = out.xs("nose", level="joint").loc[9:13]
    >>> nose["x"].tolist(), nose["filled"].tolist()
    ([18.0, 20.0, 22.0, 24.0, 26.0], [False, True, True, True, False])
    >>> int(pk.clean.interpolate(gap, max_gap_frames=2)["x"].isna().sum())  # too long: kept
    3
    """
    if (
        isinstance(max_gap_frames, bool)
        or int(max_gap_frames) != max_gap_frames
        or max_gap_frames < 0
    ):
        raise ValueError(
            f"interpolate: max_gap_frames must be an integer >= 0, got {max_gap_frames!r}"
        )
    if method not in ("linear", "cubic"):
        raise ValueError(f"interpolate: method must be 'linear' or 'cubic', got {method!r}")
    cols = _value_columns(kp)
    if "filled" not in cols:  # the marks of this step's fills go here
        cols.insert(cols.index("score") + 1 if "score" in cols else len(cols), "filled")
        attrs = kp.attrs  # shared, not deep-copied (a study's attrs hold tables)
        kp = kp.assign(filled=False)[[*cols, *(["time"] if "time" in kp.columns else [])]]
        kp.attrs = attrs
    dense, frames, values, present = _full_dense(kp, cols, None, None)
    # rows: each person's own span of frames
    idx = np.arange(len(frames))[:, None]
    first = np.where(present, idx, len(frames)).min(axis=0)
    last = np.where(present, idx, -1).max(axis=0)
    span = (idx >= first) & (idx <= last)
    new_fill = np.zeros(values.shape[:3], dtype=bool)  # (F, O, 17)
    for c in ("x", "y"):
        k = cols.index(c)
        series = np.moveaxis(values[..., k], 0, -1)  # (O, 17, N)
        filled, fill = _fill(series, int(max_gap_frames), method)
        values[..., k] = np.moveaxis(filled, -1, 0)
        new_fill |= np.moveaxis(fill, -1, 0)
    # a filled point is an estimate, not a detection: score NaN, filled True
    if "score" in cols:
        values[..., cols.index("score")][new_fill] = np.nan
    k = cols.index("filled")
    values[..., k] = (np.nan_to_num(values[..., k]) > 0) | new_fill
    out = _table(dense, frames, values, span, cols)
    out["filled"] = out["filled"].to_numpy() > 0
    n_points = int(new_fill.sum())
    step = f"clean.interpolate(max_gap_frames={max_gap_frames}, method={method!r}): {n_points} points filled"
    out = with_history(out, step, like=kp)
    if isinstance(out.attrs.get("units"), dict):  # the new column's unit: a yes/no mark
        out.attrs["units"] = {**out.attrs["units"], "filled": "1"}
    return out


def _fill(series: np.ndarray, max_gap: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The series with short gaps filled, and where it was filled."""
    valid = np.isfinite(series)
    prev, nxt = _neighbours(valid)
    n = series.shape[-1]
    gap = nxt - prev - 1
    fill = ~valid & (prev >= 0) & (nxt < n) & (gap <= max_gap)
    if not fill.any():
        return series, fill
    out = series.copy()
    pi = np.clip(prev, 0, n - 1)
    ni = np.clip(nxt, 0, n - 1)
    v0 = np.take_along_axis(series, pi, axis=-1)
    v1 = np.take_along_axis(series, ni, axis=-1)
    t = (np.arange(n) - prev) / np.maximum(nxt - prev, 1)
    out[fill] = (v0 + (v1 - v0) * t)[fill]
    if method == "cubic":
        _cubic(series, out, valid, fill)
    return out, fill


def _cubic(series: np.ndarray, out: np.ndarray, valid: np.ndarray, fill: np.ndarray) -> None:
    """Overwrite the linear fill by a spline per stretch of valid values joined by filled gaps."""
    flat_s = series.reshape(-1, series.shape[-1])
    flat_o = out.reshape(-1, series.shape[-1])
    flat_v = valid.reshape(flat_s.shape)
    flat_f = fill.reshape(flat_s.shape)
    for r in np.flatnonzero(flat_f.any(axis=1)):
        usable = flat_v[r] | flat_f[r]
        # stretches of usable frames; each is one spline
        edges = np.diff(np.r_[0, usable.astype(np.int8), 0])
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            f = flat_f[r, s:e]
            if not f.any():
                continue
            t = np.flatnonzero(flat_v[r, s:e]) + s
            if len(t) < 4:
                continue  # keep the linear fill
            spline = CubicSpline(t, flat_s[r, t])
            tf = np.flatnonzero(f) + s
            flat_o[r, tf] = spline(tf)
