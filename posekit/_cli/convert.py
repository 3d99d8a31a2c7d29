"""``posekit convert IN OUT``: from any format posekit reads to any it writes."""

from __future__ import annotations

import argparse
from typing import Any


def _convert(args: argparse.Namespace) -> int:
    from posekit import io
    from posekit.units import length_unit, to_metres

    src: Any = args.from_format or io.detect_format(args.input)
    dst: Any = args.to_format or io.detect_format(args.output, for_writing=True)
    read_opts = {}
    if args.layout:
        if src != "openpose":
            raise ValueError(f"--layout applies to OpenPose folders, not {src}")
        read_opts["layout"] = args.layout
    table = io.read(args.input, format=src, fps=args.fps, min_score=args.min_score, **read_opts)
    if args.fps and src in ("kakao",):
        raise ValueError("a Kakao result carries its own fps")
    held = io.FORMATS[src][2]
    if args.scale is not None or args.height_m is not None:
        if held != "keypoints":
            raise ValueError(f"--scale/--height-m apply to keypoints, and {src} holds {held}")
        table = to_metres(table, args.scale, height_m=args.height_m, object_id=args.object_id)
    wants = io.FORMATS[dst][2]
    if wants == "angles" and held == "keypoints":
        from posekit.angles import joint_angles

        table = joint_angles(table)
    elif wants == "keypoints" and held != "keypoints" and "joint" not in table.index.names:
        raise ValueError(f"{args.input} holds {held}; {dst} needs keypoints")
    opts = {}
    if args.object_id is not None and dst in ("trc", "mot"):
        opts["object_id"] = args.object_id
    out = io.write(table, args.output, format=dst, **opts)
    unit = length_unit(table) if "x" in table.columns else None
    print(
        f"{args.input} ({src}) -> {out} ({dst}): {len(table)} rows" + (f", {unit}" if unit else "")
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from posekit.io import FORMATS

    readable = [k for k, v in FORMATS.items() if v[0]]
    writable = [k for k, v in FORMATS.items() if v[1]]
    p = sub.add_parser(
        "convert",
        help="convert between pose formats (Kakao, OpenPose, COCO, DeepLabCut, SLEAP, NWB, "
        "movement, OpenSim TRC/MOT, CSV, Parquet)",
        description="Formats are chosen by extension: .json (Kakao; COCO detected), OpenPose "
        "folder, .csv (posekit table; DeepLabCut detected), .parquet, .nc (movement), .nwb, "
        ".trc, .mot (joint angles), .h5 (DeepLabCut; SLEAP analysis detected), .slp.",
    )
    p.add_argument("input", help="input file or OpenPose folder")
    p.add_argument("output", help="output file")
    p.add_argument("--from", dest="from_format", choices=readable, help="input format")
    p.add_argument("--to", dest="to_format", choices=writable, help="output format")
    p.add_argument("--fps", type=float, help="frame rate, for inputs that carry none")
    p.add_argument(
        "--layout", choices=["auto", "BODY_25", "BODY_25B", "COCO"], help="OpenPose layout"
    )
    p.add_argument("--min-score", type=float, help="points scored below this become empty")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scale", type=float, help="metres per pixel: write lengths in metres")
    g.add_argument("--height-m", type=float, help="the person's height in metres: scale from it")
    p.add_argument("--object-id", type=int, help="the person (TRC, MOT, --height-m)")
    p.set_defaults(func=_convert)
