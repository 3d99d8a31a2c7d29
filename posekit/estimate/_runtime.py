"""Loading the TFLite runtime (ai-edge-litert, the ``[local]`` extra)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from posekit.errors import PoseKitError, RuntimeMissingError

__all__ = ["RuntimeMissingError", "load_interpreter"]


def load_interpreter(model_path: str, *, num_threads: int = 2) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise RuntimeMissingError(
            "the offline estimator needs the TFLite runtime: pip install 'posekit[local]' "
            "(ai-edge-litert)"
        ) from None
    try:
        with _quiet_stderr():  # the runtime prints "INFO: Created TensorFlow Lite XNNPACK..."
            net = Interpreter(model_path=str(model_path), num_threads=num_threads)
            net.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise PoseKitError(f"{model_path} is not a usable TFLite model: {exc}") from None
    return net


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C++ logging) for the duration; Python errors still raise."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # notebooks: no real stderr to silence
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
    finally:
        os.close(saved)
