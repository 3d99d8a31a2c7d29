"""Running video jobs.

Downloads, the queue, the consumers, limits, cancelling, restart recovery, expiry and
callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from posekit.schema import JobResult
from posekit.server.config import ServerConfig
from posekit.server.netguard import (
    FetchError,
    Transfer,
    UnsafeURLError,
    UrlPolicy,
    fetch_to_file,
    post_json,
)
from posekit.server.store import Job, JobStore
from posekit.server.workers import EstimatorError, EstimatorPool, JobLimits, public_message

__all__ = ["JobRunner"]

log = logging.getLogger("posekit.server")

#: A job whose processing was cut short by this many server stops is failed, not retried.
MAX_ATTEMPTS = 3
_MAINTAIN_EVERY_S = 60.0
_PURGE_EVERY_S = 3600.0
#: Longest wait between two calls of a callback.
_MAX_CALLBACK_DELAY_S = 3600.0
CANCELLED = "Cancelled by the client"


class JobRunner:
    """Runs the jobs of one server.

    Owns the store, the estimator pool, the outbound pools and the tasks that work through
    the job queue. :meth:`start` and :meth:`stop` run in the server's event loop.

    Parameters
    ----------
    config
        The server's configuration (its ``data_dir`` holds the job store).

    Examples
    --------
    What ``POST /pose/job`` does with an uploaded video, without the HTTP side:

    >>> import asyncio
    >>> import shutil
    >>> import tempfile
    >>> import posekit as pk
    >>> from posekit.server import ServerConfig
    >>> from posekit.server.jobs import JobRunner
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
    >>> async def one_job():
    ...     runner = JobRunner(config)
    ...     await runner.start()
    ...     (runner.store.inputs / "job-1").mkdir()
    ...     shutil.copy(video, runner.store.inputs / "job-1" / "clip.mp4")
    ...     runner.submit("job-1", {"input": "job-1/clip.mp4", "smoothing": True})
    ...     while runner.store.get("job-1").status in ("waiting", "processing"):
    ...         await asyncio.sleep(0.01)
    ...     await runner.stop()
    ...     return runner.store.get("job-1").status, runner.store.result_path("job-1")
    >>> status, path = asyncio.run(one_job())
    >>> status, pk.load(path).n_frames
    ('success', 100)
    >>> folder.cleanup()
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store = JobStore(config.data_dir, clock=config.clock)
        self.policy = UrlPolicy(
            allow_private=config.allow_private_urls,
            ports=config.url_ports,
            connect_timeout_s=config.connect_timeout_s,
            read_timeout_s=config.read_timeout_s,
            total_timeout_s=config.download_timeout_s,
            min_rate_bytes_s=config.min_download_rate_bytes_s,
            callback_timeout_s=config.callback_timeout_s,
        )
        self.limits = JobLimits(
            max_job_s=config.max_job_s,
            max_video_frames=config.max_video_frames,
            max_video_pixels=config.max_video_pixels,
            max_image_pixels=config.max_image_pixels,
        )
        self.pool: EstimatorPool | None = None
        self.queue: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task] = []
        self._side_tasks: set[asyncio.Task] = set()
        # Outbound work runs on pools of its own, never the event loop's default pool: a slow
        # peer of one kind (say, image URLs) cannot hold up another (callbacks, URL checks).
        self.checks = ThreadPoolExecutor(config.url_check_threads, "posekit-url-check")
        self.fetches = ThreadPoolExecutor(config.image_fetch_threads, "posekit-image-fetch")
        self._downloads = ThreadPoolExecutor(config.video_download_threads, "posekit-download")
        self._callbacks = ThreadPoolExecutor(config.callback_threads, "posekit-callback")
        self._download_slots: asyncio.Semaphore | None = None
        self._callback_queue: asyncio.Queue[str] | None = None
        self._callback_scheduled: set[str] = set()
        self._transfers: dict[str, Transfer] = {}  # job id -> its download in progress
        self._running: set[str] = set()  # jobs this process is processing now
        self.waiting = 0  # jobs accepted and not yet started (the bounded queue)
        self.images_in_flight = 0

    # -- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the pool, the consumers and the sweeper; resume the jobs a restart left."""
        self.pool = EstimatorPool(self.config, self.limits)
        self.queue = asyncio.Queue()
        self._callback_queue = asyncio.Queue()
        self._download_slots = asyncio.Semaphore(self.config.video_download_threads)
        ids = self.store.requeue_interrupted(max_attempts=MAX_ATTEMPTS)
        self.sweep_orphans()
        for job_id in ids:
            self._enqueue(job_id)
        self.waiting = len(ids)
        if ids:
            log.info("resuming %d job(s) accepted before the restart", len(ids))
        for job in self.store.pending_callbacks():  # finished, callback not delivered yet
            self._schedule_callback(job.id, 0.0)
        self.store.purge(older_than_s=self.config.retention_s)
        loop_tasks = [self._consume() for _ in range(self.config.workers)]
        loop_tasks += [self._deliver_callbacks() for _ in range(self.config.callback_threads)]
        loop_tasks += [self._maintain(), self._warm()]
        self._tasks = [asyncio.create_task(c) for c in loop_tasks]

    async def stop(self) -> None:
        """Stop the tasks and the pool; running jobs resume at the next start."""
        # Jobs being processed stay 'processing' in the store and resume at the next start.
        # Downloads in progress are cut off once their tasks are cancelled (so they are not
        # recorded as failed): they start again at the next start.
        transfers = list(self._transfers.values())
        tasks = self._tasks + list(self._side_tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for transfer in transfers:
            transfer.abort("the server is stopping")
        if self.pool is not None:
            self.pool.shutdown()
        for ex in (self.checks, self.fetches, self._downloads, self._callbacks):
            ex.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    async def _warm(self) -> None:
        assert self.pool is not None
        try:
            await self.pool.warm()
        except Exception as exc:
            log.error("estimator warm-up failed: %s", exc)

    async def _maintain(self) -> None:
        last_purge = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(_MAINTAIN_EVERY_S)
            with contextlib.suppress(Exception):
                self.recover_stale()
            if asyncio.get_running_loop().time() - last_purge > _PURGE_EVERY_S:
                last_purge = asyncio.get_running_loop().time()
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.store.purge, older_than_s=self.config.retention_s)

    def sweep_orphans(self) -> int:
        """Remove uploads and partial files no job needs (left by a crash); return how many."""
        alive = set(self.store.ids("waiting")) | set(self.store.ids("processing"))
        n = 0
        for entry in list(self.store.inputs.iterdir()):
            job_id = entry.name.split(".", 1)[0]
            if entry.is_dir() and job_id in alive:
                for part in entry.glob("*.part"):  # an interrupted download starts again
                    part.unlink(missing_ok=True)
                    n += 1
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            n += 1
        for tmp in self.store.results.glob(".*.tmp"):  # a result write cut short
            tmp.unlink(missing_ok=True)
            n += 1
        if n:
            log.info("removed %d file(s) left over by an earlier run", n)
        return n

    def recover_stale(self) -> list[str]:
        """Fail jobs marked ``processing`` that nothing in this server is working on.

        Their end could not be recorded (e.g. the disk was full). Returns their ids.
        """
        stale = [j for j in self.store.ids("processing") if j not in self._running]
        for job_id in stale:
            if self.store.fail(job_id, "Failed: the server could not finish the job"):
                log.warning("job %s: was left processing; marked failed", job_id)
                self._finish(job_id)
        return stale

    # -- jobs ----------------------------------------------------------------------------------
    def submit(self, job_id: str, params: dict) -> None:
        """Record a new job and queue it.

        A job with a ``video_url`` whose video is not there yet is downloaded first (outside
        the estimator queue).

        Parameters
        ----------
        job_id
            The new job's id.
        params
            What the job needs: ``input`` (the video's path under the store's ``inputs``
            folder), ``smoothing``, and optionally ``video_url``, ``callback_url``, ``owner``.

        Examples
        --------
        >>> import asyncio
        >>> import shutil
        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.jobs import JobRunner
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> async def submit_two():
        ...     runner = JobRunner(config)
        ...     await runner.start()
        ...     shutil.copy(video, runner.store.inputs / "a.mp4")
        ...     runner.submit("job-a", {"input": "a.mp4", "smoothing": True})
        ...     runner.submit("job-b", {"input": "missing.mp4", "smoothing": True})
        ...     while runner.store.count("waiting") + runner.store.count("processing"):
        ...         await asyncio.sleep(0.01)
        ...     await runner.stop()
        ...     return runner.store.get("job-a").status, runner.store.get("job-b").description
        >>> asyncio.run(submit_two())
        ('success', 'Failed to process video: no such video file: missing.mp4')
        >>> folder.cleanup()
        """
        assert self.queue is not None
        self.store.add(job_id, params)
        self.waiting += 1
        self._enqueue(job_id)

    def _enqueue(self, job_id: str) -> None:
        assert self.queue is not None
        job = self.store.get(job_id)
        if job is None:
            return
        src = self.store.inputs / job.params["input"]
        if job.params.get("video_url") and not src.is_file():
            # Downloads run outside the estimator queue: a slow origin holds a download
            # slot (bounded in time), never an estimator worker.
            task = asyncio.create_task(self._download(job_id, job.params))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
        else:
            self.queue.put_nowait(job_id)

    def expired(self, job: Job) -> bool:
        """Whether an ended job is older than the retention time (and is to be forgotten).

        Parameters
        ----------
        job
            A job of the store.

        Returns
        -------
        bool
            True for a ``success`` or ``failed`` job last updated more than
            ``config.retention_s`` seconds ago.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.jobs import JobRunner
        >>> folder = tempfile.TemporaryDirectory()
        >>> runner = JobRunner(ServerConfig(data_dir=folder.name, retention_s=3600,
        ...                                 clock=lambda: 100_000.0))
        >>> runner.store.add("job-1", {"input": "job-1.mp4"})  # at 100,000 s
        >>> runner.expired(runner.store.get("job-1"))  # waiting: never expires
        False
        >>> runner.store.succeed("job-1", b"{}")
        True
        >>> runner.config.clock = lambda: 100_000.0 + 7200  # two hours later
        >>> runner.expired(runner.store.get("job-1"))
        True
        >>> runner.store.close(); folder.cleanup()
        """
        return job.status in ("success", "failed") and (
            job.updated < self.config.clock() - self.config.retention_s
        )

    async def _download(self, job_id: str, params: dict) -> None:
        assert self._download_slots is not None and self.queue is not None
        src = self.store.inputs / params["input"]
        part = src.with_name(src.name + ".part")
        async with self._download_slots:
            job = self.store.get(job_id)
            if job is None or job.status != "waiting":  # cancelled while it waited
                self.waiting = max(0, self.waiting - 1)
                return
            transfer = Transfer(
                "the download",
                total_s=self.policy.total_timeout_s,
                min_rate_bytes_s=self.policy.min_rate_bytes_s,
                grace_s=self.policy.read_timeout_s,
            )
            self._transfers[job_id] = transfer
            try:
                src.parent.mkdir(parents=True, exist_ok=True)
                await asyncio.wrap_future(
                    self._downloads.submit(
                        fetch_to_file,
                        params["video_url"],
                        part,
                        max_bytes=self.config.max_video_bytes,
                        policy=self.policy,
                        transfer=transfer,
                    )
                )
                part.rename(src)
            except (FetchError, UnsafeURLError) as exc:
                self.waiting = max(0, self.waiting - 1)
                log.info("job %s: failed to get video: %r", job_id, str(exc))
                self._end(job_id, f"Failed to get video: {exc}")
                self._drop_input(src)
                part.unlink(missing_ok=True)
                return
            except OSError as exc:  # the disk is full or read-only
                self.waiting = max(0, self.waiting - 1)
                log.error("job %s: cannot store the video: %s", job_id, exc)
                self._end(job_id, "Failed to get video: the server could not store it")
                self._drop_input(src)
                part.unlink(missing_ok=True)
                return
            finally:
                self._transfers.pop(job_id, None)
        self.queue.put_nowait(job_id)

    def _end(self, job_id: str, description: str) -> None:
        if self.store.fail(job_id, public_message(description)):
            self._finish(job_id)

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
                    self._end(job_id, "Failed: internal error")

    async def _run(self, job_id: str) -> None:
        assert self.pool is not None
        self._running.add(job_id)  # before 'processing': never looks stale
        try:
            if not self.store.start(job_id):
                return
            job = self.store.get(job_id)
            assert job is not None
            src = self.store.inputs / job.params["input"]
            # (a stop cancels this task: the input stays for the job to resume at restart)
            await self._estimate(job_id, src, bool(job.params.get("smoothing", True)))
            self._drop_input(src)
        finally:
            self._running.discard(job_id)

    async def _estimate(self, job_id: str, src: Path, smoothing: bool) -> None:
        assert self.pool is not None
        dest = self.store.result_path(job_id)
        backstop = self.limits.max_job_s + 30.0  # the worker stops itself at max_job_s
        try:
            await asyncio.wait_for(self.pool.video(job_id, src, smoothing, dest), backstop)
        except asyncio.TimeoutError:
            log.error("job %s: the worker did not stop at the time limit; restarting it", job_id)
            self.pool.restart()
            limit = self.limits.max_job_s
            self._end(job_id, f"Failed to process video: it took more than {limit:g} s")
        except EstimatorError as exc:
            if exc.kind == "cancelled":
                self._end(job_id, CANCELLED)
            elif exc.kind == "bad_input":
                self._end(job_id, f"Failed to process video: {exc}")
            elif exc.kind == "io":
                self._end(job_id, "Failed to process video: the server could not store it")
            else:
                self._end(job_id, "Failed to process video: internal error")
        else:
            if self.store.succeed(job_id):
                self._finish(job_id)
            else:  # cancelled while it ran
                dest.unlink(missing_ok=True)

    def cancel(self, job_id: str) -> bool:
        """Stop a waiting or running job (it ends ``failed``); False if it had ended.

        A download in progress is cut off; a job running in a worker process is interrupted
        (in a thread, its result is dropped when it ends). A pending callback is then sent.

        Parameters
        ----------
        job_id
            The job to stop.

        Returns
        -------
        bool

        Examples
        --------
        >>> import asyncio
        >>> import shutil
        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.jobs import JobRunner
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(data_dir=folder.name, worker_kind="thread", workers=1,
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> async def submit_and_cancel():
        ...     runner = JobRunner(config)
        ...     await runner.start()
        ...     shutil.copy(video, runner.store.inputs / "a.mp4")
        ...     runner.submit("job-a", {"input": "a.mp4", "smoothing": True})
        ...     first, again = runner.cancel("job-a"), runner.cancel("job-a")
        ...     await runner.stop()
        ...     return first, again, runner.answer(runner.store.get("job-a"))
        >>> asyncio.run(submit_and_cancel())
        (True, False, b'{"status":"failed","job_id":"job-a","description":"Cancelled by the client"}')
        >>> folder.cleanup()
        """
        if not self.store.cancel(job_id, CANCELLED):
            return False
        transfer = self._transfers.get(job_id)
        if transfer is not None:
            transfer.abort("the job was cancelled")
        if job_id in self._running and self.pool is not None:
            self.pool.cancel(job_id)
        self._finish(job_id)
        return True

    def _drop_input(self, src: Path) -> None:
        src.unlink(missing_ok=True)
        if src.parent != self.store.inputs:
            with contextlib.suppress(OSError):
                src.parent.rmdir()

    def _finish(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is not None and job.callback == "pending":
            self._schedule_callback(job_id, 0.0)

    def answer(self, job: Job) -> bytes:
        """The JSON answer for a job that is not a success (the success answer is its file).

        Parameters
        ----------
        job
            A job of the store that is ``waiting``, ``processing`` or ``failed``.

        Returns
        -------
        bytes
            ``{"status", "job_id"}``, and ``description`` for a failed job.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server import ServerConfig
        >>> from posekit.server.jobs import JobRunner
        >>> folder = tempfile.TemporaryDirectory()
        >>> runner = JobRunner(ServerConfig(data_dir=folder.name))
        >>> runner.store.add("job-1", {"input": "job-1.mp4"})
        >>> runner.answer(runner.store.get("job-1"))
        b'{"status":"waiting","job_id":"job-1"}'
        >>> runner.store.close(); folder.cleanup()
        """
        body = JobResult(status=job.status, job_id=job.id)
        if job.status == "failed":
            body.description = job.description or "Failed"
        return msgspec.json.encode(body)

    # -- callbacks -----------------------------------------------------------------------------
    def _schedule_callback(self, job_id: str, delay_s: float) -> None:
        if job_id in self._callback_scheduled or self._callback_queue is None:
            return
        self._callback_scheduled.add(job_id)
        queue = self._callback_queue
        asyncio.get_running_loop().call_later(delay_s, queue.put_nowait, job_id)

    async def _deliver_callbacks(self) -> None:
        assert self._callback_queue is not None
        while True:
            job_id = await self._callback_queue.get()
            self._callback_scheduled.discard(job_id)
            try:
                await self._call_back(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s: callback failed", job_id)

    async def _call_back(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or job.callback != "pending":
            return
        url = job.params["callback_url"]
        host = urlsplit(url).hostname  # log the host only: URLs may carry tokens
        if job.status == "success":
            try:
                body = self.store.result_path(job.id).read_bytes()
            except OSError:
                log.error("job %s: result file missing for the callback", job.id)
                self.store.mark_callback(job_id, "undeliverable")
                return
        else:
            body = self.answer(job)
        tries = self.store.callback_tried(job_id)  # counted first: a crash mid-call counts
        why: Any
        try:
            status = await asyncio.wrap_future(
                self._callbacks.submit(post_json, url, body, policy=self.policy)
            )
            why = f"answered {status}"
            ok = 200 <= status < 300
        except (FetchError, UnsafeURLError) as exc:
            why, ok = f"failed: {exc}", False
        if ok:
            self.store.mark_callback(job_id, "delivered")
            log.info("job %s: callback to %r %s", job_id, host, why)
        elif tries >= self.config.callback_attempts:
            self.store.mark_callback(job_id, "undeliverable")
            log.warning(
                "job %s: callback to %r %s; gave up after %d calls", job_id, host, why, tries
            )
        else:
            delay = min(_MAX_CALLBACK_DELAY_S, self.config.callback_backoff_s * 2 ** (tries - 1))
            log.info("job %s: callback to %r %s; again in %.0f s", job_id, host, why, delay)
            self._schedule_callback(job_id, delay)
