"""Offline multi-person pose estimation that writes Kakao Pose API results.

BlazePose (the detector and the full landmark model from the ``mediapipe==0.10.21`` wheel) run
by ai-edge-litert; weights from ``posekit models install``. See ``docs/estimator.md``.

>>> from posekit.estimate import estimate_video
>>> res = estimate_video("clip.mp4")                            # doctest: +SKIP
"""

from __future__ import annotations

from posekit.estimate._api import (
    Estimator,
    ImageError,
    KakaoLimitWarning,
    LostPersonWarning,
    estimate_image,
    estimate_video,
    warmup,
)
from posekit.estimate._pipeline import BLAZE_TO_COCO

__all__ = [
    "BLAZE_TO_COCO",
    "Estimator",
    "ImageError",
    "KakaoLimitWarning",
    "LostPersonWarning",
    "estimate_image",
    "estimate_video",
    "warmup",
]
