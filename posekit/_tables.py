"""The tables of a result, built from its flat arrays, and the dense form of a keypoints table.

Below :class:`posekit.result.PoseResult`, which builds its tables with them; the public names are
:mod:`posekit.tidy`'s (see there for the tables' layout and the rule for missing data).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from posekit._decode import flatten
from posekit.schema import JOINT_INDEX, JOINTS, KAKAO_SKELETON, MIDPOINTS, N_JOINTS, TABLE_UNITS

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


def _skeleton(result: PoseResult) -> list[list[int]] | None:
    """The result's own skeleton (1-based pairs from its ``categories``) unless it is Kakao's.

    The views draw :data:`~posekit.schema.KAKAO_SKELETON` when a table carries none, so only
    another one needs carrying.
    """
    skeleton = getattr(result, "skeleton", None)  # from the header: the people stay undecoded
    if not skeleton:
        return None
    return None if skeleton == [list(p) for p in KAKAO_SKELETON] else skeleton


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
        units (``{"x": "px", "y": "px", "score": "1", "time": "s"}``); ``skeleton`` (1-based
        joint pairs) when the result's ``categories`` name one other than
        :data:`~posekit.schema.KAKAO_SKELETON`, for the views to draw.

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
    skeleton = _skeleton(result)
    if skeleton is not None:  # what the views draw (posekit.plot.skeleton_pairs)
        df.attrs["skeleton"] = skeleton
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


_ARANGE17 = np.arange(N_JOINTS)

#: The memory layouts of a :class:`DenseKeypoints` (see there).
Layout = Literal["cells", "columns", "series"]
_LAYOUTS = ("cells", "columns", "series")


class DenseKeypoints:
    """A keypoints table as a dense array: the one dense form of the tables.

    ``values[f, o, j, c]`` is column ``columns[c]`` of joint ``joints[j]`` of the person
    ``object_ids[o]`` in frame ``frames[f]``, NaN where the table has no row. A per-frame
    table (angles: indexed by (frame, object_id)) has no joint axis: ``joints`` is ``()`` and
    ``values`` is ``(frames, objects, C)`` (:func:`posekit._points.dense_frames`).

    :func:`to_dense` makes one from a table, in one of three memory layouts that hold the same
    numbers: ``"cells"`` (default) keeps ``values`` C-contiguous, as this constructor takes
    it; ``"columns"`` keeps one ``(frames, objects, joints)`` array per column (``dense["x"]``)
    which, on a complete sorted table as :func:`keypoints` makes, is the table's own column
    reshaped, no copy (angles, kinematics); ``"series"`` keeps ``(objects, joints, C, frames)``,
    each time series contiguous (:attr:`series`, what the filters of :mod:`posekit.smooth` run
    along). Made by :func:`to_dense`, it also knows where each row of its table sits
    (:attr:`rows`), so results map back onto the table's index (:meth:`to_table`,
    :meth:`replace`, :func:`from_dense` with ``like=``).

    Parameters
    ----------
    values
        ``(frames, objects, joints, len(columns))`` float64 array; NaN where the table has no
        row.
    frames
        The frame numbers along the first axis (sorted, int64).
    object_ids
        The object ids along the second axis (sorted, int64).
    columns
        Names along the last axis, e.g. ``("x", "y", "score")``.
    present
        ``(frames, objects)`` bool: True where the table has rows for that person in that frame.
    joints
        Joint names along the third axis (the 17 COCO names); ``()`` for a per-frame table.
    attrs
        The table's ``attrs``.

    Examples
    --------
    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> dense = pk.tidy.to_dense(kp, ("x", "y"))
    >>> dense.shape, dense.columns, dense.object_ids.tolist()
    ((30, 2, 17, 2), ('x', 'y'), [0, 1])
    >>> bool(np.array_equal(dense["x"][3, 1], kp.loc[(3, 1), "x"]))
    True
    >>> pk.tidy.from_dense(dense, like=kp)[["x", "y"]].equals(kp[["x", "y"]])
    True

    Built by hand, e.g. from a simulation, and turned into a table:

    >>> values = np.zeros((2, 1, 17, 2))
    >>> made = pk.tidy.DenseKeypoints(
    ...     values, np.array([0, 1]), np.array([7]), ("x", "y"), np.ones((2, 1), dtype=bool)
    ... )
    >>> table = pk.tidy.from_dense(made)
    >>> len(table), table.index.get_level_values("object_id").unique().tolist()
    (34, [7])
    """

    def __init__(
        self,
        values: np.ndarray,
        frames: np.ndarray,
        object_ids: np.ndarray,
        columns: Sequence[str],
        present: np.ndarray,
        joints: Sequence[str] = JOINTS,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        self.frames = frames
        self.object_ids = object_ids
        self.columns: tuple[str, ...] = tuple(columns)
        self.present = present
        self.joints: tuple[str, ...] = tuple(joints)
        self.attrs: dict[str, Any] = {} if attrs is None else attrs
        # the numbers, in one of the layouts (the others are None until asked for)
        self._cells: np.ndarray | None = values
        self._planes: tuple[np.ndarray, ...] | None = None
        self._series: np.ndarray | None = None
        # made by to_dense: the (frame, object[, joint]) position of every table row; joint
        # None when every row block is one person's 17 joints in order (positions per block)
        self._rows: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self._regular = False  # the table's rows are exactly the dense cells, in order
        self._has_joint: np.ndarray | None = None
        self._joint_major: tuple[np.ndarray, np.ndarray] | None = None
        self._base: np.ndarray | None = None

    def __repr__(self) -> str:
        layout = "columns" if self._planes else "series" if self._series is not None else "cells"
        return f"DenseKeypoints(shape={self.shape}, columns={self.columns}, layout={layout!r})"

    @property
    def values(self) -> np.ndarray:
        """``(frames, objects, joints, C)`` array (``(frames, objects, C)`` per frame).

        A view on the ``"cells"`` and ``"series"`` layouts; on ``"columns"`` a copy made once.
        """
        if self._cells is None:
            if self._series is not None:
                self._cells = self._series.transpose(3, 0, 1, 2)
            else:
                assert self._planes is not None
                self._cells = np.stack(self._planes, axis=-1)
        return self._cells

    def __getitem__(self, column: str) -> np.ndarray:
        """``(frames, objects, joints)`` values of one column (a view)."""
        k = self.columns.index(column)
        if self._planes is not None:
            return self._planes[k]
        if self._series is not None:
            return self._series[:, :, k, :].transpose(2, 0, 1)
        return self.values[..., k]

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`values`."""
        if self._cells is not None:
            return self._cells.shape
        joints = (len(self.joints),) if self.joints else ()
        return (len(self.frames), len(self.object_ids), *joints, len(self.columns))

    @property
    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame, object and joint positions of every row of the table it was made from.

        ``values[dense.rows]`` lists the table's rows in order (``to_dense`` made it);
        a ValueError for one built by hand.
        """
        if self._rows is None:
            raise ValueError("like= needs a DenseKeypoints made by to_dense(like)")
        f, o, j = self._rows
        if j is None:  # one position per 17-row block
            return np.repeat(f, N_JOINTS), np.repeat(o, N_JOINTS), np.tile(_ARANGE17, len(f))
        return f, o, j

    @property
    def has_joint(self) -> np.ndarray:
        """``(joints,)`` bool: True where the table has rows for that joint at all."""
        if self._has_joint is None:
            if self._rows is not None and self._rows[2] is not None:
                has = np.zeros(len(self.joints), dtype=bool)
                has[self._rows[2]] = True
            else:
                has = np.full(len(self.joints), bool(np.any(self.present)))
            self._has_joint = has
        return self._has_joint

    def _xy_joint_major(self) -> tuple[np.ndarray, np.ndarray]:
        # joint-major contiguous copies of x and y: one joint's (F, O) plane is one block
        if self._joint_major is None:
            x, y = (np.ascontiguousarray(np.moveaxis(self[c], -1, 0)) for c in ("x", "y"))
            self._joint_major = (x, y)
        return self._joint_major

    def point_xy(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(frames, objects)`` x and y of a joint or a midpoint.

        Parameters
        ----------
        name
            A joint name or a midpoint (:data:`posekit.schema.MIDPOINTS`, e.g. ``"mid_hip"``);
            a midpoint is NaN where either of its joints is.

        Returns
        -------
        tuple of ndarray
            x and y, each ``(frames, objects)``.

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> x, y = pk.tidy.to_dense(kp, ("x", "y"), layout="columns").point_xy("mid_hip")
        >>> x.shape
        (30, 1)
        """
        jx, jy = self._xy_joint_major()
        pair = MIDPOINTS.get(name)
        if pair is None:
            j = JOINT_INDEX[name]
            return jx[j], jy[j]
        a, b = JOINT_INDEX[pair[0]], JOINT_INDEX[pair[1]]
        return (jx[a] + jx[b]) * 0.5, (jy[a] + jy[b]) * 0.5

    def point(self, name: str) -> np.ndarray:
        """``(frames, objects, 2)`` coordinates of a joint or a midpoint.

        Parameters
        ----------
        name
            A joint name or a midpoint, as for :meth:`point_xy`.

        Returns
        -------
        ndarray
            x and y along the last axis.

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> pk.tidy.to_dense(kp, ("x", "y")).point("left_knee").shape
        (30, 1, 2)
        """
        return np.stack(self.point_xy(name), axis=-1)

    def require(self, points: Iterable[str], what: str) -> None:
        """Raise a ValueError when the table has no row at all for a joint the points need.

        Parameters
        ----------
        points
            Joint or midpoint names (a midpoint needs both its joints).
        what
            What needs them, for the message (e.g. ``"angle 'left_knee'"``).

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> hips = kp[kp.index.get_level_values("joint").str.endswith("hip")]
        >>> pk.tidy.to_dense(hips, ("x", "y")).require(["mid_knee"], "knee width")
        Traceback (most recent call last):
        ...
        ValueError: knee width needs joint(s) ['left_knee', 'right_knee'], which the table does not have
        """
        names: list[str] = []
        for n in points:
            names.extend(MIDPOINTS.get(n, (n,)))
        has = self.has_joint
        missing = [j for j in dict.fromkeys(names) if not has[JOINT_INDEX[j]]]
        if missing and np.any(self.present):  # an empty table gives an empty result
            raise ValueError(f"{what} needs joint(s) {missing}, which the table does not have")

    def to_table(
        self, values: Sequence[np.ndarray], columns: Sequence[str], like: pd.DataFrame
    ) -> pd.DataFrame:
        """A table with exactly ``like``'s index from ``(frames, objects, joints)`` arrays.

        Parameters
        ----------
        values
            One ``(frames, objects, joints)`` array per column, on this container's axes.
        columns
            Their names.
        like
            The table this container was made from: the output takes its index, its ``time``
            column (unless ``columns`` has one) and its ``attrs``.

        Returns
        -------
        DataFrame
            One row per row of ``like``; arrays are used without a copy where they can be.

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> dense = pk.tidy.to_dense(kp, ("x", "y"), layout="columns")
        >>> out = dense.to_table([dense["x"] * 2], ["x2"], kp)
        >>> list(out.columns), bool((out["x2"] == kp["x"] * 2).all())
        (['x2', 'time'], True)
        """
        if self._rows is None:
            raise ValueError("like= needs a DenseKeypoints made by to_dense(like)")
        f, o, j = self._rows
        if self._regular:
            data = [v.reshape(-1) for v in values]
        elif j is None:
            data = [v[f, o].reshape(-1) for v in values]
        else:
            data = [v[f, o, j] for v in values]
        out = pd.DataFrame(dict(zip(columns, data, strict=True)), index=like.index, copy=False)
        if "time" in like.columns and "time" not in columns:
            out["time"] = like["time"].to_numpy()
        out.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
        return out

    @property
    def series(self) -> np.ndarray:
        """``(objects * joints * C, frames)``: one C-contiguous row per time series.

        Rows run over object, then joint, then column. A view on the ``"series"`` layout
        (whose frame axis is every frame from the first to the last), else a copy.
        """
        data = self._series
        if data is None:
            data = np.ascontiguousarray(self.values.transpose(1, 2, 3, 0))
        return data.reshape(-1, data.shape[-1])

    def shaped(self, data: np.ndarray | None = None) -> np.ndarray:
        """Series data as ``(objects, joints, C, frames)``.

        Parameters
        ----------
        data
            ``(objects * joints * C, frames)`` series (a filter's output); default
            :attr:`series`.

        Returns
        -------
        ndarray
            A view of ``data``.

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> dense = pk.tidy.to_dense(kp, ("x", "y"), layout="series")
        >>> dense.series.shape, dense.shaped().shape
        ((34, 30), (1, 17, 2, 30))
        """
        d = self.series if data is None else data
        return d.reshape(len(self.object_ids), len(self.joints), len(self.columns), -1)

    def replace(self, data: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``like`` with this container's columns taken from series data.

        Parameters
        ----------
        data
            ``(objects * joints * C, frames)`` series on this container's axes, as
            :attr:`series` (a filter's output); frames every frame from the first to the last.
        like
            The table this container was made from (with ``contiguous=True`` or
            ``layout="series"``): the output has its index, its other columns and its
            ``attrs``.

        Returns
        -------
        DataFrame
            Same index and columns as ``like``.

        Examples
        --------
        >>> import posekit as pk
        >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
        >>> dense = pk.tidy.to_dense(kp, ("x", "y"), layout="series")
        >>> out = dense.replace(dense.series + 1.0, kp)
        >>> bool((out["x"] == kp["x"] + 1).all()), out["score"].equals(kp["score"])
        (True, True)
        """
        n = data.shape[-1]
        if n != len(self.frames):
            raise ValueError(f"data has {n} frames, the container {len(self.frames)}")
        flat = np.ascontiguousarray(data).reshape(-1)
        base = None
        if not self._regular:
            base = self._base
            if base is None:
                f, o, j = self.rows
                base = (o * len(self.joints) + j) * (len(self.columns) * n) + f
                self._base = base
        cols = {}
        for name in like.columns:
            if name not in self.columns:
                cols[name] = like[name].to_numpy(copy=True)
                continue
            k = self.columns.index(name)
            if base is None:
                cols[name] = self.shaped(data)[:, :, k, :].transpose(2, 0, 1).ravel()
            else:
                cols[name] = flat.take(base + k * n)
        out = pd.DataFrame(cols, index=like.index, copy=False)
        out.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
        return out


def _joint_codes(index: pd.MultiIndex) -> np.ndarray:
    """Each row's position on the joint axis (COCO order), whatever order the level is in."""
    names = [str(v) for v in index.levels[2]]
    unknown = [v for v in names if v not in JOINT_INDEX]
    if unknown:
        raise ValueError(f"unknown joint name(s) {unknown}; expected COCO names {list(JOINTS)}")
    remap = np.array([JOINT_INDEX[v] for v in names], dtype=np.intp)
    codes = np.asarray(index.codes[2])
    if np.array_equal(remap, np.arange(len(remap))):
        return codes
    return remap[codes] if len(remap) else codes


def _axis(level: pd.Index, codes: np.ndarray, contiguous: bool) -> tuple[np.ndarray, np.ndarray]:
    """(axis values, each code's position on it) for the frame or object level.

    The axis holds the values used, sorted; with ``contiguous`` every integer from the first
    to the last (unused ones are gaps).
    """
    values = np.asarray(level, dtype=np.int64)
    used = np.zeros(len(values), dtype=bool)
    used[codes] = True
    if used.all() and (len(values) < 2 or bool(np.all(np.diff(values) > 0))):
        axis, pos = values, codes.astype(np.intp, copy=False)
    else:
        keep = np.flatnonzero(used)
        kept = values[keep]
        order = np.argsort(kept, kind="stable")
        new_pos = np.empty(len(values), dtype=np.intp)
        new_pos[keep[order]] = np.arange(len(keep))
        axis, pos = kept[order], new_pos[codes]
    if contiguous and len(axis) and axis[-1] - axis[0] + 1 != len(axis):
        pos = (axis - axis[0]).astype(np.intp)[pos]
        axis = np.arange(axis[0], axis[-1] + 1, dtype=np.int64)
    return axis, pos


def _positions(index: pd.MultiIndex, contiguous: bool):
    """Axes of the dense form of a table and where its rows sit on them.

    Returns frames, object_ids, the frame and object positions, the joint positions (None when
    every 17 rows are one person's joints in order: positions are then per block) and whether
    the rows are exactly the dense cells in order.
    """
    n = len(index)
    jc = _joint_codes(index)
    c0 = np.asarray(index.codes[0])
    c1 = np.asarray(index.codes[1])
    block = n > 0 and n % N_JOINTS == 0
    if block:
        block = bool(
            np.array_equal(
                jc.reshape(-1, N_JOINTS), np.broadcast_to(_ARANGE17, (n // N_JOINTS, N_JOINTS))
            )
            and (c0.reshape(-1, N_JOINTS) == c0[::N_JOINTS, None]).all()
            and (c1.reshape(-1, N_JOINTS) == c1[::N_JOINTS, None]).all()
        )
    if block:
        c0, c1 = c0[::N_JOINTS], c1[::N_JOINTS]
    frames, fpos = _axis(index.levels[0], c0, contiguous)
    object_ids, opos = _axis(index.levels[1], c1, False)
    n_f, n_o = len(frames), len(object_ids)
    regular = (
        block
        and len(fpos) == n_f * n_o
        and np.array_equal(fpos, np.repeat(np.arange(n_f), n_o))
        and np.array_equal(opos, np.tile(np.arange(n_o), n_f))
    )
    return frames, object_ids, fpos, opos, None if block else jc.astype(np.intp), regular


def to_dense(
    kp: pd.DataFrame,
    columns: Sequence[str] = ("x", "y", "score"),
    *,
    contiguous: bool = False,
    layout: Layout = "cells",
) -> DenseKeypoints:
    """A keypoints table as a dense ``(frames, objects, 17, C)`` array (see DenseKeypoints).

    Parameters
    ----------
    kp
        A keypoints table (indexed by frame, object_id, joint; any order, any rows missing).
    columns
        The columns to take, in order; read as float64 (missing values NaN).
    contiguous
        The frame axis holds every frame from the first to the last (frames the table lacks
        are all NaN, ``present`` False), as time derivatives need; else only the table's
        frames.
    layout
        ``"cells"``, ``"columns"`` or ``"series"``: how the numbers are kept in memory (see
        :class:`DenseKeypoints`); ``"series"`` is always contiguous.

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

    Frames missing from the table are gaps on a contiguous frame axis:

    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
    >>> gappy = kp.drop(index=[4, 5], level="frame")
    >>> pk.tidy.to_dense(gappy).shape, pk.tidy.to_dense(gappy, contiguous=True).shape
    ((28, 1, 17, 3), (30, 1, 17, 3))
    """
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    index = check_keypoints(kp, columns)
    cols = tuple(columns)
    series = layout == "series"
    frames, object_ids, f, o, j, regular = _positions(index, contiguous or series)
    n_f, n_o, n_c = len(frames), len(object_ids), len(cols)
    if regular:
        present = np.ones((n_f, n_o), dtype=bool)
    else:
        present = np.zeros((n_f, n_o), dtype=bool)
        present[f, o] = True

    def column(name: str) -> np.ndarray:
        return kp[name].to_numpy(dtype=np.float64, na_value=np.nan)

    dense = DenseKeypoints(None, frames, object_ids, cols, present, attrs=dict(kp.attrs))  # type: ignore[arg-type]
    dense._rows, dense._regular = (f, o, j), bool(regular)
    cell = (n_f, n_o, N_JOINTS)
    if layout == "columns":
        planes: list[np.ndarray] = []
        for name in cols:
            v = column(name)
            if regular:
                planes.append(v.reshape(cell))
                continue
            p = np.full(cell, np.nan)
            if j is None:
                p[f, o] = v.reshape(-1, N_JOINTS)
            else:
                p[f, o, j] = v
            planes.append(p)
        dense._planes = tuple(planes)
    elif layout == "cells":
        data = kp[list(cols)].to_numpy(dtype=np.float64, na_value=np.nan)
        if regular:
            values = np.empty((*cell, n_c))
            values.reshape(-1, n_c)[:] = data
        else:
            values = np.full((*cell, n_c), np.nan)
            if j is None:
                values[f, o] = data.reshape(-1, N_JOINTS, n_c)
            else:
                values[f, o, j] = data
        dense._cells = values
    else:
        if n_f == 0:
            raise ValueError("the keypoints table is empty")
        if regular:  # a plain reshape and transpose
            full = np.empty((n_o, N_JOINTS, n_c, n_f))
            for k, name in enumerate(cols):
                full[:, :, k, :] = column(name).reshape(cell).transpose(1, 2, 0)
        else:  # one linear index per row: much faster than a 4-array fancy index
            fr, ob, jo = dense.rows
            base = (ob * N_JOINTS + jo) * (n_c * n_f) + fr
            flat = np.full(n_o * N_JOINTS * n_c * n_f, np.nan)
            for k, name in enumerate(cols):
                flat[base + k * n_f] = column(name)
            full = flat.reshape(n_o, N_JOINTS, n_c, n_f)
            dense._base = base
        dense._series = full
        dense._cells = None
    return dense


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
        return dense.to_table([values[..., k] for k in range(len(columns))], columns, like)
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
