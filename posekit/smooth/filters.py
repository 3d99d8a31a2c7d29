"""Window filters and the zero-phase Butterworth low-pass, all NaN-aware.

Every filter smooths ``x`` and ``y`` of each (object_id, joint) along frames and keeps ``score``
(and ``time``) unchanged. Gaps are never bridged: each run of consecutive finite values is
filtered on its own (frames missing from the table count as gaps), NaNs come back exactly where
they were, and **runs shorter than the filter needs are returned unchanged** (the table's
``attrs["history"]`` says how many).

Ends of a run: the window filters (median, moving average, Gaussian) extend each run by point
reflection (odd extension) about a *robust estimate* of its end value — Siegel's
repeated-median straight line through the run's first (last) ``2 * window − 1`` frames (the
Gaussian: its kernel's ``2r + 1``; fewer if the run is shorter), evaluated at the end — rather
than about the end value itself. Ramps and constants stay exact up to the
ends, the first and last frames get a real estimate (not a copy of the input), and a spike on
the first frame after a gap is treated as one in the middle of a run (removed by the median,
spread over the window by the means). Savitzky–Golay fits the edge polynomial instead
(``mode="interp"``), Butterworth uses ``sosfiltfilt``'s own odd padding after removing the
end-to-end line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from scipy import ndimage, signal

from posekit._history import logs_history, note_history
from posekit._levels import per_clip
from posekit._renamed import renamed
from posekit._tables import to_dense
from posekit.smooth._butter import butter_runs, butter_sos, sos_padlen
from posekit.smooth._runs import apply_runs, odd_pad
from posekit.smooth.winter import winter_cutoff
from posekit.tidy import get_fps

__all__ = ["butterworth", "gaussian", "median", "moving_average", "savgol"]


def _check_window(window: int, name: str, *, odd: bool = True) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(
            f"{name}: window_frames must be a positive integer number of frames, got {window!r}"
        )
    if odd and window % 2 == 0:
        raise ValueError(f"{name}: window_frames must be odd (centred on each frame), got {window}")
    return int(window)


def run_filter(
    kp: pd.DataFrame,
    func: Callable[[np.ndarray], np.ndarray],
    *,
    min_len: int,
    name: str,
    need: str,
) -> pd.DataFrame:
    """Apply ``func`` to every run of ``x``/``y`` of at least ``min_len`` frames.

    ``name`` (``"smooth.median"``) and ``need``, what sets ``min_len`` (``"window_frames=31"``), are
    for error messages; the caller's :func:`~posekit._history.logs_history` records the call.
    """
    dense = to_dense(kp, ("x", "y"), layout="series")
    data = dense.series
    if not np.isfinite(data).any():
        raise ValueError(f"{name}: the table has no finite x/y values (all NaN)")
    n_frames = len(dense.frames)
    if min_len > n_frames:
        raise ValueError(
            f"{name}: {need} needs runs of at least {min_len} frames, but the table spans only "
            f"{n_frames} frames (frames {dense.frames[0]}..{dense.frames[-1]})"
        )
    out, n_done, n_short = apply_runs(data, func, min_len)
    if n_done == 0:
        raise ValueError(
            f"{name}: {need} needs runs of at least {min_len} consecutive valid frames; the "
            f"table has none (longest gaps-free stretch is shorter); interpolate gaps first "
            f"or use a shorter window"
        )
    table = dense.replace(out, kp)
    if n_short:
        note_history(f"{n_short} runs shorter than {min_len} frames left unsmoothed")
    return table


@renamed(window="window_frames")
@logs_history
@per_clip
def moving_average(kp: pd.DataFrame, /, *, window_frames: int) -> pd.DataFrame:
    """Centred moving average of x and y over ``window_frames`` frames (odd).

    Parameters
    ----------
    kp
        A keypoints table.
    window_frames
        Window length in frames, odd. Runs shorter than ``window_frames`` stay unchanged. The
        first and last ``window_frames // 2`` frames of each run use the robust odd extension
        of the module docstring. (``window=`` is the old name, deprecated.)

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Examples
    --------
    A ramp stays a ramp:

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> sm = pk.smooth.moving_average(kp.assign(x=2.0 * f, y=100.0), window_frames=5)
    >>> bool(np.allclose(sm["x"], 2.0 * f))
    True
    """
    w = _check_window(window_frames, "moving_average")
    h = w // 2

    def func(a: np.ndarray) -> np.ndarray:
        return ndimage.uniform_filter1d(odd_pad(a, h, 2 * w - 1), w, axis=1, mode="nearest")[
            :, h : h + a.shape[1]
        ]

    return run_filter(kp, func, min_len=w, name="smooth.moving_average", need=f"window_frames={w}")


@renamed(window="window_frames")
@logs_history
@per_clip
def median(kp: pd.DataFrame, /, *, window_frames: int) -> pd.DataFrame:
    """Centred running median of x and y over ``window_frames`` frames (odd): removes spikes.

    Runs shorter than ``window_frames`` stay unchanged. See :func:`moving_average` for the rest.

    Parameters
    ----------
    kp
        A keypoints table.
    window_frames
        Window length in frames, odd (``window=`` is the old name, deprecated). A spike of up
        to ``window_frames // 2`` frames is removed.

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Examples
    --------
    A 50 px spike on a still point is removed:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> still = kp.assign(x=100.0, y=200.0)
    >>> still.loc[(10, 0, "nose"), "x"] = 150.0
    >>> sm = pk.smooth.median(still, window_frames=5)
    >>> sm["x"].unique().tolist(), sm["y"].unique().tolist()
    ([100.0], [200.0])
    """
    w = _check_window(window_frames, "median")
    h = w // 2

    def func(a: np.ndarray) -> np.ndarray:
        if w == 1:
            return a
        padded = odd_pad(a, h, 2 * w - 1)
        if w in (3, 5):
            return _small_median(padded, w)
        return ndimage.median_filter(padded, size=(1, w), mode="nearest")[:, h : h + a.shape[1]]

    return run_filter(kp, func, min_len=w, name="smooth.median", need=f"window_frames={w}")


def _med3(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.maximum(np.minimum(x, y), np.minimum(np.maximum(x, y), z))


def _small_median(p: np.ndarray, w: int) -> np.ndarray:
    """Running median of 3 or 5 along axis 1 by a min/max network ("valid" part only).

    Several times faster than a general rank filter; exact (no arithmetic, only comparisons).
    """
    n = p.shape[1] - w + 1
    s = [p[:, i : i + n] for i in range(w)]
    if w == 3:
        return _med3(*s)
    a, b, c, d, e = s
    return _med3(
        e,
        np.maximum(np.minimum(a, b), np.minimum(c, d)),
        np.minimum(np.maximum(a, b), np.maximum(c, d)),
    )


@logs_history
@per_clip
def gaussian(kp: pd.DataFrame, /, *, sigma_frames: float, truncate: float = 4.0) -> pd.DataFrame:
    """Gaussian smoothing of x and y with standard deviation ``sigma_frames`` (frames).

    The kernel reaches ``r = round(truncate * sigma_frames)`` frames each side; runs shorter
    than ``2r + 1`` frames stay unchanged.

    Parameters
    ----------
    kp
        A keypoints table.
    sigma_frames
        Standard deviation of the Gaussian kernel in frames (> 0).
    truncate
        Kernel half-width in standard deviations.

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Raises
    ------
    ValueError
        ``sigma_frames`` is not a positive number.

    Examples
    --------
    A ramp stays a ramp, up to the ends of the run (robust odd extension):

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> sm = pk.smooth.gaussian(kp.assign(x=2.0 * f, y=100.0), sigma_frames=2.0)
    >>> bool(np.allclose(sm["x"], 2.0 * f)), bool(np.allclose(sm["y"], 100.0))
    (True, True)
    """
    if not np.isfinite(sigma_frames) or sigma_frames <= 0:
        raise ValueError(f"gaussian: sigma_frames must be > 0, got {sigma_frames}")
    r = int(truncate * float(sigma_frames) + 0.5)
    w = 2 * r + 1

    def func(a: np.ndarray) -> np.ndarray:
        padded = odd_pad(a, r, w)
        sm = ndimage.gaussian_filter1d(
            padded, sigma_frames, axis=1, truncate=truncate, mode="nearest"
        )
        return sm[:, r : r + a.shape[1]]

    return run_filter(
        kp,
        func,
        min_len=w,
        name="smooth.gaussian",
        need=f"sigma_frames={sigma_frames} (kernel of {w} frames)",
    )


@renamed(window="window_frames")
@logs_history
@per_clip
def savgol(kp: pd.DataFrame, /, *, window_frames: int, polyorder: int = 2) -> pd.DataFrame:
    """Savitzky–Golay smoothing: a least-squares polynomial of ``polyorder`` per window.

    Polynomials up to ``polyorder`` pass unchanged, at run edges too
    (``scipy.signal.savgol_filter(mode="interp")``). Runs shorter than ``window_frames`` stay
    unchanged.

    Parameters
    ----------
    kp
        A keypoints table.
    window_frames
        Window length in frames, odd and > ``polyorder`` (``window=`` is the old name,
        deprecated).
    polyorder
        Order of the polynomial fitted in each window.

    Returns
    -------
    DataFrame
        A new table, same index and columns; ``score`` and ``time`` unchanged.

    Examples
    --------
    A parabola passes a quadratic Savitzky–Golay filter unchanged:

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> sm = pk.smooth.savgol(kp.assign(x=0.5 * f**2, y=100.0), window_frames=7, polyorder=2)
    >>> bool(np.allclose(sm["x"], 0.5 * f**2))
    True
    """
    w = _check_window(window_frames, "savgol")
    if not 0 <= polyorder < w:
        raise ValueError(
            f"savgol: polyorder must be in [0, window_frames), got polyorder={polyorder}, "
            f"window_frames={w}"
        )

    def func(a: np.ndarray) -> np.ndarray:
        return signal.savgol_filter(a, w, polyorder, axis=1, mode="interp")

    return run_filter(
        kp,
        func,
        min_len=w,
        name="smooth.savgol",
        need=f"window_frames={w}",
    )


@logs_history
@per_clip
def butterworth(
    kp: pd.DataFrame,
    /,
    *,
    cutoff_hz: float | Literal["auto"] = 6.0,
    order: int = 2,
    fps: float | None = None,
) -> pd.DataFrame:
    """Zero-phase low-pass Butterworth filter of x and y (``sosfiltfilt``).

    Parameters
    ----------
    kp
        A keypoints table.
    cutoff_hz
        Cutoff frequency in Hz, below fps / 2; ``"auto"`` picks it by Winter's residual
        analysis over the whole table (:func:`posekit.smooth.winter_cutoff`).
    order
        Order of the filter *design*; the forward-backward pass doubles the effective order.
    fps
        Frame rate; defaults to ``kp.attrs["fps"]``.

    Returns
    -------
    DataFrame
        A new table, same index; ``score`` and ``time`` unchanged.

    Notes
    -----
    Convention (as kineticstoolkit's ``butter(..., filtfilt=True)`` and MATLAB's
    ``filtfilt``): ``cutoff_hz`` is the cutoff of the single-pass design and is *not* corrected
    for the double pass, so a sine at the cutoff frequency comes out at half its amplitude
    (−6 dB) — e.g. a 1 Hz sine through a 1 Hz first-order filter keeps half its RMS — and the
    filter is of effective order ``2 * order``. (Winter's textbook instead moves the cutoff up
    by 1/0.802 for a second-order pair so that the −3 dB point lands on the requested
    frequency; pass ``cutoff_hz / 0.802`` to get that.) Each run is detrended by the line
    through its end values before filtering and the line added back, so ramps pass exactly
    and run ends show no start-up transient. Runs of at most ``3 * (2 * n_sections
    + 1)`` frames (9 for ``order=2``) are too short for the padding and stay unchanged.

    Examples
    --------
    Ramps pass exactly; the call is recorded in the table's history:

    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> f = kp.index.get_level_values("frame").to_numpy()
    >>> bw = pk.smooth.butterworth(kp.assign(x=2.0 * f, y=100.0), cutoff_hz=6.0)
    >>> bool(np.allclose(bw["x"], 2.0 * f)), bw.attrs["history"][-1]
    (True, 'smooth.butterworth(cutoff_hz=6.0, order=2, fps=None)')
    """
    rate = get_fps(kp, fps)
    if isinstance(cutoff_hz, str):
        if cutoff_hz != "auto":
            raise ValueError(
                f"butterworth: cutoff_hz must be a number or 'auto', got {cutoff_hz!r}"
            )
        cutoff = winter_cutoff(kp, fps=rate, order=order)
    else:
        cutoff = float(cutoff_hz)
    sos = butter_sos(cutoff, order, rate)
    padlen = sos_padlen(sos)
    out = run_filter(
        kp, butter_runs(sos), min_len=padlen + 1, name="smooth.butterworth", need=f"order={order}"
    )
    if isinstance(cutoff_hz, str):
        note_history(f"cutoff_hz 'auto' -> {cutoff:.3g} Hz")
    return out
