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
    """What one job may cost (see :class:`~posekit.server.ServerConfig`)."""

    max_job_s: float = 900.0
    max_video_frames: int = 18_000
    max_video_pixels: int = 18_000 * 1920 * 1080
    max_image_pixels: int = 2048 * 2048


class JobInterrupted(BaseException):
    """Raised in a worker at a job's time limit or when it is cancelled.

    A BaseException, so that an estimator's ``except Exception`` does not swallow it.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


_ABS_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s'\"/]+)+/([^\s'\"/]*)")


def public_message(text: str) -> str:
    """``text`` without the server's folders: absolute paths become their last part."""
    return _ABS_PATH.sub(r"\1", text)


class EstimatorError(Exception):
    """The estimator failed; ``kind`` says how.

    It refused the input (``bad_input``), broke (``internal``), could not write (``io``), or
    the job was stopped (``cancelled``, ``bad_input`` for the time limit).
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
    """The ``GET /pose/job/{id}`` answer for a successful job, as JSON bytes."""
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
    """``workers`` slots for video jobs plus one for images, in processes or threads."""

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
        """Estimate the video at ``src`` and write the job result to ``dest``; return its size."""
        marker = self.cancel_dir / job_id
        try:
            return int(
                await self._call(_run_video, job_id, str(src), smoothing, str(dest), self.limits)
            )
        finally:
            marker.unlink(missing_ok=True)

    async def image(self, src: Path) -> bytes:
        """Estimate the image at ``src``; return the ``POST /pose`` answer as JSON bytes."""
        return bytes(await self._call(_run_image, str(src), self.limits))

    def _processes(self) -> list:
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def cancel(self, job_id: str) -> None:
        """Interrupt ``job_id`` if a worker process runs it.

        Threads cannot be interrupted: their result is dropped when they end.
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
