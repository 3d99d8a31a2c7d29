"""DeepLabCut predictions: ``.h5`` (pandas HDF, key ``df_with_missing``) and ``.csv``.

A DeepLabCut table has one row per frame (index 0, 1, ... or image paths for labelled data) and
a column MultiIndex ``scorer / bodyparts / coords`` (single animal) or ``scorer / individuals /
bodyparts / coords`` (multi-animal), coords ``x, y, likelihood``. The CSV holds the same with
the header levels as its first 3 or 4 lines. Missing points are empty (NaN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    unique_ids,
)
from posekit.schema import JOINTS, N_JOINTS

__all__ = ["read_dlc", "to_dlc_frame", "write_dlc"]

_KEY = "df_with_missing"


def to_dlc_frame(
    kp: pd.DataFrame,
    /,
    *,
    layout: Literal["auto", "single", "multi"] = "auto",
    scorer: str = "posekit",
) -> pd.DataFrame:
    """A keypoints table as a DeepLabCut-style DataFrame (rows = frames from 0).

    Parameters
    ----------
    kp
        A keypoints table.
    layout
        ``"single"``: columns (scorer, bodyparts, coords); ``"multi"``: (scorer, individuals,
        bodyparts, coords) with individuals ``id_<object_id>``; ``"auto"``: single for one
        person, multi for several.
    scorer
        The ``scorer`` column level's value.

    Returns
    -------
    DataFrame
        One row per frame from 0; coords ``x``, ``y`` (px) and ``likelihood`` (posekit's
        score).

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> frame = pk.io.to_dlc_frame(kp)
    >>> frame.shape, list(frame.columns.names), frame.columns[0]  # 2 people × 17 joints × 3
    ((30, 102), ['scorer', 'individuals', 'bodyparts', 'coords'], ('posekit', 'id_0', 'nose', 'x'))
    """
    not_empty(kp, "a DeepLabCut file")
    a = arrays_from_table(kp)
    n_o = len(a.object_ids)
    if layout == "auto":
        layout = "single" if n_o == 1 else "multi"
    if layout == "single" and n_o != 1:
        raise ValueError(
            f"a single-animal DeepLabCut file holds one person and the table has {n_o} "
            f"(object_id {a.object_ids.tolist()}): use layout='multi' or choose one person"
        )
    start = int(a.frames[0]) if len(a.frames) else 0
    n = start + len(a.frames)
    data = np.full((n, n_o, N_JOINTS, 3), np.nan)
    data[start:, ..., :2] = a.xy
    data[start:, ..., 2] = a.score
    coords = ["x", "y", "likelihood"]
    if layout == "single":
        columns = pd.MultiIndex.from_product(
            [[scorer], list(JOINTS), coords], names=["scorer", "bodyparts", "coords"]
        )
    else:
        columns = pd.MultiIndex.from_product(
            [[scorer], [f"id_{int(i)}" for i in a.object_ids], list(JOINTS), coords],
            names=["scorer", "individuals", "bodyparts", "coords"],
        )
    return pd.DataFrame(data.reshape(n, -1), index=np.arange(n), columns=columns)


def write_dlc(
    kp: pd.DataFrame,
    path: PathLike,
    /,
    *,
    layout: Literal["auto", "single", "multi"] = "auto",
    scorer: str = "posekit",
) -> Path:
    """Write a keypoints table as a DeepLabCut ``.h5`` or ``.csv`` file (by extension).

    Rows are frames from 0 (frames before the table's first are empty); bodyparts are the COCO
    names; ``likelihood`` is posekit's score.

    Parameters
    ----------
    kp
        A keypoints table.
    path
        ``.h5`` (needs PyTables) or ``.csv``.
    layout
        ``"auto"``, ``"single"`` or ``"multi"`` (see :func:`to_dlc_frame`).
    scorer
        The ``scorer`` column level's value.

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
    ...     path = pk.io.write_dlc(kp, Path(tmp) / "squat.csv")
    ...     first = path.read_text().splitlines()[0]
    ...     back = pk.io.read_dlc(path, fps=30)
    >>> first[:20], bool((back["x"] - kp["x"]).abs().max() < 1e-6)
    ('scorer,posekit,posek', True)
    """
    df = to_dlc_frame(kp, layout=layout, scorer=scorer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    if path.suffix.lower() == ".csv":
        df.to_csv(tmp)
    elif path.suffix.lower() in (".h5", ".hdf5"):
        need("tables", "DeepLabCut .h5")
        df.to_hdf(tmp, key=_KEY, format="table", mode="w")
    else:
        raise ValueError(f"DeepLabCut files end in .h5 or .csv, got {path.name!r}")
    tmp.replace(path)
    return path


def _read_frame(path: Path) -> pd.DataFrame:
    where = str(path)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8", errors="replace") as f:
            heads = [f.readline().split(",", 1)[0].strip() for _ in range(4)]
        if heads[0] != "scorer":
            raise PoseFormatError(
                f"{where}: not a DeepLabCut CSV (line 1 should start with 'scorer', got {heads[0]!r})"
            )
        n_head = 4 if heads[1] == "individuals" else 3
        try:
            return pd.read_csv(path, header=list(range(n_head)), index_col=0)
        except (pd.errors.ParserError, ValueError) as exc:
            raise PoseFormatError(f"{where}: cannot read the DeepLabCut table ({exc})") from None
    need("tables", "DeepLabCut .h5")
    try:
        df = pd.read_hdf(path)
    except Exception as exc:  # PyTables raises its own HDF5ExtError, besides ValueError/KeyError
        raise PoseFormatError(f"{where}: not a DeepLabCut .h5 file ({exc})") from None
    if not isinstance(df, pd.DataFrame):
        raise PoseFormatError(f"{where}: not a DeepLabCut .h5 file (holds no table)")
    return df


def read_dlc(
    path: PathLike,
    /,
    *,
    fps: float | None = None,
    mapping: dict[str, str] | None = None,
    individual: str | None = None,
) -> pd.DataFrame:
    """Read DeepLabCut predictions (``.h5`` or ``.csv``, single or multi-animal).

    Parameters
    ----------
    path
        The file.
    fps
        The video's frame rate (DeepLabCut files carry none).
    mapping
        ``{bodypart: COCO joint name}`` for bodyparts not spelled like a COCO joint.
    individual
        Keep only this individual of a multi-animal file.

    Returns
    -------
    DataFrame
        Keypoints table; ``score`` is DeepLabCut's likelihood; individuals named ``id_3`` or
        ``3`` keep that number as ``object_id``, others are numbered in file order (the names are
        in ``attrs["individuals"]``). Bodyparts that match no COCO joint are listed in
        ``attrs["extra_keypoints"]`` and not kept.

    Examples
    --------
    Two people written multi-animal, one of them read back:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write_dlc(kp, Path(tmp) / "walk.h5")
    ...     one = pk.io.read_dlc(path, fps=30, individual="id_1")
    >>> one.index.get_level_values("object_id").unique().tolist(), len(one) // 17
    ([1], 30)
    """
    path = check_file(path, "DeepLabCut")
    where = str(path)
    df = _read_frame(path)
    cols = df.columns
    if not isinstance(cols, pd.MultiIndex) or cols.nlevels not in (3, 4):
        raise PoseFormatError(
            f"{where}: expected DeepLabCut columns scorer/[individuals/]bodyparts/coords"
        )
    if cols.nlevels == 3:
        cols = pd.MultiIndex.from_tuples(
            [(s, "single", b, c) for s, b, c in cols],
            names=["scorer", "individuals", "bodyparts", "coords"],
        )
        df = df.set_axis(cols, axis=1)
    coords = set(cols.get_level_values(-1))
    if not {"x", "y"} <= coords:
        raise PoseFormatError(f"{where}: coords are {sorted(coords)}, expected x, y, likelihood")
    inds = list(dict.fromkeys(cols.get_level_values(1)))
    if individual is not None:
        if individual not in inds:
            raise ValueError(f"{where}: no individual {individual!r}; the file has {inds}")
        inds = [individual]
    parts = list(dict.fromkeys(cols.get_level_values(2)))
    index, extra = coco_index(parts, mapping=mapping, where=where, field_name="bodyparts")
    n = len(df)
    xy = np.full((n, len(inds), N_JOINTS, 2), np.nan)
    score = np.full((n, len(inds), N_JOINTS), np.nan)
    for o, ind in enumerate(inds):
        for k, part in enumerate(parts):
            j = index[k]
            if j < 0 or (df.columns[0][0], ind, part, "x") not in df.columns:
                continue
            sub = df.loc[:, (slice(None), ind, part)].droplevel([0, 1, 2], axis=1)
            xy[:, o, j, 0] = pd.to_numeric(sub["x"], errors="coerce").to_numpy(np.float64)
            xy[:, o, j, 1] = pd.to_numeric(sub["y"], errors="coerce").to_numpy(np.float64)
            if "likelihood" in sub.columns:
                score[:, o, j] = pd.to_numeric(sub["likelihood"], errors="coerce").to_numpy(float)
    xy[~np.isfinite(xy).all(axis=-1)] = np.nan
    idx = df.index
    if pd.api.types.is_integer_dtype(idx) and idx.is_unique and (idx >= 0).all():
        frames = idx.to_numpy(np.int64)
    else:
        frames = np.arange(n, dtype=np.int64)  # labelled data: image paths, in file order
    return table_from_arrays(
        frames, unique_ids(inds if inds != ["single"] else ["0"]), xy, score, fps=fps,
        source=where, step=f"read_dlc({path.name!r})",
        extra_attrs={
            "individuals": inds, "scorer": str(df.columns[0][0]),
            **({"extra_keypoints": extra} if extra else {}),
        },
    )  # fmt: skip
