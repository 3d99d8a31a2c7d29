"""The tables of a result, built from its flat arrays, and the dense form of a keypoints table.

Below :class:`posekit.result.PoseResult`, which builds its tables with them; the public names are
:mod:`posekit.tidy`'s (see there for the tables' layout and the rule for missing data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from posekit._decode import flatten
from posekit.schema import JOINT_INDEX, JOINTS, N_JOINTS, TABLE_UNITS

if TYPE_CHECKING:
    from posekit.result import PoseResult

__all__ = [
    "JOINT_DTYPE",
    "DenseKeypoints",
    "filled_mask",
    "from_dense",
    "from_wide",
    "keypoints",
    "objects",
    "to_dense",
    "to_wide",
]


#: The dtype of the ``joint`` index level: ordered categorical of the 17 COCO names.
JOINT_DTYPE = pd.CategoricalDtype(list(JOINTS), ordered=True)


_JOINT_LEVEL = pd.CategoricalIndex(list(JOINTS), dtype=JOINT_DTYPE, name="joint")


def _attrs(result: PoseResult, columns: Sequence[str]) -> dict[str, Any]:
    return {
        "fps": result.fps,
        "width": result.width,
        "height": result.height,
        "source": result.source,
        "job_id": result.job_id,
        "kind": result.kind,
        "history": [],
        "units": {c: TABLE_UNITS[c] for c in columns},
    }


def _index(frame: np.ndarray, object_id: np.ndarray, n_joints: int = N_JOINTS) -> pd.MultiIndex:
    """MultiIndex (frame, object_id, joint) for objects sorted by (frame, object_id)."""
    frames_u, fcodes = np.unique(frame, return_inverse=True)
    objs_u, ocodes = np.unique(object_id, return_inverse=True)
    n = len(frame)
    return pd.MultiIndex(
        levels=[
            pd.Index(frames_u.astype(np.int64), name="frame"),
            pd.Index(objs_u.astype(np.int64), name="object_id"),
            _JOINT_LEVEL,
        ],
        codes=[
            np.repeat(fcodes, n_joints),
            np.repeat(ocodes, n_joints),
            np.tile(np.arange(n_joints), n),
        ],
        names=["frame", "object_id", "joint"],
        verify_integrity=False,
    )


def _sorted_flat(result: PoseResult) -> tuple[Any, np.ndarray | slice]:
    flat = flatten(result)
    order = np.lexsort((flat.object_id, flat.frame))
    if np.all(order[1:] > order[:-1]):
        return flat, slice(None)  # already sorted: views, no copies
    return flat, order


def keypoints(
    result: PoseResult,
    *,
    min_score: float | None = None,
    undetected: Literal["nan", "keep"] = "nan",
) -> pd.DataFrame:
    """The tidy ``keypoints`` table of a result.

    Parameters
    ----------
    result
        An image or video result.
    min_score
        If given, x and y of keypoints whose score is below it become NaN (the score is kept).
        Kakao's own sample drops points below 0.2.
    undetected
        ``"nan"`` (default): a keypoint with score 0 — the API's "not detected", whose
        coordinates are made up (Kakao) or (0, 0) (OpenPose) — has NaN x and y; its score 0 is
        kept. ``"keep"``: keep those coordinates as the result holds them (to write a result back
        byte for byte).

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id, joint), columns x, y, score (float64), ``filled`` (bool,
        only when the result marks filled points, see Notes) and time (seconds, only when the
        result has an fps). ``attrs``: fps, width, height, source, job_id, kind, history and
        units (``{"x": "px", "y": "px", "score": "1", "time": "s"}``).

    Notes
    -----
    A *filled* point is an estimate, not a detection (:func:`posekit.clean.interpolate` makes
    them; :func:`to_result` writes them with score 0 and lists them in the person's ``filled``
    field). Its score is NaN, ``filled`` is True, and its coordinates are kept whatever
    ``min_score`` is.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import keypoints
    >>> result = pk.synth.generate("squat", duration_s=1, fps=30, n_people=2).result
    >>> kp = keypoints(result)
    >>> kp.shape, list(kp.columns), kp.attrs["units"]["x"]  # 30 frames x 2 people x 17 joints
    ((1020, 4), ['x', 'y', 'score', 'time'], 'px')
    >>> int(keypoints(result, min_score=1.0)["x"].notna().sum())  # every score is below 1
    0
    """
    if undetected not in ("nan", "keep"):
        raise ValueError(f"undetected must be 'nan' or 'keep', got {undetected!r}")
    flat, order = _sorted_flat(result)
    kp = flat.keypoints[order]
    frame = flat.frame[order]
    index = _index(frame, flat.object_id[order])
    x = kp[:, :, 0].ravel()
    y = kp[:, :, 1].ravel()
    score = kp[:, :, 2].ravel()
    filled = None if flat.filled is None else np.ascontiguousarray(flat.filled[order]).ravel()
    hide = score <= 0 if undetected == "nan" else np.zeros(len(score), dtype=bool)
    if min_score is not None:
        hide = hide | (score < min_score)
    if filled is not None:
        hide &= ~filled
        score = np.where(filled, np.nan, score)
    if hide.any():
        x = np.where(hide, np.nan, x)
        y = np.where(hide, np.nan, y)
    cols: dict[str, np.ndarray] = {"x": x, "y": y, "score": score}
    if filled is not None:
        cols["filled"] = filled
    fps = result.fps
    if fps:
        cols["time"] = np.repeat(frame / fps, N_JOINTS)
    df = pd.DataFrame(cols, index=index, copy=False)
    df.attrs = _attrs(result, list(cols))
    if min_score is not None or undetected != "nan":
        opts = [f"min_score={min_score}"] if min_score is not None else []
        opts += [f"undetected={undetected!r}"] if undetected != "nan" else []
        df.attrs["history"].append(f"keypoints({', '.join(opts)})")
    return df


def filled_mask(kp: pd.DataFrame) -> np.ndarray:
    """Bool array, one per row: True where the point was filled (an estimate, not a detection).

    Reads the ``filled`` column; a table without one has no filled points.

    Parameters
    ----------
    kp
        A keypoints table.

    Returns
    -------
    ndarray
        ``(len(kp),)`` bool; a missing value in ``filled`` counts as False.

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.tidy import filled_mask
    >>> filled_mask(pd.DataFrame({"x": [1.0, 2.0]})).tolist()
    [False, False]
    >>> filled_mask(pd.DataFrame({"x": [1.0, 2.0], "filled": [False, True]})).tolist()
    [False, True]
    """
    if "filled" not in kp.columns:
        return np.zeros(len(kp), dtype=bool)
    return kp["filled"].to_numpy(dtype=bool, na_value=False)


def objects(result: PoseResult) -> pd.DataFrame:
    """The tidy ``objects`` table: one row per (frame, object_id).

    Parameters
    ----------
    result
        An image or video result.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id); columns ``bbox_x``, ``bbox_y``, ``bbox_w``, ``bbox_h``
        (px), ``area`` (px²), ``score`` (the person's score as the API gives it) and ``time``
        (s) when fps is known; ``attrs["units"]`` says so.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import objects
    >>> obj = objects(pk.synth.generate("squat", duration_s=1, fps=30, n_people=2).result)
    >>> obj.shape, obj.attrs["units"]["area"]
    ((60, 7), 'px²')
    >>> bool((obj["area"] == obj["bbox_w"] * obj["bbox_h"]).all())
    True
    """
    flat, order = _sorted_flat(result)
    frame = flat.frame[order]
    index = _index(frame, flat.object_id[order], n_joints=1).droplevel("joint")
    bbox = flat.bbox[order]
    cols = {
        "bbox_x": bbox[:, 0],
        "bbox_y": bbox[:, 1],
        "bbox_w": bbox[:, 2],
        "bbox_h": bbox[:, 3],
        "area": flat.area[order],
        "score": flat.score[order],
    }
    if result.fps:
        cols["time"] = frame / result.fps
    df = pd.DataFrame(cols, index=index)
    df.attrs = _attrs(result, list(cols))
    return df


@dataclass
class DenseKeypoints:
    """A keypoints table as a dense array.

    Attributes
    ----------
    values
        ``(frames, objects, joints, len(columns))`` float64; NaN where the table has no row.
    frames, object_ids
        The frame numbers and object ids along the first two axes (sorted, int64).
    joints
        Joint names along the third axis (the 17 COCO names).
    columns
        Names along the last axis, e.g. ``("x", "y", "score")``.
    present
        ``(frames, objects)`` bool: True where the table has rows for that person in that frame.
    attrs
        The table's ``attrs``.
    """

    values: np.ndarray
    frames: np.ndarray
    object_ids: np.ndarray
    columns: tuple[str, ...]
    present: np.ndarray
    joints: tuple[str, ...] = JOINTS
    attrs: dict[str, Any] = field(default_factory=dict)
    # where each table row sits in the dense array (frame, object, joint positions)
    _codes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __getitem__(self, column: str) -> np.ndarray:
        return self.values[..., self.columns.index(column)]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape


def _level_codes(index: pd.MultiIndex, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique values, per-row position) for one level, dropping unused values."""
    lev = index.levels[level]
    codes = np.asarray(index.codes[level])
    if level == 2:
        names = [str(v) for v in lev]
        unknown = [v for v in names if v not in JOINT_INDEX]
        if unknown:
            raise ValueError(f"unknown joint name(s) {unknown}; expected COCO names {JOINTS}")
        remap = np.array([JOINT_INDEX[v] for v in names], dtype=np.int64)
        return np.arange(N_JOINTS), remap[codes] if len(remap) else codes
    values = np.asarray(lev, dtype=np.int64)
    used = np.zeros(len(values), dtype=bool)
    used[codes] = True
    if not used.all() or not (len(values) < 2 or np.all(np.diff(values) > 0)):
        keep = np.flatnonzero(used)
        kept = values[keep]
        order = np.argsort(kept, kind="stable")
        new_pos = np.empty(len(values), dtype=np.int64)
        new_pos[keep[order]] = np.arange(len(keep))
        return kept[order], new_pos[codes]
    return values, codes


def check_keypoints(
    df: Any, columns: Sequence[str] = ("x", "y"), *, where: str | None = None
) -> pd.MultiIndex:
    """Check the keypoints layout: a DataFrame indexed by (frame, object_id, joint).

    The one validator of the layout (the dense forms and the views call it): the table's
    index, or a ValueError saying what is wrong, prefixed by ``where``; ``columns`` must be
    there too.

    Examples
    --------
    >>> import pandas as pd
    >>> check_keypoints(pd.DataFrame({"x": [1.0]}), where="speed")
    Traceback (most recent call last):
    ...
    ValueError: speed: expected a keypoints table indexed by (frame, object_id, joint), got index names [None]
    """
    at = f"{where}: " if where else ""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{at}expected a keypoints DataFrame, got {type(df).__name__}")
    index = df.index
    if not isinstance(index, pd.MultiIndex) or list(index.names) != ["frame", "object_id", "joint"]:
        raise ValueError(
            f"{at}expected a keypoints table indexed by (frame, object_id, joint), "
            f"got index names {list(index.names)}"
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{at}the keypoints table has no column(s) {missing}; it has {list(df.columns)}"
        )
    return index


def _check_layout(df: pd.DataFrame) -> pd.MultiIndex:
    return check_keypoints(df, ())


def to_dense(kp: pd.DataFrame, columns: Sequence[str] = ("x", "y", "score")) -> DenseKeypoints:
    """A keypoints table as a dense ``(frames, objects, 17, C)`` array (see DenseKeypoints).

    Parameters
    ----------
    kp
        A keypoints table.
    columns
        The table's columns to take, in this order along the last axis.

    Returns
    -------
    DenseKeypoints
        Frames and object ids sorted; NaN where the table has no row. It remembers where each
        row sits, for :func:`from_dense` with ``like=kp``.

    Raises
    ------
    ValueError
        ``kp`` is not indexed by (frame, object_id, joint), a column is missing, or a joint
        name is not a COCO name.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import to_dense
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> dense = to_dense(kp)
    >>> dense.values.shape, dense.object_ids.tolist()
    ((30, 2, 17, 3), [0, 1])
    >>> bool(dense["x"][0, 0, 0] == kp.loc[(0, 0, "nose"), "x"])
    True
    """
    index = _check_layout(kp)
    missing = [c for c in columns if c not in kp.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; it has {list(kp.columns)}")
    frames, fc = _level_codes(index, 0)
    object_ids, oc = _level_codes(index, 1)
    _, jc = _level_codes(index, 2)
    values = np.full((len(frames), len(object_ids), N_JOINTS, len(columns)), np.nan)
    values[fc, oc, jc] = kp[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    present = np.zeros((len(frames), len(object_ids)), dtype=bool)
    present[fc, oc] = True
    return DenseKeypoints(
        values=values,
        frames=frames,
        object_ids=object_ids,
        columns=tuple(columns),
        present=present,
        attrs=dict(kp.attrs),
        _codes=(fc, oc, jc),
    )


def from_dense(
    dense: DenseKeypoints,
    values: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    *,
    like: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A keypoints-layout table from dense values.

    Parameters
    ----------
    dense
        Gives the frame/object axes (and, with ``like``, where each row sits).
    values
        ``(frames, objects, joints, C)`` array; defaults to ``dense.values``.
    columns
        Names of the C columns; defaults to ``dense.columns``.
    like
        A table with the same index the dense array was built from: the output has exactly
        its index (and its ``time`` column, and its ``attrs``). Without it, the output holds
        every joint of every (frame, object) marked present.

    Returns
    -------
    DataFrame
        A keypoints-layout table with one column per name in ``columns`` (plus ``time`` when
        known).

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import from_dense, to_dense
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> dense = to_dense(kp)
    >>> from_dense(dense, like=kp).equals(kp)
    True
    >>> doubled = from_dense(dense, dense.values[..., :2] * 2, ["x2", "y2"], like=kp)
    >>> list(doubled.columns), bool((doubled["x2"] == 2 * kp["x"]).all())
    (['x2', 'y2', 'time'], True)
    """
    values = dense.values if values is None else values
    columns = tuple(dense.columns if columns is None else columns)
    if values.shape[-1] != len(columns):
        raise ValueError(f"values have {values.shape[-1]} columns, names given {len(columns)}")
    if like is not None:
        if dense._codes is None:
            raise ValueError("like= needs a DenseKeypoints made by to_dense(like)")
        fc, oc, jc = dense._codes
        data = values[fc, oc, jc]
        out = pd.DataFrame(dict(zip(columns, data.T, strict=True)), index=like.index)
        if "time" in like.columns and "time" not in columns:
            out["time"] = like["time"].to_numpy()
        out.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
        return out
    fi, oi = np.nonzero(dense.present)
    index = _index(dense.frames[fi], dense.object_ids[oi])
    data = values[fi, oi].reshape(-1, len(columns))
    out = pd.DataFrame(dict(zip(columns, data.T, strict=True)), index=index)
    fps = dense.attrs.get("fps")
    if fps and "time" not in columns:
        out["time"] = np.repeat(dense.frames[fi] / fps, N_JOINTS)
    out.attrs = {**dense.attrs, "history": list(dense.attrs.get("history", []))}
    return out


def to_wide(kp: pd.DataFrame, columns: Sequence[str] = ("x", "y", "score")) -> pd.DataFrame:
    """One row per (frame, object_id); columns a (joint, coordinate) MultiIndex.

    Parameters
    ----------
    kp
        A keypoints table.
    columns
        The coordinates to take per joint.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), ``17 * len(columns)`` columns ``(joint, coord)`` with
        the joints in COCO order; the table's ``attrs``.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import to_wide
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> wide = to_wide(kp)
    >>> wide.shape, wide.columns[0]
    ((60, 51), ('nose', 'x'))
    """
    dense = to_dense(kp, columns)
    fi, oi = np.nonzero(dense.present)
    data = dense.values[fi, oi].reshape(len(fi), -1)
    cols = pd.MultiIndex.from_product([list(JOINTS), list(columns)], names=["joint", "coord"])
    index = pd.MultiIndex.from_arrays(
        [dense.frames[fi], dense.object_ids[oi]], names=["frame", "object_id"]
    )
    out = pd.DataFrame(data, index=index, columns=cols)
    out.attrs = dict(kp.attrs)
    return out


def from_wide(wide: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`to_wide`.

    Parameters
    ----------
    wide
        Indexed by (frame, object_id), columns ``(joint, coord)`` holding the 17 COCO joints in
        order (as :func:`to_wide` makes it).

    Returns
    -------
    DataFrame
        A keypoints table: one column per coordinate, plus ``time`` (s) when
        ``wide.attrs["fps"]`` is set; ``wide``'s ``attrs``.

    Raises
    ------
    ValueError
        The columns do not hold the 17 COCO joints in order.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.tidy import from_wide, to_wide
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> from_wide(to_wide(kp)).equals(kp)
    True
    """
    coords = list(dict.fromkeys(wide.columns.get_level_values(1)))
    joints = list(dict.fromkeys(wide.columns.get_level_values(0)))
    if joints != list(JOINTS):
        raise ValueError(f"wide table must have the 17 COCO joints in order, got {joints}")
    frame = wide.index.get_level_values("frame").to_numpy(np.int64)
    obj = wide.index.get_level_values("object_id").to_numpy(np.int64)
    order = np.lexsort((obj, frame))
    data = wide.to_numpy(np.float64)[order].reshape(-1, N_JOINTS, len(coords))
    index = _index(frame[order], obj[order])
    out = pd.DataFrame({c: data[:, :, i].ravel() for i, c in enumerate(coords)}, index=index)
    fps = wide.attrs.get("fps")
    if fps:
        out["time"] = np.repeat(frame[order] / fps, N_JOINTS)
    out.attrs = dict(wide.attrs)
    return out
