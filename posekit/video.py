"""Frame access for videos (PyAV): metadata, streaming iteration and single-frame reads.

>>> from posekit.video import VideoReader
>>> with VideoReader("clip.mp4") as video:                      # doctest: +SKIP
...     print(video.fps, video.n_frames, video.width, video.height)
...     for index, rgb in video:                                # (H, W, 3) uint8, one at a time
...         ...

Frames stream through: iterating holds one decoded frame at a time, so memory does not grow
with the length of the video.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from posekit.errors import VideoError, VideoTruncatedError

__all__ = ["IMAGE_SUFFIXES", "VideoError", "VideoReader", "VideoTruncatedError", "is_still_image"]

#: File name suffixes posekit treats as still images (not videos).
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".heic", ".heif", ".tif", ".tiff"}
)
# FFmpeg demuxers that read still images (image2 for numbered files, *_pipe for single images)
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")


def is_still_image(path: str | os.PathLike[str]) -> bool:
    r"""True when ``path`` looks like a still image (by suffix or by its first bytes).

    Parameters
    ----------
    path
        A file name. Its suffix decides when it is one of :data:`IMAGE_SUFFIXES`; otherwise
        the file's first bytes are compared with the PNG, JPEG, GIF, BMP and WebP signatures
        (a file that cannot be opened is not an image).

    Returns
    -------
    bool

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from posekit.video import is_still_image
    >>> is_still_image("photo.JPG"), is_still_image("clip.mp4")
    (True, False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     unnamed = Path(folder, "upload.bin")
    ...     _ = unnamed.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(8))
    ...     is_still_image(unnamed)
    True
    """
    path = Path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


class VideoReader:
    """Read a video file with PyAV.

    Parameters
    ----------
    path
        The video file (anything FFmpeg reads: mp4, mov, webm, mkv, avi...).
    threads
        Let FFmpeg decode with several threads (faster; off keeps the cores for other work).

    Attributes
    ----------
    fps : float
        Frames per second (the stream's average rate).
    n_frames : int
        Frames announced by the container (estimated from the duration when it says none).
    width, height : int
        Frame size in pixels.

    Raises
    ------
    FileNotFoundError
        No such file.
    VideoError
        The file is empty, not a video, a still image, or holds no video stream.

    Examples
    --------
    A ten-frame clip written with PyAV (64×48 pixels, 25 fps, frame ``i`` grey level ``20 i``;
    the lossy codec moves the levels a little, hence the rounding):

    >>> import tempfile
    >>> import av
    >>> import numpy as np
    >>> from posekit.video import VideoReader
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = f"{folder.name}/grey.mp4"
    >>> with av.open(path, "w") as out:
    ...     stream = out.add_stream("mpeg4", rate=25)
    ...     stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    ...     for i in range(10):
    ...         rgb = np.full((48, 64, 3), 20 * i, np.uint8)
    ...         out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
    ...     out.mux(stream.encode())
    >>> with VideoReader(path) as video:
    ...     print(video.fps, video.n_frames, video.width, video.height, video.duration)
    ...     print([(index, round(rgb.mean() / 20)) for index, rgb in video])
    25.0 10 64 48 0.4
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9)]
    >>> folder.cleanup()
    """

    def __init__(self, path: str | os.PathLike[str], *, threads: bool = True) -> None:
        import av

        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no such video file: {self.path}")
        if self.path.is_dir():
            raise VideoError(f"{self.path} is a folder, not a video file")
        if self.path.stat().st_size == 0:
            raise VideoError(f"{self.path} is empty (0 bytes): not a video")
        if is_still_image(self.path):
            raise VideoError(
                f"{self.path} is a still image, not a video; "
                "use posekit.estimate.estimate_image for images"
            )
        try:
            self._container: Any = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise VideoError(f"{self.path} cannot be read as a video: {exc}") from None
        try:
            fmt = self._container.format.name
            if any(name in fmt.split(",") for name in _IMAGE_FORMATS):
                raise VideoError(
                    f"{self.path} is a still image ({fmt}), not a video; "
                    "use posekit.estimate.estimate_image for images"
                )
            if not self._container.streams.video:
                raise VideoError(f"{self.path} holds no video stream (format {fmt})")
            stream = self._container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate or float(rate) <= 0:
                raise VideoError(f"{self.path}: the video stream has no frame rate")
            self._rate = Fraction(rate)
            self.fps = float(rate)
            self.width = int(stream.codec_context.width)
            self.height = int(stream.codec_context.height)
            if self.width <= 0 or self.height <= 0:
                raise VideoError(f"{self.path}: the video stream has no frame size")
            self.codec = stream.codec_context.name
            self.n_frames = int(stream.frames)
            self._frames_known = self.n_frames > 0
            if not self._frames_known:
                duration = (
                    float(stream.duration * Fraction(stream.time_base or 0))
                    if stream.duration and stream.time_base
                    else (self._container.duration or 0) / 1e6
                )
                self.n_frames = round(duration * self.fps)
            stream.thread_type = "AUTO" if threads else "SLICE"
            self._stream = stream
            self._time_base = Fraction(stream.time_base or Fraction(1, 90000))
            self._start = float(stream.start_time * self._time_base) if stream.start_time else 0.0
        except BaseException:
            self._container.close()
            raise
        self._pos = -1  # index of the last frame decoded by read(), for sequential reads
        self._decoder: Iterator[Any] | None = None

    # -- context management --------------------------------------------------------------------
    def close(self) -> None:
        """Release the file."""
        self._decoder = None
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        return (
            f"VideoReader({str(self.path)!r}, {self.width}x{self.height}, "
            f"{self.fps:.4g} fps, {self.n_frames} frames, {self.codec})"
        )

    @property
    def duration(self) -> float:
        """Length in seconds (``n_frames / fps``)."""
        return self.n_frames / self.fps

    # -- decoding -------------------------------------------------------------------------------
    def _index_of(self, frame: Any, fallback: int) -> int:
        if frame.pts is None:
            return fallback
        t = float(frame.pts * frame.time_base) - self._start
        return round(t * self.fps)

    def _frames(self) -> Iterator[tuple[int, Any]]:
        """Decode from the current container position; yields (index, av.VideoFrame)."""
        import av

        count = 0
        last = -1
        try:
            for frame in self._container.decode(self._stream):
                index = self._index_of(frame, last + 1)
                if index <= last:  # duplicate timestamps: keep indices strictly increasing
                    index = last + 1
                last = index
                count += 1
                yield index, frame
        except av.error.FFmpegError as exc:
            raise VideoTruncatedError(
                f"{self.path}: decoding failed after frame {last} "
                f"({count} frames read): {exc}; the file is damaged or cut short",
                frames_read=count,
            ) from None

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame_index, rgb)`` for every frame from the start, ``rgb`` (H, W, 3) uint8.

        Raises
        ------
        VideoTruncatedError
            Decoding failed, or the stream ended well before the announced frame count.
        """
        for index, frame in self._all_frames():
            yield index, frame.to_ndarray(format="rgb24")

    def images(self) -> Iterator[tuple[int, Any]]:
        """Like iteration, but yield ``(frame_index, PIL.Image.Image)`` RGB images.

        One conversion less when the consumer works with Pillow.
        """
        for index, frame in self._all_frames():
            yield index, frame.to_image()

    def _all_frames(self) -> Iterator[tuple[int, Any]]:
        self._decoder = None
        self._container.seek(0)
        last = -1
        count = 0
        for index, frame in self._frames():
            last = index
            count += 1
            yield index, frame
        # Containers that state a frame count (mp4, mov) are exact; a short stream is a cut file.
        if self._frames_known and last + 1 < self.n_frames:
            raise VideoTruncatedError(
                f"{self.path}: the video ends after frame {last} but announces "
                f"{self.n_frames} frames; the file is damaged or cut short",
                frames_read=count,
            )

    def read(self, index: int) -> np.ndarray:
        """The frame at ``index`` (0-based) as an (H, W, 3) uint8 RGB array.

        Reading frames in increasing order is fast (no seek); any other order seeks to the
        keyframe before ``index`` and decodes forward.

        Parameters
        ----------
        index
            The frame's index; a negative index counts from the end, as in a list.

        Returns
        -------
        numpy.ndarray
            The frame, shape (height, width, 3), dtype uint8.

        Raises
        ------
        IndexError
            ``index`` outside ``0 .. n_frames - 1``.

        Examples
        --------
        >>> import tempfile
        >>> import av
        >>> import numpy as np
        >>> from posekit.video import VideoReader
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = f"{folder.name}/grey.mp4"
        >>> with av.open(path, "w") as out:  # frame i has grey level 20 i
        ...     stream = out.add_stream("mpeg4", rate=25)
        ...     stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        ...     for i in range(10):
        ...         rgb = np.full((48, 64, 3), 20 * i, np.uint8)
        ...         out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        ...     out.mux(stream.encode())
        >>> with VideoReader(path) as video:  # the grey level tells which frame came back
        ...     frame = video.read(7)
        ...     print(frame.shape, frame.dtype, round(frame.mean() / 20), round(video.read(-1).mean() / 20))
        (48, 64, 3) uint8 7 9
        >>> folder.cleanup()
        """
        index = int(index)
        if index < 0:
            index += self.n_frames
        if not 0 <= index < max(self.n_frames, 1):
            raise IndexError(f"frame {index} is outside the video (0..{self.n_frames - 1})")
        if self._decoder is None or index <= self._pos:
            self._seek(index)
        assert self._decoder is not None
        for i, frame in self._decoder:
            self._pos = i
            if i >= index:
                return frame.to_ndarray(format="rgb24")
        self._decoder = None
        raise IndexError(
            f"frame {index} could not be decoded from {self.path} "
            f"(the stream ends at frame {self._pos})"
        )

    def _seek(self, index: int) -> None:
        stream = self._stream
        target = self._start + index / self.fps
        # seek a little earlier than the frame's time so rounding never lands after it
        pts = int((target - 0.5 / self.fps) / self._time_base)
        self._container.seek(max(pts, 0), stream=stream, backward=True, any_frame=False)
        self._decoder = self._frames()
        self._pos = -1
