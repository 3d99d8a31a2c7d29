"""Keypoint scores that mean "this keypoint is there and visible".

The landmark model's own per-point visibility and presence (``min`` of the two sigmoids) are
near 1 for almost every point of a whole body, including the face points it places on the back
of the head of someone seen from behind and the far arm hidden behind the torso. Two cues
that the model's numbers do not carry are folded in, after left and right are settled along the
track (:mod:`posekit.estimate._leftright`):

* **facing**: with left and right settled, the labelled left shoulder (and hip) is on the
  right of the picture for a person facing the camera and on the left for one facing away.
  :func:`facing` turns that into a number in [-1, 1] (1: facing the camera, 0: in profile,
  -1: back view). Nose and eyes keep their score facing the camera and in profile and fade
  to 0 as the back turns to the camera (ears are left alone: they are seen from behind).
* **hidden behind the body**: a limb joint inside the torso's outline in the picture whose
  depth (the model's z, once the reading is settled) is behind the torso is not visible;
  its score is multiplied by ``HIDDEN_FACTOR``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HIDDEN_FACTOR", "facing", "visible_scores"]

#: COCO indices of nose and eyes (the points that are on the face only).
FACE = np.array([0, 1, 2])
#: COCO limb joints that the torso can hide.
LIMBS = np.array([7, 8, 9, 10, 13, 14, 15, 16])
#: Score multiplier for a joint hidden behind the torso.
HIDDEN_FACTOR = 0.2
#: Shoulder (hip) width, as a share of the torso length, at which the view counts as fully
#: frontal or fully from behind.
FULL_WIDTH = 0.35
#: Depth (in the model's z units: crop pixels / 256) behind the torso's mean depth beyond
#: which a joint inside the torso outline counts as hidden.
HIDDEN_DEPTH = 0.05


def facing(xy: np.ndarray) -> np.ndarray:
    """How much a body faces the camera, in [-1, 1].

    (…,) in [-1, 1]: 1 facing the camera, -1 back to it, 0 in profile, from COCO keypoints
    (…, 17, 2) whose left/right labels are settled: the signed width of shoulders and hips
    across the body axis, as a share of the torso length (image y points down).
    """
    mid_sh = (xy[..., 5, :] + xy[..., 6, :]) / 2
    mid_hip = (xy[..., 11, :] + xy[..., 12, :]) / 2
    up = mid_sh - mid_hip
    length2 = np.maximum((up**2).sum(-1), 1.0)
    width = 0.0
    for left, right in ((5, 6), (11, 12)):
        across = xy[..., left, :] - xy[..., right, :]
        # facing the camera, the person's left is on the picture's right of "up"
        width = width + (up[..., 0] * across[..., 1] - up[..., 1] * across[..., 0]) / length2
    return np.clip(width / 2 / FULL_WIDTH, -1.0, 1.0)


def _inside(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """(n,) whether each point (n, 2) lies inside the convex quadrilateral (4, 2)."""
    edges = np.roll(quad, -1, axis=0) - quad
    rel = points[:, None, :] - quad[None, :, :]
    cross = edges[None, :, 0] * rel[..., 1] - edges[None, :, 1] * rel[..., 0]
    return (cross >= 0).all(1) | (cross <= 0).all(1)


def visible_scores(xy: np.ndarray, score: np.ndarray, z: np.ndarray | None) -> np.ndarray:
    """The keypoint scores of one track, with facing and hiding folded in.

    Scores (T, 17) of one track with facing and hiding folded in; ``xy`` (T, 17, 2) and
    ``z`` (T, 17) (smaller = nearer; None: no depth) with left/right already settled.
    """
    out = score.copy()
    front = facing(xy)
    out[:, FACE] *= np.clip(1.0 + 2.0 * front, 0.0, 1.0)[:, None]
    if z is None:
        return out
    for t in range(len(xy)):
        quad = xy[t, [5, 6, 12, 11]]
        centre = quad.mean(0)
        inner = centre + 0.9 * (quad - centre)  # the outline less the limbs' own width
        torso_z = z[t, [5, 6, 11, 12]].mean()
        hidden = _inside(xy[t, LIMBS], inner) & (z[t, LIMBS] > torso_z + HIDDEN_DEPTH)
        out[t, LIMBS[hidden]] *= HIDDEN_FACTOR
    return out
