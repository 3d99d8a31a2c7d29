"""Wall-clock deadlines that a slow peer cannot stretch, for outbound HTTP (server and client).

A socket read blocks until *some* byte arrives, so a per-read timeout is no bound on a whole
transfer: a peer sending one byte every few seconds keeps it alive forever. Here every socket
of a transfer is registered with a :class:`Transfer`; one watchdog thread checks the active
transfers a few times a second and shuts down the sockets of any that is past its deadline,
under its minimum rate, or aborted. The blocked read then returns at once.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

__all__ = ["DeadlineError", "Transfer"]

log = logging.getLogger("posekit")


class DeadlineError(OSError):
    """A transfer was stopped: past its deadline, too slow, or aborted."""


class Transfer:
    """The clock of one outbound request: a deadline and a minimum rate that cannot be stretched.

    The sockets a transfer opens are registered with it; a watchdog thread checks every
    active transfer a few times a second and shuts its sockets down when it is past its
    deadline, below its minimum rate, or cancelled (:meth:`abort`). A read blocked on such a
    socket returns at once, whatever the peer does.

    Parameters
    ----------
    what
        The transfer in words (``"GET https://..."``), for the reason it was stopped.
    total_s
        Wall-clock seconds for the whole transfer: connecting, TLS, headers and body.
    min_rate_bytes_s
        From ``grace_s`` seconds after the body started (:meth:`body_started`), at least this
        many bytes per second on average (0: no minimum).
    grace_s
        Seconds after the body started before the minimum rate applies.

    Examples
    --------
    Used as a context manager, the transfer is watched; :meth:`abort` shuts its sockets down,
    and a read blocked on one returns at once:

    >>> import socket
    >>> from posekit._deadline import DeadlineError, Transfer
    >>> ours, peer = socket.socketpair()
    >>> with Transfer("GET http://example.test/video.mp4", total_s=30) as transfer:
    ...     transfer.attach(ours)
    ...     transfer.abort("cancelled by the user")
    ...     print(ours.recv(1024))
    ...     try:
    ...         transfer.check()
    ...     except DeadlineError as err:
    ...         print(err)
    b''
    cancelled by the user
    >>> ours.close(); peer.close()
    """

    def __init__(
        self, what: str, *, total_s: float, min_rate_bytes_s: float = 0.0, grace_s: float = 15.0
    ) -> None:
        self.what = what
        self.total_s = total_s
        self.min_rate = min_rate_bytes_s
        self.grace_s = grace_s
        self.start = time.monotonic()
        self.deadline = self.start + total_s
        self.nbytes = 0
        self.body_start: float | None = None
        self.reason: str | None = None
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        """Register a socket of this transfer, to be shut down when it is stopped.

        A socket attached after the transfer was stopped is shut down at once.

        Parameters
        ----------
        sock
            A connected socket (for TLS, the wrapped socket: the raw one is shut down).

        Examples
        --------
        >>> import socket
        >>> from posekit._deadline import Transfer
        >>> transfer = Transfer("upload", total_s=30)
        >>> transfer.abort("too late")
        >>> ours, peer = socket.socketpair()
        >>> transfer.attach(ours)  # already stopped: shut down at once
        >>> ours.recv(1024)
        b''
        >>> ours.close(); peer.close()
        """
        with self._lock:
            self._socks.append(sock)
            if self.reason is not None:  # already over: do not let it start
                _shut(sock)

    def body_started(self) -> None:
        """Note that the body starts now: the minimum rate counts from here (after the grace).

        Examples
        --------
        >>> from posekit._deadline import Transfer
        >>> transfer = Transfer("download", total_s=60, min_rate_bytes_s=1000)
        >>> transfer.body_start is None
        True
        >>> transfer.body_started()
        >>> transfer.body_start >= transfer.start
        True
        """
        self.body_start = time.monotonic()

    def add(self, n: int) -> None:
        """Count ``n`` more bytes of the body as received (or sent).

        Parameters
        ----------
        n
            Bytes moved by the last read or write.

        Examples
        --------
        >>> from posekit._deadline import Transfer
        >>> transfer = Transfer("download", total_s=60)
        >>> transfer.add(1500); transfer.add(500)
        >>> transfer.nbytes
        2000
        """
        self.nbytes += n

    def overdue(self, now: float) -> str | None:
        """Why this transfer must stop now, or None.

        Parameters
        ----------
        now
            The time to judge at, in seconds of :func:`time.monotonic`.

        Returns
        -------
        str or None
            The reason (past the deadline, or below the minimum rate after the grace), or None
            while the transfer may go on.

        Examples
        --------
        >>> from posekit._deadline import Transfer
        >>> transfer = Transfer("download", total_s=30, min_rate_bytes_s=1000, grace_s=5)
        >>> transfer.overdue(transfer.start + 1) is None
        True
        >>> transfer.overdue(transfer.start + 31)
        'download took more than 30 s'
        >>> transfer.body_started(); transfer.add(2000)
        >>> transfer.overdue(transfer.body_start + 6) is None  # 2000 bytes >= 1000 B/s x 1 s
        True
        >>> transfer.overdue(transfer.body_start + 8)
        'download was too slow (250 bytes/s, at least 1000 bytes/s needed)'
        """
        if now > self.deadline:
            return f"{self.what} took more than {self.total_s:g} s"
        if self.body_start is None or self.min_rate <= 0:
            return None
        elapsed = now - self.body_start
        if elapsed > self.grace_s:
            if self.nbytes < self.min_rate * (elapsed - self.grace_s):
                rate = self.nbytes / elapsed
                return (
                    f"{self.what} was too slow ({rate:.0f} bytes/s, "
                    f"at least {self.min_rate:.0f} bytes/s needed)"
                )
        return None

    def abort(self, reason: str) -> None:
        """Stop the transfer now (from any thread).

        The first reason given is kept; every attached socket is shut down.

        Parameters
        ----------
        reason
            Why it was stopped; :meth:`check` raises :class:`DeadlineError` with it.

        Examples
        --------
        >>> from posekit._deadline import DeadlineError, Transfer
        >>> transfer = Transfer("upload", total_s=30)
        >>> transfer.abort("the job was cancelled")
        >>> transfer.abort("a later reason")
        >>> try:
        ...     transfer.check()
        ... except DeadlineError as err:
        ...     print(err)
        the job was cancelled
        """
        with self._lock:
            if self.reason is None:
                self.reason = reason
            for sock in self._socks:
                _shut(sock)

    def check(self) -> None:
        """Raise :class:`DeadlineError` if the transfer was stopped or is overdue."""
        if self.reason is None:
            reason = self.overdue(time.monotonic())
            if reason is not None:
                self.abort(reason)
        if self.reason is not None:
            raise DeadlineError(self.reason)

    def __enter__(self) -> Transfer:
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.discard(self)


def _shut(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, also under TLS
    except OSError:
        pass


class _Watchdog:
    """One daemon thread that stops overdue transfers (started on first use)."""

    TICK_S = 0.2

    def __init__(self) -> None:
        self._active: set[Transfer] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, t: Transfer) -> None:
        with self._lock:
            self._active.add(t)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="posekit-outbound-watchdog", daemon=True
                )
                self._thread.start()

    def discard(self, t: Transfer) -> None:
        with self._lock:
            self._active.discard(t)

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK_S)
            now = time.monotonic()
            with self._lock:
                active = list(self._active)
            for t in active:
                reason = t.overdue(now)
                if reason is not None and t.reason is None:
                    log.info("stopping an outbound transfer: %s", reason)
                    t.abort(reason)


_WATCHDOG = _Watchdog()
