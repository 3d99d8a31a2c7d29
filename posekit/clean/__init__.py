"""Cleaning keypoint tables: confidence masking, gaps, frame reindexing, tracks, L/R swaps.

Every function takes a keypoints table and returns a new one (the input is never changed) and
appends what it did to ``attrs["history"]``.

* :func:`mask_low_confidence` — x, y to NaN below a score threshold.
* :func:`reindex_frames` — every frame for every person, missing ones as NaN rows.
* :func:`interpolate` — fill short gaps (linear or cubic), long gaps stay NaN.
* :func:`assign_tracks` — track ids for untracked detections (Hungarian matching).
* :func:`main_person` — keep one person (longest track, largest, most central).
* :func:`fix_left_right_swaps` — repair evident left/right label swaps.
"""

from __future__ import annotations

from posekit.clean._gaps import interpolate, mask_low_confidence, reindex_frames
from posekit.clean._swaps import fix_left_right_swaps
from posekit.clean._tracks import assign_tracks, main_person

__all__ = [
    "assign_tracks",
    "fix_left_right_swaps",
    "interpolate",
    "main_person",
    "mask_low_confidence",
    "reindex_frames",
]
