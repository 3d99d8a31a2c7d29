"""Joint-angle trajectories of the synthetic activities, and their ground truth.

Each activity function takes the time axis and one person's settings, defines segment directions
over time, runs the forward kinematics of :mod:`posekit.synth.body`, and returns a
:class:`Motion`: points in body units, the exact inner joint angles, and the events an analysis
should find (repetition peaks, heel strikes).

* ``walk`` (profile): thigh and knee curves of normal gait as periodic cubic splines through
  values read off the normative sagittal curves (Winter, *Biomechanics and Motor Control of
  Human Movement*, 2009; Perry & Burnfield, *Gait Analysis*, 2010): thigh 28° forward of
  vertical at heel strike, 11° behind at mid-cycle; knee 5° at heel strike, an 18°
  loading-response bump, a 62° peak in swing. The stance ankle stays on the floor: the pelvis
  height is set so the lower ankle touches it. Arms swing opposite to the legs.
* ``squat`` (profile): knee flexion from ~3° to ~100° and back, a raised-cosine profile per
  repetition (zero velocity at both ends), shank, thigh and trunk sharing the flexion in fixed
  ratios so the ankles stay put and the body stays balanced over the feet; arms reach forward.
* ``arm_raise`` (frontal): both arms abducted from 10° to ~160° and back, raised-cosine
  profile, a slight elbow bend that grows with the raise; legs still.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from posekit.synth.body import SEGMENT, frontal_points, profile_points, unit

__all__ = ["Motion", "arm_raise", "squat", "walk"]

# -- gait curves (degrees) against the fraction of the gait cycle, heel strike at 0 -----------
_THIGH_P = [0.0, 0.10, 0.30, 0.50, 0.60, 0.75, 0.88, 1.0]
_THIGH_V = [28.0, 24.0, 5.0, -11.0, -6.0, 18.0, 30.0, 28.0]
_KNEE_P = [0.0, 0.15, 0.40, 0.60, 0.72, 0.85, 0.95, 1.0]
_KNEE_V = [5.0, 18.0, 5.0, 38.0, 62.0, 35.0, 5.0, 5.0]
_THIGH = CubicSpline(_THIGH_P, _THIGH_V, bc_type="periodic")
_KNEE = CubicSpline(_KNEE_P, _KNEE_V, bc_type="periodic")
TOE_OFF = 0.62  # fraction of the gait cycle at toe-off


@dataclass
class Motion:
    """One person's movement: exact angles, events, and the points for a facing direction.

    Parameters
    ----------
    pose
        Forward kinematics with the motion bound (a partial of
        :func:`posekit.synth.body.profile_points` or ``frontal_points``), called with
        ``facing=``; returns (points, angles).
    angles
        Exact inner joint angles (degrees), one (F,) array per angle name.
    view
        ``"profile"`` or ``"frontal"``.
    info
        The events and settings an analysis should recover (``n_reps``, ``rep_times_s``,
        ``cadence_spm``, ``heel_strike_times_s``...).
    speed_h_per_s
        Natural walking speed in body heights per second (0 for the activities in place).

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.synth.motion import squat
    >>> t = np.arange(30) / 30
    >>> mo = squat(t, duration_s=1.0, rate_hz=1.0, start_s=0.0, rng=np.random.default_rng(0))
    >>> mo.view, sorted(mo.angles)[:2], mo.speed_h_per_s
    ('profile', ['left_elbow', 'left_hip'], 0.0)
    """

    pose: Callable[..., tuple[np.ndarray, dict[str, np.ndarray]]]
    angles: dict[str, np.ndarray]
    view: str
    info: dict[str, Any] = field(default_factory=dict)
    speed_h_per_s: float = 0.0  # natural walking speed (body heights per second)

    def points(self, facing: np.ndarray) -> np.ndarray:
        """(F, 17, 2) points in units of H for facing +1 / -1 per frame (F,).

        Facing decides which side is drawn as the far one; mirroring is done by the caller.

        Parameters
        ----------
        facing
            ``(F,)`` +1 (facing image right) or -1 (left) per frame.

        Returns
        -------
        ndarray
            ``(F, 17, 2)`` body-plane points (u forward, v up) in units of the standing height.

        Examples
        --------
        >>> import numpy as np
        >>> from posekit.synth.motion import walk
        >>> t = np.arange(30) / 30
        >>> mo = walk(t, duration_s=1.0, rate_hz=2.0, phase0=0.0, rng=np.random.default_rng(0))
        >>> pts = mo.points(np.ones(30))
        >>> pts.shape, bool(pts[..., 1].max() < 1.0)  # nothing above the standing height
        ((30, 17, 2), True)
        """
        return self.pose(facing=np.asarray(facing, dtype=np.float64)[:, None])[0]


def _rep_profile(
    t: np.ndarray, *, duration_s: float, rate_hz: float, start_s: float, depths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Raised-cosine repetitions: 0 at rest, ``depths[k]`` at the middle of repetition k.

    Only whole repetitions that end within the recording are performed; before ``start_s`` and
    after the last one the person rests. Returns the profile and the peak times.
    """
    period = 1.0 / rate_hz
    n_reps = max(int(np.floor((duration_s - start_s) / period + 1e-9)), 0)
    n_reps = min(n_reps, len(depths))
    phase = (t - start_s) / period  # repetitions done
    k = np.floor(phase).astype(np.int64)
    active = (phase >= 0) & (k < n_reps)
    depth = np.where(active, depths[np.clip(k, 0, max(len(depths) - 1, 0))], 0.0)
    u = depth * 0.5 * (1.0 - np.cos(2.0 * np.pi * (phase - k)))
    peaks = start_s + (np.arange(n_reps) + 0.5) * period
    return np.where(active, u, 0.0), peaks


def walk(
    t: np.ndarray,
    *,
    duration_s: float,
    rate_hz: float,
    phase0: float,
    rng: np.random.Generator,
) -> Motion:
    """Walking in profile; ``rate_hz`` is the step rate (two steps per stride).

    Parameters
    ----------
    t
        ``(F,)`` frame times in seconds.
    duration_s
        Length of the recording in seconds (events are listed up to it).
    rate_hz
        Steps per second.
    phase0
        Gait-cycle phase (0–1) of the left leg at t = 0; 0 is a left heel strike.
    rng
        Random generator for the person-to-person range of motion.

    Returns
    -------
    Motion
        ``info`` holds ``step_rate_hz``, ``stride_rate_hz``, ``cadence_spm``,
        ``heel_strike_times_s`` and ``toe_off_times_s`` per side, ``gait_phase0``.

    Examples
    --------
    Two steps per second: a cadence of 120 steps/min, a left heel strike every second:

    >>> import numpy as np
    >>> from posekit.synth.motion import walk
    >>> t = np.arange(60) / 30
    >>> mo = walk(t, duration_s=2.0, rate_hz=2.0, phase0=0.0, rng=np.random.default_rng(0))
    >>> mo.info["cadence_spm"], mo.info["heel_strike_times_s"]["left"]
    (120.0, [0.0, 1.0])
    """
    stride_hz = rate_hz / 2.0
    amp = 1.0 + 0.04 * rng.standard_normal(2)  # person-to-person range of motion
    p_left = (t * stride_hz + phase0) % 1.0
    limbs = {}
    thighs = {}
    for side, p in (("left", p_left), ("right", (p_left + 0.5) % 1.0)):
        thigh = 9.0 + amp[0] * (_THIGH(p) - 9.0)
        knee = amp[1] * _KNEE(p)
        thighs[side] = thigh
        limbs[side] = {"thigh": thigh, "shank": thigh - knee}
    for side, other in (("left", "right"), ("right", "left")):
        arm = 2.0 + 0.55 * (thighs[other] - 9.0)  # arm swings with the opposite leg
        elbow = 20.0 + 0.5 * (arm + 10.0)
        limbs[side]["upper_arm"] = arm
        limbs[side]["forearm"] = arm + elbow
    trunk = 5.0 + 1.5 * np.cos(4.0 * np.pi * p_left)
    # pelvis height: the lower ankle is on the floor
    drop = np.maximum(
        *(
            SEGMENT["thigh"] * np.cos(np.deg2rad(lim["thigh"]))
            + SEGMENT["shank"] * np.cos(np.deg2rad(lim["shank"]))
            for lim in limbs.values()
        )
    )
    pelvis = np.stack([np.zeros_like(t), SEGMENT["ankle_height"] + drop], axis=1)
    pose = partial(profile_points, pelvis=pelvis, trunk=trunk, head=0.3 * trunk, limbs=limbs)
    _, angles = pose(facing=1.0)
    # speed at which the stance foot would not slide: ankle travel (relative to the pelvis)
    # between heel strike and toe-off, over the stance time
    p = np.array([0.0, TOE_OFF])
    th = 9.0 + amp[0] * (_THIGH(p) - 9.0)
    rel = unit(th)[:, 0] * SEGMENT["thigh"] + unit(th - amp[1] * _KNEE(p))[:, 0] * SEGMENT["shank"]
    speed = float((rel[0] - rel[1]) * stride_hz / TOE_OFF)
    duration = duration_s

    def events(p_event: float) -> dict[str, list[float]]:
        out = {}
        for side, offset in (("left", 0.0), ("right", 0.5)):
            # cycle phase of this side is (t * stride_hz + phase0 + offset) % 1
            first = ((p_event - phase0 - offset) % 1.0) / stride_hz
            times = np.arange(first, duration, 1.0 / stride_hz)
            out[side] = [float(x) for x in times[times < duration - 1e-9]]
        return out

    info = {
        "step_rate_hz": rate_hz,
        "stride_rate_hz": stride_hz,
        "cadence_spm": 60.0 * rate_hz,
        "heel_strike_times_s": events(0.0),
        "toe_off_times_s": events(TOE_OFF),
        "gait_phase0": phase0,
    }
    return Motion(pose=pose, angles=angles, view="profile", info=info, speed_h_per_s=speed)


def squat(
    t: np.ndarray,
    *,
    duration_s: float,
    rate_hz: float,
    start_s: float,
    rng: np.random.Generator,
) -> Motion:
    """Bodyweight squats in profile; ``rate_hz`` repetitions per second.

    Each repetition is a raised cosine of knee flexion from 3° to about 97° (±4% per
    repetition) and back; only whole repetitions that end within the recording are done.

    Parameters
    ----------
    t
        ``(F,)`` frame times in seconds.
    duration_s
        Length of the recording in seconds.
    rate_hz
        Repetitions per second.
    start_s
        Time (s) the first repetition starts; the person stands still before.
    rng
        Random generator for the depth of each repetition.

    Returns
    -------
    Motion
        ``info`` holds ``n_reps``, ``rep_times_s`` (deepest points), ``rep_depth_deg`` (peak
        knee flexion) and ``start_s``.

    Examples
    --------
    One squat in one second, deepest at 0.5 s; standing, the inner knee angle is 180 − 3°:

    >>> import numpy as np
    >>> from posekit.synth.motion import squat
    >>> t = np.arange(30) / 30
    >>> mo = squat(t, duration_s=1.0, rate_hz=1.0, start_s=0.0, rng=np.random.default_rng(0))
    >>> mo.info["n_reps"], mo.info["rep_times_s"], float(mo.angles["left_knee"][0])
    (1, [0.5], 177.0)
    """
    max_reps = int(np.ceil(duration_s * rate_hz)) + 1
    depth_deg = 97.0 * (1.0 + 0.04 * rng.standard_normal(max_reps))  # peak knee flexion
    rest = 3.0
    u, peaks = _rep_profile(
        t, duration_s=duration_s, rate_hz=rate_hz, start_s=start_s, depths=depth_deg - rest
    )
    knee = rest + u  # knee flexion, degrees
    shank_tilt = 0.32 * knee  # ankle dorsiflexion: the knees travel forward
    thigh_tilt = knee - shank_tilt
    trunk = 2.0 + 0.45 * (knee - rest)
    ankle = np.array([0.0, SEGMENT["ankle_height"]])
    pelvis = ankle - SEGMENT["shank"] * unit(-shank_tilt) - SEGMENT["thigh"] * unit(thigh_tilt)
    frac = (knee - rest) / (97.0 - rest)
    arm = 8.0 + 80.0 * frac  # arms reach forward for balance
    limb = {"thigh": thigh_tilt, "shank": -shank_tilt, "upper_arm": arm, "forearm": arm + 10.0}
    pose = partial(
        profile_points,
        pelvis=pelvis,
        trunk=trunk,
        head=0.4 * trunk,
        limbs={"left": limb, "right": dict(limb)},
    )
    _, angles = pose(facing=1.0)
    n = len(peaks)
    info = {
        "n_reps": n,
        "rep_times_s": [float(x) for x in peaks],
        "rep_depth_deg": [float(x) for x in depth_deg[:n]],  # peak knee flexion per rep
        "start_s": start_s,
    }
    return Motion(pose=pose, angles=angles, view="profile", info=info)


def arm_raise(
    t: np.ndarray,
    *,
    duration_s: float,
    rate_hz: float,
    start_s: float,
    rng: np.random.Generator,
) -> Motion:
    """Bilateral lateral arm raises, facing the camera; ``rate_hz`` repetitions per second.

    The arms rise from 10° of abduction to about 160° (the left reaching 96% as far) and
    back, a raised cosine per repetition.

    Parameters
    ----------
    t
        ``(F,)`` frame times in seconds.
    duration_s
        Length of the recording in seconds.
    rate_hz
        Repetitions per second.
    start_s
        Time (s) the first repetition starts.
    rng
        Random generator for the height of each repetition.

    Returns
    -------
    Motion
        Frontal view; ``info`` holds ``n_reps``, ``rep_times_s`` (highest points),
        ``rep_peak_abduction_deg`` per side and ``start_s``.

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.synth.motion import arm_raise
    >>> t = np.arange(60) / 30
    >>> mo = arm_raise(t, duration_s=2.0, rate_hz=1.0, start_s=0.0, rng=np.random.default_rng(0))
    >>> mo.view, mo.info["n_reps"], mo.info["rep_times_s"]
    ('frontal', 2, [0.5, 1.5])
    """
    max_reps = int(np.ceil(duration_s * rate_hz)) + 1
    peak_deg = 160.0 + 3.0 * rng.standard_normal(max_reps)
    rest = 10.0
    u, peaks = _rep_profile(
        t, duration_s=duration_s, rate_hz=rate_hz, start_s=start_s, depths=peak_deg - rest
    )
    limbs = {}
    for side, reach in (("right", 1.0), ("left", 0.96)):  # a slightly weaker left side
        abd = rest + reach * u
        bend = 6.0 + 8.0 * u / 150.0
        limbs[side] = {
            "upper_arm": abd,
            "forearm": abd + bend,
            "thigh": np.full_like(t, 4.0),
            "shank": np.full_like(t, 1.0),
        }
    hip_v = (
        SEGMENT["ankle_height"]
        + SEGMENT["thigh"] * np.cos(np.deg2rad(4.0))
        + SEGMENT["shank"] * np.cos(np.deg2rad(1.0))
    )
    pelvis = np.stack([np.zeros_like(t), np.full_like(t, hip_v)], axis=1)
    pose = partial(frontal_points, pelvis=pelvis, limbs=limbs)
    _, angles = pose()
    n = len(peaks)
    info = {
        "n_reps": n,
        "rep_times_s": [float(x) for x in peaks],
        "rep_peak_abduction_deg": {
            "right": [float(x) for x in peak_deg[:n]],
            "left": [float(rest + 0.96 * (x - rest)) for x in peak_deg[:n]],
        },
        "start_s": start_s,
    }
    return Motion(pose=pose, angles=angles, view="frontal", info=info)
