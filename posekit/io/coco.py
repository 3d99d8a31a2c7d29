"""COCO keypoints: detection results (a list) and keypoint annotation files (a dict).

Reading (:func:`load_coco`): imported results follow Kakao's conventions: ``bbox`` and ``area`` follow Kakao's rule over the
detected keypoints when the source has none, and the person ``score`` is the mean keypoint score
when the source has none.

Writing (:func:`write_coco`): each frame is one COCO image (``image_id`` = frame number,
``file_name`` ``frame_000012.jpg``); each person in it one annotation or result. COCO JSON has no
NaN: a missing point is written ``0, 0, 0`` (COCO's "not labelled"). In annotation files the
third value is the visibility flag (2 where the point is present, 0 where missing); in results
it is posekit's score.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from posekit.errors import PoseFormatError
from posekit.io._build import make_person, video_result
from posekit.io._errors import only_posekit_errors
from posekit.result import PoseResult
from posekit.schema import COCO_SKELETON, JOINTS, N_JOINTS, Annotation, Person

if TYPE_CHECKING:
    import pandas as pd

    from posekit.io._arrays import PathLike

__all__ = ["load_coco", "to_coco", "write_coco"]


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

    Parameters
    ----------
    source
        A JSON file, or its parsed content: a results list or an annotation dict.
    fps
        Frame rate (Hz) of the video the images come from; COCO files carry none.
    width, height
        Frame size in pixels, if known (annotation files' ``images`` give it otherwise).

    Returns
    -------
    PoseResult

    Raises
    ------
    PoseFormatError
        The content is not COCO keypoints; the message names the JSON path.

    Examples
    --------
    A detection with every joint at (10 k, 20) px and score 0.9:

    >>> from posekit.io import load_coco
    >>> kps = [v for k in range(17) for v in (10.0 * k, 20.0, 0.9)]
    >>> res = load_coco([{"image_id": 7, "category_id": 1, "keypoints": kps, "score": 0.8}])
    >>> res.kind, res.keypoints()["x"].tolist()[:3]
    ('image', [0.0, 10.0, 20.0])
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

    Returns
    -------
    list or dict
        ``kind="results"``: a list of detections (``image_id``, ``category_id``, ``keypoints``,
        ``score``); ``"annotations"``: a dict with ``info``, ``images``, ``annotations`` and
        ``categories``.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> dets = pk.io.to_coco(kp)
    >>> len(dets), sorted(dets[0]), len(dets[0]["keypoints"])  # 30 frames, 17 × 3 values
    (30, ['category_id', 'image_id', 'keypoints', 'score'], 51)
    >>> sorted(pk.io.to_coco(kp, kind="annotations"))
    ['annotations', 'categories', 'images', 'info']
    """
    from posekit.io._arrays import arrays_from_table
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
    """Write COCO keypoints JSON (see :func:`to_coco`).

    pycocotools reads it (``COCO``, ``COCO.loadRes``, ``COCOeval(..., "keypoints")``).

    Parameters
    ----------
    kp
        A keypoints table in pixels.
    path
        The JSON file to write.
    objects
        The matching objects table, for boxes, areas and person scores (see :func:`to_coco`).
    kind
        ``"results"`` or ``"annotations"``.
    min_score
        Points with a lower score are written as missing.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_coco(kp, Path(tmp) / "dets.json")
    ...     fmt, back = pk.io.detect_format(path), pk.io.load_coco(path, fps=30).keypoints()
    >>> fmt, bool((back["x"] - kp["x"]).abs().max() < 1e-6)
    ('coco', True)
    """
    from posekit._files import atomic_write

    doc = to_coco(kp, objects, kind=kind, min_score=min_score)
    return atomic_write(path, json.dumps(doc, separators=(",", ":")))
