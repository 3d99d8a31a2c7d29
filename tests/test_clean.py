"""posekit.clean: masking, reindexing, interpolation, tracks, main person, left/right swaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import posekit as pk
import posekit.clean as cl
from posekit.schema import JOINTS
from posekit.tidy import DenseKeypoints, from_dense, to_dense


def make_table(
    values: np.ndarray, *, frames=None, fps: float | None = 10.0, present=None
) -> pd.DataFrame:
    """A keypoints table from (F, O, 17, 3) values."""
    n, o = values.shape[:2]
    dense = DenseKeypoints(
        values=values,
        frames=np.arange(n) if frames is None else np.asarray(frames),
        object_ids=np.arange(o),
        columns=("x", "y", "score"),
        present=np.ones((n, o), bool) if present is None else present,
        attrs={"fps": fps, "width": 640, "height": 480, "history": []},
    )
    return from_dense(dense)


def line_values(n: int, o: int = 1) -> np.ndarray:
    """x = 10 f + 100 o + j, y = 2 f + j, score 0.9."""
    f = np.arange(n)[:, None, None]
    ob = np.arange(o)[None, :, None]
    j = np.arange(17)[None, None, :]
    x = 10.0 * f + 100.0 * ob + j
    y = 2.0 * f + j + 0.0 * ob
    return np.stack(np.broadcast_arrays(x, y, np.full_like(x, 0.9)), axis=-1).astype(float)


def untrack(kp: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Shuffle people within each frame; object_id becomes the place in the shuffled list.

    Returns the table, the true id of each (frame position, place) and the frame numbers.
    """
    d = to_dense(kp, ("x", "y", "score"))
    rng = np.random.default_rng(seed)
    n, o = d.present.shape
    out = np.full_like(d.values, np.nan)
    present = np.zeros_like(d.present)
    truth = np.full((n, o), -1)
    for f in range(n):
        ids = np.flatnonzero(d.present[f])
        rng.shuffle(ids)
        out[f, : len(ids)] = d.values[f, ids]
        present[f, : len(ids)] = True
        truth[f, : len(ids)] = d.object_ids[ids]
    dense = DenseKeypoints(
        values=out,
        frames=d.frames,
        object_ids=np.arange(o),
        columns=d.columns,
        present=present,
        attrs=d.attrs,
    )
    return from_dense(dense), truth, d.frames


def recovered_ids(tracked: pd.DataFrame, untracked: pd.DataFrame) -> dict[tuple[int, float], int]:
    """Map (frame, nose x) -> track id, to find each detection again after relabelling."""
    nose = tracked.xs("nose", level="joint")
    return {(int(f), round(float(x), 6)): int(o) for (f, o), x in nose["x"].items()}


# -- masking, reindexing, interpolation ----------------------------------------------------------


def test_mask_low_confidence():
    v = line_values(20, 2)
    v[..., 2] = np.linspace(0, 1, v[..., 2].size).reshape(v.shape[:3])
    kp = make_table(v)
    before = kp.copy()
    out = cl.mask_low_confidence(kp, min_score=0.3)
    pd.testing.assert_frame_equal(kp, before)
    low = kp["score"] < 0.3
    assert out["x"].isna().sum() == low.sum() == out["y"].isna().sum()
    np.testing.assert_array_equal(out["x"].isna(), low)
    np.testing.assert_array_equal(out["score"], kp["score"])
    np.testing.assert_array_equal(out.loc[~low, "x"], kp.loc[~low, "x"])
    assert out.attrs["history"] == [
        f"clean.mask_low_confidence(min_score=0.3): {int(low.sum())} points masked"
    ]
    with pytest.raises(ValueError, match="min_score"):
        cl.mask_low_confidence(kp, min_score=1.5)


def test_reindex_frames_adds_nan_rows_with_time():
    v = line_values(5, 2)
    kp = make_table(v, frames=[0, 1, 2, 5, 6], fps=10.0)
    out = cl.reindex_frames(kp)
    assert out.index.get_level_values("frame").unique().tolist() == list(range(7))
    assert len(out) == 7 * 2 * 17
    new = out.loc[[3, 4]]
    assert new[["x", "y", "score"]].isna().all().all()
    np.testing.assert_allclose(out["time"], out.index.get_level_values("frame") / 10.0)
    pd.testing.assert_frame_equal(out.loc[kp.index], kp, check_like=True)
    out = cl.reindex_frames(kp, start=2, stop=10)
    assert out.index.get_level_values("frame").unique().tolist() == list(range(2, 10))
    with pytest.raises(ValueError, match="empty frame range"):
        cl.reindex_frames(kp, start=5, stop=5)


def test_interpolate_linear_fills_short_gaps_only():
    v = line_values(40)
    v[5:8, 0, :, :2] = np.nan  # 3-frame gap: filled
    v[15:21, 0, :, :2] = np.nan  # 6-frame gap: stays
    v[:2, 0, 3, :2] = np.nan  # leading: never extrapolated
    v[-1, 0, 4, :2] = np.nan  # trailing
    kp = make_table(v)
    out = cl.interpolate(kp, max_gap_frames=5)
    truth = make_table(line_values(40))
    filled = out.loc[5:7]
    np.testing.assert_allclose(filled[["x", "y"]], truth.loc[5:7, ["x", "y"]], atol=1e-12)
    assert out.loc[15:20, "x"].isna().all()
    assert out.loc[(slice(0, 1), 0, "left_ear"), "x"].isna().all()
    assert np.isnan(out.loc[(39, 0, "right_ear"), "x"])
    # exact count: everything NaN before, minus 3 frames x 17 joints
    assert out["x"].isna().sum() == kp["x"].isna().sum() - 3 * 17
    # the 51 filled points, and only they, are marked: score NaN, filled True
    assert list(out.columns) == ["x", "y", "score", "filled", "time"]
    assert out["filled"].dtype == bool and out["filled"].sum() == 3 * 17
    assert out.loc[5:7, "filled"].all() and out.loc[5:7, "score"].isna().all()
    assert out["score"].isna().sum() == 3 * 17
    assert out.attrs["history"][-1] == (
        "clean.interpolate(max_gap_frames=5, method='linear'): 51 points filled"
    )


def test_interpolate_counts_missing_frames_and_keeps_each_persons_span():
    v = line_values(30, 2)
    frames = np.arange(30)
    present = np.ones((30, 2), bool)
    present[10:13, 0] = False  # person 0 absent from frames 10-12: a 3-frame gap
    present[:8, 1] = False  # person 1 appears at frame 8
    present[20:27, 1] = False  # and is absent for 7 frames
    v = np.where(present[..., None, None], v, np.nan)
    kp = make_table(v, frames=frames, present=present)
    assert (10, 0, "nose") not in kp.index
    out = cl.interpolate(kp, max_gap_frames=3)
    truth = make_table(line_values(30, 2))
    np.testing.assert_allclose(
        out.loc[(slice(10, 12), 0), ["x", "y"]], truth.loc[(slice(10, 12), 0), ["x", "y"]]
    )
    assert out.loc[(slice(10, 12), 0), "score"].isna().all()  # filled rows are recognisable
    assert out.loc[(slice(10, 12), 0), "filled"].all() and out["filled"].sum() == 3 * 17
    assert not out.loc[(slice(20, 26), 1), "filled"].any()  # not filled: no mark
    ids1 = out.xs(1, level="object_id").index.get_level_values("frame").unique()
    assert ids1.min() == 8 and ids1.max() == 29  # no rows before the person appears
    assert out.loc[(slice(20, 26), 1), "x"].isna().all()  # 7 frames > 3: stays NaN
    np.testing.assert_allclose(out["time"], out.index.get_level_values("frame") / 10.0)


def test_interpolate_cubic_is_exact_on_a_cubic():
    t = np.arange(30.0)
    v = line_values(30)
    v[:, 0, :, 0] = (0.01 * t**3 - 0.2 * t**2 + t)[:, None]
    full = v.copy()
    v[[6, 7, 8, 17], 0, :, :2] = np.nan
    out = cl.interpolate(make_table(v), max_gap_frames=3, method="cubic")
    np.testing.assert_allclose(out["x"], make_table(full)["x"], atol=1e-9)
    lin = cl.interpolate(make_table(v), max_gap_frames=3, method="linear")
    assert np.abs(lin["x"].to_numpy() - make_table(full)["x"].to_numpy()).max() > 0.1
    with pytest.raises(ValueError, match="method"):
        cl.interpolate(make_table(v), method="quadratic")
    with pytest.raises(ValueError, match="max_gap_frames"):
        cl.interpolate(make_table(v), max_gap_frames=-1)


# -- main person -----------------------------------------------------------------------------


def test_main_person():
    v = line_values(20, 3)
    present = np.ones((20, 3), bool)
    present[10:, 0] = False  # person 0: 10 frames
    v[:, 2, :, :2] = v[:, 2, :, :2] * 3 + 50  # person 2 is large
    v[:, 1, :, 0] = 320 + np.arange(17)  # person 1 sits in the image centre (640 x 480)
    v[:, 1, :, 1] = 240 + np.arange(17)
    v = np.where(present[..., None, None], v, np.nan)
    kp = make_table(v, present=present)
    assert cl.main_person(kp, by="largest").index.get_level_values(
        "object_id"
    ).unique().tolist() == [2]
    assert cl.main_person(kp, by="central").index.get_level_values(
        "object_id"
    ).unique().tolist() == [1]
    present[:, 1] = False  # person 1 and 2 are seen in 20 frames, person 0 in 10
    longest = cl.main_person(kp, by="longest")
    assert longest.index.get_level_values("object_id").unique().tolist() in ([1], [2])
    assert longest.attrs["history"][-1].startswith("clean.main_person(by='longest', ")
    assert "): object_id " in longest.attrs["history"][-1]
    with pytest.raises(ValueError, match="by must be"):
        cl.main_person(kp, by="tallest")
    objects = pd.DataFrame(
        {"area": [1.0, 5.0, 2.0] * 20},
        index=pd.MultiIndex.from_product([range(20), range(3)], names=["frame", "object_id"]),
    )
    chosen = cl.main_person(kp, by="largest", objects=objects)
    assert chosen.index.get_level_values("object_id").unique().tolist() == [1]
    pd.testing.assert_frame_equal(chosen, kp.xs(1, level="object_id", drop_level=False))


# -- track assignment ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_people", "metric", "predict"),
    [
        (2, "oks", "velocity"),
        (3, "oks", "velocity"),
        (5, "oks", "velocity"),
        (4, "distance", "last"),
    ],
)
def test_assign_tracks_recovers_synthetic_identities(n_people, metric, predict):
    sim = pk.synth.generate(
        "walk", duration_s=8, fps=30, n_people=n_people, noise_px=1.0, seed=n_people
    )
    kp = sim.result.keypoints()
    untracked, truth, frames = untrack(kp, seed=n_people)
    tracked = cl.assign_tracks(untracked, metric=metric, predict=predict)
    assert len(tracked) == len(kp)
    ids = recovered_ids(tracked, untracked)
    nose = untracked.xs("nose", level="joint")["x"]
    pairs = set()
    for (f, place), x in nose.items():
        fi = int(np.searchsorted(frames, f))
        pairs.add((int(truth[fi, place]), ids[(int(f), round(float(x), 6))]))
    # one track per person and one person per track: 100 % identity recovery
    assert len(pairs) == n_people
    assert len({a for a, _ in pairs}) == len({b for _, b in pairs}) == n_people


def test_assign_tracks_with_noise_dropouts_and_missing_frames():
    sim = pk.synth.generate(
        "walk",
        duration_s=8,
        fps=30,
        n_people=4,
        noise_px=3.0,
        dropout=0.05,
        missing_frames=0.03,
        seed=11,
    )
    kp = cl.mask_low_confidence(sim.result.keypoints(), min_score=0.2)
    untracked, truth, frames = untrack(kp, seed=3)
    tracked = cl.assign_tracks(untracked)
    got = tracked.xs("left_hip", level="joint")
    # compare with the truth via person positions: each track must hold one true person
    true_of = {}
    for (f, place), row in untracked.xs("left_hip", level="joint").iterrows():
        true_of[(int(f), round(float(row["y"]), 6), round(float(row["x"]), 6))] = int(
            truth[int(np.searchsorted(frames, f)), place]
        )
    pairs = {
        (true_of[(int(f), round(float(r["y"]), 6), round(float(r["x"]), 6))], int(o))
        for (f, o), r in got.iterrows()
        if np.isfinite(r["x"])
    }
    assert len({o for _, o in pairs}) == len(pairs)  # no track mixes two people
    assert len(pairs) == 4


def test_assign_tracks_birth_death_and_gate():
    v = line_values(30, 1)
    v[:, 0, :, 0] = 100.0 + np.arange(17) * 10  # a person standing still
    v[:, 0, :, 1] = 100.0 + np.arange(17) * 10
    present = np.ones((30, 1), bool)
    present[10:25, 0] = False  # away for 15 frames > max_missed_frames
    v = np.where(present[..., None, None], v, np.nan)
    kp = make_table(v, present=present)
    out = cl.assign_tracks(kp, max_missed_frames=10)
    ids = out.index.get_level_values("object_id")
    assert sorted(set(ids[out.index.get_level_values("frame") < 10])) == [0]
    assert sorted(set(ids[out.index.get_level_values("frame") >= 25])) == [1]
    out = cl.assign_tracks(kp, max_missed_frames=20)
    assert set(out.index.get_level_values("object_id")) == {0}
    # a jump beyond the gate starts a new track
    v2 = line_values(10, 1)
    v2[5:, 0, :, 0] += 5000
    out = cl.assign_tracks(make_table(v2), max_distance=100.0)
    assert set(out.index.get_level_values("object_id")) == {0, 1}
    with pytest.raises(ValueError, match="metric"):
        cl.assign_tracks(kp, metric="iou")


def test_assign_tracks_on_openpose_data_keeps_the_participant(openpose_dir):
    from posekit.importers import load_openpose

    kp = load_openpose(openpose_dir / "cam01", fps=60).keypoints()
    n_frames = kp.index.get_level_values("frame").nunique()
    assert n_frames == 100
    # the participant stands on the force plate (x > 200 px), the bystander at the left edge;
    # in frame 37 the detector split the participant in two (upper and lower body)
    tracked = cl.assign_tracks(kp)
    people = tracked[tracked["score"] > 0]["x"].groupby(level=["frame", "object_id"]).median()
    frames_of = {
        o: set(g.index.get_level_values("frame")) for o, g in people.groupby(level="object_id")
    }
    everywhere = [o for o, fs in frames_of.items() if len(fs) == 100]
    assert len(everywhere) == 2
    side = {o: people.xs(o, level="object_id") for o in everywhere}
    assert sorted((s > 200).all() for s in side.values()) == [False, True]
    assert sorted((s <= 200).all() for s in side.values()) == [False, True]
    assert all(len(fs) == 1 for o, fs in frames_of.items() if o not in everywhere)
    # dropping fragments leaves exactly the two people, each with one id in all 100 frames
    tracked = cl.assign_tracks(kp, min_track_frames=3)
    ids = tracked.index.get_level_values("object_id")
    assert sorted(set(ids)) == [0, 1]
    for o in (0, 1):
        assert tracked.xs(o, level="object_id").index.get_level_values("frame").nunique() == 100
    assert "tracks shorter than 3 frames dropped" in tracked.attrs["history"][-1]
    # the raw order is unstable: object_id 0 is not always the participant
    raw_hips = kp.xs("left_hip", level="joint")
    raw_hips = raw_hips[raw_hips["score"] > 0]
    assert raw_hips[raw_hips["x"] > 200].index.get_level_values("object_id").nunique() > 1


# -- left/right swaps --------------------------------------------------------------------------


def inject_swaps(
    kp: pd.DataFrame, frames: np.ndarray, obj: int, joints: list[str] | None = None
) -> pd.DataFrame:
    mirror = [j.replace("left", "#").replace("right", "left").replace("#", "right") for j in JOINTS]
    out = kp.copy()
    idx = pd.IndexSlice
    for f in frames:
        block = kp.loc[idx[f, obj, :], ["x", "y", "score"]].to_numpy()
        names = list(JOINTS)
        swapped = block.copy()
        for i, j in enumerate(names):
            if joints is None or j in joints:
                swapped[i] = block[names.index(mirror[i])]
        out.loc[idx[f, obj, :], ["x", "y", "score"]] = swapped
    return out


def test_fix_left_right_swaps_repairs_injected_swaps():
    sim = pk.synth.generate("arm_raise", duration_s=6, fps=30, n_people=2, noise_px=1.0, seed=2)
    kp = sim.result.keypoints()
    rng = np.random.default_rng(0)
    frames = np.unique(np.r_[rng.choice(np.arange(1, 180), 15, replace=False), np.arange(50, 55)])
    bad = inject_swaps(kp, frames, obj=1)
    assert not np.allclose(bad["x"], kp["x"])
    fixed = cl.fix_left_right_swaps(bad)
    pd.testing.assert_frame_equal(fixed[["x", "y", "score"]], kp[["x", "y", "score"]])
    assert f"{len(frames)} swaps repaired" in fixed.attrs["history"][-1]
    # clean data: nothing to repair
    assert "0 swaps repaired" in cl.fix_left_right_swaps(kp).attrs["history"][-1]


def test_fix_left_right_swaps_by_limb_on_a_walker():
    sim = pk.synth.generate("walk", duration_s=6, fps=30, n_people=1, noise_px=0.5, seed=4)
    kp = sim.result.keypoints()
    legs = ["left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
    frames = np.arange(40, 140, 9)
    bad = inject_swaps(kp, frames, obj=0, joints=legs)
    fixed = cl.fix_left_right_swaps(bad, by="limb")
    truth = sim.truth.loc[kp.index]
    err_bad = np.hypot(bad["x"] - truth["x"], bad["y"] - truth["y"])
    err_fixed = np.hypot(fixed["x"] - truth["x"], fixed["y"] - truth["y"])
    # every evident swap is repaired: what remains is the noise (and swaps of legs that
    # were side by side at that moment, where left and right are within a few px anyway)
    assert err_bad.max() > 20
    assert err_fixed.max() < 8
    with pytest.raises(ValueError, match="by must be"):
        cl.fix_left_right_swaps(kp, by="joint")
