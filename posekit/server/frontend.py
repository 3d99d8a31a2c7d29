"""The HTTP front end's defences against slow and half-open clients.

uvicorn alone waits forever for a request's headers and body, keeps every connection it
accepts, and logs each broken one. Here:

* :func:`protocol_class` — uvicorn's h11 protocol with a deadline for a request's headers
  (from the first byte of the connection, or the end of the previous answer), and a cap on the
  connections held: beyond it the oldest *idle* one (no request being answered) is closed, so
  half-open connections cannot keep real clients out.
* :class:`BodyDeadline` — an ASGI middleware that bounds the silence while a body arrives and
  asks for a minimum average rate; a slow upload is answered 408 and its connection closed.
* :class:`RateLimitedLog` — connections closed for these reasons are counted and logged once a
  minute, never one line (or traceback) per connection.

For exposure to the internet, put the server behind a reverse proxy as well (``docs/server.md``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

__all__ = ["BodyDeadline", "RateLimitedLog", "SlowClientError", "protocol_class", "raise_fd_limit"]

log = logging.getLogger("posekit.server")


class RateLimitedLog:
    """Counts events by kind and logs the counts at most once every ``every_s`` seconds.

    Parameters
    ----------
    every_s
        Seconds between two log lines at least.

    Examples
    --------
    >>> from posekit.server.frontend import RateLimitedLog
    >>> drops = RateLimitedLog(every_s=0)  # a log line at every event
    >>> for _ in range(3):
    ...     drops.count("for a stalled request body")
    >>> drops.totals, drops.counts  # counts since the last log line
    ({'for a stalled request body': 3}, {})
    """

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self.counts: dict[str, int] = {}
        self.totals: dict[str, int] = {}
        self._last = 0.0

    def count(self, kind: str) -> None:
        """Count one event of ``kind``; log the counts if ``every_s`` has passed.

        A log line reports the counts since the previous one (``counts`` is then cleared);
        ``totals`` keeps counting.

        Parameters
        ----------
        kind
            What happened, in words that follow "N ..." in the log line.

        Examples
        --------
        >>> import time
        >>> from posekit.server.frontend import RateLimitedLog
        >>> drops = RateLimitedLog(every_s=time.monotonic() + 3600)  # never logs here
        >>> drops.count("for a slow header")
        >>> drops.count("for a slow header")
        >>> drops.counts, drops.totals
        ({'for a slow header': 2}, {'for a slow header': 2})
        """
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.totals[kind] = self.totals.get(kind, 0) + 1
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            what = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
            log.warning("connections closed since the last report: %s", what)
            self.counts.clear()


DROPS = RateLimitedLog()


class SlowClientError(Exception):
    """A request body arrived too slowly (answered 408, connection closed).

    Examples
    --------
    >>> import asyncio
    >>> from posekit.server.frontend import BodyDeadline, SlowClientError
    >>> async def app(scope, receive, send):
    ...     await receive()
    >>> async def stalled():  # a client that stops sending its body
    ...     await asyncio.sleep(10)
    >>> try:
    ...     asyncio.run(BodyDeadline(app, idle_s=0.01, min_rate_bytes_s=0)({"type": "http"}, stalled, None))
    ... except SlowClientError as err:
    ...     print(err)
    the request body stalled for more than 0.01 s
    """


def protocol_class(*, header_timeout_s: float, max_connections: int) -> type:
    """uvicorn's h11 protocol with a header deadline and a connection cap (see the module).

    Parameters
    ----------
    header_timeout_s
        Seconds a client has to send a request's headers (from the connection's first byte,
        or from the end of the previous answer).
    max_connections
        Connections held at most; beyond it the oldest idle one is closed.

    Returns
    -------
    type
        A subclass of uvicorn's ``H11Protocol``, for ``uvicorn.Config(http=...)``.

    Examples
    --------
    >>> from posekit.server.frontend import protocol_class
    >>> cls = protocol_class(header_timeout_s=10.0, max_connections=512)
    >>> cls.header_timeout_s, cls.max_connections, cls.__mro__[2].__name__
    (10.0, 512, 'H11Protocol')
    """
    from posekit.server._h11guard import GuardedH11Protocol

    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout_s": header_timeout_s,
            "max_connections": max_connections,
            "born": {},  # open connections of this server, oldest first
            "drops": DROPS,
        },
    )


class BodyDeadline:
    """ASGI middleware: a request body must keep coming.

    No pause longer than ``idle_s``, and ``min_rate_bytes_s`` on average after its first
    ``idle_s`` seconds; otherwise the app's ``receive()`` raises :class:`SlowClientError`.

    Parameters
    ----------
    app
        The ASGI application to guard.
    idle_s
        The longest pause, in seconds, between two parts of a body.
    min_rate_bytes_s
        The slowest average rate accepted after the first ``idle_s`` seconds (0: none).

    Examples
    --------
    >>> import asyncio
    >>> from posekit.server.frontend import BodyDeadline
    >>> async def app(scope, receive, send):  # reads the body, prints its size
    ...     message = await receive()
    ...     print(len(message["body"]))
    >>> async def client():
    ...     return {"type": "http.request", "body": b"0123456789", "more_body": False}
    >>> asyncio.run(BodyDeadline(app, idle_s=1.0, min_rate_bytes_s=1024)({"type": "http"}, client, None))
    10
    """

    def __init__(self, app: Any, *, idle_s: float, min_rate_bytes_s: float) -> None:
        self.app = app
        self.idle_s = idle_s
        self.min_rate = min_rate_bytes_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """The ASGI entry point: pass the request on with a deadline-checking ``receive``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        state = {"n": 0, "done": False}

        async def guarded() -> dict:
            if state["done"]:  # the body is in: later calls wait for a disconnect, unbounded
                return await receive()  # type: ignore[no-any-return]
            try:
                message = await asyncio.wait_for(receive(), self.idle_s)
            except asyncio.TimeoutError:
                DROPS.count("for a stalled request body")
                raise SlowClientError(
                    f"the request body stalled for more than {self.idle_s:g} s"
                ) from None
            if message["type"] == "http.request":
                state["n"] += len(message.get("body", b""))
                state["done"] = not message.get("more_body", False)
                elapsed = time.monotonic() - start
                if (
                    not state["done"]
                    and self.min_rate > 0
                    and elapsed > self.idle_s
                    and state["n"] < self.min_rate * (elapsed - self.idle_s)
                ):
                    DROPS.count("for a too slow request body")
                    raise SlowClientError(
                        f"the request body arrived too slowly (at least "
                        f"{self.min_rate:.0f} bytes/s needed)"
                    )
            return message  # type: ignore[no-any-return]

        await self.app(scope, guarded, send)


def raise_fd_limit(want: int = 65536) -> int:
    """Raise this process's open-file limit towards ``want`` (up to the hard limit).

    Returns the soft limit now in force. A limit already higher is left as it is. Unix only.

    Parameters
    ----------
    want
        The soft limit wanted (open files).

    Returns
    -------
    int
        The soft limit in force.

    Examples
    --------
    >>> import resource
    >>> from posekit.server.frontend import raise_fd_limit
    >>> soft = raise_fd_limit(1024)
    >>> soft == resource.getrlimit(resource.RLIMIT_NOFILE)[0], soft >= 1024
    (True, True)
    """
    import resource  # Unix only

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft)
