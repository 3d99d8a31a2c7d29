"""Every public function has a docstring with a Parameters section and an example that runs.

The examples themselves run as doctests (``--doctest-modules``); this test checks that they
exist. The public API is what the public modules export in ``__all__`` (and the public methods
of the classes among it). ``tests/docstring_todo.txt`` lists what is not yet up to it: the list
may only shrink (a name documented since must leave it; a new public name must be documented).

    .venv/bin/python tests/test_docstrings.py   # rewrite the list (after documenting)
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import posekit

TODO = Path(__file__).resolve().parent / "docstring_todo.txt"


def _public_modules() -> Iterator[Any]:
    yield posekit
    for info in pkgutil.walk_packages(posekit.__path__, "posekit."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        yield importlib.import_module(info.name)


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    for attr, member in vars(cls).items():
        if attr.startswith("_"):
            continue
        if isinstance(member, property):
            yield attr, member.fget
        elif isinstance(member, classmethod | staticmethod):
            yield attr, member.__func__
        elif inspect.isfunction(member):
            yield attr, member


def public_api() -> dict[str, Any]:
    """Qualified name (where it is defined) -> function, method, property getter or class."""
    out: dict[str, Any] = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            home = getattr(obj, "__module__", "") or ""
            if not home.startswith("posekit"):
                continue
            key = f"{home}.{obj.__qualname__}"
            out.setdefault(key, obj)
            if inspect.isclass(obj):
                for attr, member in _members(obj):
                    out.setdefault(f"{key}.{attr}", member)
    return out


def missing(obj: Any) -> list[str]:
    """What the docstring of ``obj`` lacks: "docstring", "Parameters", "Examples"."""
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return ["docstring"]
    out = []
    try:
        params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
    except (TypeError, ValueError):
        params = []
    is_property_getter = not inspect.isclass(obj) and params == [] and obj.__name__ != "__init__"
    is_protocol = inspect.isclass(obj) and getattr(obj, "_is_protocol", False)  # not built
    if params and not is_protocol and "Parameters\n---" not in doc:
        out.append("Parameters")
    if ">>>" not in doc and not is_property_getter:
        out.append("Examples")
    return out


def current() -> dict[str, list[str]]:
    found = {name: missing(obj) for name, obj in public_api().items()}
    return {name: what for name, what in sorted(found.items()) if what}


def _read_todo() -> dict[str, str]:
    out = {}
    for line in TODO.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, what = line.partition(":")
            out[name.strip()] = what.strip()
    return out


def test_public_api_is_walked():
    api = public_api()
    assert len(api) > 250
    assert "posekit.angles.joint_angles" in api and "posekit.result.PoseResult.keypoints" in api


def test_new_public_names_are_documented():
    todo = _read_todo()
    new = {name: what for name, what in current().items() if name not in todo}
    assert not new, (
        "public functions without a docstring, a Parameters section or an example "
        f"(numpy style, see STYLE.md): {new}"
    )


def test_documented_names_leave_the_todo_list():
    now = current()
    done = sorted(name for name in _read_todo() if name not in now)
    assert not done, (
        f"now documented (or gone): remove from tests/docstring_todo.txt, or run "
        f"`.venv/bin/python tests/test_docstrings.py`: {done}"
    )


def test_documented_examples():
    assert missing(posekit.angles.joint_angles) == []
    assert missing(posekit.tidy.get_fps) == []
    assert missing(posekit.PoseResult.fps.fget) == []  # a property needs no example


if __name__ == "__main__":
    lines = [f"{name}: {', '.join(what)}" for name, what in current().items()]
    header = [
        "# Public functions whose docstrings lack a Parameters section or an example (or both);",
        "# tests/test_docstrings.py keeps this list from growing. Document one, then rewrite the",
        "# list with `.venv/bin/python tests/test_docstrings.py`.",
    ]
    TODO.write_text("\n".join(header + lines) + "\n")
    print(f"{TODO}: {len(lines)} names", file=sys.stderr)
