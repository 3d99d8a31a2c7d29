"""Gait events and cadence from ankle trajectories (a person walking in profile)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from posekit._points import dense_xy
from posekit.metrics._common import fill_gaps
from posekit.tidy import get_fps, with_history

__all__ = ["cadence", "gait_events"]

Direction = Literal["auto", "right", "left"]


def _walk_direction(
    pelvis_x: np.ndarray, nose_x: np.ndarray, shoulder_x: np.ndarray, torso: float
) -> float:
    ok = np.flatnonzero(np.isfinite(pelvis_x))
    if len(ok) >= 2 and abs(pelvis_x[ok[-1]] - pelvis_x[ok[0]]) > torso:
        return float(np.sign(pelvis_x[ok[-1]] - pelvis_x[ok[0]]))
    # walking in place (treadmill): the nose points the way the person faces
    lead = np.nanmedian(nose_x - shoulder_x) if np.isfinite(nose_x - shoulder_x).any() else np.nan
    if not np.isfinite(lead) or lead == 0:
        raise ValueError(
            "gait_events: cannot tell the walking direction (the pelvis does not travel and the "
            "nose is missing); pass direction='right' or 'left'"
        )
    return float(np.sign(lead))


def _refine(signal: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Sub-frame peak positions by a parabola through each peak and its neighbours."""
    pos = peaks.astype(np.float64)
    inner = (peaks > 0) & (peaks < len(signal) - 1)
    p = peaks[inner]
    a, b, c = signal[p - 1], signal[p], signal[p + 1]
    den = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(den != 0, 0.5 * (a - c) / den, 0.0)
    pos[inner] += np.clip(off, -0.5, 0.5)
    return pos


def gait_events(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    object_id: int | None = None,
    direction: Direction = "auto",
    min_step_s: float = 0.25,
    smooth_s: float = 0.2,
    rel_prominence: float = 0.3,
) -> pd.DataFrame:
    """Heel strikes and toe-offs of each foot, from ankle positions relative to the pelvis.

    Parameters
    ----------
    kp
        A keypoints table of people walking roughly across the picture (a side view).
    fps
        Frame rate; default ``kp.attrs["fps"]``.
    object_id
        Only this person; default everyone.
    direction
        Which way the person walks in the picture. ``"auto"``: the way the pelvis travels, or,
        if it does not (a treadmill), the way the nose points.
    min_step_s
        The shortest plausible step; one foot's events are at least two steps apart.
    smooth_s
        Length (s) of the Savitzky–Golay smoothing applied to the ankle signals before peak
        finding (0 = none).
    rel_prominence
        An event's peak must stand out by this fraction of the signal's range.

    Returns
    -------
    DataFrame
        One row per event: ``object_id``, ``side`` (left/right), ``event`` (heel_strike/toe_off),
        ``frame`` (nearest frame), ``time`` (s, refined to a fraction of a frame), sorted by
        object and time.

    Notes
    -----
    Zeni, Richards & Higginson (2008), Gait & Posture 27(4): with the ankle's horizontal
    position relative to the pelvis (mid_hip) along the walking direction, heel strike is where
    the foot is furthest in front, toe-off where it is furthest behind.
    """
    rate = get_fps(kp, fps)
    if direction not in ("auto", "right", "left"):
        raise ValueError(f"direction must be 'auto', 'right' or 'left', got {direction!r}")
    dense = dense_xy(kp, contiguous=True)
    dense.require(["left_ankle", "right_ankle", "mid_hip"], "gait_events")
    pelvis = dense.point("mid_hip")[..., 0]
    ankles = {s: dense.point(f"{s}_ankle")[..., 0] for s in ("left", "right")}
    nose = dense.point("nose")[..., 0] if dense.has_joint[0] else np.full_like(pelvis, np.nan)
    shoulder = dense.point("mid_shoulder")
    torso_vec = shoulder - dense.point("mid_hip")
    torso = np.hypot(torso_vec[..., 0], torso_vec[..., 1])
    ids = dense.object_ids if object_id is None else np.array([object_id])
    rows = []
    window = round(smooth_s * rate) | 1
    for oid in ids:
        hit = np.flatnonzero(dense.object_ids == oid)
        if not len(hit):
            raise ValueError(
                f"gait_events: object_id {oid} not in the table; it has {dense.object_ids.tolist()}"
            )
        o = hit[0]
        if direction == "auto":
            tl = np.nanmedian(torso[:, o]) if np.isfinite(torso[:, o]).any() else 0.0
            sign = _walk_direction(pelvis[:, o], nose[:, o], shoulder[:, o, 0], tl)
        else:
            sign = 1.0 if direction == "right" else -1.0
        valid = np.flatnonzero(np.isfinite(pelvis[:, o]))
        if len(valid) < 3:
            continue
        lo, hi = valid[0], valid[-1] + 1
        for side, ax in ankles.items():
            rel = (ax[lo:hi, o] - pelvis[lo:hi, o]) * sign
            if np.isnan(rel).all():
                raise ValueError(
                    f"gait_events: object_id {oid} has no frame with its {side} ankle and both hips"
                )
            sig = fill_gaps(rel)
            if window >= 5 and len(sig) > window:
                sig = savgol_filter(sig, window, 2)
            span = np.percentile(sig, 99) - np.percentile(sig, 1)
            if span <= 0:
                continue
            for event, s in (("heel_strike", sig), ("toe_off", -sig)):
                peaks, _ = find_peaks(
                    s, prominence=rel_prominence * span, distance=max(1, int(2 * min_step_s * rate))
                )
                pos = _refine(s, peaks)
                for p, q in zip(peaks, pos, strict=True):
                    frame = int(dense.frames[lo + p])
                    t = (dense.frames[lo] + q) / rate
                    rows.append((int(oid), side, event, frame, float(t)))
    out = pd.DataFrame(rows, columns=["object_id", "side", "event", "frame", "time"])
    out = out.sort_values(["object_id", "time"], kind="stable").reset_index(drop=True)
    return with_history(out, f"gait_events(direction={direction!r})", like=kp)


def cadence(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    object_id: int | None = None,
    direction: Direction = "auto",
    min_step_s: float = 0.25,
    smooth_s: float = 0.2,
) -> pd.DataFrame:
    """Cadence (steps per minute) and step times per person, from :func:`gait_events`.

    Returns
    -------
    DataFrame
        Indexed by object_id: ``n_steps`` (heel strikes), ``cadence_spm`` (60 / mean step time),
        ``step_time_s`` (mean time between consecutive heel strikes of either foot),
        ``step_time_sd_s``, ``left_step_time_s`` / ``right_step_time_s`` (mean time from the
        other foot's heel strike to this foot's), ``stride_time_s`` (mean time between heel
        strikes of the same foot).

    Examples
    --------
    >>> import posekit as pk
    >>> syn = pk.synth.generate("walk", duration_s=20, fps=30, seed=0)
    >>> spm = pk.metrics.cadence(syn.result.keypoints())["cadence_spm"].iloc[0]
    >>> bool(abs(spm / syn.params["cadence_spm"] - 1) < 0.02)
    True
    """
    ev = gait_events(kp, fps=fps, object_id=object_id, direction=direction,
                     min_step_s=min_step_s, smooth_s=smooth_s)  # fmt: skip
    ids = sorted(set(ev["object_id"])) if object_id is None else [object_id]
    rows = {}
    for oid in ids:
        hs = ev[(ev["object_id"] == oid) & (ev["event"] == "heel_strike")]
        t = hs["time"].to_numpy()
        sides = hs["side"].to_numpy()
        steps = np.diff(t)
        row: dict[str, float] = {"n_steps": len(t)}
        row["step_time_s"] = float(np.mean(steps)) if len(steps) else np.nan
        row["cadence_spm"] = 60.0 / row["step_time_s"] if len(steps) else np.nan
        row["step_time_sd_s"] = float(np.std(steps, ddof=1)) if len(steps) > 1 else np.nan
        for side in ("left", "right"):
            into = steps[(sides[1:] == side) & (sides[:-1] != side)]
            row[f"{side}_step_time_s"] = float(np.mean(into)) if len(into) else np.nan
        strides = [np.diff(t[sides == s]) for s in ("left", "right")]
        allstr = np.concatenate(strides)
        row["stride_time_s"] = float(np.mean(allstr)) if len(allstr) else np.nan
        rows[oid] = row
    cols = ["n_steps", "cadence_spm", "step_time_s", "step_time_sd_s", "left_step_time_s",
            "right_step_time_s", "stride_time_s"]  # fmt: skip
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out.index.name = "object_id"
    out["n_steps"] = out["n_steps"].astype(np.int64)
    out.attrs = dict(ev.attrs)
    return out
