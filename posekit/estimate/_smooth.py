"""The estimator's temporal filter: a One Euro filter on each track, in body-size units.

One Euro (Casiez, Roussel & Vogel, CHI 2012) is a low-pass filter whose cutoff rises with
speed: jitter is removed when a joint is still, and little lag is added when it moves fast.
It is causal (each frame needs only the past), as a live estimator's filter is, and it is the
filter mediapipe applies to these very landmarks. The parameters are mediapipe's pose landmark
smoothing (min_cutoff 0.05 Hz, beta 80, d_cutoff 1 Hz) applied, as mediapipe does, to
coordinates divided by the person's size (the mean side of the keypoint box), so one setting
works for near and far people.
"""

from __future__ import annotations

import numpy as np

__all__ = ["one_euro_track"]


def _alpha(cutoff_hz: np.ndarray | float, fps: float) -> np.ndarray | float:
    tau = 1.0 / (2 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


def one_euro_track(
    xy: np.ndarray,
    frames: np.ndarray,
    fps: float,
    *,
    min_cutoff_hz: float = 0.05,
    beta: float = 80.0,
    d_cutoff_hz: float = 1.0,
) -> np.ndarray:
    """Filter one track's keypoints.

    Parameters
    ----------
    xy
        (T, J, 2) pixel coordinates of the track in the frames it was seen.
    frames
        (T,) increasing frame numbers; a gap restarts the filter (no smoothing across a gap).
    fps
        Frame rate (Hz).

    Returns
    -------
    numpy.ndarray
        (T, J, 2) filtered coordinates, pixels.
    """
    xy = np.asarray(xy, dtype=np.float64)
    out = np.empty_like(xy)
    box = np.concatenate([xy.min(1), xy.max(1)], axis=1)  # (T, 4)
    size = np.maximum(((box[:, 2] - box[:, 0]) + (box[:, 3] - box[:, 1])) / 2, 1.0)
    a_d = _alpha(d_cutoff_hz, fps)
    raw = hat = dhat = xy[0]
    for t in range(len(xy)):
        if t == 0 or frames[t] != frames[t - 1] + 1:  # start, or restart after a gap
            out[t] = raw = hat = xy[t]
            dhat = np.zeros_like(xy[t])
            continue
        # speed in body sizes per second, from the raw points (as mediapipe's OneEuroFilter)
        d = (xy[t] - raw) / size[t] * fps
        dhat = dhat + a_d * (d - dhat)
        a = _alpha(min_cutoff_hz + beta * np.abs(dhat), fps)
        hat = hat + a * (xy[t] - hat)
        out[t] = hat
        raw = xy[t]
    return out
