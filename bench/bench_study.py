"""Benchmark: load + per-clip summary of a study of one-minute, 30 fps, two-person clips.

Targets (issue 13), on this 2-core machine: ``study.summary`` with 2 workers >= 1.6x the clips
per second of 1 worker and >= 1.5x the plain loop over files a user writes today; peak memory
(this process and all its workers) < 1 GB; a Dask ``LocalCluster`` with 2 worker processes
within 1.3x of the local process pool. Prints the figures and the targets side by side, with
the machine's load during each run, then the per-clip cost, the per-task overhead and what a
study of 2,000 and of a million clips would take.

    /work/coord/benchlock .venv/bin/python bench/bench_study.py            # 600 clips, ~4 min
    .venv/bin/python bench/bench_study.py --clips 2000                     # the issue's size
    .venv/bin/python bench/bench_study.py --clips 200 --repeat 3 --modes w1,w2

The issue's study has 2,000 clips. ``--distinct`` clips are synthesised (walkers and squatters,
1.5 px noise, 3 % dropouts) and hard-linked under the other names, so the files are all read
and analysed one by one but the page cache holds them: this measures compute, not the disk.

Timing is wall clock, so on a shared machine it measures the share of the cores we got as much
as our code: each line says how many cores were busy in all (``machine``) and how many of them
were ours (``ours`` = our processes' CPU seconds / wall seconds). Two workers can only be twice
as fast as one when ``ours`` can reach 2.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil
from _results import figure, write_results

import posekit as pk
from posekit.study import summarize

MODES = {
    "loop": "plain loop (glob + load)",
    "w1": "study.summary, 1 worker",
    "w2": "study.summary, 2 workers",
    "dask": "Dask LocalCluster, 2 workers",
}


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


def _tree_cpu() -> float:
    """CPU seconds of this process and every live or ended descendant (pool and Dask workers)."""
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for p in me.children(recursive=True):
        try:
            c = p.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def _warm() -> None:
    """First-call costs (imports, scipy set-up) of a worker, paid before the clock starts."""
    sim = pk.synth.generate("walk", duration_s=5, fps=30, n_people=2, seed=0)
    summarize(sim.result.keypoints())


def plain_loop(pattern: str) -> pd.DataFrame:
    """What a user writes today: glob, load each file, analyse, collect."""
    rows = {}
    for path in sorted(glob.glob(pattern.replace("{subject}", "*").replace("{trial}", "*"))):
        kp = pk.load(path).keypoints()
        rows[path] = summarize(kp)
    return pd.concat(rows)


@dataclass
class Run:
    mode: str
    wall: float
    cpu: float  # CPU seconds of all our processes
    peak_mb: float
    load1: float  # 1-minute load average at the end
    machine: float  # cores busy on the whole machine during the run (of 2)

    @property
    def ours(self) -> float:
        return self.cpu / self.wall


def timed(mode: str, fn: Callable[[], pd.DataFrame], n: int) -> Run:
    c0, b0 = _tree_cpu(), _machine_busy()
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        table = fn()
        dt = time.perf_counter() - t0
    c1, b1 = _tree_cpu(), _machine_busy()
    ncpu = psutil.cpu_count()
    run = Run(mode, dt, c1 - c0, mem.peak / 2**20, os.getloadavg()[0],
              ncpu * (b1[0] - b0[0]) / max(b1[1] - b0[1], 1.0))  # fmt: skip
    print(f"{MODES[mode]:<30} {dt:7.1f} s {n / dt:6.2f} clips/s  CPU {run.cpu / n * 1000:4.0f} "
          f"ms/clip  peak {run.peak_mb:5.0f} MB  cores: ours {run.ours:4.2f}, machine "
          f"{run.machine:4.2f} of {ncpu}  load {run.load1:4.1f}  ({len(table)} rows)", flush=True)  # fmt: skip
    return run


def _noop(path: str) -> int:
    return 1


def _my_cpu() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def overhead(study, n: int, **where) -> tuple[float, float, float]:
    """(start-up s, wall ms per task, CPU ms per task in this process): a function that does
    nothing, one clip per task. With a LocalCluster this process holds the client and the
    scheduler, so its CPU per task bounds what the scheduler spends on one task."""
    t0 = time.perf_counter()
    study.select(study.paths.index[:2].tolist()).map(
        _noop, input="path", batch_size=1, progress=False, **where
    )
    start = time.perf_counter() - t0
    sub = study.select(study.paths.index[:n].tolist())
    c0, t0 = _my_cpu(), time.perf_counter()
    sub.map(_noop, input="path", batch_size=1, progress=False, **where)
    per_task = (time.perf_counter() - t0 - start) / (n - 2)
    cpu = (_my_cpu() - c0) / n
    return start, max(per_task, 0.0) * 1000, cpu * 1000


@contextlib.contextmanager
def dask_client():
    """A Dask ``LocalCluster`` with 2 worker processes of 1 thread each, warmed up."""
    import dask
    from distributed import Client, LocalCluster

    # Dask's defaults cost this workload CPU: MALLOC_TRIM_THRESHOLD_=65536 in the workers'
    # environment (+40% CPU per clip, measured) and the 10 ms stack profiler (+5%). Its
    # nannies already start workers with one BLAS/OpenMP thread.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                          "distributed.worker.profile.enabled": False}):  # fmt: skip
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
            client.run(_warm)  # as the local workers, forked from this warm process
            yield client


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=600, help="clips in the study (issue: 2000)")
    ap.add_argument("--distinct", type=int, default=20, help="distinct synthetic clips")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every mode")
    ap.add_argument(
        "--modes", default="loop,w1,w2,dask", help="comma-separated: " + ",".join(MODES)
    )
    args = ap.parse_args()
    n = args.clips
    modes = args.modes.split(",")
    runs: dict[str, list[Run]] = {m: [] for m in modes}
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {psutil.cpu_count()} cores, "
          f"load average {os.getloadavg()}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        t0 = time.perf_counter()
        pattern = make_study(Path(tmp), n, args.distinct)
        print(f"study: {n} clips of 60 s, 30 fps, 2 people ({args.distinct} distinct, "
              f"made in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
        study = pk.load_study(pattern)
        _warm()  # the local pool's workers are forked from this process and inherit it
        calls = {
            "loop": lambda: plain_loop(pattern),
            "w1": lambda: study.summary(workers=1, progress=False),
            "w2": lambda: study.summary(workers=2, progress=False),
        }
        over = {}
        for r in range(args.repeat):
            if args.repeat > 1:
                print(f"-- round {r + 1}")
            for m in modes:
                if m != "dask":
                    runs[m].append(timed(m, calls[m], n))
                    continue
                # the cluster is up before the clock starts (a user's cluster is already
                # there) and down before the other modes run (its memory is not theirs)
                with dask_client() as client:
                    runs[m].append(timed(m, lambda: study.summary(client=client, progress=False), n))  # fmt: skip
                    if r == 0:
                        over["dask"] = overhead(study, min(n, 200), client=client)
        if "w2" in modes:
            over["w2"] = overhead(study, min(n, 200), workers=2)
    report(runs, over, n)
    record(runs, n, quick=n < 600 or set(modes) != set(MODES))
    return 0


def record(runs: dict[str, list[Run]], n: int, *, quick: bool) -> None:
    """The target figures into bench/results/bench_study.json (the README's table)."""
    wall = {m: _med(rs, "wall") for m, rs in runs.items()}

    def cores(*ms: str) -> str:
        return ", ".join(f"{m}: ours {_med(runs[m], 'ours'):.2f} of "
                         f"{_med(runs[m], 'machine'):.2f} busy cores" for m in ms)  # fmt: skip

    what = f"study of {n:,} one-minute two-person clips, `summary`"
    figs = []
    if {"w1", "w2"} <= set(wall):
        figs.append(figure(f"{what} with 2 workers over 1 worker (speed-up)",
                           wall["w1"] / wall["w2"], "×", target=(">=", 1.6),
                           baseline=f"1 worker {wall['w1']:.0f} s, 2 workers {wall['w2']:.0f} s "
                           f"({cores('w1', 'w2')})"))  # fmt: skip
    if {"loop", "w2"} <= set(wall):
        figs.append(figure(f"{what} with 2 workers over a plain loop over the files (speed-up)",
                           wall["loop"] / wall["w2"], "×", target=(">=", 1.5),
                           baseline=f"plain loop (glob + load + summary) {wall['loop']:.0f} s "
                           f"({cores('loop')})"))  # fmt: skip
    if {"dask", "w2"} <= set(wall):
        cpu = _med(runs["w2"], "cpu") / n
        figs.append(figure("the same on a Dask LocalCluster (2 workers), time over the process pool",
                           wall["dask"] / wall["w2"], "×", target=("<=", 1.3),
                           baseline=f"CPU per clip {1000 * cpu:.0f} ms with 2 workers "
                           f"({cores('dask')})"))  # fmt: skip
    peak = max(r.peak_mb for rs in runs.values() for r in rs)
    figs.append(figure("peak memory of the study (all processes)", peak, "MB", target=("<", 1024)))
    write_results("bench_study", figs, quick=quick)


def _med(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def report(runs: dict[str, list[Run]], over: dict[str, tuple[float, float]], n: int) -> None:
    wall = {m: _med(rs, "wall") for m, rs in runs.items()}
    print()
    print(f"{'figure (median of rounds)':<40} {'measured':>9} {'target':>9}  met   cores ours/"
          f"machine, load")  # fmt: skip

    def line(label: str, value: float, target: str, ok: bool, ms: list[str], unit: str = "x"):
        ctx = "; ".join(
            f"{m} {_med(runs[m], 'ours'):.2f}/{_med(runs[m], 'machine'):.2f}, "
            f"{_med(runs[m], 'load1'):.1f}"
            for m in ms
        )
        v = f"{value:8.2f}{unit}" if unit == "x" else f"{value:7.0f}{unit}"
        print(f"{label:<40} {v:>9} {target:>9}  {'yes' if ok else 'NO ':<4}  {ctx}")

    if {"w1", "w2"} <= set(wall):
        r = wall["w1"] / wall["w2"]
        line("2 workers vs 1 worker (clips/s)", r, ">= 1.6x", r >= 1.6, ["w1", "w2"])
    if {"loop", "w2"} <= set(wall):
        r = wall["loop"] / wall["w2"]
        line("2 workers vs plain loop (clips/s)", r, ">= 1.5x", r >= 1.5, ["loop", "w2"])
    if {"dask", "w2"} <= set(wall):
        r = wall["dask"] / wall["w2"]
        line("Dask LocalCluster time / process pool", r, "<= 1.3x", r <= 1.3, ["dask", "w2"])
    peak = max(r.peak_mb for rs in runs.values() for r in rs)
    line("peak memory, all processes", peak, "< 1024MB", peak < 1024, [], unit="MB")
    print()
    cpu = {m: _med(rs, "cpu") / n for m, rs in runs.items()}
    print("CPU per clip (does not depend on the load): "
          + ", ".join(f"{m} {1000 * c:.0f} ms" for m, c in cpu.items()))  # fmt: skip
    for m, rs in runs.items():
        if len(rs) > 1:
            print(f"{m} rounds: " + ", ".join(f"{r.wall:.1f} s (ours {r.ours:.2f})" for r in rs))
    if "w2" in wall and "w1" in runs:
        # what the pool would do with two free cores: same CPU per clip, both cores ours
        print(f"2 workers if both cores were ours: {_med(runs['w2'], 'cpu') / 2:.1f} s for {n} "
              f"clips vs {wall['w1']:.1f} s measured with 1 worker")  # fmt: skip
    for m, (start, per_task, cpu_task) in over.items():
        print(f"{m}: start-up {start:.2f} s, per-task overhead {per_task:.1f} ms wall, "
              f"{cpu_task:.1f} CPU-ms in this process (2 workers, a task that does nothing)")  # fmt: skip
    base = "w2" if "w2" in wall else next(iter(wall))
    per_clip = wall[base] / n
    print(f"2,000 clips at the measured {MODES[base]} rate: {2000 * per_clip:.0f} s "
          f"({per_clip * 1000:.0f} ms wall per clip)")  # fmt: skip
    c = statistics.median(cpu.values())
    task_ms = over.get("dask", over.get("w2", (0.0, 1.0, 1.0)))[2]
    for workers in (100, 1000):
        for batch in (1, 16):
            compute = 1e6 * c / workers
            sched = 1e6 / batch * task_ms / 1000  # one scheduler, one task at a time
            print(f"1 million clips on {workers} worker cores, {batch:2d} clips/task: compute "
                  f"{compute / 60:5.1f} min, scheduler {sched / 60:5.1f} min "
                  f"(at {1000 * c:.0f} CPU-ms per clip, {task_ms:.1f} scheduler CPU-ms per task)")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()} ({psutil.cpu_count()} cores)")


if __name__ == "__main__":
    raise SystemExit(main())
