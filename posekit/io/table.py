"""posekit tables as Parquet or CSV files that read back whole: index, dtypes, ``attrs``.

Any posekit table (keypoints, objects, angles, kinematics) is written with its index as
columns, and its ``attrs`` (fps, width, height, source, history, units, scale...) as JSON:
in the Parquet schema metadata (key ``posekit``), or in a first CSV line
``# posekit: {...}``. Reading restores the index, the ordered ``joint`` categorical, ``object_id``
and ``frame`` as int64, and ``attrs``. A CSV or Parquet file from elsewhere (no posekit metadata)
reads too when it has the index columns.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from posekit.errors import PoseFormatError
from posekit.io._arrays import PathLike, check_file, need

__all__ = ["read_table", "write_table"]

_KEY = b"posekit"
_CSV_PREFIX = "# posekit: "
_INDEX_LEVELS = ("frame", "object_id", "joint")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return str(obj)


def _meta(df: pd.DataFrame) -> dict[str, Any]:
    names = [n for n in df.index.names if n is not None]
    return {
        "version": 1,
        "index": names,
        "attrs": _jsonable(dict(df.attrs)),
        "dtypes": {str(c): str(t) for c, t in df.dtypes.items()},
    }


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(df).__name__}")
    has_index = any(n is not None for n in df.index.names)
    flat = df.reset_index() if has_index else df.copy()
    flat.attrs = {}
    return flat


def _restore(flat: pd.DataFrame, meta: dict[str, Any] | None, where: str) -> pd.DataFrame:
    from posekit.tidy import JOINT_DTYPE

    if meta is not None:
        index = list(meta.get("index") or [])
        attrs = dict(meta.get("attrs") or {})
    else:
        index = [c for c in _INDEX_LEVELS if c in flat.columns]
        attrs = {"source": where, "history": []}
    missing = [c for c in index if c not in flat.columns]
    if missing:
        raise PoseFormatError(f"{where}: index column(s) {missing} not in the file")
    for c in ("frame", "object_id"):
        if c in flat.columns:
            if flat[c].isna().any():
                raise PoseFormatError(f"{where}: column {c!r} has empty values")
            flat[c] = flat[c].astype(np.int64)
    if "joint" in flat.columns:
        names = flat["joint"].astype(str)
        unknown = sorted(set(names) - set(JOINT_DTYPE.categories))
        if unknown:
            raise PoseFormatError(
                f"{where}: column 'joint' has names {unknown[:5]} that are not COCO-17 joints"
            )
        flat["joint"] = pd.Categorical(names, dtype=JOINT_DTYPE)
    if "filled" in flat.columns and flat["filled"].dtype != bool:
        flat["filled"] = flat["filled"].astype(str).str.lower().isin(["true", "1", "1.0"])
    out = flat.set_index(index) if index else flat
    out.attrs = attrs
    out.attrs.setdefault("history", [])
    return out


def write_table(
    df: pd.DataFrame,
    path: PathLike,
    /,
    *,
    format: Literal["auto", "parquet", "csv"] = "auto",
) -> Path:
    """Write a posekit table to Parquet or CSV, keeping its index, dtypes and ``attrs``.

    Parameters
    ----------
    df
        Any posekit table (keypoints, objects, angles, kinematics...).
    path
        Output file; ``.parquet``/``.pq`` or ``.csv`` (written atomically).
    format
        ``"auto"`` picks by extension.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import posekit as pk, tempfile, os
    >>> kp = pk.load("data/samples/synth_squat.json").keypoints()
    >>> path = pk.io.write_table(kp, os.path.join(tempfile.mkdtemp(), "kp.csv"))
    >>> back = pk.io.read_table(path)
    >>> back.attrs["fps"] == kp.attrs["fps"], back.index.get_level_values("joint").dtype.ordered
    (True, True)
    """
    from posekit._files import atomic_write

    path = Path(path)
    fmt = _format(path, format)
    flat = _flat(df)
    meta = _meta(df)
    buf = io.BytesIO()
    if fmt == "parquet":
        pa = need("pyarrow", "Parquet")
        need("pyarrow.parquet", "Parquet")
        table = pa.Table.from_pandas(flat, preserve_index=False)
        schema_meta = dict(table.schema.metadata or {})
        schema_meta[_KEY] = json.dumps(meta).encode()
        table = table.replace_schema_metadata(schema_meta)
        import pyarrow.parquet as pq

        pq.write_table(table, buf)
    else:
        text = io.StringIO()
        text.write(_CSV_PREFIX + json.dumps(meta) + "\n")
        flat.to_csv(text, index=False, lineterminator="\n")
        buf.write(text.getvalue().encode())
    return atomic_write(path, buf.getvalue())


def read_table(
    path: PathLike, /, *, format: Literal["auto", "parquet", "csv"] = "auto"
) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (or a plain CSV/Parquet with index columns).

    Returns
    -------
    DataFrame
        With the index, the ordered ``joint`` categorical and ``attrs`` as written. Files without
        posekit metadata get ``frame``/``object_id``/``joint`` (those present) as index.
    """
    path = check_file(path, "table")
    fmt = _format(path, format)
    where = str(path)
    if fmt == "parquet":
        need("pyarrow", "Parquet")
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises its own ArrowInvalid for non-Parquet bytes
            raise PoseFormatError(f"{where}: not a Parquet file ({exc})") from None
        raw = (table.schema.metadata or {}).get(_KEY)
        meta = json.loads(raw) if raw else None
        flat = table.to_pandas()
        flat.attrs = {}
        return _restore(flat, meta, where)
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    meta = None
    skip = 0
    if first.startswith(_CSV_PREFIX):
        try:
            meta = json.loads(first[len(_CSV_PREFIX) :])
        except json.JSONDecodeError as exc:
            raise PoseFormatError(f"{where}: line 1: broken posekit metadata ({exc})") from None
        skip = 1
    try:
        flat = pd.read_csv(path, skiprows=skip)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PoseFormatError(f"{where}: not a CSV table ({exc})") from None
    return _restore(flat, meta, where)


def _format(path: Path, format: str) -> str:
    if format != "auto":
        if format not in ("parquet", "csv"):
            raise ValueError(f"format must be 'auto', 'parquet' or 'csv', got {format!r}")
        return format
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"cannot tell the table format of {os.fspath(path)!r}: use .parquet or .csv")
