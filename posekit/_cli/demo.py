"""``posekit demo -o out``: the main job a newcomer sees (``make demo``).

Runs the quickstart analysis on the bundled squat and walk samples (HTML reports), renders the
squat's skeletons to a video, does the same for the real Sports2D sample over its video (fetched
once from the sports2d wheel on PyPI; skipped with a note when offline), and names every file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _samples() -> Path | None:
    """data/samples of the checkout (posekit is installed editable by the Makefile)."""
    here = Path(__file__).resolve().parents[2] / "data" / "samples"
    for cand in (here, Path.cwd() / "data" / "samples"):
        if (cand / "synth_squat.json").is_file():
            return cand
    return None


def _load(name: str, samples: Path | None):
    import posekit as pk

    if samples is not None and (samples / f"{name}.json").is_file():
        return pk.load(samples / f"{name}.json"), str(samples / f"{name}.json")
    # no checkout around (a plain install): make the same sample in memory
    if name == "synth_squat":
        scene = pk.synth.generate("squat", noise_px=1.5, dropout=0.03, missing_frames=0.02, seed=1)
        return scene.result, "posekit.synth.generate('squat')"
    scene = pk.synth.generate("walk", noise_px=2.0, dropout=0.05, missing_frames=0.03, seed=2)
    return scene.result, "posekit.synth.generate('walk')"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="analyse the bundled samples: HTML reports and a skeleton video in OUT",
        description=(
            "Run the quickstart analysis on the bundled synthetic squat and walk samples and "
            "write HTML reports plus a rendered skeleton video."
        ),
    )
    parser.add_argument("-o", "--output", default="out", help="folder to write into (default out)")
    parser.add_argument("--no-video", action="store_true", help="skip the skeleton videos")
    parser.add_argument(
        "--synthetic-only",
        action="store_true",
        help="skip the real-video sample (which fetches the Sports2D demo video from PyPI once)",
    )
    parser.set_defaults(func=_run)


def _summarize_samples(samples: Path, out: Path) -> Path:
    """Print one line per bundled result and write the table as CSV."""
    import pandas as pd

    import posekit as pk
    from posekit.io import atomic_write
    from posekit.summary import summarize

    rows = []
    for path in sorted(samples.glob("*.json")):
        if path.name.endswith("_params.json"):
            continue
        s = summarize(pk.load(path))
        rows.append(
            {
                "sample": path.name,
                "kind": s["kind"],
                "frames": s["frames"],
                "fps": round(s["fps"], 3) if s["fps"] else None,
                "size": f"{s['width']}x{s['height']}" if s["width"] else "",
                "people": len(s["people"]),
                "detections": s["detections"],
                "detection_rate": round(s["detection_rate"], 3),
                "mean_score": round(s["mean_score"], 3) if s["mean_score"] is not None else None,
            }
        )
    table = pd.DataFrame(rows)
    print(f"bundled samples ({samples}):")
    print(table.to_string(index=False), end="\n\n", flush=True)
    return atomic_write(out / "samples_summary.csv", table.to_csv(index=False))


def _run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from posekit.plot.render import render_video
    from posekit.report import make_report

    out = Path(args.output)
    samples = _samples()
    written: list[tuple[Path, str]] = []
    t0 = time.perf_counter()
    if samples is not None:
        written.append((_summarize_samples(samples, out), "summary of every bundled sample"))
    for name, what in (
        ("synth_squat", "squat: angles, smoothing, 3 repetitions"),
        ("synth_walk", "walk: angles, smoothing, trajectories"),
    ):
        res, src = _load(name, samples)
        print(f"analysing {src} ...", flush=True)
        path = make_report(res, out / f"{name.removeprefix('synth_')}_report.html")
        written.append((path, f"report ({what})"))
    if not args.no_video:
        res, _ = _load("synth_squat", samples)
        print("rendering the squat's skeletons ...", flush=True)
        path = render_video(
            res.keypoints(), None, out / "squat_skeleton.mp4", width=640, progress=False
        )
        written.append((path, "video (skeletons on a blank canvas, H.264)"))
    real = samples / "sports2d_demo_smoothed.json" if samples is not None else None
    if not args.synthetic_only and real is not None and real.is_file():
        import posekit as pk

        try:
            from posekit.media import fetch_demo_video

            print(
                "fetching the Sports2D demo video (sports2d wheel on PyPI, cached) ...", flush=True
            )
            video = fetch_demo_video("sports2d_demo")
        except Exception as exc:  # offline: the synthetic part still stands
            print(f"skipping the real-video part: {exc}")
        else:
            res = pk.load(real)
            print(f"analysing {real} over {video.name} ...", flush=True)
            path = make_report(res, out / "sports2d_report.html", video=video)
            written.append((path, "report (real video, posekit's estimator, two people)"))
            if not args.no_video:
                print("rendering its skeletons over the video ...", flush=True)
                path = render_video(
                    res.keypoints(),
                    video,
                    out / "sports2d_overlay.mp4",
                    width=960,
                    progress=sys.stderr.isatty(),
                )
                written.append((path, "video (skeletons over the Sports2D demo, H.264)"))
    print(f"\ndone in {time.perf_counter() - t0:.1f} s; wrote:")
    for path, what in written:
        print(f"  {path.resolve()}  - {what}")
    print("open the reports in a browser; notebooks/quickstart.ipynb shows the same interactively")
    return 0
