"""Fast, deterministic stand-ins for the estimator, for tests, demos and benchmarks.

Point the server at one with ``POSEKIT_SERVER_ESTIMATOR=posekit.server.testing:fake_estimator``
(or ``ServerConfig(estimator=...)``). They read the real input's metadata (a video's frame rate,
frame count and size; an image's size) and refuse what is not a video or an image, as the real
estimator would, but make the poses up instead of looking for them:

* :class:`SynthEstimator` (``fake_estimator``): a person squatting, from :mod:`posekit.synth`,
  seeded by the file's bytes — the same file always gives the same result.
* :class:`FixedEstimator` (``fixed_estimator``): one motionless person in every frame.

``POSEKIT_SERVER_FAKE_DELAY_S`` (seconds per job, default 0) makes them take their time, to
test what happens while a job runs.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from posekit.result import PoseResult
from posekit.schema import (
    Annotation,
    Person,
    default_info,
    kakao_bbox,
    video_job,
)

__all__ = [
    "DripServer",
    "FixedEstimator",
    "SynthEstimator",
    "fake_estimator",
    "fixed_estimator",
    "image_size",
    "make_clip",
]


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` of a PNG, JPEG, GIF or WebP file, read from its header.

    Only the first 64 KiB are read; nothing is decoded.

    Parameters
    ----------
    path
        The image file.

    Returns
    -------
    tuple of int
        Width and height in pixels.

    Raises
    ------
    ValueError
        Not one of those formats, or a damaged header.

    Examples
    --------
    >>> from posekit.server.testing import image_size
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> Image.new("RGB", (640, 480)).save(f"{folder.name}/photo.png")
    >>> Image.new("RGB", (320, 200)).save(f"{folder.name}/small.jpg")
    >>> image_size(f"{folder.name}/photo.png"), image_size(f"{folder.name}/small.jpg")
    ((640, 480), (320, 200))
    >>> folder.cleanup()
    """
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return int(w), int(h)
        if head[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", head[6:10])
            return int(w), int(h)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            chunk = head[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(head[24:27], "little") + 1
                h = int.from_bytes(head[27:30], "little") + 1
                return w, h
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", head[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                b = int.from_bytes(head[21:25], "little")
                return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
        if head[:3] == b"\xff\xd8\xff":
            i = 2
            while i + 9 < len(head):
                if head[i] != 0xFF:
                    i += 1
                    continue
                marker = head[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                size = struct.unpack(">H", head[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", head[i + 5 : i + 9])
                    return int(w), int(h)
                i += 2 + size
    except struct.error:
        pass
    raise ValueError("not a JPEG, PNG, GIF or WebP image (or its header is damaged)")


def _video_meta(path: Any) -> tuple[float, int, int, int]:
    from posekit.video import VideoReader

    with VideoReader(path, threads=False) as v:
        return v.fps, max(1, v.n_frames), v.width, v.height


def _seed(path: Any) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _delay() -> None:
    delay = float(os.environ.get("POSEKIT_SERVER_FAKE_DELAY_S", "0") or 0)
    if delay > 0:
        time.sleep(delay)


def _standing(width: int, height: int) -> list[float]:
    """A standing person, centred, 80 % of the image height: 51 values (x, y, score)."""
    # (x offset, y) as fractions of the person's height, COCO order
    shape = [
        (0.0, 0.06), (0.02, 0.04), (-0.02, 0.04), (0.05, 0.05), (-0.05, 0.05),
        (0.12, 0.2), (-0.12, 0.2), (0.15, 0.36), (-0.15, 0.36), (0.16, 0.5), (-0.16, 0.5),
        (0.08, 0.52), (-0.08, 0.52), (0.08, 0.74), (-0.08, 0.74), (0.08, 0.96), (-0.08, 0.96),
    ]  # fmt: skip
    size = 0.8 * height
    top = 0.1 * height
    out: list[float] = []
    for dx, y in shape:
        out += [round(width / 2 + dx * size, 2), round(top + y * size, 2), 0.9]
    return out


def _person(keypoints: list[float], object_id: int | None = None) -> Person:
    bbox, area = kakao_bbox(np.reshape(keypoints, (17, 3))[:, :2])
    return Person(
        area=round(float(area), 4),
        bbox=[round(float(v), 4) for v in bbox],
        category_id=1,
        keypoints=keypoints,
        score=0.9,
        object_id=msgspec.UNSET if object_id is None else object_id,
    )


class FixedEstimator:
    """One motionless standing person in every frame (and in every image).

    The person is centred, 80 % of the image's height, every keypoint scored 0.9.

    Examples
    --------
    ``fixed_estimator`` is one; a server uses it with
    ``ServerConfig(estimator="posekit.server.testing:fixed_estimator")``.

    >>> import posekit as pk
    >>> from posekit.server.testing import FixedEstimator
    >>> res = FixedEstimator().estimate_video(pk.media.fetch_demo_video("pose2sim_s01_cam01"))
    >>> kp = res.keypoints()
    >>> float(kp.groupby(level="joint", observed=True)["x"].std().max())  # nobody moves
    0.0
    >>> float(kp["score"].min()), len(kp) == 100 * 17
    (0.9, True)
    """

    def estimate_image(self, image: Any, /) -> PoseResult:
        """One standing person in the middle of the image.

        Parameters
        ----------
        image
            The path of a PNG, JPEG, GIF or WebP file (only its header is read).

        Returns
        -------
        PoseResult
            An image result with one person; ``extra`` holds the image's width and height.

        Raises
        ------
        ValueError
            Not such an image.

        Examples
        --------
        >>> from posekit.server.testing import fixed_estimator
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = tempfile.TemporaryDirectory()
        >>> Image.new("RGB", (640, 480)).save(f"{folder.name}/photo.png")
        >>> res = fixed_estimator.estimate_image(f"{folder.name}/photo.png")
        >>> nose = res.keypoints().loc[(0, 0, "nose")]
        >>> float(nose.x), res.extra["width"]  # the middle of the 640 px width
        (320.0, 640)
        >>> folder.cleanup()
        """
        w, h = image_size(image)
        _delay()
        res = PoseResult.from_image([_person(_standing(w, h))], source=str(image))
        return res.replace(extra={"width": w, "height": h})

    def estimate_video(
        self, path: Any, /, *, smoothing: bool = True, progress: bool = False
    ) -> PoseResult:
        """The standing person in every frame of the video.

        Parameters
        ----------
        path
            The video file (its header gives fps, frame count and size; nothing is decoded).
        smoothing, progress
            Accepted as the real estimator does; they change nothing.

        Returns
        -------
        PoseResult
            A video result, the same person in every frame, ``object_id`` 0.

        Raises
        ------
        VideoError
            Not a video.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.server.testing import fixed_estimator
        >>> res = fixed_estimator.estimate_video(pk.media.fetch_demo_video("pose2sim_s01_cam01"))
        >>> res.n_frames, res.fps, res.keypoints().attrs["width"]
        (100, 60.0, 1080)
        """
        fps, n, w, h = _video_meta(path)
        _delay()
        kp = _standing(w, h)
        job = video_job(
            [Annotation(frame_num=i, objects=[_person(kp, 0)]) for i in range(n)],
            fps=fps,
            frames=n,
            width=w,
            height=h,
            description="Fixed pose from posekit.server.testing",
        )
        return PoseResult.from_job(job, source=str(path))


class SynthEstimator:
    """A squatting person from :func:`posekit.synth.generate`, seeded by the input's bytes.

    ``smoothing=False`` adds 1.5 px of noise to the coordinates, ``True`` gives them exact.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.server.testing import fake_estimator
    >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
    >>> exact = fake_estimator.estimate_video(video)
    >>> noisy = fake_estimator.estimate_video(video, smoothing=False)
    >>> diff = (noisy.keypoints()["x"] - exact.keypoints()["x"]).abs()
    >>> exact.n_frames, bool(0 < diff.mean() < 3)
    (100, True)
    """

    def estimate_image(self, image: Any, /) -> PoseResult:
        """One squatting person, the same for the same image bytes.

        Parameters
        ----------
        image
            The path of a PNG, JPEG, GIF or WebP file.

        Returns
        -------
        PoseResult
            An image result with one person (the first frame of a synthetic squat seeded by
            the file's bytes); ``extra`` holds the image's width and height.

        Raises
        ------
        ValueError
            Not such an image.

        Examples
        --------
        >>> from posekit.server.testing import fake_estimator
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = tempfile.TemporaryDirectory()
        >>> Image.new("RGB", (640, 480)).save(f"{folder.name}/photo.png")
        >>> first = fake_estimator.estimate_image(f"{folder.name}/photo.png")
        >>> again = fake_estimator.estimate_image(f"{folder.name}/photo.png")
        >>> len(first.people), first.keypoints().equals(again.keypoints())
        (1, True)
        >>> folder.cleanup()
        """
        w, h = image_size(image)
        from posekit import synth

        s = synth.generate("squat", duration_s=1.0, fps=1.0, width=w, height=h, seed=_seed(image))
        _delay()
        people = [
            msgspec.structs.replace(p, object_id=msgspec.UNSET)
            for p in s.result.annotations()[0].objects
        ]
        res = PoseResult.from_image(people, source=str(image))
        return res.replace(extra={"width": w, "height": h})

    def estimate_video(
        self, path: Any, /, *, smoothing: bool = True, progress: bool = False
    ) -> PoseResult:
        """A squat over the video's frames, seeded by its bytes.

        Parameters
        ----------
        path
            The video file (its header gives fps, frame count and size).
        smoothing
            False adds 1.5 px of Gaussian noise to the coordinates.
        progress
            Accepted as the real estimator does; it changes nothing.

        Returns
        -------
        PoseResult
            A video result of :func:`posekit.synth.generate` ``("squat")`` at the video's
            frame rate, length and size.

        Raises
        ------
        VideoError
            Not a video.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.server.testing import fake_estimator
        >>> res = fake_estimator.estimate_video(pk.media.fetch_demo_video("pose2sim_s01_cam01"))
        >>> res.n_frames, res.fps, res.keypoints().attrs["height"]
        (100, 60.0, 1920)
        """
        fps, n, w, h = _video_meta(path)
        from posekit import synth

        s = synth.generate(
            "squat",
            duration_s=n / fps,
            fps=fps,
            width=w,
            height=h,
            noise_px=0.0 if smoothing else 1.5,
            seed=_seed(path),
        )
        _delay()
        assert s.result.job is not None
        job = msgspec.structs.replace(
            s.result.job, info=default_info("Synthetic pose from posekit.server.testing")
        )
        return PoseResult.from_job(job, source=str(path))


fake_estimator = SynthEstimator()
fixed_estimator = FixedEstimator()


def make_clip(
    path: Path, n_frames: int = 12, width: int = 96, height: int = 64, fps: int = 10, seed: int = 0
) -> Path:
    """A tiny MPEG-4 clip of random pixels, whose bytes depend on ``seed``.

    For tests of uploads and jobs where the picture does not matter.

    Parameters
    ----------
    path
        The ``.mp4`` file to write.
    n_frames, width, height, fps
        The clip's length (frames), size (pixels) and frame rate (Hz).
    seed
        The random pixels' seed: two seeds give two different files.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from posekit.server.testing import make_clip
    >>> from posekit.video import VideoReader
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     clip = make_clip(Path(tmp) / "clip.mp4", n_frames=5)
    ...     with VideoReader(clip) as video:
    ...         video.n_frames, video.width, video.height
    (5, 96, 64)
    """
    import av

    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(n_frames):
            img = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


class DripServer:
    """A hostile web server on 127.0.0.1: it answers every connection by dripping bytes.

    ``stage="body"``: full headers promising ``nbytes`` bytes, then one body byte every
    ``every_s``; ``stage="headers"``: the status line and headers one byte at a time;
    ``stage="silent"``: accepts and reads, never answers (a receiver that hangs). Counts the
    connections it got in ``hits``. For testing a client's or a server's time limits against
    slow peers (slowloris); it serves until the ``with`` block ends.

    Parameters
    ----------
    stage
        ``"body"``, ``"headers"`` or ``"silent"``: where it stalls.
    every_s
        Seconds between two bytes.
    nbytes
        The ``Content-Length`` it promises (``stage="body"``), in bytes.

    Examples
    --------
    A client with a 0.3 s read timeout gives up on it:

    >>> import requests
    >>> from posekit.server.testing import DripServer
    >>> with DripServer("silent", every_s=0.1) as drip:
    ...     try:
    ...         requests.get(drip.url, timeout=0.3)
    ...     except requests.Timeout:
    ...         print("timed out")
    ...     hits = drip.hits
    timed out
    >>> hits
    1
    """

    def __init__(self, stage: str = "body", every_s: float = 0.5, nbytes: int = 1_000_000) -> None:
        import socket

        self.stage, self.every_s, self.nbytes = stage, every_s, nbytes
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits = 0
        self._stop = threading.Event()
        self._conns: list = []

    def _serve(self, conn: Any) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {self.nbytes}\r\n\r\n"
        ).encode()
        try:
            conn.settimeout(0.2)
            try:
                conn.recv(65536)
            except OSError:
                pass
            if self.stage == "body":
                conn.sendall(head)
                drip = b"\x00"
            elif self.stage == "headers":
                drip = None
            else:
                drip = b""
            i = 0
            while not self._stop.wait(self.every_s):
                if self.stage == "headers":
                    conn.sendall(head[i : i + 1])
                    i = min(i + 1, len(head) - 5)  # never finish the headers
                elif drip:
                    conn.sendall(drip)
                else:
                    try:
                        if conn.recv(65536) == b"":
                            pass
                    except OSError:
                        pass
        except OSError:
            pass
        finally:
            conn.close()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._conns.append(t)

    def __enter__(self) -> DripServer:
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for t in self._conns:
            t.join(5)
        self.sock.close()
