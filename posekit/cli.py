"""The ``posekit`` command.

Each sub-command lives in a module of :mod:`posekit._cli` that defines
``register(subparsers) -> None``; the parser it adds sets ``func`` (``args -> int``) as default.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence

from posekit import __version__
from posekit.errors import PoseKitError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``posekit`` argument parser, one subcommand per module of :mod:`posekit._cli`."""
    parser = argparse.ArgumentParser(
        prog="posekit",
        description="Human pose results (Kakao Pose API format): inspect, analyse, make.",
    )
    parser.add_argument("--version", action="version", version=f"posekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import posekit._cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"posekit._cli.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``posekit`` command line; return the exit status (errors print one line).

    Parameters
    ----------
    argv
        The arguments after ``posekit`` (``["info", "result.json"]``); None reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 after an error (posekit's, a bad value or a file problem: one line on
        stderr), 2 without a subcommand (the help is printed), 130 when interrupted.

    Examples
    --------
    >>> import tempfile
    >>> from posekit.cli import main
    >>> folder = tempfile.TemporaryDirectory()
    >>> main(["synth", "walk", "--duration", "1", "-o", f"{folder.name}/walk.json"])  # doctest: +ELLIPSIS
    /tmp/.../walk.json: walk, 30 frames at 30 fps, 1 people, 108 steps/min
    0
    >>> main(["info", f"{folder.name}/walk.json"])  # doctest: +ELLIPSIS
    source      /tmp/.../walk.json
    kind        video
    ...
    frames      30 (30.000 fps, 1.00 s)
    ...
    0
    >>> main(["info", f"{folder.name}/missing.json"])  # the error goes to stderr
    1
    >>> folder.cleanup()
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"posekit {args.command}: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show  # one line, no source file: the user did not write it
            return int(args.func(args) or 0)
    except (PoseKitError, OSError, ValueError) as exc:  # OSError: a full or read-only disk
        print(f"posekit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"posekit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
