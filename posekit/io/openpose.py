"""OpenPose JSON folders (one ``*.json`` per frame) in the BODY_25, BODY_25B or COCO-18 layouts.

Imported results follow Kakao's conventions: an undetected joint has score 0 (its coordinates are
kept in the result as OpenPose gave them, and are NaN in its tables), ``bbox`` and ``area``
follow Kakao's rule over the detected keypoints, and the person ``score`` is the mean keypoint
score.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
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
# a file name's frame number is its last run of digits: (prefix)(number)(suffix)
_NUMBER_RE = re.compile(r"^(.*?)(\d+)(\D*)$")

OpenPoseLayout = Literal["auto", "BODY_25", "BODY_25B", "COCO"]

#: Points that sit midway between two others in each 25-point layout: (middle, a, b).
#: BODY_25: the mid-hip (8) between the hips (9, 12), the neck (1) between the shoulders (2, 5);
#: BODY_25B: the neck (17) between the shoulders (5, 6). All of them are seen from behind too.
_MIDPOINTS = {"BODY_25": ((8, 9, 12), (1, 2, 5)), "BODY_25B": ((17, 5, 6),)}


def _numbered(files: list[Path]) -> tuple[list[tuple[int, Path]], list[Path]]:
    """(frame, file) of the files that follow the folder's numbering, and the others.

    The numbering is the most common ``prefix<number>suffix`` pattern of the names
    (``cam01.0012.json``: ``cam01.`` and ``.json``); names of another pattern (Pose2Sim's stray
    ``del_000000_0.json``) or without a number do not follow it.
    """
    parts = [(f, _NUMBER_RE.match(f.name)) for f in files]
    patterns = Counter((m.group(1), m.group(3)) for _, m in parts if m)
    if not patterns:
        return [], files
    (prefix, suffix), _ = max(patterns.items(), key=lambda kv: (kv[1], kv[0]))
    keep, other = [], []
    for f, m in parts:
        if m and (m.group(1), m.group(3)) == (prefix, suffix):
            keep.append((int(m.group(2)), f))
        else:
            other.append(f)
    return sorted(keep), other


def _frame_files(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[tuple[int, Path]]:
    """(frame number, file) in frame order; warns about and skips files off the numbering."""
    if isinstance(source, str | os.PathLike):
        folder = Path(source)
        if folder.is_file():
            raise PoseFormatError(
                f"{folder} is a file; load_openpose reads a folder with one JSON file per frame "
                f"(here probably {folder.parent}), or a list of such files"
            )
        if not folder.is_dir():
            raise FileNotFoundError(f"no such OpenPose folder: {folder}")
        files = sorted(folder.glob("*.json"))
        if not files:
            raise PoseFormatError(f"{folder} holds no *.json files (one per frame expected)")
    else:
        files = [Path(f) for f in source]
        if not files:
            raise PoseFormatError("no OpenPose files given")
    numbered, other = _numbered(files)
    if not numbered:  # no numbers at all: the files in name order are the frames
        return list(enumerate(sorted(files)))
    if other:
        names = ", ".join(f.name for f in other[:5]) + (" ..." if len(other) > 5 else "")
        warnings.warn(
            f"load_openpose: skipped {len(other)} file(s) that do not follow the numbering of "
            f"the other {len(numbered)} ({numbered[0][1].name}): {names}",
            stacklevel=3,
        )
    for (fa, a), (fb, b) in pairwise(numbered):
        if fa == fb:
            raise PoseFormatError(f"{a} and {b} are both frame {fa}")
    return numbered


def _midpoint_offsets(people: list[np.ndarray], layout: str) -> np.ndarray:
    """Offsets of the layout's middle points from the middle of their two neighbours.

    Each offset is a distance over the person's size (square root of the detected points' box
    area); one value per person whose three points are detected, from the layout's first
    triple that any person has.
    """
    out = []
    for triple_set in _MIDPOINTS[layout]:
        values = []
        for p in people:
            det = p[:, 2] > 0
            if not det[list(triple_set)].all():
                continue
            xy = p[det, :2]
            size = float(np.sqrt(np.prod(xy.max(axis=0) - xy.min(axis=0) + 1)))
            m, a, b = triple_set
            values.append(np.linalg.norm(p[m, :2] - (p[a, :2] + p[b, :2]) / 2) / size)
        if values:
            out = values
            break  # the first triple with data decides (BODY_25's mid-hip is the sharper test)
    return np.asarray(out, dtype=np.float64)


def _guess_layout(people: list[np.ndarray], where: str) -> str:
    """Tell BODY_25 from BODY_25B by the points that sit between two others.

    In BODY_25 point 8 (mid-hip) lies midway between the hips 9 and 12 and point 1 (neck)
    between the shoulders 2 and 5; in BODY_25B point 17 (neck) lies between the shoulders 5 and
    6. Under the wrong layout those points are an elbow, a wrist, an eye or an ear, far from the
    middle. On the Pose2Sim BODY_25B data (front and back views) the right layout's median
    offset is 0.04-0.08 of the person's size, the wrong one's 0.40-0.67.
    """
    fit = {}
    for layout in ("BODY_25", "BODY_25B"):
        off = _midpoint_offsets(people, layout)
        fit[layout] = float(np.median(off)) if len(off) else None
    a, b = fit["BODY_25"], fit["BODY_25B"]
    good, bad = 0.15, 0.3
    if a is not None and b is not None:
        lo, hi = sorted((a, b))
        if lo < good and hi > 1.5 * lo:
            return "BODY_25" if a < b else "BODY_25B"
    elif a is not None or b is not None:
        known, other = ("BODY_25", "BODY_25B") if a is not None else ("BODY_25B", "BODY_25")
        value = a if a is not None else b
        assert value is not None
        if value < good:
            return known
        if value > bad:
            return other
    shown = ", ".join(f"{k}: {'untestable' if v is None else f'{v:.2f}'}" for k, v in fit.items())
    raise PoseFormatError(
        f"{where}: cannot tell BODY_25 from BODY_25B (median offset of the neck/mid-hip from "
        f"the middle of its neighbours, as a share of the person's size: {shown}): pass "
        "layout='BODY_25' or layout='BODY_25B'"
    )


def _read_frame(f: Path) -> list[tuple[int, np.ndarray]]:
    """(person_id or -1, ``(n, 3)`` points) of each person detected in one frame file."""
    try:
        doc = json.loads(Path(f).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PoseFormatError(f"{f}: not valid JSON ({exc})", path="$") from None
    except OSError as exc:
        raise PoseFormatError(f"{f}: cannot be read ({exc.strerror})") from None
    people = doc.get("people") if isinstance(doc, dict) else None
    if not isinstance(people, list):
        raise PoseFormatError(f"{f}: expected an object with a 'people' list", path="$.people")
    persons = []
    for j, p in enumerate(people):
        kp = p.get("pose_keypoints_2d") if isinstance(p, dict) else None
        if isinstance(kp, list) and not kp:
            continue  # Pose2Sim writes people it does not track as []: no detection
        where = f"$.people[{j}].pose_keypoints_2d"
        if not isinstance(kp, list) or len(kp) % 3 or len(kp) // 3 not in (18, 25):
            got = len(kp) if isinstance(kp, list) else type(kp).__name__
            raise PoseFormatError(
                f"{f}: pose_keypoints_2d has {got} values, expected 54 (COCO-18) or 75 (BODY_25)",
                path=where,
            )
        try:
            arr = np.asarray(kp, dtype=np.float64).reshape(-1, 3)
        except (TypeError, ValueError):
            raise PoseFormatError(f"{f}: expected numbers", path=where) from None
        if not np.isfinite(arr).all():
            raise PoseFormatError(f"{f}: non-finite value", path=where)
        pid = p.get("person_id", -1)
        pid = pid[0] if isinstance(pid, list) and pid else pid
        persons.append((int(pid) if isinstance(pid, int | float) else -1, arr))
    return persons


def _resolve_layout(
    layout: str, n_points: int | None, people: list[np.ndarray], where: str
) -> OpenPoseLayout:
    """The layout asked for, or told from the data; checked against the number of points."""
    if layout == "auto":
        if n_points == 18:
            layout = "COCO"
        elif n_points is None:
            layout = "BODY_25"
        else:
            layout = _guess_layout(people, where)
    if layout not in _N_POINTS:
        raise ValueError(f"layout must be auto, BODY_25, BODY_25B or COCO, got {layout!r}")
    if n_points is not None and n_points != _N_POINTS[layout]:
        raise PoseFormatError(
            f"layout {layout} has {_N_POINTS[layout]} points, files have {n_points}"
        )
    return layout  # type: ignore[return-value]


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
        The folder, or the frame files. The frame number is the last number in each file name
        (``cam01.0012.json``, ``clip_000000000012_keypoints.json``); files whose names follow
        another pattern than most (Pose2Sim's stray ``del_000000_0.json``) are skipped with a
        warning naming them, and two files of the same frame are an error. A file given
        instead of its folder is an error that says so.
    fps
        Frame rate; OpenPose files do not carry one. Without it the result has no ``video``
        block: tables get no ``time`` column and saving needs ``fps`` set first.
    layout
        The keypoint layout; ``"auto"`` tells them apart by the number of points (18 is COCO)
        and, for 25, by which point sits between two others (BODY_25's mid-hip 8 between the
        hips, its neck 1 between the shoulders; BODY_25B's neck 17 between the shoulders),
        which holds from behind as well as from the front.
    width, height
        Frame size in pixels, if known.

    Returns
    -------
    PoseResult
        ``object_id`` is OpenPose's ``person_id`` when tracked; ``-1`` (untracked) gives the order
        in the frame's list — use :func:`posekit.clean.assign_tracks` to make tracks. A person
        with an empty ``pose_keypoints_2d`` (Pose2Sim writes untracked people so) is no
        detection. Undetected points keep score 0 in the result; its tables give them NaN x, y.

    Raises
    ------
    PoseFormatError
        A file that is not OpenPose JSON (the message names the file and the JSON path), a
        layout that does not fit, or a file given where a folder is expected.

    Examples
    --------
    Three frames of one untracked person in OpenPose's 18-point COCO layout (its left eye is
    point 15):

    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import posekit as pk
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for frame in range(3):
    ...         pts = np.column_stack([np.arange(18) * 10.0 + frame, np.full(18, 5.0), np.full(18, 0.9)])
    ...         person = {"person_id": [-1], "pose_keypoints_2d": pts.ravel().tolist()}
    ...         name = Path(tmp) / f"clip_{frame:012d}_keypoints.json"
    ...         _ = name.write_text(json.dumps({"version": 1.3, "people": [person]}))
    ...     kp = pk.io.load_openpose(tmp, fps=30).keypoints()
    >>> kp.xs("nose", level="joint")["x"].tolist(), kp.loc[(0, 0, "left_eye"), ["x", "y"]].tolist()
    ([0.0, 1.0, 2.0], [150.0, 5.0])
    """
    files = _frame_files(source)
    frames: list[tuple[int, list[tuple[int, np.ndarray]]]] = []
    n_points: int | None = None
    for frame, f in files:
        persons = _read_frame(f)
        for j, (_, arr) in enumerate(persons):
            if n_points is None:
                n_points = len(arr)
            elif len(arr) != n_points:
                raise PoseFormatError(
                    f"{f}: {len(arr)} keypoints, but earlier frames had {n_points}",
                    path=f"$.people[{j}].pose_keypoints_2d",
                )
        frames.append((frame, persons))
    where = str(source) if isinstance(source, str | os.PathLike) else "OpenPose files"
    layout = _resolve_layout(layout, n_points, [a for _, ps in frames for _, a in ps], where)
    tracked = all(pid >= 0 for _, ps in frames for pid, _ in ps)
    if tracked:  # a person_id twice in one frame cannot be a track id
        for (_, persons), (_, f) in zip(frames, files, strict=True):
            ids = [pid for pid, _ in persons]
            if len(set(ids)) != len(ids):
                raise PoseFormatError(f"{f}: person_id repeats in one frame: {ids}")
    idx = list(OPENPOSE_TO_COCO[layout])
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
    return res.replace(extra={**res.extra, "layout": layout, "tracked": tracked})
