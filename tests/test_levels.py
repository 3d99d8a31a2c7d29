"""Every analysis function on a many-clip table equals the same function run clip by clip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit._levels import leading_levels

# clips that differ in fps, size, people and activity
SPECS = {
    ("s1", "walk"): dict(activity="walk", fps=30.0, n_people=1, seed=1),
    ("s1", "squat"): dict(activity="squat", fps=25.0, n_people=2, seed=2, width=640, height=480),
    ("s2", "walk"): dict(activity="walk", fps=60.0, n_people=1, seed=3),
}


@pytest.fixture(scope="module")
def clips() -> dict[tuple[str, str], pd.DataFrame]:
    out = {}
    for key, spec in SPECS.items():
        sim = pk.synth.generate(
            duration_s=6, noise_px=1.5, dropout=0.05, missing_frames=0.02, **spec
        )
        out[key] = sim.result.keypoints()
    return out


def _study(clips, *, with_clip_table: bool) -> pd.DataFrame:
    kp = pd.concat(clips, names=["subject", "trial"])
    kp.attrs = {}
    if with_clip_table:
        meta = {k: {m: v.attrs[m] for m in ("fps", "width", "height")} for k, v in clips.items()}
        kp.attrs["clips"] = pd.DataFrame.from_dict(meta, orient="index").rename_axis(
            ["subject", "trial"]
        )
    return kp


def _concat(per: dict, like):
    if isinstance(next(iter(per.values())), pd.DataFrame | pd.Series):
        return pd.concat(per, names=["subject", "trial"])
    return pd.Series(per)


def _check(got, want):
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want)
    elif isinstance(want, pd.Series) and want.dtype != object:
        pd.testing.assert_series_equal(got, want, check_names=False)
    else:
        assert list(got.index) == list(want.index)
        for g, w in zip(got, want, strict=True):
            if isinstance(w, pk.metrics.Repetitions):
                pd.testing.assert_frame_equal(g.reps, w.reps)
            elif isinstance(w, pk.metrics.DTWResult):
                assert g.distance == w.distance
                np.testing.assert_array_equal(g.path, w.path)
            else:
                assert g == w


#: what a study is compared with: one pose (17 x 2) and one knee-angle series
TEMPLATE_POSE = (
    pk.synth.generate("walk", duration_s=1, fps=30, seed=9).result.keypoints()
    .xs(5, level="frame")[["x", "y"]].to_numpy()
)  # fmt: skip
TEMPLATE_SERIES = 140 + 30 * np.sin(np.linspace(0, 6 * np.pi, 120))


def _walkers(kp):
    return kp.xs(0, level="object_id", drop_level=False)


CASES = {
    "mask_low_confidence": lambda kp: pk.clean.mask_low_confidence(kp, min_score=0.4),
    "reindex_frames": lambda kp: pk.clean.reindex_frames(kp),
    "interpolate": lambda kp: pk.clean.interpolate(kp, max_gap_frames=5),
    "assign_tracks": lambda kp: pk.clean.assign_tracks(kp),
    "main_person": lambda kp: pk.clean.main_person(kp),
    "fix_left_right_swaps": lambda kp: pk.clean.fix_left_right_swaps(kp),
    "moving_average": lambda kp: pk.smooth.moving_average(kp, window_frames=5),
    "median": lambda kp: pk.smooth.median(kp, window_frames=5),
    "gaussian": lambda kp: pk.smooth.gaussian(kp, sigma_frames=2),
    "savgol": lambda kp: pk.smooth.savgol(kp, window_frames=7),
    "butterworth": lambda kp: pk.smooth.butterworth(kp, cutoff_hz=6),
    "one_euro": lambda kp: pk.smooth.one_euro(kp, min_cutoff_hz=1.0, beta=0.1),
    "kalman": lambda kp: pk.smooth.kalman(kp),
    "compare": lambda kp: pk.smooth.compare(
        kp,
        {
            "bw": pk.smooth.butterworth(kp, cutoff_hz=6),
            "ma": pk.smooth.moving_average(kp, window_frames=5),
        },
    ),
    "winter_cutoff": lambda kp: pk.smooth.winter_cutoff(kp),
    "joint_angles": lambda kp: pk.angles.joint_angles(kp),
    "segment_angles": lambda kp: pk.angles.segment_angles(kp),
    "custom_angles": lambda kp: pk.angles.custom_angles(
        kp, {"trunk": ("left_shoulder", "left_hip", "left_knee")}
    ),
    "angle": lambda kp: pk.angles.angle(kp, "left_hip", "left_knee", "left_ankle"),
    "velocity": lambda kp: pk.kinematics.velocity(kp),
    "acceleration": lambda kp: pk.kinematics.acceleration(kp),
    "jerk": lambda kp: pk.kinematics.jerk(kp),
    "speed": lambda kp: pk.kinematics.speed(kp),
    "displacement": lambda kp: pk.kinematics.displacement(kp),
    "path_length": lambda kp: pk.kinematics.path_length(kp),
    "torso_length": lambda kp: pk.kinematics.torso_length(kp),
    "angular_velocity": lambda kp: pk.kinematics.angular_velocity(pk.angles.joint_angles(kp)),
    "trajectory": lambda kp: pk.kinematics.trajectory(kp, joint="left_wrist"),
    "range_of_motion": lambda kp: pk.metrics.range_of_motion(pk.angles.joint_angles(kp)),
    "count_repetitions": lambda kp: pk.metrics.count_repetitions(
        pk.angles.joint_angles(_walkers(kp))["left_knee"]
    ),
    "gait_events": lambda kp: pk.metrics.gait_events(_walkers(kp)),
    "cadence": lambda kp: pk.metrics.cadence(_walkers(kp)),
    "symmetry_index": lambda kp: pk.metrics.symmetry_index(
        pk.kinematics.path_length(kp)["path_length"].xs("left_ankle", level="joint"),
        pk.kinematics.path_length(kp)["path_length"].xs("right_ankle", level="joint"),
    ),
    "oks": lambda kp: pk.metrics.oks(kp, pk.smooth.butterworth(kp, cutoff_hz=6)),
    "oks_single_pose": lambda kp: pk.metrics.oks(kp, TEMPLATE_POSE, area=5000.0),
    "cosine_similarity": lambda kp: pk.metrics.cosine_similarity(
        kp, pk.smooth.moving_average(kp, window_frames=5)
    ),
    "dtw": lambda kp: pk.metrics.dtw(
        pk.angles.joint_angles(_walkers(kp))["left_knee"].dropna(),
        TEMPLATE_SERIES,
        window_frames=40,
    ),
    "sparc": lambda kp: pk.metrics.sparc(
        pk.kinematics.speed(pk.clean.interpolate(_walkers(kp), max_gap_frames=10))["speed"]
        .xs("left_ankle", level="joint")
        .dropna()
    ),
    "ldlj": lambda kp: pk.metrics.ldlj(
        pk.kinematics.speed(pk.clean.interpolate(_walkers(kp), max_gap_frames=10))["speed"]
        .xs("left_ankle", level="joint")
        .dropna()
    ),
}


@pytest.mark.parametrize("with_clip_table", [True, False], ids=["clip-table", "time-column"])
@pytest.mark.parametrize("name", list(CASES))
def test_study_table_equals_clip_by_clip(clips, name, with_clip_table):
    run = CASES[name]
    kp = _study(clips, with_clip_table=with_clip_table)
    got = run(kp)
    want = _concat({k: run(v) for k, v in clips.items()}, got)
    _check(got, want)


def test_fps_per_clip_is_used(clips):
    # the 60 fps clip's velocity must be twice what a wrong (30 fps) rate would give
    kp = _study(clips, with_clip_table=False)
    v = pk.kinematics.velocity(kp).sort_index()
    ref = pk.kinematics.velocity(clips[("s2", "walk")])
    np.testing.assert_allclose(
        v.loc[("s2", "walk")]["vx"].to_numpy(), ref["vx"].to_numpy(), equal_nan=True
    )
    assert ref.attrs["fps"] == 60.0
    assert v.attrs["clips"].loc[("s2", "walk"), "fps"] == pytest.approx(60.0)


def test_result_keeps_clip_table_and_history(clips):
    kp = _study(clips, with_clip_table=True)
    bw = pk.smooth.butterworth(kp, cutoff_hz=6)
    assert list(bw.index.names) == ["subject", "trial", "frame", "object_id", "joint"]
    assert bw.attrs["clips"]["fps"].tolist() == [30.0, 25.0, 60.0]
    assert "fps" not in bw.attrs  # clips differ: no single fps
    assert any("butterworth" in h for h in bw.attrs["history"])
    assert leading_levels(bw) == 2
    # and the result feeds the next function
    ang = pk.angles.joint_angles(bw)
    assert list(ang.index.names[:2]) == ["subject", "trial"]


def test_one_clip_table_is_untouched(clips):
    kp = clips[("s1", "walk")]
    assert leading_levels(kp) == 0
    pd.testing.assert_frame_equal(
        pk.smooth.butterworth(kp, cutoff_hz=6), pk.smooth.butterworth(kp, cutoff_hz=6)
    )
