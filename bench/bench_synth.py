"""Benchmark: posekit.synth on the big job (10 min, 30 fps, 5 people walking: 90,000 objects).

Targets (issue 2 / synth brief): ``generate("walk", duration_s=600, fps=30, n_people=5)`` in a
few seconds (target <= 3 s here); ``big_job_json`` (generate + encode + atomic write) <= 5 s.
Baselines, measured in the same run: the obvious code, i.e. forward kinematics called frame by
frame and person by person (timed on 1 minute, scaled x10), and dicts + ``json.dumps`` for the
JSON.

    .venv/bin/python bench/bench_synth.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _results import figure, write_results

import posekit as pk
from posekit.synth import motion
from posekit.synth.body import to_image


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def naive_generate(duration_s: float, fps: float, n_people: int) -> list[dict]:
    """Frame-by-frame, person-by-person forward kinematics and dict building."""
    n = round(duration_s * fps)
    anns = []
    for f in range(n):
        t = np.array([f / fps])
        objs = []
        for p in range(n_people):
            mo = motion.walk(t, duration_s=duration_s, rate_hz=1.8, phase0=0.37 * p % 1,
                             rng=np.random.default_rng(p))  # fmt: skip
            pts = mo.points(np.ones(1))[0]
            xy = to_image(pts, x0=200.0 + 250 * p, ground_y=650.0, height_px=230.0)
            kp = []
            for x, y in xy:
                kp += [round(float(x), 2), round(float(y), 2), 0.9]
            xs, ys = xy[:, 0], xy[:, 1]
            w, h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
            objs.append({"area": float(w * h), "bbox": [float(xs.min()), float(ys.min()),
                         float(w), float(h)], "category_id": 1, "keypoints": kp,
                         "object_id": p, "score": 0.9})  # fmt: skip
        anns.append({"frame_num": f, "objects": objs})
    return anns


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    kw = dict(duration_s=600.0, fps=30.0, n_people=5)

    t_gen = best(lambda: pk.synth.generate("walk", **kw), args.repeat)
    t_naive = 10 * best(lambda: naive_generate(60.0, 30.0, 5), 1)

    sim = pk.synth.generate("walk", **kw)
    n_obj = sum(len(a.objects) for a in sim.result.annotations())
    tracemalloc.start()
    del sim
    gc.collect()
    tracemalloc.reset_peak()
    sim = pk.synth.generate("walk", **kw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        t_json = best(lambda: pk.synth.big_job_json(path), args.repeat)
        size = path.stat().st_size
        doc = sim.result.to_dict()
        t_dumps = best(lambda: (Path(tmp) / "naive.json").write_text(json.dumps(doc)), 1)
        t_enc = best(lambda: sim.result.to_json(), args.repeat)

    print(f"big job: {n_obj:,} objects, JSON {size / 1e6:.1f} MB (target ~56 MB)")
    print(f"{'figure':44s} {'measured':>10s} {'target':>10s} {'baseline':>10s}")
    rows = [
        ("generate('walk', 600 s, 30 fps, 5 people)", t_gen, "<= 3 s", t_naive),
        ("big_job_json (generate + encode + write)", t_json, "<= 5 s", t_naive + t_dumps),
        ("  JSON encoding alone (msgspec vs json)", t_enc, "", t_dumps),
    ]
    for name, t, target, base in rows:
        print(f"{name:44s} {t:9.2f}s {target:>10s} {base:9.2f}s")
    print(f"{'peak traced memory of generate':44s} {peak / 1e6:8.0f}MB")
    print("baseline: frame-by-frame forward kinematics (timed on 1 min, x10) + json.dumps")
    write_results(
        "bench_synth",
        [
            figure(
                "synthetic 10-minute 5-person job, generate + write JSON",
                t_json,
                "s",
                target=("<=", 5),
                baseline=f"frame-by-frame + `json.dumps` {t_naive + t_dumps:.1f} s",
            )
        ],
    )


if __name__ == "__main__":
    main()
