"""posekit's estimator next to Google's own pipeline (mediapipe Tasks PoseLandmarker) on the
same weights and the same videos.

    .venv/bin/python bench/bench_estimate_mediapipe.py [--mediapipe-python /tmp/mpvenv/bin/python]

Google's pipeline needs ``mediapipe==0.10.21`` with ``numpy<2``, so it runs in a separate,
throw-away environment (see ``bench/_mediapipe_reference.py`` for how to make one); this script
calls it as a subprocess and scores both with the same measures as the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from posekit import models
from posekit.estimate import Estimator
from posekit.estimate._quality import load_openpose, openpose_report, sports2d_report
from posekit.media import fetch_demo_video
from posekit.result import PoseResult
from posekit.schema import (
    Annotation,
    JobResult,
    Person,
    VideoInfo,
    default_category,
)

ROOT = Path(__file__).resolve().parents[1]

OPENPOSE = ROOT / "tests" / "data" / "pose2sim_s01_openpose"


def reference(python: str, video: Path, *, tiles: bool) -> tuple[PoseResult, float]:
    paths = models.paths()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ref.json"
        cmd = [python, str(ROOT / "bench" / "_mediapipe_reference.py"), str(video),
               str(paths.detector), str(paths.landmark), str(out)] + (["--tiles"] if tiles else [])  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        data = json.loads(out.read_text())
    anns = []
    for i, people in enumerate(data["frames"]):
        objs = []
        for k, kp in enumerate(people):
            a = np.array(kp)
            x0, y0 = a[:, :2].min(0)
            x1, y1 = a[:, :2].max(0)
            w, h = x1 - x0 + 1, y1 - y0 + 1
            objs.append(Person(area=float(w * h), bbox=[float(x0), float(y0), float(w), float(h)],
                               category_id=1, keypoints=a.ravel().tolist(), score=1.0, object_id=k))  # fmt: skip
        anns.append(Annotation(frame_num=i, objects=objs))
    job = JobResult(status="success", annotations=anns, categories=[default_category()],
                    video=VideoInfo(fps=data["fps"], frames=len(anns), width=data["width"],
                                    height=data["height"]))  # fmt: skip
    return PoseResult.from_job(job), float(data["ms_per_frame"])


def row(name: str, ours: str, google: str, target: str) -> None:
    print(f"{name:<46} {ours:>14} {google:>22} {target:>12}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mediapipe-python",
        default=os.environ.get("POSEKIT_MEDIAPIPE_PYTHON", "/tmp/mpvenv/bin/python"),
    )
    args = parser.parse_args()
    if not Path(args.mediapipe_python).exists():
        print(
            f"no mediapipe environment at {args.mediapipe_python}; see bench/_mediapipe_reference.py"
        )
        return 2
    est = Estimator()
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machine)")
    row("figure", "posekit", "Google Tasks", "target")
    print("-" * 98)
    sports = fetch_demo_video("sports2d_demo")
    ours = est.video(sports, smoothing=False, progress=False)
    t = ours.extra["timing"]
    ours_ms = 1000 * t["seconds"] / t["frames"]
    rep = sports2d_report(ours)
    for tiles in (False, True):
        ref, ms = reference(args.mediapipe_python, sports, tiles=tiles)
        rr = sports2d_report(ref)
        tag = "two tiles" if tiles else "whole frame"
        row(f"Sports2D both found 42-199 (Google: {tag})", f"{rep.both_found}/158",
            f"{rr.both_found}/158", ">= 151")  # fmt: skip
        row(f"Sports2D ghost/extra frames (Google: {tag})", f"{rep.ghost_frames}/230",
            f"{rr.ghost_frames}/230", "<= 2")  # fmt: skip
        row(f"Sports2D ms/frame (Google: {tag})", f"{ours_ms:.1f}", f"{ms:.1f}", "<= 80")
    for cam in ("cam01", "cam02"):
        video = fetch_demo_video(f"pose2sim_s01_{cam}")
        op = load_openpose(OPENPOSE / cam)
        q = openpose_report(est.video(video, smoothing=False, progress=False), op)
        # the same landmark placement as Google's, for a like-for-like comparison
        b = openpose_report(
            est.video(video, smoothing=False, progress=False, convention="blazepose"), op
        )
        ref, _ = reference(args.mediapipe_python, video, tiles=False)
        g = openpose_report(ref, op)
        row(f"Pose2Sim {cam} median dist / torso, BlazePose placement",
            f"{100 * b.median_rel:.2f}%", f"{100 * g.median_rel:.2f}%", "-")  # fmt: skip
        row(f"Pose2Sim {cam} median dist / torso (posekit: COCO placement)",
            f"{100 * q.median_rel:.2f}%", f"{100 * g.median_rel:.2f}%", "< 5%")  # fmt: skip
        row(f"Pose2Sim {cam} PCK@0.2 torso", f"{100 * q.pck:.1f}%", f"{100 * g.pck:.1f}%", "> 90%")
        row(f"Pose2Sim {cam} frames with the participant", f"{q.frames - q.missing}/100",
            f"{g.frames - g.missing}/100", "100")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
