"""What every format module shares: the keypoints table as arrays and back, keypoint names.

Every reader funnels into :func:`table_from_arrays` and every writer starts from
:func:`arrays_from_table`, so the rules hold in every direction: missing is NaN (never 0), frames
are whole numbers from 0, people are ``object_id`` integers, the ``joint`` level is the ordered
COCO-17 categorical, ``attrs`` carries fps, width, height, source and history.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from posekit.errors import PoseFormatError
from posekit.schema import JOINT_INDEX, JOINTS, N_JOINTS, TABLE_UNITS

__all__ = [
    "PoseArrays",
    "arrays_from_table",
    "coco_index",
    "need",
    "table_from_arrays",
]

PathLike = str | os.PathLike[str]

_SIDES = {"left": ("left", "l"), "right": ("right", "r")}
_PARTS = ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _aliases() -> dict[str, str]:
    table = {"nose": "nose"}
    for side, short in _SIDES.items():
        for part in _PARTS:
            coco = f"{side}_{part}"
            for s in short:
                table[s + part] = coco
                table[part + s] = coco
    return table


#: Normalised spellings (lower case, letters and digits only) of the COCO joints in other tools:
#: ``left_shoulder``, ``LShoulder``, ``l_shoulder``, ``ShoulderL``, ``shoulder_left``...
_ALIASES = _aliases()

#: OpenPose / Pose2Sim / OpenSim marker names of the 17 COCO joints, in COCO order.
OPENSIM_MARKERS: tuple[str, ...] = (
    "Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow",
    "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle",
)  # fmt: skip


def coco_index(
    names: Sequence[str],
    *,
    mapping: Mapping[str, str] | None = None,
    where: str,
    field_name: str = "keypoint names",
) -> tuple[np.ndarray, list[str]]:
    """Which COCO joint each of a file's keypoint ``names`` is.

    Returns ``(index, extra)``: ``index[k]`` is the COCO joint index of ``names[k]`` or -1, and
    ``extra`` the names that match no COCO joint. ``mapping`` ({file name: COCO name}) comes
    first; other names match by spelling (``LShoulder``, ``left_shoulder``, ``shoulder_l``...).

    Raises
    ------
    PoseFormatError
        No name matches a COCO joint, a mapping names an unknown COCO joint or a name the file
        does not have, or two names map to the same joint.
    """
    mapping = dict(mapping or {})
    bad = [v for v in mapping.values() if v not in JOINT_INDEX]
    if bad:
        raise ValueError(f"mapping values {bad} are not COCO joint names; use {list(JOINTS)}")
    unknown = [k for k in mapping if k not in names]
    if unknown:
        raise PoseFormatError(
            f"{where}: mapping names {unknown}, which are not among the file's {field_name} "
            f"{list(names)}"
        )
    index = np.full(len(names), -1, dtype=np.int64)
    taken: dict[int, str] = {}
    for k, name in enumerate(names):
        coco = mapping.get(name) or _ALIASES.get(_norm(name))
        if coco is None:
            continue
        j = JOINT_INDEX[coco]
        if j in taken:
            raise PoseFormatError(
                f"{where}: {field_name} {taken[j]!r} and {name!r} both map to {coco!r}; "
                f"pass mapping={{...}} to say which is which"
            )
        taken[j] = name
        index[k] = j
    if not taken:
        raise PoseFormatError(
            f"{where}: none of the {field_name} {list(names)} is a COCO-17 joint; pass "
            f"mapping={{'file name': 'coco_name', ...}} with names from {list(JOINTS)}"
        )
    extra = [str(n) for n, j in zip(names, index, strict=True) if j < 0]
    missing = [JOINTS[j] for j in range(N_JOINTS) if j not in taken]
    if missing:
        warnings.warn(
            f"{where}: no keypoint for COCO joint(s) {missing}: they are NaN "
            "(pass mapping={'file name': 'coco_name'} if the file names them differently)",
            stacklevel=3,
        )
    return index, extra


@dataclass
class PoseArrays:
    """A keypoints table as dense arrays over contiguous frames.

    Attributes
    ----------
    frames
        ``(F,)`` int64, every frame from the table's first to its last.
    object_ids
        ``(O,)`` int64.
    xy
        ``(F, O, 17, 2)`` float64, NaN where missing.
    score
        ``(F, O, 17)`` float64, NaN where missing.
    present
        ``(F, O)`` bool: the table has rows for that person in that frame.
    filled
        ``(F, O, 17)`` bool or None: points a gap filler made (the table's ``filled`` column).
    attrs
        The table's ``attrs``.
    """

    frames: np.ndarray
    object_ids: np.ndarray
    xy: np.ndarray
    score: np.ndarray
    present: np.ndarray
    filled: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float | None:
        fps = self.attrs.get("fps")
        return float(fps) if fps else None

    @property
    def time(self) -> np.ndarray:
        fps = self.fps
        return self.frames / fps if fps else self.frames.astype(np.float64)


def arrays_from_table(kp: pd.DataFrame, /) -> PoseArrays:
    """The keypoints table ``kp`` as :class:`PoseArrays` (frames made contiguous)."""
    from posekit.tidy import to_dense

    if not isinstance(kp, pd.DataFrame):
        raise TypeError(f"expected a keypoints table (DataFrame), got {type(kp).__name__}")
    cols = ["x", "y", "score"] + (["filled"] if "filled" in kp.columns else [])
    missing = [c for c in ("x", "y") if c not in kp.columns]
    if missing:
        raise ValueError(f"keypoints table has no column(s) {missing}; it has {list(kp.columns)}")
    table = kp if "score" in kp.columns else kp.assign(score=np.nan)
    if "filled" in cols:
        table = table.assign(filled=table["filled"].astype("float64"))
    dense = to_dense(table, cols, contiguous=True)
    frames, values, present = dense.frames, dense.values, dense.present
    filled = values[..., 3] > 0.5 if "filled" in cols else None
    return PoseArrays(
        frames=frames,
        object_ids=dense.object_ids.astype(np.int64),
        xy=values[..., :2],
        score=values[..., 2],
        present=present,
        filled=filled,
        attrs=dict(kp.attrs),
    )


def table_from_arrays(
    frames: np.ndarray,
    object_ids: np.ndarray,
    xy: np.ndarray,
    score: np.ndarray | None = None,
    *,
    present: np.ndarray | None = None,
    filled: np.ndarray | None = None,
    fps: float | None = None,
    width: int | None = None,
    height: int | None = None,
    source: str | None = None,
    step: str,
    units: Mapping[str, str] | None = None,
    extra_attrs: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A keypoints table from ``(F, O, 17, 2)`` positions and ``(F, O, 17)`` scores.

    ``present`` defaults to (frame, person) pairs with at least one finite coordinate or score:
    a person absent from a frame gets no rows, as in tables made from Kakao results. Missing
    points stay NaN. ``step`` starts the table's history.
    """
    from posekit.tidy import DenseKeypoints, from_dense

    frames = np.asarray(frames, dtype=np.int64)
    object_ids = np.asarray(object_ids, dtype=np.int64)
    xy = np.asarray(xy, dtype=np.float64)
    n_f, n_o = len(frames), len(object_ids)
    if xy.shape != (n_f, n_o, N_JOINTS, 2):
        raise ValueError(f"xy has shape {xy.shape}, expected {(n_f, n_o, N_JOINTS, 2)}")
    score = np.full(xy.shape[:3], np.nan) if score is None else np.asarray(score, np.float64)
    cols: list[np.ndarray] = [xy[..., 0], xy[..., 1], score]
    names = ["x", "y", "score"]
    if filled is not None:
        cols.append(np.asarray(filled, dtype=np.float64))
        names.append("filled")
    values = np.stack(cols, axis=-1)
    if present is None:
        present = np.isfinite(values[..., :3]).any(axis=(2, 3))
    order = np.argsort(frames, kind="stable")
    obj_order = np.argsort(object_ids, kind="stable")
    object_ids = object_ids[obj_order]
    values = values[:, obj_order]
    present = np.asarray(present, dtype=bool)[:, obj_order]
    attrs: dict[str, Any] = {
        "fps": float(fps) if fps else None,
        "width": int(width) if width else None,
        "height": int(height) if height else None,
        "source": source,
        "job_id": None,
        "kind": "video",
        **dict(extra_attrs or {}),
        "history": [step],
    }
    dense = DenseKeypoints(
        values=values[order],
        frames=frames[order],
        object_ids=object_ids,
        columns=tuple(names),
        present=present[order],
        attrs=attrs,
    )
    out = from_dense(dense)
    if "filled" in out.columns:
        out["filled"] = out["filled"].to_numpy() > 0.5
    unit_map = {**TABLE_UNITS, **dict(units or {})}
    out.attrs["units"] = {c: unit_map[c] for c in out.columns if c in unit_map}
    return out


def need(module: str, fmt: str) -> Any:
    """Import ``module`` or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{fmt} needs the {module.split('.')[0]!r} package: pip install 'posekit[interop]' "
            f"({exc})"
        ) from None


def check_file(path: PathLike, fmt: str) -> Path:
    """``path`` as a Path; a clear error when it is not a file."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such {fmt} file: {p}")
    if p.is_dir():
        raise PoseFormatError(f"{p} is a folder, expected a {fmt} file")
    return p


def object_id_of(name: Any, k: int) -> int:
    """An ``object_id`` from an individual/track name: ``id_3`` -> 3, ``3`` -> 3, else ``k``."""
    m = re.fullmatch(r"(?:id|track|person|individual|animal|subject)?[_\- ]?(\d+)", str(name))
    return int(m.group(1)) if m else k


def unique_ids(names: Sequence[Any]) -> np.ndarray:
    """``object_id`` per name; the position in the list when the numbers clash."""
    ids = [object_id_of(n, k) for k, n in enumerate(names)]
    if len(set(ids)) != len(ids):
        ids = list(range(len(names)))
    return np.asarray(ids, dtype=np.int64)


def not_empty(kp: pd.DataFrame, where: str) -> None:
    """A clear error instead of an empty file nobody can read back."""
    if len(kp) == 0:
        raise ValueError(f"the table has no rows: nothing to write to {where}")


def one_person(arrays: PoseArrays, object_id: int | None, *, where: str) -> int:
    """Index of the person to write to a single-person format."""
    ids = arrays.object_ids.tolist()
    if not ids:
        raise ValueError(f"the table has no rows: nothing to write to {where}")
    if object_id is None:
        if len(ids) != 1:
            raise ValueError(
                f"{where} holds one person and the table has {len(ids)} (object_id {ids}): "
                "pass object_id=..."
            )
        return 0
    if object_id not in ids:
        raise ValueError(f"object_id {object_id} not in the table; it has {ids}")
    return ids.index(object_id)
