"""NaN-aware machinery shared by the filters: contiguous runs of series.

The filters take a keypoints table as ``(S, N)`` series, one row per (object_id, joint,
coordinate), over the table's full frame range: the ``"series"`` layout of
:class:`posekit._tables.DenseKeypoints` (frames missing from the table are NaN, so they break
runs like any other gap). Filters then work on *runs*, the maximal stretches of consecutive
finite values of one series; runs of equal length are processed together in one vectorised
call, so the cost is a handful of numpy calls per distinct run length, never a Python loop over
series.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["apply_runs", "end_anchors", "find_runs", "odd_pad"]


def find_runs(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of consecutive finite values along the last axis of a 2-D array.

    Returns
    -------
    starts, lengths
        ``starts`` index the flattened (C-order) array; a run never crosses a row boundary.
    """
    s, n = data.shape
    valid = np.zeros((s, n + 1), dtype=np.int8)
    valid[:, :n] = np.isfinite(data)
    edges = np.diff(valid.ravel(), prepend=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    lengths = ends - starts
    # positions were on an (s, n + 1) grid; map back to the (s, n) array
    starts = starts - starts // (n + 1)
    return starts, lengths


def apply_runs(
    data: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    min_len: int,
) -> tuple[np.ndarray, int, int]:
    """Apply ``func`` to every run of at least ``min_len`` values, batched by run length.

    ``func`` gets an ``(n_runs, L)`` array and returns one of the same shape. Values outside
    runs (NaN) and runs shorter than ``min_len`` are copied unchanged.

    Returns
    -------
    out, n_done, n_short
        The filtered array, the number of runs filtered and the number left unfiltered for
        being too short.
    """
    starts, lengths = find_runs(data)
    if (
        len(lengths) == data.shape[0]
        and (lengths == data.shape[1]).all()
        and data.shape[1] >= min_len
    ):
        return func(np.ascontiguousarray(data, dtype=np.float64)), len(lengths), 0  # no gaps
    out = np.array(data, dtype=np.float64, order="C", copy=True)
    flat_in = np.ascontiguousarray(data, dtype=np.float64).reshape(-1)
    flat_out = out.reshape(-1)
    keep = lengths >= min_len
    n_short = int((~keep).sum())
    starts, lengths = starts[keep], lengths[keep]
    if len(lengths) == 0:
        return out, 0, n_short
    order = np.argsort(lengths, kind="stable")
    lengths = lengths[order]
    starts = starts[order]
    bounds = np.flatnonzero(np.diff(lengths)) + 1
    for s, e in zip(np.r_[0, bounds], np.r_[bounds, len(lengths)], strict=True):
        idx = starts[s:e, None] + np.arange(int(lengths[s]))
        flat_out[idx] = func(flat_in[idx])
    return out, len(lengths), n_short


def _repeated_median_start(a: np.ndarray) -> np.ndarray:
    """Value at index 0 of Siegel's repeated-median line through each row of ``a`` (k, m)."""
    m = a.shape[1]
    t = np.arange(m, dtype=np.float64)
    dt = t[None, :] - t[:, None]
    np.fill_diagonal(dt, np.nan)
    slopes = (a[:, None, :] - a[:, :, None]) / dt  # (k, m, m), NaN on the diagonal
    slope = np.median(np.nanmedian(slopes, axis=2), axis=1)
    return np.median(a - slope[:, None] * t, axis=1)


def end_anchors(a: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Robust estimates of each row's first and last values, ``(k, 1)`` each.

    Siegel's repeated-median straight line through the first (last) ``m`` values, evaluated
    at the end: exact on straight lines, and an end value that is a spike (or a spike among
    the first values, up to about a third of them) does not move it.
    """
    m = max(2, min(m, a.shape[1]))
    return (
        _repeated_median_start(a[:, :m])[:, None],
        _repeated_median_start(a[:, : -m - 1 : -1])[:, None],
    )


def odd_pad(a: np.ndarray, n: int, m: int | None = None) -> np.ndarray:
    """Extend rows by ``n`` values each side by point reflection about the end values.

    Odd extension (``2 * a0 - a[k]``) keeps straight lines straight, so symmetric normalised
    filters leave ramps and constants exactly unchanged up to the run ends. With ``m`` the
    reflection is about a robust estimate of the end value (:func:`end_anchors` over ``m``
    values) instead of the end value itself, so the first and last frames get a real estimate
    and a spike there is treated like one in the middle. Needs ``a.shape[1] > n``.
    """
    if n == 0:
        return a
    if m is None:
        first, last = a[:, :1], a[:, -1:]
    else:
        first, last = end_anchors(a, m)
    left = 2.0 * first - a[:, n:0:-1]
    right = 2.0 * last - a[:, -2 : -n - 2 : -1]
    return np.concatenate([left, a, right], axis=1)
