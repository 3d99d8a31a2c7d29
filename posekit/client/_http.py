"""HTTP transport of the client: Kakao error bodies to typed exceptions, and safe retries.

Which failures are retried depends on what a repeat could do to the server (``Safety``):

* ``"idempotent"`` (``GET /pose/job/{id}``): connection errors, timeouts, resets, 429 and 5xx.
* ``"stateless"`` (``POST /pose``, an image: nothing is kept server-side): failures to connect,
  429, and 502/503/504 (gateway answers: the request never reached the service).
* ``"once"`` (``POST /pose/job``, a video upload that creates a job): only failures to connect
  (nothing was sent) and 429 (the request was refused, not accepted). Any other answer, a reset
  or a read timeout after the body went out is final: a second upload could start a second job.

Every call has a total deadline (retries and waits included) that a server dripping its answer
cannot stretch: the sockets of the call are registered with a :class:`posekit._deadline.Transfer`
and shut down when it expires. Answers are read up to a maximum size.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

from posekit._deadline import DeadlineError, Transfer
from posekit._renamed import renamed
from posekit.errors import (
    AnswerTooLargeError,
    APIConnectionError,
    APITimeoutError,
    AuthError,
    InvalidRequestError,
    MaintenanceError,
    PermissionDeniedError,
    PoseAPIError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    ServiceTerminatedError,
)
from posekit.schema import ErrorBody

__all__ = [
    "KAKAO_ERRORS",
    "DeadlineAdapter",
    "RetryPolicy",
    "Safety",
    "error_from_response",
    "send",
]

log = logging.getLogger("posekit.client")

Safety = Literal["idempotent", "stateless", "once"]

#: Kakao-wide error codes and the exception each becomes.
KAKAO_ERRORS: dict[int, type[PoseAPIError]] = {
    -1: ServerError,
    -2: InvalidRequestError,
    -3: PermissionDeniedError,
    -4: PermissionDeniedError,
    -5: PermissionDeniedError,
    -7: MaintenanceError,
    -8: InvalidRequestError,
    -9: ServiceTerminatedError,
    -10: QuotaExceededError,
    -11: QuotaExceededError,
    -12: PermissionDeniedError,
    -401: AuthError,
}
_BY_STATUS: dict[int, type[PoseAPIError]] = {
    400: InvalidRequestError,
    401: AuthError,
    403: PermissionDeniedError,
    429: RateLimitError,
}
_RETRY_STATUS: dict[Safety, frozenset[int]] = {
    "idempotent": frozenset({429, 500, 502, 503, 504}),
    "stateless": frozenset({429, 502, 503, 504}),
    "once": frozenset({429}),
}
_error_decoder = msgspec.json.Decoder(ErrorBody)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (see the module notes for *what* is retried).

    Parameters
    ----------
    retries
        Retries after the first attempt.
    backoff_s
        First delay in seconds; doubles with each retry, up to ``max_backoff_s``, and is
        jittered to between half and all of that.
    max_retry_after_s
        The longest ``Retry-After`` (seconds) the client waits for; a longer one is raised as
        :class:`~posekit.errors.RateLimitError` with ``retry_after`` set.

    max_backoff_s
        The longest delay between two attempts, in seconds (before jitter).

    The old names ``backoff=``, ``max_backoff=`` and ``max_retry_after=`` still work,
    deprecated.

    Examples
    --------
    >>> from posekit.client import RetryPolicy
    >>> policy = RetryPolicy(retries=5, backoff_s=0.5, max_backoff_s=4.0)
    >>> [policy.delay(attempt, rng=lambda: 1.0) for attempt in range(5)]  # no jitter
    [0.5, 1.0, 2.0, 4.0, 4.0]
    """

    retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 60.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt + 1``.

        ``backoff_s * 2 ** attempt``, at most ``max_backoff_s``, times a jitter between 0.5
        and 1.

        Parameters
        ----------
        attempt
            Retries made so far (0 before the first retry).
        rng
            Gives a number in [0, 1) for the jitter (0 gives half the delay, 1 all of it).

        Returns
        -------
        float
            Seconds.

        Examples
        --------
        >>> from posekit.client import RetryPolicy
        >>> policy = RetryPolicy(backoff_s=0.5)
        >>> policy.delay(2, rng=lambda: 1.0), policy.delay(2, rng=lambda: 0.0)
        (2.0, 1.0)
        >>> 1.0 <= policy.delay(2) <= 2.0
        True
        """
        base = min(self.max_backoff_s, self.backoff_s * 2.0**attempt)
        return base * (0.5 + 0.5 * rng())


RetryPolicy.__init__ = renamed(  # type: ignore[method-assign]
    backoff="backoff_s", max_backoff="max_backoff_s", max_retry_after="max_retry_after_s"
)(RetryPolicy.__init__)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(resp: requests.Response) -> PoseAPIError:
    """The typed exception for a non-2xx answer (Kakao's ``{"code", "msg"}`` body or other).

    Kakao's error code chooses the class (:data:`KAKAO_ERRORS`), else the HTTP status (5xx:
    :class:`~posekit.errors.ServerError`); a 429 carries its ``Retry-After`` in seconds.

    Parameters
    ----------
    resp
        The answer, its body not yet read or read.

    Returns
    -------
    PoseAPIError
        The exception to raise (it is not raised here).

    Examples
    --------
    >>> import io
    >>> import requests
    >>> from posekit.client import error_from_response
    >>> resp = requests.Response()
    >>> resp.status_code, resp.url = 401, "https://cv-api.kakaobrain.com/pose"
    >>> resp.raw = io.BytesIO(b'{"code": -401, "msg": "wrong appKey"}')
    >>> err = error_from_response(resp)
    >>> type(err).__name__, err.status, err.code, err.msg
    ('AuthError', 401, -401, 'wrong appKey')
    """
    status = resp.status_code
    method = resp.request.method if resp.request is not None else None
    url = resp.url
    body = resp.content or b""
    code: int | None = None
    try:
        err = _error_decoder.decode(body)
        code, msg = err.code, err.msg
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        head = body[:200].decode("utf-8", "replace").strip()
        reason = resp.reason or "error"
        msg = f"{reason}; body: {head!r}" if head else f"{reason} (empty body)"
    if code is not None and code in KAKAO_ERRORS:
        cls = KAKAO_ERRORS[code]
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, PoseAPIError)
    kwargs: dict[str, Any] = {"status": status, "code": code, "method": method, "url": url}
    if status == 429 and cls is RateLimitError:
        return RateLimitError(
            msg, retry_after=retry_after_seconds(resp.headers.get("Retry-After")), **kwargs
        )
    return cls(msg, **kwargs)


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request failed before any byte reached the server (connect phase)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(
            reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        )
    return False


_current = threading.local()  # the Transfer of the call this thread is making


def _attach(sock: Any) -> None:
    transfer = getattr(_current, "transfer", None)
    if transfer is not None and sock is not None:
        transfer.attach(sock)


class _Conn(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:  # a kept-alive connection, reused
        _attach(self.sock)
        super().request(*args, **kwargs)


class _TLSConn(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self.sock)
        super().request(*args, **kwargs)


class _Pool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _Conn


class _TLSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _TLSConn


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """A ``requests`` adapter whose sockets obey the deadline of the call being made."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


def mount_deadlines(session: requests.Session) -> bool:
    """Give ``session`` deadline adapters where it has plain ones; True if both schemes have."""
    ok = True
    for prefix in ("https://", "http://"):
        current = session.get_adapter(prefix + "example.org")
        if isinstance(current, DeadlineAdapter):
            continue
        if type(current) is requests.adapters.HTTPAdapter:
            session.mount(prefix, DeadlineAdapter(max_retries=current.max_retries))
        else:  # the user's own adapter: leave it (deadlines then hold between reads only)
            ok = False
    return ok


def _read_body(resp: requests.Response, max_bytes: int | None, transfer: Transfer) -> None:
    """Read the answer into ``resp`` (its ``content``), at most ``max_bytes``."""
    length = resp.headers.get("Content-Length", "")
    if max_bytes is not None and length.isdigit() and int(length) > max_bytes:
        resp.close()
        raise AnswerTooLargeError(
            f"the answer is {int(length)} bytes, more than the client accepts "
            f"({max_bytes}; Client(max_answer_bytes=...))",
            status=resp.status_code,
        )
    transfer.body_started()
    parts: list[bytes] = []
    n = 0
    for chunk in resp.iter_content(64 * 1024):
        n += len(chunk)
        if max_bytes is not None and n > max_bytes:
            resp.close()
            raise AnswerTooLargeError(
                f"the answer is more than {max_bytes} bytes, more than the client accepts "
                "(Client(max_answer_bytes=...))",
                status=resp.status_code,
            )
        parts.append(chunk)
    transfer.check()
    resp._content = b"".join(parts)
    resp._content_consumed = True


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    safety: Safety,
    policy: RetryPolicy,
    timeout: float | tuple[float, float],
    sleep: Callable[[float], Any] = time.sleep,
    deadline_s: float | None = None,
    max_bytes: int | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One API call with the retries ``safety`` allows; returns a 2xx answer or raises.

    ``deadline_s`` bounds the whole call, retries and waits included, whatever the server
    does; ``max_bytes`` the answer's size.

    Raises
    ------
    PoseAPIError
        The typed error of the last answer (:class:`AuthError`, :class:`QuotaExceededError`...).
    APIConnectionError, APITimeoutError
        No answer came (after the allowed retries), or not within ``deadline_s``.
    AnswerTooLargeError
        The answer is larger than ``max_bytes``.
    """
    attempt = 0
    end = None if deadline_s is None else time.monotonic() + deadline_s
    while True:
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            raise APITimeoutError(
                f"no answer within the call's deadline of {deadline_s:g} s", method=method, url=url
            )
        transfer = Transfer(f"{method} {url}", total_s=left if left is not None else 1e9)
        _current.transfer = transfer
        try:
            with transfer:
                resp = session.request(method, url, timeout=timeout, stream=True, **kwargs)
                try:
                    _read_body(resp, max_bytes, transfer)
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                    resp.close()
                    if transfer.reason is not None:
                        raise DeadlineError(transfer.reason) from exc
                    raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,  # answer cut off mid-body
            DeadlineError,
        ) as exc:
            if transfer.reason is not None or isinstance(exc, DeadlineError):
                raise APITimeoutError(
                    f"no complete answer within the call's deadline of {deadline_s:g} s"
                    + _once_note(safety, exc),
                    method=method,
                    url=url,
                ) from None
            may_retry = safety == "idempotent" or _nothing_sent(exc)
            if not may_retry or attempt >= policy.retries:
                raise _connection_error(exc, method, url, safety) from exc
            wait = policy.delay(attempt)
            log.info("%s %s: %s; retry %d in %.2f s", method, url, exc, attempt + 1, wait)
        else:
            if resp.ok:
                return resp
            err = error_from_response(resp)
            if resp.status_code not in _RETRY_STATUS[safety] or attempt >= policy.retries:
                raise err
            advised = retry_after_seconds(resp.headers.get("Retry-After"))
            if advised is not None and advised > policy.max_retry_after_s:
                raise err
            wait = advised if advised is not None else policy.delay(attempt)
            log.info(
                "%s %s: HTTP %d; retry %d in %.2f s",
                method,
                url,
                resp.status_code,
                attempt + 1,
                wait,
            )
            resp.close()
        finally:
            _current.transfer = None
        if end is not None and time.monotonic() + wait > end:
            raise APITimeoutError(
                f"no answer within the call's deadline of {deadline_s:g} s (a retry would "
                "come after it)",
                method=method,
                url=url,
            )
        sleep(wait)
        attempt += 1


def _once_note(safety: Safety, exc: BaseException) -> str:
    if safety == "once" and not (isinstance(exc, requests.RequestException) and _nothing_sent(exc)):
        return (
            "; the upload may have reached the server and started a job, so it was not sent "
            "again: check before resubmitting"
        )
    return ""


def _connection_error(
    exc: requests.RequestException, method: str, url: str, safety: Safety
) -> APIConnectionError:
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
    timed_out = isinstance(exc, requests.Timeout) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    )
    what = "timed out" if timed_out else "failed"
    msg = f"connection {what}: {exc}"
    if safety == "once" and not _nothing_sent(exc):
        msg += (
            "; the upload may have reached the server and started a job, so it was not sent "
            "again: check before resubmitting"
        )
    cls = APITimeoutError if timed_out else APIConnectionError
    return cls(msg, method=method, url=url)
