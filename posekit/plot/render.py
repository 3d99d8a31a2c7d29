"""Overlay export: the skeletons of a table drawn over its video, encoded with PyAV.

Without a video, over a blank canvas.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from posekit._progress import progress_bar
from posekit._renamed import renamed
from posekit.plot._overlay import Overlay
from posekit.plot._raster import blank

__all__ = ["render_video"]


def _pick_codec(codec: str) -> str:
    import av

    if codec != "auto":
        if codec not in av.codecs_available:
            raise ValueError(f"render_video: codec {codec!r} is not available in this FFmpeg build")
        return codec
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def _even(n: float) -> int:
    return max(2, round(n) // 2 * 2)


def _check_video(ov: Overlay, src: Any, fps: float, on_mismatch: str) -> tuple[float, float, int]:
    """Table against video: (x scale, y scale, frames to render). Warns or raises on mismatch."""

    def complain(msg: str) -> None:
        if on_mismatch == "error":
            raise ValueError(f"render_video: {msg}")
        warnings.warn(f"render_video: {msg}", stacklevel=3)

    sx = sy = 1.0
    w, h = ov.attrs.get("width"), ov.attrs.get("height")
    if w and h and (int(w), int(h)) != (src.width, src.height):
        if abs(w / h - src.width / src.height) > 0.01:
            raise ValueError(
                f"render_video: the table is for {w}x{h} frames but the video is "
                f"{src.width}x{src.height} (another aspect ratio): wrong video?"
            )
        sx, sy = src.width / w, src.height / h
        complain(
            f"the table is for {w}x{h} frames, the video is {src.width}x{src.height}; scaling the points by {sx:.3g}"
        )
    if abs(src.fps - fps) > 0.01 * fps:
        complain(
            f"the table says {fps:g} fps, the video {src.fps:g} fps; frames are matched by number"
        )
    n = src.n_frames
    if ov.n_frames > n:
        extra = int(np.sum(ov.frames >= n))
        complain(
            f"the table has frames up to {ov.n_frames - 1} but the video only {n} frames "
            f"(0..{n - 1}); the last {extra} table frame(s) are left out"
        )
    return sx, sy, n


@renamed(people="object_ids")
def render_video(
    table: Any,
    video: str | os.PathLike[str] | None,
    out_path: str | os.PathLike[str],
    *,
    progress: bool | None = None,
    fps: float | None = None,
    codec: Literal["auto", "libx264", "h264", "mpeg4"] | str = "auto",
    width: int | None = None,
    start: int = 0,
    stop: int | None = None,
    object_ids: int | Sequence[int] | None = None,
    skeleton: Sequence[Sequence[int]] | None = None,
    min_score: float = 0.2,
    crf: int = 23,
    on_mismatch: Literal["warn", "error"] = "warn",
    labels: bool = True,
    stamp: bool = True,
    trail: int = 0,
    trail_joints: Sequence[str] = ("left_ankle", "right_ankle"),
) -> Path:
    """Write a video of the table's skeletons drawn over ``video`` (or a blank canvas).

    Parameters
    ----------
    table
        Keypoints table (a PoseResult is deprecated: pass its ``keypoints()``). Frame numbers are matched to the video's frames.
    video
        The video the table was made from; None draws on a dark canvas the size of
        ``attrs["width"]`` × ``attrs["height"]`` (or of the data).
    out_path
        Output file (``.mp4``); written atomically (a temporary file renamed at the end).
    progress
        Show a tqdm progress bar; None (default): only in a terminal or notebook.
    fps
        Frame rate; default ``table.attrs["fps"]``. A table without fps is an error without a
        video, and takes the video's rate (with a warning) with one.
    codec
        ``"auto"`` picks H.264 (libx264) when FFmpeg has it, else MPEG-4 part 2.
    width
        Output width in pixels (height follows the aspect ratio); default the video's.
    start, stop
        Frame range to render (``stop`` exclusive; default to the end of the video / table).
    object_ids
        The people to draw, one object_id or several (default all; ``people=`` is the old
        name, deprecated).
    skeleton
        1-based joint pairs to draw as bones; default the result's, ``attrs["skeleton"]`` or
        Kakao's.
    min_score
        Joints with a lower score (and bones touching them) are faded; score 0 (the API's
        "not detected") is not drawn.
    crf
        H.264 quality (constant rate factor, 0–51, lower is better and larger); MPEG-4 ignores
        it.
    on_mismatch
        A video whose size, frame rate or length disagrees with the table: ``"warn"`` (scale the
        points to the video's size when only the resolution differs; leave out table frames past
        the video's end) or ``"error"``. Another aspect ratio is always an error. A video that
        ends before the frame count in its header says also warns (or raises) after writing
        what it holds.
    labels
        Write each person's id above their head.
    stamp
        Write the frame number and time in the top-left corner.
    trail, trail_joints
        Draw the path of ``trail_joints`` over the last ``trail`` frames (0: none).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    ValueError
        Unknown fps, unreadable video (:class:`posekit.video.VideoError`), mismatched video
        with ``on_mismatch="error"``, empty frame range.

    Examples
    --------
    Half a second of a squat on a blank 320 × 240 canvas:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> from posekit.video import VideoReader
    >>> kp = pk.synth.generate("squat", duration_s=0.5, fps=30, width=320, height=240).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.plot.render_video(kp, None, Path(tmp) / "squat.mp4", progress=False)
    ...     with VideoReader(path) as clip:
    ...         clip.width, clip.height, clip.fps, clip.n_frames
    (320, 240, 30.0, 15)
    """
    ov = Overlay(table, skeleton=skeleton, min_score=min_score)
    table_fps = fps if fps is not None else ov.attrs.get("fps")
    src = None
    if video is not None:
        from posekit._frames import FrameSource

        src = FrameSource(video, cache_size=1)
    try:
        table_fps = _table_fps(table_fps, src)
        if src is not None:
            sx, sy, n_total = _check_video(ov, src, table_fps, on_mismatch)
            in_w, in_h = float(src.width), float(src.height)
        else:
            sx = sy = 1.0
            in_w, in_h = ov.extent()
            n_total = ov.n_frames
        stop = n_total if stop is None else min(int(stop), n_total)
        if not 0 <= start < stop:
            raise ValueError(
                f"render_video: empty frame range {start}..{stop} (video/table has {n_total} frames)"
            )
        out_w = _even(width if width else in_w)
        out_h = _even(in_h * out_w / in_w)
        scale = (sx * out_w / in_w, sy * out_h / in_h)
        people_mask = None
        if object_ids is not None:
            ids = [object_ids] if isinstance(object_ids, int | np.integer) else list(object_ids)
            people_mask = np.isin(ov.object_ids, np.asarray(ids))
        name = _pick_codec(codec)
        out_path, tmp = _output_paths(out_path)

        def draw(img: np.ndarray, i: int) -> None:
            if trail > 0:
                ov.draw_trail(img, i, trail, trail_joints, scale=scale, people=people_mask)
            ov.draw(img, i, scale=scale, people=people_mask, labels=labels)
            if stamp:
                ov.stamp(img, i, table_fps)

        frames = (
            src.frames(start, stop, width=out_w, height=out_h)
            if src is not None
            else ((i, None) for i in range(start, stop))
        )
        # the video's own rate keeps its timing (frames are matched by number)
        rate = _rate(src.fps if src is not None else table_fps)
        options = (name, rate, out_w, out_h, crf)
        done, interrupted = _encode(tmp, options, frames, draw, stop - start, progress)
        if done == 0:
            tmp.unlink(missing_ok=True)
            raise ValueError(f"render_video: no frame could be decoded from {video}")
        if not tmp.is_file():  # FFmpeg logs write errors instead of raising them
            raise OSError(f"render_video: could not write {out_path} (is the disk full?)")
        os.replace(tmp, out_path)
        if not interrupted and done < stop - start:
            msg = (
                f"the video's header says {n_total} frames but it ended after "
                f"{start + done} (frames {start}..{start + done - 1} written, "
                f"{stop - start - done} asked for were not there)"
            )
            if on_mismatch == "error":
                raise ValueError(f"render_video: {msg}; {out_path} holds what it had")
            warnings.warn(f"render_video: {msg}", stacklevel=2)
        if interrupted:
            warnings.warn(
                f"render_video: interrupted after {done} frames; {out_path} holds them",
                stacklevel=2,
            )
            raise KeyboardInterrupt
    finally:
        if src is not None:
            src.close()
    return out_path


def _table_fps(fps: float | None, src: Any) -> float:
    """The frame rate to draw with: the table's (or the caller's), else the video's.

    Taking the video's warns (pointing at render_video's caller).
    """
    if fps is None:
        if src is None:
            raise ValueError(
                "render_video: fps is unknown: pass fps=... or set table.attrs['fps'] "
                "(image results and OpenPose imports carry no frame rate)"
            )
        warnings.warn(
            f"render_video: the table has no fps; using the video's {src.fps:g} fps",
            stacklevel=3,
        )
        fps = src.fps
    fps = float(fps)
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"render_video: fps must be a positive number, got {fps}")
    return fps


def _output_paths(out_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The output file (its folder made) and a temporary name of this run's own beside it."""
    out_path = Path(out_path)
    if out_path.is_dir():
        raise ValueError(f"render_video: {out_path} is a folder; give a file name (.mp4)")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # a temporary name of this run's own: two runs to the same output never share it
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    tmp = out_path.with_name(f".{out_path.stem}.{tag}.partial{out_path.suffix or '.mp4'}")
    return out_path, tmp


def _encode(
    tmp: Path,
    options: tuple[str, Any, int, int, int],
    frames: Iterator[tuple[int, np.ndarray | None]],
    draw: Callable[[np.ndarray, int], None],
    total: int,
    progress: bool | None,
) -> tuple[int, bool]:
    """Draw and encode ``frames`` into ``tmp``: (frames written, interrupted by Ctrl-C).

    ``options`` are the codec's name, the frame rate, the size and the CRF. A Ctrl-C keeps
    what was finished (a playable, shorter video); any other error removes ``tmp``.
    """
    import av

    name, rate, out_w, out_h, crf = options
    done = 0
    interrupted = failed = False
    try:  # a full or read-only disk, a bad frame: leave no partial file behind
        with av.open(str(tmp), "w") as out:
            stream = out.add_stream(name, rate=rate)
            stream.width, stream.height, stream.pix_fmt = out_w, out_h, "yuv420p"
            stream.thread_type = "AUTO"
            if name in ("libx264", "h264"):
                stream.options = {"preset": "veryfast", "crf": str(int(crf))}
            else:
                stream.bit_rate = int(out_w * out_h * float(rate) * 0.15)
            canvas = blank(out_w, out_h)
            bar = progress_bar(progress, total=total, unit="frame", desc="render")
            try:
                for i, rgb in frames:
                    # frames() hands out fresh arrays (not cached): draw on them directly
                    img = canvas.copy() if rgb is None else np.ascontiguousarray(rgb)
                    draw(img, i)
                    frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                    for packet in stream.encode(frame):
                        out.mux(packet)
                    done += 1
                    bar.update()
            except KeyboardInterrupt:  # keep what was finished: a playable, shorter video
                interrupted = True
            except BaseException:
                failed = True
                raise
            finally:
                bar.close()
                if not failed:
                    for packet in stream.encode():
                        out.mux(packet)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return done, interrupted


def _rate(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)
