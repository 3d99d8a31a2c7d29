"""Gait events and cadence from ankle trajectories, without trusting left/right labels.

Estimators often swap the labels of the two legs of a person seen in profile (the far leg is
hidden behind the near one). Everything here is therefore built on quantities that do not
depend on which ankle is called left:

* **steps** are the peaks of the feet's horizontal separation ``|x_left_ankle − x_right_ankle|``
  (both feet on the ground, furthest apart: heel strike of the leading foot);
* **which foot** struck is found by continuity: after a heel strike the leading foot stays
  planted while the other swings, so the foot that struck at step *k* is the one that trails at
  step *k + 1*; the estimator's labels only *name* the two feet, by a vote over the stance
  phases, and the vote's agreement is reported;
* the person must walk **across** the picture: the pelvis travels, or (walking in place) the
  feet still alternate along the image's x axis. A person walking toward or away from the
  camera, squatting or standing gets NaN with a reason.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from posekit._history import logs_history
from posekit._levels import per_clip
from posekit._tables import to_dense
from posekit.errors import GaitWarning
from posekit.metrics._common import fill_gaps
from posekit.tidy import get_fps

__all__ = ["GaitWarning", "cadence", "gait_events"]

Direction = Literal["auto", "right", "left"]


@dataclass
class _Person:
    """One person's steps (strike times, which foot) and the diagnostics."""

    events: list[tuple[str, str, int, float]] = field(default_factory=list)
    strikes: np.ndarray = field(default_factory=lambda: np.zeros(0))  # times (s)
    feet: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # 0 = a, 1 = b
    names: tuple[str, str] = ("left", "right")  # names of foot a and foot b
    direction: str = "unknown"
    frames_used: float = np.nan
    side_agreement: float = np.nan
    travel_legs: float = np.nan
    scale_ratio: float = np.nan
    note: str = ""


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


def _median(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(np.median(a)) if len(a) else np.nan


def _analyse(
    pts: dict[str, np.ndarray],
    present: np.ndarray,
    frames: np.ndarray,
    rate: float,
    direction: Direction,
    min_step_s: float,
    smooth_s: float,
    min_step_length: float,
    rel_prominence: float,
) -> _Person:
    """Steps and diagnostics of one person; ``pts`` holds ``(F, 2)`` arrays per point."""
    out = _Person()
    pelvis, la, ra = pts["mid_hip"], pts["left_ankle"], pts["right_ankle"]
    usable = np.isfinite(pelvis[:, 0]) & np.isfinite(la[:, 0]) & np.isfinite(ra[:, 0])
    n_present = int(present.sum())
    out.frames_used = float(usable.sum() / n_present) if n_present else np.nan
    window = round(smooth_s * rate) | 1
    if usable.sum() < max(5, window, round(2 * min_step_s * rate)):
        missing = [n for n in ("left_ankle", "right_ankle", "mid_hip")
                   if np.isnan(pts[n][:, 0]).all()]  # fmt: skip
        out.note = (
            f"no frame with its {' or '.join(missing)}"
            if missing
            else f"too few frames ({int(usable.sum())}) with both ankles and hips"
        )
        return out
    idx = np.flatnonzero(usable)
    # steps need only the feet: a frame without hips (a dropout) does not hide a strike
    feet = np.isfinite(la[:, 0]) & np.isfinite(ra[:, 0])
    lo, hi = np.flatnonzero(feet)[[0, -1]] + (0, 1)
    # body scale: hip-to-ankle distance, the longer leg of each frame
    legs = [np.hypot(*(pts[f"{s}_ankle"] - pts[f"{s}_hip"]).T) for s in ("left", "right")]
    leg_f = np.fmax(*legs)
    leg = _median(leg_f[usable])
    if not leg > 0:
        out.note = "cannot measure the leg length (hips and ankles coincide)"
        return out
    sign, toward = _direction(out, pts, idx, leg_f, leg, direction)

    sep = fill_gaps(np.abs(la[lo:hi, 0] - ra[lo:hi, 0]))
    if window >= 5 and len(sep) > window:
        sep = savgol_filter(sep, window, 2)
    span = float(np.percentile(sep, 99) - np.percentile(sep, 1))
    prominence = max(rel_prominence * span, min_step_length * leg)
    peaks, _ = find_peaks(
        sep, prominence=prominence, height=min_step_length * leg,
        distance=max(1, round(min_step_s * rate)),
    )  # fmt: skip
    # a strike inside a long gap is a guess of the interpolation: drop it
    near = np.convolve(feet[lo:hi].astype(float), np.ones(5), mode="same") > 0
    peaks = peaks[near[peaks]]
    if toward:
        out.note = (
            "walking toward or away from the camera (the body grows or shrinks "
            f"{out.scale_ratio:.2f}x, the pelvis travels {out.travel_legs:.2f} leg lengths): "
            "steps cannot be timed from a front or back view"
        )
        return out
    if len(peaks) < 2:
        what = (
            "the pelvis hardly travels and the feet do not alternate along the picture"
            if out.travel_legs < 1.0
            else "the feet do not alternate along the picture"
        )
        out.note = (
            f"not walking across the picture: {what} (found {len(peaks)} separation peaks "
            f"of at least {min_step_length:g} leg lengths)"
        )
        return out
    pos = _refine(sep, peaks)
    out.strikes = (frames[lo] + pos) / rate
    # which foot leads at each strike: ahead along the walking direction, or (direction
    # unknown) the one that stays planted afterwards
    xa, xb = la[lo:hi, 0], ra[lo:hi, 0]
    lead_is_a = _leading_foot(xa, xb, peaks, len(sep), sign)
    # foot identity by alternation; a break in the rhythm (a missed step) restarts it
    steps = np.diff(out.strikes)
    typical = float(np.median(steps))
    feet = np.zeros(len(peaks), dtype=np.int64)
    for k in range(1, len(peaks)):
        feet[k] = 1 - feet[k - 1] if steps[k - 1] < 1.6 * typical else feet[k - 1]
    frac = _foot_a_is_left(xa, xb, sep, peaks, feet, lead_is_a, sign, leg)
    out.side_agreement = float(max(frac, 1 - frac))
    out.names = ("left", "right") if frac >= 0.5 else ("right", "left")
    out.feet = feet
    names = out.names
    for k, p in enumerate(peaks):
        out.events.append((names[feet[k]], "heel_strike", int(frames[lo + p]),
                           float(out.strikes[k])))  # fmt: skip
    if sign != 0:
        _toe_offs(out, xa, xb, pelvis[lo:hi, 0], peaks, lead_is_a, sign, frames, lo, rate)
    st = steps[steps < 1.6 * typical]
    cv = float(np.std(st, ddof=1) / np.mean(st)) if len(st) > 1 else 0.0
    notes = []
    if cv > 0.2:
        notes.append(
            f"irregular steps (step time CV {100 * cv:.0f}%): not steady walking, or steps "
            "missed or invented; check the events"
        )
    if out.side_agreement < 0.8:
        notes.append(
            f"left/right names uncertain: the estimator's labels follow the feet in only "
            f"{100 * out.side_agreement:.0f}% of stance frames (steps are timed without them)"
        )
    out.note = "; ".join(notes)
    return out


def _direction(
    out: _Person,
    pts: dict[str, np.ndarray],
    idx: np.ndarray,
    leg_f: np.ndarray,
    leg: float,
    direction: Direction,
) -> tuple[float, bool]:
    """The walking direction's sign (+1 right, -1 left, 0 unknown), and whether seen end-on.

    End-on: walking toward or away from the camera.

    Sets ``out``'s direction, scale ratio and travel (in leg lengths).
    """
    third = max(1, len(idx) // 3)
    first, last = _median(leg_f[idx[:third]]), _median(leg_f[idx[-third:]])
    out.scale_ratio = float(max(first, last) / min(first, last))
    t_used = idx.astype(np.float64)
    slope = np.polyfit(t_used, pts["mid_hip"][idx, 0], 1)[0]
    travel = slope * (idx[-1] - idx[0])
    out.travel_legs = float(abs(travel) / leg)
    if direction != "auto":
        sign = 1.0 if direction == "right" else -1.0
        out.direction = direction
    elif out.travel_legs >= 1.0:
        sign = float(np.sign(travel))
        out.direction = "right" if sign > 0 else "left"
    else:
        # walking in place (treadmill): the nose points the way the person faces
        lead = _median(pts["nose"][:, 0] - pts["mid_shoulder"][:, 0])
        sign = float(np.sign(lead)) if np.isfinite(lead) and abs(lead) > 0.05 * leg else 0.0
        out.direction = "in place"
    toward = out.scale_ratio >= 1.3 and out.travel_legs < 1.0
    if toward:
        out.direction = "toward or away from the camera"
    return sign, toward


def _leading_foot(
    xa: np.ndarray, xb: np.ndarray, peaks: np.ndarray, end: int, sign: float
) -> np.ndarray:
    """Whether foot a leads at each strike.

    Ahead along the walking direction, or (direction unknown) the one that stays planted
    afterwards (until the next strike, or ``end``).
    """
    lead_is_a = np.zeros(len(peaks), dtype=bool)
    bounds = [*peaks.tolist(), end]
    for k, p in enumerate(peaks):
        if sign != 0:
            lead_is_a[k] = (xa[p] - xb[p]) * sign > 0
        else:
            seg = slice(p, bounds[k + 1])
            da = _median(np.fmin(np.abs(xa[seg] - xa[p]), np.abs(xb[seg] - xa[p])))
            db = _median(np.fmin(np.abs(xa[seg] - xb[p]), np.abs(xb[seg] - xb[p])))
            lead_is_a[k] = da <= db
    return lead_is_a


def _foot_a_is_left(
    xa: np.ndarray,
    xb: np.ndarray,
    sep: np.ndarray,
    peaks: np.ndarray,
    feet: np.ndarray,
    lead_is_a: np.ndarray,
    sign: float,
    leg: float,
) -> float:
    """The share of stance frames whose labels call foot a the left one (0.5 without votes).

    The foot that struck at k is planted until k + 1. Walking across, it is the front foot
    until the swinging foot passes it (the separation's minimum), then the back foot: an
    order, which holds even when the stance foot slides (a treadmill, a slow synthetic
    walker). Direction unknown: the label closest to where it struck. Votes come from the
    frames where the feet are clearly apart.
    """
    votes_a_left = votes = 0
    for k, p in enumerate(peaks[:-1]):
        q = peaks[k + 1]
        seg = slice(p, q)
        ka, kb = xa[seg], xb[seg]
        if sign != 0:
            cross = int(np.argmin(sep[seg]))
            front_is_a = (ka - kb) * sign > 0
            label_left = front_is_a.copy()  # planted foot called left
            label_left[cross:] = ~front_is_a[cross:]
        else:
            planted = xa[p] if lead_is_a[k] else xb[p]
            label_left = np.abs(ka - planted) < np.abs(kb - planted)
        clear = np.isfinite(ka) & np.isfinite(kb) & (np.abs(ka - kb) > 0.15 * leg)
        is_a = feet[k] == 0
        votes_a_left += int(np.sum(clear & (label_left == is_a)))
        votes += int(clear.sum())
    return votes_a_left / votes if votes else 0.5


def _toe_offs(
    out: _Person,
    xa: np.ndarray,
    xb: np.ndarray,
    pelvis_x: np.ndarray,
    peaks: np.ndarray,
    lead_is_a: np.ndarray,
    sign: float,
    frames: np.ndarray,
    lo: int,
    rate: float,
) -> None:
    """Add the swinging foot's toe-offs to ``out.events``.

    A toe-off is where the swinging foot is furthest behind the pelvis (Zeni et al.), between
    two strikes.
    """
    for k, p in enumerate(peaks[:-1]):
        q = peaks[k + 1]
        planted = xa[p] if lead_is_a[k] else xb[p]
        seg = slice(p, q + 1)
        ka, kb = xa[seg], xb[seg]
        swing = np.where(np.abs(ka - planted) >= np.abs(kb - planted), ka, kb)
        rel = fill_gaps((swing - pelvis_x[seg]) * -sign)
        if len(rel) < 3 or np.isnan(rel).all():
            continue
        m = int(np.argmax(rel))
        if m in (0, len(rel) - 1):
            continue  # no turning point between the strikes
        t = (frames[lo] + p + _refine(rel, np.array([m]))[0]) / rate
        foot = out.names[1 - out.feet[k]]
        out.events.append((foot, "toe_off", int(frames[lo + p + m]), float(t)))


def _people(
    kp: pd.DataFrame,
    fps: float | None,
    object_id: int | None,
    direction: Direction,
    min_step_s: float,
    smooth_s: float,
    min_step_length: float,
    rel_prominence: float,
) -> tuple[float, dict[int, _Person]]:
    rate = get_fps(kp, fps)
    if direction not in ("auto", "right", "left"):
        raise ValueError(f"direction must be 'auto', 'right' or 'left', got {direction!r}")
    dense = to_dense(kp, ("x", "y"), contiguous=True, layout="columns")
    dense.require(["left_ankle", "right_ankle", "mid_hip"], "gait_events")
    names = ["mid_hip", "left_ankle", "right_ankle", "left_hip", "right_hip", "mid_shoulder"]
    pts = {n: dense.point(n) for n in names}
    pts["nose"] = (
        dense.point("nose") if dense.has_joint[0] else np.full_like(pts["mid_hip"], np.nan)
    )
    ids = dense.object_ids if object_id is None else np.array([object_id])
    people = {}
    for oid in ids:
        hit = np.flatnonzero(dense.object_ids == oid)
        if not len(hit):
            raise ValueError(
                f"gait_events: object_id {oid} not in the table; it has {dense.object_ids.tolist()}"
            )
        o = hit[0]
        one = {n: v[:, o] for n, v in pts.items()}
        people[int(oid)] = _analyse(one, dense.present[:, o], dense.frames, rate, direction,
                                    min_step_s, smooth_s, min_step_length, rel_prominence)  # fmt: skip
    return rate, people


@logs_history
@per_clip
def gait_events(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    object_id: int | None = None,
    direction: Direction = "auto",
    min_step_s: float = 0.25,
    smooth_s: float = 0.2,
    min_step_length: float = 0.25,
    rel_prominence: float = 0.3,
) -> pd.DataFrame:
    """Heel strikes and toe-offs of each foot of people walking across the picture.

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
        The shortest plausible step (s): two heel strikes are at least this far apart.
    smooth_s
        Length (s) of the Savitzky–Golay smoothing of the feet's separation before peak
        finding (0 = none).
    min_step_length
        The smallest step counted, as a fraction of the leg length (hip to ankle): a peak of
        the feet's separation must be at least this high and this prominent.
    rel_prominence
        A peak must also stand out by this fraction of the separation's range.

    Returns
    -------
    DataFrame
        One row per event: ``object_id``, ``side`` (left/right), ``event`` (heel_strike/toe_off),
        ``frame`` (nearest frame), ``time`` (s, refined to a fraction of a frame), sorted by
        object and time. People who are not walking across the picture have no rows;
        :func:`cadence` says why.

    Notes
    -----
    A heel strike is a peak of ``|x_left_ankle − x_right_ankle|``: the feet are furthest apart
    at initial contact of the leading foot. The foot that struck is the one ahead along the
    walking direction; it stays planted through the next step and trails at the next strike,
    so feet alternate. Only the *names* left/right come from the estimator, by a vote over
    stance frames (``cadence(...)["side_agreement"]``). Toe-off is where the swinging foot is
    furthest behind the pelvis (Zeni, Richards & Higginson 2008, Gait & Posture 27(4)).

    Examples
    --------
    Two steps per second: the heel strikes are 0.5 s apart, the feet alternating:

    >>> import posekit as pk
    >>> syn = pk.synth.generate("walk", duration_s=4, fps=30, rate_hz=2.0, seed=0)
    >>> events = pk.metrics.gait_events(syn.result.keypoints())
    >>> strikes = events[events["event"] == "heel_strike"]
    >>> strikes["time"].diff().dropna().round(3).unique().tolist()
    [0.5]
    >>> strikes["side"].tolist()[:4]
    ['right', 'left', 'right', 'left']
    """
    _, people = _people(kp, fps, object_id, direction, min_step_s, smooth_s, min_step_length,
                        rel_prominence)  # fmt: skip
    rows = [(oid, *e) for oid, p in people.items() for e in p.events]
    out = pd.DataFrame(rows, columns=["object_id", "side", "event", "frame", "time"])
    out = out.sort_values(["object_id", "time"], kind="stable").reset_index(drop=True)
    out.attrs["units"] = {"frame": "frame", "time": "s"}  # the other columns name things
    return out


_COLUMNS = ["n_steps", "cadence_spm", "step_time_s", "step_time_sd_s", "step_time_cv",
            "left_step_time_s", "right_step_time_s", "step_asymmetry_pct", "stride_time_s",
            "direction", "frames_used", "side_agreement", "note"]  # fmt: skip
#: The unit of each number column of :func:`cadence` (``direction`` and ``note`` are words).
_UNITS = {"n_steps": "1", "cadence_spm": "steps/min", "step_time_s": "s", "step_time_sd_s": "s",
          "step_time_cv": "1", "left_step_time_s": "s", "right_step_time_s": "s",
          "step_asymmetry_pct": "%", "stride_time_s": "s", "frames_used": "frame",
          "side_agreement": "1"}  # fmt: skip


def _summary(p: _Person) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(_COLUMNS, np.nan)
    row.update(n_steps=len(p.strikes), direction=p.direction, frames_used=p.frames_used,
               side_agreement=p.side_agreement, note=p.note)  # fmt: skip
    if len(p.strikes) < 2:
        return row
    steps = np.diff(p.strikes)
    typical = float(np.median(steps))
    ok = steps < 1.6 * typical  # longer intervals hide a missed step: not a step time
    alternate = p.feet[1:] != p.feet[:-1]
    st = steps[ok]
    # the median: one step invented or hidden by an occlusion must not move the cadence
    row["step_time_s"] = float(np.median(st))
    row["cadence_spm"] = 60.0 / float(np.median(st))
    if len(st) > 1:
        sd = float(np.std(st, ddof=1))
        row["step_time_sd_s"] = sd
        row["step_time_cv"] = sd / float(np.mean(st))
    side_means = []
    for foot, name in enumerate(p.names):
        into = steps[ok & alternate & (p.feet[1:] == foot)]
        side_means.append(float(np.mean(into)) if len(into) else np.nan)
        row[f"{name}_step_time_s"] = side_means[-1]
    a, b = side_means
    row["step_asymmetry_pct"] = 100.0 * abs(a - b) / (0.5 * (a + b))
    strides = [np.diff(p.strikes[p.feet == f]) for f in (0, 1)]
    allstr = np.concatenate(strides)
    allstr = allstr[allstr < 1.6 * 2 * typical]
    row["stride_time_s"] = float(np.mean(allstr)) if len(allstr) else np.nan
    return row


@logs_history
@per_clip
def cadence(
    kp: pd.DataFrame,
    /,
    *,
    fps: float | None = None,
    object_id: int | None = None,
    direction: Direction = "auto",
    min_step_s: float = 0.25,
    smooth_s: float = 0.2,
    min_step_length: float = 0.25,
) -> pd.DataFrame:
    """Cadence (steps per minute), step times and their diagnostics per person.

    See :func:`gait_events` for how steps are found and for the parameters. A person who is
    not walking across the picture (standing, squatting, walking toward or away from the
    camera) gets NaN figures and a ``note`` saying why, and a :class:`GaitWarning` is issued.

    Parameters
    ----------
    kp
        A keypoints table of people walking roughly across the picture (a side view).
    fps
        Frame rate (Hz); default ``kp.attrs["fps"]``.
    object_id
        Only this person; default everyone.
    direction
        Which way the person walks in the picture; ``"auto"`` as in :func:`gait_events`.
    min_step_s
        The shortest plausible step in seconds.
    smooth_s
        Length (s) of the smoothing of the feet's separation (0 = none).
    min_step_length
        The smallest step counted, as a fraction of the leg length (hip to ankle).

    Returns
    -------
    DataFrame
        Indexed by object_id: ``n_steps`` (heel strikes), ``cadence_spm`` (60 / median step
        time), ``step_time_s`` (median time between consecutive heel strikes),
        ``step_time_sd_s``, ``step_time_cv`` (sd / mean: 0.02–0.05 is usual for steady
        walking; above 0.2 the ``note`` says the steps are irregular), ``left_step_time_s`` / ``right_step_time_s`` (mean time from the other
        foot's heel strike to this foot's), ``step_asymmetry_pct`` (100 |L − R| / mean(L, R),
        independent of the names), ``stride_time_s`` (same foot to same foot), ``direction``
        (``"left"``, ``"right"``, ``"in place"``, ``"toward or away from the camera"``),
        ``frames_used`` (share of the person's frames with both ankles and hips),
        ``side_agreement`` (share of stance frames where the estimator's left/right labels
        agree with the feet followed by continuity: 1 = always, 0.5 = no better than chance)
        and ``note`` (why a figure is NaN or doubtful; empty when all is well). Intervals
        longer than 1.6 × the median step time (a missed step, a gap) are not counted.

    Examples
    --------
    >>> import posekit as pk
    >>> syn = pk.synth.generate("walk", duration_s=20, fps=30, seed=0)
    >>> spm = pk.metrics.cadence(syn.result.keypoints())["cadence_spm"].iloc[0]
    >>> bool(abs(spm / syn.params["cadence_spm"] - 1) < 0.02)
    True
    """
    _, people = _people(kp, fps, object_id, direction, min_step_s, smooth_s, min_step_length,
                        0.3)  # fmt: skip
    rows = {oid: _summary(p) for oid, p in people.items()}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=_COLUMNS)
    out.index.name = "object_id"
    out["n_steps"] = out["n_steps"].astype(np.int64)
    for c in _COLUMNS:
        if c not in ("n_steps", "direction", "note"):
            out[c] = out[c].astype(np.float64)
    out["direction"] = out["direction"].astype(str)
    out["note"] = out["note"].astype(str)
    out.attrs["units"] = _UNITS
    for oid, p in people.items():
        if p.note:
            warnings.warn(f"cadence: object_id {oid}: {p.note}", GaitWarning, stacklevel=2)
    return out
