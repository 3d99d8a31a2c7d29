"""Neurodata Without Borders (NWB) files with the ``ndx-pose`` extension.

posekit writes one ``PoseEstimation`` per person (named ``PoseEstimation_id_<object_id>``) in
the processing module ``behavior``, each with one ``PoseEstimationSeries`` per COCO joint
(``data`` ``(frames, 2)``, ``confidence``, ``unit`` pixels or metres, a constant ``rate`` and
``starting_time``) and a ``Skeleton`` (nodes and COCO edges) in a ``Skeletons`` container, as
``movement`` and DeepLabCut's ``dlc2nwb`` lay them out. Reading takes every ``PoseEstimation``
of the file (one per person), with rate or timestamps.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
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
    not_empty,
    table_from_arrays,
)
from posekit.schema import COCO_SKELETON, JOINTS, N_JOINTS

__all__ = ["read_nwb", "write_nwb"]

_UNITS = {"px": "pixels", "m": "meters"}
_FROM_UNITS = {"pixels": ("px", 1.0), "pixel": ("px", 1.0), "px": ("px", 1.0),
               "meters": ("m", 1.0), "metres": ("m", 1.0), "m": ("m", 1.0),
               "cm": ("m", 0.01), "centimeters": ("m", 0.01),
               "mm": ("m", 0.001), "millimeters": ("m", 0.001)}  # fmt: skip


def write_nwb(
    kp: pd.DataFrame,
    path: PathLike,
    /,
    *,
    session_description: str = "pose estimation results exported by posekit",
    identifier: str | None = None,
    session_start_time: datetime | None = None,
) -> Path:
    """Write a keypoints table as an NWB file with ``ndx-pose`` (one PoseEstimation per person).

    Frames are contiguous from the table's first (missing are NaN), sampled at ``attrs["fps"]``
    (``rate``, ``starting_time = first frame / fps``). Confidence is posekit's score.

    Parameters
    ----------
    kp
        A keypoints table with fps.
    path
        The ``.nwb`` file to write.
    session_description
        The NWB file's ``session_description``.
    identifier
        The NWB file's ``identifier``; default a random UUID.
    session_start_time
        The NWB file's ``session_start_time``; default now (UTC).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pynwb
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_nwb(kp, Path(tmp) / "walk.nwb", identifier="walk-1")
    ...     with pynwb.NWBHDF5IO(str(path), "r") as f:
    ...         nwb = f.read()
    ...         nwb.identifier, sorted(nwb.processing["behavior"].data_interfaces)
    ('walk-1', ['PoseEstimation_id_0', 'PoseEstimation_id_1', 'Skeletons'])
    """
    from posekit.tidy import get_fps
    from posekit.units import length_unit

    pynwb = need("pynwb", "NWB")
    ndx_pose = need("ndx_pose", "NWB")
    fps = get_fps(kp)
    unit = length_unit(kp)
    if unit not in _UNITS:
        raise ValueError(f"cannot write positions in {unit!r} to NWB (px or m)")
    not_empty(kp, "an NWB file")
    a = arrays_from_table(kp)
    nwb = pynwb.NWBFile(
        session_description=session_description,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=session_start_time or datetime.now(timezone.utc),
    )
    camera = nwb.create_device(name="camera", description="the camera of the video")
    module = nwb.create_processing_module(name="behavior", description="pose estimation")
    edges = np.array([(i - 1, j - 1) for i, j in COCO_SKELETON], dtype="uint8")
    skeletons = []
    estimations = []
    first = float(a.frames[0] / fps) if len(a.frames) else 0.0
    src = kp.attrs.get("source")
    video = _source_video(pynwb, kp, a, fps, camera)
    if video is not None:
        nwb.add_acquisition(video)
    for o, oid in enumerate(a.object_ids):
        skeleton = ndx_pose.Skeleton(
            name=f"skeleton_id_{int(oid)}", nodes=list(JOINTS), edges=edges
        )
        skeletons.append(skeleton)
        series = [
            ndx_pose.PoseEstimationSeries(
                name=joint,
                description=f"{joint} of person {int(oid)}",
                data=a.xy[:, o, j],
                unit=_UNITS[unit],
                reference_frame="(0,0) is the top-left corner of the video frame; y points down",
                confidence=a.score[:, o, j],
                confidence_definition="keypoint score in 0-1 from the pose estimator",
                rate=float(fps),
                starting_time=first,
            )
            for j, joint in enumerate(JOINTS)
        ]
        estimations.append(
            ndx_pose.PoseEstimation(
                name=f"PoseEstimation_id_{int(oid)}",
                pose_estimation_series=series,
                description=f"COCO-17 keypoints of person {int(oid)}"
                + (f" from {src}" if src else ""),
                source_video=video,
                device=camera,
                source_software="posekit",
                skeleton=skeleton,
            )
        )
    module.add(ndx_pose.Skeletons(skeletons=skeletons))
    for pe in estimations:
        module.add(pe)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    with pynwb.NWBHDF5IO(str(tmp), mode="w") as io:
        io.write(nwb)
    tmp.replace(path)
    return path


def _source_video(pynwb: Any, kp: pd.DataFrame, a: Any, fps: float, camera: Any) -> Any:
    """The video the keypoints come from, as ndx-pose links it: an ``ImageSeries``.

    An external file when the table names its source (``attrs["source"]``), with the picture's
    size in ``dimension``; with a size but no source, an empty series that carries the size.
    None when the table knows neither.
    """
    src = kp.attrs.get("source")
    width, height = kp.attrs.get("width") or 0, kp.attrs.get("height") or 0
    if not src and not (width and height):
        return None
    common = {
        "name": "source_video",
        "description": "the video the keypoints were estimated on",
        "unit": "n/a",
        "rate": float(fps),
        "dimension": [int(width), int(height)],
        "device": camera,
    }
    if src:
        n = int(a.frames[-1]) + 1 if len(a.frames) else 0
        return pynwb.image.ImageSeries(
            format="external",
            external_file=[str(src)],
            starting_frame=[0],
            num_samples=n,
            **common,
        )
    return pynwb.image.ImageSeries(data=np.zeros((0, 1, 1), dtype="uint8"), **common)


def _estimations(nwb: Any) -> list[Any]:
    ndx_pose = need("ndx_pose", "NWB")
    found = []
    for module in nwb.processing.values():
        for obj in module.data_interfaces.values():
            if isinstance(obj, ndx_pose.PoseEstimation):
                found.append(obj)
    return found


def read_nwb(path: PathLike, /, *, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Read the ``ndx-pose`` pose estimates of an NWB file as a keypoints table.

    Each ``PoseEstimation`` is one person: ``object_id`` from a name ending in a number
    (``PoseEstimation_id_2``), else its position. Series map to COCO joints by name (``mapping``
    for others); fps comes from the series' ``rate`` or the median step of its timestamps.
    Positions in metres (or cm, mm) come out in metres with ``attrs["units"]`` saying so.

    Parameters
    ----------
    path
        The ``.nwb`` file.
    mapping
        ``{series name: COCO joint name}`` for series not spelled like a COCO joint.

    Returns
    -------
    DataFrame
        A keypoints table; ``score`` is the series' confidence.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = pk.io.read_nwb(pk.io.write_nwb(kp, Path(tmp) / "squat.nwb"))
    >>> back[["x", "y"]].equals(kp[["x", "y"]]), back.attrs["fps"], back.attrs["units"]["x"]
    (True, 30.0, 'px')
    """
    pynwb = need("pynwb", "NWB")
    need("ndx_pose", "NWB")
    path = check_file(path, "NWB")
    where = str(path)
    try:
        io = pynwb.NWBHDF5IO(str(path), mode="r")
        nwb = io.read()
    except Exception as exc:  # h5py/hdmf raise several types for a file that is not NWB
        raise PoseFormatError(f"{where}: not an NWB file ({exc})") from None
    try:
        pes = _estimations(nwb)
        if not pes:
            raise PoseFormatError(f"{where}: no ndx-pose PoseEstimation in any processing module")
        return _table(pes, mapping, where)
    finally:
        io.close()


def _series(s: Any, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, float | None]:
    """One PoseEstimationSeries: (x, y in px or m, confidence, times, unit, rate or None)."""
    data = np.asarray(s.data[:], dtype=np.float64)
    if data.ndim != 2 or data.shape[1] < 2:
        raise PoseFormatError(f"{where}: data has shape {data.shape}, expected (frames, 2 or 3)")
    known = _FROM_UNITS.get(str(s.unit).lower())
    if known is None:
        raise PoseFormatError(f"{where}: unit {s.unit!r} is not pixels or metres")
    unit, factor = known
    rate = None
    if s.timestamps is not None:
        t = np.asarray(s.timestamps[:], dtype=np.float64)
    else:
        rate = float(s.rate)
        t = float(s.starting_time or 0.0) + np.arange(len(data)) / rate
    conf = (
        np.asarray(s.confidence[:], dtype=np.float64)
        if s.confidence is not None
        else np.full(len(data), np.nan)
    )
    return data[:, :2] * factor, conf, t, unit, rate


def _table(pes: list[Any], mapping: dict[str, str] | None, where: str) -> pd.DataFrame:
    people: list[tuple[int, np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]] = []
    fps: float | None = None
    unit: str | None = None
    size: tuple[int | None, int | None] = (None, None)
    for p, pe in enumerate(pes):
        dims = np.zeros((0, 2))
        if pe.source_video is not None and pe.source_video.dimension is not None:
            dims = np.asarray(pe.source_video.dimension[:])
        elif pe.dimensions is not None:  # files written before ndx-pose 0.2, or by other tools
            dims = np.asarray(pe.dimensions[:])
        if dims.size >= 2 and dims.reshape(-1)[:2].all():
            size = (int(dims.reshape(-1)[0]), int(dims.reshape(-1)[1]))
        series = dict(pe.pose_estimation_series)
        names = list(series)
        index, _ = coco_index(
            names, mapping=mapping, where=f"{where}: {pe.name}", field_name="series"
        )
        cols: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        times: np.ndarray | None = None
        for k, name in enumerate(names):
            data, conf, t, u, rate = _series(series[name], f"{where}: {pe.name}/{name}")
            if unit is not None and u != unit:
                raise PoseFormatError(f"{where}: series mix {unit} and {u}")
            unit = u
            fps = fps or rate
            times = t if times is None else times
            if index[k] >= 0:
                cols[int(index[k])] = (data, conf)
        if times is None:
            raise PoseFormatError(f"{where}: {pe.name} holds no series")
        m = re.search(r"(\d+)$", pe.name)
        people.append((int(m.group(1)) if m else p, times, cols))
    if fps is None:
        steps = np.diff(people[0][1])
        if len(steps) and np.median(steps) > 0:
            fps = float(1.0 / np.median(steps))
    ids = [pid for pid, _, _ in people]
    if len(set(ids)) != len(ids):
        ids = list(range(len(people)))
    if fps is None:
        raise PoseFormatError(f"{where}: cannot tell the frame rate (no rate, too few timestamps)")
    all_frames = sorted({int(f) for _, t, _ in people for f in np.rint(t * fps)})
    frames = np.asarray(all_frames, dtype=np.int64)
    pos = {f: i for i, f in enumerate(all_frames)}
    xy = np.full((len(frames), len(people), N_JOINTS, 2), np.nan)
    score = np.full((len(frames), len(people), N_JOINTS), np.nan)
    for o, (_, t, cols) in enumerate(people):
        rows = np.array([pos[int(f)] for f in np.rint(t * fps)], dtype=np.int64)
        for j, (data, conf) in cols.items():
            xy[rows, o, j] = data
            score[rows, o, j] = conf
    fps = round(fps) if abs(fps - round(fps)) < 1e-6 * fps else fps
    return table_from_arrays(
        frames, np.asarray(ids), xy, score, fps=fps, source=where, width=size[0], height=size[1],
        step=f"read_nwb({Path(where).name!r})", units={"x": unit or "px", "y": unit or "px"},
    )  # fmt: skip
