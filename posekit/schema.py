"""Joint names, skeletons and typed message structs for every Kakao Pose API payload.

``Person`` and ``Annotation`` are ``gc=False`` structs: a long video has tens of thousands of them,
they never form reference cycles, and keeping them out of the garbage collector's sight makes
decoding about twice as fast.

The structs mirror the JSON of the API field for field (see ``DESIGN.md``), so that
``msgspec.json.decode(data, type=JobResult)`` validates and ``msgspec.json.encode`` writes back
the same document. Optional fields use ``msgspec.UNSET`` so that a field absent in the source is
absent again when the result is saved.
"""

from __future__ import annotations

from typing import Literal

import msgspec
import numpy as np
from msgspec import UNSET, UnsetType

__all__ = [
    "COCO_SIGMAS",
    "COCO_SKELETON",
    "JOINTS",
    "JOINT_INDEX",
    "KAKAO_IMAGE_FORMATS",
    "KAKAO_MAX_IMAGE_BYTES",
    "KAKAO_MAX_LONG_SIDE",
    "KAKAO_MAX_VIDEO_BYTES",
    "KAKAO_MIN_SHORT_SIDE",
    "KAKAO_SKELETON",
    "MIDPOINTS",
    "MIRROR",
    "N_JOINTS",
    "POINTS",
    "STATUSES",
    "TABLE_UNITS",
    "Annotation",
    "Category",
    "ErrorBody",
    "Info",
    "JobResult",
    "JobSubmitted",
    "Person",
    "VideoInfo",
    "default_category",
    "default_info",
    "kakao_bbox",
    "keypoint_extent",
    "video_job",
]

#: The 17 COCO keypoint names, in the API's order.
JOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
N_JOINTS = len(JOINTS)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINTS)}

#: Midpoints usable wherever a point name is expected (angles, kinematics, units): name ->
#: (joint, joint); ``mid_hip`` is the body centre.
MIDPOINTS: dict[str, tuple[str, str]] = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
    "mid_ear": ("left_ear", "right_ear"),
    "mid_eye": ("left_eye", "right_eye"),
    "mid_elbow": ("left_elbow", "right_elbow"),
    "mid_wrist": ("left_wrist", "right_wrist"),
    "mid_knee": ("left_knee", "right_knee"),
    "mid_ankle": ("left_ankle", "right_ankle"),
}
#: Every point name: the 17 joints, then the midpoints.
POINTS: tuple[str, ...] = (*JOINTS, *MIDPOINTS)

#: The skeleton Kakao's results carry in ``categories`` (1-based joint ids), as published.
KAKAO_SKELETON: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 3), (2, 4), (3, 5), (4, 6), (5, 7), (6, 7), (6, 8), (6, 12),
    (7, 9), (7, 13), (8, 10), (9, 11), (12, 13), (14, 12), (15, 13), (16, 14), (17, 15),
)  # fmt: skip

#: The COCO dataset's 19-pair person skeleton (1-based joint ids).
COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
    (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)  # fmt: skip

Status = Literal["waiting", "processing", "success", "failed", "not found"]
STATUSES: tuple[str, ...] = ("waiting", "processing", "success", "failed", "not found")

#: Joint index -> the index of its mirror partner (``left_eye`` <-> ``right_eye``; the nose is its
#: own), for left/right swaps.
MIRROR: np.ndarray = np.array(
    [
        JOINT_INDEX[j.replace("left", "#").replace("right", "left").replace("#", "right")]
        for j in JOINTS
    ]
)
MIRROR.setflags(write=False)

#: Per-keypoint OKS constants of the COCO keypoint benchmark (cocoapi ``COCOeval``), COCO order.
COCO_SIGMAS: np.ndarray = np.array(
    [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
     0.107, 0.107, 0.087, 0.087, 0.089, 0.089]
)  # fmt: skip
COCO_SIGMAS.setflags(write=False)

#: The unit of each column of the tables made from a result (``attrs["units"]``): the keypoints
#: table's and the objects table's. ``"1"`` is a plain number (a score, a yes/no mark).
TABLE_UNITS: dict[str, str] = {
    "x": "px", "y": "px", "score": "1", "filled": "1", "time": "s",
    "bbox_x": "px", "bbox_y": "px", "bbox_w": "px", "bbox_h": "px", "area": "px²",
}  # fmt: skip

# Kakao Pose API's documented input limits
#: ``POST /pose``: the image formats accepted.
KAKAO_IMAGE_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "HEIC", "WEBP")
#: ``POST /pose``: largest image file, bytes (2 MB).
KAKAO_MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: ``POST /pose``: longest image side, pixels.
KAKAO_MAX_LONG_SIDE = 2048
#: ``POST /pose``: shortest image side, pixels.
KAKAO_MIN_SHORT_SIDE = 320
#: ``POST /pose/job``: largest video file, bytes (50 MB).
KAKAO_MAX_VIDEO_BYTES = 50 * 1024 * 1024


class Person(msgspec.Struct, gc=False):
    """One detected person: the API's ``Person`` (plus ``object_id`` in video results).

    ``filled`` is posekit's own addition, written only when a table with filled points is
    turned back into a result: the names of the joints whose coordinates are estimates (gap
    filling), not detections. Their score is written as 0, so a reader that does not know the
    field takes them for "not detected".

    Parameters
    ----------
    area
        The box's area in pixels² (Kakao: ``bbox`` width × height).
    bbox
        ``[x, y, width, height]`` in pixels (Kakao's rule: see :func:`kakao_bbox`).
    category_id
        Always 1 (person).
    keypoints
        51 numbers: ``x, y, score`` for each of the 17 COCO joints (:data:`JOINTS`), in order.
    score
        The person's score, 0–1.
    object_id
        The track's id (video results only).
    filled
        The joints whose coordinates are estimates (posekit's addition).

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import Person
    >>> p = msgspec.json.decode(
    ...     b'{"area": 4.0, "bbox": [1, 2, 2, 2], "category_id": 1, "keypoints": '
    ...     + str([0.0] * 51).encode() + b', "score": 0.9, "object_id": 3}', type=Person)
    >>> p.object_id, len(p.keypoints), p.filled is msgspec.UNSET
    (3, 51, True)
    """

    area: float
    bbox: list[float]
    category_id: int
    keypoints: list[float]
    score: float
    object_id: int | UnsetType = UNSET
    filled: list[str] | UnsetType = UNSET


class Annotation(msgspec.Struct, gc=False):
    """The people found in one video frame.

    Parameters
    ----------
    frame_num
        The frame's number, from 0.
    objects
        The people in it (:class:`Person`, with ``object_id``).

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import Annotation
    >>> msgspec.json.decode(b'{"frame_num": 3, "objects": []}', type=Annotation)
    Annotation(frame_num=3, objects=[])
    """

    frame_num: int
    objects: list[Person]


class Category(msgspec.Struct):
    """A ``categories`` entry of a job answer: the joints' names and the skeleton's bones.

    Parameters
    ----------
    id, name, supercategory
        Kakao's: 1, ``"person"``, ``"person"``.
    keypoints
        The 17 joint names in the order of ``Person.keypoints``.
    skeleton
        The bones as pairs of 1-based joint numbers.

    Examples
    --------
    >>> from posekit.schema import default_category
    >>> cat = default_category()
    >>> [cat.keypoints[i - 1] for i in cat.skeleton[0]]
    ['nose', 'left_eye']
    """

    id: int
    keypoints: list[str]
    name: str
    skeleton: list[list[int]]
    supercategory: str


class Info(msgspec.Struct):
    """The ``info`` block of a job answer (COCO's): who made the result, when, and with what.

    Parameters
    ----------
    contributor, date_created, description, url, version, year
        COCO's fields, each optional.

    Examples
    --------
    Fields left unset are not written:

    >>> import msgspec
    >>> from posekit.schema import Info
    >>> msgspec.json.encode(Info(description="squat", year=2026))
    b'{"description":"squat","year":2026}'
    """

    contributor: str | UnsetType = UNSET
    date_created: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    url: str | UnsetType = UNSET
    version: int | float | str | UnsetType = UNSET
    year: int | str | UnsetType = UNSET


class VideoInfo(msgspec.Struct):
    """The ``video`` block of a job answer.

    Parameters
    ----------
    fps
        Frames per second.
    frames
        Frames in the video.
    width, height
        Frame size in pixels.

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import VideoInfo
    >>> v = msgspec.json.decode(b'{"fps": 30, "frames": 90, "width": 1280, "height": 720}',
    ...                         type=VideoInfo)
    >>> v.fps, v.frames / v.fps  # fps is a float; the video lasts 3 s
    (30.0, 3.0)
    """

    fps: float
    frames: int
    width: int
    height: int


class JobResult(msgspec.Struct):
    """The answer of ``GET /pose/job/{job_id}`` (and the callback payload).

    Parameters
    ----------
    status
        ``"success"``, ``"waiting"``, ``"processing"`` or ``"failed"``.
    job_id
        The job's id.
    annotations
        One :class:`Annotation` per frame with people (successful jobs).
    categories, info, video
        The COCO-style blocks (:class:`Category`, :class:`Info`, :class:`VideoInfo`).
    description
        Why a job failed.

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import JobResult
    >>> job = msgspec.json.decode(b'{"status": "processing", "job_id": "j1"}', type=JobResult)
    >>> job.status, job.annotations is msgspec.UNSET
    ('processing', True)
    """

    status: str
    job_id: str | UnsetType = UNSET
    annotations: list[Annotation] | UnsetType = UNSET
    categories: list[Category] | UnsetType = UNSET
    info: Info | UnsetType = UNSET
    video: VideoInfo | UnsetType = UNSET
    description: str | UnsetType = UNSET


class JobSubmitted(msgspec.Struct):
    """The answer of ``POST /pose/job``.

    Parameters
    ----------
    job_id
        The new job's id, to poll ``GET /pose/job/{job_id}`` with.

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import JobSubmitted
    >>> msgspec.json.decode(b'{"job_id": "abc"}', type=JobSubmitted).job_id
    'abc'
    """

    job_id: str


class ErrorBody(msgspec.Struct):
    """The body of every error answer: ``{"code": -2, "msg": "..."}``.

    Parameters
    ----------
    code
        Kakao's error code (negative).
    msg
        What was wrong.

    Examples
    --------
    >>> import msgspec
    >>> from posekit.schema import ErrorBody
    >>> msgspec.json.decode(b'{"code": -2, "msg": "bad image"}', type=ErrorBody)
    ErrorBody(code=-2, msg='bad image')
    """

    code: int
    msg: str


def default_category() -> Category:
    """The ``categories[0]`` entry Kakao's results carry.

    Returns
    -------
    Category
        The 17 COCO joints and Kakao's skeleton.

    Examples
    --------
    >>> from posekit.schema import default_category
    >>> cat = default_category()
    >>> cat.name, len(cat.keypoints), cat.keypoints[0]
    ('person', 17, 'nose')
    """
    return Category(
        id=1,
        keypoints=list(JOINTS),
        name="person",
        skeleton=[list(p) for p in KAKAO_SKELETON],
        supercategory="person",
    )


def default_info(description: str = "Human pose estimation result from posekit") -> Info:
    """An ``info`` block for results posekit makes itself (estimator, server, synth).

    Parameters
    ----------
    description
        What the result is.

    Returns
    -------
    Info
        posekit as contributor, today's date, posekit's version.

    Examples
    --------
    >>> from posekit.schema import default_info
    >>> info = default_info("a test")
    >>> info.contributor, info.description
    ('posekit', 'a test')
    """
    import datetime

    from posekit._version import __version__

    today = datetime.date.today()
    return Info(
        contributor="posekit",
        date_created=today.strftime("%Y/%m/%d"),
        description=description,
        url="https://github.com/posekit/posekit",
        version=__version__,
        year=today.year,
    )


def video_job(
    annotations: list[Annotation],
    *,
    fps: float | None,
    frames: int,
    width: int | None,
    height: int | None,
    description: str = "Human pose estimation result from posekit",
    job_id: str | UnsetType = UNSET,
    info: Info | None = None,
) -> JobResult:
    """A successful video job answer as posekit writes it.

    Kakao's category (:func:`default_category`), posekit's ``info`` (:func:`default_info` with
    ``description``, unless ``info`` is given) and the ``video`` block; without ``fps`` there is
    no ``video`` block (an import that carries no frame rate).

    Parameters
    ----------
    annotations
        One :class:`Annotation` per frame with people.
    fps, frames, width, height
        The ``video`` block: frame rate, frames in the video, frame size in pixels (0 when
        unknown).
    description, job_id, info
        The ``info`` block's description (or the whole block) and the job id, if any.

    Examples
    --------
    >>> job = video_job([], fps=30.0, frames=0, width=640, height=480, job_id="j1")
    >>> job.status, job.video.fps, job.categories[0].name
    ('success', 30.0, 'person')
    """
    return JobResult(
        status="success",
        job_id=job_id,
        annotations=annotations,
        categories=[default_category()],
        info=info if info is not None else default_info(description),
        video=(
            VideoInfo(
                fps=float(fps), frames=int(frames), width=int(width or 0), height=int(height or 0)
            )
            if fps
            else UNSET
        ),
    )


def keypoint_extent(
    xy: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The box around each pose's keypoints: the lowest and highest x and y, vectorised.

    The one place the keypoints' box is found: :func:`kakao_bbox` adds Kakao's ``+ 1``, the
    similarity metrics take its area, the tracker its size.

    Parameters
    ----------
    xy
        ``(..., 17, 2)`` keypoint coordinates.
    valid
        ``(..., 17)`` bool: the keypoints to count. Non-finite points never count.

    Returns
    -------
    lo, hi
        ``(..., 2)`` each: (min x, min y) and (max x, max y); NaN where no point counts.

    Examples
    --------
    >>> import numpy as np
    >>> pose = np.array([[1.0, 5.0], [3.0, 2.0], [np.nan, np.nan]])
    >>> keypoint_extent(pose)
    (array([1., 2.]), array([3., 5.]))
    """
    xy = np.asarray(xy, dtype=np.float64)
    use = np.isfinite(xy).all(axis=-1)
    if valid is not None:
        use &= np.asarray(valid, dtype=bool)
    lo = np.where(use[..., None], xy, np.inf).min(axis=-2)
    hi = np.where(use[..., None], xy, -np.inf).max(axis=-2)
    none = ~use.any(axis=-1)
    lo[none] = np.nan
    hi[none] = np.nan
    return lo, hi


def kakao_bbox(xy: np.ndarray, valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Kakao's person box over keypoints, vectorised.

    ``bbox = [min_x, min_y, max_x - min_x + 1, max_y - min_y + 1]`` and ``area = w * h``, as
    observed in the API's answers.

    Parameters
    ----------
    xy
        ``(..., 17, 2)`` keypoint coordinates in pixels.
    valid
        ``(..., 17)`` bool: the keypoints to count (e.g. ``score > 0``). Non-finite points never
        count. Where no keypoint of a person is valid, all its finite points count; where none is
        finite, its box and area are 0.

    Returns
    -------
    bbox, area
        ``(..., 4)`` and ``(...)`` float64.

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.schema import kakao_bbox
    >>> xy = np.zeros((17, 2))
    >>> xy[:, 0], xy[:, 1] = np.linspace(10, 30, 17), np.linspace(5, 45, 17)
    >>> bbox, area = kakao_bbox(xy)
    >>> bbox.tolist(), float(area)
    ([10.0, 5.0, 21.0, 41.0], 861.0)
    """
    xy = np.asarray(xy, dtype=np.float64)
    finite = np.isfinite(xy).all(axis=-1)
    use = finite if valid is None else (np.asarray(valid, dtype=bool) & finite)
    use = np.where(use.any(axis=-1, keepdims=True), use, finite)
    any_point = use.any(axis=-1)
    lo, hi = keypoint_extent(xy, use)
    wh = hi - lo + 1.0
    bbox = np.where(any_point[..., None], np.concatenate([lo, wh], axis=-1), 0.0)
    area = np.where(any_point, wh[..., 0] * wh[..., 1], 0.0)
    return bbox, area
