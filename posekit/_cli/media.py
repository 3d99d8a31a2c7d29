"""``posekit media fetch [NAME ...]``: the real demo videos, from their PyPI wheels."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from posekit.media import DEMO_VIDEOS

    parser = subparsers.add_parser(
        "media",
        help="fetch the demo videos (Sports2D, Pose2Sim) from their PyPI wheels",
        description="Download the wheels with pip (not installed), extract and sha256-check the "
        "videos into posekit's cache; print their paths.",
    )
    parser.add_argument("action", choices=["fetch", "list"])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"default: all of {sorted(DEMO_VIDEOS)}"
    )
    parser.add_argument("--cache-dir", default=None, help="folder for the videos")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posekit.media import DEMO_VIDEOS, fetch_demo_video

    names = args.names or sorted(DEMO_VIDEOS)
    for name in names:
        if name not in DEMO_VIDEOS:
            raise ValueError(f"unknown demo video {name!r}; choose from {sorted(DEMO_VIDEOS)}")
    for name in names:
        if args.action == "list":
            v = DEMO_VIDEOS[name]
            print(f"{name}: {v.member} from {v.wheel} ({v.attribution})")
        else:
            print(f"{name}: {fetch_demo_video(name, cache_dir=args.cache_dir)}")
    return 0
