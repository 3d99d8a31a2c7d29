"""Extra leading index levels: many clips in one table, each its own series.

A study's keypoints table is indexed ``(subject, trial, ..., frame, object_id, joint)``: the
clip's keys come first. :func:`per_clip` wraps an analysis function written for one clip so that
on such a table it runs once per combination of the leading levels, with that clip's own
metadata (fps, size) in ``attrs``, and puts the results back together with the keys in front.
On a one-clip table it calls the function directly (the only cost is a look at the index names).

Where a clip's metadata is found, first to last: ``attrs["clips"]`` (the clip table a study
attaches, indexed by the keys), the ``time`` column (fps = frame / time, which survives
``pd.concat`` where ``attrs`` do not), and the table's own ``attrs``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

#: Index level names of one clip's tables; any level before the first of these is a clip key.
BASE_LEVELS = frozenset({"frame", "object_id", "joint"})
#: Per-clip metadata kept in ``attrs`` of one clip's table.
CLIP_META = ("fps", "width", "height", "source", "job_id", "kind")

F = TypeVar("F", bound=Callable[..., Any])


def leading_levels(obj: Any) -> int:
    """How many levels of ``obj``'s index come before its first frame/object_id/joint level."""
    index = getattr(obj, "index", None)
    if not isinstance(index, pd.MultiIndex):
        return 0
    for i, name in enumerate(index.names):
        if name in BASE_LEVELS:
            return i
    return 0  # no level of a clip's table at all: not ours to split


def _keys_of(index: pd.MultiIndex, n: int) -> list[Hashable]:
    return list(index.names[:n])


def _fps_from_time(part: Any) -> float | None:
    if not isinstance(part, pd.DataFrame) or "time" not in part.columns:
        return None
    t = part["time"].to_numpy(dtype=float, na_value=np.nan)
    f = part.index.get_level_values("frame").to_numpy(dtype=float)
    ok = np.isfinite(t) & (t > 0)
    if not ok.any():
        return None
    return float(np.median(f[ok] / t[ok]))


def clip_attrs(parent: Mapping[str, Any], key: tuple, part: Any) -> dict[str, Any]:
    """``attrs`` for one clip of a many-clip table: shared entries plus this clip's metadata."""
    attrs = {k: v for k, v in parent.items() if k != "clips"}
    clips = parent.get("clips")
    row = None
    if isinstance(clips, pd.DataFrame):
        try:
            row = clips.loc[key if len(key) > 1 else key[0]]
        except (KeyError, TypeError):
            row = None
    if isinstance(row, pd.Series):
        for k in CLIP_META:
            if k in row.index:
                v = row[k]
                attrs[k] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        if attrs.get("fps") is not None:
            attrs["fps"] = float(attrs["fps"])
    else:
        fps = _fps_from_time(part)
        if fps is not None:
            attrs["fps"] = fps
    attrs["history"] = list(parent.get("history", []))
    return attrs


def _split(obj: Any, n: int) -> dict[tuple, Any]:
    """``{key tuple: part without the leading levels, attrs of that clip}``."""
    out: dict[tuple, Any] = {}
    levels = list(range(n))
    for key, part in obj.groupby(level=levels, sort=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        part = part.droplevel(levels)
        part.attrs = clip_attrs(obj.attrs, key, part)
        out[key] = part
    return out


def _clip_table(obj: Any, keys: list[tuple], names: list[Hashable], parts: dict[tuple, Any]):
    clips = obj.attrs.get("clips")
    if isinstance(clips, pd.DataFrame):
        return clips
    rows = [{k: parts[key].attrs.get(k) for k in CLIP_META} for key in keys]
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(keys, names=names))


def combine(
    results: list[Any], keys: list[tuple], names: list[Hashable], clips: pd.DataFrame | None
) -> Any:
    """One result from per-clip results: tables get the keys in front, anything else a Series."""
    index = pd.MultiIndex.from_tuples(keys, names=names) if keys else None
    if results and all(isinstance(r, pd.DataFrame | pd.Series) for r in results):
        out = pd.concat(results, keys=keys, names=names)
        first = results[0].attrs
        attrs: dict[str, Any] = {k: v for k, v in first.items() if k not in CLIP_META}
        for k in CLIP_META:  # metadata every clip shares stays a plain entry
            vals = {repr(r.attrs.get(k)) for r in results}
            if len(vals) == 1:
                attrs[k] = first.get(k)
        if clips is not None:
            attrs["clips"] = clips
        out.attrs = attrs
        return out
    if results and all(np.ndim(r) == 0 and isinstance(r, int | float | np.number) for r in results):
        return pd.Series(np.asarray(results, dtype=float), index=index)
    return pd.Series(results, index=index, dtype=object)


def per_clip(func: F) -> F:
    """Let ``func`` (written for one clip) take tables with extra leading index levels.

    The first positional argument decides: when its index has levels before
    ``frame``/``object_id``/``joint``, ``func`` runs once per combination of them. Every other
    argument that is a table with the same leading levels (or a mapping of such tables, as
    :func:`posekit.smooth.compare` takes) is split the same way and matched by key. Tables and
    Series come back with the keys in front; other results (floats, objects) as a Series indexed
    by the keys.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not args:
            return func(*args, **kwargs)
        n = leading_levels(args[0])
        if n == 0:
            return func(*args, **kwargs)
        data = args[0]
        names = _keys_of(data.index, n)
        parts = _split(data, n)
        keys = list(parts)

        def split_like(value: Any) -> Any:
            if isinstance(value, pd.DataFrame | pd.Series) and leading_levels(value) == n:
                if list(value.index.names[:n]) != names:
                    raise ValueError(
                        f"tables with different leading levels: {names} and "
                        f"{list(value.index.names[:n])}"
                    )
                return _split(value, n)
            if (
                isinstance(value, Mapping)
                and value
                and all(
                    isinstance(v, pd.DataFrame | pd.Series) and leading_levels(v) == n
                    for v in value.values()
                )
            ):
                return {"__mapping__": {k: _split(v, n) for k, v in value.items()}}
            return None

        def pick(value: Any, split: Any, key: tuple) -> Any:
            if split is None:
                return value
            if "__mapping__" in split:
                return {
                    k: s.get(key, _empty_like(value[k], n)) for k, s in split["__mapping__"].items()
                }
            return split.get(key, _empty_like(value, n))

        rest = args[1:]
        rest_split = [split_like(a) for a in rest]
        kw_split = {k: split_like(v) for k, v in kwargs.items()}
        results = []
        for key in keys:
            call_args = [pick(a, s, key) for a, s in zip(rest, rest_split, strict=True)]
            call_kw = {k: pick(v, kw_split[k], key) for k, v in kwargs.items()}
            results.append(func(parts[key], *call_args, **call_kw))
        return combine(results, keys, names, _clip_table(data, keys, names, parts))

    wrapper.__wrapped_per_clip__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _empty_like(obj: Any, n: int) -> Any:
    out = obj.iloc[:0].droplevel(list(range(n)))
    out.attrs = {k: v for k, v in obj.attrs.items() if k != "clips"}
    return out
