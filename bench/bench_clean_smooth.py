"""Speed of posekit.smooth and posekit.clean.assign_tracks on the 10-minute 5-person table.

Run: ``.venv/bin/python bench/bench_clean_smooth.py [--quick]``

Prints, per operation, posekit's time (best of a few runs, table in and table out), the
target from the issue, and a straightforward per-group pandas version of the same work
(``groupby().transform`` for the filters, a per-frame ``groupby`` loop for tracking), side by
side. ``--quick`` uses a 1-minute table (for a smoke test; targets are for 10 minutes).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from _results import figure, write_results
from scipy import signal
from scipy.optimize import linear_sum_assignment

import posekit as pk
from posekit.tidy import DenseKeypoints, from_dense, to_dense


def best_of(fn, repeat: int = 3) -> tuple[float, float]:
    """(best wall time, CPU time of that run), seconds."""
    best = (np.inf, np.inf)
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - w, time.process_time() - c))
    return best


def untrack(kp: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Shuffle the people within each frame; object_id = place in the list (like OpenPose)."""
    d = to_dense(kp, ("x", "y", "score"))
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random(d.present.shape), axis=1)
    values = np.take_along_axis(d.values, order[:, :, None, None], axis=1)
    dense = DenseKeypoints(
        values=values,
        frames=d.frames,
        object_ids=np.arange(d.present.shape[1]),
        columns=d.columns,
        present=np.take_along_axis(d.present, order, axis=1),
        attrs=d.attrs,
    )
    return from_dense(dense)


# -- the straightforward pandas versions -------------------------------------------------------


def _per_run(values: np.ndarray, fn, min_len: int) -> np.ndarray:
    out = values.copy()
    ok = np.isfinite(values)
    edges = np.diff(np.r_[0, ok.astype(np.int8), 0])
    for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if e - s >= min_len:
            out[s:e] = fn(values[s:e])
    return out


def baseline_butterworth(kp: pd.DataFrame, cutoff_hz: float = 6.0) -> pd.DataFrame:
    sos = signal.butter(2, cutoff_hz, fs=kp.attrs["fps"], output="sos")
    out = kp.copy()
    g = kp.groupby(level=["object_id", "joint"], observed=True)
    for c in ("x", "y"):
        out[c] = g[c].transform(
            lambda s: _per_run(s.to_numpy(), lambda v: signal.sosfiltfilt(sos, v), 10)
        )
    return out


def baseline_median(kp: pd.DataFrame, window: int = 5) -> pd.DataFrame:
    out = kp.copy()
    g = kp.groupby(level=["object_id", "joint"], observed=True)
    for c in ("x", "y"):
        out[c] = g[c].transform(lambda s: s.rolling(window, center=True, min_periods=1).median())
    return out


def baseline_assign_tracks(kp: pd.DataFrame, gate_frac: float = 0.5) -> pd.DataFrame:
    """Frame-by-frame matching on mean keypoint distance, one pandas group per frame."""
    tracks: dict[int, np.ndarray] = {}
    ids = []
    for _, g in kp.groupby(level="frame", sort=True):
        poses = g[["x", "y"]].to_numpy().reshape(-1, 17, 2)
        tid = list(tracks)
        if tid:
            prev = np.stack([tracks[t] for t in tid])
            d = np.sqrt(((prev[:, None] - poses[None]) ** 2).sum(-1))
            cost = np.nanmean(d, axis=-1)
            size = np.array([np.sqrt(np.ptp(p[:, 0]) * np.ptp(p[:, 1])) for p in prev])
            cost = np.where(cost <= gate_frac * size[:, None], cost, 1e9)
            r, c = linear_sum_assignment(cost)
        else:
            r, c = np.array([], int), np.array([], int)
        frame_ids = np.full(len(poses), -1)
        for ri, ci in zip(r, c, strict=True):
            if cost[ri, ci] < 1e9:
                frame_ids[ci] = tid[ri]
                tracks[tid[ri]] = poses[ci]
        for ci in np.flatnonzero(frame_ids < 0):
            frame_ids[ci] = len(tracks)
            tracks[len(tracks)] = poses[ci]
        ids.append(np.repeat(frame_ids, 17))
    out = kp.copy()
    out.index = pd.MultiIndex.from_arrays(
        [kp.index.get_level_values(0), np.concatenate(ids), kp.index.get_level_values(2)],
        names=kp.index.names,
    )
    return out.sort_index()


# the figures kept in bench/results (the README's table), under their names there
RECORDED = {
    "butterworth 6 Hz, all series": "Butterworth 6 Hz, all series",
    "median window 5, all series": "median, window 5, all series",
    "assign_tracks, 5 untracked people": "track assignment, 18,000 frames × 5 untracked people",
}


def main() -> int:
    quick = "--quick" in sys.argv
    duration = 60 if quick else 600
    t0 = time.perf_counter()
    sim = pk.synth.generate("walk", duration_s=duration, fps=30, n_people=5, noise_px=2.0, seed=0)
    kp = sim.result.keypoints()
    gappy = pk.clean.mask_low_confidence(
        pk.synth.generate(
            "walk", duration_s=duration, fps=30, n_people=5, noise_px=2.0, dropout=0.03, seed=1
        ).result.keypoints(),
        min_score=0.1,
    )
    untracked = untrack(kp)
    print(
        f"table: {len(kp):,} keypoint rows, {kp.index.levshape[0]:,} frames x 5 people "
        f"(built in {time.perf_counter() - t0:.1f} s); gappy copy: "
        f"{int(gappy['x'].isna().sum()):,} NaN points"
    )
    scale = 1.0 if not quick else 0.1
    rows = [
        ("butterworth 6 Hz, all series", lambda: pk.smooth.butterworth(kp, cutoff_hz=6.0), 0.4,
         lambda: baseline_butterworth(kp)),
        ("butterworth 6 Hz, with 3% gaps", lambda: pk.smooth.butterworth(gappy, cutoff_hz=6.0), 0.4,
         lambda: baseline_butterworth(gappy)),
        ("median window 5, all series", lambda: pk.smooth.median(kp, window_frames=5), 0.5,
         lambda: baseline_median(kp)),
        ("median window 5, with 3% gaps", lambda: pk.smooth.median(gappy, window_frames=5), 0.5,
         lambda: baseline_median(gappy)),
        ("assign_tracks, 5 untracked people", lambda: pk.clean.assign_tracks(untracked), 3.0,
         lambda: baseline_assign_tracks(untracked)),
    ]  # fmt: skip
    print(
        f"\n{'operation':36s} {'posekit s':>10s} {'(cpu s)':>8s} {'target s':>9s} "
        f"{'baseline s':>11s} {'speed-up':>9s}  verdict"
    )
    recorded = []
    for name, fn, target, base in rows:
        wall, cpu = best_of(fn)
        b_wall, _ = best_of(base, repeat=1)
        target *= scale
        ok = wall < target and b_wall / wall >= 3
        print(
            f"{name:36s} {wall:10.3f} {cpu:8.3f} {target:9.2f} {b_wall:11.3f} "
            f"{b_wall / wall:8.1f}x  {'OK' if ok else 'MISS'}"
        )
        if name in RECORDED:
            how = "per-frame `groupby` loop" if "track" in name else "`groupby().transform`"
            recorded.append(
                figure(
                    RECORDED[name],
                    wall,
                    "s",
                    target=("<", target),
                    baseline=f"{how} {b_wall:.3f} s ({b_wall / wall:.1f}× slower)",
                )
            )
    write_results("bench_clean_smooth", recorded, quick=quick)
    others = [
        ("moving_average window 5", lambda: pk.smooth.moving_average(kp, window_frames=5)),
        ("gaussian sigma 1.5", lambda: pk.smooth.gaussian(kp, sigma_frames=1.5)),
        ("savgol 11/3", lambda: pk.smooth.savgol(kp, window_frames=11, polyorder=3)),
        ("one_euro", lambda: pk.smooth.one_euro(kp, min_cutoff_hz=2.0, beta=0.2)),
        ("kalman (RTS)", lambda: pk.smooth.kalman(kp)),
        ("winter_cutoff (30 candidates)", lambda: pk.smooth.winter_cutoff(kp)),
        ("interpolate max 5 frames, gappy", lambda: pk.clean.interpolate(gappy)),
        ("fix_left_right_swaps", lambda: pk.clean.fix_left_right_swaps(kp)),
        (
            "compare (raw + 2 methods)",
            lambda: pk.smooth.compare(kp, {"a": kp, "b": kp}, truth=sim.truth),
        ),
    ]
    print("\nno target (information):")
    for name, fn in others:
        wall, cpu = best_of(fn, repeat=1)
        print(f"{name:36s} {wall:10.3f} {cpu:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
