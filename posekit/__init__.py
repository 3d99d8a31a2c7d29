"""posekit: human pose estimation results (Kakao Pose API format) as tidy DataFrames,
analyses and pictures in Jupyter."""

from __future__ import annotations

__version__ = "0.1.0"

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


def __getattr__(name: str):  # lazy submodules: `pk.smooth.butterworth(...)` without import cost
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"posekit.{name}")
    if name in _LAZY:
        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(f"posekit.{mod}"), attr)
    raise AttributeError(f"module 'posekit' has no attribute {name!r}")


_SUBMODULES = {
    "schema", "io", "tidy", "clean", "smooth", "angles", "kinematics", "metrics", "plot",
    "widgets", "video", "client", "server", "estimate", "synth", "cli", "models", "errors",
    "report", "media", "summary",
}  # fmt: skip
_LAZY = {
    "Client": ("client", "Client"),
    "callback_receiver": ("client", "callback_receiver"),
}
