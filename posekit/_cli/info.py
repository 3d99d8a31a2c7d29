"""``posekit info`` and ``posekit tidy``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posekit._cli import add_input_arguments, load_input


def _info(args: argparse.Namespace) -> int:
    from posekit.summary import format_summary, summarize

    s = summarize(load_input(args))
    print(json.dumps(s, indent=2) if args.json else format_summary(s))
    return 0


def _tidy(args: argparse.Namespace) -> int:
    from posekit.io.table import write_table

    res = load_input(args)
    table = res.objects() if args.objects else res.keypoints(min_score=args.min_score)
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"unknown output type {out.suffix!r}: use .csv or .parquet")
    write_table(table, out)  # index, joint categorical and attrs (fps, size, history) kept
    print(f"wrote {len(table)} rows to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="summary of a result: frames, fps, size, people, scores")
    add_input_arguments(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_info)

    p = sub.add_parser("tidy", help="write the tidy keypoints (or objects) table as CSV/parquet")
    add_input_arguments(p)
    p.add_argument("-o", "--output", required=True, help="out.csv or out.parquet")
    p.add_argument("--objects", action="store_true", help="the objects table instead")
    p.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="x, y of keypoints scored below this become empty",
    )
    p.set_defaults(func=_tidy)
