"""posekit.metrics: published values, synthetic ground truth, analytic cases, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit import angles, metrics
from posekit.schema import JOINT_INDEX
from tests._kpgen import standing, table

# -- smoothness: the published reference values ------------------------------------------------


def _gaussian_speed():
    t = np.arange(-1, 1, 0.01)  # -1 ... 0.99, 200 samples, as in the reference code
    return np.exp(-5 * t**2)


def test_sparc_reproduces_published_value():
    assert metrics.sparc(_gaussian_speed(), fps=100) == pytest.approx(-1.41403, abs=1e-4)
    assert metrics.sparc(_gaussian_speed(), 100.0) == pytest.approx(-1.4140312617, abs=1e-9)


def test_ldlj_reproduces_published_value():
    assert metrics.ldlj(_gaussian_speed(), fps=100) == pytest.approx(-5.816, abs=1e-2)
    assert metrics.ldlj(_gaussian_speed(), fps=100) == pytest.approx(-5.81636, abs=1e-5)
    assert metrics.dimensionless_jerk(_gaussian_speed(), fps=100) == pytest.approx(
        -335.74684, abs=1e-4
    )


def test_smoothness_orders_movements():
    t = np.arange(0, 2, 0.01)
    smooth = np.sin(np.pi * t / 2) ** 2  # one bell
    jerky = smooth * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))  # the same with 4 Hz tremor
    assert metrics.sparc(jerky, fps=100) < metrics.sparc(smooth, fps=100)
    assert metrics.ldlj(jerky, fps=100) < metrics.ldlj(smooth, fps=100)
    s = pd.Series(smooth)
    s.attrs["fps"] = 100.0
    assert metrics.sparc(s) == metrics.sparc(smooth, fps=100)  # fs from attrs


def test_smoothness_bad_input():
    with pytest.raises(ValueError, match="all NaN"):
        metrics.sparc(np.full(50, np.nan), fps=100)
    with pytest.raises(ValueError, match="NaN"):
        metrics.ldlj(np.r_[1.0, np.nan, 2.0, 3.0], fps=100)
    with pytest.raises(ValueError, match="sampling rate"):
        metrics.sparc(_gaussian_speed())
    with pytest.raises(ValueError, match="all zero"):
        metrics.ldlj(np.zeros(20), fps=10)
    with pytest.raises(ValueError, match="1-D"):
        metrics.sparc(np.ones((3, 3)), fps=10)


# -- repetitions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate_hz", "duration_s", "fps", "noise_px", "seed"),
    [(0.4, 20, 30, 0.0, 0), (0.25, 30, 30, 2.0, 1), (0.6, 15, 25, 3.0, 2), (0.5, 12, 60, 1.0, 3)],
)
def test_rep_counter_counts_synthetic_squats_exactly(rate_hz, duration_s, fps, noise_px, seed):
    syn = pk.synth.generate("squat", duration_s=duration_s, fps=fps, rate_hz=rate_hz,
                            noise_px=noise_px, dropout=0.02, missing_frames=0.02, seed=seed)  # fmt: skip
    kp = syn.result.keypoints(min_score=0.2)
    knee = angles.joint_angles(kp)["left_knee"]
    reps = metrics.count_repetitions(knee)
    assert reps.count == syn.params["n_reps"] > 0
    np.testing.assert_allclose(reps.reps["peak_time"], syn.params["rep_times_s"], atol=0.25)
    r = reps.reps
    assert (r["start_frame"] < r["peak_frame"]).all() and (r["peak_frame"] < r["end_frame"]).all()
    assert (r["end_frame"].to_numpy()[:-1] <= r["start_frame"].to_numpy()[1:] + 1).all()
    assert (r["peak_value"] < 100).all()  # ~97° of knee flexion: inner angle ~83°
    assert reps.rate_per_min == pytest.approx(60 * rate_hz, rel=0.05)


def test_rep_counter_counts_arm_raises_as_maxima_per_person():
    syn = pk.synth.generate("arm_raise", duration_s=20, fps=30, n_people=2, noise_px=1.5, seed=4)
    ang = angles.joint_angles(syn.result.keypoints(min_score=0.2))
    for oid, info in syn.params["people"].items():
        s = ang["right_shoulder"].xs(oid, level="object_id")
        assert metrics.count_repetitions(s, direction="max").count == info["n_reps"]
    with pytest.raises(ValueError, match="2 people"):
        metrics.count_repetitions(ang["right_shoulder"], direction="max")


def test_rep_counter_analytic_and_bad_input():
    fps = 20.0
    t = np.arange(0, 10, 1 / fps)
    x = np.cos(2 * np.pi * 0.5 * t)  # minima at 1, 3, 5, 7, 9 s
    reps = metrics.count_repetitions(x, fps=fps)
    assert reps.count == 5
    np.testing.assert_allclose(reps.reps["peak_time"], [1, 3, 5, 7, 9])
    assert metrics.count_repetitions(x, fps=fps, direction="max").count == 4  # 0 and 10 s are ends
    assert metrics.count_repetitions(np.full(50, 3.0), fps=fps).count == 0
    assert metrics.count_repetitions(x, fps=fps, prominence=2.5).count == 0
    with pytest.raises(ValueError, match="fps"):
        metrics.count_repetitions(x)
    with pytest.raises(ValueError, match="all NaN"):
        metrics.count_repetitions(np.full(10, np.nan), fps=fps)
    with pytest.raises(ValueError, match="direction"):
        metrics.count_repetitions(x, fps=fps, direction="up")  # type: ignore[arg-type]


# -- gait -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate_hz", "fps", "noise_px", "n_people", "seed"),
    [(1.8, 30, 0.0, 1, 0), (1.5, 30, 2.0, 2, 1), (2.1, 60, 2.0, 1, 2), (1.7, 25, 1.0, 3, 3)],
)
def test_cadence_within_2_percent(rate_hz, fps, noise_px, n_people, seed):
    syn = pk.synth.generate("walk", duration_s=20, fps=fps, rate_hz=rate_hz, noise_px=noise_px,
                            n_people=n_people, dropout=0.01, seed=seed)  # fmt: skip
    cad = metrics.cadence(syn.result.keypoints(min_score=0.2))
    assert cad.index.tolist() == list(range(n_people))
    np.testing.assert_allclose(cad["cadence_spm"], syn.params["cadence_spm"], rtol=0.02)
    np.testing.assert_allclose(cad["stride_time_s"], 2 / rate_hz, rtol=0.02)
    assert (cad["n_steps"] >= 20 * rate_hz * 0.9).all()


def test_gait_events_match_truth():
    syn = pk.synth.generate("walk", duration_s=12, fps=60, n_people=2, seed=5)
    ev = metrics.gait_events(syn.result.keypoints())
    for oid, info in syn.params["people"].items():
        for side in ("left", "right"):
            hs = ev.query("object_id == @oid and side == @side and event == 'heel_strike'")["time"]
            truth = np.asarray(info["heel_strike_times_s"][side])
            truth = truth[(truth > 0.3) & (truth < 11.7)]
            near = np.abs(truth[:, None] - hs.to_numpy()[None, :]).min(axis=1)
            assert near.max() < 0.1, (oid, side, near)  # within a few frames of the truth


def test_gait_bad_input():
    syn = pk.synth.generate("walk", duration_s=4, fps=30, seed=0)
    kp = syn.result.keypoints()
    no_ankles = kp[~kp.index.get_level_values("joint").isin(["left_ankle"])]
    with pytest.raises(ValueError, match="left_ankle"):
        metrics.cadence(no_ankles)
    kp2 = kp.copy()
    kp2.attrs = {}
    with pytest.raises(ValueError, match="fps"):
        metrics.gait_events(kp2)
    with pytest.raises(ValueError, match="object_id 7"):
        metrics.gait_events(kp, object_id=7)


# -- range of motion, symmetry -----------------------------------------------------------------


def test_range_of_motion_matches_truth():
    syn = pk.synth.generate("squat", duration_s=10, fps=30, n_people=2, seed=6)
    rom = metrics.range_of_motion(angles.joint_angles(syn.truth))
    truth = syn.angles
    for oid in (0, 1):
        t = truth.xs(oid, level="object_id")["left_knee"]
        row = rom.loc[(oid, "left_knee")]
        assert row["min"] == pytest.approx(t.min(), abs=1e-9)
        assert row["max"] == pytest.approx(t.max(), abs=1e-9)
        assert row["range"] == pytest.approx(t.max() - t.min(), abs=1e-9)
        assert row["argmin_frame"] == t.idxmin()
    assert "time" not in rom.index.get_level_values("angle")


def test_range_of_motion_nan_handling():
    xy = standing(5)
    xy[:, JOINT_INDEX["left_wrist"]] = np.nan
    rom = metrics.range_of_motion(angles.joint_angles(table(xy)))
    assert rom.loc[(0, "left_elbow"), "n"] == 0 and np.isnan(rom.loc[(0, "left_elbow"), "min"])
    assert rom.loc[(0, "right_elbow"), "n"] == 5


def test_symmetry_index():
    assert metrics.symmetry_index(110.0, 90.0) == pytest.approx(20.0)
    assert metrics.symmetry_index(90.0, 110.0) == pytest.approx(-20.0)
    assert metrics.symmetry_index([1, 2, 3], [1, 2, 3]) == 0.0
    assert metrics.symmetry_index([0, 10], [0, 8], summary="range") == pytest.approx(200 * 2 / 18)
    per = metrics.symmetry_index(
        np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0]), summary="none"
    )
    np.testing.assert_allclose(per, [200 / 3, 0.0, np.nan])
    left = pd.Series([2.0, 4.0], index=[1, 2])
    right = pd.Series([2.0, 2.0, 9.0], index=[1, 2, 3])
    s = metrics.symmetry_index(left, right, summary="none")
    assert s.index.tolist() == [1, 2] and s.tolist() == pytest.approx([0.0, 200 / 3])
    with pytest.raises(ValueError, match="all NaN"):
        metrics.symmetry_index([np.nan, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="undefined"):
        metrics.symmetry_index(1.0, -1.0)
    with pytest.raises(ValueError, match="summary"):
        metrics.symmetry_index(1.0, 1.0, summary="sum")  # type: ignore[arg-type]


# -- similarity -----------------------------------------------------------------------------


def test_oks_identical_is_one_and_decreases_with_distance():
    p = standing(1)[0]
    assert metrics.oks(p, p) == pytest.approx(1.0)
    shifts = [0.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    vals = [metrics.oks(p, p + s) for s in shifts]
    assert vals[0] == pytest.approx(1.0)
    assert all(a > b for a, b in itertools.pairwise(vals))
    # a closed form: every joint shifted by d, area A: mean of exp(-d² / (2 A (2σ)²))
    area = 1000.0
    d = 3.0
    want = np.mean(np.exp(-(d**2) / (2 * area * (2 * metrics.COCO_SIGMAS) ** 2)))
    assert metrics.oks(p, p + np.array([d, 0.0]), area=area) == pytest.approx(want, rel=1e-9)
    q = p.copy()
    q[JOINT_INDEX["nose"]] = np.nan  # missing in the compared pose: a miss
    assert metrics.oks(p, q, area=area) == pytest.approx(16 / 17)
    assert metrics.oks(q, p, area=area) == pytest.approx(1.0)  # unlabelled in the reference


def test_oks_and_cosine_on_tables():
    syn = pk.synth.generate("squat", duration_s=3, fps=30, noise_px=3.0, seed=7)
    truth, seen = syn.truth, syn.result.keypoints()
    o = metrics.oks(truth, seen)
    assert list(o.index.names) == ["frame", "object_id"] and len(o) == 90
    assert (o > 0.8).all() and (o < 1).all()
    assert metrics.oks(truth, truth).eq(1.0).all()
    ref = truth.xs(0, level="frame").to_numpy()[:, :2]  # one reference pose (17, 2)
    sim = metrics.cosine_similarity(truth, ref)
    assert sim.iloc[0] == pytest.approx(1.0)
    assert sim.min() < sim.iloc[0]


@pytest.mark.parametrize("func", [metrics.oks, metrics.cosine_similarity])
def test_pose_similarity_return_type_rule(func):
    """A table in -> Series by (frame, object_id); two poses -> float; stacked poses -> array."""
    syn = pk.synth.generate("squat", duration_s=1, fps=10, noise_px=3.0, seed=7)
    truth, seen = syn.truth, syn.result.keypoints()
    p = standing(1)[0]
    stack = np.stack([p, p + 1.0, p * 1.1])
    one = truth.xs(0, level="frame").to_numpy()[:, :2]
    out = func(truth, seen)
    assert isinstance(out, pd.Series) and out.name == func.__name__
    assert list(out.index.names) == ["frame", "object_id"] and len(out) == 10
    for table_and_pose in (func(truth, one), func(one, truth)):  # a table on either side
        assert isinstance(table_and_pose, pd.Series) and len(table_and_pose) == 10
    assert type(func(p, p + 1.0)) is float
    for arrays in (func(stack, stack), func(p, stack), func(stack, p)):
        assert isinstance(arrays, np.ndarray) and arrays.shape == (3,)
    np.testing.assert_allclose(func(stack, p), [func(q, p) for q in stack], rtol=1e-12)


def test_symmetry_index_return_type_rule():
    left, right = pd.Series([2.0, 4.0, 3.0]), pd.Series([2.0, 2.0, 3.0])
    for summary in ("mean", "median", "max", "range"):
        assert type(metrics.symmetry_index(left, right, summary=summary)) is float
        assert type(metrics.symmetry_index(3.0, 2.0, summary=summary)) is float
    assert type(metrics.symmetry_index(3.0, 2.0, summary="none")) is float
    arr = metrics.symmetry_index(left.to_numpy(), right.to_numpy(), summary="none")
    assert isinstance(arr, np.ndarray) and arr.shape == (3,)
    for mixed in (
        metrics.symmetry_index(left, right, summary="none"),
        metrics.symmetry_index(left, right.to_numpy(), summary="none"),
        metrics.symmetry_index(left.to_numpy(), right, summary="none"),
    ):
        assert isinstance(mixed, pd.Series) and mixed.name == "symmetry_index"
        np.testing.assert_allclose(mixed.to_numpy(), arr)
        assert mixed.index.equals(left.index)


def test_cosine_similarity_ignores_position_and_size():
    p = standing(1)[0]
    assert metrics.cosine_similarity(p, p * 2.5 + [300.0, -40.0]) == pytest.approx(1.0)
    bent = p.copy()
    bent[JOINT_INDEX["left_wrist"]] = bent[JOINT_INDEX["left_elbow"]] + [40.0, -30.0]
    assert metrics.cosine_similarity(p, bent) < 1.0
    upside_down = p * [1.0, -1.0]
    assert metrics.cosine_similarity(p, upside_down) < 0
    assert np.isnan(metrics.cosine_similarity(p, np.full((17, 2), np.nan)))
    with pytest.raises(ValueError, match="17, 2"):
        metrics.oks(np.zeros((16, 2)), np.zeros((16, 2)))


def test_dtw_analytic():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    r = metrics.dtw(a, a)
    assert r.distance == 0.0 and r.path.tolist() == [[0, 0], [1, 1], [2, 2], [3, 3]]
    r = metrics.dtw([0, 1, 1, 2], [0, 1, 2])
    assert r.distance == 0.0
    assert r.path[0].tolist() == [0, 0] and r.path[-1].tolist() == [3, 2]
    r = metrics.dtw([0.0, 0.0], [1.0, 1.0, 1.0])
    assert r.distance == pytest.approx(3.0)
    assert r.normalized_distance == pytest.approx(1.0)


def _dtw_reference(a, b):
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = abs(a[i - 1] - b[j - 1]) + min(D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])
    return D[n, m]


def test_dtw_matches_textbook_recursion():
    rng = np.random.default_rng(8)
    for n, m in [(1, 5), (7, 3), (30, 41)]:
        a, b = rng.normal(size=n), rng.normal(size=m)
        assert metrics.dtw(a, b).distance == pytest.approx(_dtw_reference(a, b), rel=1e-9)
        path = metrics.dtw(a, b).path
        steps = np.diff(path, axis=0)
        assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(axis=1) >= 1).all()
        assert sum(abs(a[i] - b[j]) for i, j in path) == pytest.approx(metrics.dtw(a, b).distance)


def test_dtw_time_warped_squat_is_closer_than_another_movement():
    syn = pk.synth.generate("squat", duration_s=6, fps=30, seed=9)
    knee = syn.angles.xs(0, level="object_id")["left_knee"].to_numpy()
    t = np.linspace(0, 1, len(knee))
    warped_t = t**1.3  # the same squat, slower at first then faster
    warped = np.interp(warped_t, t, knee)
    other = syn.angles.xs(0, level="object_id")["left_elbow"].to_numpy()
    arm = pk.synth.generate("arm_raise", duration_s=6, fps=30, seed=9).angles
    arm_knee = arm.xs(0, level="object_id")["right_shoulder"].to_numpy()
    d_warp = metrics.dtw(knee, warped).distance
    assert d_warp < metrics.dtw(knee, other).distance
    assert d_warp < metrics.dtw(knee, arm_knee).distance
    assert d_warp < 0.2 * np.abs(knee - warped).sum()  # alignment removes most of the warp
    banded = metrics.dtw(knee, warped, window_frames=20)
    assert banded.distance >= d_warp - 1e-9
    both = metrics.dtw(syn.angles.xs(0, level="object_id")[["left_knee", "left_hip"]],
                       syn.angles.xs(0, level="object_id")[["left_knee", "left_hip"]])  # fmt: skip
    assert both.distance == 0.0


def test_dtw_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        metrics.dtw([1.0, np.nan], [1.0])
    with pytest.raises(ValueError, match="non-empty"):
        metrics.dtw([], [1.0])
    with pytest.raises(ValueError, match="columns"):
        metrics.dtw(np.zeros((3, 2)), np.zeros((3, 3)))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    a=st.lists(st.floats(-100, 100), min_size=1, max_size=25),
    b=st.lists(st.floats(-100, 100), min_size=1, max_size=25),
)
def test_dtw_properties(a, b):
    ab, ba = metrics.dtw(a, b), metrics.dtw(b, a)
    assert ab.distance == pytest.approx(ba.distance, rel=1e-9, abs=1e-9)
    assert ab.distance == pytest.approx(
        _dtw_reference(np.array(a), np.array(b)), rel=1e-9, abs=1e-6
    )
    assert metrics.dtw(a, a).distance == 0.0
    assert ab.distance <= np.abs(np.array(a)[:, None] - np.array(b)[None, :]).sum() + 1e-9


# -- repetitions only when there are repetitions --------------------------------------------


def test_no_repetitions_in_noise_or_a_still_pose():
    rng = np.random.default_rng(11)
    noisy = pd.Series(170 + rng.normal(0, 3, 600), name="left_knee")  # σ = 3° around 170°
    found = metrics.count_repetitions(noisy, fps=30)
    assert found.count == 0 and found.prominence == pytest.approx(20.0)
    # a 16° wobble is not a repetition of an angle either; 30° ones are
    t = 2 * np.pi * np.arange(600) / 30 / 2.5  # a 2.5 s period: 7 inner minima in 20 s
    wobble = pd.Series(170 - 8 * np.cos(t), name="left_knee")
    assert metrics.count_repetitions(wobble, fps=30).count == 0
    big = metrics.count_repetitions(pd.Series(170 - 15 * np.cos(t), name="left_knee"), fps=30)
    assert big.count == 7 and big.period_cv < 0.01 and big.amplitude_cv < 0.01 and big.note == ""
    # coordinates: 5 % of the image height; unknown units: no floor, said in the note
    y = pd.Series(300 + 10 * np.cos(t), name="y")
    y.attrs = {"height": 720}
    assert metrics.count_repetitions(y, fps=30).count == 0
    bare = metrics.count_repetitions(np.asarray(300 + 10 * np.cos(t)), fps=30)
    assert bare.count == 8 and "no absolute minimum" in bare.note  # minima of +cos
    assert metrics.count_repetitions(np.asarray(300 + 10 * np.cos(t)), fps=30,
                                     min_prominence=25).count == 0  # fmt: skip


def test_repetitions_say_how_regular_they_are():
    t = np.arange(0, 30, 1 / 30)
    # peaks at irregular times: 2 s, 3 s, 7 s, 8 s, 15 s
    x = 170 - 60 * sum(np.exp(-((t - c) ** 2) / 0.05) for c in (2, 3, 7, 8, 15))
    found = metrics.count_repetitions(pd.Series(x, name="left_knee"), fps=30)
    assert found.count == 5
    assert found.period_cv > 0.5 and "irregular" in found.note
    assert found.amplitude_cv < 0.01 and "unequal" not in found.note
    # one lunge: a small bend and a deep one (as Pose2Sim's S01 participant, 24 and 40 deg)
    y = 170 - 25 * np.exp(-((t - 2) ** 2) / 0.1) - 45 * np.exp(-((t - 4) ** 2) / 0.1)
    lunge = metrics.count_repetitions(pd.Series(y, name="left_knee"), fps=30)
    assert lunge.count == 2 and "unequal size" in lunge.note


def test_pose2sim_lunge_is_noted_as_unequal(samples_dir):
    """docs/motion_analysis.md: Pose2Sim's S01 participant lunges once; the left knee's two
    bends (24 and 40 deg) are counted and noted as unequal."""
    kp = pk.load(samples_dir / "pose2sim_s01_cam01_raw.json").keypoints(min_score=0.2)
    knee = angles.joint_angles(kp)["left_knee"].xs(0, level="object_id")
    found = metrics.count_repetitions(knee, fps=60)
    np.testing.assert_allclose(found.reps["prominence"], [24.5, 40.2], atol=1.0)
    assert "unequal size" in found.note
