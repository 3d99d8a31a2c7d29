"""uvicorn's h11 protocol with a deadline for request headers and a cap on connections.

Made per server by :func:`posekit.server.frontend.protocol_class`, which sets the class
attributes below.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GuardedH11Protocol"]


class GuardedH11Protocol(H11Protocol):  # type: ignore[misc]
    """uvicorn's h11 protocol with a deadline for headers and a cap on connections.

    A request's headers must arrive within ``header_timeout_s`` (from the first byte of a
    connection, or the end of the previous answer); beyond ``max_connections`` the oldest idle
    connection (no request being answered) is closed.
    """

    header_timeout_s: ClassVar[float] = 10.0
    max_connections: ClassVar[int] = 2048
    born: ClassVar[dict[Any, float]] = {}
    drops: ClassVar[Any] = None
    _header_timer: asyncio.TimerHandle | None = None

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete  # type: ignore[no-any-return]

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _drop(self, why: str) -> None:
        if self.drops is not None:
            self.drops.count(why)
        self._disarm()
        self.transport.abort()

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._idle() and not self.transport.is_closing():
            self._drop("without a request within the header deadline")

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.born[self] = time.monotonic()
        self._arm()
        if len(self.born) > self.max_connections:
            victim = next((c for c in self.born if c is not self and c._idle()), None)
            if victim is None:  # every connection is being answered: refuse this one
                victim = self
            self.born.pop(victim, None)  # (its connection_lost comes later)
            victim._drop("over the connection limit")

    def data_received(self, data: bytes) -> None:
        if self._idle():
            self._arm()  # a new request starts: its headers have a deadline
        super().data_received(data)
        if not self._idle():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers (keep-alive) have one too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.born.pop(self, None)
        super().connection_lost(exc)
