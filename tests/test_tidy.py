"""The tidy tables: layout, dense arrays, wide form and the way back to the API format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit import tidy
from posekit.schema import JOINTS


def make_job(frames=(0, 1, 2, 5), ids=((0, 1), (1,), (0, 1), (2,)), fps=10.0, seed=0):
    rng = np.random.default_rng(seed)
    anns = []
    for f, objs in zip(frames, ids, strict=True):
        people = []
        for o in objs:
            kp = np.column_stack(
                [rng.uniform(0, 640, 17), rng.uniform(0, 480, 17), rng.uniform(0, 1, 17)]
            )
            people.append(
                {
                    "area": 1.0,
                    "bbox": [0.0, 0.0, 1.0, 1.0],
                    "category_id": 1,
                    "keypoints": kp.ravel().tolist(),
                    "score": 0.9,
                    "object_id": o,
                }
            )
        anns.append({"frame_num": f, "objects": people[::-1]})  # unsorted object order on purpose
    return {
        "annotations": anns,
        "status": "success",
        "job_id": "j1",
        "video": {"fps": fps, "frames": 6, "width": 640, "height": 480},
    }


@pytest.fixture
def res():
    return pk.load(make_job())


def test_keypoints_layout(res):
    kp = res.keypoints()
    assert list(kp.index.names) == ["frame", "object_id", "joint"]
    assert list(kp.columns) == ["x", "y", "score", "time"]
    assert all(kp[c].dtype == np.float64 for c in kp.columns)
    assert kp.index.get_level_values("frame").dtype == np.int64
    assert kp.index.get_level_values("object_id").dtype == np.int64
    joint = kp.index.get_level_values("joint")
    assert isinstance(joint.dtype, pd.CategoricalDtype) and joint.dtype.ordered
    assert list(joint.dtype.categories) == list(JOINTS)
    assert kp.index.is_monotonic_increasing and kp.index.is_unique
    assert len(kp) == 6 * 17
    np.testing.assert_allclose(kp["time"], kp.index.get_level_values("frame") / 10.0)
    assert kp.attrs == {
        "fps": 10.0,
        "width": 640,
        "height": 480,
        "source": "<dict>",
        "job_id": "j1",
        "kind": "video",
        "history": [],
        "units": {"x": "px", "y": "px", "score": "1", "time": "s"},
    }
    # values come from the right person: object 0 at frame 0 was listed second in the JSON
    doc = make_job()
    src = np.asarray(doc["annotations"][0]["objects"][1]["keypoints"]).reshape(17, 3)
    np.testing.assert_array_equal(kp.loc[(0, 0)][["x", "y", "score"]].to_numpy(), src)


def test_min_score_masks_coordinates_only(res):
    kp = res.keypoints(min_score=0.5)
    low = kp["score"] < 0.5
    assert kp.loc[low, ["x", "y"]].isna().all().all()
    assert kp.loc[~low, ["x", "y"]].notna().all().all()
    assert kp["score"].equals(res.keypoints()["score"])
    assert kp.attrs["history"] == ["keypoints(min_score=0.5)"]


def test_objects_table(res):
    ob = res.objects()
    assert list(ob.index.names) == ["frame", "object_id"]
    assert list(ob.columns) == ["bbox_x", "bbox_y", "bbox_w", "bbox_h", "area", "score", "time"]
    assert len(ob) == 6
    assert list(ob.index) == [(0, 0), (0, 1), (1, 1), (2, 0), (2, 1), (5, 2)]


def test_dense_round_trip(res):
    kp = res.keypoints()
    d = tidy.to_dense(kp)
    assert d.values.shape == (4, 3, 17, 3)
    np.testing.assert_array_equal(d.frames, [0, 1, 2, 5])
    np.testing.assert_array_equal(d.object_ids, [0, 1, 2])
    assert d.present.sum() == 6 and not d.present[1, 0]
    assert np.isnan(d.values[1, 0]).all()
    back = tidy.from_dense(d, like=kp)
    pd.testing.assert_frame_equal(back, kp[["x", "y", "score", "time"]])
    full = tidy.from_dense(d)
    pd.testing.assert_frame_equal(full, kp, check_like=True)


def test_dense_of_a_filtered_table(res):
    kp = res.keypoints()
    sub = kp[kp.index.get_level_values("joint").isin(["left_knee", "right_knee"])]
    sub = sub.drop(index=5, level="frame")
    d = tidy.to_dense(sub, ["x"])
    assert d.values.shape == (3, 2, 17, 1)  # unused frame 5 and object 2 are dropped
    back = tidy.from_dense(d, d.values * 2, ["x2"], like=sub)
    np.testing.assert_array_equal(back["x2"], sub["x"] * 2)


def test_dense_refuses_wrong_tables():
    with pytest.raises(ValueError, match="indexed by"):
        tidy.to_dense(pd.DataFrame({"x": [1.0]}))
    kp = pk.load(make_job()).keypoints()
    with pytest.raises(ValueError, match="no column"):
        tidy.to_dense(kp, ["vx"])


def test_wide_round_trip(res):
    kp = res.keypoints()
    wide = tidy.to_wide(kp)
    assert wide.shape == (6, 51)
    assert wide.columns.names == ["joint", "coord"]
    assert wide.loc[(0, 0), ("nose", "x")] == kp.loc[(0, 0, "nose"), "x"]
    back = tidy.from_wide(wide)
    pd.testing.assert_frame_equal(back, kp)
    assert res.wide().equals(wide)


def test_numpy_export(res):
    d = res.to_numpy()
    assert d.values.shape == (4, 3, 17, 3) and d.columns == ("x", "y", "score")


def test_back_to_the_api_format(res, tmp_path):
    kp = res.keypoints()
    out = pk.PoseResult.from_keypoints(kp, res.objects())
    out.save(tmp_path / "r.json")
    again = pk.load(tmp_path / "r.json")
    pd.testing.assert_frame_equal(
        again.keypoints().drop(columns="time"), kp.drop(columns="time"), check_exact=True
    )
    pd.testing.assert_frame_equal(again.objects(), res.objects(), check_like=True)
    assert again.fps == 10.0 and again.job_id == "j1" and again.n_frames == 6


def test_back_with_nan_and_kakao_bbox_rule(res):
    kp = res.keypoints(min_score=0.3)
    out = pk.PoseResult.from_keypoints(kp)
    doc = json.loads(out.to_json())
    obj = doc["annotations"][0]["objects"][0]
    arr = np.asarray(obj["keypoints"]).reshape(17, 3)
    low = kp.loc[(0, 0), "score"].to_numpy() < 0.3
    assert (arr[low] == 0).all()  # not detected: 0, 0 with score 0
    sel = arr[:, 2] > 0
    lo, hi = arr[sel, :2].min(0), arr[sel, :2].max(0)
    assert obj["bbox"] == pytest.approx([lo[0], lo[1], hi[0] - lo[0] + 1, hi[1] - lo[1] + 1])
    assert obj["area"] == pytest.approx(obj["bbox"][2] * obj["bbox"][3])
    assert "object_id" in obj


def test_image_result_back(samples_dir):
    res = pk.load(samples_dir / "kakao_image.json")
    out = pk.PoseResult.from_keypoints(res.keypoints(), res.objects())
    assert out.kind == "image"
    assert json.loads(out.to_json()) == json.loads((samples_dir / "kakao_image.json").read_bytes())


def test_video_back_needs_fps(res):
    kp = res.keypoints()
    kp.attrs["fps"] = None
    with pytest.raises(ValueError, match="needs fps"):
        pk.PoseResult.from_keypoints(kp, kind="video")


def test_get_fps():
    df = pd.DataFrame()
    with pytest.raises(ValueError, match="fps is unknown"):
        tidy.get_fps(df)
    assert tidy.get_fps(df, 25) == 25.0
    df.attrs["fps"] = 30
    assert tidy.get_fps(df) == 30.0
    with pytest.raises(ValueError, match="positive"):
        tidy.get_fps(df, -1)


def test_functions_do_not_mutate(res):
    kp = res.keypoints()
    before = kp.copy()
    tidy.to_dense(kp)
    tidy.to_wide(kp)
    pk.PoseResult.from_keypoints(kp)
    pd.testing.assert_frame_equal(kp, before)
