"""Kakao-format answers built from arrays, for the importers of other tools' formats."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np

from posekit.result import PoseResult
from posekit.schema import (
    N_JOINTS,
    Annotation,
    Person,
    kakao_bbox,
    video_job,
)

__all__ = ["make_person", "video_result"]


def make_person(
    kp: np.ndarray,
    *,
    score: float | None = None,
    object_id: int | None = None,
    bbox: Sequence[float] | None = None,
    area: float | None = None,
) -> Person:
    """A Kakao ``Person`` from a ``(17, 3)`` array of x, y, score.

    Parameters
    ----------
    kp
        ``(17, 3)`` (or 51 values) x (px), y (px) and score per COCO joint.
    score
        The person's score; default the mean keypoint score (4 decimals).
    object_id
        The track id; default none (an image result's person).
    bbox
        ``[x, y, w, h]`` in pixels; default Kakao's rule over the keypoints with a score above
        0: ``[min_x, min_y, max_x - min_x + 1, max_y - min_y + 1]``.
    area
        Box area in px²; default ``w * h`` of the box.

    Returns
    -------
    Person

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.io import make_person
    >>> kp = np.column_stack([np.arange(17) * 2.0, np.arange(17.0), np.full(17, 0.8)])
    >>> p = make_person(kp, object_id=3)
    >>> p.bbox, p.area, p.score, p.object_id  # x 0..32, y 0..16
    ([0.0, 0.0, 33.0, 17.0], 561.0, 0.8, 3)
    """
    kp = np.asarray(kp, dtype=np.float64).reshape(N_JOINTS, 3)
    if bbox is None:
        box, box_area = kakao_bbox(kp[:, :2], kp[:, 2] > 0)
        bbox = box.tolist()
        area = float(box_area) if area is None else area
    if area is None:
        area = float(bbox[2] * bbox[3])
    if score is None:
        score = float(np.round(kp[:, 2].mean(), 4))
    return Person(
        area=float(area),
        bbox=[float(v) for v in bbox],
        category_id=1,
        keypoints=kp.ravel().tolist(),
        score=float(score),
        object_id=msgspec.UNSET if object_id is None else int(object_id),
    )


def video_result(
    annotations: list[Annotation],
    *,
    fps: float | None,
    width: int | None,
    height: int | None,
    n_frames: int,
    source: str,
    description: str,
) -> PoseResult:
    job = video_job(
        annotations, fps=fps, frames=n_frames, width=width, height=height, description=description
    )
    # built directly (not from_job): without fps there is no video block, which load() refuses
    return PoseResult(
        kind="video", job=job, source=source, extra={"width": width, "height": height}
    )
