"""Synthetic movement with known ground truth, in the Kakao Pose API job format.

A 2D stick figure with Winter's body proportions walks (in profile), squats (in profile) or
raises its arms (facing the camera). Joint-angle trajectories are defined first and the
keypoints follow by forward kinematics, so the true joint angles are exact by construction.
:func:`generate` returns the result an estimator would report (with optional pixel noise,
low-confidence dropouts and missing frames) next to the truth.

Examples
--------
>>> import posekit as pk
>>> sim = pk.synth.generate("squat", duration_s=10, noise_px=2.0, dropout=0.03, seed=1)
>>> sim.params["n_reps"]
3
>>> kp = sim.result.keypoints()              # what the "estimator" saw
>>> truth = sim.truth                        # exact keypoints, same layout
>>> bool(sim.angles["left_knee"].min() < 90)  # deepest squat: ~97° of knee flexion
True
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd

from posekit.result import PoseResult
from posekit.schema import default_info, video_job
from posekit.synth.observe import build_annotations, observe
from posekit.synth.scene import place
from posekit.tidy import DenseKeypoints, from_dense

__all__ = ["ACTIVITIES", "ANGLE_COLUMNS", "DEFAULT_RATE_HZ", "Synth", "big_job_json", "generate"]

Activity = Literal["walk", "squat", "arm_raise"]
ACTIVITIES: tuple[str, ...] = ("walk", "squat", "arm_raise")
#: Default repetition rate (squat, arm_raise) or step rate (walk), Hz.
DEFAULT_RATE_HZ: dict[str, float] = {"walk": 1.8, "squat": 0.4, "arm_raise": 0.3}
#: The columns of :attr:`Synth.angles` (inner angles, degrees in [0, 180]).
ANGLE_COLUMNS: tuple[str, ...] = (
    "left_elbow", "right_elbow", "left_shoulder", "right_shoulder",
    "left_hip", "right_hip", "left_knee", "right_knee",
)  # fmt: skip
ANGLE_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    f"{side}_{joint}": tuple(f"{side}_{j}" for j in chain)  # type: ignore[misc]
    for side in ("left", "right")
    for joint, chain in (
        ("elbow", ("shoulder", "elbow", "wrist")),
        ("shoulder", ("hip", "shoulder", "elbow")),
        ("hip", ("shoulder", "hip", "knee")),
        ("knee", ("hip", "knee", "ankle")),
    )
}
_DATE = "2026/01/01"  # fixed, so that a seed always gives the same bytes


@dataclass(frozen=True, eq=False)
class Synth:
    """A synthetic recording and its ground truth, as :func:`generate` makes it.

    Parameters
    ----------
    result
        The video job result (Kakao format) an estimator would report, with noise, dropouts
        and missing frames as asked.
    truth
        Exact keypoints in the ``keypoints`` layout (x, y, score = 1, time) for every frame and
        person, including frames where the person was "not detected".
    angles
        Exact inner joint angles (degrees, [0, 180]) indexed by (frame, object_id), columns
        :data:`ANGLE_COLUMNS` (definitions in :data:`ANGLE_DEFINITIONS`).
    params
        The settings and the truth analyses should recover: ``activity``, ``seed``,
        ``rate_hz``, ``n_reps`` and ``rep_times_s`` (squat, arm_raise: times of deepest
        squat / highest raise), ``step_rate_hz``, ``cadence_spm``, ``heel_strike_times_s``
        and ``toe_off_times_s`` per side (walk), ``speed_px_s``... Top-level per-person values
        are those of the first person; ``params["people"][object_id]`` has every person's.
    detected
        bool Series indexed (frame, object_id): False where the person is missing.
    dropped
        bool Series indexed like ``result.keypoints()``: True for dropout joints (score < 0.05,
        made-up coordinates).

    Examples
    --------
    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=1, fps=30, missing_frames=0.2, seed=3)
    >>> sim.params["activity"], sim.params["n_missing"]
    ('squat', 6)
    >>> len(sim.truth) // 17, int(sim.detected.sum())  # the truth has every frame
    (30, 24)
    """

    result: PoseResult
    truth: pd.DataFrame
    angles: pd.DataFrame
    params: dict[str, Any]
    detected: pd.Series
    dropped: pd.Series

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        truth_csv: str | os.PathLike[str] | None = None,
        angles_csv: str | os.PathLike[str] | None = None,
        params_json: str | os.PathLike[str] | None = None,
    ) -> None:
        """Write the result as API JSON and, if asked, the truth beside it (all atomically).

        Parameters
        ----------
        path
            Where the result goes, as Kakao Pose API JSON.
        truth_csv
            If given, the exact keypoints as CSV: columns frame, object_id, joint, x, y (px,
            6 decimals).
        angles_csv
            If given, the exact angles as CSV: frame, object_id and the angle columns
            (degrees, 6 decimals).
        params_json
            If given, :attr:`params` as JSON.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import posekit as pk
        >>> sim = pk.synth.generate("squat", duration_s=1, fps=30)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     sim.save(Path(tmp) / "squat.json", truth_csv=Path(tmp) / "truth.csv")
        ...     back = pk.load(Path(tmp) / "squat.json")
        ...     sorted(p.name for p in Path(tmp).iterdir()), back.keypoints().equals(
        ...         sim.result.keypoints())
        (['squat.json', 'truth.csv'], True)
        """
        from posekit.io import atomic_write

        self.result.save(path)
        if truth_csv is not None:
            truth = self.truth[["x", "y"]].reset_index()
            truth["joint"] = truth["joint"].astype(str)
            atomic_write(truth_csv, _csv(truth))
        if angles_csv is not None:
            atomic_write(angles_csv, _csv(self.angles.reset_index()))
        if params_json is not None:
            data = msgspec.json.format(msgspec.json.encode(self.params), indent=1)
            atomic_write(params_json, data + b"\n")

    def __repr__(self) -> str:
        return f"Synth({self.params['activity']!r}, seed={self.params['seed']}, {self.result!r})"


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format="%.6f", lineterminator="\n")
    return buf.getvalue().encode()


def _check(name: str, value: float, lo: float, hi: float | None = None) -> float:
    value = float(value)
    if not np.isfinite(value) or value < lo or (hi is not None and value > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be a number in {rng}, got {value}")
    return value


def generate(
    activity: Activity = "squat",
    *,
    duration_s: float = 10.0,
    fps: float = 30.0,
    n_people: int = 1,
    width: int = 1280,
    height: int = 720,
    person_height_px: float | None = None,
    noise_px: float = 0.0,
    dropout: float = 0.0,
    missing_frames: float = 0.0,
    rate_hz: float | None = None,
    seed: int = 0,
    job_id: str | None = None,
    walk_path: Literal["in_view", "through"] = "in_view",
) -> Synth:
    """Make a synthetic video result with known ground truth.

    Parameters
    ----------
    activity
        ``"walk"`` (profile, across the image), ``"squat"`` (profile, in place) or
        ``"arm_raise"`` (bilateral lateral raises, facing the camera).
    duration_s, fps
        Length (seconds) and frame rate (Hz); ``round(duration_s * fps)`` frames.
    n_people
        People side by side, each in its own slot of the image width; the second and later
        are smaller (farther away), start later (or at another gait phase), and walkers
        alternate direction. ``object_id`` is 0, 1, ...
    width, height
        Image size in pixels.
    person_height_px
        Standing height of the first person in pixels; default fits the image and slot.
    noise_px
        Standard deviation (pixels) of Gaussian noise added to each reported coordinate.
    dropout
        Fraction of reported keypoints that are dropouts: score in [0, 0.05) (half of them
        exactly 0) and coordinates made up near another joint, as Kakao reports undetected
        joints. Other joints score in [0.35, 0.99].
    missing_frames
        Fraction of frames in which each person is not detected at all (in runs of a few
        frames); those frames' annotations lack that person.
    rate_hz
        Repetitions per second (squat, arm_raise; default 0.4 and 0.3) or steps per second
        (walk; default 1.8, i.e. a cadence of 108 steps/min).
    seed
        Seed of the random generator: the same arguments give the same result, byte for byte.
    job_id
        The result's ``job_id``; default a UUID derived from the seed.
    walk_path
        ``"in_view"`` (default): each walker crosses its slot of the image once over the
        recording, at natural speed if that fits, slower otherwise (the feet then slide a
        little, as on a treadmill), and is always in view. ``"through"``: walkers go back and
        forth across the whole image at natural speed, turning out of view; they are detected
        only while fully inside the image, and walkers in opposite directions cross each other.

    Returns
    -------
    Synth
        ``.result``, ``.truth``, ``.angles``, ``.params``, ``.detected``, ``.dropped``.

    Notes
    -----
    Reported coordinates are rounded to 0.01 px and clipped to the image; scores to 4 decimals.
    ``bbox`` is Kakao's rule over all 17 reported keypoints,
    ``[min_x, min_y, max_x - min_x + 1, max_y - min_y + 1]``, and ``area`` its w * h.

    Examples
    --------
    Walking at 2 steps per second is a cadence of 120 steps/min:

    >>> import posekit as pk
    >>> sim = pk.synth.generate("walk", duration_s=2, fps=25, n_people=2, rate_hz=2.0)
    >>> sim.params["n_frames"], sim.params["cadence_spm"], sim.params["object_ids"]
    (50, 120.0, [0, 1])
    >>> sim.result.keypoints().shape  # 50 frames x 2 people x 17 joints
    (1700, 4)
    """
    if activity not in ACTIVITIES:
        raise ValueError(f"activity must be one of {ACTIVITIES}, got {activity!r}")
    if walk_path not in ("in_view", "through"):
        raise ValueError(f"walk_path must be 'in_view' or 'through', got {walk_path!r}")
    duration_s = _check("duration_s", duration_s, 0.0)
    fps = _check("fps", fps, 1e-9)
    if int(n_people) != n_people or n_people < 1:
        raise ValueError(f"n_people must be a positive integer, got {n_people!r}")
    if int(width) < 16 or int(height) < 16:
        raise ValueError(f"width and height must be at least 16 pixels, got {width}x{height}")
    n_people, width, height = int(n_people), int(width), int(height)
    noise_px = _check("noise_px", noise_px, 0.0)
    dropout = _check("dropout", dropout, 0.0, 1.0)
    missing_frames = _check("missing_frames", missing_frames, 0.0, 1.0)
    rate = _check("rate_hz", DEFAULT_RATE_HZ[activity] if rate_hz is None else rate_hz, 1e-9)
    n_frames = max(1, round(duration_s * fps))
    duration = n_frames / fps
    t = np.arange(n_frames) / fps

    ss = np.random.SeedSequence(seed)
    ss_motion, ss_noise, ss_score, ss_drop, ss_gap, ss_id = ss.spawn(6)
    rngs_motion = [np.random.default_rng(s) for s in ss_motion.spawn(n_people)]

    if person_height_px is not None:
        _check("person_height_px", person_height_px, 1.0)
    placed = place(activity, t, duration=duration, rate_hz=rate, n_people=n_people, width=width,
                   height=height, person_height_px=person_height_px, walk_path=walk_path,
                   rngs=rngs_motion)  # fmt: skip
    object_ids = np.arange(n_people, dtype=np.int64)
    truth = np.stack([p.truth for p in placed], axis=1)
    angles = {c: np.stack([p.angles[c] for p in placed], axis=1) for c in ANGLE_COLUMNS}
    people = {int(o): p.info for o, p in zip(object_ids, placed, strict=True)}

    obs = observe(
        truth,
        heights_px=np.array([p.height_px for p in placed]),
        far_side=np.stack([p.far_side for p in placed], axis=1),
        in_view=np.stack([p.in_view for p in placed], axis=1),
        noise_px=noise_px,
        dropout=dropout,
        missing_frames=missing_frames,
        width=width,
        height=height,
        rngs=[np.random.default_rng(s) for s in (ss_noise, ss_score, ss_drop, ss_gap)],
    )
    if job_id is None:
        key = np.random.default_rng(ss_id).bytes(16) + activity.encode()
        job_id = str(uuid.UUID(bytes=hashlib.sha256(key).digest()[:16], version=4))
    source = f"synth:{activity}:seed={seed}"
    info_block = msgspec.structs.replace(
        default_info(f"Synthetic {activity} (posekit.synth, seed {seed}); not a real video"),
        date_created=_DATE,
        year=int(_DATE[:4]),
    )
    job = video_job(
        build_annotations(obs, object_ids),
        fps=fps,
        frames=n_frames,
        width=width,
        height=height,
        job_id=job_id,
        info=info_block,
    )
    result = PoseResult.from_job(job, source=source)

    call = (
        f"posekit.synth.generate({activity!r}, duration_s={duration_s}, fps={fps}, "
        f"n_people={n_people}, noise_px={noise_px}, dropout={dropout}, "
        f"missing_frames={missing_frames}, rate_hz={rate}, seed={seed})"
    )
    history = [call]
    attrs: dict[str, Any] = {"fps": float(fps), "width": width, "height": height, "source": source,
             "job_id": job_id, "kind": "video", "history": history}  # fmt: skip
    frames = np.arange(n_frames, dtype=np.int64)
    values = np.concatenate([truth, np.ones((*truth.shape[:3], 1))], axis=-1)
    all_present = np.ones((n_frames, n_people), dtype=bool)
    dense = DenseKeypoints(values, frames, object_ids, ("x", "y", "score"), all_present,
                           attrs=attrs)  # fmt: skip
    truth_df = from_dense(dense)

    pair_index = pd.MultiIndex.from_product([frames, object_ids], names=["frame", "object_id"])
    angles_df = pd.DataFrame({c: angles[c].ravel() for c in ANGLE_COLUMNS}, index=pair_index)
    angles_df.attrs = {**attrs, "history": list(history)}
    detected = pd.Series(obs.present.ravel(), index=pair_index, name="detected")
    drop_dense = DenseKeypoints(obs.dropped[..., None].astype(np.float64), frames, object_ids,
                                ("dropped",), obs.present)  # fmt: skip
    dropped = from_dense(drop_dense)["dropped"].astype(bool)

    first = people[0]
    params: dict[str, Any] = {
        "activity": activity,
        "seed": seed,
        "duration_s": duration,
        "fps": float(fps),
        "n_frames": n_frames,
        "width": width,
        "height": height,
        "n_people": n_people,
        "object_ids": object_ids.tolist(),
        "noise_px": noise_px,
        "dropout": dropout,
        "missing_frames": missing_frames,
        "rate_hz": rate,
        "job_id": job_id,
        **{
            k: v
            for k, v in first.items()
            if k not in ("height_px", "ground_y", "facing", "segment_lengths_px")
        },
        "person_height_px": first["height_px"],
        "n_dropped": int(obs.dropped[obs.present].sum()),
        "n_missing": int((~obs.present).sum()),
        "people": people,
    }
    return Synth(result=result, truth=truth_df, angles=angles_df, params=params,
                 detected=detected, dropped=dropped)  # fmt: skip


def big_job_json(
    path: str | os.PathLike[str],
    minutes: float = 10,
    fps: float = 30,
    n_people: int = 5,
    seed: int = 0,
    *,
    activity: Activity = "walk",
    noise_px: float = 0.0,
    dropout: float = 0.0,
) -> Path:
    """Write a long multi-person walking job result as JSON, for benchmarks.

    The defaults give ``generate("walk", duration_s=600, fps=30, n_people=5)``: 18,000 frames,
    90,000 objects, about 50 MB. Written atomically.

    Parameters
    ----------
    path
        The JSON file to write.
    minutes
        Length of the recording in minutes.
    fps
        Frame rate (Hz).
    n_people
        People in every frame.
    seed
        Seed of :func:`generate`.
    activity
        ``"walk"``, ``"squat"`` or ``"arm_raise"``.
    noise_px
        Standard deviation of the coordinates' noise in pixels.
    dropout
        Fraction of keypoints reported as dropouts (see :func:`generate`).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    Three seconds (0.05 min) of two walkers:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import posekit as pk
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pk.synth.big_job_json(Path(tmp) / "big.json", minutes=0.05, n_people=2)
    ...     len(pk.load(path).keypoints()) // 17
    180
    """
    from posekit.io import atomic_write

    sim = generate(activity, duration_s=60.0 * minutes, fps=fps, n_people=n_people, seed=seed,
                   noise_px=noise_px, dropout=dropout)  # fmt: skip
    return atomic_write(path, sim.result.to_json())
