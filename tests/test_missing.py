"""One rule for missing data: score 0 -> NaN coordinates; filled points are marked everywhere.

A keypoint that was not detected (score 0) has NaN x and y in every table by default; a filled
point (an estimate made by ``clean.interpolate``) has score NaN and ``filled`` True, and keeps
that mark through the cleaning functions, ``to_result``, ``save`` and ``load``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.errors import PoseFormatError
from posekit.tidy import filled_mask, to_result


@pytest.fixture(scope="module")
def squat(samples_dir):
    return pk.load(samples_dir / "synth_squat.json")


def masked_and_filled(res):
    masked = pk.clean.mask_low_confidence(res.keypoints(), min_score=0.3)
    return masked, pk.clean.interpolate(masked, max_gap_frames=5)


# -- score 0 is "not detected" -------------------------------------------------------------
def test_score_zero_has_nan_coordinates_by_default(samples_dir):
    """README: "Missing points are NaN, never 0" — on the bundled Kakao video sample."""
    res = pk.load(samples_dir / "kakao_video_first2.json")
    kp = res.keypoints()
    zero = kp["score"].to_numpy() == 0
    assert zero.sum() == 24  # Kakao's "not detected": score 0 with made-up coordinates
    assert kp.loc[zero, ["x", "y"]].isna().all().all()
    assert kp.loc[~zero, ["x", "y"]].notna().all().all()
    assert kp.attrs["history"] == []
    raw = res.keypoints(undetected="keep")  # the made-up coordinates, as the file has them
    assert raw[["x", "y"]].notna().all().all() and (raw["x"][zero] > 50).all()
    assert raw.attrs["history"] == ["keypoints(undetected='keep')"]
    with pytest.raises(ValueError, match="undetected"):
        res.keypoints(undetected="drop")


def test_score_zero_rule_holds_in_wide_and_dense_forms(samples_dir):
    res = pk.load(samples_dir / "kakao_video_first2.json")
    wide = res.wide()
    zero = wide.xs("score", axis=1, level="coord").to_numpy() == 0
    assert np.isnan(wide.xs("x", axis=1, level="coord").to_numpy()[zero]).all()
    dense = res.to_numpy()
    assert np.isnan(dense.values[..., 0][dense.values[..., 2] == 0]).all()


def test_a_table_written_back_keeps_not_detected_points_not_detected(samples_dir):
    res = pk.load(samples_dir / "kakao_video_first2.json")
    kp = res.keypoints()
    back = pk.load(to_result(kp).to_json()).keypoints()
    pd.testing.assert_frame_equal(back[["x", "y", "score"]], kp[["x", "y", "score"]])
    assert "filled" not in back.columns  # nothing was filled


# -- filled points are marked ----------------------------------------------------------------
def test_interpolate_marks_every_filled_point(squat):
    masked, kp = masked_and_filled(squat)
    before = masked.reindex(kp.index)
    filled = before["x"].isna().to_numpy() & kp["x"].notna().to_numpy()
    assert filled.sum() == 219  # issue 12: 67 of them used to keep score 0
    assert kp["filled"].dtype == bool
    np.testing.assert_array_equal(kp["filled"].to_numpy(), filled)
    assert np.isnan(kp["score"].to_numpy()[filled]).all()
    assert not np.isnan(kp["score"].to_numpy()[~filled & kp["x"].notna().to_numpy()]).any()
    assert list(kp.columns) == ["x", "y", "score", "filled", "time"]


def test_filled_points_survive_to_result_save_load(squat, tmp_path):
    _, kp = masked_and_filled(squat)
    path = tmp_path / "filled.json"
    to_result(kp).save(path)
    back = pk.load(path).keypoints(min_score=0.2)
    marked = kp.index[kp["filled"].to_numpy()]
    assert len(marked) == 219
    got = back.loc[marked]
    assert got["filled"].all() and got["score"].isna().all()
    np.testing.assert_allclose(got[["x", "y"]], kp.loc[marked, ["x", "y"]], atol=1e-9)
    assert back["filled"].sum() == 219
    # a reader that does not know the field sees score 0 ("not detected") and the names
    doc = json.loads(path.read_bytes())
    people = [o for a in doc["annotations"] for o in a["objects"] if "filled" in o]
    assert sum(len(o["filled"]) for o in people) == 219
    o = people[0]
    kps = np.asarray(o["keypoints"]).reshape(17, 3)
    idx = [pk.schema.JOINT_INDEX[j] for j in o["filled"]]
    assert (kps[idx, 2] == 0).all() and (kps[idx, :2] != 0).all()


def test_filled_marks_through_the_cleaning_functions(squat):
    _, kp = masked_and_filled(squat)
    n = int(kp["filled"].sum())
    again = pk.clean.mask_low_confidence(kp, min_score=0.9)  # NaN score: not "low"
    assert again.loc[again["filled"], ["x", "y"]].notna().all().all()
    twice = pk.clean.interpolate(kp, max_gap_frames=5)  # earlier fills stay marked
    assert twice["filled"].sum() == n
    tracked = pk.clean.assign_tracks(kp)
    assert tracked["filled"].dtype == bool and tracked["filled"].sum() == n
    assert pk.clean.main_person(tracked)["filled"].sum() == n
    assert pk.clean.fix_left_right_swaps(kp)["filled"].sum() == n
    smoothed = pk.smooth.butterworth(kp, cutoff_hz=6)
    assert smoothed["filled"].equals(kp["filled"])
    assert filled_mask(squat.keypoints()).sum() == 0  # no column: nothing filled


def test_swap_repair_moves_the_mark_with_its_point():
    from _tables import table

    kp = table(6, 1)
    kp["filled"] = False
    kp.loc[(3, 0, "left_wrist"), ["filled", "score"]] = [True, np.nan]
    swapped = kp.copy()
    for j in ("wrist", "elbow", "shoulder", "hip", "knee", "ankle", "eye", "ear"):
        left, right = (3, 0, f"left_{j}"), (3, 0, f"right_{j}")
        a = swapped.loc[left].copy()
        swapped.loc[left] = swapped.loc[right]
        swapped.loc[right] = a
    swapped["filled"] = swapped["filled"].astype(bool)
    fixed = pk.clean.fix_left_right_swaps(swapped)
    assert fixed["filled"].dtype == bool
    assert fixed.loc[(3, 0, "left_wrist"), "filled"] and fixed["filled"].sum() == 1


def test_points_with_coordinates_but_no_score_are_written_as_filled():
    from _tables import table

    kp = table(3, 1)
    kp.loc[(1, 0, "nose"), "score"] = np.nan
    back = pk.load(to_result(kp).to_json()).keypoints()
    assert back.loc[(1, 0, "nose"), "filled"] and np.isnan(back.loc[(1, 0, "nose"), "score"])
    np.testing.assert_allclose(
        back.loc[(1, 0, "nose"), ["x", "y"]], kp.loc[(1, 0, "nose"), ["x", "y"]]
    )


def test_a_bad_filled_field_names_the_place(samples_dir):
    doc = json.loads((samples_dir / "kakao_video_first2.json").read_bytes())
    doc["annotations"][1]["objects"][0]["filled"] = ["nose", "left_toe"]
    with pytest.raises(PoseFormatError) as info:
        pk.load(json.dumps(doc).encode()).keypoints()
    assert info.value.path == "$.annotations[1].objects[0].filled[1]"
    assert "left_toe" in str(info.value)


def test_filled_marks_on_a_study_table(tmp_path, squat):
    """A study's table (clips as leading levels, tables in attrs) is filled clip by clip."""
    for name in ("a", "b"):
        squat.save(tmp_path / f"{name}.json")
    kp = pk.load_study(str(tmp_path / "{clip}.json")).keypoints()
    filled = pk.clean.interpolate(pk.clean.mask_low_confidence(kp, min_score=0.3))
    assert filled["filled"].dtype == bool
    assert filled.groupby(level="clip")["filled"].sum().tolist() == [219, 219]
