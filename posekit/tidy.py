"""Results as tidy pandas tables, and back.

``keypoints``: one row per (frame, object_id, joint), columns ``x``, ``y``, ``score`` and ``time``
(seconds, when fps is known). ``objects``: one row per (frame, object_id).

Missing data follows one rule everywhere: a keypoint that was not detected (score 0) has NaN x
and y; a *filled* point (an estimate made by :func:`posekit.clean.interpolate`) has score NaN and
``filled`` True (the ``filled`` column exists only in tables that have been filled).
``DataFrame.attrs`` carries ``fps``, ``width``, ``height``, ``source``, ``job_id`` and ``history``
(what was applied to the table, one line per step).

For speed, analysis code works on :class:`DenseKeypoints`, a ``(frames, objects, joints, C)``
array with explicit index arrays (:func:`to_dense`), and maps results back onto the table's index
(:func:`from_dense`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from posekit._tables import (
    _JOINT_LEVEL,
    JOINT_DTYPE,
    DenseKeypoints,
    _attrs,
    _index,
    _sorted_flat,
    filled_mask,
    from_dense,
    from_wide,
    keypoints,
    objects,
    to_dense,
    to_wide,
)
from posekit.result import PoseResult

__all__ = [
    "JOINT_DTYPE",
    "DenseKeypoints",
    "filled_mask",
    "from_dense",
    "from_wide",
    "get_fps",
    "keypoints",
    "objects",
    "to_dense",
    "to_result",
    "to_wide",
    "with_history",
]
# the private helpers other modules import from here
_PRIVATE = (_JOINT_LEVEL, _attrs, _index, _sorted_flat)


def get_fps(df: pd.DataFrame | pd.Series, fps: float | None = None) -> float:
    """The frame rate to use: ``fps`` if given, else ``df.attrs["fps"]``.

    Parameters
    ----------
    df
        A table (or Series) whose ``attrs`` may carry ``fps``.
    fps
        Frames per second given by the caller; wins over the table's.

    Returns
    -------
    float
        Frames per second, a positive finite number.

    Raises
    ------
    ValueError
        Neither is set, or the value is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.tidy import get_fps
    >>> table = pd.DataFrame({"x": [0.0]})
    >>> table.attrs["fps"] = 30
    >>> get_fps(table), get_fps(table, 25)
    (30.0, 25.0)
    """
    value = fps if fps is not None else df.attrs.get("fps")
    if value is None:
        raise ValueError(
            "fps is unknown: pass fps=... or set table.attrs['fps'] "
            "(image results and OpenPose imports carry no frame rate)"
        )
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"fps must be a positive number, got {value}")
    return value


def with_history(df: pd.DataFrame, step: str, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """Set ``df.attrs`` from ``like`` (or keep its own) and append ``step`` to its history.

    Parameters
    ----------
    df
        The table to label; changed in place and returned.
    step
        One line saying what was applied (e.g. ``"butterworth(cutoff_hz=6)"``).
    like
        The table whose ``attrs`` (fps, size, source, history ...) ``df`` takes; default its
        own.

    Returns
    -------
    DataFrame
        ``df``, with ``attrs["history"]`` ending in ``step``.

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.tidy import with_history
    >>> src = pd.DataFrame({"x": [1.0]})
    >>> src.attrs = {"fps": 30.0, "history": ["load"]}
    >>> out = with_history(pd.DataFrame({"x": [2.0]}), "double", like=src)
    >>> out.attrs
    {'fps': 30.0, 'history': ['load', 'double']}
    """
    base = like.attrs if like is not None else df.attrs
    attrs = {k: v for k, v in base.items() if k != "history"}
    attrs["history"] = [*base.get("history", []), step]
    df.attrs = attrs
    return df


def to_result(
    kp: pd.DataFrame,
    objects: pd.DataFrame | None = None,
    *,
    kind: Literal["image", "video"] | None = None,
) -> PoseResult:
    """A keypoints table (cleaned, smoothed...) back to a Kakao-format :class:`PoseResult`.

    The same as :meth:`PoseResult.from_keypoints <posekit.result.PoseResult.from_keypoints>`,
    which says how missing and filled points, boxes and scores are written.

    Parameters
    ----------
    kp
        A keypoints table (from :meth:`PoseResult.keypoints`, cleaned, smoothed ...).
    objects
        The matching objects table (boxes and scores); default computed from the points.
    kind
        ``"image"`` or ``"video"``; default from ``kp.attrs["kind"]``.

    Returns
    -------
    PoseResult
        The Kakao-format result.

    Examples
    --------
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints()
    >>> res = pk.tidy.to_result(pk.smooth.butterworth(kp, cutoff_hz=6.0))
    >>> res.n_frames, res.fps
    (30, 30.0)
    """
    return PoseResult.from_keypoints(kp, objects, kind=kind)
