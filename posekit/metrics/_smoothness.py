"""Movement smoothness: SPARC and log dimensionless jerk (Balasubramanian et al.)."""

from __future__ import annotations

from typing import Any

import numpy as np

from posekit._levels import per_clip
from posekit._renamed import renamed
from posekit.metrics._common import as_1d, resolve_fps

__all__ = ["dimensionless_jerk", "ldlj", "sparc"]


@renamed(fs="fps")
@per_clip
def sparc(
    speed: Any,
    /,
    fps: float | None = None,
    *,
    padlevel: int = 4,
    fc: float = 10.0,
    amp_th: float = 0.05,
) -> float:
    """Spectral arc length (SPARC) of a speed profile; closer to 0 is smoother.

    Parameters
    ----------
    speed
        A gap-free speed profile (1-D array or Series), e.g. a wrist's speed over one movement.
    fps
        Sampling rate (Hz); default ``speed.attrs["fps"]``. (``fs=`` is the old name, deprecated.)
    padlevel
        Zero padding: the FFT length is ``2 ** (ceil(log2(len(speed))) + padlevel)``.
    fc
        Highest frequency considered (Hz).
    amp_th
        Amplitude threshold: the arc runs from the first to the last frequency (below ``fc``)
        where the normalised magnitude spectrum is at least ``amp_th``.

    Notes
    -----
    Balasubramanian, Melendez-Calderon, Roby-Brami & Burdet (2015), "On the analysis of movement
    smoothness", J NeuroEng Rehabil 12:112. SPARC = −Σ sqrt((Δf / (f_c − f_0))² + (Δ|V̂|)²) over the
    selected band of the magnitude spectrum normalised to its maximum. This follows the authors'
    reference code (github.com/siva82kb/smoothness).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-1, 1, 0.01)
    >>> round(sparc(np.exp(-5 * t**2), fps=100), 5)
    -1.41403
    """
    v = as_1d(speed, "sparc")
    rate = resolve_fps(speed, fps, "sparc")
    if fc <= 0 or not 0 < amp_th < 1:
        raise ValueError(f"sparc: need fc > 0 and 0 < amp_th < 1, got fc={fc}, amp_th={amp_th}")
    nfft = int(2 ** (np.ceil(np.log2(len(v))) + padlevel))
    mag = np.abs(np.fft.fft(v, nfft))
    peak = mag.max()
    if peak == 0:
        raise ValueError("sparc: the speed profile is all zero")
    mag = mag / peak
    freq = np.arange(nfft) * (rate / nfft)
    band = freq <= fc
    f_sel, m_sel = freq[band], mag[band]
    above = np.flatnonzero(m_sel >= amp_th)
    f_sel = f_sel[above[0] : above[-1] + 1]
    m_sel = m_sel[above[0] : above[-1] + 1]
    if len(f_sel) < 2:
        return 0.0
    df = np.diff(f_sel) / (f_sel[-1] - f_sel[0])
    return float(-np.sum(np.sqrt(df**2 + np.diff(m_sel) ** 2)))


@renamed(fs="fps")
@per_clip
def dimensionless_jerk(speed: Any, /, fps: float | None = None) -> float:
    """Dimensionless jerk of a speed profile: −(T³ / v_peak²) ∫ (d²v/dt²)² dt.

    ``T = len(speed) / fps``; the second derivative is the second difference over Δt², the
    integral a sum times Δt (see :func:`ldlj`).

    Parameters
    ----------
    speed
        A gap-free speed profile (1-D array or Series) of at least 3 samples, any unit (the
        result is dimensionless).
    fps
        Sampling rate (Hz); default ``speed.attrs["fps"]``.

    Returns
    -------
    float
        Negative; closer to 0 is smoother. :func:`ldlj` is −ln of its absolute value.

    Raises
    ------
    ValueError
        Fewer than 3 samples, or the speed is zero throughout.

    Examples
    --------
    The bell-shaped profile of :func:`ldlj`'s notes; −ln(335.7468) = −5.81636:

    >>> import numpy as np
    >>> from posekit.metrics import dimensionless_jerk
    >>> t = np.arange(-1, 1, 0.01)
    >>> round(dimensionless_jerk(np.exp(-5 * t**2), fps=100), 4)
    -335.7468
    """
    v = as_1d(speed, "dimensionless_jerk")
    rate = resolve_fps(speed, fps, "dimensionless_jerk")
    if len(v) < 3:
        raise ValueError(f"dimensionless_jerk: need at least 3 samples, got {len(v)}")
    dt = 1.0 / rate
    v_peak = np.max(np.abs(v))
    if v_peak == 0:
        raise ValueError("dimensionless_jerk: the speed profile is all zero")
    duration = len(v) * dt
    jerk = np.diff(v, 2) / dt**2
    return float(-(duration**3 / v_peak**2) * np.sum(jerk**2) * dt)


@renamed(fs="fps")
@per_clip
def ldlj(speed: Any, /, fps: float | None = None) -> float:
    """Log dimensionless jerk (LDLJ) of a speed profile; closer to 0 is smoother.

    Parameters
    ----------
    speed
        A gap-free speed profile (1-D array or Series).
    fps
        Sampling rate (Hz); default ``speed.attrs["fps"]``. (``fs=`` is the old name, deprecated.)

    Notes
    -----
    LDLJ = −ln |DJ| with DJ = −(T³ / v_peak²) ∫ (d²v/dt²)² dt, the speed-profile form of
    Balasubramanian, Melendez-Calderon & Burdet (2012), "A robust and sensitive metric for
    quantifying movement smoothness", IEEE TBME 59(8), as in the authors' reference code
    (github.com/siva82kb/smoothness): T = N/fps for N samples (not (N−1)/fps), the jerk is the
    second difference of speed over Δt², and the integral a plain sum times Δt. For
    t = −1, −0.99, …, 0.99 (200 samples, fps = 100) and speed = exp(−5t²) it gives −5.81636.
    The 2015 paper's variant built from velocity *vectors* with T⁵/A² scaling gives other numbers;
    this is not it.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-1, 1, 0.01)
    >>> round(ldlj(np.exp(-5 * t**2), fps=100), 5)
    -5.81636
    """
    return float(-np.log(abs(dimensionless_jerk(speed, fps))))
