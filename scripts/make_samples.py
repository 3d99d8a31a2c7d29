"""Real-video sample results: the offline estimator on the Sports2D and Pose2Sim demo videos.

Fetches the videos from PyPI (pip download of the ``sports2d`` and ``pose2sim`` wheels, sha256
checked, see :mod:`posekit.media`), runs :func:`posekit.estimate.estimate_video` with
``smoothing=False`` and ``True`` and writes ``data/samples/<name>_raw.json`` and
``<name>_smoothed.json`` (coordinates rounded to 0.01 px, scores to 4 decimals).

    .venv/bin/python scripts/make_samples.py [--out data/samples] [--names sports2d_demo ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec

from posekit.estimate import Estimator
from posekit.io import atomic_write
from posekit.media import fetch_demo_video
from posekit.result import PoseResult

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = {"sports2d_demo": "sports2d_demo", "pose2sim_s01_cam01": "pose2sim_s01_cam01"}


def _round_person(p: dict[str, Any]) -> dict[str, Any]:
    kp = p["keypoints"]
    p["keypoints"] = [round(v, 4) if i % 3 == 2 else round(v, 2) for i, v in enumerate(kp)]
    p["bbox"] = [round(v, 2) for v in p["bbox"]]
    p["area"] = round(p["area"], 2)
    p["score"] = round(p["score"], 4)
    return p


def rounded_json(result: Any) -> bytes:
    doc = result.to_dict()
    for ann in doc["annotations"]:
        ann["objects"] = [_round_person(p) for p in ann["objects"]]
    return msgspec.json.format(msgspec.json.encode(doc), indent=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "samples")
    parser.add_argument("--names", nargs="*", default=list(SAMPLES))
    args = parser.parse_args(argv)
    est = Estimator()
    for name in args.names:
        video = fetch_demo_video(name)
        for smoothing, suffix in ((False, "raw"), (True, "smoothed")):
            res = est.video(video, smoothing=smoothing, progress=True)
            # a fixed job id keeps reruns byte-identical (the estimator is deterministic)
            # a result is immutable: a new one from an edited copy of its job
            info = msgspec.structs.replace(res.job.info, date_created="2026/11/27", year=2026)
            job = msgspec.structs.replace(
                res.job, job_id=f"posekit-sample-{name}-{suffix}", info=info
            )
            res = PoseResult.from_job(job, source=res.source).replace(extra=res.extra)
            path = atomic_write(args.out / f"{name}_{suffix}.json", rounded_json(res))
            t = res.extra["timing"]
            print(
                f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {res!r}, "
                f"{1000 * t['seconds'] / t['frames']:.0f} ms/frame",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
