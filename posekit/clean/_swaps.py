"""Repair of swapped left/right joint labels."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from posekit._levels import per_clip
from posekit._tables import to_dense
from posekit.schema import JOINT_INDEX, JOINTS
from posekit.tidy import with_history

__all__ = ["fix_left_right_swaps"]

#: Joint index -> its mirror partner (nose maps to itself).
MIRROR = np.array(
    [
        JOINT_INDEX[j.replace("left", "#").replace("right", "left").replace("#", "right")]
        for j in JOINTS
    ]
)
_GROUPS = {
    "face": ("eye", "ear"),
    "arms": ("shoulder", "elbow", "wrist"),
    "legs": ("hip", "knee", "ankle"),
}


def _group_masks(by: str) -> np.ndarray:
    """(G, 17) bool: the paired joints decided together."""
    paired = MIRROR != np.arange(len(JOINTS))
    if by == "pose":
        return paired[None]
    return np.array([[any(p in j for p in parts) for j in JOINTS] for parts in _GROUPS.values()])


@per_clip
def fix_left_right_swaps(
    kp: pd.DataFrame,
    /,
    *,
    by: Literal["pose", "limb"] = "pose",
    ratio: float = 0.5,
    min_px: float = 2.0,
) -> pd.DataFrame:
    """Swap left/right labels back where a detector evidently exchanged them.

    Frame by frame and person by person, the left/right joints are compared with the same
    person's previous (already repaired) pose: if exchanging every left joint with its right
    partner brings the pose much closer — mean distance below ``ratio`` times the unswapped
    one, and at least ``min_px`` closer — the labels are exchanged (x, y, score and the
    ``filled`` mark).

    Parameters
    ----------
    kp
        A keypoints table with tracked ids.
    by
        ``"pose"``: all pairs are swapped together; ``"limb"``: face (eyes, ears), arms
        (shoulders, elbows, wrists) and legs (hips, knees, ankles) are decided separately —
        detectors often swap only the legs of a person seen from the side.
    ratio
        How much closer the swapped pose must be (0–1; smaller is stricter).
    min_px
        Minimum improvement of the mean distance, px, so that noise on a person seen edge-on
        (left and right nearly on top of each other) never triggers a swap.

    Returns
    -------
    DataFrame
        A new table, same index; the history line counts the repaired (frame, person, group).

    Notes
    -----
    The first frame of each person is the reference: a person whose labels are swapped from
    the very start stays swapped. A person's last seen pose stays the reference across gaps.

    Examples
    --------
    Exchange every left/right label in frame 10 of an arm raise; the repair undoes it:

    >>> import posekit as pk
    >>> from posekit.schema import JOINTS
    >>> kp = pk.synth.generate("arm_raise", duration_s=1, fps=30).result.keypoints()
    >>> mirror = [j.replace("left", "?").replace("right", "left").replace("?", "right")
    ...           for j in JOINTS]
    >>> bad = kp.copy()
    >>> bad.loc[(10, 0, list(JOINTS)), ["x", "y"]] = kp.loc[(10, 0, mirror), ["x", "y"]].to_numpy()
    >>> fixed = pk.clean.fix_left_right_swaps(bad)
    >>> fixed[["x", "y"]].equals(kp[["x", "y"]]), fixed.attrs["history"][-1][-16:]
    (True, '1 swaps repaired')
    """
    if by not in ("pose", "limb"):
        raise ValueError(f"fix_left_right_swaps: by must be 'pose' or 'limb', got {by!r}")
    if not 0 < ratio <= 1:
        raise ValueError(f"fix_left_right_swaps: ratio must be in (0, 1], got {ratio}")
    cols = tuple(c for c in ("x", "y", "score", "filled") if c in kp.columns)
    view = to_dense(kp, cols, layout="series")
    arr = view.shaped().copy()  # (O, 17, C, N)
    n_obj, _, _n_c, n = arr.shape
    groups = _group_masks(by)  # (G, 17)
    ref = np.full((n_obj, len(JOINTS), 2), np.nan)
    n_fixed = 0
    for t in range(n):
        cur = arr[:, :, :, t]  # (O, 17, C) view
        xy = cur[:, :, :2]
        sw = xy[:, MIRROR]
        d_same = np.sqrt(((xy - ref) ** 2).sum(axis=-1))  # (O, 17)
        d_swap = np.sqrt(((sw - ref) ** 2).sum(axis=-1))
        ok = np.isfinite(d_same) & np.isfinite(d_swap)
        cnt = (ok[:, None, :] & groups[None]).sum(axis=-1)  # (O, G)
        s_same = (np.where(ok, d_same, 0.0)[:, None, :] * groups[None]).sum(axis=-1)
        s_swap = (np.where(ok, d_swap, 0.0)[:, None, :] * groups[None]).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            m_same, m_swap = s_same / cnt, s_swap / cnt
        flip = (cnt > 0) & (m_swap < ratio * m_same) & (m_same - m_swap >= min_px)  # (O, G)
        if flip.any():
            joints = (flip[:, :, None] & groups[None]).any(axis=1)  # (O, 17)
            swapped = cur[:, MIRROR]
            cur[:] = np.where(joints[:, :, None], swapped, cur)
            n_fixed += int(flip.sum())
        new = cur[:, :, :2]
        ref = np.where(np.isfinite(new), new, ref)
    arr_flat = arr.reshape(view.series.shape)
    step = f"clean.fix_left_right_swaps(by={by!r}, ratio={ratio}, min_px={min_px}): {n_fixed} swaps repaired"
    out = with_history(view.replace(arr_flat, kp), step, like=kp)
    if "filled" in cols:  # travelled as 0.0/1.0 with its point
        out["filled"] = out["filled"].to_numpy() > 0
    return out
