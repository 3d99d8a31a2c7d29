"""The bounded pool that runs the estimator: worker processes (default) or threads.

Estimation is CPU-bound Python and numpy around a TFLite model. In worker processes it neither
holds the HTTP side's GIL nor takes the server down if it crashes; each process loads the
estimator (and its models) once, at start. Workers write a video result file themselves, so only
a small summary crosses the process boundary. ``workers`` processes serve video jobs and one
more serves ``POST /pose``, so images never wait behind long videos.

Limits are checked in the worker, before any decoding: a video's frames and frames x pixels
(from its header), an image's width x height; a video job is interrupted at its wall-clock
limit, or when cancelled, by a signal to its worker process (``SIGALRM``, ``SIGUSR1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import re
import signal
import sys
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from posekit.errors import PoseKitError
from posekit.io import atomic_write
from posekit.schema import JobResult, default_category, default_info
from posekit.server.config import ServerConfig, estimator_spec, resolve_estimator

__all__ = [
    "EstimatorError",
    "EstimatorPool",
    "JobInterrupted",
    "JobLimits",
    "encode_job_result",
    "public_message",
]

log = logging.getLogger("posekit.server")

_ESTIMATOR: Any = None
_CURRENT_JOB: str | None = None  # the video job this worker process is running
_CANCEL_DIR: str | None = None


@dataclass(frozen=True)
class JobLimits:
    """What one job may cost (see :class:`~posekit.server.ServerConfig`).

    Parameters
    ----------
    max_job_s
        Wall-clock seconds a video job may take.
    max_video_frames
        Frames a video may have.
    max_video_pixels
        Pixels a video may have in all (frames x width x height).
    max_image_pixels
        Pixels an image may have (width x height).

    Examples
    --------
    A video over the limits fails as bad input, from its header, before any decoding:

    >>> import asyncio
    >>> import tempfile
    >>> import posekit as pk
    >>> from posekit.server import ServerConfig
    >>> from posekit.server.workers import EstimatorError, EstimatorPool, JobLimits
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> pool = EstimatorPool(config, JobLimits(max_video_frames=50))
    >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")  # 100 frames
    >>> try:
    ...     asyncio.run(pool.video("job-1", video, True, f"{folder.name}/job-1.json"))
    ... except EstimatorError as err:
    ...     print(err.kind, "|", err)
    bad_input | the video has 100 frames, more than the limit of 50
    >>> pool.shutdown(); folder.cleanup()
    """

    max_job_s: float = 900.0
    max_video_frames: int = 18_000
    max_video_pixels: int = 18_000 * 1920 * 1080
    max_image_pixels: int = 2048 * 2048


class JobInterrupted(BaseException):
    """Raised in a worker at a job's time limit or when it is cancelled.

    A BaseException, so that an estimator's ``except Exception`` does not swallow it.

    Parameters
    ----------
    kind
        ``"cancelled"``, or ``"bad_input"`` for the time limit (as :class:`EstimatorError`).
    message
        Why the job stopped.

    Examples
    --------
    >>> from posekit.server.workers import JobInterrupted
    >>> try:
    ...     try:
    ...         raise JobInterrupted("cancelled", "cancelled")
    ...     except Exception:  # an estimator's own handler
    ...         print("swallowed")
    ... except JobInterrupted as stop:
    ...     print("stopped:", stop.kind)
    stopped: cancelled
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


_ABS_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s'\"/]+)+/([^\s'\"/]*)")


def public_message(text: str) -> str:
    """``text`` without the server's folders: absolute paths become their last part.

    Error descriptions go to clients; the server's folders are none of their business.

    Parameters
    ----------
    text
        A message that may name files by their absolute paths.

    Returns
    -------
    str

    Examples
    --------
    >>> from posekit.server.workers import public_message
    >>> public_message("/srv/posekit/inputs/5a1f/clip.mp4 cannot be read as a video")
    'clip.mp4 cannot be read as a video'
    >>> public_message("see https://example.com/a/b")  # URLs are kept
    'see https://example.com/a/b'
    """
    return _ABS_PATH.sub(r"\1", text)


class EstimatorError(Exception):
    """The estimator failed; ``kind`` says how.

    It refused the input (``bad_input``), broke (``internal``), could not write (``io``), or
    the job was stopped (``cancelled``, ``bad_input`` for the time limit).

    Parameters
    ----------
    kind
        ``"bad_input"``, ``"internal"``, ``"io"`` or ``"cancelled"``.
    message
        What happened (for ``bad_input``, the text the client reads).

    Examples
    --------
    >>> import asyncio
    >>> import tempfile
    >>> from posekit.server import ServerConfig
    >>> from posekit.server.workers import EstimatorPool
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> pool = EstimatorPool(config)
    >>> try:
    ...     asyncio.run(pool.image(f"{folder.name}/missing.png"))
    ... except EstimatorError as err:
    ...     print(err.kind)
    bad_input
    >>> pool.shutdown(); folder.cleanup()
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _die_with_parent(parent_pid: int) -> None:
    # A worker must not outlive a killed server (it would hold a core for nothing, and its
    # siblings keep the task queue open, so it would never see an end of file).
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover
            pass
    if os.getppid() != parent_pid:  # the server died before the line above took effect
        os._exit(1)


def _load(spec: Any) -> Any:
    est = resolve_estimator(spec)
    warmup = getattr(est, "warmup", None)
    if callable(warmup):
        warmup()
    elif getattr(est, "__name__", None) == "posekit.estimate":
        # Load the models now rather than during the first request: one blank picture.
        import numpy as np

        try:
            est.estimate_image(np.zeros((320, 320, 3), np.uint8))
        except Exception as exc:  # e.g. weights not installed: the first job will say so
            log.error("estimator warm-up failed: %s", exc)
    return est


def _on_alarm(signum: int, frame: Any) -> None:
    raise JobInterrupted("bad_input", "the job took longer than the server's time limit")


def _on_cancel(signum: int, frame: Any) -> None:
    job = _CURRENT_JOB
    if job is not None and _CANCEL_DIR is not None and os.path.exists(f"{_CANCEL_DIR}/{job}"):
        raise JobInterrupted("cancelled", "cancelled")


def _init_worker(spec: Any, parent_pid: int, cancel_dir: str, max_image_pixels: int) -> None:
    global _ESTIMATOR, _CANCEL_DIR
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGUSR1, _on_cancel)
    _CANCEL_DIR = cancel_dir
    _set_pillow_limit(max_image_pixels)
    _ESTIMATOR = _load(spec)


def _set_pillow_limit(max_pixels: int) -> None:
    # Pillow warns between its limit and twice it, and raises beyond: make it raise at ours.
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels // 2


def _ping(est: Any) -> tuple:
    return ("ok", (_ESTIMATOR if est is None else est) is not None)


def encode_job_result(result: Any, job_id: str) -> bytes:
    """The ``GET /pose/job/{id}`` answer for a successful job, as JSON bytes.

    The job's id and status are set, its description dropped, and missing ``annotations``,
    ``categories`` and ``info`` filled with Kakao's defaults.

    Parameters
    ----------
    result
        What the estimator's ``estimate_video`` returned: a video :class:`~posekit.PoseResult`.
    job_id
        The server's id for the job.

    Returns
    -------
    bytes

    Raises
    ------
    TypeError
        ``result`` is not a video result.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.server.workers import encode_job_result
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
    >>> answer = pk.load(encode_job_result(res, "69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11"))
    >>> answer.job_id, answer.job.status, answer.n_frames
    ('69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11', 'success', 30)
    """
    job = getattr(result, "job", None)
    if not isinstance(job, JobResult) or job.video is msgspec.UNSET:
        raise TypeError("the estimator's estimate_video did not return a video PoseResult")
    job = msgspec.structs.replace(
        job,
        job_id=job_id,
        status="success",
        annotations=job.annotations if job.annotations is not msgspec.UNSET else [],
        categories=job.categories if job.categories is not msgspec.UNSET else [default_category()],
        info=job.info if job.info is not msgspec.UNSET else default_info(),
        description=msgspec.UNSET,
    )
    return msgspec.json.encode(job)


def _classify(exc: BaseException) -> tuple[str, str]:
    import errno

    from PIL import Image

    from posekit.models import ModelChecksumError, ModelsMissingError

    if isinstance(exc, JobInterrupted):
        return exc.kind, str(exc)
    if isinstance(exc, ModelsMissingError | ModelChecksumError):  # the server's problem
        return "internal", f"{type(exc).__name__}: {exc}"
    if isinstance(exc, Image.DecompressionBombError):
        return "bad_input", f"the image is too large to decode ({public_message(str(exc))})"
    if isinstance(exc, ValueError | PoseKitError | FileNotFoundError):
        return "bad_input", public_message(str(exc) or type(exc).__name__)
    if isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC,
        errno.EROFS,
        errno.EDQUOT,
        errno.EFBIG,
    ):
        return "io", f"{type(exc).__name__}: {exc}"
    if isinstance(exc, MemoryError):
        return "bad_input", "the input needs more memory than the server has"
    return "internal", f"{type(exc).__name__}: {exc}"


def _check_video(src: str, limits: JobLimits) -> None:
    """Refuse a video over the frame or pixel budget, from its header (nothing decoded)."""
    from posekit.video import VideoReader

    try:
        with VideoReader(src, threads=False) as v:
            n, w, h = v.n_frames, v.width, v.height
    except Exception:
        return  # not PyAV's: the estimator decides (and refuses) it
    if n > limits.max_video_frames:
        raise ValueError(
            f"the video has {n} frames, more than the limit of {limits.max_video_frames}"
        )
    if n * w * h > limits.max_video_pixels:
        raise ValueError(
            f"the video has {n} frames of {w}x{h} pixels, more than the limit of "
            f"{limits.max_video_pixels} pixels in all"
        )


def _check_image(src: str, limits: JobLimits) -> None:
    """Refuse an image larger than the pixel limit, from its header (nothing decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(src) as im:
            w, h = im.size
    except Image.DecompressionBombError as exc:
        raise ValueError(f"the image is too large to decode ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError):
        return  # not Pillow's: the estimator decides (and refuses) it
    if w * h > limits.max_image_pixels:
        raise ValueError(
            f"the image is {w}x{h} pixels, more than the limit of {limits.max_image_pixels}"
        )


def _run_video(
    est: Any, job_id: str, src: str, smoothing: bool, dest: str, limits: JobLimits
) -> tuple:
    global _CURRENT_JOB
    in_process = est is None  # a worker process: signals can interrupt the job
    pid_file = f"{_CANCEL_DIR}/{job_id}.pid"
    try:
        if in_process:
            _CURRENT_JOB = job_id
            with open(pid_file, "w") as f:  # where a cancel sends its signal
                f.write(str(os.getpid()))
            _on_cancel(0, None)  # cancelled before it started
            signal.setitimer(signal.ITIMER_REAL, limits.max_job_s)
        try:
            _check_video(src, limits)
            result = (_ESTIMATOR if est is None else est).estimate_video(
                src, smoothing=smoothing, progress=False
            )
            body = encode_job_result(result, job_id)
        finally:
            if in_process:
                signal.setitimer(signal.ITIMER_REAL, 0)
                _CURRENT_JOB = None
                with contextlib.suppress(OSError):
                    os.unlink(pid_file)
        atomic_write(dest, body)
        return ("ok", len(body))
    except (Exception, JobInterrupted) as exc:
        if _classify(exc)[0] == "internal":
            log.exception("estimate_video failed on job %s", job_id)
        return ("error", *_classify(exc))


def _run_image(est: Any, src: str, limits: JobLimits) -> tuple:
    try:
        _check_image(src, limits)
        result = (_ESTIMATOR if est is None else est).estimate_image(src)
        people = getattr(result, "people", None)
        if people is None:
            raise TypeError("the estimator's estimate_image did not return an image PoseResult")
        return ("ok", msgspec.json.encode(people))
    except Exception as exc:
        if _classify(exc)[0] == "internal":
            log.exception("estimate_image failed")
        return ("error", *_classify(exc))


class EstimatorPool:
    """``workers`` slots for video jobs plus one for images, in processes or threads.

    Parameters
    ----------
    config
        The server's configuration: ``workers``, ``worker_kind``, ``estimator`` and
        ``data_dir`` (cancel markers go to its ``cancel`` folder).
    limits
        What one job may cost; default :class:`JobLimits`'s defaults.

    Raises
    ------
    ValueError
        The estimator cannot be resolved, or (worker processes) cannot be sent to them.

    Examples
    --------
    With threads (worker processes start the same way, each loading the estimator once):

    >>> import asyncio
    >>> import tempfile
    >>> from posekit.server import ServerConfig
    >>> from posekit.server.workers import EstimatorPool
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> pool = EstimatorPool(config)
    >>> import posekit as pk
    >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
    >>> size = asyncio.run(pool.video("job-1", video, True, f"{folder.name}/job-1.json"))
    >>> pool.size, pk.load(f"{folder.name}/job-1.json").n_frames  # a video slot, an image slot
    (2, 100)
    >>> pool.shutdown(); folder.cleanup()
    """

    def __init__(self, config: ServerConfig, limits: JobLimits | None = None) -> None:
        self.kind = config.worker_kind
        self.size = config.workers + 1
        self.limits = limits or JobLimits()
        self.cancel_dir = Path(config.data_dir) / "cancel"
        self.cancel_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.spec = estimator_spec(config.estimator)
        # In threads the estimator object is passed along; processes keep their own global.
        self._est: Any = None
        if self.kind == "thread":  # (Pillow's limit is left alone: it is this process's)
            self._est = _load(self.spec)  # fails at start on a bad estimator
        else:
            resolve_estimator(self.spec)  # same, before any process starts
            try:
                pickle.dumps(self.spec)
            except Exception as exc:
                raise ValueError(
                    f"estimator {self.spec!r} cannot be sent to worker processes ({exc}); "
                    "give its dotted path or use worker_kind='thread'"
                ) from None
        self._executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.kind == "thread":
            return ThreadPoolExecutor(self.size, thread_name_prefix="posekit-estimator")
        return ProcessPoolExecutor(
            self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.spec, os.getpid(), str(self.cancel_dir), self.limits.max_image_pixels),
        )

    async def _call(self, fn: Any, *args: Any) -> Any:
        try:
            out = await asyncio.wrap_future(self._executor.submit(fn, self._est, *args))
        except BrokenProcessPool:
            log.error("an estimator worker process died; starting a new pool")
            old, self._executor = self._executor, self._new_executor()
            old.shutdown(wait=False, cancel_futures=True)
            raise EstimatorError("internal", "the estimator worker crashed") from None
        if out[0] == "error":
            raise EstimatorError(out[1], out[2])
        return out[1]

    async def warm(self) -> None:
        """Start every worker and load the estimator in each (models included)."""
        await asyncio.gather(*(self._call(_ping) for _ in range(self.size)))

    async def video(self, job_id: str, src: Path, smoothing: bool, dest: Path) -> int:
        """Estimate the video at ``src`` and write the job result to ``dest``; return its size.

        Parameters
        ----------
        job_id
            The job's id (written into the result, and the name a cancel uses).
        src
            The video file.
        smoothing
            Passed to the estimator's ``estimate_video``.
        dest
            Where to write the ``GET /pose/job/{job_id}`` answer (atomically).

        Returns
        -------
        int
            The size of the answer written, in bytes.

        Raises
        ------
        EstimatorError
            The estimator refused the video or failed, the job was over its limits, or it was
            cancelled.

        Examples
        --------
        >>> import asyncio
        >>> import tempfile
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.workers import EstimatorPool
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> pool = EstimatorPool(config)
        >>> import posekit as pk
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> dest = f"{folder.name}/job-1.json"
        >>> size = asyncio.run(pool.video("job-1", video, False, dest))
        >>> answer = pk.load(dest)
        >>> answer.job_id, answer.n_frames, size == len(answer.to_json())
        ('job-1', 100, True)
        >>> pool.shutdown(); folder.cleanup()
        """
        marker = self.cancel_dir / job_id
        try:
            return int(
                await self._call(_run_video, job_id, str(src), smoothing, str(dest), self.limits)
            )
        finally:
            marker.unlink(missing_ok=True)

    async def image(self, src: Path) -> bytes:
        """Estimate the image at ``src``; return the ``POST /pose`` answer as JSON bytes.

        Parameters
        ----------
        src
            The image file.

        Returns
        -------
        bytes
            The JSON list of the people found.

        Raises
        ------
        EstimatorError
            The estimator refused the image or failed, or it is over the pixel limit.

        Examples
        --------
        >>> import asyncio
        >>> import tempfile
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.workers import EstimatorPool
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> pool = EstimatorPool(config)
        >>> import posekit as pk
        >>> from PIL import Image
        >>> Image.new("RGB", (640, 480)).save(f"{folder.name}/photo.png")
        >>> answer = asyncio.run(pool.image(f"{folder.name}/photo.png"))
        >>> len(pk.load(answer).people)
        1
        >>> pool.shutdown(); folder.cleanup()
        """
        return bytes(await self._call(_run_image, str(src), self.limits))

    def _processes(self) -> list:
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def cancel(self, job_id: str) -> None:
        """Interrupt ``job_id`` if a worker process runs it.

        Threads cannot be interrupted: their result is dropped when they end.

        A marker file for the job is left in the pool's ``cancel`` folder (a worker that starts
        the job later sees it), and the worker process that runs the job, if any, is signalled.

        Parameters
        ----------
        job_id
            The job to stop.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.workers import EstimatorPool
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(data_dir=folder.name, worker_kind="process", workers=1,
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> pool = EstimatorPool(config)  # no process starts before the first job
        >>> pool.cancel("job-1")
        >>> (pool.cancel_dir / "job-1").exists()  # the job fails as soon as a worker takes it
        True
        >>> pool.shutdown(); folder.cleanup()
        """
        if self.kind != "process":
            return
        (self.cancel_dir / job_id).touch()  # seen by the worker when (or before) it starts
        pids = {p.pid for p in self._processes()}
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.cancel_dir / f"{job_id}.pid").read_text())
            if pid in pids:  # one of ours; it acts only if it still runs job_id
                os.kill(pid, signal.SIGUSR1)

    def restart(self) -> None:
        """Stop every worker now and start new ones (a worker that ignored its limit)."""
        with self._lock:
            old, self._executor = self._executor, self._new_executor()
        procs = list((getattr(old, "_processes", None) or {}).values())
        old.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.kill()

    def shutdown(self) -> None:
        """Stop now: running estimations are abandoned (their jobs resume at the next start)."""
        ex = self._executor
        procs = list((getattr(ex, "_processes", None) or {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # else the interpreter's exit would wait for a long video to finish
            if p.is_alive():
                p.terminate()
