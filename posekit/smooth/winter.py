"""Automatic Butterworth cutoff by Winter's residual analysis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from posekit._levels import per_clip
from posekit._tables import to_dense
from posekit.smooth._butter import butter_runs, butter_sos, sos_padlen
from posekit.smooth._runs import apply_runs
from posekit.tidy import get_fps

__all__ = ["residual_analysis", "winter_cutoff"]


def _series_matrix(data: pd.DataFrame | pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(data, pd.DataFrame):
        return to_dense(data, ("x", "y"), layout="series").series
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(
            f"winter_cutoff: expected a keypoints table or a 1-D series, got shape {arr.shape}"
        )
    return arr[None, :]


@per_clip
def residual_analysis(
    data: pd.DataFrame | pd.Series | np.ndarray,
    /,
    *,
    fps: float | None = None,
    candidates: Sequence[float] | np.ndarray | None = None,
    order: int = 2,
) -> pd.DataFrame:
    """RMS residual between the data and its Butterworth-filtered version, per cutoff.

    Parameters
    ----------
    data
        A keypoints table (all x and y series pooled), or one series of consecutive frames
        (a Series or 1-D array; NaN allowed).
    fps
        Frame rate in Hz; defaults to ``data.attrs["fps"]`` (needed for arrays).
    candidates
        Cutoffs to try, Hz, each below fps / 2. Default: 30 values from 0.5 Hz to 0.9 · Nyquist.
    order
        Butterworth design order (see :func:`posekit.smooth.butterworth`).

    Returns
    -------
    DataFrame
        Columns ``cutoff_hz`` and ``residual`` (px, RMS over every filtered value).

    Examples
    --------
    A 1 Hz sine: the residual falls as the cutoff rises past 1 Hz:

    >>> import numpy as np
    >>> from posekit.smooth.winter import residual_analysis
    >>> x = np.sin(2 * np.pi * np.arange(300) / 30)
    >>> res = residual_analysis(x, fps=30, candidates=[0.5, 2, 5, 10])
    >>> res["residual"].round(3).tolist()
    [0.665, 0.04, 0.001, 0.0]
    """
    if isinstance(data, np.ndarray):
        if fps is None:
            raise ValueError("winter_cutoff: fps is unknown: pass fps=... for a plain array")
        rate = float(fps)
    else:
        rate = get_fps(data, fps)
    nyq = rate / 2
    if candidates is None:
        cands = np.linspace(0.5, 0.9 * nyq, 30)
    else:
        cands = np.sort(np.asarray(candidates, dtype=np.float64))
    if len(cands) < 4:
        raise ValueError("winter_cutoff: need at least 4 candidate cutoffs")
    mat = _series_matrix(data)
    if not np.isfinite(mat).any():
        raise ValueError("winter_cutoff: the data has no finite values (all NaN)")
    residuals = np.empty(len(cands))
    for i, fc in enumerate(cands):
        sos = butter_sos(float(fc), order, rate, where="winter_cutoff")
        padlen = sos_padlen(sos)
        out, n_done, _ = apply_runs(mat, butter_runs(sos), padlen + 1)
        if n_done == 0:
            raise ValueError(
                f"winter_cutoff: no run of consecutive valid frames is longer than {padlen} frames"
            )
        diff = (mat - out)[np.isfinite(mat)]
        residuals[i] = np.sqrt(np.mean(diff * diff))
    return pd.DataFrame({"cutoff_hz": cands, "residual": residuals})


@per_clip
def winter_cutoff(
    data: pd.DataFrame | pd.Series | np.ndarray,
    /,
    *,
    fps: float | None = None,
    candidates: Sequence[float] | np.ndarray | None = None,
    order: int = 2,
    fit_range_hz: tuple[float, float] | None = None,
) -> float:
    """The Butterworth cutoff (Hz) chosen by Winter's residual analysis.

    Parameters
    ----------
    data, fps, candidates, order
        As in :func:`residual_analysis`.
    fit_range_hz
        The part of the residual curve taken to be noise only and fitted by a straight line,
        Hz; default 0.3–0.7 × Nyquist (closer to Nyquist the noise residual bends down, which
        would bias the intercept up and the cutoff down).

    Returns
    -------
    float
        The cutoff in Hz, linearly interpolated between candidates.

    Notes
    -----
    Winter (Biomechanics and Motor Control of Human Movement, 4th ed., 2009, §3.4.4.3): at
    high cutoffs the residual is mostly noise and falls about linearly with the cutoff; the
    line's intercept at 0 Hz estimates the noise's RMS. The chosen cutoff is the lowest
    frequency where the residual curve drops to that intercept, so that as much signal is kept
    as the noise level allows.

    Examples
    --------
    Squats (a repetition every 2.5 s) seen with 2 px of noise: the cutoff sits well below the
    15 Hz Nyquist frequency:

    >>> import posekit as pk
    >>> from posekit.smooth.winter import winter_cutoff
    >>> kp = pk.synth.generate("squat", duration_s=4, fps=30, noise_px=2.0, seed=1).result.keypoints()
    >>> fc = winter_cutoff(kp)
    >>> 0.5 < fc < 3.0
    True
    >>> bw = pk.smooth.butterworth(kp, cutoff_hz=fc)
    """
    table = residual_analysis(data, fps=fps, candidates=candidates, order=order)
    fc = table["cutoff_hz"].to_numpy()
    res = table["residual"].to_numpy()
    if isinstance(data, np.ndarray):
        nyq = float(fps) / 2  # type: ignore[arg-type]
    else:
        nyq = get_fps(data, fps) / 2
    lo, hi = (0.3 * nyq, 0.7 * nyq) if fit_range_hz is None else fit_range_hz
    tail = (fc >= lo) & (fc <= hi)
    if tail.sum() < 2:
        raise ValueError(
            f"winter_cutoff: fewer than 2 candidate cutoffs in fit_range_hz=({lo:g}, {hi:g})"
        )
    _slope, intercept = np.polyfit(fc[tail], res[tail], 1)
    below = np.flatnonzero(res <= intercept)
    if len(below) == 0:
        return float(fc[-1])
    i = int(below[0])
    if i == 0:
        return float(fc[0])
    # interpolate the crossing between candidates i-1 (above the line) and i (on or below)
    r0, r1 = res[i - 1], res[i]
    t = (r0 - intercept) / (r0 - r1) if r0 != r1 else 1.0
    return float(fc[i - 1] + t * (fc[i] - fc[i - 1]))
