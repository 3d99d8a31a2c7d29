"""Left/right consistency along a track, decided without assuming which way the person faces.

The landmark model reads a person as facing the camera or facing away, and labels left and
right to match. Sometimes it reads the wrong way for a run of frames, and then every left joint
carries its right twin's label. From one picture the two readings cannot be told apart by the
model's own outputs: a front view read as a back view is the depth-mirror of the true pose, so
the joint the model calls "left shoulder" is still the nearer one, the face points keep
visibility ~1 (the model puts them on the back of the head from behind), and the detector's
face score is as high from behind as from the front (all measured on Pose2Sim S01, see
``docs/estimator.md``). Views differ; what holds in every view is *continuity*: a real turn is
continuous (the joints move past each other over several frames), while a change of reading is
a jump of every paired joint to its twin's place from one frame to the next.

So along each track we choose, per frame, "as the model said" or "swapped" so that the track is
as continuous as possible (Viterbi over the two states); among equally continuous readings the
one that keeps more frames as the model read them wins (a small price per swapped frame). A run
of frames is swapped back only when entering and leaving it are jumps and it is the shorter
reading. :func:`left_right_runs` lists the decision per run, with the jumps that justify it.

The model also exchanges the legs alone (knees and ankles) for a frame or two, mostly while
one leg passes the other in profile; the arms and hips keep their sides, so the whole-body pass
leaves it. :func:`fix_leg_swaps` runs the same choice on the knees and ankles only, after the
whole-body pass (checked by eye on the Sports2D walker, see ``docs/estimator.md``).

The previous rule ("a frame whose nose the model puts behind the shoulders while it sees the
face is mirrored") is :func:`fix_left_right` with ``facing_weight=1``; it was fitted on front
views and flips every true back view, and is kept for comparison (``left_right="nose-depth"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from posekit.schema import MIRROR

__all__ = [
    "LEG_JOINTS",
    "LEG_MIRROR",
    "MIRROR",
    "fix_left_right",
    "fix_leg_swaps",
    "left_right_runs",
    "mirror_moves",
]

#: COCO knees and ankles: the joints a leg swap exchanges.
LEG_JOINTS = np.array([13, 14, 15, 16])
#: COCO-17 index of each joint's twin when only the legs (knees, ankles) change sides.
LEG_MIRROR = np.arange(17)
LEG_MIRROR[LEG_JOINTS] = [14, 13, 16, 15]
LEG_MIRROR.setflags(write=False)


def _size(xy: np.ndarray) -> np.ndarray:
    box = np.concatenate([xy.min(1), xy.max(1)], axis=1)
    return np.maximum(np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]), 1.0)


def mirror_moves(
    xy: np.ndarray, mirror: np.ndarray = MIRROR, joints: np.ndarray | None = None
) -> np.ndarray:
    """The frame-to-frame joint moves of a track, as read and swapped.

    (T-1, 2, 2) mean joint displacement from frame t-1 to t, in body sizes (box diagonal at
    t), for each pair of readings [state at t-1, state at t] (0: as read, 1: swapped by
    ``mirror``), over ``joints`` (default all 17).
    """
    states = np.stack([xy, xy[:, mirror]], axis=1)  # (T, 2, 17, 2)
    if joints is not None:
        states = states[:, :, joints]
    diff = states[1:, None, :] - states[:-1, :, None]  # (T-1, 2 prev, 2 now, J, 2)
    return np.linalg.norm(diff, axis=-1).mean(-1) / _size(xy)[1:, None, None]


def fix_left_right(
    xy: np.ndarray,
    frames: np.ndarray,
    *,
    facing_away: np.ndarray | None = None,
    facing_weight: float = 0.0,
    swap_cost: float = 0.001,
    max_gap: int = 5,
    mirror: np.ndarray = MIRROR,
    joints: np.ndarray | None = None,
) -> np.ndarray:
    """Which frames of a track to mirror back.

    Parameters
    ----------
    xy
        (T, 17, 2) COCO keypoints of one track, pixels.
    frames
        (T,) increasing frame numbers. A gap longer than ``max_gap`` frames starts a new,
        independent stretch.
    facing_away, facing_weight
        The previous rule, kept for comparison only (default off): the model's per-frame
        "nose behind the shoulders" reading (``Pose39.facing_away``), counted as evidence of a
        mirrored frame with this weight. It assumes front views; from behind it is wrong.
    swap_cost
        Price of swapping one frame, in mean joint displacement per body size: between two
        equally continuous readings, the one that keeps more frames as the model read them.
    mirror, joints
        What a swap exchanges (default: every left joint with its right twin) and the joints
        whose moves are compared (default: all); :func:`fix_leg_swaps` uses the legs.

    Returns
    -------
    numpy.ndarray
        (T,) bool, True where the frame's left and right joints should be exchanged.
    """
    n = len(xy)
    out = np.zeros(n, dtype=bool)
    if n < 1:
        return out
    starts = np.flatnonzero(np.diff(frames) > max_gap) + 1
    away = np.zeros(n) if facing_away is None else np.asarray(facing_away, dtype=float)
    unary = np.stack(
        [
            facing_weight * np.clip(away, 0, None),
            swap_cost + facing_weight * np.clip(-away, 0, None),
        ],
        axis=1,
    )  # (T, 2): price of "as the model said" and of "swapped"
    moves = mirror_moves(xy, mirror, joints) if n > 1 else np.zeros((0, 2, 2))
    for seg in np.split(np.arange(n), starts):
        if len(seg) < 1:
            continue
        cost = unary[seg[0]].copy()
        back = np.zeros((len(seg), 2), dtype=np.int8)
        for k in range(1, len(seg)):
            t = seg[k]
            total = cost[:, None] + moves[t - 1]
            back[k] = np.argmin(total, axis=0)
            cost = total.min(axis=0) + unary[t]
        state = int(np.argmin(cost))
        for k in range(len(seg) - 1, -1, -1):
            out[seg[k]] = bool(state)
            state = int(back[k, state])
    return out


def fix_leg_swaps(xy: np.ndarray, frames: np.ndarray, *, swap_cost: float = 0.001) -> np.ndarray:
    """The frames of a track whose legs' left/right labels must be exchanged.

    Which frames of a track (whole-body left/right already settled) to give back their
    legs: (T,) bool, True where the knees' and ankles' labels should be exchanged.

    The landmark model sometimes exchanges the legs alone for a frame or two, mostly while one
    leg passes the other (a walker in profile): the arms and hips keep their sides, so the
    whole-body pass (:func:`fix_left_right`) leaves it. It is found the same way, by
    continuity, on the knees and ankles only: a real crossing is continuous (the legs move past
    each other over several frames), a swap of labels is a jump of both knees and ankles to
    their twins' places; ``swap_cost`` is the same small price per swapped frame.
    """
    return fix_left_right(xy, frames, swap_cost=swap_cost, mirror=LEG_MIRROR, joints=LEG_JOINTS)


def left_right_runs(
    object_id: int,
    xy: np.ndarray,
    frames: np.ndarray,
    swap: np.ndarray,
    *,
    max_gap: int = 5,
    part: str = "body",
) -> list[dict[str, Any]]:
    """The left/right decision on one track, one row per run of frames.

    The decision of :func:`fix_left_right` on one track, one row per run of frames kept as
    read or swapped: ``object_id``, ``first_frame``, ``last_frame``, ``frames``,
    ``mirrored`` (swapped back), ``jump_in`` / ``jump_out`` (mean joint move, in body sizes,
    from the frame before / to the frame after, as the model read them: a change of reading
    shows as a jump of ~0.1 or more), ``as_swapped_in`` / ``as_swapped_out`` (the same moves
    once the run is swapped: small when the swap restores continuity), ``reason`` and ``part``
    (``"body"``: every left/right pair, :func:`fix_left_right`; ``"legs"``: knees and ankles,
    :func:`fix_leg_swaps`, whose moves are then over the legs only, and only its swapped runs
    are listed).
    """
    rows: list[dict[str, Any]] = []
    n = len(xy)
    if n < 1:
        return rows
    legs = part == "legs"
    mirror, joints = (LEG_MIRROR, LEG_JOINTS) if legs else (MIRROR, None)
    moves = mirror_moves(xy, mirror, joints) if n > 1 else np.zeros((0, 2, 2))
    cut = np.flatnonzero((np.diff(swap.astype(int)) != 0) | (np.diff(frames) > max_gap)) + 1
    bounds = np.split(np.arange(n), cut)
    for run in bounds:
        a, b = int(run[0]), int(run[-1])
        s = int(swap[a])
        linked_in = a > 0 and frames[a] - frames[a - 1] <= max_gap
        linked_out = b < n - 1 and frames[b + 1] - frames[b] <= max_gap
        jump_in = float(moves[a - 1, int(swap[a - 1]), 0]) if linked_in else np.nan
        jump_out = float(moves[b, 0, int(swap[b + 1])]) if linked_out else np.nan
        fixed_in = float(moves[a - 1, int(swap[a - 1]), s]) if linked_in else np.nan
        fixed_out = float(moves[b, s, int(swap[b + 1])]) if linked_out else np.nan
        if legs and not s:
            continue
        if legs:
            reason = (
                "legs only: the knees and ankles jump to their twins' places entering/leaving "
                f"this run (move {jump_in:.3f}/{jump_out:.3f} body sizes as read, "
                f"{fixed_in:.3f}/{fixed_out:.3f} swapped); arms and hips keep their sides"
            )
        elif s:
            reason = (
                "the model's labels jump to their mirror image entering/leaving this run "
                f"(move {jump_in:.3f}/{jump_out:.3f} body sizes as read, "
                f"{fixed_in:.3f}/{fixed_out:.3f} swapped); the rest of the track is read "
                "the other way"
            )
        else:
            reason = "kept as the model read it (continuous, or the longer reading)"
        rows.append(
            dict(
                object_id=int(object_id),
                first_frame=int(frames[a]),
                last_frame=int(frames[b]),
                frames=b - a + 1,
                mirrored=bool(s),
                jump_in=jump_in,
                jump_out=jump_out,
                as_swapped_in=fixed_in,
                as_swapped_out=fixed_out,
                reason=reason,
                part=part,
            )
        )
    return rows
