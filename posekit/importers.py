"""Importers of other tools' pose formats; kept for old imports, see :mod:`posekit.io`.

:func:`load_openpose` lives in :mod:`posekit.io.openpose`, :func:`load_coco` in
:mod:`posekit.io.coco`, :func:`make_person` in :mod:`posekit.io._build`.
"""

from __future__ import annotations

from posekit.io import OPENPOSE_TO_COCO, load_coco, load_openpose, make_person

__all__ = ["OPENPOSE_TO_COCO", "load_coco", "load_openpose", "make_person"]
