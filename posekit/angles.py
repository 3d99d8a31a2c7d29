"""Joint and segment angles, from one table of definitions (:data:`DEFINITIONS`).

Three kinds of angle, all in degrees:

``joint``
    The inner angle at ``b`` between the segments ``b→a`` and ``b→c``, in [0, 180]; 180 is a
    straight limb. With ``convention="flexion"`` it is reported as 180 − inner (0 = straight).
``segment``
    The direction of the segment ``a→b`` against the image horizontal, in (-180, 180],
    counter-clockwise as a person looking at the picture sees it: pointing right is 0, up
    (towards the top of the image, y decreasing) is +90, left is 180, down is −90.
``inclination``
    The unsigned angle between the segment ``a→b`` and the image's "up" direction, in [0, 180];
    0 = upright.

Points are COCO joint names or midpoints (``mid_shoulder``, ``mid_hip``, ... see
:data:`posekit._points.MIDPOINTS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from posekit._points import MIDPOINTS, POINTS, DenseXY, check_points, dense_xy, per_frame_table

__all__ = [
    "DEFINITIONS",
    "JOINT_ANGLES",
    "MIDPOINTS",
    "POINTS",
    "SEGMENT_ANGLES",
    "AngleDef",
    "angle",
    "custom_angles",
    "describe",
    "joint_angles",
    "segment_angles",
    "unwrap_degrees",
]

Kind = Literal["joint", "segment", "inclination"]


@dataclass(frozen=True)
class AngleDef:
    """One angle: its column name, kind, the points it is built from, and what it means."""

    name: str
    kind: Kind
    points: tuple[str, ...]
    description: str


def _joint(name: str, a: str, b: str, c: str, what: str) -> AngleDef:
    return AngleDef(name, "joint", (a, b, c), what)


def _seg(name: str, a: str, b: str, what: str) -> AngleDef:
    return AngleDef(name, "segment", (a, b), what)


#: Every built-in angle. Joint angles are inner angles at the middle point.
DEFINITIONS: tuple[AngleDef, ...] = (
    _joint("left_elbow", "left_shoulder", "left_elbow", "left_wrist", "shoulder–elbow–wrist"),
    _joint("right_elbow", "right_shoulder", "right_elbow", "right_wrist", "shoulder–elbow–wrist"),
    _joint("left_shoulder", "left_hip", "left_shoulder", "left_elbow", "hip–shoulder–elbow"),
    _joint("right_shoulder", "right_hip", "right_shoulder", "right_elbow", "hip–shoulder–elbow"),
    _joint("left_hip", "left_shoulder", "left_hip", "left_knee", "shoulder–hip–knee"),
    _joint("right_hip", "right_shoulder", "right_hip", "right_knee", "shoulder–hip–knee"),
    _joint("left_knee", "left_hip", "left_knee", "left_ankle", "hip–knee–ankle"),
    _joint("right_knee", "right_hip", "right_knee", "right_ankle", "hip–knee–ankle"),
    _joint("neck", "nose", "mid_shoulder", "mid_hip", "nose–mid_shoulder–mid_hip; 180 = head in line with trunk"),
    _joint("trunk_thigh", "mid_shoulder", "mid_hip", "mid_knee", "mid_shoulder–mid_hip–mid_knee; 180 = standing straight"),
    AngleDef("trunk_inclination", "inclination", ("mid_hip", "mid_shoulder"), "trunk (mid_hip→mid_shoulder) from the image vertical; 0 = upright"),
    _seg("left_upper_arm", "left_shoulder", "left_elbow", "shoulder→elbow"),
    _seg("right_upper_arm", "right_shoulder", "right_elbow", "shoulder→elbow"),
    _seg("left_forearm", "left_elbow", "left_wrist", "elbow→wrist"),
    _seg("right_forearm", "right_elbow", "right_wrist", "elbow→wrist"),
    _seg("left_thigh", "left_hip", "left_knee", "hip→knee"),
    _seg("right_thigh", "right_hip", "right_knee", "hip→knee"),
    _seg("left_shank", "left_knee", "left_ankle", "knee→ankle"),
    _seg("right_shank", "right_knee", "right_ankle", "knee→ankle"),
    _seg("trunk", "mid_hip", "mid_shoulder", "mid_hip→mid_shoulder; +90 = upright"),
    _seg("shoulder_line", "right_shoulder", "left_shoulder", "right→left shoulder"),
    _seg("hip_line", "right_hip", "left_hip", "right→left hip"),
)  # fmt: skip

_BY_NAME = {d.name: d for d in DEFINITIONS}
JOINT_ANGLES: tuple[str, ...] = tuple(d.name for d in DEFINITIONS if d.kind != "segment")
SEGMENT_ANGLES: tuple[str, ...] = tuple(d.name for d in DEFINITIONS if d.kind == "segment")


def describe() -> pd.DataFrame:
    """The definitions table as a DataFrame (one row per angle: kind, points, description)."""
    return pd.DataFrame(
        {
            "kind": [d.kind for d in DEFINITIONS],
            "points": [" – ".join(d.points) for d in DEFINITIONS],
            "description": [d.description for d in DEFINITIONS],
        },
        index=pd.Index([d.name for d in DEFINITIONS], name="angle"),
    )


# -- the maths, on (..., 2) arrays ------------------------------------------------------------


XY = tuple[np.ndarray, np.ndarray]


def _inner(a: XY, b: XY, c: XY) -> np.ndarray:
    ux, uy = a[0] - b[0], a[1] - b[1]
    vx, vy = c[0] - b[0], c[1] - b[1]
    # atan2(|u×v|, u·v) is accurate at 0 and 180 where acos of the cosine is not
    out = np.degrees(np.arctan2(np.abs(ux * vy - uy * vx), ux * vx + uy * vy))
    out[((ux == 0) & (uy == 0)) | ((vx == 0) & (vy == 0))] = np.nan
    return out


def _direction(a: XY, b: XY) -> np.ndarray:
    dx = b[0] - a[0]
    dy = a[1] - b[1]  # image y points down: flip it
    out = np.degrees(np.arctan2(dy, dx))
    out[out == -180.0] = 180.0
    out[(dx == 0) & (dy == 0)] = np.nan
    return out


def _inclination(a: XY, b: XY) -> np.ndarray:
    dx = b[0] - a[0]
    up = a[1] - b[1]
    out = np.degrees(np.arctan2(np.abs(dx), up))
    out[(dx == 0) & (up == 0)] = np.nan
    return out


def unwrap_degrees(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """``np.unwrap(..., period=360)`` that steps over NaNs: each value is unwrapped against the
    previous finite value along ``axis``; NaNs stay NaN."""
    a = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    n = a.shape[0]
    if n < 2:
        return np.moveaxis(a.copy(), 0, axis)
    valid = np.isfinite(a)
    pos = np.arange(n).reshape((n,) + (1,) * (a.ndim - 1))
    last = np.maximum.accumulate(np.where(valid, pos, -1), axis=0)  # last finite at or before i
    prev = np.concatenate([np.full((1, *a.shape[1:]), -1), last[:-1]], axis=0)
    prev_val = np.take_along_axis(a, np.maximum(prev, 0), axis=0)
    d = np.where(valid & (prev >= 0), a - prev_val, 0.0)
    dmod = np.mod(d + 180.0, 360.0) - 180.0
    dmod[(dmod == -180.0) & (d > 0)] = 180.0
    corr = np.where(np.abs(d) >= 180.0, dmod - d, 0.0)
    out = a + np.cumsum(corr, axis=0)
    return np.moveaxis(out, 0, axis)


def _compute(dense: DenseXY, defs: Sequence[AngleDef], convention: str) -> list[np.ndarray]:
    cache: dict[str, XY] = {}

    def pt(name: str) -> XY:
        if name not in cache:
            cache[name] = dense.point_xy(name)
        return cache[name]

    planes = []
    for d in defs:
        if d.kind == "joint":
            v = _inner(pt(d.points[0]), pt(d.points[1]), pt(d.points[2]))
            if convention == "flexion":
                v = 180.0 - v
        elif d.kind == "segment":
            v = _direction(pt(d.points[0]), pt(d.points[1]))
        else:
            v = _inclination(pt(d.points[0]), pt(d.points[1]))
        planes.append(v)
    return planes


def _resolve(names: Iterable[str] | str | None, default: tuple[str, ...]) -> list[AngleDef]:
    if names is None:
        names = default
    elif isinstance(names, str):
        names = [names]
    names = list(names)
    bad = [n for n in names if n not in default]
    if bad:
        raise ValueError(f"unknown angle name(s) {bad}; valid names: {list(default)}")
    return [_BY_NAME[n] for n in names]


def _table(
    kp: pd.DataFrame, defs: Sequence[AngleDef], convention: str, unwrap: bool, step: str
) -> pd.DataFrame:
    dense = dense_xy(kp, contiguous=False)
    for d in defs:
        dense.require(d.points, f"angle {d.name!r}")
    planes = _compute(dense, defs, convention)
    if unwrap:
        planes = [unwrap_degrees(p, axis=0) for p in planes]
    return per_frame_table(
        planes,
        [d.name for d in defs],
        dense.frames,
        dense.object_ids,
        dense.present,
        kp.attrs,
        step,
    )


def joint_angles(
    kp: pd.DataFrame,
    /,
    *,
    names: Iterable[str] | str | None = None,
    convention: Literal["inner", "flexion"] = "inner",
    unwrap: bool = False,
) -> pd.DataFrame:
    """Joint angles (degrees) per frame and person.

    Parameters
    ----------
    kp
        A keypoints table.
    names
        Angles to compute (see :func:`describe`); default every ``joint`` and ``inclination``
        angle of :data:`DEFINITIONS` (elbows, shoulders, hips, knees, neck, trunk_thigh,
        trunk_inclination).
    convention
        ``"inner"``: the inner angle in [0, 180], 180 = straight. ``"flexion"``: 180 − inner,
        0 = straight. Applies to ``joint`` angles; inclinations are reported as they are.
    unwrap
        Remove ±360° jumps along time per person (only segment angles can have any).

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), one column per angle, plus ``time`` (s) when fps is known.
        NaN where a point is missing or a segment has zero length.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=4, fps=30).result.keypoints()
    >>> ang = pk.angles.joint_angles(kp)
    >>> round(float(ang["left_knee"].max()), 0) > 150
    True
    """
    if convention not in ("inner", "flexion"):
        raise ValueError(f"convention must be 'inner' or 'flexion', got {convention!r}")
    defs = _resolve(names, JOINT_ANGLES)
    step = f"joint_angles(convention={convention!r}, unwrap={unwrap})"
    return _table(kp, defs, convention, unwrap, step)


def segment_angles(
    kp: pd.DataFrame, /, *, names: Iterable[str] | str | None = None, unwrap: bool = False
) -> pd.DataFrame:
    """Segment angles (degrees) against the image horizontal, in (-180, 180].

    Counter-clockwise as seen on the picture: a segment pointing right is 0, up +90, left 180,
    down −90. With ``unwrap=True`` the series are continuous in time (may leave (-180, 180]).
    Default ``names``: every ``segment`` angle of :data:`DEFINITIONS`. Layout as
    :func:`joint_angles`.
    """
    defs = _resolve(names, SEGMENT_ANGLES)
    return _table(kp, defs, "inner", unwrap, f"segment_angles(unwrap={unwrap})")


def custom_angles(
    kp: pd.DataFrame,
    definitions: Mapping[str, Sequence[str]],
    /,
    *,
    convention: Literal["inner", "flexion"] = "inner",
    unwrap: bool = False,
) -> pd.DataFrame:
    """User-defined angles: ``{"name": (a, b, c)}`` is the inner angle at ``b``; ``{"name": (a, b)}``
    the segment angle of ``a→b``. Points are joint or midpoint names.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("arm_raise", duration_s=4, fps=30).result.keypoints()
    >>> ang = pk.angles.custom_angles(kp, {"arm_trunk": ("mid_hip", "mid_shoulder", "right_wrist")})
    >>> list(ang.columns)
    ['arm_trunk', 'time']
    """
    if not isinstance(definitions, Mapping) or not definitions:
        raise ValueError("definitions must be a non-empty mapping name -> (a, b[, c])")
    defs = []
    for name, pts in definitions.items():
        pts = (pts,) if isinstance(pts, str) else tuple(pts)
        if len(pts) not in (2, 3):
            raise ValueError(f"angle {name!r}: expected 2 or 3 point names, got {len(pts)}")
        check_points(pts)
        kind: Kind = "joint" if len(pts) == 3 else "segment"
        defs.append(AngleDef(str(name), kind, pts, "user-defined"))
    return _table(kp, defs, convention, unwrap, f"custom_angles({dict(definitions)!r})")


def angle(
    kp: pd.DataFrame,
    /,
    a: str,
    b: str,
    c: str | None = None,
    *,
    convention: Literal["inner", "flexion"] = "inner",
    unwrap: bool = False,
) -> pd.Series:
    """One angle from any points: inner angle at ``b`` (a, b, c) or segment angle of a→b (a, b).

    Returns a Series indexed by (frame, object_id), named ``"a-b-c"`` (or ``"a-b"``).
    """
    pts = (a, b) if c is None else (a, b, c)
    name = "-".join(pts)
    table = custom_angles(kp, {name: pts}, convention=convention, unwrap=unwrap)
    out = table[name]
    out.attrs = dict(table.attrs)
    return out
