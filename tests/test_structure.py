"""The package's shape: imports go one way, every submodule is reachable through ``pk.``.

The import graph is read from the source (``ast``), function-level imports included and
``if TYPE_CHECKING:`` blocks left out (they never run). ``from pkg import submodule`` counts as
importing the submodule, not the package's ``__init__``.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

import posekit as pk

PACKAGE = Path(pk.__file__).resolve().parent

#: The core, lowest first: a module may import from its own layer or below, never above.
#: schema (structs, joint tables) -> decoder (bytes -> arrays) -> PoseResult -> formats and
#: tables -> analysis -> views.
LAYERS: list[set[str]] = [
    {"posekit._version", "posekit.errors", "posekit._files"},
    {"posekit.schema"},
    {"posekit._decode"},
    {"posekit._tables"},
    {"posekit.result"},
    {"posekit.io", "posekit.io.kakao", "posekit.io.openpose", "posekit.io.coco",
     "posekit.io._build", "posekit.importers", "posekit", "posekit.tidy",
     "posekit.io._arrays", "posekit.io._formats", "posekit.io.table", "posekit.io.movement",
     "posekit.io.nwb", "posekit.io.opensim", "posekit.io.dlc", "posekit.io.sleap",
     "posekit.units"},
    {"posekit.clean", "posekit.smooth", "posekit.angles", "posekit.kinematics",
     "posekit.metrics", "posekit.summary"},
    {"posekit.plot", "posekit.widgets", "posekit.report"},
]  # fmt: skip

#: Import cycles still to be taken apart, each with the reason it is still here. A cycle not
#: listed fails the test, and so does a listed one that is gone (take it off the list).
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


def _import_graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                names = [
                    f"{source}.{a.name}" if f"{source}.{a.name}" in mods else source
                    for a in node.names
                ]
            elif (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("import_module")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names = [str(node.args[0].value)]
            for name in names:
                target = resolve(name) if name.startswith("posekit") else None
                if target and target != mod:
                    graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _layer(mod: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        for name in layer:
            if mod == name or (name != "posekit" and mod.startswith(name + ".")):
                return i
    return None


def test_import_graph_is_read():
    graph = _import_graph()
    assert "posekit._decode" in graph["posekit.result"]
    assert "posekit.schema" in graph["posekit._decode"]
    assert "posekit.io.openpose" in graph["posekit.io"]


def test_no_import_cycles():
    cycles = set(_cycles(_import_graph()))
    new = {c: sorted(c) for c in cycles - set(KNOWN_CYCLES)}
    gone = [sorted(c) for c in set(KNOWN_CYCLES) - cycles]
    assert not new, f"import cycles (function-level imports count): {list(new.values())}"
    assert not gone, f"no longer cycles, take them off KNOWN_CYCLES: {gone}"


def test_core_imports_go_one_way():
    graph = _import_graph()
    allowed = {frozenset({a, b}) for c in KNOWN_CYCLES for a in c for b in c}
    upward = [
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if (la := _layer(a)) is not None
        and (lb := _layer(b)) is not None
        and lb > la
        and frozenset({a, b}) not in allowed
    ]
    assert not upward, f"imports from a higher layer of the core: {sorted(upward)}"


@pytest.mark.parametrize(
    "name",
    sorted(
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())
    ),
)
def test_every_public_submodule_is_reachable_through_pk(name: str):
    if name in ("importers",):
        pytest.skip("kept only so that old imports work; posekit.io is the place")
    assert getattr(pk, name) is importlib.import_module(f"posekit.{name}")
