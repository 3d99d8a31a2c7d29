"""Left/right consistency along a track.

The landmark model sometimes mirrors a person: for a frontal view whose face it cannot read
(blurred, turned, backlit) it may decide the person faces away, and swaps every left joint with
its right twin for a run of frames. A real turn is continuous (the joints move past each other
over several frames); a mirror is a jump of every paired joint by the body's width from one
frame to the next. So along each track we choose, per frame, "as the model said" or "swapped"
so that the track is as continuous as possible (Viterbi over the two states), with a small
price per swapped frame so that, between two equally continuous readings, the model's own
answer and the majority orientation win. Continuity alone cannot tell which of two long runs
is the mirrored one, so each frame also carries the model's own 3D reading: the landmark model
outputs depth, and a mirrored frame is one where it sees the face (nose visible) yet puts the
nose behind the shoulders, as for someone facing away.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIRROR", "fix_left_right"]

#: COCO-17 index of each joint's mirror twin.
MIRROR = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])


def fix_left_right(
    xy: np.ndarray,
    frames: np.ndarray,
    *,
    facing_away: np.ndarray | None = None,
    facing_weight: float = 1.0,
    swap_cost: float = 0.001,
    max_gap: int = 5,
) -> np.ndarray:
    """Which frames of a track to mirror back.

    Parameters
    ----------
    xy
        (T, 17, 2) COCO keypoints of one track, pixels.
    frames
        (T,) increasing frame numbers. A gap longer than ``max_gap`` frames starts a new,
        independent stretch.
    facing_away
        (T,) the model's own reading, per frame, of whether the person faces away from the
        camera (nose behind the shoulders, weighted by the nose's visibility; see
        ``Pose39.facing_away``). A mirrored frame is one where the model sees the face yet
        puts it behind the shoulders: keeping such a frame as it is costs
        ``facing_weight * facing_away``, swapping a frame read as facing the camera costs
        ``facing_weight * -facing_away``.
    swap_cost
        Price of swapping one frame, in mean joint displacement per body size.

    Returns
    -------
    numpy.ndarray
        (T,) bool, True where the frame's left and right joints should be exchanged.
    """
    n = len(xy)
    out = np.zeros(n, dtype=bool)
    if n < 1:
        return out
    box = np.concatenate([xy.min(1), xy.max(1)], axis=1)
    size = np.maximum(np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]), 1.0)
    states = np.stack([xy, xy[:, MIRROR]], axis=1)  # (T, 2, 17, 2)
    starts = np.flatnonzero(np.diff(frames) > max_gap) + 1
    away = np.zeros(n) if facing_away is None else np.asarray(facing_away, dtype=float)
    unary = np.stack(
        [
            facing_weight * np.clip(away, 0, None),
            swap_cost + facing_weight * np.clip(-away, 0, None),
        ],
        axis=1,
    )  # (T, 2): price of "as the model said" and of "swapped"
    for seg in np.split(np.arange(n), starts):
        if len(seg) < 1:
            continue
        cost = unary[seg[0]].copy()
        back = np.zeros((len(seg), 2), dtype=np.int8)
        for k in range(1, len(seg)):
            t, p = seg[k], seg[k - 1]
            # move[i, j]: displacement from state i at p to state j at t, in body sizes
            diff = states[t][None, :] - states[p][:, None]
            move = np.linalg.norm(diff, axis=-1).mean(-1) / size[t]
            total = cost[:, None] + move
            back[k] = np.argmin(total, axis=0)
            cost = total.min(axis=0) + unary[t]
        state = int(np.argmin(cost))
        for k in range(len(seg) - 1, -1, -1):
            out[seg[k]] = bool(state)
            state = int(back[k, state])
    return out
