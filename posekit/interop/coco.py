"""COCO keypoints files: detection results (a list) and annotation files (a dict).

Each frame is one COCO image (``image_id`` = frame number, ``file_name`` ``frame_000012.jpg``);
each person in it one annotation or result. COCO JSON has no NaN: a missing point is written
``0, 0, 0`` (COCO's "not labelled"), which is how COCO itself says it. In annotation files the
third value is the visibility flag (2 where the point is present, 0 where missing); in results it
is posekit's score. Reading is :func:`posekit.io.load_coco`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from posekit.interop._common import PathLike, arrays_from_table
from posekit.schema import COCO_SKELETON, JOINTS

__all__ = ["to_coco", "write_coco"]


def _category() -> dict[str, Any]:
    return {
        "id": 1,
        "name": "person",
        "supercategory": "person",
        "keypoints": list(JOINTS),
        "skeleton": [list(p) for p in COCO_SKELETON],
    }


def to_coco(
    kp: pd.DataFrame,
    /,
    objects: pd.DataFrame | None = None,
    *,
    kind: Literal["results", "annotations"] = "results",
    min_score: float | None = None,
) -> list[dict[str, Any]] | dict[str, Any]:
    """A keypoints table as COCO keypoints (results list or annotation dict).

    Parameters
    ----------
    kp
        A keypoints table in pixels.
    objects
        The matching objects table: its boxes, areas and person scores are used when given;
        otherwise the box is the keypoints' extent and the person score the mean keypoint score.
    kind
        ``"results"`` (what a detector submits to COCO's evaluation) or ``"annotations"``
        (ground truth: images, annotations with visibility flags, the person category).
    min_score
        Points with a lower score count as missing (written ``0, 0, 0``).
    """
    from posekit.units import length_unit

    if length_unit(kp) != "px":
        raise ValueError("COCO keypoints are in pixels; this table is in " + length_unit(kp))
    a = arrays_from_table(kp)
    ok = np.isfinite(a.xy).all(axis=-1)
    if min_score is not None:
        ok &= a.score >= min_score
    boxes: dict[tuple[int, int], np.ndarray] = {}
    if objects is not None:
        cols = ["bbox_x", "bbox_y", "bbox_w", "bbox_h", "area", "score"]
        vals = objects[cols].to_numpy(np.float64)
        fr = objects.index.get_level_values("frame").to_numpy()
        ob = objects.index.get_level_values("object_id").to_numpy()
        boxes = {(int(f), int(o)): v for f, o, v in zip(fr, ob, vals, strict=True)}
    width, height = kp.attrs.get("width") or 0, kp.attrs.get("height") or 0
    images = [
        {
            "id": int(f),
            "file_name": f"frame_{int(f):06d}.jpg",
            "width": int(width),
            "height": int(height),
        }
        for f, row in zip(a.frames, a.present, strict=True)
        if kind == "annotations" or row.any()
    ]
    anns: list[dict[str, Any]] = []
    for fi, frame in enumerate(a.frames):
        for oi, oid in enumerate(a.object_ids):
            if not a.present[fi, oi]:
                continue
            m = ok[fi, oi]
            xy = np.where(m[:, None], a.xy[fi, oi], 0.0)
            sc = np.where(m, np.nan_to_num(a.score[fi, oi]), 0.0)
            third = np.where(m, 2.0, 0.0) if kind == "annotations" else sc
            flat = np.column_stack([xy, third]).ravel()
            box = boxes.get((int(frame), int(oid)))
            if box is not None:
                bbox, area, pscore = box[:4].tolist(), float(box[4]), float(box[5])
            elif m.any():
                lo, hi = xy[m].min(axis=0), xy[m].max(axis=0)
                bbox = [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]
                area, pscore = bbox[2] * bbox[3], float(sc[m].mean())
            else:
                bbox, area, pscore = [0.0, 0.0, 0.0, 0.0], 0.0, 0.0
            ann: dict[str, Any] = {
                "image_id": int(frame),
                "category_id": 1,
                "keypoints": [round(float(v), 3) for v in flat],
                "score": round(pscore, 6),
            }
            if kind == "annotations":
                ann.update(
                    id=len(anns) + 1,
                    bbox=[round(v, 3) for v in bbox],
                    area=round(area, 3),
                    num_keypoints=int(m.sum()),
                    iscrowd=0,
                    track_id=int(oid),
                )
                del ann["score"]
            anns.append(ann)
    if kind == "results":
        return anns
    return {
        "info": {"description": f"exported by posekit from {kp.attrs.get('source') or 'a table'}"},
        "images": images,
        "annotations": anns,
        "categories": [_category()],
    }


def write_coco(
    kp: pd.DataFrame,
    path: PathLike,
    /,
    objects: pd.DataFrame | None = None,
    *,
    kind: Literal["results", "annotations"] = "results",
    min_score: float | None = None,
) -> Path:
    """Write COCO keypoints JSON (see :func:`to_coco`); pycocotools reads it (``COCO``,
    ``COCO.loadRes``, ``COCOeval(..., "keypoints")``)."""
    from posekit.io import atomic_write

    doc = to_coco(kp, objects, kind=kind, min_score=min_score)
    return atomic_write(path, json.dumps(doc, separators=(",", ":")))
