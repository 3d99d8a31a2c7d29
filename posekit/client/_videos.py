"""Submit-and-wait for one video or a batch, never uploading the same video twice with a cache.

With ``Client(cache_dir=...)``, every submission is recorded in ``cache_dir/submitted/`` under a
key made of the video (its bytes' SHA-256, or its URL) and the ``smoothing`` flag, so that running
the same analysis again (after an interruption, a timeout, a restarted kernel) waits for the job
already started, or reads its cached result, instead of uploading again and paying twice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posekit._progress import progress_bar
from posekit.client._inputs import FileInput, describe, file_or_url, read_input
from posekit.client._jobs import check_job_id
from posekit.errors import JobFailedError, JobNotFoundError, JobNotReadyError
from posekit.io import atomic_write
from posekit.result import PoseResult

if TYPE_CHECKING:
    from posekit.client._client import Client

__all__ = ["SubmissionIndex", "VideoOutcome", "run_batch", "run_video"]

log = logging.getLogger("posekit.client")


@dataclass
class VideoOutcome:
    """One video of a batch: its ``result`` or the ``error`` it met, and its ``job_id``.

    Made by :meth:`posekit.client.Client.analyze_videos`.

    Parameters
    ----------
    source
        The video as given (its path, URL, or ``<N bytes>``).
    job_id
        The job started for it, once known (None if it was never submitted).
    result
        Its result, when the job succeeded.
    error
        What went wrong otherwise.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.client import VideoOutcome
    >>> failed = VideoOutcome("clip.mp4", job_id="j1", error=pk.JobFailedError("no video"))
    >>> failed.ok, failed.result is None
    (False, True)
    """

    source: str
    job_id: str | None = None
    result: PoseResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the video has a result.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.client import VideoOutcome
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> VideoOutcome("walk.mp4", job_id=res.job_id, result=res).ok
        True
        """
        return self.result is not None

    def __repr__(self) -> str:
        state = repr(self.result) if self.result is not None else f"error={self.error!r}"
        return f"VideoOutcome({self.source!r}, job_id={self.job_id!r}, {state})"


class SubmissionIndex:
    """``cache_dir/submitted/{key}`` holds the job id started for a video (one file per key)."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / "submitted"

    @staticmethod
    def key(data: bytes | None, url: str | None, smoothing: bool) -> str:
        h = hashlib.sha256(b"url:" + url.encode() if url is not None else b"file:" + (data or b""))
        return f"{h.hexdigest()}-{'smooth' if smoothing else 'raw'}"

    def get(self, key: str) -> str | None:
        try:
            return check_job_id((self.folder / key).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def put(self, key: str, job_id: str) -> None:
        atomic_write(self.folder / key, job_id)

    def forget(self, key: str) -> None:
        (self.folder / key).unlink(missing_ok=True)


def run_video(
    client: Client,
    file: FileInput | None,
    url: str | None,
    *,
    smoothing: bool,
    callback_url: Any = None,
    poll: float,
    max_poll: float,
    timeout: float | None,
    progress: bool | None,
    stop: threading.Event | None = None,
    on_job: Callable[[str], None] | None = None,
) -> PoseResult:
    file, url = file_or_url(file, url)
    source = url if url is not None else describe(file)
    data = name = None
    if file is not None:
        data, name = read_input(file, "video")
    index = SubmissionIndex(client.cache_dir) if client.cache_dir is not None else None
    key = SubmissionIndex.key(data, url, smoothing)

    def wait(job_id: str) -> PoseResult:
        if on_job is not None:
            on_job(job_id)
        res = client.wait(
            job_id,
            poll_s=poll,
            max_poll_s=max_poll,
            timeout_s=timeout,
            progress=progress,
            _stop=stop,
        )
        return res.replace(source=source)

    earlier = index.get(key) if index is not None else None
    if index is not None and earlier is not None:
        log.info("%s was submitted before as job %s: waiting for that one", source, earlier)
        try:
            return wait(earlier)
        except (JobNotFoundError, JobFailedError) as exc:
            index.forget(key)  # expired, or failed: submit again below
            log.info("job %s: %s; submitting %s again", earlier, exc, source)
    job_id = client._submit(data, name, url, smoothing=smoothing, callback_url=callback_url)
    if index is not None:
        index.put(key, job_id)
    try:
        return wait(job_id)
    except JobFailedError:
        if index is not None:
            index.forget(key)
        raise
    except (Exception, KeyboardInterrupt) as exc:
        if not isinstance(exc, JobNotFoundError) and hasattr(exc, "add_note"):
            # the job goes on server-side: don't let its id be lost with the traceback
            exc.add_note(f"job {job_id} was submitted; resume with client.wait({job_id!r})")
        raise


def run_batch(
    client: Client,
    videos: Sequence[FileInput],
    *,
    smoothing: bool,
    max_workers: int,
    poll: float,
    max_poll: float,
    timeout: float | None,
    progress: bool | None,
) -> list[VideoOutcome]:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    outcomes = [VideoOutcome(source=describe(v)) for v in videos]
    stop = threading.Event()
    # A video listed twice is analysed once: the later items share the first one's outcome.
    first: dict[Any, int] = {}
    same_as = [first.setdefault(_identity(v), i) for i, v in enumerate(videos)]
    todo = [i for i, j in enumerate(same_as) if i == j]

    def run(i: int) -> None:
        item = outcomes[i]

        def seen(job_id: str) -> None:
            item.job_id = job_id

        try:
            item.result = run_video(
                client,
                videos[i],
                None,
                smoothing=smoothing,
                poll=poll,
                max_poll=max_poll,
                timeout=timeout,
                progress=False,
                stop=stop,
                on_job=seen,
            )
        except Exception as exc:
            item.error = exc

    pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
    futures = [pool.submit(run, i) for i in todo]
    bar = progress_bar(progress, total=len(futures), desc="videos", unit="video")
    try:
        for _ in as_completed(futures):
            bar.update()
    except KeyboardInterrupt:
        stop.set()
        log.warning("interrupted: returning the videos that finished")
    finally:
        bar.close()
        pool.shutdown(wait=True, cancel_futures=True)
    for i, j in enumerate(same_as):
        if i != j:
            outcomes[i].job_id = outcomes[j].job_id
            outcomes[i].result = outcomes[j].result
            outcomes[i].error = outcomes[j].error
    for item in outcomes:
        if item.result is None and item.error is None:
            item.error = JobNotReadyError(
                f"{item.source}: not finished (interrupted)", job_id=item.job_id
            )
    return outcomes


def _identity(video: Any) -> Any:
    """What makes two batch items the same video: the file, the URL, the bytes."""
    import os

    if isinstance(video, str) and video.lower().startswith(("http://", "https://")):
        return ("url", video)
    if isinstance(video, str | os.PathLike):
        try:
            return ("file", os.path.realpath(video))
        except (OSError, ValueError):
            return ("file", str(video))
    if isinstance(video, bytes | bytearray | memoryview):
        return ("bytes", hashlib.sha256(video).hexdigest())
    return ("object", id(video))
