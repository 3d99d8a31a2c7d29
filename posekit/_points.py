"""Shared internals of angles, kinematics and metrics: named points and per-frame tables.

A *point* is one of the 17 COCO joints or a midpoint of two of them (``mid_hip`` ...,
:data:`posekit.schema.MIDPOINTS`). The dense form of a table is
:class:`posekit._tables.DenseKeypoints` (:func:`posekit._tables.to_dense`; angles and
kinematics take its ``"columns"`` layout, whose x and y are, on tables as
:func:`posekit.tidy.keypoints` makes them, the table's own columns); :func:`dense_frames` makes
one of a per-frame table (angles), and :func:`per_frame_table` turns ``(frames, objects)``
planes back into a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from posekit._tables import DenseKeypoints
from posekit.schema import JOINT_INDEX, MIDPOINTS, POINTS
from posekit.tidy import JOINT_DTYPE, with_history


def _axes(
    fvals: np.ndarray, ovals: np.ndarray, contiguous: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frame and object axes of a dense array, and each row's position on them.

    With ``contiguous`` the frame axis is the full range first..last (missing frames become
    gaps); otherwise only the frames present.
    """
    if contiguous and len(fvals):
        f0 = int(fvals.min())
        frames = np.arange(f0, int(fvals.max()) + 1, dtype=np.int64)
        fpos = fvals - f0
    else:
        frames, fpos = np.unique(fvals, return_inverse=True)
    object_ids, opos = np.unique(ovals, return_inverse=True)
    return frames, fpos, object_ids, opos


def check_points(names: Iterable[str], what: str = "point") -> None:
    bad = [n for n in names if n not in JOINT_INDEX and n not in MIDPOINTS]
    if bad:
        raise ValueError(f"unknown {what} name(s) {bad}; valid names: {list(POINTS)}")


def frame_index(frames: np.ndarray, object_ids: np.ndarray, present: np.ndarray) -> pd.MultiIndex:
    """(frame, object_id) MultiIndex of the present cells of an (F, O) grid, frame-major."""
    fi, oi = np.nonzero(present)
    return pd.MultiIndex(
        levels=[pd.Index(frames, name="frame"), pd.Index(object_ids, name="object_id")],
        codes=[fi, oi],
        names=["frame", "object_id"],
        verify_integrity=False,
    )


def per_frame_table(
    planes: Sequence[np.ndarray],
    columns: Sequence[str],
    frames: np.ndarray,
    object_ids: np.ndarray,
    present: np.ndarray,
    attrs: dict[str, Any],
    step: str | None = None,
) -> pd.DataFrame:
    """A (frame, object_id) table from one ``(F, O)`` plane per column.

    Rows are the present cells, frame-major; ``time`` is added when fps is known.
    """
    fi, oi = np.nonzero(present)
    full = len(fi) == present.size
    data = {c: (p.reshape(-1) if full else p[fi, oi]) for c, p in zip(columns, planes, strict=True)}
    out = pd.DataFrame(data, index=frame_index(frames, object_ids, present), copy=False)
    fps = attrs.get("fps")
    if fps:
        out["time"] = frames[fi] / float(fps)
    if step is None:  # the caller records the step (posekit._history.logs_history)
        out.attrs = {**attrs, "history": list(attrs.get("history", []))}
        return out
    out.attrs = attrs
    return with_history(out, step)


def dense_frames(df: pd.DataFrame | pd.Series, *, contiguous: bool = True) -> DenseKeypoints:
    """A (frame, object_id) table or Series (angles...) as a dense ``(F, O, C)`` array.

    The :class:`~posekit._tables.DenseKeypoints` of a per-frame table: no joint axis
    (``joints`` is ``()``).

    A Series or table indexed by ``frame`` alone is taken as one person (object_id 0).
    Non-numeric columns and ``time`` are dropped.
    """
    frame_obj = pd.DataFrame(df) if isinstance(df, pd.Series) else df
    index = frame_obj.index
    if isinstance(index, pd.MultiIndex) and list(index.names)[:2] == ["frame", "object_id"]:
        if index.nlevels != 2:
            raise ValueError(
                "expected a table indexed by (frame, object_id) (angles, trajectories); "
                f"got index names {list(index.names)}"
            )
        fvals = index.get_level_values(0).to_numpy(np.int64)
        ovals = index.get_level_values(1).to_numpy(np.int64)
    elif not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index):
        fvals = index.to_numpy(np.int64)
        ovals = np.zeros(len(index), dtype=np.int64)
    else:
        raise ValueError(
            "expected a table or series indexed by (frame, object_id) or by frame; "
            f"got index names {list(index.names)}"
        )
    columns = [
        str(c)
        for c in frame_obj.columns
        if c != "time" and pd.api.types.is_numeric_dtype(frame_obj[c].dtype)
    ]
    if not columns:
        raise ValueError(f"no numeric columns to work on; the table has {list(frame_obj.columns)}")
    frames, fpos, object_ids, opos = _axes(fvals, ovals, contiguous)
    values = np.full((len(frames), len(object_ids), len(columns)), np.nan)
    values[fpos, opos] = frame_obj[columns].to_numpy(np.float64, na_value=np.nan)
    present = np.zeros((len(frames), len(object_ids)), dtype=bool)
    present[fpos, opos] = True
    return DenseKeypoints(values, frames, object_ids, columns, present, (), dict(frame_obj.attrs))


def joint_categorical(codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=JOINT_DTYPE)
