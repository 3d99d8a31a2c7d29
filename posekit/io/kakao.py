"""Kakao Pose API JSON: :func:`load` (image or video job answers) and :func:`save`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

from posekit._decode import (
    _fast_image_decoder,
    _fast_job_decoder,
    _format_error,
    _image_decoder,
    _job_decoder,
    check_job,
    flatten,
)
from posekit.errors import PoseFormatError
from posekit.io._errors import only_posekit_errors
from posekit.result import PoseResult
from posekit.schema import JobResult, Person

__all__ = ["load", "save"]


def _decode(data: bytes, where: str) -> PoseResult:
    head = data.lstrip()[:1]
    if head not in (b"[", b"{"):
        raise PoseFormatError(
            f"not a Kakao pose result: expected a JSON list (image) or object (video job), "
            f"got {data[:20]!r} ({where})",
            path="$",
        )
    kind: Literal["image", "video"] = "image" if head == b"[" else "video"
    meta: Any
    try:
        meta = (_fast_image_decoder if kind == "image" else _fast_job_decoder).decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        meta = None  # decode with the full structs below, for the exact error and path
    try:
        if kind == "video":
            job = meta if meta is not None else _job_decoder.decode(data)
            check_job(job)
        elif meta is None:
            _image_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        if kind == "video" and _looks_like_openpose(data):
            raise PoseFormatError(
                f"{where} looks like one frame of OpenPose output (a 'people' list), not a Kakao "
                "result: read its folder with posekit.io.load_openpose (or give the folder to "
                "the posekit command)",
                path="$",
            ) from None
        raise _format_error(exc, where, data) from None
    res = PoseResult(kind=kind, source=where, _raw=data, _meta=meta)
    try:
        flatten(res)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise _format_error(exc, where) from None
    return res


def _looks_like_openpose(data: bytes) -> bool:
    try:
        doc = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError):
        return False  # not even JSON: the caller's error says what is wrong
    return isinstance(doc, dict) and isinstance(doc.get("people"), list) and "status" not in doc


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray | np.generic):
        return obj.tolist()
    return obj


def _convert(source: Any, type_: Any) -> Any:
    try:
        return msgspec.convert(source, type_)
    except msgspec.ValidationError:
        # numpy scalars and arrays (common in hand-built dicts) are not plain floats to msgspec
        return msgspec.convert(_plain(source), type_)


@only_posekit_errors("Kakao pose JSON")
def load(source: str | os.PathLike[str] | bytes | dict[str, Any] | list[Any]) -> PoseResult:
    """Load a Kakao Pose API result: image answer (list of people) or video job answer.

    Parameters
    ----------
    source
        A path to a JSON file, the JSON as bytes, or the decoded JSON (dict or list).

    Returns
    -------
    PoseResult

    Raises
    ------
    PoseFormatError
        The payload is not valid JSON or not of the API's structure; the message names the JSON
        path of the first problem.
    JobNotReadyError, JobFailedError, JobNotFoundError
        A video job answer whose ``status`` is not ``success``.

    Examples
    --------
    >>> import posekit as pk
    >>> res = pk.load([{"area": 1.0, "bbox": [0, 0, 1, 1], "category_id": 1,
    ...                 "keypoints": [0.0] * 51, "score": 0.5}])
    >>> res.kind
    'image'
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode(bytes(source), "<bytes>")
    if isinstance(source, list):
        try:
            people = _convert(source, list[Person])
        except msgspec.ValidationError as exc:
            raise _format_error(exc, "<list>") from None
        res = PoseResult(kind="image", people=people, source="<list>")
        flatten(res)
        return res
    if isinstance(source, dict):
        try:
            job = _convert(source, JobResult)
        except msgspec.ValidationError as exc:
            raise _format_error(exc, "<dict>") from None
        check_job(job)
        res = PoseResult(kind="video", job=job, source="<dict>")
        flatten(res)
        return res
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"no such result file: {path}") from None
        except IsADirectoryError:
            raise PoseFormatError(
                f"{path} is a folder; for OpenPose output use posekit.io.load_openpose"
            ) from None
        return _decode(data, str(path))
    raise TypeError(f"load() takes a path, bytes, dict or list, not {type(source).__name__}")


def save(result: PoseResult, path: str | os.PathLike[str], *, indent: int | None = None) -> None:
    """Write ``result`` as Kakao API JSON, atomically.

    Parameters
    ----------
    result
        The result to write.
    path
        The JSON file.
    indent
        Spaces per indentation level; default compact JSON.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> result = pk.synth.generate("squat", duration_s=1, fps=30).result
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pk.io.save(result, Path(tmp) / "squat.json", indent=1)
    ...     text = (Path(tmp) / "squat.json").read_text()
    ...     back = pk.io.load(Path(tmp) / "squat.json")
    >>> text.splitlines()[1], back.keypoints().equals(result.keypoints())
    (' "status": "success",', True)
    """
    result.save(path, indent=indent)
