"""Shared internals of angles, kinematics and metrics: dense x/y arrays and named points.

A *point* is one of the 17 COCO joints or a midpoint of two of them (``mid_hip`` ...).
:func:`dense_xy` turns a keypoints table into a ``(frames, objects, 17, 2)`` array; its frame axis
can be made contiguous (every frame from the first to the last, absent ones NaN), which is what
time derivatives need. Tables as :func:`posekit.tidy.keypoints` makes them (17 rows per person
and frame, joints in order) take a fast path that moves whole 17-row blocks at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from posekit._tables import check_keypoints
from posekit.schema import JOINT_INDEX, JOINTS, N_JOINTS
from posekit.tidy import JOINT_DTYPE, with_history

#: Midpoints usable wherever a point name is expected: name -> (joint, joint).
MIDPOINTS: dict[str, tuple[str, str]] = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
    "mid_ear": ("left_ear", "right_ear"),
    "mid_eye": ("left_eye", "right_eye"),
    "mid_elbow": ("left_elbow", "right_elbow"),
    "mid_wrist": ("left_wrist", "right_wrist"),
    "mid_knee": ("left_knee", "right_knee"),
    "mid_ankle": ("left_ankle", "right_ankle"),
}
POINTS: tuple[str, ...] = (*JOINTS, *MIDPOINTS)


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


def joints_of(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        out.extend(MIDPOINTS.get(n, (n,)))
    return list(dict.fromkeys(out))


@dataclass
class DenseXY:
    """x and y of a keypoints table as ``(frames, objects, 17)`` arrays.

    On the *regular* path (every person in every frame, 17 joints in order, rows sorted) ``x``
    and ``y`` are reshaped views of the table's columns: read them, never write into them.
    """

    x: np.ndarray
    y: np.ndarray
    frames: np.ndarray  # frame number along axis 0
    object_ids: np.ndarray  # object id along axis 1
    present: np.ndarray  # (F, O) bool: the table has rows for this person in this frame
    has_joint: np.ndarray  # (17,) bool: the table has rows for this joint at all
    attrs: dict[str, Any]
    # position of every table row (fast path: of every 17-row block) in the dense array
    fpos: np.ndarray
    opos: np.ndarray
    jpos: np.ndarray | None  # None on the fast path
    regular: bool = False  # table rows are exactly the dense cells, in order
    _joint_major: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def values(self) -> np.ndarray:
        """``(F, O, 17, 2)`` copy of x and y."""
        return np.stack([self.x, self.y], axis=-1)

    def _jm(self) -> tuple[np.ndarray, np.ndarray]:
        # joint-major contiguous copies: one joint's (F, O) plane is one block of memory
        if self._joint_major is None:
            self._joint_major = (
                np.ascontiguousarray(np.moveaxis(self.x, -1, 0)),
                np.ascontiguousarray(np.moveaxis(self.y, -1, 0)),
            )
        return self._joint_major

    def point_xy(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(F, O)`` x and y of a joint or midpoint (NaN where either end is)."""
        jx, jy = self._jm()
        pair = MIDPOINTS.get(name)
        if pair is None:
            j = JOINT_INDEX[name]
            return jx[j], jy[j]
        a, b = JOINT_INDEX[pair[0]], JOINT_INDEX[pair[1]]
        return (jx[a] + jx[b]) * 0.5, (jy[a] + jy[b]) * 0.5

    def point(self, name: str) -> np.ndarray:
        """``(F, O, 2)`` coordinates of a joint or midpoint (NaN where either end is)."""
        return np.stack(self.point_xy(name), axis=-1)

    def require(self, points: Iterable[str], what: str) -> None:
        """ValueError when the table has no rows at all for a joint the points need."""
        missing = [j for j in joints_of(points) if not self.has_joint[JOINT_INDEX[j]]]
        if missing and self.present.any():  # an empty table gives an empty result
            raise ValueError(f"{what} needs joint(s) {missing}, which the table does not have")


def _check_table(kp: pd.DataFrame) -> pd.MultiIndex:
    return check_keypoints(kp)


def _joint_codes(index: pd.MultiIndex) -> np.ndarray:
    lev = index.levels[2]
    names = [str(v) for v in lev]
    unknown = [v for v in names if v not in JOINT_INDEX]
    if unknown:
        raise ValueError(f"unknown joint name(s) {unknown}; expected COCO names {list(JOINTS)}")
    remap = np.array([JOINT_INDEX[v] for v in names], dtype=np.int64)
    codes = np.asarray(index.codes[2])
    if np.array_equal(remap, np.arange(len(remap))):
        return codes
    return remap[codes] if len(remap) else codes


def _column(kp: pd.DataFrame, name: str) -> np.ndarray:
    return kp[name].to_numpy(dtype=np.float64, na_value=np.nan)


def dense_xy(kp: pd.DataFrame, *, contiguous: bool = False) -> DenseXY:
    """The x, y of a keypoints table as dense arrays (see :class:`DenseXY`)."""
    index = _check_table(kp)
    n = len(kp)
    jc = _joint_codes(index)
    codes0 = np.asarray(index.codes[0])
    codes1 = np.asarray(index.codes[1])
    fast = n % N_JOINTS == 0 and n > 0
    if fast:
        # 17-row blocks, joints in order, each block one (frame, object)
        fast = bool(
            np.array_equal(jc.reshape(-1, N_JOINTS), np.broadcast_to(_ARANGE17, (n // 17, 17)))
            and (codes0.reshape(-1, N_JOINTS) == codes0[::N_JOINTS, None]).all()
            and (codes1.reshape(-1, N_JOINTS) == codes1[::N_JOINTS, None]).all()
        )
    step = N_JOINTS if fast else 1
    fvals = np.asarray(index.levels[0], dtype=np.int64)[codes0[::step]]
    ovals = np.asarray(index.levels[1], dtype=np.int64)[codes1[::step]]
    frames, fpos, object_ids, opos = _axes(fvals, ovals, contiguous)
    n_f, n_o = len(frames), len(object_ids)
    has_joint = np.zeros(N_JOINTS, dtype=bool)
    regular = (
        fast
        and len(fpos) == n_f * n_o
        and np.array_equal(fpos, np.repeat(np.arange(n_f), n_o))
        and np.array_equal(opos, np.tile(np.arange(n_o), n_f))
    )
    if regular:
        x = _column(kp, "x").reshape(n_f, n_o, N_JOINTS)
        y = _column(kp, "y").reshape(n_f, n_o, N_JOINTS)
        present = np.ones((n_f, n_o), dtype=bool)
        has_joint[:] = True
        jpos = None
    else:
        x = np.full((n_f, n_o, N_JOINTS), np.nan)
        y = np.full((n_f, n_o, N_JOINTS), np.nan)
        present = np.zeros((n_f, n_o), dtype=bool)
        present[fpos, opos] = True
        if fast:
            x[fpos, opos] = _column(kp, "x").reshape(-1, N_JOINTS)
            y[fpos, opos] = _column(kp, "y").reshape(-1, N_JOINTS)
            has_joint[:] = True
            jpos = None
        else:
            x[fpos, opos, jc] = _column(kp, "x")
            y[fpos, opos, jc] = _column(kp, "y")
            has_joint[np.unique(jc)] = True
            jpos = jc
    return DenseXY(
        x, y, frames, object_ids, present, has_joint, dict(kp.attrs), fpos, opos, jpos, regular
    )


_ARANGE17 = np.arange(N_JOINTS)


def to_long(
    dense: DenseXY, values: Sequence[np.ndarray], columns: Sequence[str], like: pd.DataFrame
) -> pd.DataFrame:
    """A table with exactly ``like``'s index (and time column) from ``(F, O, 17)`` arrays."""
    if dense.regular:
        data = [v.reshape(-1) for v in values]
    elif dense.jpos is None:
        data = [v[dense.fpos, dense.opos].reshape(-1) for v in values]
    else:
        data = [v[dense.fpos, dense.opos, dense.jpos] for v in values]
    out = pd.DataFrame(dict(zip(columns, data, strict=True)), index=like.index, copy=False)
    if "time" in like.columns:
        out["time"] = like["time"].to_numpy()
    out.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
    return out


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


@dataclass
class DenseFrames:
    """A (frame, object_id)-indexed table as ``values[frame_pos, object_pos, column]``."""

    values: np.ndarray
    frames: np.ndarray
    object_ids: np.ndarray
    present: np.ndarray
    columns: list[str]
    fpos: np.ndarray
    opos: np.ndarray


def dense_frames(df: pd.DataFrame | pd.Series, *, contiguous: bool = True) -> DenseFrames:
    """A (frame, object_id) table or Series (angles...) as a dense ``(F, O, C)`` array.

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
    return DenseFrames(values, frames, object_ids, present, columns, fpos, opos)


def joint_categorical(codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=JOINT_DTYPE)
