"""`Client`: the Kakao Pose REST API (and the posekit server, which speaks the same API)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import requests

from posekit._progress import shows_progress
from posekit._renamed import renamed
from posekit.client._http import RetryPolicy, Safety, mount_deadlines, send
from posekit.client._inputs import (
    MAX_VIDEO_BYTES,
    FileInput,
    check_image,
    file_or_url,
    map_back,
    prepare_image,
    read_input,
)
from posekit.client._jobs import JobInfo, check_job_id
from posekit.client._videos import VideoOutcome, run_batch, run_video
from posekit.errors import (
    APITimeoutError,
    InputLimitError,
    JobNotReadyError,
    JobTimeoutError,
    PoseFormatError,
)
from posekit.io import atomic_write, load
from posekit.result import PoseResult
from posekit.schema import STATUSES, JobSubmitted

__all__ = ["DEFAULT_BASE_URL", "Client", "JobInfo", "check_job_id"]

log = logging.getLogger("posekit.client")

DEFAULT_BASE_URL = "https://cv-api.kakaobrain.com"
_KEY_ENV = ("KAKAO_REST_API_KEY", "POSEKIT_API_KEY")


class _Status(msgspec.Struct):
    status: str
    job_id: str | None = None
    description: str | None = None


_status_decoder = msgspec.json.Decoder(_Status)
_submitted_decoder = msgspec.json.Decoder(JobSubmitted)


class Client:
    """A client for the Kakao Pose REST API, or any server that speaks it (the posekit server).

    Parameters
    ----------
    api_key
        The REST API key, sent as ``Authorization: KakaoAK {api_key}``. Defaults to the
        ``KAKAO_REST_API_KEY`` or ``POSEKIT_API_KEY`` environment variable.
    base_url
        Defaults to ``POSEKIT_BASE_URL`` from the environment, else Kakao's
        ``https://cv-api.kakaobrain.com``.
    timeout_s
        ``(connect, read)`` seconds; Kakao advises 5 and 15.
    deadline_s
        Seconds a whole call may take (connection, upload, answer, retries and their waits),
        whatever the server does: a server dripping its answer is cut off (None: no limit).
        :meth:`wait` also stops each poll at its own ``timeout_s``.
    max_answer_bytes
        Largest answer read, in bytes (None: no limit); a larger one raises
        :class:`~posekit.errors.AnswerTooLargeError` without being held in memory.
    retries, backoff_s, max_retry_after_s
        Retry policy (:class:`~posekit.client.RetryPolicy`): retries after the first attempt,
        first delay in seconds (doubling, jittered), longest ``Retry-After`` honoured. What is
        retried depends on the call: a video upload that reached the server is never sent twice.
    cache_dir
        Folder where successful job results are written (``{job_id}.json``, atomically) the
        moment they arrive; :meth:`job` and :meth:`wait` read it first. Kakao keeps results
        only 7 days.
    check_limits
        Check images and videos against the documented limits before uploading.
    session
        A ``requests.Session`` to use (proxies, certificates); one is made otherwise.

    Times are in seconds and their names say so (``_s``). The old names (``timeout=``,
    ``deadline=``, ``backoff=``, ``max_retry_after=``; and ``poll=``, ``max_poll=``,
    ``timeout=`` of the waiting methods) still work, deprecated.

    Examples
    --------
    A posekit server on a loopback port, with a stand-in estimator that finds one standing
    person in every frame (:mod:`posekit.server.testing`), and a real demo video:

    >>> import tempfile
    >>> import posekit as pk
    >>> from posekit.server import BackgroundServer, ServerConfig
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")  # 1080 x 1920, 60 fps
    >>> with BackgroundServer(config) as server:
    ...     with pk.Client(api_key="my-key", base_url=server.url) as client:
    ...         res = client.analyze_video(video, poll_s=0.05)
    >>> res.n_frames, res.fps, res.keypoints().attrs["width"]
    (100, 60.0, 1080)
    >>> folder.cleanup()
    """

    @renamed(
        timeout="timeout_s",
        deadline="deadline_s",
        backoff="backoff_s",
        max_retry_after="max_retry_after_s",
    )
    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout_s: float | tuple[float, float] = (5.0, 15.0),
        deadline_s: float | None = 300.0,
        max_answer_bytes: int | None = 512 * 1024 * 1024,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_retry_after_s: float = 60.0,
        cache_dir: str | os.PathLike[str] | None = None,
        check_limits: bool = True,
        session: requests.Session | None = None,
    ) -> None:
        if api_key is None:
            api_key = next((os.environ[k] for k in _KEY_ENV if os.environ.get(k)), None)
        if not api_key:
            raise ValueError(
                "no API key: pass api_key=... or set KAKAO_REST_API_KEY (or POSEKIT_API_KEY)"
            )
        base_url = base_url or os.environ.get("POSEKIT_BASE_URL") or DEFAULT_BASE_URL
        if not base_url.lower().startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s
        self.max_answer_bytes = max_answer_bytes
        self.retry = RetryPolicy(
            retries=retries, backoff_s=backoff_s, max_retry_after_s=max_retry_after_s
        )
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.check_limits = check_limits
        self.session = session if session is not None else requests.Session()
        self._owns_session = session is None
        if not mount_deadlines(self.session):
            log.warning(
                "the session has its own HTTP adapters: the client's deadline is checked "
                "between reads only, not inside them"
            )
        self._headers = {"Authorization": f"KakaoAK {api_key}"}

    def __repr__(self) -> str:
        cache = f", cache_dir={str(self.cache_dir)!r}" if self.cache_dir else ""
        return f"Client(base_url={self.base_url!r}{cache})"

    def close(self) -> None:
        """Close the HTTP session (unless it was given by the caller); ``with`` does it.

        Examples
        --------
        >>> from posekit.client import Client
        >>> client = Client(api_key="my-key", base_url="http://127.0.0.1:8000")
        >>> client.close()  # nothing was sent: no connection was open
        """
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _parse(self, data: bytes, where: str) -> PoseResult:
        """A result answer, validated by :func:`posekit.load` (the one place results are read)."""
        try:
            res = load(data)
        except PoseFormatError as exc:
            err = PoseFormatError(f"{exc} (answer of {where})")
            err.path = exc.path
            raise err from None
        except (RecursionError, OverflowError, MemoryError, ValueError, TypeError) as exc:
            raise PoseFormatError(
                f"the answer of {where} cannot be read: {type(exc).__name__}: {exc}", "$"
            ) from None
        return res.replace(source=where)

    def _send(
        self,
        method: str,
        path: str,
        safety: Safety,
        *,
        deadline_s: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        limits = [d for d in (self.deadline_s, deadline_s) if d is not None]
        return send(
            self.session,
            method,
            self.base_url + path,
            safety=safety,
            policy=self.retry,
            timeout=self.timeout_s,
            headers=self._headers,
            deadline_s=min(limits) if limits else None,
            max_bytes=self.max_answer_bytes,
            **kwargs,
        )

    # -- images --------------------------------------------------------------------------------
    def analyze_image(
        self, file: FileInput | None = None, /, *, url: str | None = None, prepare: bool = False
    ) -> PoseResult:
        """Find the people in one image (``POST /pose``).

        Parameters
        ----------
        file
            A path, the image bytes or a binary file object (a string starting with
            ``http://``/``https://`` is taken as ``url``).
        url
            An image on the web for the server to fetch (``image_url``) instead of ``file``.
        prepare
            When the image breaks the limits (format other than JPEG/PNG/HEIC/WebP, over 2 MB,
            long side over 2048 px, short side under 320 px), resize and re-encode it before
            uploading, and map the keypoints back to the original pixel coordinates. Without
            it such an image raises :class:`~posekit.errors.InputLimitError`.

        Returns
        -------
        PoseResult
            An image result; ``attrs`` of its tables carry the original width and height.

        Raises
        ------
        InputLimitError
            The image breaks the limits and ``prepare`` is False.

        Examples
        --------
        A 2560 × 1920 photo is over the limits: ``prepare=True`` sends it at 2048 × 1536 and
        maps the keypoints back (the stand-in estimator puts a person in the middle):

        >>> import io
        >>> from PIL import Image
        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import BackgroundServer, ServerConfig
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> photo = io.BytesIO()
        >>> Image.new("RGB", (2560, 1920)).save(photo, "JPEG")
        >>> with BackgroundServer(config) as server:
        ...     with pk.Client(api_key="my-key", base_url=server.url) as client:
        ...         res = client.analyze_image(photo.getvalue(), prepare=True)
        >>> nose = res.keypoints().loc[(0, 0, "nose")]
        >>> float(nose.x), res.extra["prepared"]["sent_size"]
        (1280.0, (2048, 1536))
        >>> folder.cleanup()
        """
        file, url = file_or_url(file, url)
        if url is not None:
            resp = self._send("POST", "/pose", "stateless", data={"image_url": url})
            res = self._parse(resp.content, f"POST {self.base_url}/pose")
            return res.replace(source=url)
        assert file is not None
        data, name = read_input(file, "image")
        check = check_image(data)
        prepared = None
        if self.check_limits and not check.ok:
            if not prepare:
                raise InputLimitError(
                    f"image {name or '<bytes>'} breaks the API's limits: "
                    f"{'; '.join(check.problems)}. Pass prepare=True to resize and re-encode it"
                )
            prepared = prepare_image(data)
            data, mime, ext = prepared.data, prepared.mime, "jpg"
        else:
            mime, ext = check.mime, check.ext
        stem = Path(name).stem if name else "image"
        files = {"file": (f"{stem}.{ext}", data, mime)}
        resp = self._send("POST", "/pose", "stateless", files=files)
        res = self._parse(resp.content, f"POST {self.base_url}/pose")
        if prepared is not None:
            res = map_back(res, prepared)
        elif check.size is not None:
            res = res.replace(extra={**res.extra, "width": check.size[0], "height": check.size[1]})
        return res.replace(source=str(file) if isinstance(file, str | os.PathLike) else name)

    # -- videos --------------------------------------------------------------------------------
    def submit_video(
        self,
        file: FileInput | None = None,
        /,
        *,
        url: str | None = None,
        smoothing: bool = True,
        callback_url: str | Any | None = None,
    ) -> str:
        """Start a video job (``POST /pose/job``) and return its job id.

        Parameters
        ----------
        file
            A path, the video bytes or a binary file object (at most 50 MB); a string starting
            with ``http://``/``https://`` is taken as ``url``.
        url
            A video on the web (http or https, no redirects) for the server to fetch.
        smoothing
            Let the server smooth keypoints between frames.
        callback_url
            Called once by the server when the job ends (never retried); a
            :func:`callback_receiver` can be passed as is.

        Notes
        -----
        The upload is never repeated once it may have reached the server (only a failure to
        connect, or an HTTP 429, is retried), so one call never starts two jobs.

        Returns
        -------
        str
            The job id (a UUID), for :meth:`wait` or :meth:`job`.

        Examples
        --------
        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import BackgroundServer, ServerConfig
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> with BackgroundServer(config) as server:
        ...     with pk.Client(api_key="my-key", base_url=server.url) as client:
        ...         job_id = client.submit_video(video, smoothing=False)
        ...         res = client.wait(job_id, poll_s=0.05)
        >>> len(job_id), res.job.job_id == job_id, res.n_frames
        (36, True, 100)
        >>> folder.cleanup()
        """
        file, url = file_or_url(file, url)
        data = name = None
        if file is not None:
            data, name = read_input(file, "video")
        return self._submit(data, name, url, smoothing=smoothing, callback_url=callback_url)

    def _submit(
        self,
        data: bytes | None,
        name: str | None,
        url: str | None,
        *,
        smoothing: bool,
        callback_url: str | Any | None,
    ) -> str:
        form = {"smoothing": "true" if smoothing else "false"}
        if callback_url is not None:
            form["callback_url"] = str(callback_url)
        if url is not None:
            resp = self._send("POST", "/pose/job", "once", data={"video_url": url, **form})
        else:
            assert data is not None
            if self.check_limits and len(data) > MAX_VIDEO_BYTES:
                raise InputLimitError(
                    f"video {name or '<bytes>'} is {len(data) / 2**20:.1f} MB; uploads are "
                    f"limited to {MAX_VIDEO_BYTES / 2**20:.0f} MB (pass url=... for larger videos "
                    "or re-encode it)"
                )
            files = {"file": (name or "video.mp4", data, "application/octet-stream")}
            resp = self._send("POST", "/pose/job", "once", data=form, files=files)
        try:
            job_id = _submitted_decoder.decode(resp.content).job_id
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise PoseFormatError(
                f"POST {self.base_url}/pose/job answered {resp.content[:100]!r}, expected "
                f'{{"job_id": "<uuid>"}} ({exc})',
                path="$",
            ) from None
        return check_job_id(job_id)

    def _cache_path(self, job_id: str) -> Path | None:
        return self.cache_dir / f"{job_id}.json" if self.cache_dir is not None else None

    def cached(self, job_id: str, /) -> PoseResult | None:
        """The cached result of ``job_id``, or None (no cache, not cached, or unreadable).

        An unreadable cached file is deleted (with a warning in the log), so that the server
        is asked again.

        Parameters
        ----------
        job_id
            The job's id (a UUID; anything else is a ValueError).

        Returns
        -------
        PoseResult or None

        Examples
        --------
        The cache is a folder of ``{job_id}.json`` files; nothing is asked of the server:

        >>> import tempfile
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> folder = tempfile.TemporaryDirectory()
        >>> res.save(f"{folder.name}/{res.job_id}.json")
        >>> client = pk.Client(api_key="my-key", base_url="http://127.0.0.1:9", cache_dir=folder.name)
        >>> client.cached(res.job_id).n_frames
        30
        >>> client.cached("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11") is None
        True
        >>> folder.cleanup()
        """
        path = self._cache_path(check_job_id(job_id))
        if path is None or not path.is_file():
            return None
        try:
            return load(path)
        except Exception as exc:  # any damage: forget it, the server is asked again
            log.warning("ignoring unreadable cached result %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

    def job(
        self, job_id: str, /, *, refresh: bool = False, _deadline_s: float | None = None
    ) -> JobInfo:
        """The state of a video job (``GET /pose/job/{job_id}``), from the cache when there.

        Parameters
        ----------
        job_id
            The job's id (a UUID; anything else is a ValueError).
        refresh
            Ask the server even when the result is cached.
        _deadline_s
            Seconds this call may take at most (used by :meth:`wait`).

        Returns
        -------
        JobInfo
            ``status`` and, for a successful job, ``result``. A successful answer is written
            to ``cache_dir`` before it is parsed.

        Examples
        --------
        A cached result is answered without asking the server:

        >>> import tempfile
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> folder = tempfile.TemporaryDirectory()
        >>> res.save(f"{folder.name}/{res.job_id}.json")
        >>> client = pk.Client(api_key="my-key", base_url="http://127.0.0.1:9", cache_dir=folder.name)
        >>> info = client.job(res.job_id)
        >>> info.status, info.from_cache, info.done, info.result.n_frames
        ('success', True, True, 30)
        >>> folder.cleanup()
        """
        job_id = check_job_id(job_id)
        if not refresh:
            res = self.cached(job_id)
            if res is not None:
                return JobInfo(job_id, "success", from_cache=True, _result=res)
        resp = self._send("GET", f"/pose/job/{job_id}", "idempotent", deadline_s=_deadline_s)
        data = resp.content
        where = f"GET {self.base_url}/pose/job/{job_id}"
        try:
            st = _status_decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise PoseFormatError(f"{where} answered {data[:100]!r}: {exc}", path="$") from None
        if st.status not in STATUSES:
            raise PoseFormatError(
                f"is {st.status!r}, expected one of {', '.join(STATUSES)} ({where})", "$.status"
            )
        if st.status != "success":
            return JobInfo(job_id, st.status, description=st.description)
        path = self._cache_path(job_id)
        if path is not None:
            atomic_write(path, data)  # keep it before anything else can go wrong (a crash)
        try:
            res = self._parse(data, where)
        except PoseFormatError:
            if path is not None:  # a bad answer is not kept: the next call asks again
                path.unlink(missing_ok=True)
            raise
        return JobInfo(job_id, "success", _result=res)

    @renamed(poll="poll_s", max_poll="max_poll_s", timeout="timeout_s")
    def wait(
        self,
        job_id: str,
        /,
        *,
        poll_s: float = 2.0,
        max_poll_s: float = 10.0,
        timeout_s: float | None = 3600.0,
        progress: bool | None = None,
        _stop: threading.Event | None = None,
    ) -> PoseResult:
        """Poll a job until it ends and return its result.

        Parameters
        ----------
        job_id
            The job's id (a UUID; anything else is a ValueError).
        poll_s, max_poll_s
            First and longest interval between polls, in seconds (each wait is 1.5 times the
            previous one).
        timeout_s
            Seconds to wait in all (None: no limit).
        progress
            Show a progress line (status and elapsed time); None (default): only in a terminal
            or notebook.
        _stop
            An event that stops the waiting (with :class:`~posekit.errors.JobNotReadyError`)
            when set; used by :meth:`analyze_videos`.

        Returns
        -------
        PoseResult
            The video result.

        Raises
        ------
        JobFailedError
            The job failed; ``description`` holds the server's reason.
        JobNotFoundError
            Unknown job id, or a result older than 7 days.
        JobTimeoutError
            Still not done after ``timeout_s`` seconds (a ``TimeoutError``; the job goes on:
            call ``wait(job_id)`` again to resume).

        Examples
        --------
        A result in ``cache_dir`` is returned at once (see :meth:`submit_video` for a wait on
        a running server):

        >>> import tempfile
        >>> import posekit as pk
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> folder = tempfile.TemporaryDirectory()
        >>> res.save(f"{folder.name}/{res.job_id}.json")
        >>> client = pk.Client(api_key="my-key", base_url="http://127.0.0.1:9", cache_dir=folder.name)
        >>> client.wait(res.job_id).keypoints().equals(res.keypoints())
        True
        >>> folder.cleanup()
        """
        from tqdm.auto import tqdm

        poll, max_poll, timeout = poll_s, max_poll_s, timeout_s
        job_id = check_job_id(job_id)
        start = time.monotonic()
        interval = poll
        bar = tqdm(
            desc=f"job {job_id[:8]}",
            bar_format="{desc}: {postfix} [{elapsed}]",
            disable=not shows_progress(progress),
            leave=False,
        )
        try:
            status = None  # the last status seen
            while True:
                left = None if timeout is None else timeout - (time.monotonic() - start)
                try:
                    if left is not None and left <= 0:
                        raise APITimeoutError("no time left")
                    info = self.job(job_id, _deadline_s=left)
                except APITimeoutError as exc:
                    if timeout is not None and time.monotonic() - start >= timeout - 0.05:
                        raise JobTimeoutError(
                            f"job {job_id}: still {status or 'unknown'} after {timeout:g} s "
                            f"({exc}); it goes on on the server: resume with "
                            f"client.wait({job_id!r})",
                            job_id=job_id,
                            status=status,
                        ) from None
                    raise
                status = info.status
                bar.set_postfix_str(info.status, refresh=True)
                if info.done:
                    return info.result
                elapsed = time.monotonic() - start
                if timeout is not None and elapsed + interval > timeout:
                    raise JobTimeoutError(
                        f"job {job_id} is still {info.status} after {elapsed:.0f} s; it goes on "
                        f"on the server: resume with client.wait({job_id!r})",
                        job_id=job_id,
                        status=info.status,
                    )
                if _stop is not None:
                    if _stop.wait(interval):
                        raise JobNotReadyError(
                            f"stopped waiting for job {job_id} ({info.status})",
                            job_id=job_id,
                            status=info.status,
                        )
                else:
                    time.sleep(interval)
                interval = min(max_poll, interval * 1.5)
        finally:
            bar.close()

    @renamed(poll="poll_s", max_poll="max_poll_s", timeout="timeout_s")
    def analyze_video(
        self,
        file: FileInput | None = None,
        /,
        *,
        url: str | None = None,
        smoothing: bool = True,
        callback_url: str | Any | None = None,
        poll_s: float = 2.0,
        max_poll_s: float = 10.0,
        timeout_s: float | None = 3600.0,
        progress: bool | None = None,
    ) -> PoseResult:
        """:meth:`submit_video` then :meth:`wait`; the result's ``source`` is the video.

        With a ``cache_dir``, the same video (same bytes or URL, same ``smoothing``) is never
        uploaded twice: a second call, e.g. after an interruption or a restart, waits for the
        job the first one started (or reads its cached result). A failed or expired job is
        submitted again. If waiting fails, the error carries the job id in a note.

        Parameters
        ----------
        file
            A path, the video bytes or a binary file object (at most 50 MB); a string starting
            with ``http://``/``https://`` is taken as ``url``.
        url
            A video on the web (http or https, no redirects) for the server to fetch.
        smoothing
            Let the server smooth keypoints between frames.
        callback_url
            Called once by the server when the job ends (see :meth:`submit_video`).
        poll_s, max_poll_s, timeout_s, progress
            As for :meth:`wait` (seconds).

        Returns
        -------
        PoseResult
            The video result, its ``source`` the file or URL.

        Examples
        --------
        With a cache, the second call uploads nothing: it finds the job the first one started.

        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import BackgroundServer, ServerConfig
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> with BackgroundServer(config) as server:
        ...     client = pk.Client(api_key="my-key", base_url=server.url, cache_dir=folder.name)
        ...     first = client.analyze_video(video, poll_s=0.05)
        ...     again = client.analyze_video(video, poll_s=0.05)
        ...     jobs = server.app.state.runner.store.count("success")
        >>> first.n_frames, again.job_id == first.job_id, jobs
        (100, True, 1)
        >>> folder.cleanup()
        """
        return run_video(
            self,
            file,
            url,
            smoothing=smoothing,
            callback_url=callback_url,
            poll=poll_s,
            max_poll=max_poll_s,
            timeout=timeout_s,
            progress=progress,
        )

    @renamed(poll="poll_s", max_poll="max_poll_s", timeout="timeout_s")
    def analyze_videos(
        self,
        videos: Sequence[FileInput],
        /,
        *,
        smoothing: bool = True,
        max_workers: int = 4,
        poll_s: float = 2.0,
        max_poll_s: float = 10.0,
        timeout_s: float | None = 3600.0,
        progress: bool | None = None,
    ) -> list[VideoOutcome]:
        """Analyse several videos at once; one failing never loses the others' results.

        Parameters
        ----------
        videos
            Paths, bytes, file objects or URLs (strings starting with ``http(s)://``).
        max_workers
            Videos in flight at the same time.

        Returns
        -------
        list of VideoOutcome
            One per video, in order: ``result`` or ``error``, and the ``job_id`` once known (so
            an unfinished job can be resumed with :meth:`wait`). Interrupting (Ctrl-C) stops
            the waiting and returns what finished; unfinished items carry a
            :class:`~posekit.errors.JobNotReadyError`. With a ``cache_dir``, running the same
            batch again uploads nothing that was already submitted (see :meth:`analyze_video`).

        Examples
        --------
        A real video and bytes that are no video: the second job fails, the first is kept.

        >>> import tempfile
        >>> import posekit as pk
        >>> from posekit.server import BackgroundServer, ServerConfig
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> with BackgroundServer(config) as server:
        ...     with pk.Client(api_key="my-key", base_url=server.url) as client:
        ...         outcomes = client.analyze_videos([video, b"not a video"], poll_s=0.05)
        >>> [(o.ok, type(o.error).__name__) for o in outcomes]
        [(True, 'NoneType'), (False, 'JobFailedError')]
        >>> outcomes[0].result.n_frames
        100
        >>> folder.cleanup()
        """
        return run_batch(
            self,
            videos,
            smoothing=smoothing,
            max_workers=max_workers,
            poll=poll_s,
            max_poll=max_poll_s,
            timeout=timeout_s,
            progress=progress,
        )
