"""Any format by its file's extension: :func:`read`, :func:`write`, :func:`detect_format`.

The format modules' own functions (``read_trc``, ``write_nwb``...) take the options only they
have; these two pass ``**options`` on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from posekit.errors import PoseFormatError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "Format", "detect_format", "read", "write"]

Format = Literal[
    "kakao", "openpose", "coco", "coco-annotations", "csv", "parquet", "movement", "nwb",
    "trc", "mot", "dlc", "sleap",
]  # fmt: skip

#: Format name -> (can read, can write, what it holds).
FORMATS: dict[str, tuple[bool, bool, str]] = {
    "kakao": (True, True, "keypoints"),
    "openpose": (True, False, "keypoints"),
    "coco": (True, True, "keypoints"),
    "coco-annotations": (True, True, "keypoints"),
    "csv": (True, True, "table"),
    "parquet": (True, True, "table"),
    "movement": (True, True, "keypoints"),
    "nwb": (True, True, "keypoints"),
    "trc": (True, True, "keypoints"),
    "mot": (True, True, "angles"),
    "dlc": (True, True, "keypoints"),
    "sleap": (True, False, "keypoints"),
}

_BY_SUFFIX = {
    ".parquet": "parquet", ".nc": "movement", ".nwb": "nwb", ".trc": "trc",
    ".mot": "mot", ".sto": "mot", ".slp": "sleap",
}  # fmt: skip


def _sniff_json(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    if (
        head[:1] == b"{"
        and (b'"images"' in head or b'"categories"' in head)
        and b'"status"' not in head
    ):
        return "coco-annotations"
    if head[:1] == b"[" and b'"image_id"' in head:
        return "coco"
    return "kakao"


def _sniff_h5(path: Path) -> str:
    try:
        import h5py
    except ImportError:
        return "dlc"
    try:
        with h5py.File(path, "r") as f:
            keys = set(f.keys())
    except OSError as exc:
        raise PoseFormatError(f"{path}: not an HDF5 file ({exc})") from None
    return "sleap" if "tracks" in keys or "node_names" in keys else "dlc"


def detect_format(path: str | os.PathLike[str], *, for_writing: bool = False) -> str:
    """The format of ``path`` from its extension (and, reading, its first bytes).

    A folder is OpenPose's; an existing ``.json`` is told apart by its first bytes (COCO
    results or annotations, else Kakao), ``.csv`` (DeepLabCut's starts ``scorer,``) and
    ``.h5`` (SLEAP's or DeepLabCut's) likewise.

    Parameters
    ----------
    path
        The file or folder.
    for_writing
        Decide from the name alone (the file need not exist; ``.json`` is Kakao's, ``.csv`` a
        table, ``.h5`` DeepLabCut's).

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    ValueError
        The extension names no format.

    Examples
    --------
    >>> from posekit.io import detect_format
    >>> [detect_format(name) for name in ("walk.trc", "knee.sto", "clip.nc", "result.json")]
    ['trc', 'mot', 'movement', 'kakao']
    >>> detect_format("table.csv", for_writing=True)
    'csv'
    """
    p = Path(path)
    if not for_writing and p.is_dir():
        return "openpose"
    suffix = p.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix == ".json":
        return "kakao" if for_writing or not p.exists() else _sniff_json(p)
    if suffix == ".csv":
        if not for_writing and p.exists():
            with open(p, encoding="utf-8", errors="replace") as f:
                if f.readline().startswith("scorer,"):
                    return "dlc"
        return "csv"
    if suffix in (".h5", ".hdf5"):
        return "dlc" if for_writing or not p.exists() else _sniff_h5(p)
    raise ValueError(
        f"cannot tell the format of {p.name!r} from its extension; pass format=... "
        f"(one of {', '.join(FORMATS)})"
    )


def read(
    path: str | os.PathLike[str],
    /,
    *,
    format: Format | None = None,
    fps: float | None = None,
    min_score: float | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Read any supported file as a posekit table (keypoints; angles for ``.mot``).

    Parameters
    ----------
    path
        File (or OpenPose folder).
    format
        Overrides the guess from the extension.
    fps
        Frame rate for formats that carry none (OpenPose, DeepLabCut, SLEAP, COCO).
    min_score
        Kakao, OpenPose and COCO inputs: points with a lower score get NaN coordinates.
    options
        Passed to the format's reader (``mapping=``, ``layout=``, ``units=``...).

    Returns
    -------
    DataFrame
        A keypoints table (an angles table for ``.mot``/``.sto``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write(kp, Path(tmp) / "squat.trc")
    ...     back = pk.io.read(path)
    >>> back.shape, bool((back["x"] - kp["x"]).abs().max() < 1e-6), back.attrs["fps"]
    ((510, 4), True, 30.0)
    """
    # the format modules (and pandas) load on first use: `import posekit` stays light

    # the format modules (and pandas) load on first use: `import posekit` stays light
    from posekit.io.coco import load_coco
    from posekit.io.dlc import read_dlc
    from posekit.io.kakao import load
    from posekit.io.movement import read_movement
    from posekit.io.nwb import read_nwb
    from posekit.io.openpose import load_openpose
    from posekit.io.opensim import read_mot, read_trc
    from posekit.io.sleap import read_sleap
    from posekit.io.table import read_table

    fmt: Any = format or detect_format(path)
    if fmt not in FORMATS or not FORMATS[fmt][0]:
        raise ValueError(f"posekit cannot read format {fmt!r}")
    if fmt in ("kakao", "openpose", "coco", "coco-annotations"):
        if fmt == "kakao":
            res = load(path)
            if fps:
                raise ValueError("a Kakao result carries its own fps; do not pass fps=")
        elif fmt == "openpose":
            res = load_openpose(path, fps=fps, **options)
        else:
            res = load_coco(path, fps=fps, **options)
        return res.keypoints(min_score=min_score)
    if min_score is not None:
        raise ValueError(f"min_score applies to Kakao, OpenPose and COCO inputs, not {fmt}")
    if fmt in ("csv", "parquet"):
        return read_table(path)
    if fmt == "movement":
        return read_movement(path, **options)
    if fmt == "nwb":
        return read_nwb(path, **options)
    if fmt == "trc":
        return read_trc(path, fps=fps, **options)
    if fmt == "mot":
        return read_mot(path, fps=fps, **options)
    if fmt == "dlc":
        return read_dlc(path, fps=fps, **options)
    return read_sleap(path, fps=fps, **options)


def write(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    /,
    *,
    format: Format | None = None,
    **options: Any,
) -> Path:
    """Write a posekit table in the format ``path``'s extension (or ``format``) names.

    A keypoints table can be written in any writable format; ``.mot`` takes an angles table
    (:func:`posekit.angles.joint_angles`); ``csv``/``parquet`` take any table.

    Parameters
    ----------
    table
        A keypoints table (an angles table for ``.mot``; any posekit table for CSV/Parquet).
    path
        The file to write; its extension names the format unless ``format`` is given.
    format
        Overrides the guess from the extension (``"coco-annotations"`` for a COCO annotation
        file, for example).
    options
        Passed to the format's writer (``object_id=`` for TRC/MOT, ``layout=`` for
        DeepLabCut...).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        A format posekit cannot write, or a Kakao file from a table not in pixels.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=1, fps=30).result.keypoints()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.io.write(kp, Path(tmp) / "squat.json")  # Kakao API JSON
    ...     pk.io.detect_format(path), pk.io.read(path).equals(kp)
    ('kakao', True)
    """
    from posekit.io.coco import write_coco
    from posekit.io.dlc import write_dlc
    from posekit.io.movement import write_movement
    from posekit.io.nwb import write_nwb
    from posekit.io.opensim import write_mot, write_trc
    from posekit.io.table import write_table

    fmt: Any = format or detect_format(path, for_writing=True)
    if fmt not in FORMATS or not FORMATS[fmt][1]:
        raise ValueError(f"posekit cannot write format {fmt!r}; it writes "
                         f"{[k for k, v in FORMATS.items() if v[1]]}")  # fmt: skip
    path = Path(path)
    if fmt == "kakao":
        from posekit.tidy import to_result
        from posekit.units import length_unit

        if length_unit(table) != "px":
            raise ValueError("Kakao results are in pixels; this table is in " + length_unit(table))
        to_result(table, **options).save(path)
        return path
    if fmt in ("coco", "coco-annotations"):
        if fmt == "coco-annotations":
            return write_coco(table, path, kind="annotations", **options)
        return write_coco(table, path, kind="results", **options)
    if fmt in ("csv", "parquet"):
        return write_table(table, path)
    if fmt == "movement":
        return write_movement(table, path)
    if fmt == "nwb":
        return write_nwb(table, path, **options)
    if fmt == "trc":
        return write_trc(table, path, **options)
    if fmt == "mot":
        return write_mot(table, path, **options)
    return write_dlc(table, path, **options)
