"""Public entry points: :func:`estimate_image`, :func:`estimate_video` and :class:`Estimator`."""

from __future__ import annotations

import io
import os
import time
import uuid
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from posekit._progress import progress_bar
from posekit.errors import ImageError, KakaoLimitWarning, LostPersonWarning
from posekit.estimate._convention import Convention, to_coco
from posekit.estimate._leftright import (
    LEG_MIRROR,
    MIRROR,
    fix_left_right,
    fix_leg_swaps,
    left_right_runs,
)
from posekit.estimate._pipeline import BLAZE_TO_COCO, FramePose, PosePipeline
from posekit.estimate._prefetch import prefetch_images
from posekit.estimate._scores import visible_scores
from posekit.estimate._smooth import one_euro_track
from posekit.result import PoseResult
from posekit.schema import (
    KAKAO_IMAGE_FORMATS,
    KAKAO_MAX_IMAGE_BYTES,
    KAKAO_MAX_LONG_SIDE,
    KAKAO_MAX_VIDEO_BYTES,
    KAKAO_MIN_SHORT_SIDE,
    Annotation,
    Person,
    kakao_bbox,
    video_job,
)
from posekit.video import VideoError, VideoReader, VideoTruncatedError, is_still_image

__all__ = [
    "Estimator",
    "ImageError",
    "KakaoLimitWarning",
    "LostPersonWarning",
    "estimate_image",
    "estimate_video",
    "warmup",
]

ImageInput = str | os.PathLike[str] | bytes | np.ndarray | Image.Image


#: One person in one frame while estimating: object_id, COCO xy (17, 2), joint scores (17,),
#: person score, the model's readings (nose-depth cue, see ``Pose39.facing_away``; joints' z or
#: None; joints in BlazePose placement).
_Found = tuple[int, np.ndarray, np.ndarray, float, Any]


class _Interrupted(Exception):
    pass


def _load_image(image: ImageInput) -> tuple[np.ndarray, str, list[str]]:
    """RGB uint8 array, a source label, and the Kakao limits the input breaks."""
    broken: list[str] = []
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise ValueError(
                f"image array has shape {image.shape}; expected (height, width, 3) RGB"
            )
        if arr.dtype != np.uint8:
            raise ValueError(f"image array has dtype {arr.dtype}; expected uint8 (0-255) RGB")
        arr, source = np.ascontiguousarray(arr[:, :, :3]), "<array>"
    else:
        if isinstance(image, Image.Image):
            pil, source, size = image, "<PIL.Image>", None
        elif isinstance(image, bytes | bytearray | memoryview):
            data = bytes(image)
            pil, source, size = _open_pil(io.BytesIO(data), "<bytes>", data), "<bytes>", len(data)
        elif isinstance(image, str | os.PathLike):
            path = Path(image)
            if not path.is_file():
                raise FileNotFoundError(f"no such image file: {path}")
            pil, source, size = _open_pil(path, str(path), None), str(path), path.stat().st_size
        else:
            raise TypeError(
                f"estimate_image() takes a path, bytes, an RGB array or a PIL image, "
                f"not {type(image).__name__}"
            )
        fmt = (pil.format or "").upper()
        if fmt and fmt not in KAKAO_IMAGE_FORMATS:
            broken.append(f"format {fmt} (Kakao takes JPEG, PNG, HEIC or WebP)")
        if size is not None and size > KAKAO_MAX_IMAGE_BYTES:
            broken.append(f"{size / 1e6:.1f} MB (Kakao takes at most 2 MB)")
        arr = np.asarray(pil.convert("RGB"))
    h, w = arr.shape[:2]
    if h < 1 or w < 1:
        raise ValueError(f"image {source} is empty ({w}x{h} pixels)")
    if max(h, w) > KAKAO_MAX_LONG_SIDE:
        broken.append(f"long side {max(h, w)} px (Kakao takes at most {KAKAO_MAX_LONG_SIDE})")
    if min(h, w) < KAKAO_MIN_SHORT_SIDE:
        broken.append(f"short side {min(h, w)} px (Kakao needs at least {KAKAO_MIN_SHORT_SIDE})")
    return arr, source, broken


def _open_pil(fp: Any, where: str, data: bytes | None) -> Image.Image:
    try:
        pil = Image.open(fp)
        pil.load()
        return pil
    except (OSError, SyntaxError, ValueError) as exc:
        # a video given where an image is expected deserves its own message
        if data is None and not is_still_image(fp):
            try:
                with VideoReader(fp) as video:
                    raise VideoError(
                        f"{where} is a video ({video.n_frames} frames), not an image; "
                        "use posekit.estimate.estimate_video"
                    ) from None
            except VideoError as video_exc:
                if "is a video" in str(video_exc):
                    raise
        raise ImageError(f"{where} cannot be read as an image: {exc}") from None


def _person(
    xy: np.ndarray, score: np.ndarray, person_score: float, width: int, height: int, oid: int | None
) -> Person:
    """A Kakao ``Person``: keypoints clipped to the picture, bbox by Kakao's rule."""
    xy = np.column_stack([np.clip(xy[:, 0], 0, width - 1), np.clip(xy[:, 1], 0, height - 1)])
    bbox, area = kakao_bbox(xy)
    kp = np.column_stack([xy, score]).ravel().tolist()
    person = Person(
        area=float(area),
        bbox=bbox.tolist(),
        category_id=1,
        keypoints=kp,
        score=float(person_score),
    )
    if oid is not None:
        person.object_id = int(oid)
    return person


def _coco(fp: FramePose, convention: Convention) -> tuple[np.ndarray, np.ndarray, float, Any]:
    """The COCO-17 reading of one pose, and the model's own readings.

    COCO-17 keypoints (placed by ``convention``, see :mod:`posekit.estimate._convention`),
    joint scores, person score, and the model's own readings: (the nose-depth cue of the
    previous left/right rule, COCO joints' z in crop widths or None, the joints in BlazePose's
    placement).
    """
    pose = fp.pose
    idx = BLAZE_TO_COCO
    score = np.minimum(pose.visibility[idx], pose.presence[idx])
    xy = to_coco(pose.xy[idx]) if convention == "coco" else pose.xy[idx].copy()
    z = None if pose.z is None else pose.z[idx] / 256.0
    # scores are judged on the model's own placement, whatever the convention
    return xy, score, float(pose.flag), (pose.facing_away(), z, pose.xy[idx].copy())


#: How left and right are decided along a track (see :mod:`posekit.estimate._leftright`):
#: ``"track"`` continuity along the track, the longer reading wins (default); ``"nose-depth"``
#: the previous rule (nose behind the shoulders = mirrored; flips back views), kept for
#: comparison; ``"off"`` the model's labels as they are.
LEFT_RIGHT_RULES = ("track", "nose-depth", "off")


def _check_left_right(rule: str) -> str:
    if rule not in LEFT_RIGHT_RULES:
        raise ValueError(f"left_right must be one of {LEFT_RIGHT_RULES}, got {rule!r}")
    return rule


#: What a keypoint's score is: ``"visible"`` the model's visibility and presence with facing
#: and hiding behind the body folded in (default, see :mod:`posekit.estimate._scores`);
#: ``"model"`` the model's visibility and presence alone (the previous scores).
SCORE_RULES = ("visible", "model")


def _check_scores(rule: str) -> str:
    if rule not in SCORE_RULES:
        raise ValueError(f"scores must be one of {SCORE_RULES}, got {rule!r}")
    return rule


def _check_convention(convention: str) -> Convention:
    if convention not in ("coco", "blazepose"):
        raise ValueError(f"convention must be 'coco' or 'blazepose', got {convention!r}")
    return convention  # type: ignore[return-value]


class Estimator:
    """The offline multi-person pose estimator, models loaded once.

    Parameters
    ----------
    models_dir
        Folder with the weights (default: posekit's cache, see :func:`posekit.models.paths`).
    num_threads
        Threads for each model's inference.

    Raises
    ------
    posekit.models.ModelsMissingError
        The weights are not installed: run ``posekit models install``.
    posekit.models.ModelChecksumError
        A weight file is damaged.

    See Also
    --------
    estimate_image, estimate_video : the same with a shared estimator loaded on first use.

    Examples
    --------
    Nobody in a blank picture:

    >>> import numpy as np
    >>> from posekit.estimate import Estimator
    >>> est = Estimator()
    >>> res = est.image(np.zeros((320, 480, 3), np.uint8))
    >>> res.people, res.width, res.height
    ([], 480, 320)
    """

    def __init__(self, models_dir: str | os.PathLike[str] | None = None, *, num_threads: int = 2):
        from posekit import models
        from posekit.estimate._detector import Detector
        from posekit.estimate._landmarks import Landmarker

        found = models.paths(models_dir)
        self.detector = Detector(str(found.detector), num_threads=num_threads)
        self.landmarker = Landmarker(str(found.landmark), num_threads=num_threads)

    def _pipeline(self, **options: Any) -> PosePipeline:
        return PosePipeline(self.detector, self.landmarker, **options)

    @property
    def model_seconds(self) -> float:
        """Time spent inside the two models so far (for benchmarks)."""
        return self.detector.seconds + self.landmarker.seconds

    def image(
        self,
        image: ImageInput,
        /,
        *,
        tiles: bool = True,
        min_presence: float = 0.5,
        convention: Convention = "coco",
    ) -> PoseResult:
        """The people in one picture; the answer Kakao's ``POST /pose`` gives.

        Parameters
        ----------
        image
            A path (JPEG, PNG, WebP, anything Pillow reads), the encoded bytes, an (H, W, 3)
            uint8 RGB array or a PIL image.
        tiles
            Also look for people in square tiles of the picture (finds small people).
        min_presence
            Pose presence probability (0–1) below which a pose is rejected as a ghost.
        convention
            ``"coco"`` (default) or ``"blazepose"``: where the joints are placed (see
            :func:`estimate_image`).

        Returns
        -------
        PoseResult
            ``kind="image"``: one ``Person`` per person found, no ``object_id``;
            ``extra`` holds the picture's ``width`` and ``height``.

        Warns
        -----
        KakaoLimitWarning
            The image breaks Kakao's limits; it is processed anyway.

        Examples
        --------
        >>> import numpy as np
        >>> from posekit.estimate import Estimator
        >>> res = Estimator().image(np.zeros((320, 320, 3), np.uint8), tiles=False)
        >>> res.kind, len(res.people)
        ('image', 0)
        """
        convention = _check_convention(convention)
        arr, source, broken = _load_image(image)
        if broken:
            warnings.warn(
                f"{source}: Kakao's Pose API would have refused this image ({'; '.join(broken)}); "
                "posekit processed it anyway",
                KakaoLimitWarning,
                stacklevel=3,
            )
        h, w = arr.shape[:2]
        pipe = self._pipeline(tiles=tiles, min_presence=min_presence)
        people = []
        for fp in pipe(arr, video=False):
            xy, sc, ps, (_, z, raw) = _coco(fp, convention)
            sc = visible_scores(raw[None], sc[None], None if z is None else z[None])[0]
            people.append(_person(xy, sc, ps, w, h, None))
        return PoseResult.from_image(people, source=source).replace(extra={"width": w, "height": h})

    def video(
        self,
        path: str | os.PathLike[str],
        /,
        *,
        smoothing: bool = True,
        progress: bool | None = None,
        max_frames: int | None = None,
        tiles: bool = True,
        detect_every: int = 2,
        min_presence: float = 0.5,
        min_track_frames: int = 5,
        convention: Convention = "coco",
        on_frame: Callable[[int, int], None] | None = None,
        left_right: str = "track",
        scores: str = "visible",
    ) -> PoseResult:
        """Track the poses of everyone in a video; the answer of a Kakao ``/pose/job``.

        Parameters
        ----------
        path
            The video file (anything FFmpeg decodes). Frames stream through one at a time.
        smoothing
            Filter each track's keypoints over time (One Euro, forward and backward).
        progress
            Show a progress bar; None (default): only in a terminal or notebook.
        max_frames
            Stop after this many frames (the result then describes that shorter clip).
        tiles
            Also run the detector on square tiles and, now and then, on finer ones (finds
            people who are small in the frame).
        detect_every
            Run the detector every this many frames; people already found are tracked in
            every frame.
        min_presence
            Pose presence probability below which a pose is rejected as a ghost.
        min_track_frames
            Tracks seen in fewer frames are dropped as ghosts, unless cut by the clip's start
            or end.
        convention
            ``"coco"`` (default) or ``"blazepose"``: where the joints are placed.
        on_frame
            Called after each frame with (frames done, frames expected).
        left_right
            ``"track"`` (default), ``"nose-depth"`` or ``"off"``: how left and right are
            decided along each track (see :func:`estimate_video`).
        scores
            ``"visible"`` (default): keypoint scores with the body's facing and hiding behind
            it folded in; ``"model"``: the model's visibility and presence alone.

        Returns
        -------
        PoseResult
            ``kind="video"``, one annotation per frame; see :func:`estimate_video`.
            ``extra["timing"]`` holds ``frames``, ``seconds`` (wall time) and
            ``model_seconds`` (inside the two models).

        Warns
        -----
        LostPersonWarning
            Someone was lost inside the picture and not found again.
        KakaoLimitWarning
            The file is larger than Kakao's upload limit; it is processed anyway.

        Raises
        ------
        posekit.video.VideoTruncatedError
            The video is damaged or cut short; the frames read are in its ``result``.
        posekit.video.VideoError
            Not a readable video (empty, a still image, ...).

        Examples
        --------
        A clip of three empty frames: one annotation per frame, nobody in them.

        >>> import tempfile, pathlib
        >>> import av, numpy as np
        >>> from posekit.estimate import Estimator
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     clip = pathlib.Path(tmp) / "empty.mp4"
        ...     with av.open(str(clip), "w") as out:
        ...         stream = out.add_stream("mpeg4", rate=25)
        ...         stream.width, stream.height = 320, 240
        ...         for _ in range(3):
        ...             frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8))
        ...             out.mux(stream.encode(frame))
        ...         out.mux(stream.encode())
        ...     res = Estimator().video(clip, progress=False, tiles=False)
        >>> res.n_frames, res.fps, res.keypoints().empty, res.extra["timing"]["frames"]
        (3, 25.0, True, 3)
        """
        convention = _check_convention(convention)
        left_right = _check_left_right(left_right)
        scores = _check_scores(scores)
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {max_frames}")
        path = Path(path)
        if path.is_file() and is_still_image(path):
            raise VideoError(
                f"{path} is a still image, not a video; use posekit.estimate.estimate_image"
            )
        reader = VideoReader(path)
        if path.stat().st_size > KAKAO_MAX_VIDEO_BYTES:
            warnings.warn(
                f"{path}: {path.stat().st_size / 1e6:.0f} MB; Kakao's sample code caps uploads "
                "at 50 MB (posekit processes it anyway)",
                KakaoLimitWarning,
                stacklevel=3,
            )
        pipe = self._pipeline(tiles=tiles, min_presence=min_presence, detect_every=detect_every)
        total = reader.n_frames if max_frames is None else min(max_frames, reader.n_frames)
        frames: list[tuple[int, list[_Found]]] = []
        stop_reason: str | None = None
        truncated: VideoTruncatedError | None = None
        t0, m0 = time.perf_counter(), self.model_seconds
        bar = _progress(total, progress, path.name)
        try:
            with reader:
                for index, image in prefetch_images(
                    reader, max_frames=max_frames, prepare=pipe.prepare
                ):
                    people = [(fp.object_id, *_coco(fp, convention)) for fp in pipe(image)]
                    frames.append((index, people))
                    bar.update(1)
                    if on_frame is not None:
                        on_frame(len(frames), total)
        except KeyboardInterrupt:
            stop_reason = "interrupted (KeyboardInterrupt)"
        except VideoTruncatedError as exc:
            stop_reason, truncated = f"the video is damaged or cut short: {exc}", exc
        finally:
            bar.close()
        elapsed = time.perf_counter() - t0
        res = _video_result(
            frames,
            reader,
            path,
            smoothing=smoothing,
            convention=convention,
            stop_reason=stop_reason,
            max_frames=max_frames,
            min_track_frames=min_track_frames,
            left_right=left_right,
            scores=scores,
        )
        timing = {
            "frames": len(frames),
            "seconds": elapsed,
            "model_seconds": self.model_seconds - m0,
        }
        res = res.replace(extra={**res.extra, "timing": timing})
        if truncated is not None:
            truncated.result = res  # type: ignore[attr-defined]
            raise truncated
        return res


def _progress(total: int, progress: bool | None, name: str) -> Any:
    return progress_bar(progress, total=total, desc=f"pose {name}", unit="frame")


def _video_result(
    frames: list[tuple[int, list[_Found]]],
    reader: VideoReader,
    path: Path,
    *,
    smoothing: bool,
    convention: Convention,
    stop_reason: str | None,
    max_frames: int | None,
    min_track_frames: int,
    left_right: str = "track",
    scores: str = "visible",
) -> PoseResult:
    w, h, fps = reader.width, reader.height, reader.fps
    frames = _drop_short_tracks(frames, min_track_frames)
    runs: list[dict[str, Any]] = []
    frames = _per_track(
        frames, fps, smoothing=smoothing, left_right=left_right, runs=runs, scores=scores
    )
    annotations = [
        Annotation(
            frame_num=index,
            objects=[_person(xy, sc, ps, w, h, oid) for oid, xy, sc, ps, _ in people],
        )
        for index, people in frames
    ]
    placement = "COCO placement" if convention == "coco" else "BlazePose placement"
    what = (
        f"BlazePose full (mediapipe 0.10.21 weights), {placement}, "
        f"{'smoothed (One Euro, forward and backward)' if smoothing else 'not smoothed'}"
    )
    description = f"posekit offline estimate of {path.name}: {what}"
    n_video = reader.n_frames
    if stop_reason is not None:
        description = (
            f"PARTIAL result, {len(frames)} of {n_video} frames: {stop_reason}. {description}"
        )
    elif max_frames is not None and len(frames) < n_video:
        description += f"; first {len(frames)} of {n_video} frames (max_frames)"
        n_video = len(frames)
    job = video_job(
        annotations,
        fps=fps,
        frames=n_video,
        width=w,
        height=h,
        description=description,
        job_id=str(uuid.uuid4()),
    )
    lost = _lost_people(frames, w, h)
    res = PoseResult.from_job(job, source=str(path)).replace(
        partial=stop_reason is not None,
        extra={"left_right": _runs_table(runs, left_right), "warnings": lost},
    )
    for message in lost:
        warnings.warn(f"{path.name}: {message}", LostPersonWarning, stacklevel=4)
    return res


def _lost_people(
    frames: list[tuple[int, list[Any]]], width: int, height: int, *, min_gap: int = 10
) -> list[str]:
    """The tracks that end away from the picture's edges.

    Tracks that end (for good, or for more than ``min_gap`` frames) away from the
    picture's edges before the clip ends: people who probably did not leave, but whom the
    estimator stopped finding.
    """
    if not frames:
        return []
    seen: dict[int, list[tuple[int, np.ndarray]]] = {}
    for index, people in frames:
        for p in people:
            seen.setdefault(p[0], []).append((index, p[1]))
    last_frame = frames[-1][0]
    margin = 0.03 * max(width, height)
    out = []
    for oid, spots in seen.items():
        nums = np.array([i for i, _ in spots])
        ends = [
            k for k in range(len(nums)) if k == len(nums) - 1 or nums[k + 1] - nums[k] > min_gap
        ]
        for k in ends:
            if last_frame - nums[k] <= min_gap:
                continue
            xy = spots[k][1]
            x0, y0 = xy.min(0)
            x1, y1 = xy.max(0)
            if x0 < margin or y0 < margin or x1 > width - margin or y1 > height - margin:
                continue  # at the edge: walked out of view
            back = nums[k + 1] if k < len(nums) - 1 else None
            again = f"found again at frame {back}" if back is not None else "not found again"
            out.append(
                f"person {oid} was lost at frame {nums[k]} inside the picture and {again}; "
                "they are probably still there, without a pose"
            )
    return out


def _runs_table(runs: list[dict[str, Any]], rule: str) -> Any:
    """The left/right decisions as a table, one row per run of frames.

    The left/right decision per track and run of frames (``result.extra["left_right"]``):
    a DataFrame, one row per run kept as the model read it or swapped back, with the jumps
    that justify it (see :func:`posekit.estimate._leftright.left_right_runs`).
    """
    import pandas as pd

    cols = [
        "object_id", "first_frame", "last_frame", "frames", "mirrored",
        "jump_in", "jump_out", "as_swapped_in", "as_swapped_out", "reason", "part",
    ]  # fmt: skip
    table = pd.DataFrame(runs, columns=cols)
    table.attrs["rule"] = rule
    return table


def _drop_short_tracks(
    frames: list[tuple[int, list[Any]]], min_frames: int
) -> list[tuple[int, list[Any]]]:
    """The frames without short-lived tracks, identities renumbered.

    Remove tracks seen in fewer than ``min_frames`` frames, unless cut by the clip's start or
    end (a person stays in view for more than a blink; a ghost pose rarely does), and number
    the rest 0, 1, 2... in order of first appearance.
    """
    if min_frames <= 1 or not frames:
        return _renumber(frames)
    count: dict[int, int] = {}
    for _, people in frames:
        for person in people:
            count[person[0]] = count.get(person[0], 0) + 1
    edge = {p[0] for p in frames[0][1]} | {p[0] for p in frames[-1][1]}
    drop = {oid for oid, n in count.items() if n < min_frames and oid not in edge}
    return _renumber([(index, [p for p in people if p[0] not in drop]) for index, people in frames])


def _renumber(frames: list[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """object_ids 0, 1, 2... in order of first appearance."""
    new: dict[int, int] = {}
    for _, people in frames:
        for p in people:
            new.setdefault(p[0], len(new))
    return [(index, [(new[p[0]], *p[1:]) for p in people]) for index, people in frames]


def _per_track(
    frames: list[tuple[int, list[_Found]]],
    fps: float,
    *,
    smoothing: bool,
    left_right: str = "track",
    runs: list[dict[str, Any]] | None = None,
    scores: str = "visible",
) -> list[tuple[int, list[_Found]]]:
    """The frames with each track's left/right settled and its keypoints smoothed.

    Along each track: undo left/right mirroring (always), then the One Euro filter forward
    and backward (if ``smoothing``); see :mod:`posekit.estimate._leftright` and
    :mod:`posekit.estimate._smooth`.
    """
    where: dict[int, list[tuple[int, int]]] = {}
    for f, (_index, people) in enumerate(frames):
        for k, (oid, *_rest) in enumerate(people):
            where.setdefault(oid, []).append((f, k))
    out = [(index, list(people)) for index, people in frames]
    for oid, spots in where.items():
        xy = np.stack([frames[f][1][k][1] for f, k in spots])
        sc = np.stack([frames[f][1][k][2] for f, k in spots])
        nums = np.array([frames[f][0] for f, _ in spots])
        away = np.array([frames[f][1][k][4][0] for f, k in spots])
        zs = [frames[f][1][k][4][1] for f, k in spots]
        z = None if any(v is None for v in zs) else np.stack(zs)
        raw = np.stack([frames[f][1][k][4][2] for f, k in spots])
        if left_right == "off":
            swap = np.zeros(len(xy), dtype=bool)
        elif left_right == "nose-depth":
            swap = fix_left_right(xy, nums, facing_away=away, facing_weight=1.0)
        else:
            swap = fix_left_right(xy, nums)
        if runs is not None:
            runs.extend(left_right_runs(oid, xy, nums, swap))
        xy[swap] = xy[swap][:, MIRROR]
        sc[swap] = sc[swap][:, MIRROR]
        raw[swap] = raw[swap][:, MIRROR]
        if z is not None:  # a swapped frame is the model's depth-mirror: z changes sign
            z[swap] = -z[swap][:, MIRROR]
        if left_right == "track":  # then the legs alone (knees, ankles), by the same rule
            legs = fix_leg_swaps(xy, nums)
            if runs is not None:
                runs.extend(left_right_runs(oid, xy, nums, legs, part="legs"))
            for arr in (xy, sc, raw) if z is None else (xy, sc, raw, z):
                arr[legs] = arr[legs][:, LEG_MIRROR]
        if scores == "visible":
            sc = visible_scores(raw, sc, z)
        if smoothing:
            xy = one_euro_track(xy, nums, fps)
        for j, (f, k) in enumerate(spots):
            oid, _, _, ps, fa = out[f][1][k]
            out[f][1][k] = (oid, xy[j], sc[j], ps, fa)
    return out


@lru_cache(maxsize=4)
def _default(models_dir: str | None, num_threads: int) -> Estimator:
    return Estimator(models_dir, num_threads=num_threads)


def warmup() -> None:
    """Load the models now (the server calls this once per worker), not on the first call."""
    _default(None, 2)


def estimate_image(
    image: ImageInput,
    /,
    *,
    tiles: bool = True,
    min_presence: float = 0.5,
    convention: Convention = "coco",
    models_dir: str | os.PathLike[str] | None = None,
    num_threads: int = 2,
) -> PoseResult:
    """Find the people in one picture; the answer Kakao's ``POST /pose`` gives.

    Parameters
    ----------
    image
        A path (JPEG, PNG, WebP, anything Pillow reads), the encoded bytes, an (H, W, 3) uint8
        RGB array or a PIL image.
    tiles
        Also look for people in square tiles of the picture (finds small people).
    min_presence
        Pose presence probability (0–1) below which a pose is rejected as a ghost.
    convention
        ``"coco"`` (default): keypoints moved to where COCO-trained models such as
        OpenPose place the joints (Kakao's answers are COCO keypoints); ``"blazepose"``: where BlazePose places them. See
        ``docs/estimator.md``.
    models_dir, num_threads
        Where the weights are, and threads per model (see :class:`Estimator`).

    Returns
    -------
    PoseResult
        ``kind="image"``: one ``Person`` per person found, no ``object_id`` (as Kakao's).

    Warns
    -----
    KakaoLimitWarning
        The image breaks Kakao's limits (format, > 2 MB, long side > 2048 px, short side
        < 320 px); it is processed anyway.

    Raises
    ------
    posekit.video.VideoError
        ``image`` is a video file.
    posekit.models.ModelsMissingError
        The weights are not installed: run ``posekit models install``.

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.estimate import estimate_image
    >>> estimate_image(np.zeros((320, 320, 3), np.uint8)).people  # nobody in a blank picture
    []
    >>> res = estimate_image("person.jpg")                       # doctest: +SKIP
    >>> res.keypoints()                                          # doctest: +SKIP
    """
    key = str(models_dir) if models_dir is not None else None
    return _default(key, num_threads).image(
        image, tiles=tiles, min_presence=min_presence, convention=convention
    )


def estimate_video(
    path: str | os.PathLike[str],
    /,
    *,
    smoothing: bool = True,
    progress: bool | None = None,
    max_frames: int | None = None,
    tiles: bool = True,
    detect_every: int = 2,
    min_presence: float = 0.5,
    convention: Convention = "coco",
    models_dir: str | os.PathLike[str] | None = None,
    num_threads: int = 2,
    left_right: str = "track",
) -> PoseResult:
    """Track the poses of everyone in a video; the answer of a Kakao ``/pose/job``.

    Parameters
    ----------
    path
        The video file (anything FFmpeg decodes). Frames stream through one at a time.
    smoothing
        Filter each track's keypoints over time (a One Euro filter run forward and backward,
        so without lag; see ``docs/estimator.md``); Kakao's default is also on.
    progress
        Show a progress bar; None (default): only in a terminal or notebook.
    max_frames
        Stop after this many frames (the result then describes that shorter clip).
    tiles
        Also run the detector on square tiles (finds people who are small in the frame).
    detect_every
        Run the detector (whole frame + tiles) every this many frames (default 2); people
        already found are tracked in every frame, a newcomer is picked up a frame later.
    min_presence
        Pose presence probability below which a pose is rejected as a ghost.
    convention
        ``"coco"`` (default): keypoints moved to where COCO-trained models such as
        OpenPose place the joints (Kakao's answers are COCO keypoints); ``"blazepose"``: where BlazePose places them.
    models_dir, num_threads
        Where the weights are, and threads per model.
    left_right
        How left and right are decided along each track: ``"track"`` (default) undoes runs
        of frames the model mirrored, found as jumps of every joint to its twin's place (the
        view does not matter), then frames where it exchanged the legs alone (knees and
        ankles jumping to their twins' places); ``"nose-depth"`` the previous rule (flips
        people seen from behind; for comparison); ``"off"`` the model's labels as they are.

    Returns
    -------
    PoseResult
        ``kind="video"`` with one annotation per frame, ``object_id`` tracks, ``categories``,
        ``info`` and ``video`` (fps, frames, width, height). ``result.extra["left_right"]``
        is a table of the left/right decision per track and run of frames (where the labels
        were swapped back, and the jumps that show why). On Ctrl-C the frames done so far
        come back with ``result.partial = True`` and ``info.description`` starting "PARTIAL".

    Raises
    ------
    posekit.video.VideoTruncatedError
        The video is damaged or cut short; the frames read are in the exception's ``result``
        (a partial result).
    posekit.video.VideoError
        Not a readable video (empty, a still image, ...).
    posekit.models.ModelsMissingError
        The weights are not installed: run ``posekit models install``.

    Examples
    --------
    >>> from posekit.estimate import estimate_video
    >>> res = estimate_video("clip.mp4", smoothing=True)         # doctest: +SKIP
    >>> res.save("clip.json")                                    # doctest: +SKIP
    """
    key = str(models_dir) if models_dir is not None else None
    return _default(key, num_threads).video(
        path,
        smoothing=smoothing,
        progress=progress,
        max_frames=max_frames,
        tiles=tiles,
        detect_every=detect_every,
        min_presence=min_presence,
        convention=convention,
        left_right=left_right,
    )
