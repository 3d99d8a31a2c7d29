"""Where the people are: size, position, direction and path of each person in the image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posekit._renamed import renamed
from posekit.schema import JOINTS
from posekit.synth import motion as _motion
from posekit.synth.body import SEGMENT, to_image

__all__ = ["Placed", "place"]

LEAD_IN_S = 0.5  # people stand still for a moment before the first repetition
_SCALES = (1.0, 0.86, 0.93, 0.8, 0.9)  # size of further people (farther from the camera)
_SEGMENT_NAMES = ("trunk", "thigh", "shank", "upper_arm", "forearm", "shoulder_width", "hip_width")
_LEFT = np.array([j.startswith("left_") for j in JOINTS])
_RIGHT = np.array([j.startswith("right_") for j in JOINTS])


@dataclass
class Placed:
    """One person in image pixels.

    Parameters
    ----------
    truth
        ``(F, 17, 2)`` exact keypoints in pixels.
    angles
        Exact inner joint angles (degrees), one (F,) array per angle name.
    far_side
        ``(F, 17)`` bool: the joint is on the side away from the camera.
    in_view
        ``(F,)`` bool: the person can be detected in this frame.
    height_px
        Standing height in pixels.
    info
        What to record about the person (size, path, events; see :func:`place`).

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.synth.scene import Placed
    >>> p = Placed(np.zeros((3, 17, 2)), {}, np.zeros((3, 17), bool), np.ones(3, bool), 400.0)
    >>> p.truth.shape, p.info
    ((3, 17, 2), {})
    """

    truth: np.ndarray  # (F, 17, 2) exact keypoints, pixels
    angles: dict[str, np.ndarray]  # (F,) each, degrees
    far_side: np.ndarray  # (F, 17) bool: joint on the side away from the camera
    in_view: np.ndarray  # (F,) bool: the person can be detected in this frame
    height_px: float
    info: dict[str, Any] = field(default_factory=dict)


def _walk_path(
    t: np.ndarray, *, i: int, h: float, speed: float, width: int, lane: tuple[float, float],
    duration: float, path: str,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:  # fmt: skip
    """Pelvis x (F,) and facing (F,) of a walker, and what to record about the path."""
    if path == "through":
        # back and forth across the whole image at natural speed, turning out of view
        m = 0.45 * h
        span = width + 2 * m
        s = (0.4 * h + m + 0.61 * (i // 2) * span + speed * t) % (2 * span)
        x = np.where(s < span, s, 2 * span - s) - m
        facing = np.where(s < span, 1.0, -1.0)
        if i % 2:
            x, facing = width - x, -facing
        return x, facing, {"speed_px_s": speed, "natural_speed_px_s": speed}
    lo, hi = lane
    f0 = 1.0 if i % 2 == 0 else -1.0
    margin = 0.35 * h
    travel = min(max(hi - lo - 2 * margin, 0.0), speed * duration)
    v = travel / duration
    x = (lo + hi) / 2 - f0 * travel / 2 + f0 * v * t
    return x, np.full_like(t, f0), {"speed_px_s": v, "natural_speed_px_s": speed}


@renamed(rate="rate_hz")
def place(
    activity: str,
    t: np.ndarray,
    *,
    duration: float,
    rate_hz: float,
    n_people: int,
    width: int,
    height: int,
    person_height_px: float | None,
    walk_path: str,
    rngs: list[np.random.Generator],
) -> list[Placed]:
    """Motion and placement of every person (see :func:`posekit.synth.generate`).

    Parameters
    ----------
    activity
        ``"walk"``, ``"squat"`` or ``"arm_raise"``.
    t
        ``(F,)`` frame times in seconds.
    duration
        Length of the recording in seconds.
    rate_hz
        The movement's rate: steps or repetitions per second (``rate=`` is the old name,
        deprecated).
    n_people
        People side by side, each in its own slot of the image width.
    width, height
        Image size in pixels.
    person_height_px
        Standing height of the first person in pixels; None fits the image and slot. Later
        people are smaller (farther away).
    walk_path
        ``"in_view"`` or ``"through"`` (see :func:`posekit.synth.generate`).
    rngs
        One random generator per person.

    Returns
    -------
    list of Placed
        One per person.

    Examples
    --------
    The second person is 0.86 as tall as the first (432 px: 0.6 of a 720 px image):

    >>> import numpy as np
    >>> from posekit.synth.scene import place
    >>> t = np.arange(30) / 30
    >>> people = place("squat", t, duration=1.0, rate_hz=1.0, n_people=2, width=1280,
    ...                height=720, person_height_px=None, walk_path="in_view",
    ...                rngs=[np.random.default_rng(i) for i in range(2)])
    >>> [p.height_px for p in people], people[0].truth.shape
    ([432.0, 371.52], (30, 17, 2))
    """
    slot_w = width / n_people
    base_h = float(person_height_px) if person_height_px else min(0.6 * height, 0.85 * slot_w)
    out = []
    for i in range(n_people):
        scale = _SCALES[i % len(_SCALES)]
        h = base_h * scale
        ground = height * (0.93 - (1.0 - scale) * 0.3)
        lane = (i * slot_w, (i + 1) * slot_w)
        cx = (i + 0.5) * slot_w
        if activity == "walk":
            mo = _motion.walk(t, duration_s=duration, rate_hz=rate_hz, phase0=(0.37 * i) % 1.0,
                              rng=rngs[i])  # fmt: skip
            x0, facing, extra = _walk_path(
                t, i=i, h=h, speed=mo.speed_h_per_s * h, width=width, lane=lane,
                duration=duration, path=walk_path,
            )  # fmt: skip
        else:
            fn = _motion.squat if activity == "squat" else _motion.arm_raise
            start = LEAD_IN_S + 0.35 * i / rate_hz
            mo = fn(t, duration_s=duration, rate_hz=rate_hz, start_s=start, rng=rngs[i])
            facing = np.ones_like(t)
            x0 = np.full_like(t, cx - (0.1 * h if activity == "squat" else 0.0))
            extra = {}
        truth = to_image(mo.points(facing), x0=x0[:, None], ground_y=ground, height_px=h,
                         facing=facing[:, None])  # fmt: skip
        if mo.view == "profile":  # facing image right, the left side is away from the camera
            far = np.where((facing > 0)[:, None], _LEFT[None], _RIGHT[None])
        else:
            far = np.zeros((len(t), len(JOINTS)), dtype=bool)
        if activity == "walk" and walk_path == "through":
            lo_ok = np.all(truth >= 0, axis=2)
            hi_ok = np.all(truth <= np.array([width - 1, height - 1]), axis=2)
            in_view = np.all(lo_ok & hi_ok, axis=1)
        else:
            in_view = np.ones(len(t), dtype=bool)
        info: dict[str, Any] = {
            "height_px": h,
            "ground_y": ground,
            "facing": float(facing[0]) if np.all(facing == facing[0]) else "changes",
            "segment_lengths_px": {k: SEGMENT[k] * h for k in _SEGMENT_NAMES},
            **extra,
            **mo.info,
            "view": mo.view,
        }
        out.append(Placed(truth, mo.angles, far, in_view, h, info))
    return out
