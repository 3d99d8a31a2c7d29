"""From a filename pattern, a list of paths or a mapping to a table of clip keys and paths."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _pattern_regex(pattern: str) -> tuple[str, re.Pattern[str], list[str]]:
    """The glob and the regex of a pattern like ``data/{subject}/{session}_{trial}.json``.

    The glob is looser than the pattern (a component with keys becomes ``prefix*suffix``), so
    that a file in the right place whose name does not parse is reported, not silently skipped.
    """
    names = _FIELD.findall(pattern)
    if len(set(names)) != len(names):
        raise ValueError(f"pattern {pattern!r} names a key twice: {names}")
    regex, pos = "", 0
    for m in _FIELD.finditer(pattern):
        regex += _glob_regex(pattern[pos : m.start()]) + f"(?P<{m.group(1)}>[^/]+?)"
        pos = m.end()
    regex += _glob_regex(pattern[pos:])
    parts = []
    for comp in pattern.split("/"):
        fields = list(_FIELD.finditer(comp))
        if fields:
            comp = comp[: fields[0].start()] + "*" + comp[fields[-1].end() :]
        parts.append(comp)
    return "/".join(parts), re.compile(regex), names


def _glob_regex(text: str) -> str:
    """A regex for the literal-and-wildcard text between keys: ``**/``, ``*`` and ``?`` as glob."""
    out, i = "", 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return out


def _norm(path: str) -> str:
    return Path(path).as_posix().rstrip("/")


def paths_from_pattern(pattern: str) -> pd.Series:
    """Every file (or folder) matching ``pattern``, indexed by the keys parsed from its path.

    Raises
    ------
    FileNotFoundError
        Nothing matches.
    ValueError
        A matching path whose keys cannot be parsed (named), or two paths with the same keys.
    """
    globbed, regex, names = _pattern_regex(_norm(os.path.expanduser(str(pattern))))
    found = sorted(glob.glob(globbed, recursive=True))
    if not found:
        raise FileNotFoundError(f"no file matches the pattern {pattern!r} (glob {globbed!r})")
    keys: list[Any] = []
    if not names:
        names = ["clip"]
        keys = [Path(p).stem for p in found]
    else:
        for p in found:
            m = regex.fullmatch(_norm(p))
            if m is None:
                raise ValueError(
                    f"cannot parse the keys {names} of pattern {pattern!r} from the file name {p!r}"
                )
            keys.append(tuple(m.group(n) for n in names) if len(names) > 1 else m.group(names[0]))
    return _series(keys, found, names)


def _series(keys: list, paths: list[str], names: list[str]) -> pd.Series:
    seen: dict = {}
    for k, p in zip(keys, paths, strict=True):
        if k in seen:
            raise ValueError(f"two files for the same key {k!r}: {seen[k]!r} and {p!r}")
        seen[k] = p
    if len(names) > 1:
        index = pd.MultiIndex.from_tuples(keys, names=names)
    else:
        index = pd.Index(keys, name=names[0])
    return pd.Series([str(p) for p in paths], index=index, name="path", dtype=object)


def paths_from(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping,
    *,
    names: list[str] | None = None,
) -> pd.Series:
    """Keys and paths from a pattern, a folder, a list of paths or a ``{key: path}`` mapping."""
    if isinstance(source, pd.Series):
        return _series(list(source.index), list(source.values), list(source.index.names))
    if isinstance(source, Mapping):
        keys = list(source)
        width = {len(k) if isinstance(k, tuple) else 1 for k in keys}
        if len(width) > 1:
            raise ValueError(f"the keys of the mapping have different lengths: {sorted(width)}")
        n = width.pop() if width else 1
        if names is None:
            names = ["clip"] if n == 1 else [f"key{i}" for i in range(n)]
        if len(names) != n:
            raise ValueError(f"names {names} for keys of length {n}")
        if not keys:
            raise ValueError("the mapping of clips is empty")
        return _series(keys, [str(source[k]) for k in keys], names)
    if isinstance(source, str | os.PathLike):
        text = str(source)
        if _FIELD.search(text) or glob.has_magic(text):
            return paths_from_pattern(text)
        p = Path(text)
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
        return paths_from([p])
    paths = [str(p) for p in source]
    if not paths:
        raise ValueError("the list of clips is empty")
    keys = [Path(p).stem if Path(p).suffix else Path(p).name for p in paths]
    return _series(keys, paths, names or ["clip"])
