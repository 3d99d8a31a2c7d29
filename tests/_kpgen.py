"""Small keypoints tables built from arrays, for the analysis tests (angles, kinematics, metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from posekit.schema import JOINT_INDEX, N_JOINTS
from posekit.tidy import DenseKeypoints, from_dense


def table(
    xy: np.ndarray, *, fps: float | None = 30.0, frames=None, object_ids=None
) -> pd.DataFrame:
    """A keypoints table from ``(F, O, 17, 2)`` (or ``(F, 17, 2)`` for one person) coordinates."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim == 3:
        xy = xy[:, None]
    n_f, n_o = xy.shape[:2]
    values = np.concatenate([xy, np.ones((*xy.shape[:3], 1))], axis=-1)
    dense = DenseKeypoints(
        values=values,
        frames=np.arange(n_f) if frames is None else np.asarray(frames),
        object_ids=np.arange(n_o) if object_ids is None else np.asarray(object_ids),
        columns=("x", "y", "score"),
        present=np.ones((n_f, n_o), dtype=bool),
        attrs={"fps": fps} if fps else {},
    )
    return from_dense(dense)


def pose(n_frames: int = 1, **points: tuple[float, float]) -> np.ndarray:
    """``(n_frames, 17, 2)`` array: NaN except the given joints, e.g. ``left_knee=(0, 0)``."""
    xy = np.full((n_frames, N_JOINTS, 2), np.nan)
    for name, p in points.items():
        xy[:, JOINT_INDEX[name]] = p
    return xy


def standing(n_frames: int = 1) -> np.ndarray:
    """A plausible upright person (image coordinates, y down), ``(n_frames, 17, 2)``."""
    p = {
        "nose": (100, 40), "left_eye": (105, 35), "right_eye": (95, 35),
        "left_ear": (110, 38), "right_ear": (90, 38),
        "left_shoulder": (120, 80), "right_shoulder": (80, 80),
        "left_elbow": (125, 130), "right_elbow": (75, 130),
        "left_wrist": (128, 175), "right_wrist": (72, 175),
        "left_hip": (112, 180), "right_hip": (88, 180),
        "left_knee": (113, 250), "right_knee": (87, 250),
        "left_ankle": (114, 320), "right_ankle": (86, 320),
    }  # fmt: skip
    return pose(n_frames, **p)
