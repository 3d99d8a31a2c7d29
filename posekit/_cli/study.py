"""``posekit study summary|tidy PATTERN``, and the many-files forms of ``estimate`` and ``report``.

``posekit estimate videos/ -o results/`` and ``posekit report "results/{subject}_{trial}.json"
-o report/`` run over a folder, a glob or a key pattern (:func:`posekit.study.load_study`),
in parallel (``--workers``) or on a Dask cluster (``--scheduler tcp://HOST:8786``).
"""

from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path


def is_many(source: str) -> bool:
    """A folder of videos/results, a glob or a key pattern rather than one file."""
    return "{" in source or glob.has_magic(source) or Path(source).is_dir()


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=int, default=None, help="many files: local processes (default: CPUs)"
    )
    parser.add_argument(
        "--scheduler", default=None, help="many files: run on this Dask scheduler (tcp://HOST:PORT)"
    )


def _failures(table, what: str) -> int:
    errors = table.attrs.get("errors")
    if errors is None or errors.empty:
        return 0
    print(f"posekit {what}: {len(errors)} failed:", file=sys.stderr)
    for key, row in errors.iterrows():
        print(f"  {key}: {row['error']}", file=sys.stderr)
    return 1


def batch_estimate(args: argparse.Namespace) -> int:
    import warnings

    from posekit.study import StudyWarning, estimate_videos

    src = args.input
    if Path(src).is_file():
        raise ValueError(f"{src} is one file; -o is then the result JSON")
    options = {
        "smoothing": not args.no_smoothing,
        "max_frames": args.max_frames,
        "tiles": not args.no_tiles,
        "convention": args.convention,
        "models_dir": args.models_dir,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StudyWarning)  # listed below instead
        table = estimate_videos(
            src, args.output, workers=args.workers, client=args.scheduler, **options
        )
    done = int((table.get("status") == "done").sum()) if "status" in table else 0
    skipped = int((table.get("status") == "skipped").sum()) if "status" in table else 0
    print(
        f"posekit estimate: {done} estimated, {skipped} already done, "
        f"{len(table.attrs['errors'])} failed -> {args.output}",
        file=sys.stderr,
    )
    return _failures(table, "estimate")


def batch_report(args: argparse.Namespace) -> int:
    import warnings

    import posekit as pk
    from posekit.study import StudyWarning, study_report

    study = pk.load_study(args.result)
    out = Path(args.output)
    if out.suffix == ".html":
        out = out.with_suffix("")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StudyWarning)
        index = study_report(study, out, workers=args.workers, client=args.scheduler,
                             min_score=args.min_score, cutoff_hz=args.cutoff_hz)  # fmt: skip
    for w in caught:
        print(f"posekit report: {w.message}", file=sys.stderr)
    print(f"wrote {index.resolve()}")
    return 1 if caught else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "study",
        help="many results as one study: per-person summary table, or one keypoints dataset",
        description="Read every result matching a pattern such as "
        "'data/{subject}/{session}_{trial}.json' (keys parsed from the path).",
    )
    parser.add_argument("action", choices=("summary", "tidy"))
    parser.add_argument("pattern", help="key pattern, glob, or folder")
    parser.add_argument(
        "-o", "--output", required=True,
        help="summary: .csv or .parquet; tidy: a Parquet dataset folder (or .csv)",
    )  # fmt: skip
    parser.add_argument(
        "--partition-on", nargs="*", default=None, help="tidy: keys to partition on (default all)"
    )
    add_run_options(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import warnings

    import posekit as pk
    from posekit.study import StudyWarning

    study = pk.load_study(args.pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StudyWarning)
        if args.action == "summary":
            table = study.summary(workers=args.workers, client=args.scheduler)
            out = Path(args.output)
            if out.suffix == ".parquet":
                table.to_parquet(out)
            else:
                table.to_csv(out)
        else:
            table = study.keypoints(workers=args.workers, client=args.scheduler)
            pk.write_table(table, args.output, partition_on=args.partition_on)
    print(f"{len(study)} clips -> {args.output}", file=sys.stderr)
    return _failures(table, f"study {args.action}")
