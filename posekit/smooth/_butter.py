"""Low-pass Butterworth primitives.

Shared by :func:`posekit.smooth.butterworth` and :func:`posekit.smooth.winter_cutoff` (which
uses them too), so they live below both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal

__all__ = ["butter_runs", "butter_sos", "sos_padlen"]


def butter_sos(cutoff_hz: float, order: int, fps: float, where: str = "butterworth") -> np.ndarray:
    """Second-order sections of a low-pass Butterworth, with the range checks."""
    nyq = fps / 2.0
    if not np.isfinite(cutoff_hz) or cutoff_hz <= 0:
        raise ValueError(f"{where}: cutoff_hz must be > 0, got {cutoff_hz}")
    if cutoff_hz >= nyq:
        raise ValueError(
            f"{where}: cutoff_hz={cutoff_hz} is not below the Nyquist frequency {nyq:g} Hz "
            f"(half of fps={fps:g})"
        )
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"{where}: order must be a positive integer, got {order!r}")
    return signal.butter(int(order), cutoff_hz, btype="lowpass", fs=fps, output="sos")


def sos_padlen(sos: np.ndarray) -> int:
    """``sosfiltfilt``'s default padding length (a run must be longer than this)."""
    ntaps = 2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def butter_runs(sos: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Zero-phase filtering of ``(n_runs, L)`` runs, each detrended by its end-to-end line.

    Removing the straight line through a run's first and last values before filtering (and
    adding it back after) leaves the interior result unchanged — the filter passes lines
    exactly — but removes the start-up transients at the run ends that a trend would cause.
    """
    padlen = sos_padlen(sos)

    def func(a: np.ndarray) -> np.ndarray:
        line = a[:, :1] + (a[:, -1:] - a[:, :1]) * np.linspace(0.0, 1.0, a.shape[1])
        return signal.sosfiltfilt(sos, a - line, axis=1, padlen=padlen) + line

    return func
