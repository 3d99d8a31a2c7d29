"""Shared helpers of the plot functions: table checks, people, colours, skeletons, time axes."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from posekit._tables import check_keypoints
from posekit.plot._colours import TAB10, colour_scheme
from posekit.schema import JOINT_INDEX, JOINTS, KAKAO_SKELETON, N_JOINTS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# kept for callers of the first release: the people's hues (the scheme's middle colours)
PALETTE: tuple[tuple[int, int, int], ...] = TAB10


def person_rgb(object_id: int, side: str = "centre") -> tuple[int, int, int]:
    """The colour of person ``object_id`` as 0–255 RGB, from the colour scheme in use.

    Stable across plots and frames.

    Parameters
    ----------
    object_id
        The person.
    side
        ``"left"``, ``"right"`` or ``"centre"``.

    Returns
    -------
    tuple of int
        ``(r, g, b)``, each 0–255.

    Examples
    --------
    >>> import posekit as pk
    >>> pk.plot.person_rgb(0), pk.plot.person_rgb(0, "left")
    ((31, 119, 180), (19, 71, 108))
    """
    return colour_scheme().rgb(object_id, side)  # type: ignore[arg-type]


def person_color(object_id: int, side: str = "centre") -> tuple[float, float, float]:
    """The colour of person ``object_id`` (its ``side``) as matplotlib 0–1 RGB.

    Parameters
    ----------
    object_id
        The person.
    side
        ``"left"``, ``"right"`` or ``"centre"``.

    Returns
    -------
    tuple of float
        ``(r, g, b)``, each 0–1.

    Examples
    --------
    >>> import posekit as pk
    >>> [round(c, 3) for c in pk.plot.person_color(0)]
    [0.122, 0.467, 0.706]
    """
    return colour_scheme().color(object_id, side)  # type: ignore[arg-type]


def get_ax(
    ax: Axes | None, figsize: tuple[float, float] = (7, 4), *, layout: str | None = "constrained"
) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout=layout)
    return ax


def as_keypoints(data: Any, where: str, stacklevel: int = 3) -> pd.DataFrame:
    """The keypoints table a view draws, checked (:func:`posekit._tables.check_keypoints`).

    Views take tables; the metadata they need is on the table (``attrs``: the skeleton, the
    picture's size, fps). A :class:`~posekit.PoseResult` still works for now, with a
    DeprecationWarning: its :meth:`~posekit.PoseResult.keypoints` table is drawn (which
    carries the result's own skeleton).
    """
    from posekit.result import PoseResult

    if isinstance(data, PoseResult):
        warnings.warn(
            f"{where}: a PoseResult is deprecated: say result.keypoints() (the table carries "
            "the skeleton)",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        data = data.keypoints()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{where}: expected a keypoints DataFrame, got {type(data).__name__}")
    check_keypoints(data, where=where)
    return data


def skeleton_pairs(
    skeleton: Iterable[Sequence[int]] | None = None, *, like: Any = None
) -> np.ndarray:
    """Joint pairs as a 0-based ``(n, 2)`` int array.

    ``skeleton`` is a list of 1-based joint id pairs as in the API's ``categories`` (for example
    :data:`posekit.schema.COCO_SKELETON`); None takes ``like.attrs["skeleton"]`` when a table
    carries one, else :data:`posekit.schema.KAKAO_SKELETON`.

    Parameters
    ----------
    skeleton
        1-based joint id pairs.
    like
        A table whose ``attrs["skeleton"]`` to use when ``skeleton`` is None.

    Returns
    -------
    ndarray
        ``(n, 2)`` int64, 0-based joint indices.

    Raises
    ------
    ValueError
        A joint id outside 1–17.

    Examples
    --------
    >>> import posekit as pk
    >>> pk.plot.skeleton_pairs([(1, 2), (6, 8)]).tolist()
    [[0, 1], [5, 7]]
    """
    if skeleton is None and like is not None:
        skeleton = getattr(like, "attrs", {}).get("skeleton")
    if skeleton is None:
        skeleton = KAKAO_SKELETON
    arr = np.asarray([tuple(p) for p in skeleton], dtype=np.int64).reshape(-1, 2)
    if arr.size and (arr.min() < 1 or arr.max() > N_JOINTS):
        raise ValueError(
            f"skeleton pairs must be 1-based joint ids 1..{N_JOINTS}, got {arr.tolist()}"
        )
    return arr - 1


def joint_list(joints: str | Iterable[str] | None, default: Sequence[str] = JOINTS) -> list[str]:
    if joints is None:
        return list(default)
    out = [joints] if isinstance(joints, str) else list(joints)
    bad = [j for j in out if j not in JOINT_INDEX]
    if bad:
        raise ValueError(f"unknown joint(s) {bad}; expected COCO names such as {JOINTS[:3]}")
    return out


def people_list(available: np.ndarray, people: int | Iterable[int] | None, where: str) -> list[int]:
    ids = [int(v) for v in available]
    if people is None:
        return ids
    want = [int(people)] if isinstance(people, (int, np.integer)) else [int(p) for p in people]
    missing = [p for p in want if p not in ids]
    if missing:
        raise ValueError(f"{where}: no person with object_id {missing}; the table has {ids}")
    return want


def main_person(kp: pd.DataFrame) -> int:
    """The object_id present in the most frames (ties: the smallest id)."""
    ids = kp.index.get_level_values("object_id")
    counts = pd.Series(np.ones(len(ids)), index=ids).groupby(level=0).size()
    if counts.empty:
        raise ValueError("the table is empty: no person to plot")
    return int(counts.idxmax())


def time_values(frames: np.ndarray, attrs: dict, fps: float | None) -> tuple[np.ndarray, str]:
    """x values for a time axis: seconds when fps is known, else frame numbers."""
    fps = fps if fps is not None else attrs.get("fps")
    if fps:
        return np.asarray(frames, dtype=np.float64) / float(fps), "time (s)"
    return np.asarray(frames, dtype=np.float64), "frame"


def image_axes(ax: Axes, width: float | None, height: float | None) -> None:
    """Image-plane axes: y pointing down, equal aspect, limits of the picture when known."""
    if width and height:
        ax.set_aspect("equal")
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        return
    # a path: grow the data limits to keep the axes' box (a thin strip would be unreadable)
    ax.set_aspect("equal", adjustable="datalim")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()


def time_colored_segments(xy: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments between consecutive finite points of a path, and each segment's mean time."""
    ok = np.isfinite(xy).all(axis=1) & np.isfinite(t)
    both = ok[:-1] & ok[1:]
    seg = np.stack([xy[:-1], xy[1:]], axis=1)[both]
    tm = ((t[:-1] + t[1:]) / 2)[both]
    return seg, tm


def column_unit(attrs: dict, column: str, *, keypoints: bool = False) -> str | None:
    """The unit of a column, read from the table, never guessed.

    :func:`posekit.units.unit_in` reads ``attrs["units"]`` (a ``{column: unit}`` mapping, or an
    older table's one string) as :func:`posekit.units.column_unit` does; angle columns
    (:mod:`posekit.angles` names) are degrees; a plain number (``"1"``, a score) has none.
    """
    from posekit.units import unit_in

    unit = unit_in(attrs, column, keypoints=keypoints)
    if unit is None:
        from posekit.angles import JOINT_ANGLES, SEGMENT_ANGLES

        if column in JOINT_ANGLES or column in SEGMENT_ANGLES:
            unit = "°"
    if not unit or unit == "1":  # a plain number (a score) has no unit on an axis
        return None
    return unit.replace("deg", "°")


def axis_label(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit else name
