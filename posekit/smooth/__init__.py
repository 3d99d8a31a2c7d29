"""Smoothing of keypoint trajectories, NaN-aware, and the comparison of smoothing methods.

Every filter takes a keypoints table and returns a new one with ``x`` and ``y`` smoothed per
(object_id, joint) along frames; ``score`` and ``time`` are unchanged. Filters work within
each run of consecutive valid frames and never smear across gaps (NaN values or frames missing
from the table); NaNs come back exactly where they were. Runs too short for a window filter
stay unchanged (the table's ``attrs["history"]`` counts them); a window longer than the whole
table, or a table with no run long enough, raises ``ValueError``.

Filters: :func:`moving_average`, :func:`median`, :func:`gaussian`, :func:`savgol`,
:func:`butterworth` (zero-phase; ``cutoff_hz="auto"`` by :func:`winter_cutoff`),
:func:`one_euro`, :func:`kalman`. Comparison: :func:`compare`, :func:`recommend`.
"""

from __future__ import annotations

from posekit.smooth.compare import compare, recommend
from posekit.smooth.filters import butterworth, gaussian, median, moving_average, savgol
from posekit.smooth.recursive import kalman, one_euro
from posekit.smooth.winter import residual_analysis, winter_cutoff

__all__ = [
    "butterworth",
    "compare",
    "gaussian",
    "kalman",
    "median",
    "moving_average",
    "one_euro",
    "recommend",
    "residual_analysis",
    "savgol",
    "winter_cutoff",
]
