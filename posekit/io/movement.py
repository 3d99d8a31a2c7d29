"""``movement`` poses datasets (xarray): the container of the neuroinformatics-unit's ``movement``.

A poses dataset has data variables ``position`` (dims ``time, space, keypoints, individuals``)
and ``confidence`` (``time, keypoints, individuals``), coordinates ``time`` (seconds when fps is
known, else frame numbers), ``space`` (``x``, ``y``), ``keypoints`` and ``individuals`` (names),
and attrs ``ds_type="poses"``, ``fps``, ``time_unit``, ``source_software``. posekit writes it
with xarray alone (no need for ``movement`` itself) and saves it as netCDF (``.nc``), as
``movement`` does. posekit's own metadata (width, height, history, units, scale) rides along in
the attrs, JSON-encoded under ``posekit``; a ``filled`` column becomes a ``filled`` variable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from posekit.errors import PoseFormatError
from posekit.io._arrays import (
    PathLike,
    arrays_from_table,
    check_file,
    coco_index,
    need,
    table_from_arrays,
    unique_ids,
)
from posekit.schema import JOINTS, N_JOINTS

__all__ = ["from_movement", "read_movement", "to_movement", "write_movement"]


def to_movement(kp: pd.DataFrame, /) -> Any:
    """A keypoints table as a ``movement`` poses dataset (``xarray.Dataset``).

    Frames run contiguously from the table's first to its last (missing frames are NaN);
    individuals are named ``id_<object_id>``; keypoints are the 17 COCO names. With fps the time
    coordinate is ``frame / fps`` seconds (so it need not start at 0), else frame numbers.

    Parameters
    ----------
    kp
        A keypoints table.

    Returns
    -------
    xarray.Dataset
        ``position`` (time, space, keypoints, individuals) and ``confidence`` (time,
        keypoints, individuals), the layout of movement's poses datasets.

    Examples
    --------
    >>> import posekit as pk
    >>> ds = pk.io.to_movement(pk.load("data/samples/synth_squat.json").keypoints())
    >>> dict(ds.position.sizes)
    {'time': 300, 'space': 2, 'keypoints': 17, 'individuals': 1}
    """
    from posekit.io.table import _jsonable

    xr = need("xarray", "a movement dataset")
    a = arrays_from_table(kp)
    fps = a.fps
    position = np.moveaxis(a.xy, (1, 2, 3), (3, 2, 1))  # (F, 2, 17, O)
    confidence = np.moveaxis(a.score, 1, 2)  # (F, 17, O)
    time = a.frames / fps if fps else a.frames.copy()
    data_vars: dict[str, Any] = {
        "position": (("time", "space", "keypoints", "individuals"), position),
        "confidence": (("time", "keypoints", "individuals"), confidence),
    }
    if a.filled is not None:
        data_vars["filled"] = (("time", "keypoints", "individuals"), np.moveaxis(a.filled, 1, 2))
    meta = {k: v for k, v in kp.attrs.items() if k not in ("fps",)}
    attrs: dict[str, Any] = {
        "ds_type": "poses",
        "source_software": "posekit",
        "time_unit": "seconds" if fps else "frames",
        "posekit": json.dumps(_jsonable(meta)),
    }
    if fps:
        attrs["fps"] = float(fps)
    if kp.attrs.get("source"):
        attrs["source_file"] = str(kp.attrs["source"])
    return xr.Dataset(
        data_vars=data_vars,
        coords={
            "time": time,
            "space": ["x", "y"],
            "keypoints": list(JOINTS),
            "individuals": [f"id_{int(i)}" for i in a.object_ids],
        },
        attrs=attrs,
    )


def from_movement(
    ds: Any, /, *, mapping: dict[str, str] | None = None, where: str = "<dataset>"
) -> pd.DataFrame:
    """A keypoints table from a ``movement`` poses dataset (2D; 3D keeps x and y).

    Keypoints map to COCO joints by name (``mapping`` for others); individuals named
    ``id_3``/``3``/``track_3`` get ``object_id`` 3, others their position. A (frame, individual)
    with no finite value gets no rows.

    Parameters
    ----------
    ds
        A ``movement`` poses dataset (``position`` and ``confidence`` over time, space,
        keypoints, individuals).
    mapping
        ``{keypoint name: COCO joint name}`` for keypoints not spelled like a COCO joint.
    where
        What to call the dataset in error messages (a file name).

    Returns
    -------
    DataFrame
        A keypoints table; ``score`` is the dataset's confidence.

    Examples
    --------
    A dataset whose nose is called ``snout``:

    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ds = pk.io.to_movement(kp)
    >>> names = ["snout" if k == "nose" else k for k in ds.keypoints.values]
    >>> back = pk.io.from_movement(ds.assign_coords(keypoints=names), mapping={"snout": "nose"})
    >>> back[["x", "y"]].equals(kp[["x", "y"]])
    True
    """
    for var in ("position",):
        if var not in getattr(ds, "data_vars", {}):
            raise PoseFormatError(f"{where}: not a movement poses dataset (no {var!r} variable)")
    dims = ("time", "space", "keypoints", "individuals")
    missing = [d for d in dims if d not in ds["position"].dims]
    if missing:
        raise PoseFormatError(f"{where}: position lacks dimension(s) {missing}")
    pos = ds["position"].transpose(*dims).values.astype(np.float64)
    if pos.shape[1] < 2:
        raise PoseFormatError(f"{where}: position has {pos.shape[1]} space coordinate(s)")
    if "confidence" in ds.data_vars:
        conf = ds["confidence"].transpose("time", "keypoints", "individuals").values.astype(float)
    else:
        conf = np.full((pos.shape[0], pos.shape[2], pos.shape[3]), np.nan)
    names = [str(k) for k in ds["keypoints"].values]
    index, extra = coco_index(names, mapping=mapping, where=where)
    fps = ds.attrs.get("fps")
    fps = float(fps) if fps is not None and np.isfinite(fps) and fps > 0 else None
    time = np.asarray(ds["time"].values, dtype=np.float64)
    frames = np.rint(time * fps).astype(np.int64) if fps else np.rint(time).astype(np.int64)
    n_f, n_o = pos.shape[0], pos.shape[3]
    xy = np.full((n_f, n_o, N_JOINTS, 2), np.nan)
    score = np.full((n_f, n_o, N_JOINTS), np.nan)
    filled = None
    if "filled" in ds.data_vars:
        f_src = ds["filled"].transpose("time", "keypoints", "individuals").values.astype(bool)
        filled = np.zeros((n_f, n_o, N_JOINTS), dtype=bool)
    for k, j in enumerate(index):
        if j >= 0:
            xy[:, :, j] = np.moveaxis(pos[:, :2, k, :], 1, 2)
            score[:, :, j] = conf[:, k, :]
            if filled is not None:
                filled[:, :, j] = f_src[:, k, :]
    meta: dict[str, Any] = {}
    if isinstance(ds.attrs.get("posekit"), str):
        try:
            meta = json.loads(ds.attrs["posekit"])
        except json.JSONDecodeError:
            meta = {}
    history = [*meta.pop("history", []), "io.from_movement()"]
    units = meta.pop("units", None)
    out = table_from_arrays(
        frames,
        unique_ids([str(i) for i in ds["individuals"].values]),
        xy,
        score,
        filled=filled,
        fps=fps,
        width=meta.pop("width", None),
        height=meta.pop("height", None),
        source=meta.pop("source", None) or ds.attrs.get("source_file") or where,
        step="io.from_movement()",
        units=units if isinstance(units, dict) else None,
        extra_attrs={
            **{k: v for k, v in meta.items() if k not in ("fps", "job_id", "kind")},
            **({"extra_keypoints": extra} if extra else {}),
        },
    )
    out.attrs["history"] = history
    return out


def write_movement(kp: pd.DataFrame, path: PathLike, /) -> Path:
    """Save a keypoints table as a ``movement`` dataset in a netCDF file (``.nc``).

    Parameters
    ----------
    kp
        A keypoints table.
    path
        The netCDF file; written under a temporary name, then renamed.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_movement(kp, Path(tmp) / "squat.nc")
    ...     back = pk.io.read_movement(path)
    >>> back[["x", "y", "time"]].equals(kp[["x", "y", "time"]]), back.attrs["fps"]
    (True, 30.0)
    """
    ds = to_movement(kp)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    ds.to_netcdf(tmp)
    tmp.replace(path)
    return path


def read_movement(path: PathLike, /, *, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a ``movement`` poses dataset saved as netCDF (``ds.to_netcdf(...)``).

    Parameters
    ----------
    path
        The netCDF file.
    mapping
        ``{keypoint name: COCO joint name}`` for keypoints not spelled like a COCO joint.

    Returns
    -------
    DataFrame
        A keypoints table (see :func:`from_movement`).

    Raises
    ------
    PoseFormatError
        The file is not a netCDF dataset.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pk.io.to_movement(kp).to_netcdf(Path(tmp) / "walk.nc")
    ...     back = pk.io.read_movement(Path(tmp) / "walk.nc")
    >>> back.index.get_level_values("object_id").unique().tolist(), len(back) == len(kp)
    ([0, 1], True)
    """
    xr = need("xarray", "a movement dataset")
    path = check_file(path, "movement netCDF")
    try:
        with xr.open_dataset(path) as ds:
            ds = ds.load()
    except (ValueError, OSError) as exc:
        raise PoseFormatError(f"{path}: not a netCDF dataset ({exc})") from None
    return from_movement(ds, mapping=mapping, where=str(path))
