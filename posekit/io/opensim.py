"""OpenSim marker trajectories (``.trc``) and motions (``.mot``), as Sports2D and Pose2Sim write them.

TRC: a 5-line header (``PathFileType 4 (X/Y/Z) name``; the names ``DataRate CameraRate NumFrames
NumMarkers Units OrigDataRate OrigDataStartFrame OrigNumFrames`` and their values; ``Frame# Time``
then each marker name followed by two empty cells; ``X1 Y1 Z1 X2 ...``), then one tab-separated
row per frame. ``Frame#`` counts from 1 as in OpenSim; posekit's frame is ``Time × DataRate``.
One person per file. posekit writes 2D points with ``Z = 0`` as Sports2D does; in pixels the
axes are the picture's (``Y`` down, Sports2D's ``_px.trc``), in metres ``Y`` points up
(``Y = −y``), as OpenSim expects. Missing points are ``NaN``.

MOT: OpenSim's motion (storage) file: a header ending in ``endheader`` (``nRows``, ``nColumns``,
``inDegrees``), then a ``time`` column and one column per coordinate; posekit writes joint and
segment angles in degrees.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from posekit.errors import PoseFormatError
from posekit.io._arrays import (
    OPENSIM_MARKERS,
    PathLike,
    arrays_from_table,
    check_file,
    coco_index,
    not_empty,
    one_person,
    table_from_arrays,
)
from posekit.schema import JOINTS, N_JOINTS

__all__ = ["read_mot", "read_trc", "write_mot", "write_trc"]

#: Length units a TRC may declare, in metres.
_LENGTH_UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "px": None}


def _units(kp: pd.DataFrame) -> str:
    from posekit.units import column_unit

    return column_unit(kp, "x") or "px"


def _fmt(v: float) -> str:
    return "NaN" if not math.isfinite(v) else repr(float(v))


def write_trc(
    kp: pd.DataFrame,
    path: PathLike,
    /,
    *,
    object_id: int | None = None,
    markers: Literal["opensim", "coco"] = "opensim",
) -> Path:
    """Write one person's keypoints as an OpenSim ``.trc`` marker file.

    Parameters
    ----------
    kp
        A keypoints table with fps (``attrs["fps"]``); in pixels or, after
        :func:`posekit.units.to_metres`, in metres.
    path
        Output file.
    object_id
        The person to write; needed when the table holds several.
    markers
        Marker names: ``"opensim"`` (``Nose``, ``LShoulder``... as Pose2Sim's and Sports2D's
        OpenSim models name them) or ``"coco"`` (``left_shoulder``...).

    Returns
    -------
    Path
        The file written. Pixels keep the picture's axes (``Y`` down); metres are written with
        ``Y`` up (``Y = −y``); ``Z`` is 0. NaN stays ``NaN``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_trc(pk.units.to_metres(kp, 0.004), Path(tmp) / "squat.trc")
    ...     header = path.read_text().splitlines()[:4]
    >>> header[2].split()[:5], header[3].split()[:4]  # DataRate ... Units; the markers
    (['30', '30', '30', '17', 'm'], ['Frame#', 'Time', 'Nose', 'LEye'])
    """
    from posekit._files import atomic_write
    from posekit.tidy import get_fps

    fps = get_fps(kp)
    arrays = arrays_from_table(kp)
    k = one_person(arrays, object_id, where="a TRC file")
    unit = _units(kp)
    if unit not in _LENGTH_UNITS:
        raise ValueError(f"cannot write positions in {unit!r} to a TRC file (px, m, cm or mm)")
    xy = arrays.xy[:, k].copy()
    if unit != "px":
        xy[..., 1] = -xy[..., 1]
    names = OPENSIM_MARKERS if markers == "opensim" else JOINTS
    path = Path(path)
    n = len(arrays.frames)
    rate = f"{fps:g}"
    start = int(arrays.frames[0]) + 1 if n else 1
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{n}\t{N_JOINTS}\t{unit}\t{rate}\t{start}\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, N_JOINTS + 1)),
        "",
    ]
    buf = io.StringIO()
    buf.write("\n".join(lines) + "\n")
    xyz = np.concatenate([xy, np.zeros((*xy.shape[:2], 1))], axis=-1)
    xyz[~np.isfinite(xy).all(axis=-1)] = np.nan
    for frame, row in zip(arrays.frames, xyz.reshape(n, -1), strict=True):
        cells = [str(int(frame) + 1), repr(float(frame / fps))] + [_fmt(v) for v in row]
        buf.write("\t".join(cells) + "\n")
    return atomic_write(path, buf.getvalue())


def _header_values(lines: list[str], where: str) -> dict[str, str]:
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise PoseFormatError(f"{where}: not a TRC file (line 1 should start with PathFileType)")
    keys = lines[1].rstrip("\r\n").split("\t")
    values = lines[2].rstrip("\r\n").split("\t")
    if "DataRate" not in keys or "Units" not in keys:
        raise PoseFormatError(
            f"{where}: line 2 should name DataRate ... Units ..., got {lines[1].strip()!r}"
        )
    return dict(zip(keys, values, strict=False))


def read_trc(
    path: PathLike,
    /,
    *,
    mapping: dict[str, str] | None = None,
    fps: float | None = None,
    units: Literal["auto", "px", "m", "cm", "mm"] = "auto",
    object_id: int = 0,
) -> pd.DataFrame:
    """Read an OpenSim ``.trc`` file (Sports2D, Pose2Sim, OpenSim, mocap) as a keypoints table.

    Parameters
    ----------
    path
        The file.
    mapping
        ``{marker name: COCO joint name}`` for markers whose names are not a COCO joint's
        spelling (``LShoulder``, ``left_shoulder``, ``L_Shoulder`` are recognised).
    fps
        Overrides the header's ``DataRate``.
    units
        ``"auto"``: the header's ``Units``; give it when a file says ``m`` for pixels (Sports2D's
        ``_px.trc`` files do).
    object_id
        The id of the person in the table.

    Returns
    -------
    DataFrame
        Keypoints table; ``score`` is 1 for every point present (a TRC has no confidence) and NaN
        where the marker is missing. Lengths in metres (``cm``/``mm`` converted, ``Y`` turned back
        down) or pixels; ``attrs["units"]`` says which. ``Z`` is dropped (with a warning when it is
        not 0).

    Examples
    --------
    Metres written with Y up come back with y down, as the table had them:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> metres = pk.units.to_metres(kp, 0.004)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = pk.io.read_trc(pk.io.write_trc(metres, Path(tmp) / "squat.trc"))
    >>> back.attrs["units"]["y"], bool(np.allclose(back["y"], metres["y"])), back.attrs["fps"]
    ('m', True, 30.0)
    """
    path = check_file(path, "TRC")
    where = str(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        head = [f.readline() for _ in range(5)]
    header = _header_values(head, where)
    unit = header.get("Units", "").strip() if units == "auto" else units
    if unit not in _LENGTH_UNITS:
        raise PoseFormatError(
            f"{where}: Units is {unit!r}; posekit reads m, cm, mm or px (pass units=... if the "
            "header is wrong)"
        )
    try:
        rate = float(fps or header["DataRate"])
    except (KeyError, ValueError):
        raise PoseFormatError(
            f"{where}: DataRate {header.get('DataRate')!r} is not a number"
        ) from None
    if not rate > 0:
        raise PoseFormatError(f"{where}: DataRate is {rate}, expected a positive number")
    names = [m.strip() for m in head[3].rstrip("\r\n").split("\t")[2:] if m.strip()]
    if not names:
        raise PoseFormatError(f"{where}: line 4 names no markers")
    try:
        data = pd.read_csv(path, sep="\t", skiprows=5, header=None, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PoseFormatError(f"{where}: cannot read the data rows ({exc})") from None
    data = data.dropna(axis=1, how="all") if data.shape[1] > 2 + 3 * len(names) else data
    values = data.to_numpy(dtype=np.float64, na_value=np.nan)
    if values.shape[1] < 2 + 3 * len(names):
        raise PoseFormatError(
            f"{where}: rows have {values.shape[1]} columns, expected {2 + 3 * len(names)} "
            f"(Frame#, Time and X, Y, Z for {len(names)} markers)"
        )
    time = values[:, 1]
    if not np.isfinite(time).all():
        raise PoseFormatError(f"{where}: the Time column has empty or non-numeric values")
    frames = np.rint(time * rate).astype(np.int64)
    if len(np.unique(frames)) != len(frames):
        raise PoseFormatError(f"{where}: two rows fall on the same frame at DataRate {rate:g}")
    xyz = values[:, 2 : 2 + 3 * len(names)].reshape(len(values), len(names), 3)
    if np.nanmax(np.abs(xyz[..., 2]), initial=0.0) > 0:
        warnings.warn(
            f"{where}: Z is not 0; posekit tables are 2D and keep X and Y only", stacklevel=2
        )
    index, extra = coco_index(names, mapping=mapping, where=where, field_name="markers")
    factor = _LENGTH_UNITS[unit]
    xy = np.full((len(frames), 1, N_JOINTS, 2), np.nan)
    for k, j in enumerate(index):
        if j >= 0:
            xy[:, 0, j] = xyz[:, k, :2]
    if factor is not None:
        xy = xy * factor
        xy[..., 1] = -xy[..., 1]
    score = np.where(np.isfinite(xy).all(axis=-1), 1.0, np.nan)
    return table_from_arrays(
        frames, np.array([object_id]), xy, score, fps=rate, source=where,
        step=f"read_trc({path.name!r}, units={unit!r})",
        units={"x": "px" if factor is None else "m", "y": "px" if factor is None else "m"},
        extra_attrs={"extra_markers": extra} if extra else None,
    )  # fmt: skip


def write_mot(
    angles: pd.DataFrame | pd.Series,
    path: PathLike,
    /,
    *,
    object_id: int | None = None,
) -> Path:
    """Write one person's angles (degrees) as an OpenSim ``.mot`` motion file.

    Parameters
    ----------
    angles
        A table from :mod:`posekit.angles` (indexed by (frame, object_id)), or one column of it;
        fps from ``attrs["fps"]``.
    path
        Output file.
    object_id
        The person to write; needed when the table holds several.

    Returns
    -------
    Path
        The file written: a ``time`` column (s) and one column per angle, ``inDegrees=yes``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> knees = pk.angles.joint_angles(kp)[["left_knee", "right_knee"]]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     lines = pk.io.write_mot(knees, Path(tmp) / "knees.mot").read_text().splitlines()
    >>> lines[4], lines[10].split()
    ('inDegrees=yes', ['time', 'left_knee', 'right_knee'])
    """
    from posekit._files import atomic_write
    from posekit.tidy import get_fps

    table = angles.to_frame() if isinstance(angles, pd.Series) else angles
    not_empty(table, "a MOT file")
    fps = get_fps(table)
    if list(table.index.names) != ["frame", "object_id"]:
        raise ValueError(
            f"expected an angles table indexed by (frame, object_id), got {list(table.index.names)}"
        )
    ids = sorted(set(table.index.get_level_values("object_id").tolist()))
    if object_id is None:
        if len(ids) != 1:
            raise ValueError(
                f"a MOT file holds one person and the table has {ids}: pass object_id=..."
            )
        object_id = ids[0]
    elif object_id not in ids:
        raise ValueError(f"object_id {object_id} not in the table; it has {ids}")
    one = table.xs(object_id, level="object_id").drop(columns=["time"], errors="ignore")
    units = (
        dict(table.attrs.get("units") or {}) if isinstance(table.attrs.get("units"), dict) else {}
    )
    rad = [c for c in one.columns if units.get(c) in ("rad", "rad/s")]
    if rad:
        raise ValueError(f"columns {rad} are in radians; posekit writes MOT files in degrees")
    frames = one.index.to_numpy(np.int64)
    full = np.arange(frames.min(), frames.max() + 1) if len(frames) else frames
    one = one.reindex(full)
    lines = [
        "Coordinates",
        "version=1",
        f"nRows={len(one)}",
        f"nColumns={len(one.columns) + 1}",
        "inDegrees=yes",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "If the header above contains a line with 'inDegrees', this indicates whether rotational "
        "values are in degrees (yes) or radians (no).",
        "",
        "endheader",
        "time\t" + "\t".join(str(c) for c in one.columns),
    ]
    buf = io.StringIO()
    buf.write("\n".join(lines) + "\n")
    vals = one.to_numpy(np.float64, na_value=np.nan)
    for frame, row in zip(full, vals, strict=True):
        buf.write("\t".join([repr(float(frame / fps))] + [_fmt(v) for v in row]) + "\n")
    return atomic_write(path, buf.getvalue())


def read_mot(path: PathLike, /, *, fps: float | None = None, object_id: int = 0) -> pd.DataFrame:
    """Read an OpenSim ``.mot``/``.sto`` file as an angles table in degrees.

    Parameters
    ----------
    path
        The file.
    fps
        Frame rate (Hz); default from the file's time steps.
    object_id
        The id of the person in the table.

    Returns
    -------
    DataFrame
        Indexed by (frame, object_id), one column per coordinate plus ``time``. fps is the file's
        sampling rate (the median time step) unless given; radians (``inDegrees=no``) are turned
        into degrees.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> knees = pk.angles.joint_angles(kp)[["left_knee", "right_knee"]]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = pk.io.read_mot(pk.io.write_mot(knees, Path(tmp) / "knees.mot"))
    >>> list(back.columns), back.attrs["fps"], bool(np.allclose(back["left_knee"], knees["left_knee"]))
    (['left_knee', 'right_knee', 'time'], 30.0, True)
    """
    path = check_file(path, "MOT")
    where = str(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise PoseFormatError(f"{where}: not an OpenSim motion file (no 'endheader' line)")
    header = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition("=") for line in lines[:end])
        if _
    }
    in_degrees = header.get("indegrees", "yes").lower() != "no"
    try:
        data = pd.read_csv(path, sep=r"\s+", skiprows=end + 1, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PoseFormatError(f"{where}: cannot read the data rows ({exc})") from None
    if data.empty or str(data.columns[0]).lower() != "time":
        raise PoseFormatError(f"{where}: the first column after endheader should be 'time'")
    time = data.iloc[:, 0].to_numpy(np.float64)
    if not np.isfinite(time).all():
        raise PoseFormatError(f"{where}: the time column has empty or non-numeric values")
    if fps is None:
        steps = np.diff(time)
        if not len(steps) or not np.median(steps) > 0:
            raise PoseFormatError(f"{where}: cannot tell the frame rate from time; pass fps=...")
        fps = float(1.0 / np.median(steps))
        fps = round(fps) if abs(fps - round(fps)) < 1e-6 * fps else fps
    frames = np.rint((time - time[0]) * fps).astype(np.int64) + round(time[0] * fps)
    values = data.iloc[:, 1:].astype(np.float64)
    if not in_degrees:
        values = np.degrees(values)
    index = pd.MultiIndex.from_arrays(
        [frames, np.full(len(frames), object_id, dtype=np.int64)], names=["frame", "object_id"]
    )
    out = pd.DataFrame(values.to_numpy(), index=index, columns=[str(c) for c in values.columns])
    out["time"] = time
    out = out[out.drop(columns="time").notna().any(axis=1)]  # frames MOT writers pad with NaN
    out.attrs = {
        "fps": float(fps),
        "source": where,
        "kind": "video",
        "units": {**{c: "deg" for c in values.columns}, "time": "s"},
        "history": [f"read_mot({path.name!r})"],
    }
    return out
