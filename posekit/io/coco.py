"""COCO keypoints: detection results (a list) and keypoint annotation files (a dict).

Imported results follow Kakao's conventions: ``bbox`` and ``area`` follow Kakao's rule over the
detected keypoints when the source has none, and the person ``score`` is the mean keypoint score
when the source has none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from posekit.errors import PoseFormatError
from posekit.io._build import make_person, video_result
from posekit.io._errors import only_posekit_errors
from posekit.result import PoseResult
from posekit.schema import N_JOINTS, Annotation, Person

__all__ = ["load_coco"]


@only_posekit_errors("COCO keypoints")
def load_coco(  # noqa: C901 (results and annotation files, each checked with its path)
    source: str | os.PathLike[str] | dict[str, Any] | list[Any],
    *,
    fps: float | None = None,
    width: int | None = None,
    height: int | None = None,
) -> PoseResult:
    """Import COCO keypoints: a detection results list or an annotation file.

    Images become frames in the order of their ``image_id`` (annotation files: of the
    ``images`` list sorted by id). In annotation files the third value is COCO's visibility
    flag (0 not labelled, 1 occluded, 2 visible), turned into a score of 0 or 1; in results it
    is the detector's keypoint score and is kept. A single image with no ``fps`` gives an image
    result; otherwise a video result.
    """
    if isinstance(source, str | os.PathLike):
        try:
            doc = json.loads(Path(source).read_bytes())
        except json.JSONDecodeError as exc:
            raise PoseFormatError(f"{source}: not valid JSON ({exc})", path="$") from None
        where = str(source)
    else:
        doc, where = source, "<object>"
    if isinstance(doc, list):
        anns, visibility, path = doc, False, "$"
        image_ids = sorted({a.get("image_id") for a in anns if isinstance(a, dict)}, key=str)
        sizes: dict[Any, tuple[int, int]] = {}
    elif isinstance(doc, dict) and isinstance(doc.get("annotations"), list):
        anns, visibility, path = doc["annotations"], True, "$.annotations"
        images = sorted(doc.get("images") or [], key=lambda im: str(im.get("id")))
        image_ids = [im.get("id") for im in images] or sorted(
            {a.get("image_id") for a in anns if isinstance(a, dict)}, key=str
        )
        sizes = {im.get("id"): (im.get("width"), im.get("height")) for im in images}
    else:
        raise PoseFormatError(
            f"not COCO keypoints ({where}): expected a results list or a dict with 'annotations'",
            path="$",
        )
    if all(isinstance(i, int) for i in image_ids):
        image_ids = sorted(image_ids, key=lambda i: int(i))  # type: ignore[arg-type]
    frame_of = {iid: f for f, iid in enumerate(image_ids)}
    per_frame: dict[int, list[Person]] = {f: [] for f in range(len(image_ids))}
    for i, a in enumerate(anns):
        p = f"{path}[{i}]"
        if not isinstance(a, dict) or a.get("image_id") not in frame_of:
            raise PoseFormatError("expected an object with a known image_id", path=p)
        kp = a.get("keypoints")
        if not isinstance(kp, list) or len(kp) != 3 * N_JOINTS:
            got = len(kp) if isinstance(kp, list) else type(kp).__name__
            raise PoseFormatError(
                f"has {got} values, expected {3 * N_JOINTS}", path=p + ".keypoints"
            )
        try:
            arr = np.asarray(kp, dtype=np.float64).reshape(N_JOINTS, 3)
        except (TypeError, ValueError):
            raise PoseFormatError("expected numbers", path=p + ".keypoints") from None
        if not np.isfinite(arr).all():
            raise PoseFormatError("non-finite value", path=p + ".keypoints")
        if visibility:
            arr[:, 2] = (arr[:, 2] > 0).astype(np.float64)
        if a.get("num_keypoints") == 0:
            continue  # crowd/empty annotations carry no pose
        frame = frame_of[a["image_id"]]
        bbox = a.get("bbox")
        bbox = bbox if isinstance(bbox, list) and len(bbox) == 4 else None
        per_frame[frame].append(
            make_person(arr, score=a.get("score"), bbox=bbox, area=a.get("area") if bbox else None)
        )
    if len(image_ids) == 1 and not fps:
        w, h = sizes.get(image_ids[0], (width, height))
        return PoseResult(
            kind="image", people=per_frame[0], source=where, extra={"width": w, "height": h}
        )
    annotations = []
    for f, people in per_frame.items():
        for j, person in enumerate(people):
            person.object_id = j
        annotations.append(Annotation(frame_num=f, objects=people))
    if sizes and width is None:
        width, height = next(iter(sizes.values()))
    return video_result(
        annotations,
        fps=fps,
        width=width,
        height=height,
        n_frames=len(image_ids),
        source=where,
        description="Imported from COCO keypoints by posekit",
    )
