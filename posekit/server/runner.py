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
    """Serve the API with uvicorn until interrupted.

    What ``posekit serve`` runs; in a notebook or a test, use :class:`BackgroundServer`.

    Parameters
    ----------
    config
        The server's configuration.
    host, port
        Where to listen (``0.0.0.0`` to be reachable from other machines).
    log_level
        uvicorn's log level (``"debug"``, ``"info"``, ``"warning"``...).

    Examples
    --------
    >>> from posekit.server import ServerConfig, serve
    >>> serve(ServerConfig.from_env(), port=8000)  # doctest: +SKIP
    """
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

    Parameters
    ----------
    config
        The server's configuration.
    host
        The address to listen on.
    port
        The port; 0 picks a free one (``url`` tells it once started).
    log_level
        uvicorn's log level.

    Examples
    --------
    With the stand-in estimator of :mod:`posekit.server.testing` (one standing person):

    >>> import requests
    >>> import tempfile
    >>> from posekit.server import BackgroundServer, ServerConfig
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
    ...                       estimator="posekit.server.testing:fixed_estimator")
    >>> with BackgroundServer(config) as server:
    ...     openapi = requests.get(server.url + "/openapi.json", timeout=5)
    ...     refused = requests.post(server.url + "/pose", timeout=5,
    ...                             headers={"Authorization": "KakaoAK wrong-key"})
    >>> server.url.startswith("http://127.0.0.1:"), openapi.status_code
    (True, 200)
    >>> refused.status_code, refused.json()["code"]
    (401, -401)
    >>> folder.cleanup()
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

        Examples
        --------
        >>> import posekit as pk
        >>> import tempfile
        >>> from posekit.server import BackgroundServer, ServerConfig
        >>> folder = tempfile.TemporaryDirectory()
        >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, worker_kind="thread",
        ...                       estimator="posekit.server.testing:fixed_estimator")
        >>> server = BackgroundServer(config).start()
        >>> with pk.Client(api_key="my-key", base_url=server.url) as client:
        ...     info = client.job("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11")
        >>> server.stop()
        >>> info.status
        'not found'
        >>> folder.cleanup()
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
