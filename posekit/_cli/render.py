"""``posekit render RESULT.json --video V.mp4 -o out.mp4``: skeletons drawn over the video."""

from __future__ import annotations

import argparse
import sys
import warnings

from posekit._cli import add_input_arguments, load_input


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="draw a result's skeletons over its video (or a blank canvas) into a new video",
        description=(
            "Render the skeletons of a Kakao-format result over the video it was made from. "
            "Without --video the skeletons are drawn on a dark canvas of the result's size."
        ),
    )
    add_input_arguments(parser)
    parser.add_argument("--video", default=None, help="the video the result belongs to")
    parser.add_argument("-o", "--output", required=True, help="output video file (.mp4)")
    parser.add_argument("--width", type=int, default=None, help="output width in pixels")
    parser.add_argument("--start", type=int, default=0, help="first frame")
    parser.add_argument("--stop", type=int, default=None, help="stop before this frame")
    parser.add_argument("--min-score", type=float, default=0.2, help="fade joints below this score")
    parser.add_argument("--codec", default="auto", help="auto (H.264 if available), libx264, mpeg4")
    parser.add_argument(
        "--trail",
        type=int,
        default=0,
        metavar="N",
        help="draw the path of --trail-joints over the last N frames",
    )
    parser.add_argument(
        "--trail-joints",
        default="left_ankle,right_ankle",
        help="comma-separated COCO joint names for --trail (default left_ankle,right_ankle)",
    )
    parser.add_argument("--no-labels", action="store_true", help="no id labels")
    parser.add_argument("--no-stamp", action="store_true", help="no frame number / time stamp")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (instead of warning) when the video's size, fps or length disagrees",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posekit.plot.render import render_video
    from posekit.schema import JOINT_INDEX

    trail_joints = tuple(j.strip() for j in args.trail_joints.split(",") if j.strip())
    bad = [j for j in trail_joints if j not in JOINT_INDEX]
    if bad:
        print(f"posekit render: unknown joint(s) {bad} in --trail-joints", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = load_input(args)
        out = render_video(
            res.keypoints(),
            args.video,
            args.output,
            progress=not args.no_progress and sys.stderr.isatty(),
            fps=args.fps,
            codec=args.codec,
            width=args.width,
            start=args.start,
            stop=args.stop,
            min_score=args.min_score,
            on_mismatch="error" if args.strict else "warn",
            labels=not args.no_labels,
            stamp=not args.no_stamp,
            trail=args.trail,
            trail_joints=trail_joints,
        )
    for w in caught:
        print(f"posekit render: warning: {w.message}", file=sys.stderr)
    print(f"wrote {out}")
    return 0
