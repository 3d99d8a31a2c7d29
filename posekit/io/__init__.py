"""Reading and writing results, one module per format behind this facade.

* :mod:`posekit.io.kakao` — Kakao Pose API JSON: :func:`load`, :func:`save`.
* :mod:`posekit.io.openpose` — OpenPose JSON folders: :func:`load_openpose`.
* :mod:`posekit.io.coco` — COCO keypoint results and annotation files: :func:`load_coco`,
  :func:`write_coco`.
* :mod:`posekit.io.table` — posekit tables as CSV or Parquet that read back whole:
  :func:`read_table`, :func:`write_table`.
* :mod:`posekit.io.movement` — ``movement`` poses datasets (xarray, netCDF): :func:`to_movement`,
  :func:`from_movement`, :func:`read_movement`, :func:`write_movement`.
* :mod:`posekit.io.nwb` — NWB files with ``ndx-pose``: :func:`read_nwb`, :func:`write_nwb`.
* :mod:`posekit.io.opensim` — OpenSim ``.trc`` markers and ``.mot`` motions: :func:`read_trc`,
  :func:`write_trc`, :func:`read_mot`, :func:`write_mot`.
* :mod:`posekit.io.dlc` — DeepLabCut ``.h5``/``.csv``: :func:`read_dlc`, :func:`write_dlc`.
* :mod:`posekit.io.sleap` — SLEAP ``.slp`` and analysis ``.h5``: :func:`read_sleap`.

:func:`read` and :func:`write` pick the format by extension (see ``docs/interop.md``); the
libraries the formats beyond Kakao's, OpenPose's and COCO's need are in the ``interop`` extra.

Also here for the callers that used them from ``posekit.io``: :func:`flatten` and :class:`Flat`
(every detection as arrays, from :mod:`posekit._decode`), :func:`check_job`, :func:`atomic_write`
and :func:`make_person` (a Kakao ``Person`` from a ``(17, 3)`` array).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from posekit._decode import Flat, check_job, flatten
from posekit._files import atomic_write
from posekit.io._build import make_person
from posekit.io._formats import FORMATS, Format, detect_format, read, write
from posekit.io.coco import load_coco
from posekit.io.kakao import load, save
from posekit.io.openpose import OPENPOSE_TO_COCO, load_openpose

if TYPE_CHECKING:
    from posekit.io.coco import to_coco, write_coco
    from posekit.io.dlc import read_dlc, to_dlc_frame, write_dlc
    from posekit.io.movement import from_movement, read_movement, to_movement, write_movement
    from posekit.io.nwb import read_nwb, write_nwb
    from posekit.io.opensim import read_mot, read_trc, write_mot, write_trc
    from posekit.io.sleap import read_sleap
    from posekit.io.table import read_table, write_table

#: Names served from their format module on first use, so that ``import posekit`` loads neither
#: pandas nor the format modules.
_LAZY = {
    "to_coco": "coco", "write_coco": "coco",
    "read_dlc": "dlc", "to_dlc_frame": "dlc", "write_dlc": "dlc",
    "from_movement": "movement", "read_movement": "movement", "to_movement": "movement",
    "write_movement": "movement",
    "read_nwb": "nwb", "write_nwb": "nwb",
    "read_mot": "opensim", "read_trc": "opensim", "write_mot": "opensim", "write_trc": "opensim",
    "read_sleap": "sleap",
    "read_table": "table", "write_table": "table",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"posekit.io.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'posekit.io' has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "OPENPOSE_TO_COCO",
    "Flat",
    "Format",
    "atomic_write",
    "check_job",
    "detect_format",
    "flatten",
    "from_movement",
    "load",
    "load_coco",
    "load_openpose",
    "make_person",
    "read",
    "read_dlc",
    "read_mot",
    "read_movement",
    "read_nwb",
    "read_sleap",
    "read_table",
    "read_trc",
    "save",
    "to_coco",
    "to_dlc_frame",
    "to_movement",
    "write",
    "write_coco",
    "write_dlc",
    "write_mot",
    "write_movement",
    "write_nwb",
    "write_table",
    "write_trc",
]
