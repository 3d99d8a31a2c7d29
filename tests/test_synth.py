"""posekit.synth: ground truth that is exact, Kakao-format output, imperfections as asked."""

from __future__ import annotations

import time

import msgspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import find_peaks

import posekit as pk
from posekit.schema import JOINT_INDEX, JOINTS, default_category
from posekit.synth import ACTIVITIES, ANGLE_COLUMNS, ANGLE_DEFINITIONS, generate
from posekit.tidy import JOINT_DTYPE

_CACHE: dict[tuple, pk.synth.Synth] = {}


def sim(activity: str = "squat", **kw) -> pk.synth.Synth:
    key = (activity, *sorted(kw.items()))
    if key not in _CACHE:
        _CACHE[key] = generate(activity, **kw)
    return _CACHE[key]


def dense_xy(kp: pd.DataFrame) -> np.ndarray:
    return pk.tidy.to_dense(kp, ("x", "y")).values


def inner_angles_from_xy(xy: np.ndarray) -> dict[str, np.ndarray]:
    """Plain vector maths: the angle at joint b between b->a and b->c, degrees."""
    out = {}
    for name, (a, b, c) in ANGLE_DEFINITIONS.items():
        v1 = xy[..., JOINT_INDEX[a], :] - xy[..., JOINT_INDEX[b], :]
        v2 = xy[..., JOINT_INDEX[c], :] - xy[..., JOINT_INDEX[b], :]
        cos = (v1 * v2).sum(-1) / np.linalg.norm(v1, axis=-1) / np.linalg.norm(v2, axis=-1)
        out[name] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return out


# -- determinism and format ----------------------------------------------------------------------


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_same_seed_same_bytes_other_seed_other_bytes(activity):
    kw = dict(duration_s=3.0, noise_px=2.0, dropout=0.1, missing_frames=0.1, n_people=2)
    a = generate(activity, seed=7, **kw)
    b = generate(activity, seed=7, **kw)
    c = generate(activity, seed=8, **kw)
    assert a.result.to_json() == b.result.to_json()
    pd.testing.assert_frame_equal(a.truth, b.truth)
    pd.testing.assert_frame_equal(a.angles, b.angles)
    assert a.params == b.params
    assert a.result.to_json() != c.result.to_json()


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_result_is_valid_kakao_job_and_round_trips(activity):
    s = sim(activity, noise_px=1.5, dropout=0.05, missing_frames=0.05, n_people=2)
    doc = msgspec.json.decode(s.result.to_json())
    assert doc["status"] == "success"
    assert set(doc) == {"status", "job_id", "annotations", "categories", "info", "video"}
    assert doc["video"] == {"fps": 30.0, "frames": 300, "width": 1280, "height": 720}
    assert doc["categories"] == msgspec.to_builtins([default_category()])
    assert [a["frame_num"] for a in doc["annotations"]] == list(range(300))
    for ann in doc["annotations"]:
        ids = [o["object_id"] for o in ann["objects"]]
        assert ids == sorted(set(ids))
        for o in ann["objects"]:
            assert set(o) == {"area", "bbox", "category_id", "keypoints", "object_id", "score"}
            assert o["category_id"] == 1 and len(o["keypoints"]) == 51 and len(o["bbox"]) == 4
            assert 0.0 <= o["score"] <= 1.0
    back = pk.load(s.result.to_json())
    assert back.kind == "video" and back.job_id == s.params["job_id"]
    pd.testing.assert_frame_equal(back.keypoints(), s.result.keypoints(), check_like=False)
    assert back.to_json() == s.result.to_json()


def test_bbox_and_area_follow_kakaos_rule():
    s = sim("walk", noise_px=2.0, dropout=0.1, n_people=2)
    flat = pk.io.flatten(pk.load(s.result.to_json()))
    xy = flat.keypoints[..., :2]
    lo, hi = xy.min(axis=1), xy.max(axis=1)
    np.testing.assert_array_equal(flat.bbox[:, :2], lo)
    np.testing.assert_array_equal(flat.bbox[:, 2:], hi - lo + 1.0)
    np.testing.assert_array_equal(flat.area, flat.bbox[:, 2] * flat.bbox[:, 3])
    k = flat.keypoints
    assert (k[..., 0] >= 0).all() and (k[..., 0] <= 1279).all()
    assert (k[..., 1] >= 0).all() and (k[..., 1] <= 719).all()


def test_truth_table_layout():
    s = sim("squat", n_people=2)
    t = s.truth
    assert list(t.index.names) == ["frame", "object_id", "joint"]
    assert t.index.get_level_values("joint").dtype == JOINT_DTYPE
    assert list(t.columns) == ["x", "y", "score", "time"]
    assert len(t) == 300 * 2 * 17 and (t["score"] == 1.0).all()
    frame = t.index.get_level_values("frame").to_numpy()
    np.testing.assert_allclose(t["time"].to_numpy(), frame / 30.0)
    assert t.attrs["fps"] == 30.0 and t.attrs["width"] == 1280 and t.attrs["height"] == 720
    assert list(s.angles.columns) == list(ANGLE_COLUMNS)
    assert list(s.angles.index.names) == ["frame", "object_id"] and len(s.angles) == 600


# -- ground truth --------------------------------------------------------------------------------


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_angles_equal_vector_maths_on_truth_coordinates(activity):
    s = sim(activity, n_people=2)
    got = inner_angles_from_xy(dense_xy(s.truth))
    for name in ANGLE_COLUMNS:
        truth = s.angles[name].to_numpy().reshape(300, 2)
        np.testing.assert_allclose(got[name], truth, atol=1e-6, rtol=0, err_msg=name)
        assert ((truth >= 0) & (truth <= 180)).all()


def test_squat_ranges_and_repetitions_match_params():
    s = sim("squat", duration_s=20.0)
    knee = s.angles["left_knee"].to_numpy()
    flexion = 180.0 - knee
    assert 85 < flexion.max() < 110 and flexion.min() < 5  # ~0 to ~100 degrees
    peaks, _ = find_peaks(flexion, prominence=40)
    p = s.params
    assert len(peaks) == p["n_reps"] == 7  # (20 s - 0.5 s lead-in) * 0.4 Hz
    np.testing.assert_allclose(peaks / 30.0, p["rep_times_s"], atol=1.0 / 30)
    np.testing.assert_allclose(flexion[peaks], p["rep_depth_deg"], atol=0.1)
    # ankles stay on the floor, in place
    ankle = s.truth.xs("left_ankle", level="joint")
    assert np.ptp(ankle["x"]) < 1e-9 and np.ptp(ankle["y"]) < 1e-9


def test_arm_raise_repetitions_and_asymmetry():
    s = sim("arm_raise", duration_s=15.0, rate_hz=0.25)
    p = s.params
    for side in ("left", "right"):
        sh = s.angles[f"{side}_shoulder"].to_numpy()
        peaks, _ = find_peaks(sh, prominence=60)
        assert len(peaks) == p["n_reps"] == 3
        np.testing.assert_allclose(peaks / 30.0, p["rep_times_s"], atol=1.0 / 30)
        assert 140 < sh.max() < 180 and sh.min() < 25
    assert s.angles["left_shoulder"].max() < s.angles["right_shoulder"].max()


def test_walk_step_rate_and_heel_strikes():
    s = sim("walk", duration_s=20.0, rate_hz=2.0)
    p = s.params
    assert p["step_rate_hz"] == 2.0 and p["cadence_spm"] == 120.0 and p["stride_rate_hz"] == 1.0
    knee = 180.0 - s.angles["left_knee"].to_numpy()
    assert 50 < knee.max() < 75 and knee.min() < 10
    # one swing-phase knee peak per stride
    peaks, _ = find_peaks(knee, prominence=30)
    assert len(peaks) == pytest.approx(20.0 * p["stride_rate_hz"], abs=1)
    # heel strike: the ankle is furthest in front of the pelvis (within ~5 % of a cycle)
    kp = s.truth
    for side in ("left", "right"):
        ankle = kp.xs(f"{side}_ankle", level="joint")["x"].to_numpy()
        hips = kp.xs("left_hip", level="joint")["x"] + kp.xs("right_hip", level="joint")["x"]
        rel = ankle - hips.to_numpy() / 2
        front, _ = find_peaks(rel, prominence=0.1 * p["person_height_px"])
        hs = np.asarray(p["heel_strike_times_s"][side])
        hs = hs[(hs > 0.1) & (hs < 19.9)]
        found = front / 30.0
        assert len(found) == len(hs)
        assert np.abs(found - hs).max() < 0.05
    # the walker moves across the image, facing its direction of travel
    pelvis = kp.xs("left_hip", level="joint")["x"].to_numpy()
    assert pelvis[-1] - pelvis[0] > 100 and p["speed_px_s"] > 0


# -- imperfections -------------------------------------------------------------------------------


@pytest.mark.parametrize("noise_px", [1.0, 4.0])
def test_noise_has_the_requested_spread(noise_px):
    s = sim("walk", noise_px=noise_px, duration_s=20.0)
    diff = (s.result.keypoints()[["x", "y"]] - s.truth[["x", "y"]]).to_numpy().ravel()
    assert np.std(diff) == pytest.approx(noise_px, rel=0.1)
    assert abs(np.mean(diff)) < 0.1 * noise_px


def test_noise_free_result_equals_truth_to_rounding():
    s = sim("arm_raise")
    diff = (s.result.keypoints()[["x", "y"]] - s.truth[["x", "y"]]).to_numpy()
    assert np.abs(diff).max() <= 0.005 + 1e-9


def test_dropouts_in_proportion_with_low_scores_and_junk_coordinates():
    s = sim("squat", dropout=0.1, noise_px=1.0, missing_frames=0.1, n_people=2)
    kp = s.result.keypoints(undetected="keep")  # the made-up coordinates, as the result has them
    dropped = s.dropped
    assert dropped.index.equals(kp.index)
    assert dropped.sum() == round(0.1 * len(kp)) == s.params["n_dropped"]
    score = kp["score"]
    assert (score[dropped] < 0.05).all() and (score[dropped] == 0).mean() == pytest.approx(
        0.5, abs=0.1
    )
    assert (score[~dropped] >= 0.35).all() and (score[~dropped] <= 0.99).all()
    # made-up coordinates: far from the true joint, while good joints stay within noise
    err = np.hypot(*(kp[["x", "y"]] - s.truth[["x", "y"]].loc[kp.index]).to_numpy().T)
    assert np.median(err[dropped.to_numpy()]) > 20 and err[~dropped.to_numpy()].max() < 10
    # a confidence threshold of 0.2 (Kakao's sample) removes exactly the dropouts
    masked = s.result.keypoints(min_score=0.2)
    assert masked["x"].isna().to_numpy().tolist() == dropped.to_numpy().tolist()
    # by default only the score-0 half of the dropouts lose their coordinates
    default = s.result.keypoints()
    assert default["x"].isna().to_numpy().tolist() == (score == 0).to_numpy().tolist()


def test_dropouts_come_in_runs_and_hit_extremities_more():
    s = sim("walk", dropout=0.1, n_people=2, duration_s=20.0)
    d = s.dropped.unstack("joint")
    rate = d.mean()
    assert rate["left_wrist"] > 2 * rate["nose"] and rate["right_ankle"] > 2 * rate["nose"]
    # far side (person 0 faces right: its left side) drops out more than the near side
    p0 = d.xs(0, level="object_id")
    left = p0[[j for j in JOINTS if j.startswith("left_")]].to_numpy().mean()
    right = p0[[j for j in JOINTS if j.startswith("right_")]].to_numpy().mean()
    assert left > 1.3 * right
    runs = []
    for col in d.columns:
        x = d.xs(0, level="object_id")[col].to_numpy().astype(int)
        starts = np.flatnonzero(np.diff(np.r_[0, x]) == 1)
        if len(starts):
            runs.append(x.sum() / len(starts))
    assert 2.0 < np.mean(runs) < 5.0  # mean run length ~3 frames


def test_missing_frames_in_proportion_and_in_runs():
    s = sim("walk", missing_frames=0.2, n_people=2, duration_s=20.0)
    det = s.detected.unstack("object_id")
    assert (~det).sum().tolist() == [120, 120]  # 20 % of 600 frames per person
    kp = s.result.keypoints()
    pairs = kp.index.droplevel("joint").unique()
    assert set(pairs) == set(s.detected[s.detected].index)
    for oid in (0, 1):
        miss = ~det[oid].to_numpy()
        starts = np.flatnonzero(np.diff(np.r_[0, miss.astype(int)]) == 1)
        assert 5 < len(starts) < 120  # runs, not isolated frames
    assert not det[0].equals(det[1])


def test_two_people_are_distinct():
    s = sim("walk", n_people=2)
    assert s.params["object_ids"] == [0, 1]
    assert sorted(s.result.keypoints().index.get_level_values("object_id").unique()) == [0, 1]
    x = s.truth["x"].unstack("object_id")
    assert (x[0] < 640).all() and (x[1] > 640).all()  # each in its half of the image
    people = s.params["people"]
    assert people[0]["height_px"] != people[1]["height_px"]
    assert people[0]["facing"] == -people[1]["facing"]
    assert people[0]["heel_strike_times_s"] != people[1]["heel_strike_times_s"]
    sq = sim("squat", n_people=2)
    assert sq.params["people"][0]["rep_times_s"][0] != sq.params["people"][1]["rep_times_s"][0]


def test_walk_through_goes_in_and_out_of_view_and_people_cross():
    s = sim("walk", walk_path="through", n_people=2, duration_s=30.0)
    t = s.truth
    inside = (
        (t["x"].between(0, 1279) & t["y"].between(0, 719))
        .groupby(level=["frame", "object_id"])
        .all()
    )
    assert s.detected.equals(inside.rename("detected"))  # detected exactly when fully in view
    assert 0.6 < s.detected.mean() < 0.85
    for oid in (0, 1):
        p = s.params["people"][oid]
        assert p["facing"] == "changes"
        assert p["speed_px_s"] == p["natural_speed_px_s"] > 200
    x = t.xs("left_hip", level="joint")["x"].unstack("object_id")
    order = np.sign(x[0] - x[1]).to_numpy()
    assert (np.diff(order) != 0).sum() >= 2  # they pass each other
    # angles stay exact through the turns (the figure is mirrored out of view)
    got = inner_angles_from_xy(dense_xy(t))
    for name in ANGLE_COLUMNS:
        np.testing.assert_allclose(
            got[name], s.angles[name].to_numpy().reshape(-1, 2), atol=1e-6, rtol=0
        )


@pytest.mark.parametrize(
    "kw",
    [
        {"activity": "jump"},
        {"walk_path": "around"},
        {"duration_s": -1},
        {"fps": 0},
        {"n_people": 0},
        {"noise_px": -1},
        {"dropout": 1.5},
        {"missing_frames": float("nan")},
        {"rate_hz": 0},
    ],
)
def test_bad_arguments_raise_value_error(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        generate(**kw)


def test_people_stay_in_view():
    for activity in ACTIVITIES:
        s = sim(activity, n_people=2)
        t = s.truth
        assert t["x"].between(0, 1279).all() and t["y"].between(0, 719).all(), activity


@pytest.mark.slow
def test_big_job_generates_fast_and_writes_json(tmp_path):
    t0 = time.perf_counter()
    s = generate("walk", duration_s=600, fps=30, n_people=5)
    elapsed = time.perf_counter() - t0
    assert elapsed < 20  # loose; real timing is in bench/
    assert sum(len(a.objects) for a in s.result.annotations()) == 90_000
    path = pk.synth.big_job_json(tmp_path / "big.json", minutes=1, n_people=5)
    res = pk.load(path)
    assert len(res.keypoints()) == 1800 * 5 * 17


def test_joints_order_is_coco():
    assert tuple(sim("squat").truth.index.levels[2]) == JOINTS


# -- the committed samples -----------------------------------------------------------------------


def _sample_specs():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_synth_samples.py"
    spec = importlib.util.spec_from_file_location("make_synth_samples", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SAMPLES


@pytest.mark.parametrize("name", list(_sample_specs()))
def test_committed_samples_match_the_generator(name, samples_dir):
    kwargs = _sample_specs()[name]
    path = samples_dir / f"{name}.json"
    assert path.stat().st_size < 1.5e6
    res = pk.load(path)
    s = generate(**kwargs)
    pd.testing.assert_frame_equal(res.keypoints(), s.result.keypoints(), check_exact=True)
    truth = pd.read_csv(samples_dir / f"{name}_truth.csv")
    np.testing.assert_allclose(
        truth[["x", "y"]].to_numpy(), s.truth[["x", "y"]].to_numpy(), atol=1e-6
    )
    assert truth["joint"].tolist() == s.truth.index.get_level_values("joint").astype(str).tolist()
    angles = pd.read_csv(samples_dir / f"{name}_angles.csv", index_col=["frame", "object_id"])
    np.testing.assert_allclose(angles.to_numpy(), s.angles.to_numpy(), atol=1e-6)
    params = msgspec.json.decode((samples_dir / f"{name}_params.json").read_bytes())
    assert params["job_id"] == res.job_id == s.params["job_id"]
    assert params.get("rep_times_s") == s.params.get("rep_times_s")


# -- odd inputs and invariants -------------------------------------------------------------------


def test_fractional_fps_and_duration():
    s = generate("walk", fps=29.97, duration_s=3.3, noise_px=1.0, seed=3)
    assert s.params["n_frames"] == 99 == s.result.n_frames
    assert s.result.fps == 29.97
    assert s.params["duration_s"] == pytest.approx(99 / 29.97)
    for times in s.params["heel_strike_times_s"].values():
        assert all(0 <= t < 99 / 29.97 for t in times)
    np.testing.assert_allclose(s.truth["time"].to_numpy()[::17], np.arange(99) / 29.97)


def test_walker_has_a_foot_on_the_floor():
    s = sim("walk", duration_s=20.0)
    p = s.params["people"][0]
    floor = p["ground_y"] - 0.039 * p["height_px"]  # ankle height above the floor
    left = s.truth.xs("left_ankle", level="joint")["y"].to_numpy()
    right = s.truth.xs("right_ankle", level="joint")["y"].to_numpy()
    lowest = np.maximum(left, right)  # image y points down
    # the far (left) side is drawn a little higher: allow for that shift
    assert np.abs(lowest - floor).max() < 0.013 * p["height_px"]


def test_params_serialise_to_json():
    for activity in ACTIVITIES:
        doc = msgspec.json.decode(msgspec.json.encode(sim(activity, n_people=2).params))
        assert doc["activity"] == activity and set(doc["people"]) == {"0", "1"}


@settings(max_examples=25, deadline=None)
@given(
    activity=st.sampled_from(ACTIVITIES),
    duration_s=st.floats(0.0, 4.0),
    fps=st.sampled_from([1.0, 10.0, 24.0, 29.97, 60.0]),
    n_people=st.integers(1, 4),
    noise_px=st.floats(0.0, 5.0),
    dropout=st.floats(0.0, 1.0),
    missing_frames=st.floats(0.0, 1.0),
    rate_hz=st.one_of(st.none(), st.floats(0.05, 3.0)),
    seed=st.integers(0, 2**32),
    walk_path=st.sampled_from(["in_view", "through"]),
)
def test_any_valid_arguments_give_a_consistent_result(**kw):
    s = generate(**kw)
    n_f = s.params["n_frames"]
    res = pk.load(s.result.to_json())
    assert res.n_frames == n_f == max(1, round(kw["duration_s"] * kw["fps"]))
    assert int(s.detected.sum()) == sum(len(a.objects) for a in res.annotations())
    kp = res.keypoints()
    assert len(kp) == 17 * int(s.detected.sum()) == len(s.dropped)
    assert int(s.dropped.sum()) == round(kw["dropout"] * len(kp))
    got = inner_angles_from_xy(dense_xy(s.truth))
    for name in ANGLE_COLUMNS:
        truth = s.angles[name].to_numpy().reshape(n_f, kw["n_people"])
        np.testing.assert_allclose(got[name], truth, atol=1e-6, rtol=0)


def test_cli_writes_result_and_truth(tmp_path, capsys):
    from posekit.cli import main

    out = tmp_path / "sq.json"
    code = main(["synth", "squat", "-o", str(out), "--duration", "5", "--noise", "1.5",
                 "--dropout", "0.05", "--seed", "2", "--truth", str(tmp_path / "t.csv"),
                 "--angles", str(tmp_path / "a.csv"), "--params", str(tmp_path / "p.json")])  # fmt: skip
    assert code == 0
    assert (
        "squat, 150 frames at 30 fps, 1 people, 1 reps (peaks at 1.75 s)" in capsys.readouterr().out
    )
    s = generate("squat", duration_s=5, noise_px=1.5, dropout=0.05, seed=2)
    assert out.read_bytes() == s.result.to_json()
    truth = pd.read_csv(tmp_path / "t.csv")
    assert (
        list(truth.columns) == ["frame", "object_id", "joint", "x", "y"] and len(truth) == 150 * 17
    )
    angles = pd.read_csv(tmp_path / "a.csv")
    assert list(angles.columns) == ["frame", "object_id", *ANGLE_COLUMNS]
    assert msgspec.json.decode((tmp_path / "p.json").read_bytes())["n_reps"] == 1
    assert main(["synth", "squat", "-o", str(out), "--dropout", "2"]) == 1
    assert "dropout must be" in capsys.readouterr().err
