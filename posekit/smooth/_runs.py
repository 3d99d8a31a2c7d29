"""NaN-aware machinery shared by the filters: series views and contiguous runs.

A keypoints table becomes an ``(S, N)`` array of series, one row per (object_id, joint,
coordinate), over the table's full frame range (frames missing from the table are NaN, so they
break runs like any other gap). Filters then work on *runs*, the maximal stretches of
consecutive finite values of one series; runs of equal length are processed together in one
vectorised call, so the cost is a handful of numpy calls per distinct run length, never a Python
loop over series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from posekit._tables import check_keypoints
from posekit.schema import JOINTS, N_JOINTS
from posekit.tidy import to_dense, with_history

__all__ = ["SeriesView", "apply_runs", "end_anchors", "find_runs", "odd_pad", "series_view"]


@dataclass
class SeriesView:
    """A keypoints table as ``(S, N)`` series (see module docstring)."""

    object_ids: np.ndarray
    columns: tuple[str, ...]
    first_frame: int
    data: np.ndarray  # (O * 17 * C, N) float64, C-contiguous
    # per table row: its flat position in ``data`` for column 0; None when the table is
    # canonical (every frame x object x joint, sorted), which needs no scatter/gather
    base: np.ndarray | None

    @property
    def n_frames(self) -> int:
        return self.data.shape[1]

    def shaped(self, data: np.ndarray | None = None) -> np.ndarray:
        """``data`` (default: own) as ``(O, 17, C, N)``."""
        d = self.data if data is None else data
        return d.reshape(len(self.object_ids), N_JOINTS, len(self.columns), -1)

    def to_table(
        self, data: np.ndarray, like: pd.DataFrame, step: str | None = None
    ) -> pd.DataFrame:
        """A copy of ``like`` with the view's columns replaced by ``data`` (same index)."""
        n = self.n_frames
        flat = np.ascontiguousarray(data).reshape(-1)
        arr = self.shaped(data)
        cols = {}
        for name in like.columns:
            if name not in self.columns:
                cols[name] = like[name].to_numpy(copy=True)
            elif self.base is None:
                cols[name] = arr[:, :, self.columns.index(name), :].transpose(2, 0, 1).ravel()
            else:
                cols[name] = flat.take(self.base + self.columns.index(name) * n)
        out = pd.DataFrame(cols, index=like.index, copy=False)
        if step is None:  # the caller records the step (posekit._history.logs_history)
            out.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
            return out
        return with_history(out, step, like=like)


def _canonical(kp: pd.DataFrame) -> tuple[int, np.ndarray, int] | None:
    """(first frame, object ids, n frames) if the table is complete and in order, else None.

    Complete and in order: every frame x object x joint, sorted, with consecutive frames.
    """
    idx = kp.index
    if not isinstance(idx, pd.MultiIndex) or list(idx.names) != ["frame", "object_id", "joint"]:
        return None
    frames = np.asarray(idx.levels[0], dtype=np.int64)
    objs = np.asarray(idx.levels[1], dtype=np.int64)
    n_f, n_o = len(frames), len(objs)
    if len(kp) != n_f * n_o * N_JOINTS or len(kp) == 0:
        return None
    if [str(j) for j in idx.levels[2]] != list(JOINTS):
        return None
    if not (np.all(np.diff(frames) == 1) and np.all(np.diff(objs) > 0)):
        return None
    c0 = np.asarray(idx.codes[0]).reshape(n_f, n_o * N_JOINTS)
    c1 = np.asarray(idx.codes[1]).reshape(n_f, n_o, N_JOINTS)
    c2 = np.asarray(idx.codes[2]).reshape(-1, N_JOINTS)
    if not (
        (c0 == np.arange(n_f)[:, None]).all()
        and (c1 == np.arange(n_o)[None, :, None]).all()
        and (c2 == np.arange(N_JOINTS)).all()
    ):
        return None
    return int(frames[0]), objs, n_f


def series_view(kp: pd.DataFrame, columns: tuple[str, ...] = ("x", "y")) -> SeriesView:
    """The ``(S, N)`` series of ``columns`` over the table's full frame range."""
    check_keypoints(kp, columns)
    c = len(columns)
    canon = _canonical(kp)
    if canon is not None:  # a plain reshape and transpose
        first, objs, n = canon
        full = np.empty((len(objs), N_JOINTS, c, n))
        for k, name in enumerate(columns):
            col = kp[name].to_numpy(dtype=np.float64, na_value=np.nan)
            full[:, :, k, :] = col.reshape(n, len(objs), N_JOINTS).transpose(1, 2, 0)
        return SeriesView(objs, tuple(columns), first, full.reshape(-1, n), None)
    dense = to_dense(kp, ())  # just the index arrays
    frames = dense.frames
    if len(frames) == 0:
        raise ValueError("the keypoints table is empty")
    first = int(frames[0])
    pos = (frames - first).astype(np.intp)
    n = int(frames[-1]) - first + 1
    fc, oc, jc = dense._codes  # type: ignore[misc]
    # one linear index per row: much faster than a 4-array fancy index
    base = (oc * N_JOINTS + jc) * (c * n) + pos[fc]
    flat = np.full(len(dense.object_ids) * N_JOINTS * c * n, np.nan)
    for k, name in enumerate(columns):
        flat[base + k * n] = kp[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return SeriesView(dense.object_ids, tuple(columns), first, flat.reshape(-1, n), base)


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
