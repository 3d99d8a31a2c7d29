"""Units of table columns, and the pixel-to-metre scale.

Every table says the unit of each column in ``attrs["units"]``, a dict ``{column: unit}``
(``"px"``, ``"m"``, ``"s"``, ``"deg"``, ``"px/s"``, ``"m/s²"``, ``"1"`` for a plain number).
:func:`column_unit` is the one place functions and plots read it (older tables held a single
string for every value column; it is still understood).

A **scale** turns pixels into metres: :func:`to_metres` multiplies ``x`` and ``y`` by a number of
metres per pixel found from a known length — the person's height, a segment's length, or two
image points a known distance apart — and records it in ``attrs["scale"]``. Kinematics on the
result are in m, m/s, m/s². The scale holds in the plane of the person, seen square-on; it
cannot undo perspective (a person walking toward the camera grows) or lens distortion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from posekit.schema import TABLE_UNITS

__all__ = [
    "STATURE_SHARE",
    "column_unit",
    "length_unit",
    "scale_from_height",
    "scale_from_points",
    "scale_from_segment",
    "to_metres",
]

#: Share of stature from the eyes to the ankles (lateral malleolus): 0.936 − 0.039, the segment
#: proportions of Drillis & Contini (1966), as in Winter, *Biomechanics and Motor Control of Human
#: Movement*, fig. 4.1.
STATURE_SHARE = 0.936 - 0.039

_DEFAULT = TABLE_UNITS


def column_unit(df: pd.DataFrame | pd.Series, column: str | None = None) -> str | None:
    """The unit of ``column`` of ``df`` (of the Series itself when ``column`` is None).

    Reads ``attrs["units"]``: a dict per column, or (older tables) one string for every value
    column except ``score`` and ``time``. Keypoint tables without units are in pixels. None
    when unknown.

    Parameters
    ----------
    df
        A table or a Series whose ``attrs`` may carry ``units``.
    column
        The column's name; default the Series' own name.

    Returns
    -------
    str or None
        The unit (``"px"``, ``"m"``, ``"s"``, ``"deg/s"``, ``"1"``...), None when unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.units import column_unit
    >>> table = pd.DataFrame({"speed": [1.0], "time": [0.0]})
    >>> table.attrs["units"] = {"speed": "m/s"}
    >>> column_unit(table, "speed"), column_unit(table, "time"), column_unit(table, "other")
    ('m/s', 's', None)
    """
    name = column if column is not None else getattr(df, "name", None)
    # a keypoints table: a score column (in a wide table, a (joint, "score") column)
    keypoints = isinstance(df, pd.DataFrame) and "score" in df.columns.get_level_values(-1)
    return unit_in(df.attrs, name, keypoints=keypoints)


def unit_in(attrs: dict[str, Any], column: Any, *, keypoints: bool = False) -> str | None:
    """The unit of ``column`` that a table's ``attrs`` give (None when they do not say).

    The one reading of ``attrs["units"]``, shared by :func:`column_unit` and the plots.
    ``keypoints``: the table is a keypoints table (``x``, ``y`` are pixels unless it says
    otherwise). A wide table's column ``(joint, coordinate)`` has its coordinate's unit.
    """
    if isinstance(column, tuple) and column:
        column = column[-1]  # a wide table's (joint, coordinate): the unit is the coordinate's
    units = attrs.get("units")
    if isinstance(units, dict):
        if column in units:
            return str(units[column])
    elif isinstance(units, str) and units and column not in ("score", "time"):
        return units  # an older table: one unit for every value column
    if column == "time":
        return "s"
    if keypoints and column in ("x", "y"):
        return "px"
    return None


def length_unit(kp: pd.DataFrame) -> str:
    """The length unit of a keypoints table's ``x``/``y``: ``"px"`` unless scaled.

    Parameters
    ----------
    kp
        A keypoints table.

    Returns
    -------
    str
        ``"px"``, or the unit ``attrs["units"]`` gives ``x`` (``"m"`` after :func:`to_metres`).

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> pk.units.length_unit(kp), pk.units.length_unit(pk.units.to_metres(kp, 0.004))
    ('px', 'm')
    """
    return column_unit(kp, "x") or "px"


def _chain_lengths(kp: pd.DataFrame, object_id: int | None) -> tuple[np.ndarray, int]:
    from posekit._tables import to_dense

    dense = to_dense(kp, ("x", "y"), layout="columns")
    ids = dense.object_ids.tolist()
    if object_id is None:
        if len(ids) != 1:
            raise ValueError(f"the table holds {len(ids)} people {ids}: pass object_id=...")
        k = 0
    elif object_id in ids:
        k = ids.index(object_id)
    else:
        raise ValueError(f"object_id {object_id} not in the table; it has {ids}")

    def xy(name: str) -> np.ndarray:
        x, y = dense.point_xy(name)
        return np.stack([x[:, k], y[:, k]], axis=-1)

    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hypot(*(a - b).T)

    eyes = (xy("left_eye") + xy("right_eye")) / 2
    sh = xy("mid_shoulder")
    hip = xy("mid_hip")
    legs = []
    for side in ("left", "right"):
        legs.append(
            dist(xy(f"{side}_hip"), xy(f"{side}_knee"))
            + dist(xy(f"{side}_knee"), xy(f"{side}_ankle"))
        )
    leg = np.fmax(legs[0], legs[1])  # the longer leg: the other is often foreshortened
    return dist(eyes, sh) + dist(sh, hip) + leg, ids[k]


def scale_from_height(
    kp: pd.DataFrame, /, height_m: float, *, object_id: int | None = None, percentile: float = 90
) -> dict[str, Any]:
    """Metres per pixel from a person's height (stature).

    The person's eye-to-ankle length in pixels is the chain eyes → mid-shoulder → mid-hip →
    knee → ankle (the longer leg), taken at the ``percentile`` over frames (a 2D picture only
    ever shortens a segment, so a high percentile finds the frames where the body is square-on);
    it is :data:`STATURE_SHARE` of the stature.

    Parameters
    ----------
    kp
        A keypoints table in pixels.
    height_m
        The person's standing height in metres.
    object_id
        The person measured; needed when the table holds several.
    percentile
        Percentile (0–100) over frames of the eye-to-ankle length in pixels.

    Returns
    -------
    dict
        ``m_per_px``, ``method`` and what it was computed from (``height_px``: the stature in
        pixels, ``frames_used``...); pass it to :func:`to_metres`.

    Raises
    ------
    ValueError
        ``height_m`` is not positive, the person is not in the table (or several are and no
        ``object_id`` is given), or no frame shows the whole chain.

    Examples
    --------
    The synthetic person is drawn 432 px tall; the estimate is within 2% of it:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> scale = pk.units.scale_from_height(kp, 1.75)
    >>> abs(scale["height_px"] / 432 - 1) < 0.02, scale["method"]
    (True, 'height')
    """
    if not height_m > 0:
        raise ValueError(f"height_m must be a positive length in metres, got {height_m}")
    chain, oid = _chain_lengths(kp, object_id)
    ok = chain[np.isfinite(chain)]
    if len(ok) == 0:
        raise ValueError(
            f"object_id {oid} has no frame with eyes, shoulders, hips, a knee and an ankle: "
            "cannot measure the height in pixels"
        )
    px = float(np.percentile(ok, percentile)) / STATURE_SHARE
    return {
        "m_per_px": float(height_m) / px,
        "method": "height",
        "height_m": float(height_m),
        "height_px": px,
        "object_id": int(oid),
        "frames_used": len(ok),
    }


def scale_from_segment(
    kp: pd.DataFrame,
    /,
    a: str,
    b: str,
    length_m: float,
    *,
    object_id: int | None = None,
    percentile: float = 90,
) -> dict[str, Any]:
    """Metres per pixel from a body segment of known length between points ``a`` and ``b``.

    ``a``/``b`` are joint names or midpoints (``mid_hip``...). The pixel length is the
    ``percentile`` over frames (projection only shortens a segment).

    Parameters
    ----------
    kp
        A keypoints table in pixels.
    a, b
        The segment's end points: joint names or midpoints.
    length_m
        The segment's true length in metres.
    object_id
        The person measured; needed when the table holds several.
    percentile
        Percentile (0–100) over frames of the segment's length in pixels.

    Returns
    -------
    dict
        ``m_per_px``, ``method="segment"``, ``length_px`` and what else it was computed from;
        pass it to :func:`to_metres`.

    Raises
    ------
    ValueError
        ``length_m`` is not positive, an unknown point name, the person is not in the table
        (or several are and no ``object_id`` is given), or no frame has both points.

    Examples
    --------
    The synthetic thigh is 0.245 of a 432 px stature, 105.84 px:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> scale = pk.units.scale_from_segment(kp, "left_hip", "left_knee", 0.42)
    >>> round(scale["length_px"], 1), round(scale["m_per_px"], 5)
    (105.8, 0.00397)
    """
    from posekit._points import check_points
    from posekit._tables import to_dense

    if not length_m > 0:
        raise ValueError(f"length_m must be a positive length in metres, got {length_m}")
    check_points([a, b])
    dense = to_dense(kp, ("x", "y"), layout="columns")
    ids = dense.object_ids.tolist()
    if object_id is None and len(ids) != 1:
        raise ValueError(f"the table holds {len(ids)} people {ids}: pass object_id=...")
    if object_id is not None and object_id not in ids:
        raise ValueError(f"object_id {object_id} not in the table; it has {ids}")
    k = 0 if object_id is None else ids.index(object_id)
    ax, ay = dense.point_xy(a)
    bx, by = dense.point_xy(b)
    d = np.hypot(ax[:, k] - bx[:, k], ay[:, k] - by[:, k])
    d = d[np.isfinite(d)]
    if len(d) == 0 or not np.percentile(d, percentile) > 0:
        raise ValueError(f"no frame has both {a!r} and {b!r} for object_id {ids[k]}")
    px = float(np.percentile(d, percentile))
    return {
        "m_per_px": float(length_m) / px,
        "method": "segment",
        "segment": [a, b],
        "length_m": float(length_m),
        "length_px": px,
        "object_id": int(ids[k]),
        "frames_used": len(d),
    }


def scale_from_points(
    p1: Sequence[float], p2: Sequence[float], distance_m: float
) -> dict[str, Any]:
    """Metres per pixel from two image points ``(x, y)`` a known distance apart (e.g. floor marks).

    Parameters
    ----------
    p1, p2
        The two points' image coordinates ``(x, y)`` in pixels.
    distance_m
        Their true distance in metres.

    Returns
    -------
    dict
        ``m_per_px``, ``method="points"``, ``points``, ``distance_m``, ``distance_px``; pass
        it to :func:`to_metres`.

    Raises
    ------
    ValueError
        The points coincide or ``distance_m`` is not positive.

    Examples
    --------
    Two marks 500 px apart (a 3-4-5 triangle) and 2.5 m apart on the floor:

    >>> from posekit.units import scale_from_points
    >>> scale_from_points((0, 0), (300, 400), 2.5)["m_per_px"]
    0.005
    """
    d = float(np.hypot(p1[0] - p2[0], p1[1] - p2[1]))
    if not d > 0 or not distance_m > 0:
        raise ValueError("the two points must differ and distance_m must be positive")
    return {
        "m_per_px": float(distance_m) / d,
        "method": "points",
        "points": [list(map(float, p1)), list(map(float, p2))],
        "distance_m": float(distance_m),
        "distance_px": d,
    }


def to_metres(
    kp: pd.DataFrame,
    /,
    scale: float | dict[str, Any] | None = None,
    *,
    height_m: float | None = None,
    object_id: int | None = None,
) -> pd.DataFrame:
    """A keypoints table with ``x``, ``y`` in metres.

    Parameters
    ----------
    kp
        A keypoints table in pixels.
    scale
        Metres per pixel, or a dict from :func:`scale_from_height`, :func:`scale_from_segment`
        or :func:`scale_from_points`.
    height_m
        Instead of ``scale``: the person's height (see :func:`scale_from_height`).
    object_id
        The person whose height is given, when the table holds several.

    Returns
    -------
    DataFrame
        The same table with ``x``, ``y`` multiplied by ``m_per_px`` (image axes kept: y points
        down), ``attrs["units"]`` saying ``m`` and ``attrs["scale"]`` how the scale was found.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.load("data/samples/synth_walk.json").keypoints()
    >>> m = pk.units.to_metres(kp, height_m=1.75, object_id=0)
    >>> m.attrs["units"]["x"], round(m.attrs["scale"]["m_per_px"], 4) > 0
    ('m', True)
    """
    from posekit.tidy import with_history

    if length_unit(kp) != "px":
        raise ValueError(f"the table is already in {length_unit(kp)!r}, not pixels")
    if (scale is None) == (height_m is None):
        raise ValueError(
            "pass either scale=... (metres per pixel, or a scale dict) or height_m=..."
        )
    if height_m is not None:
        info = scale_from_height(kp, height_m, object_id=object_id)
    elif isinstance(scale, dict):
        info = dict(scale)
    else:
        info = {"m_per_px": float(scale), "method": "given"}  # type: ignore[arg-type]
    s = float(info["m_per_px"])
    if not np.isfinite(s) or s <= 0:
        raise ValueError(f"metres per pixel must be a positive number, got {s}")
    out = kp.copy()
    out["x"] = kp["x"] * s
    out["y"] = kp["y"] * s
    with_history(out, f"units.to_metres(m_per_px={s:.6g}, method={info.get('method')!r})", like=kp)
    units = out.attrs.get("units")
    units = dict(units) if isinstance(units, dict) else {}
    units.update({"x": "m", "y": "m"})
    for c in out.columns:
        units.setdefault(c, _DEFAULT.get(c, ""))
    out.attrs["units"] = {c: u for c, u in units.items() if u}
    out.attrs["scale"] = info
    return out
