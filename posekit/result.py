"""`PoseResult`: one Kakao Pose API result (an image answer or a video job answer)."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from posekit._decode import _image_decoder, _job_decoder, check_job, flatten
from posekit._files import atomic_write
from posekit.schema import (
    JOINTS,
    Annotation,
    JobResult,
    Person,
    kakao_bbox,
    video_job,
)

if TYPE_CHECKING:
    import pandas as pd

    from posekit._tables import DenseKeypoints


__all__ = ["PoseResult"]


class _Keep:
    """Marks an argument of :meth:`PoseResult.replace` that was not given."""


_KEEP = _Keep()

#: What a result may still set after it is built: the caches it fills when first asked.
_CACHES = frozenset({"_people", "_job", "_flat"})


class PoseResult:
    """A pose estimation result in the Kakao Pose API format.

    An *image* result is the list of people ``POST /pose`` answers; a *video* result is the
    ``GET /pose/job/{job_id}`` answer of a successful job. Build one with :func:`posekit.load`,
    :meth:`from_keypoints`, the client, the estimator or :mod:`posekit.synth`.

    Parameters
    ----------
    kind
        ``"image"`` or ``"video"`` (anything else is a ValueError).
    people
        Image results: the people found.
    job
        Video results: the job answer (:meth:`from_job` checks it first; this does not).
    source
        Where it came from, for ``DataFrame.attrs``.
    partial
        True when the result covers only part of the video.
    extra
        What else its maker knew; copied into a read-only mapping.
    _raw, _meta
        Filled by :func:`posekit.load` only: the JSON bytes the result is decoded from on
        first use, and the job answer without its per-person structs.

    Attributes
    ----------
    kind
        ``"image"`` or ``"video"``.
    people
        Image results: the people found (no ``object_id``).
    job
        Video results: the whole job answer, kept as given (``categories``, ``info``, ``job_id``).
    source
        Where it came from (a file path, a URL, ``"synth"``...), for ``DataFrame.attrs``.
    partial
        True when the result covers only part of the video (an interrupted estimation).
    extra
        What else its maker knew (the estimator's timing and left/right decisions, an image's
        size...), a read-only mapping.

    Notes
    -----
    A result is an immutable value: its attributes cannot be set (``AttributeError``) and
    ``extra`` cannot be changed; :meth:`replace` gives a new result with another ``source``,
    ``partial`` or ``extra``. A result loaded from JSON keeps the original bytes and decodes the
    per-person structs only when ``job``/``people`` are first touched; the tables are built
    straight from the bytes (and cached), which is what makes :func:`posekit.load` fast on long
    videos. The structs are shared with those caches: do not edit them in place; to change a
    result, edit a copy (``copy.deepcopy(res.job)``) and build a new one with :meth:`from_job`.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.schema import Person
    >>> one = Person(area=1.0, bbox=[0, 0, 1, 1], category_id=1,
    ...              keypoints=[10.0, 20.0, 0.9] * 17, score=0.8)
    >>> res = pk.PoseResult("image", people=[one], source="photo.jpg")
    >>> res.kind, res.n_frames, res.keypoints().shape
    ('image', 1, (17, 3))
    >>> try:
    ...     res.source = "other.jpg"
    ... except AttributeError:
    ...     print(res.replace(source="other.jpg").source, res.source)
    other.jpg photo.jpg
    """

    def __init__(
        self,
        kind: Literal["image", "video"],
        people: list[Person] | None = None,
        job: JobResult | None = None,
        source: str | None = None,
        partial: bool = False,
        extra: dict[str, Any] | None = None,
        *,
        _raw: bytes | None = None,
        _meta: Any = None,
    ) -> None:
        if kind not in ("image", "video"):
            raise ValueError(f"kind must be 'image' or 'video', got {kind!r}")
        self.kind = kind
        self._people = people
        self._job = job
        self._raw = _raw  # the JSON this result was decoded from, until structs are touched
        self._meta = _meta  # job answer without per-person structs (fast path), or None
        self._flat: Any = None  # posekit._decode.Flat cache: every detection as arrays
        self.source = source
        self.partial = partial
        self.extra: Mapping[str, Any] = MappingProxyType({} if extra is None else dict(extra))
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CACHES or not getattr(self, "_frozen", False):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(
            f"PoseResult is immutable: {name} cannot be set; use result.replace(...) "
            "or build a new result (PoseResult.from_job, from_keypoints)"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"PoseResult is immutable: {name} cannot be deleted")

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "extra": dict(self.extra)}  # a mappingproxy does not pickle

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "extra", MappingProxyType(dict(state.get("extra") or {})))

    @property
    def people(self) -> list[Person] | None:
        """Image results: the people found, decoded on first use (None for a video result)."""
        if self.kind != "image":
            return None
        if self._people is None and self._raw is not None:
            self._people = _image_decoder.decode(self._raw)
        return self._people

    @property
    def job(self) -> JobResult | None:
        """Video results: the job answer, decoded on first use (None for an image result)."""
        if self.kind != "video":
            return None
        if self._job is None and self._raw is not None:
            self._job = _job_decoder.decode(self._raw)
        return self._job

    def _header(self) -> Any:
        """The job answer's top-level fields (video, job_id...) without decoding every person."""
        if self.kind != "video":
            return None
        return self._job if self._job is not None else self._meta

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_image(cls, people: list[Person], *, source: str | None = None) -> PoseResult:
        """An image result from the people ``POST /pose`` answered.

        Parameters
        ----------
        people
            The people found (:class:`posekit.schema.Person`).
        source
            Where they came from, for ``DataFrame.attrs``.

        Returns
        -------
        PoseResult
            An image result.

        Examples
        --------
        >>> from posekit import PoseResult
        >>> from posekit.schema import Person
        >>> one = Person(area=1.0, bbox=[0, 0, 1, 1], category_id=1, keypoints=[0.0] * 51,
        ...              score=0.5)
        >>> res = PoseResult.from_image([one])
        >>> res.kind, len(res.people), res.n_frames
        ('image', 1, 1)
        """
        return cls(kind="image", people=list(people), source=source)

    def replace(
        self,
        *,
        source: str | _Keep | None = _KEEP,
        partial: bool | _Keep = _KEEP,
        extra: Mapping[str, Any] | _Keep = _KEEP,
    ) -> PoseResult:
        """A new result with other ``source``, ``partial`` or ``extra``; this one is unchanged.

        The payload (JSON bytes, structs, the flat arrays) is shared, not copied.

        Parameters
        ----------
        source, partial, extra
            The new values; the others are kept. ``extra`` replaces the whole dict: pass
            ``{**res.extra, "width": 640}`` to add to it.

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.load([{"area": 1.0, "bbox": [0, 0, 1, 1], "category_id": 1,
        ...                 "keypoints": [0.0] * 51, "score": 0.5}])
        >>> res.replace(source="camera 1").source, res.source
        ('camera 1', '<list>')
        """
        new = copy.copy(self)
        if not isinstance(source, _Keep):
            object.__setattr__(new, "source", source)
        if not isinstance(partial, _Keep):
            object.__setattr__(new, "partial", partial)
        if not isinstance(extra, _Keep):
            object.__setattr__(new, "extra", MappingProxyType(dict(extra)))
        return new

    @classmethod
    def from_job(cls, job: JobResult, *, source: str | None = None) -> PoseResult:
        """A video result from a successful job answer (checked first).

        Parameters
        ----------
        job
            The ``GET /pose/job/{job_id}`` answer (:class:`posekit.schema.JobResult`).
        source
            Where it came from, for ``DataFrame.attrs``.

        Returns
        -------
        PoseResult
            A video result.

        Raises
        ------
        PoseFormatError
            The job is not a success, or its annotations do not fit its video.

        Examples
        --------
        >>> import posekit as pk
        >>> job = pk.synth.generate("walk", duration_s=1, fps=30).result.job
        >>> pk.PoseResult.from_job(job).n_frames
        30
        """
        check_job(job)
        return cls(kind="video", job=job, source=source)

    @classmethod
    def from_keypoints(
        cls,
        keypoints: pd.DataFrame,
        objects: pd.DataFrame | None = None,
        *,
        kind: Literal["image", "video"] | None = None,
    ) -> PoseResult:
        """A keypoints table (cleaned, smoothed...) back to a Kakao-format :class:`PoseResult`.

        NaN coordinates are written as ``0, 0`` with score 0, the API's way of saying "not
        detected". Filled points (``filled`` True, or coordinates with a NaN score) keep their
        coordinates, are written with score 0 and are named in the person's ``filled`` field, so
        :func:`posekit.load` gives them back as filled points. ``bbox`` and ``area`` come from ``objects`` when given, else from the keypoints by
        Kakao's rule (``[min_x, min_y, max_x - min_x + 1, max_y - min_y + 1]``, area = w*h); the
        person ``score`` from ``objects``, else the mean keypoint score.

        Parameters
        ----------
        keypoints
            A keypoints table; its ``attrs`` give fps, size, source and job_id.
        objects
            The matching objects table (boxes, areas, scores); default from the keypoints.
        kind
            ``"image"`` or ``"video"``; default ``keypoints.attrs["kind"]``, else video when
            the table has an fps.

        Returns
        -------
        PoseResult
            The Kakao-format result.

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> back = pk.PoseResult.from_keypoints(res.keypoints())
        >>> back.n_frames, back.fps, back.keypoints().equals(res.keypoints())
        (30, 30.0, True)
        """
        import numpy as np

        from posekit._tables import filled_mask, to_dense

        kp = keypoints
        dense = to_dense(kp, ("x", "y", "score"))
        xy_all = dense.values[..., :2]
        finite = np.isfinite(xy_all).all(axis=-1)
        # filled points (marked, or with coordinates but no score) are written with score 0
        # and named in the person's "filled" field
        filled_all = finite & np.isnan(dense.values[..., 2])
        if "filled" in kp.columns:
            marks = np.zeros(dense.values.shape[:3], dtype=bool)
            marks[dense.rows] = filled_mask(kp)
            filled_all |= finite & marks
        score_all = np.where(finite & ~filled_all, np.nan_to_num(dense.values[..., 2]), 0.0)
        bbox_all, area_all = kakao_bbox(xy_all, score_all > 0)
        attrs = kp.attrs
        kind = kind or attrs.get("kind") or ("video" if attrs.get("fps") else "image")
        obj_lookup: dict[tuple[int, int], Any] = {}
        if objects is not None:
            cols = ["bbox_x", "bbox_y", "bbox_w", "bbox_h", "area", "score"]
            vals = objects[cols].to_numpy(np.float64)
            fr = objects.index.get_level_values("frame").to_numpy()
            ob = objects.index.get_level_values("object_id").to_numpy()
            obj_lookup = {(int(f), int(o)): v for f, o, v in zip(fr, ob, vals, strict=True)}
        annotations = []
        for fi, frame in enumerate(dense.frames):
            people = []
            for oi in np.flatnonzero(dense.present[fi]):
                sc = score_all[fi, oi]
                flat = np.column_stack([np.nan_to_num(xy_all[fi, oi]), sc]).ravel().tolist()
                ob = obj_lookup.get((int(frame), int(dense.object_ids[oi])))
                if ob is not None:
                    bbox, area, score = ob[:4].tolist(), float(ob[4]), float(ob[5])
                else:
                    bbox, area = bbox_all[fi, oi].tolist(), float(area_all[fi, oi])
                    score = float(np.round(sc.mean(), 4))
                marked = [JOINTS[j] for j in np.flatnonzero(filled_all[fi, oi])]
                people.append(
                    Person(
                        area=area,
                        bbox=bbox,
                        category_id=1,
                        keypoints=flat,
                        score=score,
                        object_id=int(dense.object_ids[oi]) if kind == "video" else msgspec.UNSET,
                        filled=marked or msgspec.UNSET,
                    )
                )
            annotations.append(Annotation(frame_num=int(frame), objects=people))
        if kind == "image":
            people = annotations[0].objects if annotations else []
            return cls.from_image(people, source=attrs.get("source"))
        fps = attrs.get("fps")
        if not fps:
            raise ValueError("a video result needs fps: set table.attrs['fps']")
        n_frames = int(attrs.get("frames") or (dense.frames.max() + 1 if len(dense.frames) else 0))
        job = video_job(
            annotations,
            fps=fps,
            frames=n_frames,
            width=attrs.get("width"),
            height=attrs.get("height"),
            description="Human pose estimation result, re-written by posekit",
            job_id=attrs.get("job_id") or msgspec.UNSET,
        )
        if attrs.get("skeleton") and isinstance(job.categories, list):  # keypoints() sets it
            job.categories[0].skeleton = [[int(p), int(q)] for p, q in attrs["skeleton"]]
        return cls.from_job(job, source=attrs.get("source"))

    # -- metadata ------------------------------------------------------------------------------
    @property
    def fps(self) -> float | None:
        """Frames per second of a video result (``video.fps``); None for an image result."""
        h = self._header()
        if h is not None and h.video is not msgspec.UNSET:
            return float(h.video.fps)
        return None

    @property
    def width(self) -> int | None:
        """Width of the video or image in pixels, when known."""
        h = self._header()
        if h is not None and h.video is not msgspec.UNSET:
            return int(h.video.width)
        return self.extra.get("width")

    @property
    def height(self) -> int | None:
        """Height of the video or image in pixels, when known."""
        h = self._header()
        if h is not None and h.video is not msgspec.UNSET:
            return int(h.video.height)
        return self.extra.get("height")

    @property
    def job_id(self) -> str | None:
        """The job's id (video results), when the answer has one."""
        h = self._header()
        if h is not None and h.job_id is not msgspec.UNSET:
            return h.job_id
        return None

    @property
    def n_frames(self) -> int:
        """Frames in the video (``video.frames``), or 1 for an image result."""
        if self.kind == "image":
            return 1
        h = self._header()
        if h is not None and h.video is not msgspec.UNSET:
            return int(h.video.frames)
        return len(self.annotations())

    @property
    def skeleton(self) -> list[list[int]] | None:
        """The 1-based joint pairs of the job's ``categories``; None when it has none.

        Read from the answer's header: the people of a long clip are not decoded for it.

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1).result
        >>> res.skeleton[:2]
        [[1, 2], [2, 3]]
        """
        h = self._header()
        cats = getattr(h, "categories", None)
        if not isinstance(cats, list) or not cats:
            return None
        pairs = getattr(cats[0], "skeleton", None)
        if not isinstance(pairs, list) or not pairs:
            return None
        return [[int(a), int(b)] for a, b in pairs]

    def annotations(self) -> list[Any]:
        """The per-frame annotations (an image result is one frame, number 0)."""
        from posekit.schema import Annotation

        if self.kind == "image":
            return [Annotation(frame_num=0, objects=list(self.people or []))]
        assert self.job is not None and self.job.annotations is not msgspec.UNSET
        return self.job.annotations

    def __iter__(self) -> Iterator[Any]:
        return iter(self.annotations())

    def __len__(self) -> int:
        return len(self.annotations())

    def __repr__(self) -> str:
        flat = flatten(self)
        n_obj = len(flat.frame)
        ids = set(flat.object_id.tolist())
        bits: list[str] = [self.kind]
        if self.kind == "video":
            bits.append(f"{len(set(flat.frame.tolist()))} frames with people")
            if self.fps:
                bits.append(f"{self.fps:.3g} fps")
            if self.width:
                bits.append(f"{self.width}x{self.height}")
            bits.append(f"{len(ids)} tracks")
        bits.append(f"{n_obj} detections")
        if self.job_id:
            bits.append(f"job_id={self.job_id}")
        if self.partial:
            bits.append("PARTIAL")
        return f"PoseResult({', '.join(bits)})"

    # -- tables --------------------------------------------------------------------------------
    def keypoints(
        self,
        *,
        min_score: float | None = None,
        undetected: Literal["nan", "keep"] = "nan",
    ) -> pd.DataFrame:
        """The tidy ``keypoints`` table (see :func:`posekit.tidy.keypoints`).

        Points with score 0 (not detected) have NaN x and y unless ``undetected="keep"``;
        filled points have score NaN and ``filled`` True.

        Parameters
        ----------
        min_score
            Points scored below it get NaN x and y (the score is kept).
        undetected
            ``"nan"``: score-0 points have NaN x and y; ``"keep"``: their coordinates as given.

        Returns
        -------
        DataFrame
            One row per (frame, object_id, joint), columns ``x``, ``y``, ``score`` and
            ``time`` (s).

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> kp = res.keypoints()
        >>> kp.shape, list(kp.columns)
        ((510, 4), ['x', 'y', 'score', 'time'])
        """
        from posekit._tables import keypoints

        return keypoints(self, min_score=min_score, undetected=undetected)

    def objects(self) -> pd.DataFrame:
        """The tidy ``objects`` table (see :func:`posekit.tidy.objects`)."""
        from posekit._tables import objects

        return objects(self)

    def wide(self, *, min_score: float | None = None) -> pd.DataFrame:
        """One row per (frame, object_id), columns (joint, coordinate).

        Parameters
        ----------
        min_score
            Points scored below it get NaN x and y.

        Returns
        -------
        DataFrame
            Columns ``(joint, "x" | "y" | "score")``, 51 of them.

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> res.wide().shape
        (30, 51)
        """
        from posekit._tables import to_wide

        return to_wide(self.keypoints(min_score=min_score))

    def to_numpy(self) -> DenseKeypoints:
        """Dense ``(frames, objects, 17, 3)`` array of x, y, score with its index arrays."""
        from posekit._tables import to_dense

        return to_dense(self.keypoints())

    # -- serialisation -------------------------------------------------------------------------
    def to_json(self) -> bytes:
        """The result as API JSON bytes."""
        if self._raw is not None:
            return self._raw
        payload = self.people if self.kind == "image" else self.job
        return msgspec.json.encode(payload)

    def to_dict(self) -> Any:
        """The result as plain Python objects (what ``json.loads`` of the API answer gives)."""
        return msgspec.json.decode(self.to_json())

    def save(self, path: str | os.PathLike[str], *, indent: int | None = None) -> None:
        """Write the result as API JSON, atomically (a crash never leaves half a file).

        Parameters
        ----------
        path
            The file to write (replaced if it exists).
        indent
            Indent the JSON by this many spaces; default compact.

        Examples
        --------
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "walk.json"
        ...     res.save(path)
        ...     pk.load(path).keypoints().equals(res.keypoints())
        True
        """
        data = self.to_json()
        if indent:
            data = msgspec.json.format(data, indent=indent)
        atomic_write(path, data)
