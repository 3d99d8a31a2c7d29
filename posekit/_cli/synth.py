"""``posekit synth``: write a synthetic result with known ground truth."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from posekit.synth import generate

    sim = generate(
        args.activity,
        duration_s=args.duration,
        fps=args.fps,
        n_people=args.people,
        width=args.width,
        height=args.height,
        person_height_px=args.person_height,
        noise_px=args.noise,
        dropout=args.dropout,
        missing_frames=args.missing,
        rate_hz=args.rate,
        seed=args.seed,
    )
    sim.save(args.output, truth_csv=args.truth, angles_csv=args.angles, params_json=args.params)
    p = sim.params
    if "n_reps" in p:
        what = f"{p['n_reps']} reps (peaks at {', '.join(f'{t:.2f}' for t in p['rep_times_s'])} s)"
    else:
        what = f"{p['cadence_spm']:.0f} steps/min"
    print(
        f"{args.output}: {p['activity']}, {p['n_frames']} frames at {p['fps']:g} fps, "
        f"{p['n_people']} people, {what}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="write a synthetic result (walk, squat, arm_raise) with known ground truth",
        description="Write a synthetic Kakao-format video result of a stick figure, with its "
        "exact ground truth if asked (see docs/synth.md).",
    )
    p.add_argument("activity", choices=["walk", "squat", "arm_raise"])
    p.add_argument("-o", "--output", required=True, help="result JSON to write")
    p.add_argument("--duration", type=float, default=10.0, help="seconds (default 10)")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate (default 30)")
    p.add_argument("--people", type=int, default=1, help="number of people (default 1)")
    p.add_argument("--width", type=int, default=1280, help="image width, px (default 1280)")
    p.add_argument("--height", type=int, default=720, help="image height, px (default 720)")
    p.add_argument("--person-height", type=float, default=None, help="person height, px")
    p.add_argument("--noise", type=float, default=0.0, help="coordinate noise SD, px")
    p.add_argument("--dropout", type=float, default=0.0, help="fraction of dropout keypoints")
    p.add_argument("--missing", type=float, default=0.0, help="fraction of missing frames")
    p.add_argument("--rate", type=float, default=None, help="reps/s, or steps/s for walk")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--truth", help="also write the exact keypoints to this CSV")
    p.add_argument("--angles", help="also write the exact joint angles to this CSV")
    p.add_argument("--params", help="also write the settings and truth events to this JSON")
    p.set_defaults(func=_run)
