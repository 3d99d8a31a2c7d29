"""``posekit report RESULT.json [--video V] -o out/report.html``: the quickstart analysis as HTML."""

from __future__ import annotations

import argparse

from posekit._cli import add_input_arguments, is_openpose_folder, load_input
from posekit._cli.study import add_run_options, batch_report, is_many


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="analyse a result (angles, smoothing, trajectories, repetitions) into an HTML page",
        description=(
            "Run the quickstart analysis on a Kakao-format result and write a self-contained "
            "HTML report (figures embedded as PNG, metrics as tables)."
        ),
    )
    add_input_arguments(
        parser,
        help="result JSON (Kakao Pose API format) or an OpenPose folder; or many results: a "
        "folder, a glob or a key pattern ('results/{subject}_{trial}.json'), giving one page "
        "per clip and index.html",
    )
    parser.add_argument(
        "--video", default=None, help="the result's video (skeletons drawn over it)"
    )
    parser.add_argument("-o", "--output", default="out/report.html", help="HTML file to write")
    parser.add_argument(
        "--min-score", type=float, default=0.2, help="drop keypoints below this score"
    )
    parser.add_argument("--cutoff-hz", type=float, default=6.0, help="Butterworth cutoff")
    add_run_options(parser)
    parser.add_argument(
        "--max-people", type=int, default=4, help="sections for at most this many people"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # an OpenPose folder is one result; another folder, a glob or a pattern are many
    if is_many(args.result) and not is_openpose_folder(args.result, args.layout):
        return batch_report(args)
    import matplotlib

    matplotlib.use("Agg")
    from posekit.report import make_report

    out = make_report(
        load_input(args),
        args.output,
        video=args.video,
        min_score=args.min_score,
        cutoff_hz=args.cutoff_hz,
        max_people=args.max_people,
    )
    print(f"wrote {out.resolve()}")
    return 0
