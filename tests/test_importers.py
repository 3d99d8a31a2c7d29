"""OpenPose and COCO importers, on the real Pose2Sim OpenPose output and on built files."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.errors import PoseFormatError
from posekit.io import OPENPOSE_TO_COCO, load_coco, load_openpose


def test_real_openpose_folder(openpose_dir):
    res = load_openpose(openpose_dir / "cam01", fps=60, width=1080, height=1920)
    assert res.extra["layout"] == "BODY_25B" and res.extra["tracked"] is False
    assert res.n_frames == 100 and res.fps == 60
    kp = res.keypoints()
    assert kp.index.get_level_values("frame").nunique() == 100
    # every value matches the file: frame 12, second person in the list, all 17 COCO joints
    doc = json.loads((openpose_dir / "cam01" / "cam01.0012.json").read_text())
    src = np.asarray(doc["people"][1]["pose_keypoints_2d"]).reshape(-1, 3)[:17]
    # one rule for missing data: score 0 (not detected, (0, 0) in the file) -> NaN x, y
    want = src.copy()
    want[src[:, 2] == 0, :2] = np.nan
    assert (src[:, 2] == 0).any()
    np.testing.assert_array_equal(kp.loc[(12, 1)][["x", "y", "score"]].to_numpy(), want)
    raw = res.keypoints(undetected="keep")
    np.testing.assert_array_equal(raw.loc[(12, 1)][["x", "y", "score"]].to_numpy(), src)
    np.testing.assert_allclose(kp.loc[(12, 1), "time"].iloc[0], 12 / 60)
    # two people a frame, one frame with a third detection; untracked ids are list order
    counts = kp.groupby(level="frame", observed=True).size() // 17
    assert counts.min() == 2 and counts.max() == 3
    # the bystander at the left edge vs the participant: the importer keeps both
    per_obj = kp.groupby(level="object_id").size() // 17
    assert per_obj[0] == 100 and per_obj[1] == 100


def test_both_cameras_and_bbox_rule(openpose_dir):
    res = load_openpose(openpose_dir / "cam02", fps=60)
    flat = pk.io.flatten(res)
    kp = flat.keypoints[0]
    sel = kp[:, 2] > 0
    lo, hi = kp[sel, :2].min(0), kp[sel, :2].max(0)
    np.testing.assert_allclose(flat.bbox[0], [lo[0], lo[1], *(hi - lo + 1)])
    assert flat.area[0] == pytest.approx(flat.bbox[0, 2] * flat.bbox[0, 3])


def test_without_fps_no_time_and_no_save(openpose_dir, tmp_path):
    res = load_openpose(openpose_dir / "cam01")
    kp = res.keypoints()
    assert "time" not in kp.columns and kp.attrs["fps"] is None
    with pytest.raises(ValueError, match="fps is unknown"):
        pk.tidy.get_fps(kp)


def _write_frames(folder, people_per_frame, layout):
    folder.mkdir()
    for f, people in enumerate(people_per_frame):
        doc = {
            "version": 1.3,
            "people": [{"person_id": pid, "pose_keypoints_2d": kp} for pid, kp in people],
        }
        (folder / f"clip_{f:012d}_keypoints.json").write_text(json.dumps(doc))


@pytest.mark.parametrize("layout", ["BODY_25", "COCO", "BODY_25B"])
def test_layout_mapping(tmp_path, layout):
    """Build a file in each layout from known COCO-17 points and import it back."""
    rng = np.random.default_rng(3)
    coco = np.column_stack(
        [rng.uniform(0, 500, 17), rng.uniform(0, 500, 17), rng.uniform(0.5, 1, 17)]
    )
    n = {"BODY_25": 25, "BODY_25B": 25, "COCO": 18}[layout]
    pts = np.zeros((n, 3))
    pts[list(OPENPOSE_TO_COCO[layout])] = coco
    # the points OpenPose puts between two others: the neck (and BODY_25's mid-hip)
    neck = [*(coco[5, :2] + coco[6, :2]) / 2, 0.9]
    pts[{"BODY_25": 1, "COCO": 1, "BODY_25B": 17}[layout]] = neck
    if layout == "BODY_25":
        pts[8] = [*(coco[11, :2] + coco[12, :2]) / 2, 0.9]
    _write_frames(tmp_path / "op", [[([-1], pts.ravel().tolist())]] * 3, layout)
    res = load_openpose(tmp_path / "op", fps=30)
    if layout != "COCO":  # 25 points: auto-detection must tell the two apart
        assert res.extra["layout"] == layout
    kp = res.keypoints()
    np.testing.assert_array_equal(kp.loc[(2, 0)][["x", "y", "score"]].to_numpy(), coco)


def test_tracked_person_ids_are_kept(tmp_path):
    pts = np.ones(75).tolist()
    _write_frames(tmp_path / "op", [[([7], pts), ([3], pts)], [([3], pts)]], "BODY_25")
    res = load_openpose(tmp_path / "op", layout="BODY_25", fps=25)
    assert res.extra["tracked"]
    assert sorted(res.keypoints().index.get_level_values("object_id").unique()) == [3, 7]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON"),
        ('{"people": {}}', "'people' list"),
        ('{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', "has 3 values"),
    ],
)
def test_bad_openpose_files(tmp_path, content, words):
    (tmp_path / "op").mkdir()
    (tmp_path / "op" / "a_000000000000_keypoints.json").write_text(content)
    with pytest.raises(PoseFormatError, match=words):
        load_openpose(tmp_path / "op")


def test_missing_or_empty_openpose_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_openpose(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PoseFormatError, match=r"no \*\.json"):
        load_openpose(tmp_path / "empty")


def test_coco_annotations_file():
    kp = [10.0, 20.0, 2] * 17
    kp[3:6] = [0, 0, 0]
    doc = {
        "images": [{"id": 9, "width": 640, "height": 480}, {"id": 4, "width": 640, "height": 480}],
        "annotations": [
            {
                "image_id": 9,
                "keypoints": kp,
                "num_keypoints": 16,
                "bbox": [1, 2, 3, 4],
                "area": 12,
                "id": 1,
            },
            {
                "image_id": 4,
                "keypoints": kp,
                "num_keypoints": 16,
                "bbox": [5, 6, 7, 8],
                "area": 56,
                "id": 2,
            },
            {
                "image_id": 4,
                "keypoints": [0] * 51,
                "num_keypoints": 0,
                "bbox": [0, 0, 9, 9],
                "id": 3,
            },
        ],
        "categories": [{"id": 1, "name": "person"}],
    }
    res = load_coco(doc, fps=5)
    assert res.kind == "video" and res.width == 640
    ob = res.objects()
    assert list(ob.index) == [(0, 0), (1, 0)]  # image 4 is frame 0
    assert ob.loc[(0, 0), "bbox_x"] == 5 and ob.loc[(0, 0), "area"] == 56
    k = res.keypoints()
    assert k.loc[(0, 0, "nose"), "score"] == 1.0 and k.loc[(0, 0, "left_eye"), "score"] == 0.0


def test_coco_results_list_single_image_is_an_image_result():
    dets = [{"image_id": 1, "category_id": 1, "keypoints": [5.0, 6.0, 0.7] * 17, "score": 0.8}]
    res = load_coco(dets)
    assert res.kind == "image"
    assert res.keypoints()["score"].eq(0.7).all()
    assert res.objects()["score"].iloc[0] == 0.8


def test_coco_bad_input():
    with pytest.raises(PoseFormatError, match=r"\$\[0\].keypoints: has 50 values"):
        load_coco([{"image_id": 1, "keypoints": [0] * 50}])
    with pytest.raises(PoseFormatError, match="not COCO"):
        load_coco({"foo": 1})


# -- real folders (issue 12) ------------------------------------------------------------------
#: BODY_25 index -> BODY_25B index, to write the real BODY_25B files in the other layout
_B25_FROM_B25B = {
    0: 0, 1: 17, 2: 6, 3: 8, 4: 10, 5: 5, 6: 7, 7: 9, 9: 12, 10: 14, 11: 16, 12: 11, 13: 13,
    14: 15, 15: 2, 16: 1, 17: 4, 18: 3, 19: 19, 20: 20, 21: 21, 22: 22, 23: 23, 24: 24,
}  # fmt: skip


def _as_body25(folder, out):
    """The real BODY_25B files rewritten in BODY_25 order (mid-hip = middle of the hips)."""
    out.mkdir()
    for f in sorted(folder.glob("cam*.json")):
        doc = json.loads(f.read_text())
        for p in doc["people"]:
            b = np.asarray(p["pose_keypoints_2d"]).reshape(25, 3)
            q = np.zeros((25, 3))
            for i, j in _B25_FROM_B25B.items():
                q[i] = b[j]
            if b[11, 2] > 0 and b[12, 2] > 0:
                q[8] = [*(b[11, :2] + b[12, :2]) / 2, min(b[11, 2], b[12, 2])]
            p["pose_keypoints_2d"] = q.ravel().tolist()
        (out / f.name).write_text(json.dumps(doc))
    return out


def test_back_view_folder_with_stray_files(openpose_dir):
    """Pose2Sim cam03: a back view (no face) and two stray del_*.json files."""
    with pytest.warns(
        UserWarning, match=r"skipped 2 file\(s\).*del_000000_0.json, del_000001_0.json"
    ):
        res = load_openpose(openpose_dir / "cam03", fps=60)
    assert res.extra["layout"] == "BODY_25B"
    kp = res.keypoints()
    frames = kp.index.get_level_values("frame").unique()
    assert list(frames) == list(range(100)) and res.n_frames == 100
    doc = json.loads((openpose_dir / "cam03" / "cam03.0042.json").read_text())
    src = np.asarray(doc["people"][0]["pose_keypoints_2d"]).reshape(25, 3)[:17]
    np.testing.assert_array_equal(kp.loc[(42, 0), "score"].to_numpy(), src[:, 2])


@pytest.mark.parametrize("cam", ["cam01", "cam03"])
def test_layout_is_told_from_the_front_and_from_behind(openpose_dir, tmp_path, cam):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_openpose(openpose_dir / cam).extra["layout"] == "BODY_25B"
        b25 = _as_body25(openpose_dir / cam, tmp_path / "b25")
        res = load_openpose(b25)
        ref = load_openpose(openpose_dir / cam, layout="BODY_25B").keypoints()
    assert res.extra["layout"] == "BODY_25"
    pd.testing.assert_frame_equal(res.keypoints(), ref)  # the same COCO points either way


def test_nose_path_on_the_back_view_has_no_jumps_to_the_origin(openpose_dir):
    """issue 12: 6917.8 px, from (0, 0) points; 22.4 px after masking scores below 0.3."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = load_openpose(openpose_dir / "cam03", fps=60)
    nose = ("nose",)
    raw = pk.kinematics.path_length(res.keypoints(undetected="keep")).loc[(0, *nose)]
    assert raw["path_length"] == pytest.approx(6917.8, abs=0.1)  # the old default
    kp = res.keypoints()
    assert pk.kinematics.path_length(kp).loc[(0, *nose), "path_length"] < 1000
    masked = pk.clean.mask_low_confidence(kp, min_score=0.3)
    got = pk.kinematics.path_length(masked).loc[(0, *nose)]
    assert got["path_length"] == pytest.approx(22.4, abs=0.05) and got["n_steps"] == 4


def test_empty_keypoint_list_is_no_detection(tmp_path):
    pts = np.zeros((25, 3))
    pts[:17, :2] = 100 + np.arange(34).reshape(17, 2)
    pts[:17, 2] = 0.8
    doc = {"people": [{"person_id": [-1], "pose_keypoints_2d": []},
                      {"person_id": [-1], "pose_keypoints_2d": pts.ravel().tolist()}]}  # fmt: skip
    (tmp_path / "op").mkdir()
    for f in range(3):
        (tmp_path / "op" / f"x_{f:06d}.json").write_text(json.dumps(doc))
    kp = load_openpose(tmp_path / "op", layout="BODY_25B").keypoints()
    assert kp.index.get_level_values("object_id").unique().tolist() == [0]
    assert len(kp) == 3 * 17


def test_a_file_where_a_folder_is_expected(openpose_dir, tmp_path, capsys):
    f = openpose_dir / "cam01" / "cam01.0000.json"
    with pytest.raises(
        PoseFormatError, match=r"cam01.0000.json is a file; load_openpose reads a folder"
    ):
        load_openpose(f)
    from posekit.cli import main

    assert main(["info", str(f)]) == 1  # pk.load: not a Kakao result, and says what it is
    err = capsys.readouterr().err
    assert "cam01.0000.json" in err and "OpenPose" in err and "folder" in err


def test_errors_name_the_file(tmp_path):
    (tmp_path / "op").mkdir()
    good = {"people": [{"pose_keypoints_2d": [1.0] * 75}]}
    (tmp_path / "op" / "c_000.json").write_text(json.dumps(good))
    (tmp_path / "op" / "c_001.json").write_text('{"people": [{"pose_keypoints_2d": [1, 2]}]}')
    with pytest.raises(PoseFormatError) as info:
        load_openpose(tmp_path / "op", layout="BODY_25")
    assert "c_001.json" in str(info.value) and info.value.path == "$.people[0].pose_keypoints_2d"
    (tmp_path / "op" / "c_001.json").write_text(json.dumps(good))
    (tmp_path / "op" / "c_0001.json").write_text(json.dumps(good))  # frame 1 twice
    with pytest.raises(PoseFormatError, match=r"c_0001.json and .*c_001.json are both frame 1"):
        load_openpose(tmp_path / "op", layout="BODY_25")


def test_layout_that_cannot_be_told_says_where(tmp_path):
    (tmp_path / "op").mkdir()
    pts = np.zeros((25, 3))
    pts[0] = [10, 10, 0.9]  # a nose alone: no point between two others
    (tmp_path / "op" / "a_0.json").write_text(
        json.dumps({"people": [{"pose_keypoints_2d": pts.ravel().tolist()}]})
    )
    with pytest.raises(PoseFormatError, match=r"op: cannot tell BODY_25 from BODY_25B.*untestable"):
        load_openpose(tmp_path / "op")
