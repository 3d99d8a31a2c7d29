"""Body proportions and forward kinematics of the synthetic stick figure.

Lengths are fractions of standing height *H* (Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed., fig. 4.1, after Drillis & Contini 1966). The figure is 2D: every segment
moves in a plane parallel to the image (the sagittal plane in *profile* view, the frontal plane in
*frontal* view), so the inner joint angles seen in the picture equal the designed ones exactly.

Coordinates here are body-plane coordinates in units of H: ``u`` along the body's forward (profile)
or leftward (frontal) axis, ``v`` up from the floor. :func:`to_image` maps them to pixels.

Directions of segments are angles in degrees measured from the downward vertical, positive
towards +u: a direction ``d`` is the unit vector ``(sin d, -cos d)`` in (u, v). With that
convention the inner angle between two segments leaving a joint with directions ``d1`` and
``d2`` is ``|wrap(d1 - d2)|`` (:func:`inner_angle`).
"""

from __future__ import annotations

import numpy as np

from posekit.schema import JOINT_INDEX, N_JOINTS

__all__ = ["SEGMENT", "inner_angle", "to_image", "unit"]

#: Segment lengths and landmark heights as fractions of standing height (Winter fig. 4.1).
SEGMENT: dict[str, float] = {
    "ankle_height": 0.039,
    "knee_height": 0.285,
    "hip_height": 0.530,
    "shoulder_height": 0.818,
    "chin_height": 0.870,
    "eye_height": 0.936,
    "thigh": 0.530 - 0.285,  # 0.245: hip (greater trochanter) to knee
    "shank": 0.285 - 0.039,  # 0.246: knee to ankle
    "trunk": 0.818 - 0.530,  # 0.288: hip to shoulder (acromion)
    "upper_arm": 0.186,
    "forearm": 0.146,
    "shoulder_width": 0.259,  # biacromial
    "hip_width": 0.191,
}

# Head landmarks relative to the neck base (mid-shoulders), in units of H:
# (forward, up, leftward). Ear roughly above the acromion (upright posture), eyes ~8 cm in front
# of the ear, nose tip ~11 cm in front of it and a little below the eyes; eyes ~6.3 cm apart,
# ears ~15 cm apart.
HEAD: dict[str, tuple[float, float, float]] = {
    "nose": (0.065, 0.095, 0.0),
    "left_eye": (0.048, 0.118, 0.018),
    "right_eye": (0.048, 0.118, -0.018),
    "left_ear": (-0.004, 0.105, 0.043),
    "right_ear": (-0.004, 0.105, -0.043),
}

# Profile view: where the far and near sides of the body appear. Each side is shifted by one
# constant vector (an oblique projection), so angles within a side are unchanged; the far side
# sits a little higher and ahead, as seen from a camera slightly above hip height, and the near
# side the opposite way, so the two legs do not lie exactly on top of each other.
FAR_SIDE_SHIFT = np.array([0.015, 0.012])  # (u, v), units of H


def unit(direction_deg: np.ndarray) -> np.ndarray:
    """Unit vectors ``(sin d, -cos d)`` in (u, v) for directions ``d`` (degrees), shape (..., 2).

    Parameters
    ----------
    direction_deg
        Directions in degrees from the downward vertical, positive towards +u; any shape.

    Returns
    -------
    ndarray
        ``direction_deg.shape + (2,)``: the (u, v) components.

    Examples
    --------
    Straight down is (0, -1); 90° points along +u:

    >>> import numpy as np
    >>> from posekit.synth.body import unit
    >>> np.round(unit(np.array([0.0, 90.0])), 12).tolist()
    [[0.0, -1.0], [1.0, -0.0]]
    """
    d = np.deg2rad(direction_deg)
    return np.stack([np.sin(d), -np.cos(d)], axis=-1)


def inner_angle(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Unsigned angle in [0, 180] between two directions (degrees).

    Parameters
    ----------
    d1, d2
        Directions in degrees (arrays broadcast against each other).

    Returns
    -------
    ndarray
        ``|wrap(d1 - d2)|`` in degrees, wrapped into [0, 180].

    Examples
    --------
    170° and −170° are 20° apart, across the wrap:

    >>> from posekit.synth.body import inner_angle
    >>> float(inner_angle(170.0, -170.0)), float(inner_angle(0.0, 90.0))
    (20.0, 90.0)
    """
    return np.abs((np.asarray(d1) - np.asarray(d2) + 180.0) % 360.0 - 180.0)


def _empty(n: int) -> np.ndarray:
    return np.zeros((n, N_JOINTS, 2))


def profile_points(
    *,
    pelvis: np.ndarray,
    trunk: np.ndarray,
    head: np.ndarray,
    limbs: dict[str, dict[str, np.ndarray]],
    facing: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward kinematics in profile view (sagittal plane, facing +u).

    Parameters
    ----------
    pelvis
        (F, 2) hip-joint position (u, v), in H.
    trunk
        (F,) forward lean of the trunk from the upward vertical, degrees.
    head
        (F,) forward tilt of the head (neck-base-to-head) from the upward vertical, degrees.
    limbs
        For ``"left"`` and ``"right"``: directions (degrees from downward vertical, forward
        positive) of ``thigh``, ``shank``, ``upper_arm``, ``forearm``, each (F,).
    facing
        +1 if the figure will face image right (its left side is then the far side), -1 if
        left; a scalar or (F, 1) per frame.

    Returns
    -------
    points
        (F, 17, 2) in (u, v), units of H.
    angles
        Inner joint angles (degrees) computed from the segment directions, not from the points.
    """
    n = len(trunk)
    pts = _empty(n)
    s = SEGMENT
    trunk_up = 180.0 - trunk  # direction hip -> shoulder
    shoulder = pelvis + s["trunk"] * unit(trunk_up)
    angles: dict[str, np.ndarray] = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        lim = limbs[side]
        shift = sign * facing * FAR_SIDE_SHIFT
        hip = pelvis + shift
        knee = hip + s["thigh"] * unit(lim["thigh"])
        ankle = knee + s["shank"] * unit(lim["shank"])
        sho = shoulder + shift
        elbow = sho + s["upper_arm"] * unit(lim["upper_arm"])
        wrist = elbow + s["forearm"] * unit(lim["forearm"])
        for name, p in (("shoulder", sho), ("elbow", elbow), ("wrist", wrist),
                        ("hip", hip), ("knee", knee), ("ankle", ankle)):  # fmt: skip
            pts[:, JOINT_INDEX[f"{side}_{name}"]] = p
        angles[f"{side}_elbow"] = inner_angle(lim["upper_arm"] + 180.0, lim["forearm"])
        angles[f"{side}_shoulder"] = inner_angle(-trunk, lim["upper_arm"])
        angles[f"{side}_hip"] = inner_angle(trunk_up, lim["thigh"])
        angles[f"{side}_knee"] = inner_angle(lim["thigh"] + 180.0, lim["shank"])
    # head: rotate (forward, up) offsets by the head tilt; the far-side eye/ear get the side shift
    t = np.deg2rad(head)[:, None]
    c, si = np.cos(t), np.sin(t)
    for name, (fwd, up, left) in HEAD.items():
        u = fwd * c + up * si
        v = -fwd * si + up * c
        side_shift = np.sign(left) * facing * FAR_SIDE_SHIFT
        pts[:, JOINT_INDEX[name]] = shoulder + np.concatenate([u, v], axis=1) + side_shift
    return pts, angles


def frontal_points(
    *,
    pelvis: np.ndarray,
    limbs: dict[str, dict[str, np.ndarray]],
    facing: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward kinematics in frontal view (person facing the camera, their left at image right).

    Parameters
    ----------
    pelvis
        (F, 2) mid-hip position (u, v) in H; u points to the person's left.
    limbs
        For ``"left"`` and ``"right"``: abduction (degrees from the downward vertical, away from
        the midline) of ``upper_arm``, ``forearm``, ``thigh``, ``shank``, each (F,).
    facing
        Ignored (the person faces the camera); accepted for symmetry with
        :func:`profile_points`.

    Returns
    -------
    points, angles
        As :func:`profile_points`.
    """
    n = len(pelvis)
    pts = _empty(n)
    s = SEGMENT
    angles: dict[str, np.ndarray] = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        lim = limbs[side]
        hip = pelvis + np.array([sign * s["hip_width"] / 2, 0.0])
        sho = pelvis + np.array([sign * s["shoulder_width"] / 2, s["trunk"]])
        d = {k: sign * v for k, v in lim.items()}  # abduction -> direction in (u, v)
        knee = hip + s["thigh"] * unit(d["thigh"])
        ankle = knee + s["shank"] * unit(d["shank"])
        elbow = sho + s["upper_arm"] * unit(d["upper_arm"])
        wrist = elbow + s["forearm"] * unit(d["forearm"])
        for name, p in (("shoulder", sho), ("elbow", elbow), ("wrist", wrist),
                        ("hip", hip), ("knee", knee), ("ankle", ankle)):  # fmt: skip
            pts[:, JOINT_INDEX[f"{side}_{name}"]] = p
        # direction shoulder -> hip of the same side (fixed by the body's proportions)
        dx = sign * (s["hip_width"] - s["shoulder_width"]) / 2
        sho_to_hip = np.rad2deg(np.arctan2(dx, s["trunk"]))
        angles[f"{side}_elbow"] = inner_angle(d["upper_arm"] + 180.0, d["forearm"])
        angles[f"{side}_shoulder"] = inner_angle(np.full(n, sho_to_hip), d["upper_arm"])
        angles[f"{side}_hip"] = inner_angle(np.full(n, sho_to_hip + 180.0), d["thigh"])
        angles[f"{side}_knee"] = inner_angle(d["thigh"] + 180.0, d["shank"])
    neck = pelvis + np.array([0.0, s["trunk"]])
    for name, (_fwd, up, left) in HEAD.items():
        pts[:, JOINT_INDEX[name]] = neck + np.array([left, up])
    return pts, angles


def to_image(
    points: np.ndarray,
    *,
    x0: float | np.ndarray,
    ground_y: float,
    height_px: float,
    facing: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Body-plane points (units of H, v up) to image pixels (x right, y down).

    ``x0`` and ``facing`` may be arrays that broadcast against ``points[..., 0]`` (e.g. (F, 1)
    for one value per frame).

    Parameters
    ----------
    points
        ``(..., 2)`` body-plane points (u, v) in units of the standing height H.
    x0
        Image column (px) where u = 0 lands.
    ground_y
        Image row (px) of the floor (v = 0).
    height_px
        The standing height H in pixels.
    facing
        +1, or -1 to mirror the figure (walking left instead of right).

    Returns
    -------
    ndarray
        Same shape as ``points``: image (x, y) in pixels, y pointing down.

    Examples
    --------
    Half a body height forward and one height up, for a 400 px figure standing on row 700:

    >>> import numpy as np
    >>> from posekit.synth.body import to_image
    >>> to_image(np.array([[0.5, 1.0]]), x0=100, ground_y=700, height_px=400).tolist()
    [[300.0, 300.0]]
    >>> to_image(np.array([[0.5, 1.0]]), x0=100, ground_y=700, height_px=400, facing=-1).tolist()
    [[-100.0, 300.0]]
    """
    out = np.empty_like(points)
    out[..., 0] = x0 + facing * height_px * points[..., 0]
    out[..., 1] = ground_y - height_px * points[..., 1]
    return out
