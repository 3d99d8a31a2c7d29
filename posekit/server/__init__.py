"""A Kakao-compatible Pose API server: ``POST /pose``, ``POST /pose/job``, ``GET /pose/job/{id}``.

Code written for Kakao's Pose API works against it by changing only the host::

    posekit serve --port 8000 --keys-file keys.txt          # or: POSEKIT_SERVER_KEYS=...

>>> from posekit.server import ServerConfig, create_app
>>> app = create_app(ServerConfig(keys=("my-key",), data_dir="/tmp/posekit-server"))  # doctest: +SKIP

Needs the ``server`` extra (FastAPI, uvicorn, python-multipart). See ``docs/server.md``.
"""

from __future__ import annotations

from posekit.server.config import DEFAULT_ESTIMATOR, Estimator, ServerConfig, load_keys

__all__ = [
    "DEFAULT_ESTIMATOR",
    "BackgroundServer",
    "Estimator",
    "ServerConfig",
    "create_app",
    "load_keys",
    "serve",
]


def __getattr__(name: str):  # FastAPI and uvicorn are imported only when the app is made
    if name == "create_app":
        from posekit.server.app import create_app

        return create_app
    if name in ("BackgroundServer", "serve"):
        from posekit.server import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'posekit.server' has no attribute {name!r}")
