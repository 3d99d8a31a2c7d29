"""Running a per-clip function over a study: in this process, a local process pool, or Dask.

Work goes out as batches of ``(key, path)``: clips are read where they are processed, never
shipped from the caller. A batch answers one ``(key, ok, value)`` per clip, so an exception in
one clip is one error row and the study goes on. A worker process that dies takes its batch with
it: those clips are tried again one by one in a fresh pool, and reported if they die again.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from posekit._progress import progress_bar
from posekit.result import PoseResult

Input = Literal["keypoints", "result", "path"]
Item = tuple[Any, str]  # (key, path)
Outcome = tuple[Any, bool, Any]  # (key, ok, value or error dict)


def read_clip(path: str, reader: str | Callable[[str], PoseResult] = "auto") -> PoseResult:
    """One clip as a :class:`~posekit.PoseResult`: Kakao JSON file, OpenPose folder, COCO file."""
    if callable(reader):
        return reader(path)
    import posekit.io as pio

    p = Path(path)
    if reader == "auto":
        reader = "openpose" if p.is_dir() else "kakao"
    if reader == "kakao":
        return pio.load(p)
    if reader == "openpose":
        return pio.load_openpose(p)
    if reader == "coco":
        return pio.load_coco(p)
    raise ValueError(
        f"unknown reader {reader!r}: 'auto', 'kakao', 'openpose', 'coco' or a function"
    )


def _input(path: str, reader: Any, what: Input, min_score: float | None) -> Any:
    if what == "path":
        return path
    res = read_clip(path, reader)
    if what == "result":
        return res
    return res.keypoints(min_score=min_score)


def _error(exc: BaseException) -> dict[str, str]:
    return {
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


#: Environment variables that keep numeric libraries to one thread in a worker process.
ONE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def one_thread() -> None:
    """Keep BLAS/OpenMP to one thread in this process: a worker is one core's worth of work.

    Several workers each running a BLAS pool as wide as the machine would share the cores
    between more threads than there are cores (oversubscription). The environment covers
    libraries loaded from now on; libraries already loaded (numpy's OpenBLAS, inherited by a
    forked worker) are limited through threadpoolctl when it is installed.
    """
    os.environ.update(ONE_THREAD_ENV)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(1)


def run_batch(
    func: Any, reader: Any, items: list[Item], what: Input, min_score: float | None
) -> list[Outcome]:
    """Run ``func`` on each clip of a batch; exceptions become error outcomes."""
    if isinstance(func, bytes):
        func = _loads(func)
    out: list[Outcome] = []
    for key, path in items:
        try:
            out.append((key, True, func(_input(path, reader, what, min_score))))
        except Exception as exc:
            out.append((key, False, _error(exc)))
    return out


def _dumps(func: Any) -> bytes:
    # cloudpickle (a dependency of distributed) also carries lambdas and notebook functions
    try:
        import cloudpickle

        return cloudpickle.dumps(func)
    except ImportError:
        return pickle.dumps(func)


def _loads(data: bytes) -> Any:
    return pickle.loads(data)


def batches(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def auto_batch(n: int, workers: int) -> int:
    """Clips per task: about 32 tasks per worker, at most 16 clips each.

    Fewer, bigger tasks pay the per-task overhead (a few ms on a local pool, more on a Dask
    scheduler) less often; more, smaller ones keep the workers evenly busy at the end, when
    the last task of one worker may still run while the other has nothing left (on average
    half a task of idle time per worker).
    """
    return max(1, min(16, math.ceil(n / (workers * 32))))


def _progress(total: int, progress: bool | None, desc: str):
    return progress_bar(progress, total=total, desc=desc, unit="clip")


def _one_thread_here():
    """A context keeping BLAS/OpenMP to one thread in this process, restored afterwards."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1)


def run_serial(func, reader, items, what, min_score, progress, desc) -> Iterable[Outcome]:
    # one worker is one core, as in the pool
    with _progress(len(items), progress, desc) as bar, _one_thread_here():
        for item in items:
            yield from run_batch(func, reader, [item], what, min_score)
            bar.update(1)


def _start_method() -> str | None:
    """How worker processes start: ``forkserver`` in notebooks, ``fork`` for scripts.

    In a notebook the kernel runs threads, which a fork would copy mid-flight; the fork server
    is forked before any of them and imports posekit once. A script's ``__main__`` would be
    re-imported by the fork server (running the script again without an ``if __name__ ==
    "__main__"`` guard), so scripts fork directly. Elsewhere (macOS, Windows): the default.
    """
    methods = mp.get_all_start_methods()
    if "fork" not in methods:
        return None
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) is None and "forkserver" in methods:
        return "forkserver"
    return "fork"


#: Modules a worker needs for the usual per-clip work, imported once before workers start.
PRELOAD = ("posekit.study", "posekit.clean", "posekit.smooth", "posekit.angles",
           "posekit.kinematics", "posekit.metrics", "scipy.signal")  # fmt: skip


def _pool(workers: int) -> ProcessPoolExecutor:
    method = _start_method()
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(list(PRELOAD))
    elif method == "fork":
        # imported here, once, and inherited by every forked worker: otherwise each worker
        # would import scipy and the analysis modules itself on its first clip
        import importlib

        for name in PRELOAD:
            importlib.import_module(name)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=one_thread)


def _died(key: Any) -> Outcome:
    return (
        key,
        False,
        {
            "error": "WorkerDied: the worker process died while processing this clip "
            "(out of memory, or a crash in native code); it was tried twice",
            "traceback": "",
        },
    )


def run_local(
    func, reader, items, what, min_score, progress, desc, workers: int, batch_size: int
) -> Iterable[Outcome]:
    payload = _dumps(func)
    died: list[Item] = []
    with _progress(len(items), progress, desc) as bar:
        with _pool(workers) as pool:
            pending: dict[Future, list[Item]] = {
                pool.submit(run_batch, payload, reader, b, what, min_score): b
                for b in batches(items, batch_size)
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = pending.pop(fut)
                    try:
                        outcomes = fut.result()
                    except BrokenProcessPool:
                        died.extend(batch)
                        continue
                    except Exception as exc:  # unpicklable result and the like
                        outcomes = [(k, False, _error(exc)) for k, _ in batch]
                    bar.update(len(outcomes))
                    yield from outcomes
        # A dead worker breaks the whole pool: every clip it had not answered is tried again,
        # one clip per task on one worker, so a clip that kills it again is the one reported.
        while died:
            todo, died = died, []
            with _pool(1) as pool:
                futs = [
                    (pool.submit(run_batch, payload, reader, [it], what, min_score), it)
                    for it in todo
                ]
                broken = False
                for fut, item in futs:
                    if broken:
                        died.append(item)
                        continue
                    try:
                        outcomes = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        outcomes = [_died(item[0])]
                    bar.update(1)
                    yield from outcomes


#: How long to try reaching a scheduler given by address before giving up (seconds).
CONNECT_TIMEOUT_S = 10.0


def connect(client: Any):
    """A ``distributed.Client`` from a client or a scheduler address, with a clear error."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            "running a study on Dask needs dask.distributed: pip install 'posekit[cluster]'"
        ) from None
    if isinstance(client, Client):
        return client, False
    if isinstance(client, str):
        try:
            return Client(client, timeout=f"{CONNECT_TIMEOUT_S}s"), True
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"cannot reach the Dask scheduler at {client!r}: {exc}") from None
    raise TypeError(
        f"client must be a distributed.Client or a scheduler address, not {type(client)}"
    )


def run_dask(
    func, reader, items, what, min_score, progress, desc, client, batch_size: int
) -> Iterable[Outcome]:
    from distributed import as_completed
    from distributed import wait as wait_dask

    client, own = connect(client)
    try:
        # the function travels inside every task (a few hundred bytes for a module-level
        # function): scattered data would die with the workers that hold it, and the retries
        # of a dead worker's tasks would then fail for want of it
        payload = _dumps(func)
        futures = {}
        for b in batches(items, batch_size):
            fut = client.submit(run_batch, payload, reader, b, what, min_score, pure=False)
            futures[fut] = b
        suspects: list[Item] = []
        with _progress(len(items), progress, desc) as bar:
            for fut in as_completed(list(futures)):
                batch = futures.pop(fut)
                if fut.status == "finished":
                    bar.update(len(batch))
                    yield from fut.result()
                else:
                    # KilledWorker after the scheduler's retries, cancelled, ...: func's own
                    # exceptions never get here. A worker that dies also takes the tasks queued
                    # on it, so innocent clips can be marked with the one that kills it.
                    suspects.extend(batch)
                fut.release()
            # Tried again one at a time, alone on the cluster: only a clip that kills its
            # worker by itself is reported (KilledWorker, after the scheduler's retries).
            for item in suspects:
                fut = client.submit(run_batch, payload, reader, [item], what, min_score,
                                    pure=False)  # fmt: skip
                wait_dask([fut])
                outcomes = (
                    fut.result()
                    if fut.status == "finished"
                    else [(item[0], False, _dask_error(fut))]
                )
                fut.release()
                bar.update(1)
                yield from outcomes
    finally:
        if own:
            client.close()


def _dask_error(fut: Any) -> dict[str, str]:
    try:
        exc = fut.exception()
    except BaseException as err:  # cancelled futures raise instead of returning
        exc = err
    if exc is None:
        return {"error": f"the Dask task ended as {fut.status!r}", "traceback": ""}
    return _error(exc)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def combine_outcomes(outcomes: list[Outcome], order: pd.Index) -> pd.DataFrame | pd.Series:
    """The results of ``map`` in study order, with the failed clips in ``attrs["errors"]``."""
    from posekit._levels import combine

    names = list(order.names)
    by_key = {k: (ok, v) for k, ok, v in outcomes}
    keys = [k for k in order if k in by_key]
    good = [(k if isinstance(k, tuple) else (k,), by_key[k][1]) for k in keys if by_key[k][0]]
    bad = {k: by_key[k][1] for k in keys if not by_key[k][0]}
    errors = pd.DataFrame(
        [bad[k] for k in bad], index=order[order.isin(list(bad))], columns=["error", "traceback"]
    )
    values = [v for _, v in good]
    gkeys = [k for k, _ in good]
    if values and all(isinstance(v, dict) for v in values):
        out: Any = pd.DataFrame(values, index=pd.MultiIndex.from_tuples(gkeys, names=names))
        out = out.reindex(
            pd.MultiIndex.from_tuples(
                [k if isinstance(k, tuple) else (k,) for k in keys], names=names
            )
        )
        out["error"] = pd.Series(
            {(k if isinstance(k, tuple) else (k,)): e["error"] for k, e in bad.items()},
            dtype=object,
        ).reindex(out.index)
        if len(names) == 1:
            out.index = out.index.get_level_values(0)
    elif values:
        out = combine(values, gkeys, names, None)
        if (
            isinstance(out, pd.Series)
            and len(names) == 1
            and isinstance(out.index, pd.MultiIndex)
            and out.index.nlevels == 1
        ):
            out.index = out.index.get_level_values(0)
    else:
        out = pd.DataFrame(index=order[:0])
    out.attrs["errors"] = errors
    return out
