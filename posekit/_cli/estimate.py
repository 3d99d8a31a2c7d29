"""``posekit estimate VIDEO_OR_IMAGE -o result.json``: offline pose estimation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posekit._cli.study import add_run_options, batch_estimate, is_many


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "estimate",
        help="estimate poses in a video or image offline, write a Kakao-format result",
        description=(
            "Run the offline multi-person estimator (BlazePose weights from "
            "`posekit models install`) and write the result as Kakao Pose API JSON."
        ),
    )
    parser.add_argument(
        "input",
        help="a video (mp4, mov, webm...) or an image (jpg, png, webp); or many videos: a folder, "
        "a glob or a key pattern ('videos/{subject}_{trial}.mp4')",
    )
    parser.add_argument(
        "-o", "--output", required=True, help="result JSON file (many videos: a folder)"
    )
    parser.add_argument(
        "--no-smoothing", action="store_true", help="videos: keep the raw per-frame keypoints"
    )
    parser.add_argument("--max-frames", type=int, default=None, help="videos: stop after N")
    parser.add_argument("--no-tiles", action="store_true", help="whole frame only (faster)")
    parser.add_argument(
        "--convention",
        choices=("coco", "blazepose"),
        default="coco",
        help="where the keypoints sit: COCO's placement (default, as COCO-trained models such "
        "as OpenPose place them) or BlazePose's own",
    )
    parser.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")
    parser.add_argument("--models-dir", default=None, help="folder with the weights")
    add_run_options(parser)
    parser.set_defaults(func=_run)


def _partial_path(out: Path) -> Path:
    return out.with_name(out.stem + ".partial" + (out.suffix or ".json"))


def _run(args: argparse.Namespace) -> int:
    from posekit.estimate import Estimator
    from posekit.video import VideoTruncatedError, is_still_image

    if is_many(args.input):  # resumable batch: done videos are skipped
        return batch_estimate(args)
    src, out = Path(args.input), Path(args.output)
    if not src.exists():
        raise FileNotFoundError(f"no such file: {src}")
    est = Estimator(args.models_dir)
    if is_still_image(src):
        res = est.image(src, tiles=not args.no_tiles, convention=args.convention)
        res.save(out, indent=args.indent)
        print(f"{src}: {len(res.people or [])} people -> {out}", file=sys.stderr)
        return 0
    try:
        res = est.video(
            src,
            smoothing=not args.no_smoothing,
            progress=None,
            max_frames=args.max_frames,
            tiles=not args.no_tiles,
            convention=args.convention,
        )
    except VideoTruncatedError as exc:
        got = getattr(exc, "result", None)
        if got is not None:
            part = _partial_path(out)
            got.save(part, indent=args.indent)
            print(
                f"posekit estimate: partial result ({len(got)} frames) -> {part}", file=sys.stderr
            )
        raise
    if res.partial:
        # never written under the name of a complete result
        part = _partial_path(out)
        res.save(part, indent=args.indent)
        print(
            f"posekit estimate: interrupted; partial result ({len(res)} of {res.n_frames} "
            f"frames) -> {part}",
            file=sys.stderr,
        )
        return 130
    res.save(out, indent=args.indent)
    t = res.extra.get("timing", {})
    ms = 1000 * t.get("seconds", 0) / max(t.get("frames", 1), 1)
    print(f"{src}: {res!r}, {ms:.0f} ms/frame -> {out}", file=sys.stderr)
    return 0
