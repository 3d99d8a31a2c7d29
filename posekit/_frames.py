"""Random access to video frames for the Player and the overlay export: seeking plus a small
LRU cache, so that scrubbing a 1080p video back and forth stays interactive.

Sequential reads (``frame(i)`` after ``frame(i - 1)``) continue the open decoder; a jump
backwards or far forwards seeks to the nearest earlier keyframe and decodes up to the frame.
Frames can be scaled by the decoder (swscale) while being converted to RGB, which is much
cheaper than scaling afterwards.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

__all__ = ["FrameSource", "open_video"]

# A forward jump of at most this many frames is decoded through instead of seeking.
_MAX_DECODE_AHEAD = 48


def _video_error(path: os.PathLike[str] | str, exc: BaseException) -> ValueError:
    return ValueError(f"cannot read video {str(path)!r}: {exc}")


class FrameSource:
    """Frames of a video file by number, as ``(height, width, 3)`` uint8 RGB arrays.

    Parameters
    ----------
    path
        A video file PyAV (FFmpeg) can read.
    cache_size
        How many decoded frames to keep (least recently used are dropped).

    Attributes
    ----------
    fps, width, height, n_frames
        From the container (``n_frames`` from its header, else duration × fps).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not a readable video.
    """

    def __init__(self, path: str | os.PathLike[str], *, cache_size: int = 32) -> None:
        import av

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video not found: {str(path)!r}")
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise _video_error(path, exc) from None
        if not self._container.streams.video:
            self._container.close()
            raise ValueError(f"cannot read video {str(path)!r}: it has no video stream")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            self._container.close()
            raise ValueError(f"cannot read video {str(path)!r}: unknown frame rate")
        self._rate = Fraction(rate)
        self.fps = float(self._rate)
        self.width = int(stream.codec_context.width)
        self.height = int(stream.codec_context.height)
        self._time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        self._start = int(stream.start_time or 0)
        n = int(stream.frames or 0)
        if n <= 0:
            if stream.duration:
                n = round(float(stream.duration * self._time_base) * self.fps)
            elif self._container.duration:
                n = round(self._container.duration / 1e6 * self.fps)
        self.n_frames = n
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[tuple[int, int | None, int | None], np.ndarray] = OrderedDict()
        self._decoder: Iterator | None = None
        self._next = 0  # index of the frame the open decoder yields next
        self._lock = threading.Lock()

    # -- public ----------------------------------------------------------------------------
    def frame(
        self, index: int, *, width: int | None = None, height: int | None = None
    ) -> np.ndarray:
        """Frame ``index`` (0-based) as RGB, optionally scaled to ``width`` × ``height``.

        The returned array is shared with the cache: copy it before drawing on it.
        """
        index = int(index)
        if index < 0 or (self.n_frames and index >= self.n_frames):
            raise IndexError(
                f"frame {index} is outside the video {self.path.name!r} "
                f"({self.n_frames} frames, 0..{self.n_frames - 1})"
            )
        key = (index, width, height)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            av_frame = self._decode(index)
            arr = self._to_rgb(av_frame, width, height)
            self._cache[key] = arr
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return arr

    def frames(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        width: int | None = None,
        height: int | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Decode frames ``start..stop-1`` in order (no caching), yielding ``(index, rgb)``."""
        stop = self.n_frames if stop is None else stop
        with self._lock:
            i = start
            while i < stop:
                try:
                    fr = self._decode(i)
                except IndexError:
                    return
                yield i, self._to_rgb(fr, width, height)
                i += 1

    def close(self) -> None:
        self._decoder = None
        self._cache.clear()
        self._container.close()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"FrameSource({self.path.name!r}, {self.width}x{self.height}, {self.fps:.3g} fps, "
            f"{self.n_frames} frames)"
        )

    # -- decoding --------------------------------------------------------------------------
    def _index_of(self, frame) -> int:
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is None:
            return -1
        return round(float((pts - self._start) * self._time_base * self._rate))

    def _pts_of(self, index: int) -> int:
        return self._start + int(Fraction(index) / self._rate / self._time_base)

    def _seek(self, index: int) -> None:
        self._container.seek(self._pts_of(index), stream=self._stream, backward=True)
        self._decoder = self._container.decode(self._stream)
        self._next = -1  # unknown until a frame is decoded

    def _decode(self, index: int):
        if self._decoder is None or not (
            self._next == index or (0 <= self._next < index <= self._next + _MAX_DECODE_AHEAD)
        ):
            self._seek(index)
        back = 0
        while True:
            for fr in self._decoder:  # type: ignore[union-attr]
                got = self._index_of(fr)
                if got < 0:  # no timestamps: count frames from the start instead
                    got = self._next if self._next >= 0 else 0
                self._next = got + 1
                if got >= index:
                    if got > index and back < 3 and index > 0:
                        break  # seek landed after the frame: seek further back
                    return fr
            else:
                self._decoder = None
                raise IndexError(f"frame {index} is past the end of {self.path.name!r}")
            back += 1
            target = max(0, index - back * int(self.fps + 1) * 2)
            self._seek(target)

    @staticmethod
    def _to_rgb(frame, width: int | None, height: int | None) -> np.ndarray:
        if width is None and height is None:
            return frame.to_ndarray(format="rgb24")
        w = width or round(frame.width * height / frame.height)
        h = height or round(frame.height * width / frame.width)
        return frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="BILINEAR")


def open_video(video: str | os.PathLike[str] | FrameSource, **kwargs) -> FrameSource:
    """A :class:`FrameSource` for a path (or the given one unchanged)."""
    if isinstance(video, FrameSource):
        return video
    return FrameSource(video, **kwargs)
