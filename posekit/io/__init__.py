"""Reading and writing results, one module per format behind this facade.

* :mod:`posekit.io.kakao` — Kakao Pose API JSON: :func:`load`, :func:`save`.
* :mod:`posekit.io.openpose` — OpenPose JSON folders: :func:`load_openpose`.
* :mod:`posekit.io.coco` — COCO keypoint results and annotation files: :func:`load_coco`.

Also here for the callers that used them from ``posekit.io``: :func:`flatten` and :class:`Flat`
(every detection as arrays, from :mod:`posekit._decode`), :func:`check_job`, :func:`atomic_write`
and :func:`make_person` (a Kakao ``Person`` from a ``(17, 3)`` array).
"""

from __future__ import annotations

from posekit._decode import Flat, check_job, flatten
from posekit._files import atomic_write
from posekit.io._build import make_person
from posekit.io.coco import load_coco
from posekit.io.kakao import load, save
from posekit.io.openpose import OPENPOSE_TO_COCO, load_openpose

__all__ = [
    "OPENPOSE_TO_COCO",
    "Flat",
    "atomic_write",
    "check_job",
    "flatten",
    "load",
    "load_coco",
    "load_openpose",
    "make_person",
    "save",
]
