"""Sub-commands of the ``posekit`` command: each module here defines ``register(subparsers)``.

Every command that reads results takes the same input through :func:`add_input_arguments` and
:func:`load_input`: a Kakao-format result JSON, or an OpenPose folder (one JSON per frame) with
``--layout`` and ``--fps``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

LAYOUTS = ("auto", "BODY_25", "BODY_25B", "COCO")


def add_input_arguments(
    parser: argparse.ArgumentParser,
    help: str = "result JSON (Kakao Pose API format) or an OpenPose folder (JSON per frame)",
) -> None:
    """The ``result`` argument and ``--fps``/``--layout``, the same on every command."""
    parser.add_argument("result", help=help)
    parser.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate, for inputs that carry none (OpenPose folders); a result's own wins",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="auto",
        help="OpenPose keypoint layout (folders only; default: told from the data)",
    )


def is_openpose_folder(source: str, layout: str = "auto") -> bool:
    """Whether ``source`` is a folder of OpenPose frame files.

    True when its first JSON file has a ``people`` list, or for any folder when a ``--layout``
    is given.
    """
    import json

    folder = Path(source)
    if not folder.is_dir():
        return False
    if layout != "auto":
        return True
    first = next(iter(sorted(folder.glob("*.json"))), None)
    if first is None:
        return False
    try:
        with first.open("rb") as f:
            doc = json.loads(f.read(1_000_000))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("people"), list)


def load_input(args: argparse.Namespace) -> Any:
    """The :class:`~posekit.PoseResult` that ``args.result`` names (see the module docstring)."""
    from posekit.io import load, load_openpose

    path = Path(args.result)
    if path.is_dir():
        return load_openpose(path, fps=args.fps, layout=args.layout)
    if args.layout != "auto":
        raise ValueError(f"--layout applies to OpenPose folders; {path} is a file")
    res = load(path)
    if args.fps is not None and res.fps is not None and abs(res.fps - args.fps) > 1e-9:
        warnings.warn(
            f"--fps {args.fps:g} ignored: {path.name} has its own frame rate ({res.fps:g} fps)",
            stacklevel=2,
        )
    return res
