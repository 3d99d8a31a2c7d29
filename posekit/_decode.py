"""Decoding Kakao Pose API JSON: bytes to typed structs and to flat arrays.

Sits between :mod:`posekit.schema` (the structs) and :class:`posekit.result.PoseResult` (which
calls it): nothing here builds a result. The fast path keeps each keypoints and bbox list as raw
JSON text and parses them all at once; anything unusual falls back to the typed structs, whose
errors name the exact JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from posekit.errors import JobFailedError, JobNotFoundError, JobNotReadyError, PoseFormatError
from posekit.schema import JOINT_INDEX, N_JOINTS, Category, Info, JobResult, Person, VideoInfo

if TYPE_CHECKING:
    from posekit.result import PoseResult

__all__ = ["Flat", "check_job", "flatten"]

_image_decoder = msgspec.json.Decoder(list[Person])
_job_decoder = msgspec.json.Decoder(JobResult)
_PATH_RE = re.compile(r" - at `(\$[^`]*)`$")


# The fast path: the same structure, but each keypoints and bbox list is kept as raw JSON text,
# parsed afterwards all at once (see _raw_table). gc=False: these structs hold no cycles, and
# keeping 90,000 of them out of the garbage collector's sight halves the decoding time.
class _FastPerson(msgspec.Struct, gc=False):
    area: float
    bbox: msgspec.Raw
    category_id: int
    keypoints: msgspec.Raw
    score: float
    object_id: int | msgspec.UnsetType = msgspec.UNSET
    filled: list[str] | msgspec.UnsetType = msgspec.UNSET


class _FastAnnotation(msgspec.Struct, gc=False):
    frame_num: int
    objects: list[_FastPerson]


class _FastJob(msgspec.Struct):
    status: str
    job_id: str | msgspec.UnsetType = msgspec.UNSET
    annotations: list[_FastAnnotation] | msgspec.UnsetType = msgspec.UNSET
    categories: list[Category] | msgspec.UnsetType = msgspec.UNSET
    info: Info | msgspec.UnsetType = msgspec.UNSET
    video: VideoInfo | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET


_fast_image_decoder = msgspec.json.Decoder(list[_FastPerson])
_fast_job_decoder = msgspec.json.Decoder(_FastJob)


def _raw_table(raws: list[msgspec.Raw], n_fields: int) -> np.ndarray | None:
    """Parse raw JSON arrays of ``n_fields`` numbers at once into an ``(n, n_fields)`` array.

    Each raw ``[x, y, s, ...]`` without its brackets is a CSV row, and pandas' C parser reads
    90,000 such rows several times faster than building 90,000 Python lists. Anything unusual
    (strings, nulls, nested lists, wrong counts) returns None and the caller decodes with the
    typed structs, which name the exact JSON path of the problem.
    """
    import csv
    import io

    import pandas as pd

    n = len(raws)
    if n == 0:
        return np.zeros((0, n_fields))
    rows = [bytes(r)[1:-1] for r in raws]
    text = b"\n".join(rows)
    if text.count(b"\n") != n - 1 or b"\r" in text:  # pretty-printed JSON: drop the whitespace
        text = b"\n".join([r.translate(None, b" \t\r\n") for r in rows])
    try:
        values = pd.read_csv(
            io.BytesIO(text),
            header=None,
            dtype=np.float64,
            engine="c",
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
        ).to_numpy()
    except (ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    # a short row comes back padded with NaN (JSON itself cannot hold NaN); a long one raises
    if values.shape != (n, n_fields) or np.isnan(values).any():
        return None
    return values


_BYTE_RE = re.compile(r"\(byte (\d+)\)")


def _format_error(exc: Exception, where: str, data: bytes | None = None) -> PoseFormatError:
    msg = str(exc)
    b = _BYTE_RE.search(msg)
    if b and data is not None:  # show where the JSON breaks
        i = int(b.group(1))
        near = data[max(0, i - 30) : i + 30].decode("utf-8", "replace")
        msg = f"{msg}, near {near!r}"
    m = _PATH_RE.search(msg)
    if m:
        return PoseFormatError(f"{msg[: m.start()]} ({where})", path=m.group(1))
    return PoseFormatError(f"{msg} ({where})", path="$")


@dataclass
class Flat:
    """All detections of a result as flat arrays, one row per (frame, object).

    Made by :func:`flatten`; ``n`` is the number of detections, in the order of the
    annotations and, within one, of their objects.

    Parameters
    ----------
    frame
        ``(n,)`` int64: the frame number (0 for an image).
    object_id
        ``(n,)`` int64: the person's id (an image's people: their place in the list).
    keypoints
        ``(n, 17, 3)`` float64: x, y (pixels) and score of each COCO joint.
    bbox
        ``(n, 4)`` float64: the bounding box as Kakao gives it, x, y, width, height (pixels).
    area
        ``(n,)`` float64: the box's area (pixels²).
    score
        ``(n,)`` float64: the person's score.
    ann_index
        ``(n,)`` int64: the position of the detection's annotation in the list.
    obj_index
        ``(n,)`` int64: the position of the detection in its annotation's objects.
    filled
        ``(n, 17)`` bool: points filled by :func:`posekit.clean.interpolate`; None when there
        are none.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit._decode import flatten
    >>> flat = flatten(pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result)
    >>> flat.frame[:4], flat.object_id[:4]
    (array([0, 0, 1, 1]), array([0, 1, 0, 1]))
    >>> flat.keypoints.shape, flat.bbox.shape, flat.filled is None
    ((60, 17, 3), (60, 4), True)
    """

    frame: np.ndarray  # (n,) int64
    object_id: np.ndarray  # (n,) int64
    keypoints: np.ndarray  # (n, 17, 3) float64
    bbox: np.ndarray  # (n, 4) float64
    area: np.ndarray  # (n,) float64
    score: np.ndarray  # (n,) float64
    ann_index: np.ndarray  # (n,) position of the annotation in the list
    obj_index: np.ndarray  # (n,) position of the object in its annotation
    filled: np.ndarray | None = None  # (n, 17) bool: filled points; None when there are none


def _first_bad_length(objs: list[Person], attr: str, n: int) -> int:
    for i, o in enumerate(objs):
        if len(getattr(o, attr)) != n:
            return i
    raise AssertionError("no bad length found")  # pragma: no cover


_EMPTY_ANN = _FastAnnotation(frame_num=0, objects=[])

#: Largest frame number accepted (9 hours at 30 fps): dense tables and interpolation size
#: arrays by it (about 400 bytes a frame), so a result claiming frame 10**8 is refused, not
#: allocated (38 GiB).
MAX_FRAME_NUM = 1_000_000
#: Largest object id (in absolute value): ids stay exact in every table and key computed.
MAX_OBJECT_ID = 2**31 - 1


def flatten(result: PoseResult) -> Flat:  # noqa: C901 (one pass of checks, each naming its path)
    """Collect every detection of ``result`` into arrays, validating values on the way.

    The arrays are cached on the result: a second call returns the same :class:`Flat`.

    Parameters
    ----------
    result
        An image or video result.

    Returns
    -------
    Flat
        One row per (frame, object).

    Raises
    ------
    PoseFormatError
        A keypoints list not of 51 values, a bbox not of 4, a NaN or infinite number, a negative
        frame number, or two detections with the same (frame, object_id).

    Examples
    --------
    >>> from posekit import PoseResult
    >>> from posekit._decode import flatten
    >>> from posekit.schema import Person
    >>> one = Person(area=1.0, bbox=[0, 0, 1, 1], category_id=1,
    ...              keypoints=[10.0, 20.0, 0.9] * 17, score=0.8)
    >>> flat = flatten(PoseResult.from_image([one, one]))
    >>> flat.object_id.tolist(), flat.keypoints[1, 0].tolist()
    ([0, 1], [10.0, 20.0, 0.9])
    >>> short = Person(area=1.0, bbox=[0, 0, 1, 1], category_id=1, keypoints=[0.0] * 50,
    ...                score=0.8)
    >>> flatten(PoseResult.from_image([one, short]))
    Traceback (most recent call last):
    ...
    posekit.errors.PoseFormatError: $[1].keypoints: has 50 values, expected 51 (x, y, score for each of the 17 joints)
    """
    cached = result._flat
    if cached is not None:
        return cached
    kp_fast = bbox_fast = None
    if result._raw is not None and result._meta is not None:
        anns = result._meta if result.kind == "image" else result._meta.annotations
        if result.kind == "image":
            anns = [msgspec.structs.replace(_EMPTY_ANN, objects=anns)]
        fast_objs = [o for a in anns for o in a.objects]
        kp_fast = _raw_table([o.keypoints for o in fast_objs], 3 * N_JOINTS)
        if kp_fast is not None:
            bbox_fast = _raw_table([o.bbox for o in fast_objs], 4)
    if kp_fast is None or bbox_fast is None:
        kp_fast = bbox_fast = None
        anns = result.annotations()  # typed structs: exact error paths
    is_image = result.kind == "image"
    counts = np.fromiter((len(a.objects) for a in anns), dtype=np.int64, count=len(anns))
    for a_i, ann in enumerate(anns):  # before any array is sized by them
        if not 0 <= ann.frame_num <= MAX_FRAME_NUM:
            bound = "expected >= 0" if ann.frame_num < 0 else f"expected at most {MAX_FRAME_NUM}"
            raise PoseFormatError(
                f"frame_num is {ann.frame_num}, {bound}", path=f"$.annotations[{a_i}].frame_num"
            )
    frame_nums = np.fromiter((a.frame_num for a in anns), dtype=np.int64, count=len(anns))
    objs = [o for a in anns for o in a.objects]
    n = len(objs)
    ann_index = np.repeat(np.arange(len(anns), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    obj_index = np.arange(n, dtype=np.int64) - np.repeat(starts, counts)

    def where(i: int) -> str:
        if is_image:
            return f"$[{int(obj_index[i])}]"
        return f"$.annotations[{int(ann_index[i])}].objects[{int(obj_index[i])}]"

    try:
        if kp_fast is not None:
            kp = kp_fast
        elif n == 0:
            kp = np.zeros((0, 3 * N_JOINTS))
        else:
            kp = np.array([o.keypoints for o in objs], dtype=np.float64).reshape(n, -1)
        if kp.shape[1] != 3 * N_JOINTS:
            raise ValueError
    except ValueError:
        i = _first_bad_length(objs, "keypoints", 3 * N_JOINTS)
        raise PoseFormatError(
            f"has {len(objs[i].keypoints)} values, expected {3 * N_JOINTS} "
            f"(x, y, score for each of the {N_JOINTS} joints)",
            path=where(i) + ".keypoints",
        ) from None
    try:
        if bbox_fast is not None:
            bbox = bbox_fast
        else:
            bbox = np.array([o.bbox for o in objs], dtype=np.float64).reshape(n, -1 if n else 4)
        if n and bbox.shape[1] != 4:
            raise ValueError
    except ValueError:
        i = _first_bad_length(objs, "bbox", 4)
        raise PoseFormatError(
            f"has {len(objs[i].bbox)} values, expected 4 ([x, y, w, h])", path=where(i) + ".bbox"
        ) from None
    area = np.fromiter((o.area for o in objs), dtype=np.float64, count=n)
    score = np.fromiter((o.score for o in objs), dtype=np.float64, count=n)
    for name, arr in (("keypoints", kp), ("bbox", bbox), ("area", area), ("score", score)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i, *rest = np.argwhere(bad)[0]
            suffix = f"[{rest[0]}]" if rest else ""
            raise PoseFormatError(
                f"is {arr[bad][0]}, expected a finite number",
                path=f"{where(int(i))}.{name}{suffix}",
            )
    if is_image:
        object_id = obj_index.copy()
    else:
        has_id = np.fromiter((o.object_id is not msgspec.UNSET for o in objs), dtype=bool, count=n)
        if has_id.all():
            for i, o in enumerate(objs):
                if not -MAX_OBJECT_ID <= o.object_id <= MAX_OBJECT_ID:
                    raise PoseFormatError(
                        f"is {o.object_id}, expected -{MAX_OBJECT_ID} to {MAX_OBJECT_ID}",
                        path=where(i) + ".object_id",
                    )
            object_id = np.fromiter((o.object_id for o in objs), dtype=np.int64, count=n)
        elif not has_id.any():
            object_id = obj_index.copy()  # untracked: order in the list
        else:
            i = int(np.argmin(has_id))
            raise PoseFormatError("has no object_id while other objects have one", path=where(i))
    frame = frame_nums[ann_index] if n else np.zeros(0, dtype=np.int64)
    if len(np.unique(frame_nums)) != len(frame_nums):
        _, first = np.unique(frame_nums, return_index=True)
        dup = sorted(set(range(len(frame_nums))) - set(first.tolist()))[0]
        raise PoseFormatError(
            f"frame_num {int(frame_nums[dup])} appears twice",
            path=f"$.annotations[{dup}].frame_num",
        )
    if n:
        key = frame * (object_id.max() - object_id.min() + 1) + (object_id - object_id.min())
        order = np.argsort(key, kind="stable")
        dups = np.flatnonzero(np.diff(key[order]) == 0)
        if dups.size:
            i = int(order[dups[0] + 1])
            raise PoseFormatError(
                f"object_id {int(object_id[i])} appears twice in frame {int(frame[i])}",
                path=where(i) + ".object_id",
            )
    filled = _filled_marks(objs, where)
    flat = Flat(
        frame=frame,
        object_id=object_id,
        keypoints=kp.reshape(n, N_JOINTS, 3),
        bbox=bbox.reshape(n, 4),
        area=area,
        score=score,
        ann_index=ann_index,
        obj_index=obj_index,
        filled=filled,
    )
    result._flat = flat
    return flat


def _filled_marks(objs: list, where: Callable[[int], str]) -> np.ndarray | None:
    """``(n, 17)`` bool from each person's ``filled`` joint names; None when none has any."""
    marked = [(i, o.filled) for i, o in enumerate(objs) if o.filled]
    if not marked:
        return None
    out = np.zeros((len(objs), N_JOINTS), dtype=bool)
    for i, names in marked:
        for k, name in enumerate(names):
            j = JOINT_INDEX.get(name)
            if j is None:
                raise PoseFormatError(
                    f"is {name!r}, expected a COCO joint name", path=f"{where(i)}.filled[{k}]"
                )
            out[i, j] = True
    return out


def check_job(job: JobResult | _FastJob) -> None:
    """Raise the right error when a job answer holds no usable annotations.

    Parameters
    ----------
    job
        A ``GET /pose/job/{job_id}`` answer.

    Raises
    ------
    JobNotReadyError, JobFailedError, JobNotFoundError
        The job's status is ``waiting`` or ``processing``, ``failed``, or ``not found``.
    PoseFormatError
        Another status, or a successful job without ``annotations``, without the ``video``
        block, or with a video fps that is not a positive number.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit._decode import check_job
    >>> from posekit.schema import JobResult
    >>> check_job(pk.synth.generate("walk", duration_s=1, fps=30).result.job)  # a success: None
    >>> try:
    ...     check_job(JobResult(status="failed", job_id="j1", description="no video"))
    ... except pk.JobFailedError as err:
    ...     print(err)
    job j1 failed: no video
    """
    job_id = job.job_id if job.job_id is not msgspec.UNSET else None
    status = job.status
    if status in ("waiting", "processing"):
        raise JobNotReadyError(f"job {job_id} is still {status}", job_id=job_id, status=status)
    if status == "failed":
        desc = job.description if job.description is not msgspec.UNSET else None
        raise JobFailedError(f"job {job_id} failed: {desc or 'no reason given'}", job_id, desc)
    if status == "not found":
        raise JobNotFoundError(
            f"job {job_id} was not found (unknown id, or older than 7 days)", job_id
        )
    if status != "success":
        raise PoseFormatError(
            f"is {status!r}, expected one of waiting, processing, success, failed, not found",
            path="$.status",
        )
    if job.annotations is msgspec.UNSET:
        raise PoseFormatError("missing: a successful job result needs 'annotations'", "$")
    if job.video is msgspec.UNSET:
        raise PoseFormatError(
            "missing: a video job result needs the 'video' block (fps, frames, width, height)", "$"
        )
    if not job.video.fps > 0 or not np.isfinite(job.video.fps):
        raise PoseFormatError(f"is {job.video.fps}, expected a positive number", "$.video.fps")
