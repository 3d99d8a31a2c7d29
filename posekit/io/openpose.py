"""OpenPose JSON folders (one ``*.json`` per frame) in the BODY_25, BODY_25B or COCO-18 layouts.

Imported results follow Kakao's conventions: an undetected joint has score 0 (its coordinates are
kept as OpenPose gave them), ``bbox`` and ``area`` follow Kakao's rule over the detected keypoints,
and the person ``score`` is the mean keypoint score.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np

from posekit.errors import PoseFormatError
from posekit.io._build import make_person, video_result
from posekit.io._errors import only_posekit_errors
from posekit.result import PoseResult
from posekit.schema import Annotation

__all__ = ["OPENPOSE_TO_COCO", "load_openpose"]

#: For each OpenPose layout, the index of each COCO-17 joint in that layout's keypoint list.
OPENPOSE_TO_COCO: dict[str, tuple[int, ...]] = {
    "BODY_25": (0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11),
    "BODY_25B": tuple(range(17)),
    "COCO": (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10),
}
_N_POINTS = {"BODY_25": 25, "BODY_25B": 25, "COCO": 18}
_FRAME_RE = re.compile(r"(\d+)(?:_keypoints)?\.json$", re.IGNORECASE)

OpenPoseLayout = Literal["auto", "BODY_25", "BODY_25B", "COCO"]


def _frame_files(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(source, str | os.PathLike):
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"no such OpenPose folder: {folder}")
        files = sorted(folder.glob("*.json"))
        if not files:
            raise PoseFormatError(f"{folder} holds no *.json files (one per frame expected)")
    else:
        files = [Path(f) for f in source]
    numbered = [(_FRAME_RE.search(f.name), f) for f in files]
    if all(m for m, _ in numbered):
        return [f for _, f in sorted(numbered, key=lambda mf: int(mf[0].group(1)))]  # type: ignore[union-attr]
    return sorted(files)


def _guess_layout(people: list[np.ndarray]) -> str:
    """Tell BODY_25 from BODY_25B: in BODY_25 point 1 is the neck, between the shoulders 2, 5."""
    ratios = []
    for p in people:
        if (p[[1, 2, 5], 2] > 0.3).all():
            width = np.linalg.norm(p[2, :2] - p[5, :2])
            if width > 1:
                ratios.append(np.linalg.norm(p[1, :2] - (p[2, :2] + p[5, :2]) / 2) / width)
    if not ratios:
        raise PoseFormatError(
            "cannot tell BODY_25 from BODY_25B (no person with neck and shoulders detected): "
            "pass layout='BODY_25' or layout='BODY_25B'"
        )
    return "BODY_25" if np.median(ratios) < 0.25 else "BODY_25B"


@only_posekit_errors("OpenPose JSON")
def load_openpose(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    fps: float | None = None,
    layout: OpenPoseLayout = "auto",
    width: int | None = None,
    height: int | None = None,
) -> PoseResult:
    """Import an OpenPose JSON folder (one file per frame) as a video result.

    Parameters
    ----------
    source
        The folder, or the frame files in order. The frame number is the number at the end of
        each file name (``cam01.0012.json``, ``clip_000000000012_keypoints.json``).
    fps
        Frame rate; OpenPose files do not carry one. Without it the result has no ``video``
        block: tables get no ``time`` column and saving needs ``fps`` set first.
    layout
        The keypoint layout; ``"auto"`` tells them apart by the number of points (18 is COCO)
        and, for 25, by where point 1 lies (BODY_25's neck sits between the shoulders).
    width, height
        Frame size in pixels, if known.

    Returns
    -------
    PoseResult
        ``object_id`` is OpenPose's ``person_id`` when tracked; ``-1`` (untracked) gives the order
        in the frame's list — use :func:`posekit.clean.assign_tracks` to make tracks.
    """
    files = _frame_files(source)
    frames: list[tuple[int, list[tuple[int, np.ndarray]]]] = []
    n_points = None
    for i, f in enumerate(files):
        try:
            doc = json.loads(Path(f).read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PoseFormatError(f"{f}: not valid JSON ({exc})", path="$") from None
        people = doc.get("people") if isinstance(doc, dict) else None
        if not isinstance(people, list):
            raise PoseFormatError(f"{f}: expected an object with a 'people' list", path="$.people")
        m = _FRAME_RE.search(Path(f).name)
        frame = int(m.group(1)) if m else i
        persons = []
        for j, p in enumerate(people):
            kp = p.get("pose_keypoints_2d") if isinstance(p, dict) else None
            if not isinstance(kp, list) or len(kp) % 3 or len(kp) // 3 not in (18, 25):
                got = len(kp) if isinstance(kp, list) else type(kp).__name__
                raise PoseFormatError(
                    f"{f}: pose_keypoints_2d has {got} values, expected 54 (COCO-18) or 75 (BODY_25)",
                    path=f"$.people[{j}].pose_keypoints_2d",
                )
            arr = np.asarray(kp, dtype=np.float64).reshape(-1, 3)
            if not np.isfinite(arr).all():
                raise PoseFormatError(
                    f"{f}: non-finite value", path=f"$.people[{j}].pose_keypoints_2d"
                )
            if n_points is None:
                n_points = len(arr)
            elif len(arr) != n_points:
                raise PoseFormatError(
                    f"{f}: {len(arr)} keypoints, but earlier frames had {n_points}",
                    path=f"$.people[{j}].pose_keypoints_2d",
                )
            pid = p.get("person_id", -1)
            pid = pid[0] if isinstance(pid, list) and pid else pid
            persons.append((int(pid) if isinstance(pid, int | float) else -1, arr))
        frames.append((frame, persons))
    if layout == "auto":
        if n_points == 18:
            layout = "COCO"
        elif n_points is None:
            layout = "BODY_25"
        else:
            layout = _guess_layout([a for _, ps in frames for _, a in ps])  # type: ignore[assignment]
    if n_points is not None and n_points != _N_POINTS[layout]:
        raise PoseFormatError(
            f"layout {layout} has {_N_POINTS[layout]} points, files have {n_points}"
        )
    idx = list(OPENPOSE_TO_COCO[layout])
    tracked = all(pid >= 0 for _, ps in frames for pid, _ in ps)
    annotations = []
    for frame, persons in frames:
        objs = [
            make_person(arr[idx], object_id=pid if tracked else j)
            for j, (pid, arr) in enumerate(persons)
        ]
        annotations.append(Annotation(frame_num=frame, objects=objs))
    n_frames = (max(f for f, _ in frames) + 1) if frames else 0
    res = video_result(
        annotations,
        fps=fps,
        width=width,
        height=height,
        n_frames=n_frames,
        source=str(source) if isinstance(source, str | os.PathLike) else "<openpose files>",
        description=f"Imported from OpenPose ({layout}) by posekit",
    )
    res.extra.update(layout=layout, tracked=tracked)
    return res
