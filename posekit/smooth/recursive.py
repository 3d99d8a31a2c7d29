"""Recursive filters: the One Euro filter and a constant-velocity Kalman (RTS) smoother.

Both step through frames once, vectorised over every (object_id, joint, coordinate) series at
each step. They restart at the beginning of each run of consecutive valid frames, so nothing
leaks across a gap, and short runs need no special treatment (a one-frame run comes back
unchanged).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from posekit._history import logs_history
from posekit._levels import per_clip
from posekit._renamed import renamed
from posekit._tables import to_dense
from posekit.tidy import get_fps

__all__ = ["kalman", "one_euro"]


def _alpha(cutoff: np.ndarray | float, fps: float) -> np.ndarray | float:
    # smoothing factor of a first-order low-pass: 1 / (1 + tau / Te), tau = 1 / (2 pi fc)
    return 1.0 / (1.0 + fps / (2.0 * math.pi * cutoff))


def _nonempty(data: np.ndarray, name: str) -> None:
    if not np.isfinite(data).any():
        raise ValueError(f"{name}: the table has no finite x/y values (all NaN)")


def one_euro_array(
    data: np.ndarray, *, fps: float, min_cutoff_hz: float, beta: float, d_cutoff_hz: float
) -> np.ndarray:
    """The One Euro filter along the last axis of an ``(S, N)`` array (NaN = gap, restart)."""
    s, n = data.shape
    out = np.full_like(data, np.nan)
    a_d = _alpha(d_cutoff_hz, fps)
    x_hat = np.zeros(s)
    dx_hat = np.zeros(s)
    prev_ok = np.zeros(s, dtype=bool)
    cols = np.ascontiguousarray(data.T)  # (N, S): one contiguous row per step
    res = np.empty_like(cols)
    for t in range(n):
        z = cols[t]
        ok = np.isfinite(z)
        cont = ok & prev_ok
        # derivative from the previous *filtered* value (Casiez et al. 2012, Algorithm 1)
        dx = (z - x_hat) * fps
        dx_new = a_d * dx + (1.0 - a_d) * dx_hat
        a = _alpha(min_cutoff_hz + beta * np.abs(dx_new), fps)
        x_new = a * z + (1.0 - a) * x_hat
        # a run starts: output the value itself, derivative estimate 0
        x_hat = np.where(cont, x_new, z)
        dx_hat = np.where(cont, dx_new, 0.0)
        res[t] = x_hat
        prev_ok = ok
    out[:] = res.T
    return out


@renamed(min_cutoff="min_cutoff_hz", d_cutoff="d_cutoff_hz")
@logs_history
@per_clip
def one_euro(
    kp: pd.DataFrame,
    /,
    *,
    min_cutoff_hz: float = 1.0,
    beta: float = 0.0,
    d_cutoff_hz: float = 1.0,
    fps: float | None = None,
) -> pd.DataFrame:
    """The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) on x and y.

    A first-order low-pass whose cutoff rises with speed: ``fc = min_cutoff_hz + beta * |dx/dt|``,
    so slow movement is steadied and fast movement follows with little lag. Causal (uses past
    frames only), like a live tracker.

    Parameters
    ----------
    kp
        A keypoints table.
    min_cutoff_hz
        Cutoff at zero speed, Hz (> 0). Lower removes more jitter. (``min_cutoff=`` is the
        old name, deprecated; likewise ``d_cutoff=``.)
    beta
        Speed coefficient, 1/px (>= 0): how fast the cutoff rises with speed (px/s).
    d_cutoff_hz
        Cutoff of the low-pass applied to the speed estimate, Hz (> 0).
    fps
        Frame rate; defaults to ``kp.attrs["fps"]``.

    Notes
    -----
    Identical, step for step, to the authors' reference implementation (Casiez & Roussel's
    ``OneEuroFilter.py``): the derivative is taken from the previous *filtered* value, the
    first value of each run is passed through with derivative 0. Each run of consecutive valid
    frames is filtered afresh.

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Examples
    --------
    A still point stays where it is; a moving one lags behind (causal filter):

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> pk.smooth.one_euro(kp.assign(x=5.0, y=7.0))["x"].unique().tolist()
    [5.0]
    >>> sm = pk.smooth.one_euro(kp.assign(x=2.0 * f, y=7.0), min_cutoff_hz=1.0)
    >>> bool(sm.loc[(29, 0, "nose"), "x"] < 58.0)
    True
    """
    rate = get_fps(kp, fps)
    if not min_cutoff_hz > 0 or not d_cutoff_hz > 0:
        raise ValueError(
            "one_euro: min_cutoff_hz and d_cutoff_hz must be > 0 Hz, "
            f"got {min_cutoff_hz}, {d_cutoff_hz}"
        )
    if not beta >= 0:
        raise ValueError(f"one_euro: beta must be >= 0, got {beta}")
    view = to_dense(kp, ("x", "y"), layout="series")
    _nonempty(view.series, "one_euro")
    out = one_euro_array(
        view.series, fps=rate, min_cutoff_hz=min_cutoff_hz, beta=beta, d_cutoff_hz=d_cutoff_hz
    )
    return view.replace(out, kp)


def kalman_array(
    data: np.ndarray,
    *,
    fps: float,
    process_noise: float,
    measurement_noise: float,
    max_gap_frames: int = 0,
    fill_gaps: bool = False,
) -> np.ndarray:
    """Constant-velocity Kalman filter + Rauch–Tung–Striebel smoother along the last axis."""
    s, n = data.shape
    dt = 1.0 / fps
    q = process_noise**2
    q00, q01, q11 = q * dt**4 / 4, q * dt**3 / 2, q * dt**2
    r = measurement_noise**2
    v0 = 1e8  # diffuse prior on the velocity at the start of a segment, px^2/s^2
    cols = np.ascontiguousarray(data.T)
    ok = np.isfinite(cols)
    # segment membership: a valid frame, or a gap of at most max_gap_frames inside a run
    prev_idx = np.where(ok, np.arange(n)[:, None], -1)
    prev_idx = np.maximum.accumulate(prev_idx, axis=0)
    next_idx = np.where(ok, np.arange(n)[:, None], n)
    next_idx = np.minimum.accumulate(next_idx[::-1], axis=0)[::-1]
    gap_len = next_idx - prev_idx - 1
    inside = ok | ((prev_idx >= 0) & (next_idx < n) & (gap_len <= max_gap_frames))
    start = inside & np.vstack([np.ones((1, s), bool), ~inside[:-1]])

    xf = np.empty((n, s, 2))
    gain = np.zeros((n, s, 4))  # RTS gain C_t linking t to t + 1
    linked = np.zeros((n, s), dtype=bool)
    x0 = np.zeros(s)
    x1 = np.zeros(s)
    p00 = np.full(s, r)
    p01 = np.zeros(s)
    p11 = np.full(s, v0)
    for t in range(n):
        z = cols[t]
        # predict
        xp0 = x0 + dt * x1
        pp00 = p00 + 2 * dt * p01 + dt * dt * p11 + q00
        pp01 = p01 + dt * p11 + q01
        pp11 = p11 + q11
        if t > 0:
            link = inside[t] & ~start[t]
            # C_{t-1} = P_{t-1} F^T Pp_t^{-1}
            a00, a01 = p00 + dt * p01, p01
            a10, a11 = p01 + dt * p11, p11
            det = pp00 * pp11 - pp01 * pp01
            with np.errstate(invalid="ignore", divide="ignore"):
                c = np.stack(
                    [
                        (a00 * pp11 - a01 * pp01) / det,
                        (-a00 * pp01 + a01 * pp00) / det,
                        (a10 * pp11 - a11 * pp01) / det,
                        (-a10 * pp01 + a11 * pp00) / det,
                    ],
                    axis=1,
                )
            gain[t - 1] = np.where(link[:, None], c, 0.0)
            linked[t - 1] = link
        # update where measured
        sk = pp00 + r
        k0 = pp00 / sk
        k1 = pp01 / sk
        innov = np.where(ok[t], z - xp0, 0.0)
        m = ok[t]
        x0n = xp0 + np.where(m, k0 * innov, 0.0)
        x1n = x1 + np.where(m, k1 * innov, 0.0)
        p00n = np.where(m, (1 - k0) * pp00, pp00)
        p01n = np.where(m, (1 - k0) * pp01, pp01)
        p11n = np.where(m, pp11 - k1 * pp01, pp11)
        st = start[t]
        x0 = np.where(st, z, x0n)
        x1 = np.where(st, 0.0, x1n)
        p00 = np.where(st, r, p00n)
        p01 = np.where(st, 0.0, p01n)
        p11 = np.where(st, v0, p11n)
        xf[t, :, 0] = x0
        xf[t, :, 1] = x1
    xs = xf.copy()
    for t in range(n - 2, -1, -1):
        c = gain[t]
        d0 = xs[t + 1, :, 0] - (xf[t, :, 0] + dt * xf[t, :, 1])
        d1 = xs[t + 1, :, 1] - xf[t, :, 1]
        lk = linked[t]
        xs[t, :, 0] = np.where(lk, xf[t, :, 0] + c[:, 0] * d0 + c[:, 1] * d1, xf[t, :, 0])
        xs[t, :, 1] = np.where(lk, xf[t, :, 1] + c[:, 2] * d0 + c[:, 3] * d1, xf[t, :, 1])
    pos = xs[:, :, 0]
    keep = inside if fill_gaps else ok
    return np.where(keep, pos, np.nan).T.copy()


@logs_history
@per_clip
def kalman(
    kp: pd.DataFrame,
    /,
    *,
    process_noise: float = 2000.0,
    measurement_noise: float = 3.0,
    fps: float | None = None,
    max_gap_frames: int = 0,
    fill_gaps: bool = False,
) -> pd.DataFrame:
    """Constant-velocity Kalman filter with Rauch–Tung–Striebel smoothing, on x and y.

    Each coordinate is a position–velocity state driven by white-noise acceleration; the
    forward filter is followed by a backward RTS pass, so the result is zero-lag and uses the
    whole run.

    Parameters
    ----------
    kp
        A keypoints table.
    process_noise
        Standard deviation of the random acceleration, px/s² (piecewise-constant per frame:
        ``Q = σa² [[dt⁴/4, dt³/2], [dt³/2, dt²]]``). Higher follows fast movement more closely.
    measurement_noise
        Standard deviation of the keypoint detector's position noise, px.
    fps
        Frame rate; defaults to ``kp.attrs["fps"]``.
    max_gap_frames
        Gaps (NaN or missing frames) of at most this many frames inside a run are treated as
        missing measurements: the state is predicted across them. Default 0: every gap starts
        afresh, like the other filters.
    fill_gaps
        Also write the smoothed estimate into those bridged gaps (default: NaNs stay NaN).
        Only rows the table has are filled; add rows for missing frames first with
        :func:`posekit.clean.reindex_frames`.

    Notes
    -----
    Each segment starts at its first measurement with zero velocity and a diffuse velocity
    prior. Memory: about 48 bytes per value (states and gains are kept for the backward pass).

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Examples
    --------
    Constant velocity is what the model expects: a ramp comes back within 0.001 px:

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> sm = pk.smooth.kalman(kp.assign(x=2.0 * f, y=100.0))
    >>> float(np.abs(sm["x"] - 2.0 * f).max()) < 1e-3
    True
    """
    rate = get_fps(kp, fps)
    if not process_noise > 0 or not measurement_noise > 0:
        raise ValueError(
            f"kalman: process_noise and measurement_noise must be > 0, got {process_noise}, {measurement_noise}"
        )
    if max_gap_frames < 0:
        raise ValueError(f"kalman: max_gap_frames must be >= 0, got {max_gap_frames}")
    view = to_dense(kp, ("x", "y"), layout="series")
    _nonempty(view.series, "kalman")
    out = kalman_array(
        view.series,
        fps=rate,
        process_noise=process_noise,
        measurement_noise=measurement_noise,
        max_gap_frames=max_gap_frames,
        fill_gaps=fill_gaps,
    )
    return view.replace(out, kp)
