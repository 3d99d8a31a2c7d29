"""``posekit info`` and ``posekit tidy``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _load(path: str):
    from posekit.io import load, load_openpose

    p = Path(path)
    if p.is_dir():
        return load_openpose(p)
    return load(p)


def _info(args: argparse.Namespace) -> int:
    from posekit.summary import format_summary, summarize

    s = summarize(_load(args.result))
    print(json.dumps(s, indent=2) if args.json else format_summary(s))
    return 0


def _tidy(args: argparse.Namespace) -> int:
    from posekit.io.table import write_table

    res = _load(args.result)
    table = res.objects() if args.objects else res.keypoints(min_score=args.min_score)
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"unknown output type {out.suffix!r}: use .csv or .parquet")
    write_table(table, out)  # index, joint categorical and attrs (fps, size, history) kept
    print(f"wrote {len(table)} rows to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="summary of a result: frames, fps, size, people, scores")
    p.add_argument("result", help="result JSON (or an OpenPose folder)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_info)

    p = sub.add_parser("tidy", help="write the tidy keypoints (or objects) table as CSV/parquet")
    p.add_argument("result", help="result JSON (or an OpenPose folder)")
    p.add_argument("-o", "--output", required=True, help="out.csv or out.parquet")
    p.add_argument("--objects", action="store_true", help="the objects table instead")
    p.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="x, y of keypoints scored below this become empty",
    )
    p.set_defaults(func=_tidy)
