"""A local receiver for the API's job callback (``callback_url``), for a notebook session.

The API calls ``callback_url`` once when a job ends, with the job answer (the same JSON as
``GET /pose/job/{job_id}``) as body, and never retries. The receiver answers at once, keeps the
body (and writes successful results into ``cache_dir`` before anything else), and parses it
when asked.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgspec

from posekit._renamed import renamed
from posekit.errors import PoseFormatError
from posekit.io import atomic_write, load
from posekit.result import PoseResult

__all__ = ["CallbackReceiver", "Delivery", "callback_receiver", "parse_callback"]

_MAX_BODY = 512 * 1024 * 1024


class _Head(msgspec.Struct):
    status: str | None = None
    job_id: str | None = None


def parse_callback(body: bytes) -> PoseResult:
    """The :class:`PoseResult` of a callback body (a job answer); raises like :func:`load`.

    Parameters
    ----------
    body
        The callback request's body: the JSON of the job answer.

    Returns
    -------
    PoseResult
        The video result of a successful job.

    Raises
    ------
    JobFailedError, JobNotFoundError, JobNotReadyError
        The body is the answer of a job that did not succeed.
    PoseFormatError
        The body is not a valid job answer.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.client import parse_callback
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
    >>> parse_callback(res.to_json()).n_frames
    30
    >>> try:
    ...     parse_callback(b'{"job_id": "j1", "status": "failed", "description": "not a video"}')
    ... except pk.JobFailedError as err:
    ...     print(err)
    job j1 failed: not a video
    """
    try:
        return load(body)
    except (RecursionError, OverflowError, MemoryError, TypeError) as exc:
        raise PoseFormatError(f"callback body cannot be read: {type(exc).__name__}", "$") from None


@dataclass(frozen=True)
class Delivery:
    """One callback request as it arrived.

    Parameters
    ----------
    job_id, status
        The job's id and status read from the body (None when it is not a job answer).
    body
        The request's body, as received.
    received_at
        When it arrived, in seconds since the epoch.

    Examples
    --------
    >>> import time
    >>> import posekit as pk
    >>> from posekit.client import Delivery
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
    >>> delivery = Delivery(res.job_id, "success", res.to_json(), time.time())
    >>> delivery.status, delivery.result().n_frames
    ('success', 30)
    """

    job_id: str | None
    status: str | None
    body: bytes
    received_at: float

    def result(self) -> PoseResult:
        """The delivered result (:func:`parse_callback`), its ``source`` naming the job.

        Raises
        ------
        JobFailedError, JobNotFoundError, PoseFormatError
            The delivered payload is a failed job, or not a valid result.

        Examples
        --------
        >>> import time
        >>> import posekit as pk
        >>> from posekit.client import Delivery
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> delivery = Delivery(res.job_id, "success", res.to_json(), time.time())
        >>> delivery.result().source == f"callback for job {res.job_id}"
        True
        """
        return parse_callback(self.body).replace(source=f"callback for job {self.job_id}")


class CallbackReceiver:
    """A running callback receiver; ``str(receiver)`` (or ``.url``) is the ``callback_url``.

    Made and run by :func:`callback_receiver`; ``deliveries`` lists what arrived, in order.

    Parameters
    ----------
    url
        The URL the API should call.
    cache_dir
        Where successful results are written (``{job_id}.json``) as they arrive; None: nowhere.

    Examples
    --------
    What the API does when a job ends, done here by hand: POST the job answer to the URL.

    >>> import requests
    >>> import posekit as pk
    >>> from posekit.client import callback_receiver
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
    >>> with callback_receiver() as receiver:
    ...     answer = requests.post(str(receiver), data=res.to_json(), timeout=5)
    ...     delivery = receiver.wait_delivery(res.job_id, timeout_s=5)
    >>> answer.status_code, delivery.status, len(receiver.deliveries)
    (200, 'success', 1)
    """

    def __init__(self, url: str, cache_dir: Path | None) -> None:
        self.url = url
        self.cache_dir = cache_dir
        self.deliveries: list[Delivery] = []
        self._cond = threading.Condition()

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"CallbackReceiver({self.url!r}, {len(self.deliveries)} received)"

    def _deliver(self, body: bytes) -> None:
        try:
            head = msgspec.json.decode(body, type=_Head)
            job_id, status = head.job_id, head.status
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            job_id = status = None
        if status == "success" and self.cache_dir is not None and job_id and _safe_name(job_id):
            atomic_write(self.cache_dir / f"{job_id}.json", body)
        with self._cond:
            self.deliveries.append(Delivery(job_id, status, body, time.time()))
            self._cond.notify_all()

    @renamed(timeout="timeout_s")
    def wait(self, job_id: str | None = None, /, *, timeout_s: float | None = None) -> PoseResult:
        """Block until the callback of ``job_id`` (or any job) arrives; return its result.

        Parameters
        ----------
        job_id
            The job to wait for; None: the first callback of any job.
        timeout_s
            Seconds to wait at most (None: no limit).

        Returns
        -------
        PoseResult
            The delivered result, its ``source`` naming the job.

        Raises
        ------
        TimeoutError
            Nothing arrived within ``timeout_s`` seconds (``timeout=`` is the old name,
            deprecated).
        JobFailedError, JobNotFoundError, PoseFormatError
            The delivered payload is a failed job, or not a valid result.

        Examples
        --------
        >>> import threading
        >>> import requests
        >>> import posekit as pk
        >>> from posekit.client import callback_receiver
        >>> res = pk.synth.generate("walk", duration_s=1, fps=30).result
        >>> with callback_receiver() as receiver:  # the API calls it later, from elsewhere
        ...     later = threading.Timer(0.05, requests.post, (str(receiver),), {"data": res.to_json()})
        ...     later.start()
        ...     got = receiver.wait(res.job_id, timeout_s=5)
        ...     later.join()
        >>> got.n_frames, got.keypoints().equals(res.keypoints())
        (30, True)
        """
        return self.wait_delivery(job_id, timeout_s=timeout_s).result()

    @renamed(timeout="timeout_s")
    def wait_delivery(
        self, job_id: str | None = None, /, *, timeout_s: float | None = None
    ) -> Delivery:
        """Block until the callback of ``job_id`` (or any job) arrives; return the delivery.

        Parameters
        ----------
        job_id
            The job to wait for; None: the first callback of any job.
        timeout_s
            Seconds to wait at most (None: no limit).

        Returns
        -------
        Delivery
            The request as it arrived (not parsed: see :meth:`Delivery.result`).

        Raises
        ------
        TimeoutError
            Nothing arrived within ``timeout_s`` seconds.
        PoseFormatError
            The body that arrived is not a job answer (it names no ``job_id``).

        Examples
        --------
        >>> from posekit.client import CallbackReceiver
        >>> receiver = CallbackReceiver("http://127.0.0.1:8008/cb", None)  # not listening
        >>> try:
        ...     receiver.wait_delivery(timeout_s=0.01)
        ... except TimeoutError as err:
        ...     print(err)
        no callback for any job at http://127.0.0.1:8008/cb within 0.01 s
        """
        timeout = timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout

        def found() -> Delivery | None:
            for d in self.deliveries:
                if job_id is None or d.job_id == job_id:
                    return d
            return None

        with self._cond:
            while (d := found()) is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    who = f"job {job_id}" if job_id else "any job"
                    raise TimeoutError(f"no callback for {who} at {self.url} within {timeout} s")
                self._cond.wait(left)
        if d.job_id is None:
            raise PoseFormatError(f"callback body is not a job answer: {d.body[:100]!r}", "$")
        return d

    def results(self) -> dict[str, PoseResult]:
        """The successful results received so far, by job id."""
        with self._cond:
            done = [d for d in self.deliveries if d.status == "success" and d.job_id]
        return {d.job_id: d.result() for d in done if d.job_id}


def _safe_name(job_id: str) -> bool:
    return all(c.isalnum() or c == "-" for c in job_id) and 0 < len(job_id) <= 64


def _handler(receiver: CallbackReceiver, path: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet in notebooks
            pass

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                parts: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            if n > _MAX_BODY:
                raise ValueError("body too large")
            return self.rfile.read(n)

        def do_POST(self) -> None:
            if self.path.split("?")[0] != path:
                self._answer(404, b'{"msg": "not found"}')
                return
            body = self._read_body()
            receiver._deliver(body)
            self._answer(200, b'{"ok": true}')

    return Handler


@contextmanager
def callback_receiver(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    public_url: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Iterator[CallbackReceiver]:
    """Run a callback receiver in a background thread for the duration of a ``with`` block.

    Parameters
    ----------
    host, port
        Where to listen; port 0 picks a free one. Kakao's servers cannot reach 127.0.0.1: use
        it with the posekit server, or expose the port (tunnel) and give its ``public_url``.
    public_url
        The URL the API should call, when it differs from the local address (a tunnel); the
        receiver's secret path is appended.
    cache_dir
        Write successful results here (``{job_id}.json``) as they arrive, for
        ``Client(cache_dir=...)`` to find.

    Yields
    ------
    CallbackReceiver
        Pass it as ``callback_url``; ``receiver.wait(job_id)`` returns the result.

    Examples
    --------
    >>> with posekit.callback_receiver() as cb:  # doctest: +SKIP
    ...     job_id = client.submit_video("clip.mp4", callback_url=cb)
    ...     res = cb.wait(job_id, timeout_s=600)
    """
    path = f"/posekit-callback/{secrets.token_urlsafe(12)}"
    receiver = CallbackReceiver("", Path(cache_dir) if cache_dir is not None else None)
    server = ThreadingHTTPServer((host, port), _handler(receiver, path))
    server.daemon_threads = True
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    base = public_url.rstrip("/") if public_url else f"http://{bound_host}:{bound_port}"
    receiver.url = base + path
    thread = threading.Thread(target=server.serve_forever, name="posekit-callback", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
