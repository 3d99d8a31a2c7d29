"""posekit.kinematics: analytic motion, NaN bookkeeping, units, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from posekit import angles, kinematics
from posekit.schema import JOINT_INDEX
from tests._kpgen import standing, table


def _moving(n=40, n_obj=2, fps=30.0, vel=(3.0, -2.0), acc=(0.0, 0.0)):
    """Every joint moves with constant velocity/acceleration in px per frame (per frame²)."""
    f = np.arange(n, dtype=float)[:, None, None, None]
    base = np.repeat(standing(1)[None], n_obj, axis=1)  # (1, O, 17, 2)
    base = base + np.arange(n_obj)[None, :, None, None] * 300.0
    xy = base + f * np.asarray(vel) + 0.5 * f**2 * np.asarray(acc)
    return table(xy, fps=fps)


def test_uniform_motion_constant_velocity_zero_acceleration():
    kp = _moving(vel=(3.0, -2.0))
    vel = kinematics.velocity(kp)
    inner = vel.drop(index=[0, 39], level="frame")
    np.testing.assert_allclose(inner["vx"], 90.0, atol=1e-9)
    np.testing.assert_allclose(inner["vy"], -60.0, atol=1e-9)
    assert vel.loc[[0, 39], ["vx", "vy"]].isna().all().all()  # ends have no central difference
    acc = kinematics.acceleration(kp)
    np.testing.assert_allclose(acc.drop(index=[0, 39], level="frame")[["ax", "ay"]], 0.0, atol=1e-9)
    jk = kinematics.jerk(kp)
    assert jk[["jx", "jy"]].notna().sum().tolist() == [2 * 17 * 36] * 2
    np.testing.assert_allclose(jk[["jx", "jy"]].dropna(), 0.0, atol=1e-6)
    spd = kinematics.speed(kp)
    np.testing.assert_allclose(spd["speed"].dropna(), np.hypot(90, 60), rtol=1e-12)
    for out in (vel, acc, jk, spd):
        assert out.index.equals(kp.index)
        np.testing.assert_array_equal(out["time"], kp["time"])
    assert vel.attrs["units"] == {"vx": "px/s", "vy": "px/s", "time": "s"}
    assert acc.attrs["units"]["ax"] == "px/s²"
    assert kp.attrs["history"] == []


def test_constant_acceleration_central_and_savgol():
    kp = _moving(vel=(1.0, 0.0), acc=(0.5, -1.0), fps=10.0)
    acc = kinematics.acceleration(kp)
    np.testing.assert_allclose(acc["ax"].dropna(), 50.0, rtol=1e-9)
    np.testing.assert_allclose(acc["ay"].dropna(), -100.0, rtol=1e-9)
    f = kp.index.get_level_values("frame").to_numpy()
    vel = kinematics.velocity(kp, method="savgol", window_frames=7)
    ok = (f >= 3) & (f <= 36)
    np.testing.assert_allclose(vel["vx"][ok], (1.0 + 0.5 * f[ok]) * 10.0, rtol=1e-9)
    assert vel["vx"][~ok].isna().all()
    acc_sg = kinematics.acceleration(kp, method="savgol", window_frames=5)
    np.testing.assert_allclose(acc_sg["ay"].dropna(), -100.0, rtol=1e-9)
    assert acc_sg["ay"].notna().sum() == 2 * 17 * 36


def test_known_nan_count_in_gives_known_count_out():
    kp = _moving(n=30, n_obj=1)
    kp.loc[(10, 0, "left_wrist"), "x"] = np.nan
    kp.loc[(20, 0, "left_wrist"), ["x", "y"]] = np.nan
    vel = kinematics.velocity(kp)
    w = vel.xs("left_wrist", level="joint")
    # ends (2) + each isolated NaN blanks itself and its two neighbours (3 each)
    assert w["vx"].isna().sum() == 2 + 3 + 3
    assert w["vy"].isna().sum() == 2 + 3
    assert np.flatnonzero(w["vx"].isna()).tolist() == [0, 9, 10, 11, 19, 20, 21, 29]
    other = vel.xs("right_wrist", level="joint")
    assert other["vx"].isna().sum() == 2
    acc = kinematics.acceleration(kp).xs("left_wrist", level="joint")
    assert acc["ax"].isna().sum() == 8
    sg = kinematics.velocity(kp, method="savgol", window_frames=5).xs("left_wrist", level="joint")
    assert sg["vx"].isna().sum() == 4 + 5 + 5  # half-window at each end, window around each NaN


def test_missing_frames_are_gaps_in_time():
    kp = _moving(n=20, n_obj=1, vel=(2.0, 0.0))
    kp = kp.drop(index=10, level="frame")
    vel = kinematics.velocity(kp)
    assert len(vel) == len(kp)
    vx = vel["vx"].xs("nose", level="joint")
    assert vx.index.get_level_values("frame").tolist() == [f for f in range(20) if f != 10]
    assert vx.loc[[9, 11]].isna().all()
    np.testing.assert_allclose(vx.drop(index=[0, 9, 11, 19], level="frame"), 60.0)


def test_objects_are_independent():
    kp = _moving(n=10, n_obj=3)
    vel = kinematics.velocity(kp)
    one = kinematics.velocity(kp.xs(1, level="object_id", drop_level=False))
    pd.testing.assert_frame_equal(vel.xs(1, level="object_id"), one.xs(1, level="object_id"))


def test_torso_normalisation():
    kp = _moving(n=10, n_obj=2, vel=(5.0, 0.0))
    torso = kinematics.torso_length(kp)
    assert torso.tolist() == pytest.approx(
        [100.0, 100.0]
    )  # mid_shoulder (100, 80) – mid_hip (100, 180)
    vel = kinematics.velocity(kp, normalize="torso")
    assert vel.attrs["units"]["vx"] == "torso/s"
    np.testing.assert_allclose(vel["vx"].dropna(), 150.0 / 100.0)
    xy = standing(4)
    xy[:, [JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]]] = np.nan
    with pytest.raises(ValueError, match="torso"):
        kinematics.velocity(table(xy), normalize="torso")


def test_displacement_and_path_length():
    n = 11
    xy = standing(n)
    xy[:, JOINT_INDEX["right_wrist"]] = np.column_stack([3.0 * np.arange(n), 4.0 * np.arange(n)])
    xy[5, JOINT_INDEX["left_wrist"]] = np.nan
    kp = table(xy)
    disp = kinematics.displacement(kp).xs("right_wrist", level="joint")
    assert np.isnan(disp["dx"].iloc[0])
    np.testing.assert_allclose(disp[["dx", "dy"]].iloc[1:], [[3.0, 4.0]] * (n - 1))
    pl = kinematics.path_length(kp)
    assert pl.loc[(0, "right_wrist"), "path_length"] == pytest.approx(50.0)
    assert pl.loc[(0, "right_wrist"), "n_steps"] == 10
    assert pl.loc[(0, "left_wrist"), "n_steps"] == 8  # the steps into and out of the NaN
    assert pl.loc[(0, "nose"), "path_length"] == 0.0
    assert list(pl.index.names) == ["object_id", "joint"]


def test_angular_velocity():
    n = 40
    theta = np.radians(150.0 + 2.0 * np.arange(n))  # 2 deg/frame, crosses 180
    xy = standing(n)
    xy[:, JOINT_INDEX["left_wrist"]] = xy[:, JOINT_INDEX["left_elbow"]] + 40 * np.column_stack(
        [np.cos(theta), -np.sin(theta)]
    )
    kp = table(xy, fps=25.0)
    seg = angles.segment_angles(kp, names=["left_forearm"])
    w = kinematics.angular_velocity(seg)
    np.testing.assert_allclose(w["left_forearm"].dropna(), 50.0, rtol=1e-9)
    assert w["left_forearm"].isna().sum() == 2
    assert set(w.attrs["units"].values()) == {"deg/s", "s"}
    jumpy = kinematics.angular_velocity(seg, unwrap=False)["left_forearm"]
    assert jumpy.abs().max() > 1000
    series = kinematics.angular_velocity(seg["left_forearm"])
    np.testing.assert_allclose(series["left_forearm"].dropna(), 50.0, rtol=1e-9)


def test_trajectory():
    kp = _moving(n=5, n_obj=2, vel=(1.0, 0.0))
    tr = kinematics.trajectory(kp)
    assert list(tr.columns) == ["x", "y", "time"]
    assert tr.loc[(2, 1)].tolist() == pytest.approx([402.0, 480.0, 2 / 30])
    one = kinematics.trajectory(kp, joint="right_wrist", object_id=1)
    assert one.index.get_level_values("object_id").unique().tolist() == [1]
    assert one["x"].tolist() == pytest.approx([372.0 + f for f in range(5)])


def test_bad_input():
    kp = table(standing(10), fps=None)
    with pytest.raises(ValueError, match="fps"):
        kinematics.velocity(kp)
    assert kinematics.velocity(kp, fps=10.0).attrs["fps"] == 10.0
    assert kinematics.displacement(kp)["dx"].notna().any()
    with pytest.raises(ValueError, match="window"):
        kinematics.velocity(kp, fps=10.0, method="savgol", window_frames=4)
    with pytest.raises(ValueError, match="shorter than window"):
        kinematics.velocity(kp, fps=10.0, method="savgol", window_frames=11)
    with pytest.raises(ValueError, match="polyorder"):
        kinematics.acceleration(kp, fps=10.0, method="savgol", polyorder=1)
    with pytest.raises(ValueError, match="method"):
        kinematics.velocity(kp, fps=10.0, method="spline")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="normalize"):
        kinematics.velocity(kp, fps=10.0, normalize="height")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown point.*mid_hip"):
        kinematics.trajectory(kp, joint="pelvis")
    with pytest.raises(ValueError, match="object_id 9"):
        kinematics.trajectory(kp, object_id=9)
    no_hips = kp[~kp.index.get_level_values("joint").isin(["left_hip", "right_hip"])]
    with pytest.raises(ValueError, match=r"left_hip"):
        kinematics.trajectory(no_hips)
    with pytest.raises(ValueError, match="fps"):
        kinematics.angular_velocity(angles.joint_angles(kp))


def test_walker_pelvis_velocity_matches_synth_speed():
    import posekit as pk

    syn = pk.synth.generate("walk", duration_s=8, fps=30, n_people=2, seed=1)
    tr = kinematics.trajectory(syn.truth)
    assert list(tr.columns) == ["x", "y", "time"]
    for oid, info in syn.params["people"].items():
        x = tr.xs(oid, level="object_id")["x"].to_numpy()
        mean_vx = (x[-1] - x[0]) / (len(x) - 1) * 30.0
        assert mean_vx == pytest.approx(info["facing"] * info["speed_px_s"], rel=1e-6)
    vel = kinematics.velocity(syn.truth)
    ankle = vel.xs("left_ankle", level="joint").xs(0, level="object_id")
    assert float(ankle["vx"].abs().max()) > 2 * syn.params["people"][0]["speed_px_s"]  # swing


def test_savgol_velocity_is_closer_to_truth_on_noisy_data():
    import posekit as pk

    syn = pk.synth.generate("squat", duration_s=8, fps=30, noise_px=2.0, seed=2)
    true_v = kinematics.velocity(syn.truth)["vy"]
    seen = syn.result.keypoints()
    raw = kinematics.velocity(seen)["vy"]
    sg = kinematics.velocity(seen, method="savgol", window_frames=9, polyorder=2)["vy"]
    err_raw = float(np.sqrt(((raw - true_v) ** 2).mean()))
    err_sg = float(np.sqrt(((sg - true_v) ** 2).mean()))
    assert err_sg < 0.5 * err_raw


def test_regular_and_general_paths_agree_and_input_is_untouched():
    rng = np.random.default_rng(5)
    kp = table(rng.uniform(0, 500, (30, 3, 17, 2)), fps=30.0)
    before = kp.copy()
    for fn in (kinematics.velocity, kinematics.acceleration, kinematics.jerk, kinematics.speed):
        fast = fn(kp)
        slow = fn(kp.iloc[::-1]).sort_index()  # reversed rows take the general path
        pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
    kinematics.velocity(kp, normalize="torso")
    kinematics.displacement(kp)
    pd.testing.assert_frame_equal(kp, before)
