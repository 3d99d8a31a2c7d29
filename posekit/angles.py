"""Joint and segment angles, from one table of definitions (:data:`DEFINITIONS`).

Three kinds of angle, all in degrees:

``joint``
    The inner angle at ``b`` between the segments ``b→a`` and ``b→c``, in [0, 180]; 180 is a
    straight limb. With ``convention="flexion"`` it is reported as 180 − inner (0 = straight).
    With ``convention="signed"`` the elbows, shoulders, hips, knees and ``trunk_thigh`` are
    signed flexion angles in (-180, 180] as Sports2D computes them: 0 = straight (neutral),
    positive = flexion, negative = extension (hyperextension), the sign taken from the way
    the person faces (see :func:`facing`). ``reference="trunk"`` measures the hips and
    shoulders against the trunk midline (mid_hip–mid_shoulder) instead of the same-side
    shoulder / hip, as Sports2D and most gait labs do.
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

from posekit._history import logs_history
from posekit._levels import per_clip
from posekit._points import MIDPOINTS, POINTS, check_points, per_frame_table
from posekit._tables import DenseKeypoints, to_dense

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
    "facing",
    "joint_angles",
    "segment_angles",
    "unwrap_degrees",
]

Kind = Literal["joint", "segment", "inclination"]


@dataclass(frozen=True)
class AngleDef:
    """One angle: its column name, kind, the points it is built from, and what it means.

    Parameters
    ----------
    name
        The column name in the angle tables.
    kind
        ``"joint"``, ``"segment"`` or ``"inclination"`` (see the module's description).
    points
        The joint or midpoint names it is built from: ``(a, b, c)`` for a joint angle at
        ``b``, ``(a, b)`` for a segment or an inclination.
    description
        What it means, in words.
    trunk_points, signed, signed_trunk, neutral
        The variants for ``reference="trunk"`` and ``convention="signed"``, and the inner
        angle of the neutral pose (see the attributes' comments).

    Examples
    --------
    >>> from posekit.angles import DEFINITIONS
    >>> knee = next(d for d in DEFINITIONS if d.name == "left_knee")
    >>> knee.kind, knee.points
    ('joint', ('left_hip', 'left_knee', 'left_ankle'))
    """

    name: str
    kind: Kind
    points: tuple[str, ...]
    description: str
    #: ``reference="trunk"``: the inner angle between ``p0 - p1`` and ``p3 - p2``
    trunk_points: tuple[str, ...] | None = None
    #: ``convention="signed"``: Sports2D's (points, offset, scale); 3 points ``a, b, c`` give
    #: ``dir(a - b) - dir(c - b)``, 4 points ``a, b, c, d`` give ``dir(b - a) - dir(d - c)``,
    #: with ``dir`` the image-coordinate direction (y down) after mirroring x so that the
    #: person faces right; then ``(angle + offset) * scale`` wrapped to (-180, 180]
    signed: tuple[tuple[str, ...], float, float] | None = None
    #: the same for ``reference="trunk"``
    signed_trunk: tuple[tuple[str, ...], float, float] | None = None
    #: the inner angle of the neutral pose: 180 (a straight limb) or 0 (a shoulder, the arm
    #: along the trunk); ``convention="flexion"`` is the distance from it
    neutral: float = 180.0


def _joint(name: str, a: str, b: str, c: str, what: str, **kw: object) -> AngleDef:
    return AngleDef(name, "joint", (a, b, c), what, **kw)  # type: ignore[arg-type]


def _limbs() -> dict[str, dict[str, object]]:
    """Trunk-referenced and signed variants of the limb angles (Sports2D's definitions)."""
    out: dict[str, dict[str, object]] = {}
    for s in ("left", "right"):
        sh, el, wr = f"{s}_shoulder", f"{s}_elbow", f"{s}_wrist"
        hp, kn, an = f"{s}_hip", f"{s}_knee", f"{s}_ankle"
        out[el] = {"signed": ((wr, el, sh), 180.0, -1.0)}
        out[sh] = {
            "neutral": 0.0,
            "trunk_points": ("mid_hip", "mid_shoulder", sh, el),
            "signed": ((el, sh, hp, sh), 0.0, -1.0),
            "signed_trunk": ((el, sh, "mid_hip", "mid_shoulder"), 0.0, -1.0),
        }
        out[hp] = {
            "trunk_points": ("mid_shoulder", "mid_hip", hp, kn),
            "signed": ((kn, hp, hp, sh), 0.0, -1.0),
            "signed_trunk": ((kn, hp, "mid_hip", "mid_shoulder"), 0.0, -1.0),
        }
        out[kn] = {"signed": ((an, kn, hp), -180.0, 1.0)}
    out["trunk_thigh"] = {"signed": (("mid_knee", "mid_hip", "mid_hip", "mid_shoulder"), 0.0, -1.0)}
    return out


_V = _limbs()


def _seg(name: str, a: str, b: str, what: str) -> AngleDef:
    return AngleDef(name, "segment", (a, b), what)


#: Every built-in angle. Joint angles are inner angles at the middle point.
DEFINITIONS: tuple[AngleDef, ...] = (
    _joint("left_elbow", "left_shoulder", "left_elbow", "left_wrist", "shoulder–elbow–wrist", **_V["left_elbow"]),
    _joint("right_elbow", "right_shoulder", "right_elbow", "right_wrist", "shoulder–elbow–wrist", **_V["right_elbow"]),
    _joint("left_shoulder", "left_hip", "left_shoulder", "left_elbow", "hip–shoulder–elbow", **_V["left_shoulder"]),
    _joint("right_shoulder", "right_hip", "right_shoulder", "right_elbow", "hip–shoulder–elbow", **_V["right_shoulder"]),
    _joint("left_hip", "left_shoulder", "left_hip", "left_knee", "shoulder–hip–knee", **_V["left_hip"]),
    _joint("right_hip", "right_shoulder", "right_hip", "right_knee", "shoulder–hip–knee", **_V["right_hip"]),
    _joint("left_knee", "left_hip", "left_knee", "left_ankle", "hip–knee–ankle", **_V["left_knee"]),
    _joint("right_knee", "right_hip", "right_knee", "right_ankle", "hip–knee–ankle", **_V["right_knee"]),
    _joint("neck", "nose", "mid_shoulder", "mid_hip", "nose–mid_shoulder–mid_hip; 180 = head in line with trunk"),
    _joint("trunk_thigh", "mid_shoulder", "mid_hip", "mid_knee", "mid_shoulder–mid_hip–mid_knee; 180 = standing straight", **_V["trunk_thigh"]),
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


def _signed_text(sig: tuple[tuple[str, ...], float, float] | None) -> str:
    if sig is None:
        return ""
    pts, offset, scale = sig
    return f"{' – '.join(pts)}; offset {offset:g}, scale {scale:g}"


def describe() -> pd.DataFrame:
    """The definitions table as a DataFrame, one row per angle of :data:`DEFINITIONS`.

    Returns
    -------
    DataFrame
        Indexed by ``angle`` (the column name in the angle tables), with the columns
        ``kind``, ``points``, ``description`` and the points of the ``reference="trunk"``
        (``trunk_points``) and ``convention="signed"`` (``signed``, ``signed_trunk``)
        variants.

    Examples
    --------
    >>> import posekit as pk
    >>> table = pk.angles.describe()
    >>> table.loc["left_knee", "points"]
    'left_hip – left_knee – left_ankle'
    >>> sorted(set(table["kind"]))
    ['inclination', 'joint', 'segment']
    """
    return pd.DataFrame(
        {
            "kind": [d.kind for d in DEFINITIONS],
            "points": [" – ".join(d.points) for d in DEFINITIONS],
            "description": [d.description for d in DEFINITIONS],
            "trunk_points": [" – ".join(d.trunk_points or ()) for d in DEFINITIONS],
            "signed": [_signed_text(d.signed) for d in DEFINITIONS],
            "signed_trunk": [_signed_text(d.signed_trunk) for d in DEFINITIONS],
        },
        index=pd.Index([d.name for d in DEFINITIONS], name="angle"),
    )


# -- the maths, on (..., 2) arrays ------------------------------------------------------------


XY = tuple[np.ndarray, np.ndarray]


def _inner_vec(ux: np.ndarray, uy: np.ndarray, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    # atan2(|u×v|, u·v) is accurate at 0 and 180 where acos of the cosine is not
    out = np.degrees(np.arctan2(np.abs(ux * vy - uy * vx), ux * vx + uy * vy))
    out[((ux == 0) & (uy == 0)) | ((vx == 0) & (vy == 0))] = np.nan
    return out


def _inner(a: XY, b: XY, c: XY) -> np.ndarray:
    return _inner_vec(a[0] - b[0], a[1] - b[1], c[0] - b[0], c[1] - b[1])


def _inner4(a: XY, b: XY, c: XY, d: XY) -> np.ndarray:
    """The inner angle between ``a - b`` and ``d - c``."""
    return _inner_vec(a[0] - b[0], a[1] - b[1], d[0] - c[0], d[1] - c[1])


def _signed(pts: Sequence[XY], offset: float, scale: float, face: np.ndarray) -> np.ndarray:
    """Sports2D's signed angle (see :class:`AngleDef`); ``face`` is +1 / -1 / NaN per cell."""
    p = [(x * face, y) for x, y in pts]  # mirror x so that everyone faces right
    if len(p) == 3:
        ux, uy, vx, vy = p[0][0] - p[1][0], p[0][1] - p[1][1], p[2][0] - p[1][0], p[2][1] - p[1][1]
    else:
        ux, uy, vx, vy = p[1][0] - p[0][0], p[1][1] - p[0][1], p[3][0] - p[2][0], p[3][1] - p[2][1]
    ang = (np.degrees(np.arctan2(uy, ux) - np.arctan2(vy, vx)) + offset) * scale
    ang = np.mod(ang + 180.0, 360.0) - 180.0
    ang[ang == -180.0] = 180.0
    ang[((ux == 0) & (uy == 0)) | ((vx == 0) & (vy == 0))] = np.nan
    return ang


def _facing(dense: DenseKeypoints) -> np.ndarray:
    """+1 (facing right in the picture), -1 (left) or NaN per (frame, object).

    Where the nose is: the side of the ears' midpoint (else of the shoulders' midpoint) it is
    on. Frames without a nose take the person's majority; a person never seen with a nose
    gets NaN.
    """
    nose = dense.point_xy("nose")[0] if dense.has_joint[0] else None
    if nose is None:
        return np.full(dense.present.shape, np.nan)
    ears = dense.point_xy("mid_ear")[0]
    shoulders = dense.point_xy("mid_shoulder")[0]
    lead = np.where(np.isfinite(ears), nose - ears, nose - shoulders)
    face = np.sign(lead)
    face[face == 0] = np.nan
    with np.errstate(invalid="ignore"):
        majority = np.sign(np.nansum(face, axis=0))  # (objects,)
    majority[majority == 0] = np.nan
    return np.where(np.isfinite(face), face, majority[None, :])


@logs_history
def facing(kp: pd.DataFrame, /) -> pd.DataFrame:
    """Which way each person faces in the picture, per frame: ``"right"``, ``"left"`` or NaN.

    From the nose's side of the ears' midpoint (else of the shoulders' midpoint); frames
    without a nose take the person's majority. This sets the sign of the ``signed`` joint
    angles (Sports2D uses the feet, toe versus heel, which COCO keypoints do not have). It
    means something only for a side view.

    Parameters
    ----------
    kp
        A keypoints table.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), with a ``facing`` column (``"right"``, ``"left"`` or
        NaN) and ``time`` (s) when fps is known.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
    >>> pk.angles.facing(kp)["facing"].unique().tolist()
    ['right']
    """
    dense = to_dense(kp, ("x", "y"), layout="columns")
    face = _facing(dense)
    table = per_frame_table([face], ["facing"], dense.frames, dense.object_ids, dense.present,
                            kp.attrs)  # fmt: skip
    table["facing"] = table["facing"].map({1.0: "right", -1.0: "left"})
    return table


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
    """``np.unwrap(..., period=360)`` that steps over NaNs.

    Each value is unwrapped against the previous finite value along ``axis``; NaNs stay NaN.

    Parameters
    ----------
    values
        Angles in degrees.
    axis
        The axis along which the values follow each other (time).

    Returns
    -------
    ndarray
        Float angles with the same shape, without jumps of 180° or more between neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.angles import unwrap_degrees
    >>> unwrap_degrees(np.array([170.0, -170.0, np.nan, -150.0])).tolist()
    [170.0, 190.0, nan, 210.0]
    """
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


def _compute(
    dense: DenseKeypoints,
    defs: Sequence[AngleDef],
    convention: str,
    reference: str = "same_side",
    face: np.ndarray | None = None,
) -> list[np.ndarray]:
    cache: dict[str, XY] = {}

    def pt(name: str) -> XY:
        if name not in cache:
            cache[name] = dense.point_xy(name)
        return cache[name]

    planes = []
    for d in defs:
        if d.kind == "joint":
            signed = d.signed_trunk if reference == "trunk" and d.signed_trunk else d.signed
            if convention == "signed" and signed is not None:
                assert face is not None
                pts, offset, scale = signed
                planes.append(_signed([pt(n) for n in pts], offset, scale, face))
                continue
            if reference == "trunk" and d.trunk_points is not None:
                v = _inner4(*(pt(n) for n in d.trunk_points))
            else:
                v = _inner(pt(d.points[0]), pt(d.points[1]), pt(d.points[2]))
            if convention in ("flexion", "signed"):
                v = np.abs(d.neutral - v)
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
    kp: pd.DataFrame,
    defs: Sequence[AngleDef],
    convention: str,
    unwrap: bool,
    reference: str = "same_side",
    facing: str = "auto",
) -> pd.DataFrame:
    dense = to_dense(kp, ("x", "y"), layout="columns")
    for d in defs:
        dense.require(d.points, f"angle {d.name!r}")
        if reference == "trunk" and d.trunk_points is not None:
            dense.require(d.trunk_points, f"angle {d.name!r}")
    face = None
    if convention == "signed":
        if facing == "auto":
            face = _facing(dense)
        else:
            face = np.full(dense.present.shape, 1.0 if facing == "right" else -1.0)
    planes = _compute(dense, defs, convention, reference, face)
    if unwrap:
        planes = [unwrap_degrees(p, axis=0) for p in planes]
    units = {**{d.name: "deg" for d in defs}, "time": "s"}
    return per_frame_table(
        planes,
        [d.name for d in defs],
        dense.frames,
        dense.object_ids,
        dense.present,
        {**kp.attrs, "units": units},
    )


@logs_history
@per_clip
def joint_angles(
    kp: pd.DataFrame,
    /,
    *,
    names: Iterable[str] | str | None = None,
    convention: Literal["inner", "flexion", "signed"] = "inner",
    reference: Literal["same_side", "trunk"] = "same_side",
    facing: Literal["auto", "right", "left"] = "auto",
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
        0 = straight (shoulders: the inner angle, 0 = arm along the trunk). ``"signed"``: Sports2D's signed flexion in (-180, 180] for the elbows,
        shoulders, hips, knees and ``trunk_thigh`` — 0 = straight, > 0 flexion, < 0
        extension — with the sign from the way the person faces (``facing``); ``neck`` is
        then ``180 − inner``. Applies to ``joint`` angles; inclinations are as they are.
    reference
        What the hips and shoulders are measured against: ``"same_side"`` (shoulder–hip–knee,
        hip–shoulder–elbow) or ``"trunk"`` (the trunk midline mid_hip–mid_shoulder, as
        Sports2D and most gait labs). On the same keypoints they differ by the angle between
        the same-side shoulder–hip line and the midline (often 5–15° in 2D).
    facing
        For ``convention="signed"``: ``"auto"`` per frame from the nose (:func:`facing`),
        or force ``"right"`` / ``"left"``.
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
    if convention not in ("inner", "flexion", "signed"):
        raise ValueError(f"convention must be 'inner', 'flexion' or 'signed', got {convention!r}")
    if reference not in ("same_side", "trunk"):
        raise ValueError(f"reference must be 'same_side' or 'trunk', got {reference!r}")
    if facing not in ("auto", "right", "left"):
        raise ValueError(f"facing must be 'auto', 'right' or 'left', got {facing!r}")
    defs = _resolve(names, JOINT_ANGLES)
    return _table(kp, defs, convention, unwrap, reference, facing)


@logs_history
@per_clip
def segment_angles(
    kp: pd.DataFrame, /, *, names: Iterable[str] | str | None = None, unwrap: bool = False
) -> pd.DataFrame:
    """Segment angles (degrees) against the image horizontal, in (-180, 180].

    Counter-clockwise as seen on the picture: a segment pointing right is 0, up +90, left 180,
    down −90. With ``unwrap=True`` the series are continuous in time (may leave (-180, 180]).
    Layout as :func:`joint_angles`.

    Parameters
    ----------
    kp
        A keypoints table.
    names
        Angles to compute (see :func:`describe`); default every ``segment`` angle of
        :data:`DEFINITIONS` (upper arms, forearms, thighs, shanks, trunk, shoulder and hip
        lines).
    unwrap
        Remove ±360° jumps along time per person.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), one column per angle, plus ``time`` (s) when fps is
        known. NaN where a point is missing or a segment has zero length.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> thigh = pk.angles.segment_angles(kp, names="left_thigh")["left_thigh"]
    >>> bool(thigh.between(-180, 180).all())
    True
    """
    defs = _resolve(names, SEGMENT_ANGLES)
    return _table(kp, defs, "inner", unwrap)


@logs_history
@per_clip
def custom_angles(
    kp: pd.DataFrame,
    definitions: Mapping[str, Sequence[str]],
    /,
    *,
    convention: Literal["inner", "flexion"] = "inner",
    unwrap: bool = False,
) -> pd.DataFrame:
    """User-defined angles, named by the caller.

    Parameters
    ----------
    kp
        A keypoints table.
    definitions
        ``{"name": (a, b, c)}`` is the inner angle at ``b``; ``{"name": (a, b)}`` the segment
        angle of ``a→b``. Points are joint or midpoint names (:data:`POINTS`).
    convention
        ``"inner"`` (180 = straight) or ``"flexion"`` (180 − inner) for the 3-point angles.
    unwrap
        Remove ±360° jumps along time per person (segment angles).

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), one column per definition, plus ``time`` (s) when fps
        is known.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("arm_raise", duration_s=4, fps=30).result.keypoints()
    >>> ang = pk.angles.custom_angles(kp, {"arm_trunk": ("mid_hip", "mid_shoulder", "right_wrist")})
    >>> list(ang.columns)
    ['arm_trunk', 'time']
    """
    return _table(kp, _user_defs(definitions), convention, unwrap)


def _user_defs(definitions: Mapping[str, Sequence[str]]) -> list[AngleDef]:
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
    return defs


@logs_history
@per_clip
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

    Parameters
    ----------
    kp
        A keypoints table.
    a, b, c
        Joint or midpoint names (:data:`POINTS`); without ``c``, the segment angle of a→b.
    convention
        ``"inner"`` (180 = straight) or ``"flexion"`` (180 − inner) for a 3-point angle.
    unwrap
        Remove ±360° jumps along time per person (segment angles).

    Returns
    -------
    Series
        Degrees, indexed by (frame, object_id), named ``"a-b-c"`` (or ``"a-b"``).

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
    >>> knee = pk.angles.angle(kp, "left_hip", "left_knee", "left_ankle")
    >>> knee.name, bool(knee.between(90, 180).all())
    ('left_hip-left_knee-left_ankle', True)
    """
    pts = (a, b) if c is None else (a, b, c)
    name = "-".join(pts)
    table = _table(kp, _user_defs({name: pts}), convention, unwrap)
    out = table[name]
    out.attrs = dict(table.attrs)
    return out
