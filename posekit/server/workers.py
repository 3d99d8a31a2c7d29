"""The bounded pool that runs the estimator: worker processes (default) or threads.

Estimation is CPU-bound Python and numpy around a TFLite model. In worker processes it neither
holds the HTTP side's GIL nor takes the server down if it crashes; each process loads the
estimator (and its models) once, at start. Workers write a video result file themselves, so only
a small summary crosses the process boundary. ``workers`` processes serve video jobs and one
more serves ``POST /pose``, so images never wait behind long videos.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import msgspec

from posekit.errors import PoseKitError
from posekit.io import atomic_write
from posekit.schema import JobResult, default_category, default_info
from posekit.server.config import ServerConfig, estimator_spec, resolve_estimator

__all__ = ["EstimatorError", "EstimatorPool", "encode_job_result"]

log = logging.getLogger("posekit.server")

_ESTIMATOR: Any = None


class EstimatorError(Exception):
    """The estimator refused the input (``bad_input``) or broke (``internal``)."""

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


def _init_worker(spec: Any, parent_pid: int) -> None:
    global _ESTIMATOR
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    _ESTIMATOR = _load(spec)


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
    from posekit.models import ModelChecksumError, ModelsMissingError

    if isinstance(exc, ModelsMissingError | ModelChecksumError):  # the server's problem
        return "internal", f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ValueError | PoseKitError | FileNotFoundError):
        return "bad_input", str(exc) or type(exc).__name__
    return "internal", f"{type(exc).__name__}: {exc}"


def _run_video(est: Any, job_id: str, src: str, smoothing: bool, dest: str) -> tuple:
    try:
        result = (_ESTIMATOR if est is None else est).estimate_video(
            src, smoothing=smoothing, progress=False
        )
        body = encode_job_result(result, job_id)
        atomic_write(dest, body)
        return ("ok", len(body))
    except Exception as exc:
        if _classify(exc)[0] == "internal":
            log.exception("estimate_video failed on job %s", job_id)
        return ("error", *_classify(exc))


def _run_image(est: Any, src: str) -> tuple:
    try:
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

    def __init__(self, config: ServerConfig) -> None:
        self.kind = config.worker_kind
        self.size = config.workers + 1
        self.spec = estimator_spec(config.estimator)
        # In threads the estimator object is passed along; processes keep their own global.
        self._est: Any = None
        if self.kind == "thread":
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
            initargs=(self.spec, os.getpid()),
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
        return int(await self._call(_run_video, job_id, str(src), smoothing, str(dest)))

    async def image(self, src: Path) -> bytes:
        """Estimate the image at ``src``; return the ``POST /pose`` answer as JSON bytes."""
        return bytes(await self._call(_run_image, str(src)))

    def shutdown(self) -> None:
        """Stop now: running estimations are abandoned (their jobs resume at the next start)."""
        ex = self._executor
        procs = list((getattr(ex, "_processes", None) or {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # else the interpreter's exit would wait for a long video to finish
            if p.is_alive():
                p.terminate()
