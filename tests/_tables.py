"""Tiny keypoints tables with known values, for the plot/player/render tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from posekit.tidy import DenseKeypoints, from_dense

# a standing figure, (x, y) per COCO joint, about 100 px tall
POSE = np.array(
    [[50, 10], [47, 8], [53, 8], [44, 10], [56, 10], [40, 25], [60, 25], [36, 40], [64, 40],
     [34, 55], [66, 55], [44, 60], [56, 60], [44, 80], [56, 80], [44, 100], [56, 100]],
    dtype=np.float64,
)  # fmt: skip


def table(
    n_frames: int = 10,
    n_people: int = 2,
    *,
    fps: float | None = 10.0,
    width: int = 200,
    height: int = 120,
    score: float = 0.9,
) -> pd.DataFrame:
    """People ``k`` at x offset 80*k, moving right by 1 px per frame; all scores ``score``."""
    values = np.zeros((n_frames, n_people, 17, 3))
    for f in range(n_frames):
        for p in range(n_people):
            values[f, p, :, :2] = POSE + np.array([80 * p + f, 0])
    values[..., 2] = score
    attrs = {"fps": fps, "width": width, "height": height, "history": []}
    dense = DenseKeypoints(
        values=values,
        frames=np.arange(n_frames),
        object_ids=np.arange(n_people),
        columns=("x", "y", "score"),
        present=np.ones((n_frames, n_people), bool),
        attrs=attrs,
    )
    return from_dense(dense)
