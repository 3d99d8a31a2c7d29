"""Left/right and scores from every view, and everyone in view (issue 11), per clip, side by
side with the previous approach.

    .venv/bin/python bench/bench_estimate_views.py

Each clip is estimated once; the per-track steps (left/right rule, scores) are then replayed
on the same model outputs with each rule, so the columns differ only by the rule. Pose2Sim S01
cam01/cam02 (front) and cam03 (back) against OpenPose; nothing of the left/right decision was
fitted on cam03, the COCO offsets are fitted on cam01+cam02. Demo_MultiPerson cam01-04: people
tracked (in >= 80% of frames) and the most poses in one frame, vs the people in view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from posekit.estimate import Estimator, _api
from posekit.estimate._quality import (
    load_openpose,
    mirrored_frames,
    openpose_report,
    score_agreement,
)
from posekit.io import flatten
from posekit.media import fetch_demo_video

ROOT = Path(__file__).resolve().parents[1]

_DATA = ROOT / "tests" / "data" / "pose2sim_s01_openpose"
OPENPOSE = _DATA if _DATA.is_dir() else ROOT.parent / "shared" / "data" / "pose2sim_s01_openpose"
#: people in view in every frame of Demo_MultiPerson (the skeleton model is not a person)
MULTI_PEOPLE = {"cam01": 3, "cam02": 3, "cam03": 2, "cam04": 2}


def replays(est: Estimator, name: str, **rules: dict[str, Any]) -> dict[str, Any]:
    """One run of the models on demo video ``name``; the result rebuilt with each set of
    per-track options in ``rules`` (label -> options of ``_video_result``)."""
    captured: dict[str, Any] = {}
    original = _api._video_result

    def capture(frames: Any, *args: Any, **kw: Any) -> Any:
        captured.update(frames=[(i, list(p)) for i, p in frames], args=args, kw=kw)
        return original(frames, *args, **kw)

    with mock.patch.object(_api, "_video_result", capture):
        est.video(fetch_demo_video(name), progress=False)
    out = {}
    for label, options in rules.items():
        kw = {**captured["kw"], **options}
        frames = [(i, list(p)) for i, p in captured["frames"]]
        out[label] = original(frames, *captured["args"], **kw)
    return out


def pose2sim_rows(est: Estimator) -> None:
    print("Pose2Sim S01 vs OpenPose (smoothed): median distance/torso, PCK@0.2, mirrored frames")
    print("targets: < 5%, > 95%, 0")
    rules = {
        "previous (nose depth)": dict(left_right="nose-depth", scores="model"),
        "model's labels": dict(left_right="off", scores="model"),
        "along the track (now)": dict(left_right="track", scores="visible"),
    }
    for cam in ("cam01", "cam02", "cam03"):
        op = load_openpose(OPENPOSE / cam)
        results = replays(est, f"pose2sim_s01_{cam}", **rules)
        view = "back" if cam == "cam03" else "front"
        for label, res in results.items():
            q = openpose_report(res, op)
            s = score_agreement(res, op)
            print(
                f"  {cam} ({view:<5}) {label:<24} {100 * q.median_rel:6.2f}% "
                f"{100 * q.pck:6.1f}% {mirrored_frames(res, op):4d}   scores: OpenPose-unseen "
                f"kept {100 * s['unseen_kept']:5.1f}%, seen kept {100 * s['seen_kept']:5.1f}%, "
                f"nose/eyes kept {100 * s['face_kept']:5.1f}%"
            )


def multi_rows(est: Estimator) -> None:
    print("Demo_MultiPerson: tracks present in >= 80% of frames / people in view; most poses in")
    print("one frame; ms/frame")
    for cam, people in MULTI_PEOPLE.items():
        res = est.video(fetch_demo_video(f"pose2sim_multi_{cam}"), progress=False)
        flat = flatten(res)
        n = res.n_frames
        _, counts = np.unique(flat.object_id, return_counts=True)
        tracked = int((counts >= 0.8 * n).sum())
        most = int(np.bincount(flat.frame).max()) if len(flat.frame) else 0
        t = res.extra["timing"]
        print(
            f"  {cam}: {tracked}/{people} tracked, at most {most} poses at once "
            f"({1000 * t['seconds'] / t['frames']:.0f} ms/frame); "
            f"warnings: {res.extra.get('warnings', [])}"
        )


def main() -> int:
    est = Estimator()
    pose2sim_rows(est)
    multi_rows(est)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
