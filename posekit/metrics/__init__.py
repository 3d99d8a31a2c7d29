"""Motion metrics: range of motion, repetitions, gait cadence, symmetry, smoothness, similarity.

=========================  ==========================================================
:func:`range_of_motion`    min / max / range of each angle per person
:func:`count_repetitions`  repetitions in an angle or coordinate series (find_peaks)
:func:`gait_events`        heel strikes and toe-offs from ankle trajectories
:func:`cadence`            steps per minute and step times
:func:`symmetry_index`     Robinson's left/right symmetry index (%)
:func:`sparc`              spectral arc length smoothness of a speed profile
:func:`ldlj`               log dimensionless jerk of a speed profile
:func:`oks`                COCO object keypoint similarity of two poses
:func:`cosine_similarity`  cosine similarity of two normalised poses
:func:`dtw`                dynamic time warping of two series
=========================  ==========================================================
"""

from __future__ import annotations

from posekit.metrics._gait import GaitWarning, cadence, gait_events
from posekit.metrics._reps import Repetitions, count_repetitions
from posekit.metrics._similarity import COCO_SIGMAS, DTWResult, cosine_similarity, dtw, oks
from posekit.metrics._smoothness import dimensionless_jerk, ldlj, sparc
from posekit.metrics._summary import range_of_motion, symmetry_index

__all__ = [
    "COCO_SIGMAS",
    "DTWResult",
    "GaitWarning",
    "Repetitions",
    "cadence",
    "cosine_similarity",
    "count_repetitions",
    "dimensionless_jerk",
    "dtw",
    "gait_events",
    "ldlj",
    "oks",
    "range_of_motion",
    "sparc",
    "symmetry_index",
]
