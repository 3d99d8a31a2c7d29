"""Kinematics of keypoints.

Displacement, velocity, speed, acceleration, jerk, path length, angular velocity and
trajectories.

Derivatives are taken along time per (object_id, joint, coordinate) on a dense array whose frame
axis holds every frame from the first to the last (frames absent from the table are NaN), so a
gap in the table is a gap in time, never two neighbours.

NaN handling: a derivative needs every sample its stencil touches. With ``method="central"`` the
velocity at frame i uses frames i−1 and i+1, so it is NaN at the first and last frame, at every
missing sample and next to one. Nothing is filled in and nothing smears further than the stencil.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy.ndimage import convolve1d
from scipy.signal import savgol_coeffs

from posekit._history import logs_history
from posekit._levels import per_clip
from posekit._points import check_points, dense_frames, per_frame_table
from posekit._renamed import renamed
from posekit._tables import DenseKeypoints, to_dense
from posekit.tidy import JOINT_DTYPE, get_fps
from posekit.units import length_unit

__all__ = [
    "acceleration",
    "angular_velocity",
    "displacement",
    "jerk",
    "path_length",
    "speed",
    "torso_length",
    "trajectory",
    "velocity",
]

Method = Literal["central", "savgol"]
Normalize = Literal["torso"] | None


def _derivative(
    values: np.ndarray,
    order: int,
    dt: float,
    method: str,
    window: int,
    polyorder: int,
) -> np.ndarray:
    """``order``-th time derivative along axis 0; NaN wherever the stencil meets a NaN or an end."""
    if method == "central":
        if values.shape[0] < 3:
            return np.full_like(values, np.nan)
        out = np.empty_like(values)
        out[0] = out[-1] = np.nan
        inner = out[1:-1]
        if order == 1:
            np.subtract(values[2:], values[:-2], out=inner)
            inner *= 0.5 / dt
            # the centre sample is not in the stencil, but a missing point has no velocity:
            # adding 0 × centre turns exactly those into NaN
            inner += values[1:-1] * 0.0
            return out
        np.add(values[2:], values[:-2], out=inner)
        inner -= 2.0 * values[1:-1]
        inner *= 1.0 / (dt * dt)
        if order == 2:
            return out
        jerk = np.empty_like(values)
        jerk[0] = jerk[-1] = np.nan
        np.subtract(out[2:], out[:-2], out=jerk[1:-1])
        jerk[1:-1] *= 0.5 / dt
        return jerk
    if method == "savgol":
        if window % 2 == 0 or window < 3:
            raise ValueError(f"window_frames must be an odd number >= 3, got {window}")
        if not order <= polyorder < window:
            raise ValueError(
                f"polyorder must be >= the derivative order ({order}) and < window_frames "
                f"({window}), "
                f"got {polyorder}"
            )
        if values.shape[0] < window:
            raise ValueError(
                f"series of {values.shape[0]} frames is shorter than window_frames {window}"
            )
        coeffs = savgol_coeffs(window, polyorder, deriv=order, delta=dt, use="conv")
        return convolve1d(values, coeffs, axis=0, mode="constant", cval=np.nan)
    raise ValueError(f"method must be 'central' or 'savgol', got {method!r}")


@per_clip
def torso_length(kp: pd.DataFrame, /) -> pd.Series:
    """Median torso length (px) per person: distance mid_shoulder–mid_hip over all frames.

    Parameters
    ----------
    kp
        A keypoints table (in pixels, or metres after :func:`posekit.units.to_metres`).

    Returns
    -------
    Series
        Indexed by ``object_id``, named ``torso_length``, in the table's length unit.

    Raises
    ------
    ValueError
        A person has no frame with both shoulders and both hips.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> round(float(pk.kinematics.torso_length(kp)[0]), 1)  # 0.288 of a 432 px stature
    124.4
    """
    dense = to_dense(kp, ("x", "y"), layout="columns")
    return pd.Series(
        _torso(dense), index=pd.Index(dense.object_ids, name="object_id"), name="torso_length"
    )


def _torso(dense: DenseKeypoints) -> np.ndarray:
    dense.require(["mid_shoulder", "mid_hip"], "torso length")
    sx, sy = dense.point_xy("mid_shoulder")
    hx, hy = dense.point_xy("mid_hip")
    length = np.hypot(sx - hx, sy - hy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: reported below
        med = np.nanmedian(length, axis=0)
    bad = ~(med > 0)
    if bad.any():
        raise ValueError(
            f"cannot normalise by torso length: object_id(s) {dense.object_ids[bad].tolist()} "
            "have no frame with both shoulders and both hips"
        )
    return med


def _prepare(kp: pd.DataFrame, fps: float | None, normalize: Normalize, need_fps: bool = True):
    if normalize not in (None, "torso"):
        raise ValueError(f"normalize must be None or 'torso', got {normalize!r}")
    rate = get_fps(kp, fps) if need_fps else None
    dense = to_dense(kp, ("x", "y"), contiguous=True, layout="columns")
    coords = [dense["x"], dense["y"]]
    unit = length_unit(kp)
    if normalize == "torso":
        scale = _torso(dense)[None, :, None]
        coords = [c / scale for c in coords]
        unit = "torso"
    return dense, coords, rate, unit


def _kin(
    kp: pd.DataFrame,
    order: int,
    columns: tuple[str, str],
    *,
    fps: float | None,
    method: Method,
    window_frames: int,
    polyorder: int | None,
    normalize: Normalize,
) -> pd.DataFrame:
    dense, coords, rate, unit = _prepare(kp, fps, normalize)
    assert rate is not None
    po = polyorder if polyorder is not None else max(2, order)
    derivs = [_derivative(c, order, 1.0 / rate, method, window_frames, po) for c in coords]
    out = dense.to_table(derivs, columns, kp)
    if "time" not in out.columns:
        out["time"] = kp.index.get_level_values("frame").to_numpy(np.float64) / rate
    out.attrs["fps"] = rate
    suffix = {1: "/s", 2: "/s²", 3: "/s³"}[order]
    out.attrs["units"] = {**dict.fromkeys(columns, f"{unit}{suffix}"), "time": "s"}
    return out


@renamed(window="window_frames")
@logs_history
@per_clip
def velocity(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    method: Method = "central",
    window_frames: int = 5,
    polyorder: int | None = None,
    normalize: Normalize = None,
) -> pd.DataFrame:
    """Velocity of every keypoint, columns ``vx``, ``vy`` in px/s.

    m/s on a table in metres (:func:`posekit.units.to_metres`), torso lengths/s when normalised.

    Parameters
    ----------
    kp
        A keypoints table.
    fps
        Frame rate (Hz); default ``kp.attrs["fps"]``.
    method
        ``"central"``: (x[i+1] − x[i−1]) / 2Δt. ``"savgol"``: Savitzky–Golay derivative over
        ``window_frames`` frames (odd) with a polynomial of ``polyorder`` (default 2), which
        also smooths. (``window=`` is the old name of ``window_frames``, deprecated.)
    window_frames
        Window length of ``method="savgol"`` in frames: odd, >= 3 and > ``polyorder``.
        Ignored by ``"central"``.
    polyorder
        Polynomial order of ``method="savgol"``; default 2.
    normalize
        ``"torso"``: divide by each person's median torso length (mid_shoulder–mid_hip).
        ``attrs["units"]`` gives each column's unit.

    Returns
    -------
    DataFrame
        The same index as ``kp``; columns ``vx``, ``vy`` and ``time``. Image y points down, so
        ``vy > 0`` is moving down the picture. NaN where the stencil meets a missing sample or
        an end of the series (see the module notes).

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=4, fps=30).result.keypoints()
    >>> vel = pk.kinematics.velocity(kp)
    >>> list(vel.columns), vel.attrs["units"]["vx"]
    (['vx', 'vy', 'time'], 'px/s')
    """
    return _kin(kp, 1, ("vx", "vy"), fps=fps, method=method, window_frames=window_frames,
                polyorder=polyorder, normalize=normalize)  # fmt: skip


@renamed(window="window_frames")
@logs_history
@per_clip
def acceleration(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    method: Method = "central",
    window_frames: int = 5,
    polyorder: int | None = None,
    normalize: Normalize = None,
) -> pd.DataFrame:
    """Acceleration, columns ``ax``, ``ay`` in px/s² (central: (x[i+1] − 2x[i] + x[i−1]) / Δt²).

    Parameters
    ----------
    kp
        A keypoints table.
    fps
        Frame rate (Hz); default ``kp.attrs["fps"]``.
    method
        ``"central"`` (the three-point second difference above) or ``"savgol"``
        (Savitzky–Golay second derivative, see :func:`velocity`).
    window_frames
        Window length of ``method="savgol"`` in frames (odd, >= 3).
    polyorder
        Polynomial order of ``method="savgol"``: >= 2 and < ``window_frames``; default 2.
    normalize
        ``"torso"``: in torso lengths/s² (see :func:`velocity`).

    Returns
    -------
    DataFrame
        The same index as ``kp``; columns ``ax``, ``ay`` and ``time``; ``attrs["units"]``
        gives each column's unit. NaN where the stencil meets a missing sample or an end.

    Examples
    --------
    A point at y = f²/2 px in frame f accelerates by 1 px per frame², 900 px/s² at 30 fps:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> acc = pk.kinematics.acceleration(kp.assign(x=2.0 * f, y=0.5 * f**2))
    >>> acc["ay"].dropna().unique().tolist(), acc["ax"].dropna().unique().tolist()
    ([900.0], [0.0])
    """
    return _kin(kp, 2, ("ax", "ay"), fps=fps, method=method, window_frames=window_frames,
                polyorder=polyorder, normalize=normalize)  # fmt: skip


@renamed(window="window_frames")
@logs_history
@per_clip
def jerk(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    method: Method = "central",
    window_frames: int = 7,
    polyorder: int | None = None,
    normalize: Normalize = None,
) -> pd.DataFrame:
    """Jerk, columns ``jx``, ``jy`` in px/s³.

    Central: the central difference of the acceleration, a 5-frame stencil.

    Parameters
    ----------
    kp
        A keypoints table.
    fps
        Frame rate (Hz); default ``kp.attrs["fps"]``.
    method
        ``"central"`` or ``"savgol"`` (Savitzky–Golay third derivative, see :func:`velocity`).
    window_frames
        Window length of ``method="savgol"`` in frames (odd, > ``polyorder``); default 7.
    polyorder
        Polynomial order of ``method="savgol"``: >= 3 and < ``window_frames``; default 3.
    normalize
        ``"torso"``: in torso lengths/s³ (see :func:`velocity`).

    Returns
    -------
    DataFrame
        The same index as ``kp``; columns ``jx``, ``jy`` and ``time``; ``attrs["units"]``
        gives each column's unit. NaN where the stencil meets a missing sample or an end.

    Examples
    --------
    Constant acceleration has no jerk:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> jk = pk.kinematics.jerk(kp.assign(x=2.0 * f, y=0.5 * f**2))
    >>> float(jk["jy"].abs().max()), jk.attrs["units"]["jy"]
    (0.0, 'px/s³')
    """
    return _kin(kp, 3, ("jx", "jy"), fps=fps, method=method, window_frames=window_frames,
                polyorder=polyorder, normalize=normalize)  # fmt: skip


@renamed(window="window_frames")
@logs_history
@per_clip
def speed(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    method: Method = "central",
    window_frames: int = 5,
    polyorder: int | None = None,
    normalize: Normalize = None,
) -> pd.DataFrame:
    """Speed (magnitude of :func:`velocity`), column ``speed`` in px/s; same index as ``kp``.

    Parameters
    ----------
    kp
        A keypoints table.
    fps
        Frame rate (Hz); default ``kp.attrs["fps"]``.
    method
        ``"central"`` or ``"savgol"``, as :func:`velocity`.
    window_frames
        Window length of ``method="savgol"`` in frames (odd, >= 3).
    polyorder
        Polynomial order of ``method="savgol"``; default 2.
    normalize
        ``"torso"``: in torso lengths/s (see :func:`velocity`).

    Returns
    -------
    DataFrame
        Columns ``speed`` (px/s, m/s or torso lengths/s, as ``attrs["units"]`` says) and
        ``time``. NaN where the velocity is.

    Examples
    --------
    Every point moving 3 px right and 4 px down per frame goes 5 px per frame, 150 px/s at
    30 fps:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> sp = pk.kinematics.speed(kp.assign(x=3.0 * f, y=4.0 * f))
    >>> sp["speed"].dropna().unique().tolist(), sp.attrs["units"]["speed"]
    ([150.0], 'px/s')
    """
    out = _kin(kp, 1, ("vx", "vy"), fps=fps, method=method,
                             window_frames=window_frames, polyorder=polyorder, normalize=normalize)  # fmt: skip
    sp = np.hypot(out["vx"].to_numpy(), out["vy"].to_numpy())
    res = pd.DataFrame({"speed": sp}, index=out.index)
    if "time" in out.columns:
        res["time"] = out["time"].to_numpy()
    res.attrs = {**out.attrs, "units": {"speed": out.attrs["units"]["vx"], "time": "s"}}
    return res


@logs_history
@per_clip
def displacement(kp: pd.DataFrame, /, *, normalize: Normalize = None) -> pd.DataFrame:
    """Frame-to-frame displacement ``dx``, ``dy`` = position[i] − position[i−1] (px per frame).

    NaN at the first frame of the series and wherever either sample is missing (the frame before
    a frame absent from the table counts as missing).

    Parameters
    ----------
    kp
        A keypoints table.
    normalize
        ``"torso"``: divide by each person's median torso length (:func:`torso_length`).

    Returns
    -------
    DataFrame
        The same index as ``kp``; columns ``dx``, ``dy`` (the table's length unit per frame)
        and ``time`` when ``kp`` has it.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> d = pk.kinematics.displacement(kp.assign(x=2.0 * f, y=0.0))
    >>> d.loc[[0, 1], "dx"].xs("nose", level="joint").tolist()  # none before the first frame
    [nan, 2.0]
    """
    dense, coords, _, unit = _prepare(kp, None, normalize, need_fps=False)
    steps = []
    for c in coords:
        d = np.full_like(c, np.nan)
        d[1:] = c[1:] - c[:-1]
        steps.append(d)
    out = dense.to_table(steps, ("dx", "dy"), kp)
    out.attrs["units"] = {"dx": f"{unit}/frame", "dy": f"{unit}/frame", "time": "s"}
    return out


@logs_history
@per_clip
def path_length(kp: pd.DataFrame, /, *, normalize: Normalize = None) -> pd.DataFrame:
    """Distance travelled by each joint of each person: the sum of frame-to-frame step lengths.

    Steps with a missing end are skipped (not bridged).

    Parameters
    ----------
    kp
        A keypoints table.
    normalize
        ``"torso"``: in torso lengths (each person's median, :func:`torso_length`).

    Returns
    -------
    DataFrame
        Indexed by (object_id, joint), columns ``path_length`` (px, m on a table in metres, or
        torso lengths) and ``n_steps`` (the steps summed).

    Examples
    --------
    30 frames, every point moving 2 px per frame: 29 steps, 58 px:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> pl = pk.kinematics.path_length(kp.assign(x=2.0 * f, y=0.0))
    >>> pl.loc[(0, "nose")].tolist()
    [58.0, 29.0]
    """
    dense, (x, y), _, unit = _prepare(kp, None, normalize, need_fps=False)
    length = np.hypot(x[1:] - x[:-1], y[1:] - y[:-1])  # (F-1, O, 17)
    ok = np.isfinite(length)
    total = np.where(ok, length, 0.0).sum(axis=0)  # (O, 17)
    n = ok.sum(axis=0)
    index = pd.MultiIndex.from_arrays(
        [
            np.repeat(dense.object_ids, 17),
            pd.Categorical(
                np.tile(JOINT_DTYPE.categories, len(dense.object_ids)), dtype=JOINT_DTYPE
            ),
        ],
        names=["object_id", "joint"],
    )
    out = pd.DataFrame({"path_length": total.ravel(), "n_steps": n.ravel()}, index=index)
    out.attrs["units"] = {"path_length": unit, "n_steps": "1"}
    return out


@renamed(window="window_frames")
@logs_history
@per_clip
def angular_velocity(
    angles: pd.DataFrame | pd.Series,
    /,
    *,
    fps: float | None = None,
    method: Method = "central",
    window_frames: int = 5,
    polyorder: int | None = None,
    unwrap: bool = True,
) -> pd.DataFrame:
    """Angular velocity (deg/s) of angle series, per person.

    Parameters
    ----------
    angles
        A table from :mod:`posekit.angles` (indexed by (frame, object_id)), or one of its
        columns, in degrees. ``time`` is ignored.
    fps
        Frame rate (Hz); default ``angles.attrs["fps"]``.
    method
        ``"central"`` or ``"savgol"``, as :func:`velocity`.
    window_frames
        Window length of ``method="savgol"`` in frames (odd, >= 3).
    polyorder
        Polynomial order of ``method="savgol"``; default 2.
    unwrap
        Unwrap ±360° jumps first so a segment crossing 180° does not give a spike.

    Returns
    -------
    DataFrame
        Same index, one column per angle (deg/s), plus ``time`` when fps is known.

    Examples
    --------
    An angle growing by 3° per frame at 30 fps turns at 90°/s:

    >>> import numpy as np
    >>> import pandas as pd
    >>> import posekit as pk
    >>> idx = pd.MultiIndex.from_product([range(10), [0]], names=["frame", "object_id"])
    >>> ang = pd.DataFrame({"left_knee": 3.0 * np.arange(10)}, index=idx)
    >>> ang.attrs["fps"] = 30
    >>> w = pk.kinematics.angular_velocity(ang)
    >>> w["left_knee"].dropna().unique().tolist(), w.attrs["units"]["left_knee"]
    ([90.0], 'deg/s')
    """
    from posekit.angles import unwrap_degrees

    rate = get_fps(angles, fps)
    d = dense_frames(angles, contiguous=True)
    vals = unwrap_degrees(d.values, axis=0) if unwrap else d.values
    po = polyorder if polyorder is not None else 2
    deriv = _derivative(vals, 1, 1.0 / rate, method, window_frames, po)
    attrs = {
        **angles.attrs,
        "fps": rate,
        "units": {**dict.fromkeys(d.columns, "deg/s"), "time": "s"},
    }
    return per_frame_table([deriv[..., i] for i in range(len(d.columns))], d.columns, d.frames, d.object_ids, d.present, attrs)  # fmt: skip


@logs_history
@per_clip
def trajectory(
    kp: pd.DataFrame,
    /,
    *,
    joint: str = "mid_hip",
    object_id: int | None = None,
) -> pd.DataFrame:
    """The path of one point (a joint, or a midpoint: ``mid_hip`` is the body centre).

    Parameters
    ----------
    kp
        A keypoints table.
    joint
        A COCO joint name or a midpoint (``mid_hip``, ``mid_shoulder``...).
    object_id
        Only this person; default every person.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), columns ``x``, ``y`` (the table's length unit, px unless
        scaled) and ``time`` when fps is known.

    Raises
    ------
    ValueError
        An unknown point name, or an ``object_id`` not in the table.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> path = pk.kinematics.trajectory(kp, joint="mid_hip", object_id=0)
    >>> path.shape, list(path.columns)
    ((30, 3), ['x', 'y', 'time'])
    """
    check_points([joint])
    dense = to_dense(kp, ("x", "y"), layout="columns")
    dense.require([joint], f"trajectory of {joint!r}")
    planes = dense.point_xy(joint)
    present = dense.present
    if object_id is not None:
        hit = np.flatnonzero(dense.object_ids == object_id)
        if not len(hit):
            raise ValueError(
                f"object_id {object_id} not in the table; it has {dense.object_ids.tolist()}"
            )
        present = present & (np.arange(len(dense.object_ids)) == hit[0])[None, :]
    unit = length_unit(kp)
    attrs = {**kp.attrs, "units": {"x": unit, "y": unit, "time": "s"}}
    return per_frame_table(planes, ["x", "y"], dense.frames, dense.object_ids, present, attrs)
