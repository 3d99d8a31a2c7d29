"""posekit: human pose estimation results as tidy DataFrames, analyses and pictures.

Results are in the Kakao Pose API format; the analyses and pictures are made for Jupyter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from posekit._version import __version__
from posekit.errors import (
    JobFailedError,
    JobNotFoundError,
    JobNotReadyError,
    PoseFormatError,
    PoseKitError,
)
from posekit.io import load, save
from posekit.result import PoseResult
from posekit.schema import JOINTS

__all__ = [
    "JOINTS",
    "JobFailedError",
    "JobNotFoundError",
    "JobNotReadyError",
    "PoseFormatError",
    "PoseKitError",
    "PoseResult",
    "__version__",
    "load",
    "save",
]


if TYPE_CHECKING:  # what the lazy attributes below are, for IDEs and type checkers
    from posekit import (
        angles,
        clean,
        cli,
        client,
        estimate,
        kinematics,
        media,
        metrics,
        models,
        plot,
        report,
        server,
        smooth,
        study,
        summary,
        synth,
        tidy,
        units,
        video,
        widgets,
    )
    from posekit.client import Client, callback_receiver
    from posekit.study import load_study, read_table, write_table


def __getattr__(name: str) -> Any:
    """Lazy submodules: ``pk.smooth.butterworth(...)`` without importing every module up front.

    Every public submodule resolves (``pk.metrics``, ``pk.report``...), and a few names from
    them (``pk.Client``).
    """
    import importlib
    import importlib.util

    if name in _LAZY:
        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(f"posekit.{mod}"), attr)
    if not name.startswith("_") and importlib.util.find_spec(f"posekit.{name}") is not None:
        return importlib.import_module(f"posekit.{name}")
    raise AttributeError(f"module 'posekit' has no attribute {name!r}")


_LAZY = {
    "Client": ("client", "Client"),
    "callback_receiver": ("client", "callback_receiver"),
    "load_study": ("study", "load_study"),
    "read_table": ("study", "read_table"),
    "write_table": ("study", "write_table"),
}
