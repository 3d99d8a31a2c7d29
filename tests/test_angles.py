"""posekit.angles: analytic cases, NaN handling, unwrapping, bad input (synth ground truth below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from posekit import angles
from posekit.schema import JOINT_INDEX, JOINTS
from tests._kpgen import pose, standing, table


def _one(xy, **kw):
    return table(xy, fps=30.0, **kw)


def test_right_angle_is_90_and_straight_is_180():
    xy = np.concatenate(
        [
            pose(1, left_shoulder=(0, 0), left_elbow=(0, 10), left_wrist=(10, 10)),
            pose(1, left_shoulder=(0, 0), left_elbow=(0, 10), left_wrist=(0, 20)),
            pose(1, left_shoulder=(0, 0), left_elbow=(0, 10), left_wrist=(0, 0.5)),
        ]
    )
    kp = _one(xy)
    inner = angles.joint_angles(kp, names=["left_elbow"])["left_elbow"].to_numpy()
    np.testing.assert_allclose(inner[:2], [90.0, 180.0], atol=1e-12)
    assert inner[2] == pytest.approx(0.0, abs=1e-12)
    flex = angles.joint_angles(kp, names="left_elbow", convention="flexion")["left_elbow"]
    np.testing.assert_allclose(flex.to_numpy()[:2], [90.0, 0.0], atol=1e-12)


def test_segment_directions_counter_clockwise_on_screen():
    ends = [(10, 0), (0, -10), (-10, 0), (0, 10), (10, -10), (-10, 10)]
    xy = np.concatenate(
        [pose(1, left_shoulder=(50, 50), left_elbow=(50 + dx, 50 + dy)) for dx, dy in ends]
    )
    seg = angles.segment_angles(_one(xy), names=["left_upper_arm"])["left_upper_arm"].to_numpy()
    np.testing.assert_allclose(seg, [0.0, 90.0, 180.0, -90.0, 45.0, -135.0], atol=1e-12)
    assert seg[2] == 180.0  # (-180, 180]: left is +180, never -180


def test_all_default_angles_match_a_direct_formula():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 500, size=(50, 3, 17, 2))
    kp = table(xy, fps=25.0)
    got = angles.joint_angles(kp)
    seg = angles.segment_angles(kp)

    def pt(name):
        if name.startswith("mid_"):
            a, b = angles.MIDPOINTS[name]
            return (xy[:, :, JOINT_INDEX[a]] + xy[:, :, JOINT_INDEX[b]]) / 2
        return xy[:, :, JOINT_INDEX[name]]

    for d in angles.DEFINITIONS:
        if d.kind == "joint":
            u = pt(d.points[0]) - pt(d.points[1])
            v = pt(d.points[2]) - pt(d.points[1])
            cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
            want = np.degrees(np.arccos(np.clip(cos, -1, 1)))
            col = got[d.name]
        elif d.kind == "segment":
            dv = pt(d.points[1]) - pt(d.points[0])
            want = np.degrees(np.arctan2(-dv[..., 1], dv[..., 0]))
            col = seg[d.name]
        else:
            dv = pt(d.points[1]) - pt(d.points[0])
            want = np.degrees(np.arccos(-dv[..., 1] / np.linalg.norm(dv, axis=-1)))
            col = got[d.name]
        np.testing.assert_allclose(col.to_numpy(), want.ravel(), atol=1e-7, err_msg=d.name)
    assert ((got.drop(columns="time") >= 0) & (got.drop(columns="time") <= 180)).all().all()
    assert ((seg.drop(columns="time") > -180) & (seg.drop(columns="time") <= 180)).all().all()


def test_layout_attrs_and_time():
    xy = np.repeat(standing(4)[:, None], 2, axis=1)
    kp = table(xy, fps=20.0, frames=[3, 4, 5, 9], object_ids=[7, 11])
    kp.attrs["width"] = 640
    out = angles.joint_angles(kp)
    assert list(out.index.names) == ["frame", "object_id"]
    assert out.index.tolist() == [(f, o) for f in (3, 4, 5, 9) for o in (7, 11)]
    assert list(out.columns) == [*angles.JOINT_ANGLES, "time"]
    np.testing.assert_allclose(out["time"].to_numpy(), np.repeat([3, 4, 5, 9], 2) / 20.0)
    assert out.attrs["fps"] == 20.0 and out.attrs["width"] == 640
    assert out.attrs["history"][-1].startswith("angles.joint_angles(")
    assert "convention='inner'" in out.attrs["history"][-1]
    assert kp.attrs.get("history") == []  # input untouched
    # an upright person: straight knees, straight trunk, upright trunk
    assert out["left_knee"].iloc[0] == pytest.approx(180.0, abs=1e-12)
    assert out["trunk_inclination"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert out["trunk_thigh"].iloc[0] == pytest.approx(180.0, abs=1e-12)
    assert out["neck"].iloc[0] == pytest.approx(180.0, abs=1e-12)
    seg = angles.segment_angles(kp)
    assert seg["trunk"].iloc[0] == pytest.approx(90.0)
    assert seg["shoulder_line"].iloc[0] == pytest.approx(0.0)  # right→left shoulder points right
    assert seg["left_shank"].iloc[0] == pytest.approx(-90 + np.degrees(np.arctan2(1, 70)))


def test_nans_stay_where_they_were():
    xy = standing(10)
    xy[3, JOINT_INDEX["left_wrist"]] = np.nan
    xy[6, JOINT_INDEX["left_hip"], 0] = np.nan
    xy[8, JOINT_INDEX["left_shoulder"]] = xy[8, JOINT_INDEX["left_elbow"]]  # zero-length arm
    out = angles.joint_angles(table(xy))
    assert np.flatnonzero(out["left_elbow"].isna()).tolist() == [3, 8]
    assert np.flatnonzero(out["left_knee"].isna()).tolist() == [6]
    assert np.flatnonzero(out["left_hip"].isna()).tolist() == [6]
    assert np.flatnonzero(out["trunk_inclination"].isna()).tolist() == [6]  # mid_hip needs both
    assert out["right_elbow"].notna().all()


def test_incomplete_table_slow_path_matches_fast_path():
    kp = table(np.random.default_rng(2).uniform(0, 100, (20, 2, 17, 2)))
    fast = angles.joint_angles(kp)
    slow = angles.joint_angles(kp.iloc[::-1])  # reversed rows: not 17-row blocks in order
    pd.testing.assert_frame_equal(fast, slow.sort_index(), check_exact=False, rtol=1e-12)
    dropped = kp.drop(index=(4, 1, "right_knee"))
    out = angles.joint_angles(dropped)
    assert out.loc[(4, 1), "right_knee"] != out.loc[(4, 1), "right_knee"]  # NaN
    assert out.loc[(4, 0), "right_knee"] == pytest.approx(fast.loc[(4, 0), "right_knee"])


def test_unwrap_across_180():
    theta = np.radians(np.arange(150.0, 230.0, 4.0))  # on-screen direction, crosses 180
    xy = pose(len(theta), left_elbow=(0, 0))
    xy[:, JOINT_INDEX["left_wrist"], 0] = 10 * np.cos(theta)
    xy[:, JOINT_INDEX["left_wrist"], 1] = -10 * np.sin(theta)
    xy[7, JOINT_INDEX["left_wrist"]] = np.nan
    kp = table(xy)
    raw = angles.segment_angles(kp, names=["left_forearm"])["left_forearm"].to_numpy()
    assert np.nanmin(raw) < -130 and np.nanmax(raw) <= 180
    un = angles.segment_angles(kp, names=["left_forearm"], unwrap=True)["left_forearm"].to_numpy()
    want = np.degrees(theta)
    want[7] = np.nan
    np.testing.assert_allclose(un, want, atol=1e-9)
    assert np.isnan(un[7])


def test_unwrap_degrees_matches_numpy_without_nans():
    rng = np.random.default_rng(3)
    a = np.degrees(np.angle(np.exp(1j * np.cumsum(rng.normal(0, 1, (200, 3)), axis=0))))
    np.testing.assert_allclose(
        angles.unwrap_degrees(a), np.unwrap(a, period=360, axis=0), atol=1e-9
    )


def test_custom_angles_and_angle():
    xy = pose(2, left_hip=(0, 0), right_hip=(20, 0), left_wrist=(10, -10), nose=(10, 10))
    kp = table(xy)
    out = angles.custom_angles(
        kp, {"a": ("left_wrist", "mid_hip", "nose"), "s": ("mid_hip", "left_wrist")}
    )
    assert out["a"].tolist() == [180.0, 180.0]
    assert out["s"].to_numpy() == pytest.approx([90.0, 90.0])
    s = angles.angle(kp, "left_hip", "mid_hip", "left_wrist")
    assert s.name == "left_hip-mid_hip-left_wrist"
    assert s.to_numpy() == pytest.approx([90.0, 90.0])
    assert s.attrs["fps"] == 30.0
    flex = angles.angle(kp, "left_hip", "mid_hip", "left_wrist", convention="flexion")
    assert flex.to_numpy() == pytest.approx([90.0, 90.0])


def test_describe_and_definitions():
    table_ = angles.describe()
    names = [d.name for d in angles.DEFINITIONS]
    assert len(set(names)) == len(names)
    assert table_.index.tolist() == names
    assert set(table_["kind"]) == {"joint", "segment", "inclination"}
    for side in ("left", "right"):
        for j in ("elbow", "shoulder", "hip", "knee"):
            assert f"{side}_{j}" in angles.JOINT_ANGLES
        for s in ("upper_arm", "forearm", "thigh", "shank"):
            assert f"{side}_{s}" in angles.SEGMENT_ANGLES
    with pytest.raises(AttributeError):
        angles.DEFINITIONS[0].name = "x"  # type: ignore[misc]


def test_bad_input():
    kp = table(standing(3))
    with pytest.raises(ValueError, match=r"unknown angle name.*left_knee"):
        angles.joint_angles(kp, names=["left_kneee"])
    with pytest.raises(ValueError, match="unknown angle name"):
        angles.segment_angles(kp, names=["left_elbow"])  # a joint angle, not a segment
    with pytest.raises(ValueError, match="convention"):
        angles.joint_angles(kp, convention="outer")  # type: ignore[arg-type]
    no_wrist = kp[kp.index.get_level_values("joint") != "left_wrist"]
    with pytest.raises(ValueError, match=r"left_elbow.*left_wrist"):
        angles.joint_angles(no_wrist)
    assert angles.joint_angles(no_wrist, names=["right_elbow"])["right_elbow"].notna().all()
    with pytest.raises(ValueError, match=r"unknown point name.*mid_hip"):
        angles.custom_angles(kp, {"x": ("nose", "mid_hips", "left_knee")})
    with pytest.raises(ValueError, match="2 or 3"):
        angles.custom_angles(kp, {"x": ("nose", "left_hip", "left_knee", "left_ankle")})
    with pytest.raises(ValueError, match=r"\(frame, object_id, joint\)"):
        angles.joint_angles(kp.reset_index())
    with pytest.raises(ValueError, match="column"):
        angles.joint_angles(kp.drop(columns="y"))
    assert set(JOINTS) <= set(angles.POINTS)


# -- against posekit.synth ground truth ------------------------------------------------------


@pytest.mark.parametrize("activity", ["squat", "walk", "arm_raise"])
def test_noise_free_angles_match_synth_truth(activity):
    import posekit as pk

    syn = pk.synth.generate(activity, duration_s=6, fps=30, n_people=2, seed=3)
    cols = list(syn.angles.columns)
    got = angles.joint_angles(syn.truth)[cols]
    assert got.index.equals(syn.angles.index)
    assert float((got - syn.angles).abs().max().max()) < 0.01
    # what an estimator reports without noise (coordinates rounded to 0.01 px) is as close
    seen = angles.joint_angles(syn.result.keypoints())[cols]
    assert float((seen - syn.angles).abs().max().max()) < 0.05
    flex = angles.joint_angles(syn.truth, names=cols, convention="flexion")[cols]
    # shoulders: 0 = arm along the trunk, so flexion is the inner angle itself
    neutral = [0.0 if c.endswith("shoulder") else 180.0 for c in cols]
    assert float((flex - (neutral - syn.angles).abs()).abs().max().max()) < 0.01


def test_noisy_missing_frames_keep_alignment():
    import posekit as pk

    syn = pk.synth.generate("squat", duration_s=6, fps=30, noise_px=1.0, missing_frames=0.1, seed=4)
    got = angles.joint_angles(syn.result.keypoints())["left_knee"]
    truth = syn.angles["left_knee"].loc[got.index]
    assert len(got) < len(syn.angles)  # some frames are missing
    assert float((got - truth).abs().median()) < 2.0


# -- properties -------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    rot=st.floats(-180, 180),
    scale=st.floats(0.2, 5.0),
    shift=st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
)
def test_angles_under_similarity_transforms(seed, rot, scale, shift):
    """Joint angles do not change under rotation, scaling and translation; segment angles turn
    by the rotation (counter-clockwise on screen)."""
    xy = np.random.default_rng(seed).uniform(0, 400, (3, 17, 2))
    th = np.radians(rot)
    # counter-clockwise on screen = clockwise in (x, y-down) coordinates
    r = np.array([[np.cos(th), np.sin(th)], [-np.sin(th), np.cos(th)]])
    moved = xy @ r.T * scale + np.asarray(shift)
    a0 = angles.joint_angles(table(xy))
    a1 = angles.joint_angles(table(moved))
    np.testing.assert_allclose(a1.drop(columns=["time", "trunk_inclination"]),
                               a0.drop(columns=["time", "trunk_inclination"]), atol=1e-6)  # fmt: skip
    s0 = angles.segment_angles(table(xy)).drop(columns="time").to_numpy()
    s1 = angles.segment_angles(table(moved)).drop(columns="time").to_numpy()
    turn = np.mod(s1 - s0 - rot + 180.0, 360.0) - 180.0
    np.testing.assert_allclose(np.minimum(np.abs(turn), 360 - np.abs(turn)), 0.0, atol=1e-6)
