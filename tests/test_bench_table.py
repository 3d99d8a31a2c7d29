"""The README's benchmark table is what scripts/bench_table.py renders from bench/results."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


table = _load(ROOT / "scripts" / "bench_table.py")
results = _load(ROOT / "bench" / "_results.py")


def test_readme_table_is_rendered_from_the_committed_results():
    readme = (ROOT / "README.md").read_text()
    assert table.replace_section(readme, table.render()) == readme, (
        "README's benchmark table differs from bench/results: run `make bench-table`"
    )
    assert table.main(["--check"]) == 0


def test_every_committed_figure_is_complete():
    docs = table.load_results()
    assert {d["bench"] for d in docs} >= {"bench_load", "bench_estimate", "bench_server"}
    for doc in docs:
        for fig in doc["figures"]:
            assert (
                fig["name"]
                and fig["unit"] is not None
                and fig["command"].startswith(".venv/bin/python bench/" + doc["bench"])
            )
            assert math.isfinite(fig["value"])
            assert fig["date"][:4] == "2026"
            assert fig.get("target") is None or fig["target"]["op"] in results.OPS
            assert fig["machine"]["cpus"] >= 1


def test_written_results_render_with_met_or_missed(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEKIT_BENCH_RESULTS", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["bench/bench_x.py", "--repeat", "2"])
    path = results.write_results(
        "bench_x",
        [
            results.figure("fast thing", 0.0123, "s", target=("<", 0.1), baseline="slow 1 s"),
            results.figure("slow thing", 72.0, "ms/frame", target=("<=", 60)),
            results.figure("ratio", 1.035, "×", target=(">=", 1.6)),
            results.figure("information", 1234.5, "/s"),
        ],
    )
    assert path == tmp_path / "bench_x.json"
    assert [p.name for p in tmp_path.iterdir()] == ["bench_x.json"]  # no temporary file left
    doc = json.loads(path.read_text())
    fig = doc["figures"][0]
    assert fig["command"] == ".venv/bin/python bench/bench_x.py --repeat 2"
    assert len(fig["machine"]["load_average"]) == 3 and fig["machine"]["cpus"] >= 1
    rows = table.render(tmp_path).splitlines()
    body = [r for r in rows if r.startswith("| ") and "---" not in r][1:]
    assert body[0].startswith("| fast thing (`bench_x.py`) | 0.0123 s | < 0.1 s | yes | slow 1 s |")
    assert body[1].startswith("| slow thing | **72 ms/frame** | ≤ 60 ms/frame | **no** |  |")
    assert body[2].startswith("| ratio | **1.03×** | ≥ 1.6× | **no** |")
    assert body[3].startswith("| information | 1234 /s |  |  |  |")
    assert "†" not in "\n".join(rows)  # measured, not copied


def test_quick_runs_do_not_replace_the_committed_figures(monkeypatch):
    monkeypatch.delenv("POSEKIT_BENCH_RESULTS", raising=False)
    assert results.write_results("bench_x", [], quick=True) is None
    assert not (results.RESULTS_DIR / "bench_x.json").exists()


def test_bad_target_operator_is_refused():
    with pytest.raises(ValueError, match="operator"):
        results.figure("x", 1.0, "s", target=("=<", 2.0))
