"""Run the server: in the foreground (``posekit serve``) or in a background thread.

The background thread is for notebooks and tests.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from posekit.server.config import ServerConfig

__all__ = ["BackgroundServer", "serve"]


def uvicorn_options(config: ServerConfig) -> dict[str, Any]:
    """uvicorn settings that resist slow and half-open clients.

    See :mod:`posekit.server.frontend`.
    """
    from posekit.server.frontend import protocol_class, raise_fd_limit

    fds = raise_fd_limit()
    max_connections = max(16, min(config.max_connections, fds - 128))
    return {
        "http": protocol_class(
            header_timeout_s=config.header_timeout_s, max_connections=max_connections
        ),
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers at most
    }


def serve(
    config: ServerConfig, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> None:
    """Serve the API with uvicorn until interrupted."""
    import uvicorn

    from posekit.server.app import create_app

    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        access_log=True,
        **uvicorn_options(config),
    )


class BackgroundServer:
    """The server on a loopback port, in a thread of this process.

    Examples
    --------
    >>> from posekit.server import BackgroundServer, ServerConfig
    >>> cfg = ServerConfig(keys=("k",), data_dir="/tmp/pk-srv", estimator="posekit.server.testing:fake_estimator")
    >>> with BackgroundServer(cfg) as srv:            # doctest: +SKIP
    ...     print(srv.url)                            # http://127.0.0.1:<port>
    """

    def __init__(
        self,
        config: ServerConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        import uvicorn

        from posekit.server.app import create_app

        self.config = config
        self.app = create_app(config)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=host,
                port=port,
                log_level=log_level,
                access_log=False,
                **uvicorn_options(config),
            )
        )
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """The server's base URL, ``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        """Start serving in a daemon thread; return once it accepts connections.

        Parameters
        ----------
        timeout_s
            How long to wait for the server to start before raising ``RuntimeError``.

        Returns
        -------
        BackgroundServer
            This server (for ``with BackgroundServer(...).start() as srv``).
        """
        self._thread = threading.Thread(target=self._server.run, name="posekit-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the posekit server did not start")
            time.sleep(0.01)
        sock = self._server.servers[0].sockets[0]
        self.port = int(sock.getsockname()[1])
        return self

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread (up to 30 s)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
