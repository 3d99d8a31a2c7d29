"""Benchmark: a 10-minute, 30 fps, 5-person job result (90,000 objects) -> keypoints DataFrame.

Target (issue 2): under 1.0 s in-process, at least 5x faster than the obvious json.load + row loop
+ pd.DataFrame code, within 1.3x of msgspec decoding alone (typed structs), peak memory of the
conversion under 400 MB. Prints the figures side by side.

    .venv/bin/python bench/bench_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
from _results import figure, write_results

import posekit as pk
from posekit.schema import JOINTS, JobResult


def make_big_job(path: Path, minutes: float = 10, fps: float = 30, n_people: int = 5) -> None:
    try:
        from posekit.synth import big_job_json
    except ImportError:  # fallback: random walk with full-precision floats
        big_job_json = None
    if big_job_json is not None:
        big_job_json(path, minutes=minutes, fps=fps, n_people=n_people, seed=0)
        return
    rng = np.random.default_rng(0)
    n = int(minutes * 60 * fps)
    base = rng.uniform(100, 1800, (n_people, 17, 2))
    anns = []
    for f in range(n):
        objs = []
        for p in range(n_people):
            xy = base[p] + rng.normal(0, 3, (17, 2))
            kp = np.column_stack([xy, rng.uniform(0, 1, 17).round(4)])
            objs.append(
                {
                    "area": 1.5e5,
                    "bbox": [1.5, 2.5, 300.25, 500.75],
                    "category_id": 1,
                    "keypoints": kp.ravel().tolist(),
                    "object_id": p,
                    "score": 0.9,
                }
            )
        anns.append({"frame_num": f, "objects": objs})
    doc = {
        "annotations": anns,
        "job_id": "bench",
        "status": "success",
        "video": {"fps": fps, "frames": n, "width": 1920, "height": 1080},
    }
    path.write_bytes(msgspec.json.encode(doc))


def naive(path: Path) -> pd.DataFrame:
    """What one writes first: json.load, a loop over rows, pd.DataFrame."""
    with open(path) as f:
        doc = json.load(f)
    rows = []
    fps = doc["video"]["fps"]
    for ann in doc["annotations"]:
        for obj in ann["objects"]:
            kp = obj["keypoints"]
            for j, name in enumerate(JOINTS):
                rows.append(
                    (
                        ann["frame_num"],
                        obj["object_id"],
                        name,
                        kp[3 * j],
                        kp[3 * j + 1],
                        kp[3 * j + 2],
                        ann["frame_num"] / fps,
                    )
                )
    df = pd.DataFrame(rows, columns=["frame", "object_id", "joint", "x", "y", "score", "time"])
    df["joint"] = pd.Categorical(df["joint"], categories=list(JOINTS), ordered=True)
    return df.set_index(["frame", "object_id", "joint"])


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def peak_memory_mb(path: Path) -> float:
    """Peak RSS growth of load+keypoints, in a fresh process (imports done before measuring)."""
    # VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork + exec
    code = f"""
import posekit as pk, pandas, numpy, msgspec
from posekit import tidy
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
base = hwm()
kp = pk.load({str(path)!r}).keypoints()
print((hwm() - base) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--naive-repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        make_big_job(path)
        size_mb = os.path.getsize(path) / 1e6
        data = path.read_bytes()
        kp = pk.load(path).keypoints()
        print(f"input: {size_mb:.1f} MB JSON, {len(kp):,} keypoint rows")
        t_posekit = best_of(lambda: pk.load(path).keypoints(), args.repeat)
        t_msgspec = best_of(
            lambda: msgspec.json.decode(path.read_bytes(), type=JobResult), args.repeat
        )
        t_naive = best_of(lambda: naive(path), args.naive_repeat)
        ref = naive(path)
        assert np.array_equal(
            ref[["x", "y", "score"]].to_numpy(), kp[["x", "y", "score"]].to_numpy()
        )
        mem = peak_memory_mb(path)
        del data
    print()
    print(f"{'measure':<44}{'figure':>10}{'target':>16}")
    print(f"{'posekit load + keypoints()':<44}{t_posekit:>9.3f}s{'< 1.000 s':>16}")
    print(f"{'msgspec decode alone (typed structs)':<44}{t_msgspec:>9.3f}s{'':>16}")
    print(f"{'json.load + row loop + pd.DataFrame':<44}{t_naive:>9.3f}s{'':>16}")
    print(f"{'speed-up over the naive code':<44}{t_naive / t_posekit:>9.1f}x{'>= 5x':>16}")
    print(f"{'posekit / msgspec decode alone':<44}{t_posekit / t_msgspec:>9.2f}x{'<= 1.3x':>16}")
    print(f"{'peak memory of the conversion (RSS growth)':<44}{mem:>7.0f} MB{'< 400 MB':>16}")
    rows = kp.shape[0] / 1e6
    write_results(
        "bench_load",
        [
            figure(
                f"load + `keypoints()`, 10 min × 30 fps × 5 people, {size_mb:.0f} MB JSON, "
                f"{rows:.2f} M rows",
                t_posekit,
                "s",
                target=("<", 1.0),
                baseline=f"`json.load` + row loop + `pd.DataFrame` {t_naive:.2f} s "
                f"({t_naive / t_posekit:.1f}× slower)",
            ),
            figure(
                "load + `keypoints()` over msgspec's typed decode alone",
                t_posekit / t_msgspec,
                "×",
                target=("<=", 1.3),
                baseline=f"msgspec typed decode alone {t_msgspec:.2f} s",
            ),
            figure("peak memory of that conversion (RSS growth)", mem, "MB", target=("<", 400)),
        ],
    )


if __name__ == "__main__":
    main()
