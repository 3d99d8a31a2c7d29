"""Random access to video frames for the Player and the overlay export.

Seeking plus a small LRU cache, so that scrubbing a 1080p video back and forth stays interactive.

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

import numpy as np

from posekit.video import VideoReader

__all__ = ["FrameSource", "open_video"]

# A forward jump of at most this many frames is decoded through instead of seeking.
_MAX_DECODE_AHEAD = 48


class FrameSource(VideoReader):
    """A :class:`~posekit.video.VideoReader` with random access for the Player and overlays.

    ``frame(i)`` returns frame ``i`` as a ``(height, width, 3)`` uint8 RGB array, optionally
    scaled by the decoder, through a small LRU cache.

    Parameters
    ----------
    path
        A video file PyAV (FFmpeg) can read.
    cache_size
        How many decoded frames to keep (least recently used are dropped).
    threads
        Let FFmpeg decode with several threads.

    Raises
    ------
    FileNotFoundError
        No such file.
    posekit.video.VideoError
        The file is not a readable video (a ``ValueError``).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, cache_size: int = 32, threads: bool = True
    ) -> None:
        super().__init__(path, threads=threads)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[tuple[int, int | None, int | None], np.ndarray] = OrderedDict()
        self._lock = threading.RLock()

    def frame(
        self, index: int, *, width: int | None = None, height: int | None = None
    ) -> np.ndarray:
        """Frame ``index`` (0-based) as RGB, optionally scaled to ``width`` × ``height``.

        The array is shared with the cache: copy it before drawing on it.

        Raises
        ------
        IndexError
            ``index`` outside the video.
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
            arr = _to_rgb(self._decode(index), width, height)
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
        """Decode frames ``start .. stop - 1`` in order (not cached), yielding ``(index, rgb)``.

        Stops early, without error, where the stream ends.
        """
        stop = self.n_frames if stop is None else stop
        with self._lock:
            for i in range(int(start), int(stop)):
                try:
                    fr = self._decode(i)
                except IndexError:
                    return
                yield i, _to_rgb(fr, width, height)

    def close(self) -> None:
        self._cache.clear()
        super().close()

    def __repr__(self) -> str:
        return "FrameSource" + super().__repr__()[len("VideoReader") :]

    def _decode(self, index: int):
        """The av.VideoFrame at ``index``: continue decoding for short forward steps, else seek."""
        if self._decoder is None or not (self._pos < index <= self._pos + _MAX_DECODE_AHEAD):
            self._seek(index)
        assert self._decoder is not None
        for i, fr in self._decoder:
            self._pos = i
            if i >= index:
                return fr
        self._decoder = None
        raise IndexError(
            f"frame {index} could not be decoded from {self.path.name!r} "
            f"(the stream ends at frame {self._pos})"
        )


def _to_rgb(frame, width: int | None, height: int | None) -> np.ndarray:
    if width is None and height is None:
        return frame.to_ndarray(format="rgb24")
    w = width or round(frame.width * height / frame.height)
    h = height or round(frame.height * width / frame.width)
    return frame.to_ndarray(format="rgb24", width=int(w), height=int(h), interpolation="BILINEAR")


def open_video(video: str | os.PathLike[str] | FrameSource, **kwargs) -> FrameSource:
    """A :class:`FrameSource` for a path (or the given one unchanged)."""
    if isinstance(video, FrameSource):
        return video
    return FrameSource(video, **kwargs)
