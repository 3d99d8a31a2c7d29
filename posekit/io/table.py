"""Tables on disk that read back as they were: partitioned Parquet datasets, Parquet files, CSV.

One implementation for every posekit table on disk (``pk.io``, ``pk.write_table``, studies,
``posekit tidy``). A dataset is a folder of hive partitions (``subject=s1/trial=t2/part-0.parquet``) that
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

from posekit.errors import PoseFormatError

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


_INDEX_LEVELS = ("frame", "object_id", "joint")


def _plain(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """A table posekit did not write: ``frame``/``object_id``/``joint`` columns become the index."""
    index = [c for c in _INDEX_LEVELS if c in df.columns]
    if not index:
        return df
    meta = {"index": index, "dtypes": {"frame": "int64", "object_id": "int64"}, "attrs": {}}
    out = _restore(df, meta, where)
    out.attrs["source"] = where
    return out


def _check_index(df: pd.DataFrame, index: list[str], where: str, *, clips: bool) -> None:
    """Errors that name the file: missing index columns, unknown joints, empty ids."""
    from posekit.tidy import JOINT_DTYPE

    missing = [n for n in index if n not in df.columns]
    if missing and not clips:
        raise PoseFormatError(f"{where}: index column(s) {missing} are not in the file")
    if "joint" in index and "joint" in df.columns:
        unknown = sorted(set(df["joint"].astype(str)) - set(JOINT_DTYPE.categories))
        if unknown:
            raise PoseFormatError(
                f"{where}: column 'joint' has names {unknown[:5]} that are not COCO-17 joints"
            )
    for name in ("frame", "object_id"):
        if name in index and name in df.columns and df[name].isna().any():
            raise PoseFormatError(f"{where}: column {name!r} has empty values")


def _restore(df: pd.DataFrame, meta: dict[str, Any], where: str = "<table>") -> pd.DataFrame:
    from posekit.tidy import JOINT_DTYPE

    index = meta["index"]
    _check_index(df, index, where, clips="clips" in meta)
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
    table
        Any posekit table (keypoints, angles, a study table...).
    path
        ``*.csv`` (one CSV file), ``*.parquet`` without ``partition_on`` (one file), otherwise a
        Parquet dataset folder, replaced atomically as a whole.
    partition_on
        Index levels (or columns) to partition the dataset on (hive: ``subject=s1/...``);
        default for a study table: its clip keys.

    Returns
    -------
    Path
        What was written.

    Examples
    --------
    A CSV file starts with a ``# posekit`` line that holds the index, dtypes and ``attrs``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> angles = pk.angles.joint_angles(kp)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_table(angles, Path(tmp) / "angles.csv")
    ...     first, back = path.read_text()[:10], pk.io.read_table(path)
    >>> first, back.equals(angles), back.attrs == angles.attrs
    ('# posekit ', True, True)
    """
    from posekit._files import atomic_write
    from posekit._levels import leading_levels

    path = Path(path)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(table).__name__}")
    if path.suffix not in (".csv", ".parquet") and partition_on is None and path.suffix:
        raise ValueError(f"cannot tell the table format of {path.name!r}: use .csv or .parquet")
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

    Files posekit did not write are read as plain tables.

    Parameters
    ----------
    path
        A ``.csv`` file, a Parquet file or a Parquet dataset folder.
    filters
        Parquet only: pyarrow's row filters, e.g. ``[("subject", "=", "s1")]``, to read only
        some partitions.
    columns
        Parquet datasets: read only these columns (the index levels come too).

    Returns
    -------
    DataFrame
        The table with its index, dtypes and ``attrs`` as written.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    PoseFormatError
        The file is not a CSV table or Parquet, or its posekit metadata is broken.

    Examples
    --------
    One person's x from a dataset partitioned by ``object_id``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_table(kp, Path(tmp) / "walk", partition_on=["object_id"])
    ...     one = pk.io.read_table(path, filters=[("object_id", "=", 1)], columns=["x"])
    >>> list(one.columns), list(one.index.names), len(one) // 17
    (['x'], ['frame', 'object_id', 'joint'], 30)
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise FileNotFoundError(f"no such table: {path}")
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        try:
            meta = (
                json.loads(first[len("# posekit ") :]) if first.startswith("# posekit ") else None
            )
        except json.JSONDecodeError as exc:
            raise PoseFormatError(f"{where}: line 1: broken posekit metadata ({exc})") from None
        try:
            df = pd.read_csv(path, comment=None, skiprows=1 if meta else 0)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise PoseFormatError(f"{where}: not a CSV table ({exc})") from None
        return _restore(df, meta, where) if meta else _plain(df, where)
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            f"reading Parquet needs pyarrow: pip install 'posekit[parquet]' ({exc})"
        ) from None

    meta = None
    sidecar = path / _SIDECAR
    if path.is_dir() and sidecar.exists():
        meta = json.loads(sidecar.read_text())
    elif columns is not None and path.is_file():
        # one file: its posekit metadata (the index levels to read along) is in its schema
        try:
            schema_meta = pq.read_schema(path).metadata or {}
        except Exception as exc:  # pyarrow's ArrowInvalid for a file that is not Parquet
            raise PoseFormatError(f"{where}: not a Parquet file or dataset ({exc})") from None
        if _META_KEY in schema_meta:
            meta = json.loads(schema_meta[_META_KEY])
    want = (
        None
        if columns is None
        else list(dict.fromkeys([*(meta["index"] if meta else []), *columns]))
    )
    try:
        table = pq.read_table(path, filters=filters, columns=want, partitioning="hive")
    except Exception as exc:  # pyarrow's ArrowInvalid and OSError for files that are not Parquet
        raise PoseFormatError(f"{where}: not a Parquet file or dataset ({exc})") from None
    if meta is None and table.schema.metadata and _META_KEY in table.schema.metadata:
        meta = json.loads(table.schema.metadata[_META_KEY])
    df = table.to_pandas()
    df.attrs = {}
    return _restore(df, meta, where) if meta else _plain(df, where)
