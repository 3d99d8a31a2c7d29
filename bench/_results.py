"""What a bench measured, written as JSON beside the scripts: ``bench/results/<bench>.json``.

Each bench ends with ``write_results(bench_name, [figure(...), ...])``. A figure says what is
measured, its value and unit, the target it must meet, the baseline it is compared with, and
when, where and how it was measured (date, load average and ``uptime``, the command line).
``scripts/bench_table.py`` renders the README's benchmark table from these files.

``POSEKIT_BENCH_RESULTS=DIR`` writes elsewhere (e.g. a smoke run that must not replace the
committed figures); a ``--quick`` run writes only when that variable is set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
OPS = ("<", "<=", ">", ">=")


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    target: tuple[str, float] | None = None,
    baseline: str | None = None,
    display: str | None = None,
) -> dict[str, Any]:
    """One measured figure: ``target=("<", 1.0)`` is met when ``value < 1.0`` (same unit).

    ``baseline`` is a sentence naming what the figure is compared with and that one's figure;
    ``display`` replaces the formatted value (e.g. a range over runs).
    """
    if target is not None and target[0] not in OPS:
        raise ValueError(f"target operator {target[0]!r} is not one of {OPS}")
    out: dict[str, Any] = {"name": name, "value": float(value), "unit": unit}
    out["target"] = None if target is None else {"op": target[0], "value": float(target[1])}
    out["baseline"] = baseline
    if display is not None:
        out["display"] = display
    return out


def _machine() -> dict[str, Any]:
    try:
        up = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        up = None
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "uptime": up,
    }


def _command() -> str:
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(Path.cwd())
    except ValueError:
        pass
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


def write_results(bench: str, figures: list[dict[str, Any]], *, quick: bool = False) -> Path | None:
    """Write ``figures`` of ``bench`` (atomically) and return the file, or None if not written."""
    out_dir = os.environ.get("POSEKIT_BENCH_RESULTS")
    if quick and not out_dir:
        print(f"{bench}: quick run, results not written (set POSEKIT_BENCH_RESULTS to keep them)")
        return None
    folder = Path(out_dir) if out_dir else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    common = {
        "date": now.strftime("%Y-%m-%d"),
        "time_utc": now.strftime("%H:%M:%S"),
        "machine": _machine(),
        "command": _command(),
    }
    doc = {"bench": bench, "figures": [{**f, **common} for f in figures]}
    path = folder / f"{bench}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{bench}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"results written to {path}")
    return path
