"""``posekit serve``: the Kakao-compatible Pose API server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the Kakao-compatible Pose API (POST /pose, POST /pose/job, GET /pose/job/ID)",
        description=(
            "Serve Kakao's Pose API on this machine: code written for cv-api.kakaobrain.com "
            "works by changing only the host. Settings not given here come from "
            "POSEKIT_SERVER_* environment variables (see docs/server.md). "
            "Needs the server extra: pip install 'posekit[server]'."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.add_argument(
        "--keys-file",
        type=Path,
        help="file of accepted API keys, one per line (also $POSEKIT_SERVER_KEYS, comma-separated;"
        " none: one is generated into DATA_DIR/api_key)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="folder for the job database, uploads and results "
        "(default: ~/.local/share/posekit/server, or $POSEKIT_DATA/server)",
    )
    p.add_argument(
        "--workers", type=int, help="video jobs estimated at once (default: half the cores)"
    )
    p.add_argument(
        "--worker-kind",
        choices=("process", "thread"),
        help="run the estimator in worker processes (default) or threads",
    )
    p.add_argument(
        "--estimator",
        help="estimator object or module, as a dotted path (default posekit.estimate; "
        "posekit.server.testing:fake_estimator gives fast synthetic poses)",
    )
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        default=None,
        help="let image_url/video_url/callback_url reach loopback and private addresses",
    )
    p.add_argument(
        "--url-ports",
        help="ports those URLs may use: comma-separated, or 'any' (default 80,443)",
    )
    p.add_argument("--max-image-mb", type=float, help="largest image accepted, MB (2)")
    p.add_argument("--max-video-mb", type=float, help="largest video accepted, MB (50)")
    p.add_argument("--max-queue", type=int, help="jobs waiting at most before 429 / -10 (100)")
    p.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import logging

    from posekit.server.config import ServerConfig, load_keys, parse_ports

    overrides: dict[str, Any] = {}
    if args.keys_file is not None:
        keys = load_keys(args.keys_file)
        if not keys:
            raise ValueError(f"{args.keys_file} holds no key")
        overrides["keys"] = tuple(keys)
    for name in ("data_dir", "workers", "worker_kind", "estimator", "max_queue"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.allow_private_urls:
        overrides["allow_private_urls"] = True
    if args.url_ports is not None:
        overrides["url_ports"] = parse_ports(args.url_ports)
    if args.max_image_mb is not None:
        overrides["max_image_bytes"] = int(args.max_image_mb * 2**20)
    if args.max_video_mb is not None:
        overrides["max_video_bytes"] = int(args.max_video_mb * 2**20)
    config = ServerConfig.from_env(**overrides)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(name)s: %(message)s")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401

        from posekit.server.runner import serve
    except ImportError as exc:
        raise ValueError(
            f"the server needs its extra: pip install 'posekit[server]' ({exc})"
        ) from None
    serve(config, host=args.host, port=args.port, log_level=args.log_level)
    return 0
