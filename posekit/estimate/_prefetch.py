"""Decode the next frames in a background thread while the models work on the current one.

FFmpeg decodes (and Pillow resizes) without holding the GIL, and so does the TFLite runtime
while it runs a model, so decoding and the detector's input preparation overlap inference; a
queue of two frames keeps memory constant however long the video.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from posekit.estimate import _landmarks
from posekit.estimate._landmarks import Frame
from posekit.video import VideoReader

__all__ = ["prefetch_images"]

_DONE = object()


def prefetch_images(
    reader: VideoReader,
    *,
    depth: int = 2,
    max_frames: int | None = None,
    prepare: Callable[[int, Frame], None] | None = None,
) -> Iterator[tuple[int, Frame]]:
    """Yield ``(index, Frame)`` from ``reader``, decoded ``depth`` frames ahead.

    ``prepare(count, frame)``, when given, runs in the decoding thread on each frame before it
    is queued (``count`` = 0, 1, 2... in the order frames are yielded), e.g.
    :meth:`posekit.estimate._pipeline.PosePipeline.prepare`.

    Errors of the decoder (e.g. :class:`posekit.video.VideoTruncatedError`) are raised here,
    after the frames decoded before them. Closing the generator (break, Ctrl-C) stops the
    thread.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            count = 0
            frames = (
                ((i, Frame(array=a)) for i, a in reader)
                if _landmarks._cv2 is not None  # crops read arrays; PIL made only for detection
                else ((i, Frame(image=im)) for i, im in reader.images())
            )
            for index, frame in frames:
                if max_frames is not None and count >= max_frames:
                    break
                if prepare is not None:
                    prepare(count, frame)
                if not put((index, frame)):
                    return
                count += 1
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        put(_DONE)

    thread = threading.Thread(target=work, name="posekit-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
