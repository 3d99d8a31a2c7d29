"""One row per person of a clip with what studies report: the one-call summary."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from posekit._levels import per_clip

#: Angles whose range of motion the summary reports (inner angles, degrees).
SUMMARY_ANGLES: tuple[str, ...] = (
    "left_knee", "right_knee", "left_hip", "right_hip",
    "left_elbow", "right_elbow", "left_shoulder", "right_shoulder",
)  # fmt: skip

#: Cadence and its diagnostics, from :func:`posekit.metrics.cadence`.
GAIT_COLUMNS: tuple[str, ...] = ("n_steps", "cadence_spm", "step_time_cv", "step_asymmetry_pct")


def _try(notes: list[str], what: str, fn, default=np.nan):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except (ValueError, ZeroDivisionError, IndexError) as exc:
        notes.append(f"{what}: {exc}")
        return default


@per_clip
def summarize(
    kp: pd.DataFrame,
    /,
    *,
    min_score: float = 0.3,
    max_gap_frames: int = 5,
    cutoff_hz: float | None = 6.0,
    angles: Sequence[str] = SUMMARY_ANGLES,
    reps_angle: str | None = "left_knee",
    speed_point: str = "mid_hip",
) -> pd.DataFrame:
    """Per-person summary of one clip (or of every clip of a study table).

    The keypoints are cleaned (points below ``min_score`` masked, gaps up to ``max_gap_frames``
    filled) and smoothed (Butterworth ``cutoff_hz``, skipped when None or the clip is too short)
    before anything is measured.

    Parameters
    ----------
    kp
        One clip's keypoints table (with ``attrs["fps"]``), or a study's
        (:meth:`Study.keypoints`: one summary per clip).
    min_score
        Keypoints scored below it are masked before the analysis.
    max_gap_frames
        Gaps of up to this many frames are filled by interpolation.
    cutoff_hz
        Butterworth low-pass cutoff in Hz; None: no smoothing.
    angles
        The joint angles whose range of motion is reported (see
        :func:`posekit.angles.joint_angles`).
    reps_angle
        The angle whose repetitions are counted; None: no count.
    speed_point
        The point whose speed the smoothness figures (``sparc``, ``ldlj``) are computed on.

    Returns
    -------
    DataFrame
        Indexed by ``object_id`` (by the clip keys and ``object_id`` for a study table):
        ``frames`` (frames with the person), ``detection_rate`` (of the clip's frames),
        ``mean_score``, ``<angle>_rom_deg`` (range of motion) for each of ``angles``,
        ``knee_rom_symmetry_pct`` (Robinson's index of the left and right knee range of motion),
        ``reps`` and ``rep_rate_per_min`` (of ``reps_angle``), ``n_steps``, ``cadence_spm``,
        ``step_time_cv`` and ``step_asymmetry_pct`` (gait; NaN with the reason in ``notes``
        when the person does not walk across the picture), ``sparc`` and ``ldlj`` of the
        speed of ``speed_point``, and ``notes``: why a figure is NaN.

    Examples
    --------
    A synthetic walker (two people) of 4 seconds, steps of 0.5 s (120 per minute):

    >>> import posekit as pk
    >>> from posekit.study import summarize
    >>> res = pk.synth.generate("walk", duration_s=4, n_people=2, rate_hz=2.0).result
    >>> table = summarize(res.keypoints(), angles=["left_knee", "right_knee"])
    >>> table.index.tolist(), table["frames"].tolist(), table["detection_rate"].tolist()
    ([0, 1], [120, 120], [1.0, 1.0])
    >>> table["cadence_spm"].round().tolist()
    [120.0, 120.0]
    """
    from posekit import angles as pa
    from posekit import clean, metrics, smooth
    from posekit.kinematics import trajectory

    if len(kp) == 0:
        return _nobody(kp, angles, reps_angle)
    frames = kp.index.get_level_values("frame")
    n_frames = int(frames.max() - frames.min() + 1) if len(frames) else 0
    ids = np.unique(kp.index.get_level_values("object_id"))
    fps = kp.attrs.get("fps")
    notes: dict[int, list[str]] = {int(o): [] for o in ids}
    base = pd.DataFrame(index=pd.Index(ids, name="object_id"))
    per_person = kp.groupby(level="object_id", observed=True)
    base["frames"] = per_person.apply(lambda g: g.index.get_level_values("frame").nunique())
    base["detection_rate"] = base["frames"] / n_frames if n_frames else np.nan
    if "score" in kp.columns:
        base["mean_score"] = per_person["score"].mean()

    shared: list[str] = []
    work = clean.mask_low_confidence(kp, min_score=min_score)
    work = _try(
        shared, "interpolate", lambda: clean.interpolate(work, max_gap_frames=max_gap_frames), work
    )
    if cutoff_hz is not None and fps:
        work = _try(
            shared, "butterworth", lambda: smooth.butterworth(work, cutoff_hz=cutoff_hz), work
        )
    ang = _try(shared, "angles", lambda: pa.joint_angles(work, names=list(angles)), None)
    if ang is not None:
        rom = metrics.range_of_motion(ang)["range"].unstack("angle")
        for a in angles:
            base[f"{a}_rom_deg"] = rom[a] if a in rom.columns else np.nan
        if {"left_knee_rom_deg", "right_knee_rom_deg"} <= set(base.columns):
            base["knee_rom_symmetry_pct"] = [
                _try(notes[int(o)], "symmetry", lambda o=o: float(metrics.symmetry_index(
                    base.at[o, "left_knee_rom_deg"], base.at[o, "right_knee_rom_deg"])))
                for o in base.index
            ]  # fmt: skip
    if reps_angle is not None and ang is not None and reps_angle in ang.columns and fps:
        reps, rate = [], []
        for o in base.index:
            r = _try(notes[int(o)], "repetitions", lambda o=o: metrics.count_repetitions(
                ang[reps_angle].xs(o, level="object_id"), fps=fps), None)  # fmt: skip
            reps.append(r.count if r is not None else np.nan)
            rate.append(r.rate_per_min if r is not None else np.nan)
        base["reps"], base["rep_rate_per_min"] = reps, rate
    if fps:
        cad = _try(shared, "cadence", lambda: metrics.cadence(work), None)
        for c in GAIT_COLUMNS:
            base[c] = cad[c].reindex(base.index) if cad is not None and c in cad else np.nan
        if cad is not None and "note" in cad:
            for o, note in cad["note"].items():
                if isinstance(note, str) and note and int(o) in notes:
                    notes[int(o)].append(f"cadence: {note}")
        sp, lj = [], []
        for o in base.index:
            spd = _try(
                notes[int(o)],
                "speed",
                lambda o=o: _speed(trajectory(work, joint=speed_point, object_id=int(o)), fps),
                None,
            )
            sp.append(
                _try(notes[int(o)], "sparc", lambda s=spd: metrics.sparc(s, fps=fps))
                if spd is not None
                else np.nan
            )
            lj.append(
                _try(notes[int(o)], "ldlj", lambda s=spd: metrics.ldlj(s, fps=fps))
                if spd is not None
                else np.nan
            )
        base["sparc"], base["ldlj"] = sp, lj
    else:
        shared.append("fps unknown: no repetitions, cadence or smoothness")
    base["notes"] = ["; ".join(shared + notes[int(o)]) for o in base.index]
    base.attrs = {k: v for k, v in kp.attrs.items() if k != "history"}
    base.attrs["history"] = [*kp.attrs.get("history", []), "summarize"]
    return base


def _nobody(kp: pd.DataFrame, angles: Sequence[str], reps_angle: str | None) -> pd.DataFrame:
    """The summary of a clip where nobody was found: no rows, every column."""
    columns = ["frames", "detection_rate", "mean_score", *(f"{a}_rom_deg" for a in angles)]
    if {"left_knee", "right_knee"} <= set(angles):
        columns.append("knee_rom_symmetry_pct")
    if reps_angle is not None:
        columns += ["reps", "rep_rate_per_min"]
    columns += [*GAIT_COLUMNS, "sparc", "ldlj"]
    out = pd.DataFrame(
        {c: pd.Series(dtype=float) for c in columns}, index=pd.Index([], name="object_id")
    )
    out["notes"] = pd.Series(dtype=object)
    out.attrs = {k: v for k, v in kp.attrs.items() if k != "history"}
    out.attrs["history"] = [*kp.attrs.get("history", []), "summarize: nobody in the clip"]
    return out


def _speed(traj: pd.DataFrame, fps: float) -> np.ndarray:
    """Speed (px/s) of the longest gap-free stretch of a trajectory."""
    xy = traj[["x", "y"]].to_numpy()
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        raise ValueError("the point is never seen")
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(int), 0]))
    starts, stops = edges[::2], edges[1::2]
    i = int(np.argmax(stops - starts))
    seg = xy[starts[i] : stops[i]]
    if len(seg) < 3:
        raise ValueError("no gap-free stretch of 3 frames")
    v = np.gradient(seg, axis=0) * fps
    return np.hypot(v[:, 0], v[:, 1])
