"""From BlazePose's landmark placement to COCO's keypoint placement.

BlazePose and COCO name the same 17 joints but were annotated by different rules, and the
two models place them differently: on the Pose2Sim S01 videos BlazePose puts the hips about
5% of the torso length lower than OpenPose (a COCO-trained model), the shoulders about 4% lower,
the face points 4-6% lower, the elbows and knees 1-3% lower, the wrists and ankles where
OpenPose does. A Kakao-format result promises COCO keypoints, so by default the estimator
moves each joint along the body's axis (from the hip centre to the shoulder centre) by a
fixed share of the person's own torso length: one number per joint pair (left and right
share it, so the correction does not depend on which way the person faces), nothing across
the body.

The numbers are the medians of OpenPose's offsets from BlazePose along that axis, measured on
both Pose2Sim cameras (``scripts/fit_coco_offsets.py`` measures them again and checks them:
fitted on one camera, they bring the other below 5% of the torso; ``docs/estimator.md``
has the figures). They were fitted on that one trial, one person; they correct a convention,
not a person, but a different body or camera angle may want slightly different ones.
``convention="blazepose"`` keeps the model's own placement.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["COCO_ALONG_AXIS", "JOINT_PAIR", "Convention", "body_axis", "fit_along_axis", "to_coco"]

Convention = Literal["coco", "blazepose"]

#: For each COCO-17 joint, its pair: nose, eyes, ears, shoulders, elbows, wrists, hips,
#: knees, ankles (left and right share one offset).
JOINT_PAIR = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8])

#: Per pair, how far COCO places the joint from BlazePose's, along the body axis (towards the
#: head is positive), in torso lengths (hip centre to shoulder centre, BlazePose's).
#: Measured by ``scripts/fit_coco_offsets.py``.
COCO_ALONG_AXIS = np.array([0.057, 0.053, 0.044, 0.038, 0.025, 0.007, 0.048, 0.018, -0.008])


def body_axis(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The body axis of COCO-17 keypoints: direction and length.

    Unit vectors from the hip centre to the shoulder centre ``(..., 2)`` and those
    distances ``(...)`` in pixels, from COCO-17 keypoints ``(..., 17, 2)`` (zero where the
    distance is zero or not finite).
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    up = (kp[..., 5, :] + kp[..., 6, :]) / 2 - (kp[..., 11, :] + kp[..., 12, :]) / 2
    length = np.hypot(up[..., 0], up[..., 1])
    ok = np.isfinite(length) & (length > 1e-6)
    safe = np.where(ok, length, 1.0)
    return np.where(ok[..., None], up / safe[..., None], 0.0), np.where(ok, length, 0.0)


def to_coco(keypoints: np.ndarray, offsets: np.ndarray = COCO_ALONG_AXIS) -> np.ndarray:
    """Keypoints moved from BlazePose's placement to COCO's.

    COCO-17 ``keypoints`` ``(..., 17, 2)`` in BlazePose's placement moved to COCO's: each
    joint by ``offsets[pair]`` torso lengths along the body axis (a new array; a person with
    no torso length is returned as is).
    """
    axis, length = body_axis(keypoints)
    along = np.asarray(offsets, dtype=np.float64)[JOINT_PAIR]  # (17,)
    shift = along[:, None] * (length[..., None] * axis)[..., None, :]
    return np.asarray(keypoints, dtype=np.float64) + shift


def fit_along_axis(ours: np.ndarray, reference: np.ndarray, use: np.ndarray) -> np.ndarray:
    """The COCO placement offsets fitted on paired keypoints.

    The offsets (one per pair, see :data:`JOINT_PAIR`) that move ``ours`` (n, 17, 2),
    BlazePose placement, to ``reference`` (n, 17, 2): per pair, the median of the reference's
    offset along our body axis, in our torso lengths, over the joints marked in ``use``
    (n, 17) (e.g. those the reference scored above 0.5).
    """
    axis, length = body_axis(ours)
    ok = use & (length > 0)[:, None]
    along = ((reference - ours) * axis[:, None, :]).sum(-1) / np.where(length > 0, length, 1.0)[
        :, None
    ]
    out = np.zeros(JOINT_PAIR.max() + 1)
    for pair in range(len(out)):
        sel = ok & (JOINT_PAIR == pair)[None, :]
        out[pair] = float(np.median(along[sel])) if sel.any() else 0.0
    return out
