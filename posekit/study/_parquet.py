"""Tables on disk that read back as they were: partitioned Parquet datasets, Parquet files, CSV.

A dataset is a folder of hive partitions (``subject=s1/trial=t2/part-0.parquet``) that
pyarrow, ``dask.dataframe``, DuckDB and polars read as they read any other. posekit adds what
plain readers would lose, in the Parquet schema metadata and in ``_posekit.json`` at the root
(readers skip files starting with ``_``): the index levels and their dtypes, the ``attrs``
(fps, size, history ...) and the clip table with every clip's metadata. A CSV file keeps the
same as its first line, ``# posekit {json}``, which ``pandas.read_csv(comment="#")`` skips.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_META_KEY = b"posekit"
_SIDECAR = "_posekit.json"


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    return repr(v)


def _frame_meta(df: pd.DataFrame) -> dict[str, Any]:
    attrs = {k: v for k, v in df.attrs.items() if k not in ("clips", "errors")}
    meta: dict[str, Any] = {
        "version": 1,
        "index": [str(n) for n in df.index.names],
        "dtypes": {
            str(n): str(df.index.get_level_values(i).dtype) for i, n in enumerate(df.index.names)
        },
        "columns": [str(c) for c in df.columns],
        "attrs": _jsonable(attrs),
    }
    clips = df.attrs.get("clips")
    if isinstance(clips, pd.DataFrame):
        c = clips.reset_index()
        meta["clips"] = {
            "index": [str(n) for n in clips.index.names],
            "records": _jsonable(c.astype(object).where(c.notna(), None).to_dict(orient="records")),
        }
    return meta


def _restore(df: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    from posekit.tidy import JOINT_DTYPE

    index = meta["index"]
    for name in index:
        if name not in df.columns:
            continue
        dtype = meta["dtypes"].get(name, "object")
        col = df[name]
        if name == "joint":
            df[name] = pd.Categorical(col.astype(str), dtype=JOINT_DTYPE)
        elif isinstance(col.dtype, pd.CategoricalDtype):  # hive partition values
            df[name] = col.astype(str).astype(dtype if dtype != "category" else object)
        elif str(col.dtype) != dtype:
            try:
                df[name] = col.astype(dtype)
            except (TypeError, ValueError):
                pass
    df = df.set_index([n for n in index if n in df.columns])
    cols = [c for c in meta.get("columns", []) if c in df.columns]
    df = df[cols + [c for c in df.columns if c not in cols]]
    attrs = dict(meta.get("attrs", {}))
    attrs.setdefault("history", [])
    if "clips" in meta:
        c = pd.DataFrame.from_records(meta["clips"]["records"])
        key_levels = meta["clips"]["index"]
        for name in key_levels:  # keys as the table's index levels have them
            if name in df.index.names:
                dt = df.index.get_level_values(name).dtype
                try:
                    c[name] = c[name].astype(dt)
                except (TypeError, ValueError):
                    pass
        attrs["clips"] = c.set_index(key_levels)
    df.attrs = attrs
    return df.sort_index() if not df.index.is_monotonic_increasing else df


def write_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    /,
    *,
    partition_on: Iterable[str] | None = None,
) -> Path:
    """Write a posekit table so that :func:`read_table` gives it back with index and ``attrs``.

    Parameters
    ----------
    path
        ``*.csv`` (one CSV file), ``*.parquet`` without ``partition_on`` (one file), otherwise a
        Parquet dataset folder, replaced atomically as a whole.
    partition_on
        Index levels (or columns) to partition the dataset on (hive: ``subject=s1/...``);
        default for a study table: its clip keys.
    """
    from posekit._levels import leading_levels
    from posekit.io import atomic_write

    path = Path(path)
    meta = _frame_meta(table)
    flat = table.reset_index()
    flat.attrs = {}  # kept in posekit's own metadata, not pandas' (which cannot hold the clip table)
    if "joint" in flat.columns:
        flat["joint"] = flat["joint"].astype(str)
    if path.suffix == ".csv":
        head = "# posekit " + json.dumps(meta, separators=(",", ":")) + "\n"
        return atomic_write(path, head + flat.to_csv(index=False))
    import pyarrow as pa
    import pyarrow.parquet as pq

    if partition_on is None:
        n = leading_levels(table)
        partition_on = list(table.index.names[:n]) if n and path.suffix != ".parquet" else []
    parts = [str(p) for p in partition_on]
    arrow = pa.Table.from_pandas(flat, preserve_index=False)
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
    )
    if not parts and path.suffix == ".parquet":
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            pq.write_table(arrow, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        pq.write_to_dataset(arrow, tmp_dir, partition_cols=parts or None)
        (tmp_dir / _SIDECAR).write_text(json.dumps(meta))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            os.replace(path, old)
            os.replace(tmp_dir, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp_dir, path)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir)
    return path


def read_table(
    path: str | os.PathLike[str], /, *, filters: Any = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read what :func:`write_table` (or ``posekit tidy``) wrote: index, dtypes and ``attrs`` back.

    ``filters`` (pyarrow's, e.g. ``[("subject", "=", "s1")]``) reads only some partitions.
    Files posekit did not write are read as plain tables.
    """
    path = Path(path)
    if path.suffix == ".csv":
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        meta = json.loads(first[len("# posekit ") :]) if first.startswith("# posekit ") else None
        df = pd.read_csv(path, comment=None, skiprows=1 if meta else 0)
        return _restore(df, meta) if meta else df
    import pyarrow.parquet as pq

    meta = None
    sidecar = path / _SIDECAR
    if path.is_dir() and sidecar.exists():
        meta = json.loads(sidecar.read_text())
    want = (
        None
        if columns is None
        else list(dict.fromkeys([*(meta["index"] if meta else []), *columns]))
    )
    table = pq.read_table(path, filters=filters, columns=want, partitioning="hive")
    if meta is None and table.schema.metadata and _META_KEY in table.schema.metadata:
        meta = json.loads(table.schema.metadata[_META_KEY])
    df = table.to_pandas()
    return _restore(df, meta) if meta else df
