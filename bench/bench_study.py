"""Benchmark: load + per-clip summary of a study of one-minute, 30 fps, two-person clips.

Targets (issue 13), on this 2-core machine: ``study.summary`` with 2 workers >= 1.6x the clips
per second of 1 worker and >= 1.5x the plain loop over files a user writes today; peak memory
(this process and all its workers) < 1 GB; a Dask ``LocalCluster`` with 2 worker processes
within 1.3x of the local process pool. Prints the figures side by side.

    .venv/bin/python bench/bench_study.py [--clips 2000] [--distinct 20]

The issue's study has 2,000 clips. ``--distinct`` clips are synthesised (walkers and squatters,
1.5 px noise, 3 % dropouts) and hard-linked under the other names, so the files are all read
and analysed one by one but the page cache holds them: this measures compute, not the disk.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _results import figure, write_results

import posekit as pk
from posekit.study import summarize


def make_study(root: Path, n_clips: int, distinct: int) -> str:
    sources = []
    for i in range(distinct):
        activity = ("walk", "squat")[i % 2]
        sim = pk.synth.generate(
            activity, duration_s=60, fps=30, n_people=2, seed=i, noise_px=1.5, dropout=0.03
        )
        p = root / f"_src{i}.json"
        pk.save(sim.result, p)
        sources.append(p)
    for i in range(n_clips):
        d = root / f"s{i // 20:03d}"
        d.mkdir(exist_ok=True)
        os.link(sources[i % distinct], d / f"trial{i % 20:02d}.json")
    return str(root / "{subject}/trial{trial}.json")


class PeakRSS:
    """Peak resident memory of this process plus all its descendants, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _warm() -> None:
    """First-call costs (imports, scipy set-up) of a worker, paid before the clock starts."""
    sim = pk.synth.generate("walk", duration_s=5, fps=30, n_people=2, seed=0)
    summarize(sim.result.keypoints())


def plain_loop(pattern: str) -> int:
    """What a user writes today: glob, load each file, analyse, collect."""
    import glob

    import pandas as pd

    rows = {}
    for path in sorted(glob.glob(pattern.replace("{subject}", "*").replace("{trial}", "*"))):
        kp = pk.load(path).keypoints()
        rows[path] = summarize(kp)
    return len(pd.concat(rows))


def _cpu_local() -> float:
    """CPU seconds of this process and of its children that have ended (pool workers)."""
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def timed(label: str, fn, n: int, results: dict, worker_cpu=None) -> None:
    """Wall time, clips/s, peak memory and CPU seconds (this process, children, Dask workers)."""
    c0 = _cpu_local() + (worker_cpu() if worker_cpu else 0.0)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
    cpu = _cpu_local() + (worker_cpu() if worker_cpu else 0.0) - c0
    results[label] = (dt, n / dt, mem.peak / 2**20, cpu)
    print(f"{label:<30} {dt:7.1f} s  {n / dt:6.2f} clips/s  peak {mem.peak / 2**20:5.0f} MB  "
          f"CPU {cpu / n * 1000:5.0f} ms/clip  load {os.getloadavg()[0]:4.1f}  ({out} rows)",
          flush=True)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=2000)
    ap.add_argument("--distinct", type=int, default=20)
    args = ap.parse_args()
    n = args.clips
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        t0 = time.perf_counter()
        pattern = make_study(Path(tmp), n, args.distinct)
        print(f"study: {n} clips of 60 s, 30 fps, 2 people ({args.distinct} distinct, "
              f"made in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
        study = pk.load_study(pattern)
        # warm-up: imports and first-call costs are not per-clip costs
        _warm()  # the local pool's workers are forked from this process and inherit it
        res: dict[str, tuple[float, float, float]] = {}
        timed("plain loop (glob + load)", lambda: plain_loop(pattern), n, res)
        timed(
            "study.summary, 1 worker", lambda: len(study.summary(workers=1, progress=False)), n, res
        )
        timed(
            "study.summary, 2 workers",
            lambda: len(study.summary(workers=2, progress=False)),
            n,
            res,
        )
        import dask
        from distributed import Client, LocalCluster

        # Dask's defaults cost this workload CPU: MALLOC_TRIM_THRESHOLD_=65536 in the workers'
        # environment (+40% CPU per clip, measured) and the 10 ms stack profiler (+5%)
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                         "distributed.worker.profile.enabled": False})  # fmt: skip
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
            client.run(_warm)  # as the local workers, forked from this warm process

            def worker_cpu() -> float:
                return sum(client.run(time.process_time).values())

            timed("Dask LocalCluster, 2 workers",
                  lambda: len(study.summary(client=client, progress=False)), n, res,
                  worker_cpu)  # fmt: skip
    loop, one, two, dask = (res[k][0] for k in res)
    cpu = {k: v[3] / n for k, v in res.items()}
    peak = max(v[2] for v in res.values())
    per_clip_s = two * 2 / n  # worker-seconds per clip
    print()
    print(f"{'figure':<40} {'measured':>10} {'target':>10}")
    print(f"{'2 workers vs 1 worker':<40} {one / two:9.2f}x {'>= 1.6x':>10}")
    print(f"{'2 workers vs plain loop':<40} {loop / two:9.2f}x {'>= 1.5x':>10}")
    print(f"{'Dask LocalCluster time / process pool':<40} {dask / two:9.2f}x {'<= 1.3x':>10}")
    print(f"{'peak memory (all processes)':<40} {peak:8.0f}MB {'< 1024MB':>10}")
    print(f"{'worker-seconds per clip':<40} {per_clip_s:9.3f}s")
    print("CPU per clip (independent of the machine's load): " + ", ".join(
        f"{k} {1000 * v:.0f} ms" for k, v in cpu.items()))  # fmt: skip
    print(f"load average now: {os.getloadavg()} (2 cores)")
    what = f"study of {n:,} one-minute two-person clips, `summary`"
    write_results(
        "bench_study",
        [
            figure(
                f"{what} with 2 workers over 1 worker (speed-up)",
                one / two,
                "×",
                target=(">=", 1.6),
                baseline=f"1 worker {one:.0f} s, 2 workers {two:.0f} s",
            ),
            figure(
                f"{what} with 2 workers over a plain loop over the files (speed-up)",
                loop / two,
                "×",
                target=(">=", 1.5),
                baseline=f"plain loop (glob + load + summary) {loop:.0f} s",
            ),
            figure(
                "the same on a Dask LocalCluster (2 workers), time over the process pool",
                dask / two,
                "×",
                target=("<=", 1.3),
                baseline=f"CPU per clip {1000 * cpu['study.summary, 2 workers']:.0f} ms "
                "(the same in every mode)",
            ),
            figure("peak memory of the study (all processes)", peak, "MB", target=("<", 1024)),
        ],
    )
    cpu_clip = cpu["study.summary, 2 workers"]
    for workers in (100, 1000):
        hours = 1e6 * cpu_clip / workers / 3600
        print(f"1 million clips on {workers} worker cores: {hours:.2f} h of compute at "
              f"{1000 * cpu_clip:.0f} CPU-ms per clip (+ reading 1.8 MB per clip)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
