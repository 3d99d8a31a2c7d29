"""What the client uploads: reading inputs, checking the documented limits, preparing images.

Images (``POST /pose``): JPEG, PNG, HEIC or WebP; at most 2 MB; long side at most 2048 px and
short side at least 320 px. Videos (``POST /pose/job``): Kakao's sample caps uploads at 50 MB.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

import msgspec
import numpy as np

from posekit.errors import InputLimitError
from posekit.result import PoseResult
from posekit.schema import (
    KAKAO_MAX_IMAGE_BYTES,
    KAKAO_MAX_LONG_SIDE,
    KAKAO_MAX_VIDEO_BYTES,
    KAKAO_MIN_SHORT_SIDE,
)

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_LONG_SIDE",
    "MAX_VIDEO_BYTES",
    "MIN_SHORT_SIDE",
    "FileInput",
    "ImageCheck",
    "PreparedImage",
    "check_image",
    "describe",
    "file_or_url",
    "is_url",
    "map_back",
    "prepare_image",
    "read_input",
]

MAX_IMAGE_BYTES = KAKAO_MAX_IMAGE_BYTES
MAX_LONG_SIDE = KAKAO_MAX_LONG_SIDE
MIN_SHORT_SIDE = KAKAO_MIN_SHORT_SIDE
MAX_VIDEO_BYTES = KAKAO_MAX_VIDEO_BYTES

#: A file to upload: a path, its bytes, or a binary file object.
FileInput = Union[str, os.PathLike, bytes, bytearray, memoryview, IO[bytes]]  # noqa: UP007

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIC": "image/heic"}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIC": "heic"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def read_input(file: FileInput, what: str) -> tuple[bytes, str | None]:
    """The bytes to upload and a file name (None when unknown)."""
    if isinstance(file, bytes | bytearray | memoryview):
        return bytes(file), None
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError:
            raise FileNotFoundError(f"no such {what} file: {path}") from None
    read = getattr(file, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, str):
            raise TypeError(f"the {what} file object must be opened in binary mode ('rb')")
        name = getattr(file, "name", None)
        return bytes(data), Path(name).name if isinstance(name, str) else None
    raise TypeError(
        f"{what} must be a path, bytes or a binary file object, not {type(file).__name__}"
    )


def sniff_format(data: bytes) -> str | None:
    """``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"HEIC"`` from the magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    return None


@dataclass(frozen=True)
class ImageCheck:
    """An image measured against the documented limits; ``problems`` empty means it may go.

    Made by :func:`check_image`.

    Parameters
    ----------
    format
        ``"JPEG"``, ``"PNG"``, ``"WEBP"`` or ``"HEIC"`` from the file's first bytes; None for
        any other format.
    nbytes
        The file's size in bytes.
    size
        ``(width, height)`` in pixels; None when Pillow cannot read the image (HEIC).
    problems
        Each limit the image breaks, in words.

    Examples
    --------
    >>> from posekit.client import ImageCheck
    >>> check = ImageCheck(format="JPEG", nbytes=180_000, size=(640, 480), problems=())
    >>> check.ok, check.mime, check.ext
    (True, 'image/jpeg', 'jpg')
    """

    format: str | None
    nbytes: int
    size: tuple[int, int] | None  # (width, height); None when Pillow cannot read it (HEIC)
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the image breaks no limit.

        Examples
        --------
        >>> from posekit.client import ImageCheck
        >>> ImageCheck("PNG", 3_000_000, (640, 480), ("2.86 MB, more than 2 MB",)).ok
        False
        """
        return not self.problems

    @property
    def mime(self) -> str:
        """The MIME type to upload it with (``application/octet-stream`` when unknown).

        Examples
        --------
        >>> from posekit.client import ImageCheck
        >>> ImageCheck("WEBP", 1000, (640, 480), ()).mime
        'image/webp'
        """
        return _MIME.get(self.format or "", "application/octet-stream")

    @property
    def ext(self) -> str:
        """The file name extension to upload it with (``bin`` when unknown).

        Examples
        --------
        >>> from posekit.client import ImageCheck
        >>> ImageCheck("HEIC", 1000, None, ()).ext
        'heic'
        """
        return _EXT.get(self.format or "", "bin")


def _pillow_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            return int(im.size[0]), int(im.size[1])
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def check_image(data: bytes) -> ImageCheck:
    """Measure an image against the API's documented limits.

    The limits: JPEG, PNG, HEIC or WebP; at most :data:`MAX_IMAGE_BYTES` (2 MB); long side at
    most :data:`MAX_LONG_SIDE` (2048 px); short side at least :data:`MIN_SHORT_SIDE` (320 px).
    Only the image's header is read.

    Parameters
    ----------
    data
        The image file's bytes.

    Returns
    -------
    ImageCheck
        The format, size in bytes and pixels, and the limits broken.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> from posekit.client import check_image
    >>> photo = io.BytesIO()
    >>> Image.new("RGB", (3000, 200)).save(photo, "JPEG")
    >>> check = check_image(photo.getvalue())
    >>> check.format, check.size, check.ok
    ('JPEG', (3000, 200), False)
    >>> check.problems
    ('long side 3000 px > 2048 px', 'short side 200 px < 320 px')
    """
    fmt = sniff_format(data)
    size = _pillow_size(data)
    problems = []
    if fmt is None:
        what = "an image Pillow can read" if size else "not a recognisable image"
        problems.append(f"format is not JPEG, PNG, HEIC or WebP ({what})")
    if len(data) > MAX_IMAGE_BYTES:
        problems.append(f"{len(data) / 2**20:.2f} MB, more than {MAX_IMAGE_BYTES / 2**20:.0f} MB")
    if size is not None:
        long, short = max(size), min(size)
        if long > MAX_LONG_SIDE:
            problems.append(f"long side {long} px > {MAX_LONG_SIDE} px")
        if short < MIN_SHORT_SIDE:
            problems.append(f"short side {short} px < {MIN_SHORT_SIDE} px")
    return ImageCheck(format=fmt, nbytes=len(data), size=size, problems=tuple(problems))


@dataclass(frozen=True)
class PreparedImage:
    """An image re-encoded to fit the limits, and how its pixels relate to the original's.

    ``sent = original * (scale_x, scale_y)``; padding (if any) is added at the right/bottom, so it
    does not move coordinates. Made by :func:`prepare_image`.

    Parameters
    ----------
    data
        The encoded image to upload.
    mime
        Its MIME type (``"image/jpeg"``).
    original_size, sent_size
        ``(width, height)`` in pixels of the original and of the image sent (padding included).
    scale_x, scale_y
        Sent pixels per original pixel, across and down (they differ only by rounding).

    Examples
    --------
    >>> from posekit.client import PreparedImage
    >>> prepared = PreparedImage(b"...", "image/jpeg", (2560, 1920), (2048, 1536), 0.8, 0.8)
    >>> x_original = 1000.0
    >>> x_original * prepared.scale_x  # where that column is in the image sent
    800.0
    """

    data: bytes
    mime: str
    original_size: tuple[int, int]
    sent_size: tuple[int, int]
    scale_x: float
    scale_y: float


def _fit_scale(w: int, h: int) -> float:
    long, short = max(w, h), min(w, h)
    s = min(1.0, MAX_LONG_SIDE / long)
    if short * s < MIN_SHORT_SIDE and long * (MIN_SHORT_SIDE / short) <= MAX_LONG_SIDE:
        s = MIN_SHORT_SIDE / short  # too small: upscale when the long side allows it
    return s


def prepare_image(data: bytes, *, quality: int = 92) -> PreparedImage:
    """Resize (and pad, for very elongated images) and re-encode ``data`` to fit the limits.

    The image is scaled so its long side is at most 2048 px and its short side at least 320 px
    (padding at the right or bottom when no scale satisfies both), converted to RGB and encoded
    as JPEG, lowering the quality by 10 at a time (not below 50) and then the size until it is
    at most 2 MB.

    Parameters
    ----------
    data
        The image file's bytes (any format Pillow decodes).
    quality
        The first JPEG quality tried (1-95).

    Returns
    -------
    PreparedImage
        The JPEG to send and the scale between its pixels and the original's.

    Raises
    ------
    InputLimitError
        The image cannot be decoded (HEIC needs the pillow-heif plugin).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> from posekit.client import check_image, prepare_image
    >>> photo = io.BytesIO()
    >>> Image.new("RGB", (3000, 200)).save(photo, "PNG")
    >>> prepared = prepare_image(photo.getvalue())
    >>> prepared.mime, prepared.sent_size, round(prepared.scale_x, 4)
    ('image/jpeg', (2048, 320), 0.6827)
    >>> check_image(prepared.data).ok
    True
    """
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except (UnidentifiedImageError, OSError) as exc:
        fmt = sniff_format(data)
        hint = " (HEIC needs the pillow-heif plugin to be prepared)" if fmt == "HEIC" else ""
        raise InputLimitError(f"cannot decode the image to prepare it{hint}: {exc}") from None
    w, h = im.size
    rgb = im.convert("RGB")
    s = _fit_scale(w, h)
    while True:
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        scaled = rgb if (nw, nh) == (w, h) else rgb.resize((nw, nh), Image.Resampling.LANCZOS)
        if min(nw, nh) < MIN_SHORT_SIDE:  # elongated: pad at the far edge
            canvas = Image.new("RGB", (max(nw, MIN_SHORT_SIDE), max(nh, MIN_SHORT_SIDE)))
            canvas.paste(scaled, (0, 0))
            scaled = canvas
        for q in range(quality, 49, -10):
            buf = io.BytesIO()
            scaled.save(buf, format="JPEG", quality=q)
            if buf.tell() <= MAX_IMAGE_BYTES:
                return PreparedImage(
                    data=buf.getvalue(),
                    mime="image/jpeg",
                    original_size=(w, h),
                    sent_size=scaled.size,
                    scale_x=nw / w,
                    scale_y=nh / h,
                )
        if min(nw, nh) <= MIN_SHORT_SIDE:
            raise InputLimitError("cannot bring the image under 2 MB")  # pragma: no cover
        s *= 0.8


def map_back(result: PoseResult, prepared: PreparedImage) -> PoseResult:
    """An image result on the prepared image, in the original image's pixel coordinates."""
    sx, sy = prepared.scale_x, prepared.scale_y
    people = []
    for p in result.people or []:
        kp = np.asarray(p.keypoints, dtype=np.float64).reshape(-1, 3).copy()
        kp[:, 0] /= sx
        kp[:, 1] /= sy
        x, y, bw, bh = p.bbox
        people.append(
            msgspec.structs.replace(
                p,
                keypoints=kp.ravel().tolist(),
                bbox=[x / sx, y / sy, bw / sx, bh / sy],
                area=p.area / (sx * sy),
            )
        )
    out = PoseResult.from_image(people, source=result.source).replace(
        extra={
            "width": prepared.original_size[0],
            "height": prepared.original_size[1],
            "prepared": {"sent_size": prepared.sent_size, "scale_x": sx, "scale_y": sy},
        }
    )
    return out


def file_or_url(file: Any, url: str | None) -> tuple[Any, str | None]:
    if is_url(file):
        if url is not None:
            raise ValueError("pass either a file or url=..., not both")
        return None, file
    if (file is None) == (url is None):
        raise ValueError("pass either a file (path, bytes, file object) or url=...")
    if url is not None and not is_url(url):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    return file, url


def describe(file: Any) -> str:
    if isinstance(file, str | os.PathLike):
        return str(file)
    name = getattr(file, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(file, bytes | bytearray | memoryview):
        return f"<{len(file)} bytes>"
    return f"<{type(file).__name__}>"
