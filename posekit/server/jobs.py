"""Running video jobs: the queue, the consumers, restart recovery, expiry and callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from posekit.schema import JobResult
from posekit.server.config import ServerConfig
from posekit.server.netguard import FetchError, UnsafeURLError, UrlPolicy, fetch_to_file, post_json
from posekit.server.store import Job, JobStore
from posekit.server.workers import EstimatorError, EstimatorPool

__all__ = ["JobRunner"]

log = logging.getLogger("posekit.server")

#: A job whose processing was cut short by this many server stops is failed, not retried.
MAX_ATTEMPTS = 3
_PURGE_EVERY_S = 3600.0


class JobRunner:
    """Owns the store, the estimator pool and the tasks that work through the job queue."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store = JobStore(config.data_dir, clock=config.clock)
        self.policy = UrlPolicy(
            allow_private=config.allow_private_urls,
            ports=config.url_ports,
            connect_timeout_s=config.connect_timeout_s,
            read_timeout_s=config.read_timeout_s,
            total_timeout_s=config.download_timeout_s,
        )
        self.pool: EstimatorPool | None = None
        self.queue: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task] = []
        self._callbacks = ThreadPoolExecutor(4, thread_name_prefix="posekit-callback")
        self.waiting = 0  # jobs accepted and not yet started (the bounded queue)
        self.images_in_flight = 0

    # -- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self.pool = EstimatorPool(self.config)
        self.queue = asyncio.Queue()
        ids = self.store.requeue_interrupted(max_attempts=MAX_ATTEMPTS)
        for job_id in ids:
            self.queue.put_nowait(job_id)
        self.waiting = len(ids)
        if ids:
            log.info("resuming %d job(s) accepted before the restart", len(ids))
        for job in self.store.pending_callbacks():  # finished, callback never attempted
            self._send_callback(job)
        self.store.purge(older_than_s=self.config.retention_s)
        loop_tasks = [self._consume() for _ in range(self.config.workers)]
        loop_tasks += [self._purge_loop(), self._warm()]
        self._tasks = [asyncio.create_task(c) for c in loop_tasks]

    async def stop(self) -> None:
        # Jobs being processed stay 'processing' in the store and resume at the next start.
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self.pool is not None:
            self.pool.shutdown()
        self._callbacks.shutdown(wait=False, cancel_futures=False)
        self.store.close()

    async def _warm(self) -> None:
        assert self.pool is not None
        try:
            await self.pool.warm()
        except Exception as exc:
            log.error("estimator warm-up failed: %s", exc)

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(_PURGE_EVERY_S)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.purge, older_than_s=self.config.retention_s)

    # -- jobs ----------------------------------------------------------------------------------
    def submit(self, job_id: str, params: dict) -> None:
        assert self.queue is not None
        self.store.add(job_id, params)
        self.waiting += 1
        self.queue.put_nowait(job_id)

    def expired(self, job: Job) -> bool:
        return job.status in ("success", "failed") and (
            job.updated < self.config.clock() - self.config.retention_s
        )

    async def _consume(self) -> None:
        assert self.queue is not None
        while True:
            job_id = await self.queue.get()
            self.waiting = max(0, self.waiting - 1)
            try:
                await self._run(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s: unexpected error", job_id)
                with contextlib.suppress(Exception):
                    self.store.fail(job_id, "Failed: internal error")
                    self._finish(job_id)

    async def _run(self, job_id: str) -> None:
        assert self.pool is not None
        if not self.store.start(job_id):
            return
        job = self.store.get(job_id)
        assert job is not None
        params = job.params
        src = self.store.inputs / params["input"]
        if params.get("video_url"):
            src.parent.mkdir(parents=True, exist_ok=True)
            try:
                await asyncio.to_thread(
                    fetch_to_file,
                    params["video_url"],
                    src,
                    max_bytes=self.config.max_video_bytes,
                    policy=self.policy,
                )
            except (FetchError, UnsafeURLError) as exc:
                log.info("job %s: failed to get video: %s", job_id, exc)
                self.store.fail(job_id, f"Failed to get video: {exc}")
                self._finish(job_id)
                self._drop_input(src)
                return
        try:
            await self.pool.video(
                job_id, src, bool(params.get("smoothing", True)), self.store.result_path(job_id)
            )
        except EstimatorError as exc:
            if exc.kind == "bad_input":
                self.store.fail(job_id, f"Failed to process video: {exc}")
            else:
                self.store.fail(job_id, "Failed to process video: internal error")
        else:
            self.store.succeed(job_id)
        self._drop_input(src)
        self._finish(job_id)

    def _drop_input(self, src: Path) -> None:
        src.unlink(missing_ok=True)
        if src.parent != self.store.inputs:
            with contextlib.suppress(OSError):
                src.parent.rmdir()

    def _finish(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is not None and job.callback == "pending":
            self._send_callback(job)

    def answer(self, job: Job) -> bytes:
        """The JSON answer for a job that is not a success (the success answer is its file)."""
        body = JobResult(status=job.status, job_id=job.id)
        if job.status == "failed":
            body.description = job.description or "Failed"
        return msgspec.json.encode(body)

    # -- callbacks -----------------------------------------------------------------------------
    def _send_callback(self, job: Job) -> None:
        # Marked before sending: a crash mid-call must not lead to a second call (never retried).
        if not self.store.mark_callback(job.id, "attempted"):
            return
        url = job.params["callback_url"]
        if job.status == "success":
            try:
                body = self.store.result_path(job.id).read_bytes()
            except OSError:
                log.error("job %s: result file missing for the callback", job.id)
                return
        else:
            body = self.answer(job)
        self._callbacks.submit(self._post, job.id, url, body)

    def _post(self, job_id: str, url: str, body: bytes) -> None:
        host = urlsplit(url).hostname  # log the host only: URLs may carry tokens
        try:
            status = post_json(url, body, policy=self.policy)
            log.info("job %s: callback to %s answered %d", job_id, host, status)
        except (FetchError, UnsafeURLError) as exc:
            log.warning("job %s: callback to %s failed (not retried): %s", job_id, host, exc)
        except Exception:
            log.exception("job %s: callback to %s failed (not retried)", job_id, host)
