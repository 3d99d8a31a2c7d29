"""Joint names, skeletons, struct round trips and Kakao's bbox rule."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from posekit.schema import (
    COCO_SKELETON,
    JOINTS,
    KAKAO_SKELETON,
    JobResult,
    Person,
    default_category,
    kakao_bbox,
)


def test_joint_names_and_skeletons():
    assert len(JOINTS) == 17 and JOINTS[0] == "nose" and JOINTS[-1] == "right_ankle"
    assert len(KAKAO_SKELETON) == 18 and len(COCO_SKELETON) == 19
    for a, b in KAKAO_SKELETON + COCO_SKELETON:
        assert 1 <= a <= 17 and 1 <= b <= 17
    cat = default_category()
    assert cat.keypoints == list(JOINTS) and cat.skeleton[0] == [1, 2]


def test_optional_fields_stay_absent_on_encode():
    p = Person(area=1.0, bbox=[0, 0, 1, 1], category_id=1, keypoints=[0.0] * 51, score=0.5)
    assert b"object_id" not in msgspec.json.encode(p)
    job = JobResult(status="waiting", job_id="j")
    assert msgspec.json.decode(msgspec.json.encode(job)) == {"status": "waiting", "job_id": "j"}


def test_kakao_bbox_rule():
    xy = np.array([[10.0, 20.0]] * 17)
    xy[3] = [30.0, 5.0]
    bbox, area = kakao_bbox(xy)
    np.testing.assert_array_equal(bbox, [10, 5, 21, 16])
    assert area == 21 * 16
    # only valid points count; none valid -> all finite points; none finite -> zeros
    valid = np.ones(17, bool)
    valid[3] = False
    np.testing.assert_array_equal(kakao_bbox(xy, valid)[0], [10, 20, 1, 1])
    np.testing.assert_array_equal(kakao_bbox(xy, np.zeros(17, bool))[0], [10, 5, 21, 16])
    xy[5] = np.nan
    np.testing.assert_array_equal(kakao_bbox(xy)[0], [10, 5, 21, 16])
    bbox, area = kakao_bbox(np.full((17, 2), np.nan))
    assert bbox.tolist() == [0, 0, 0, 0] and area == 0


def test_kakao_bbox_vectorised_matches_loop():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (4, 3, 17, 2))
    valid = rng.uniform(size=(4, 3, 17)) > 0.3
    bbox, area = kakao_bbox(xy, valid)
    assert bbox.shape == (4, 3, 4) and area.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            b, a = kakao_bbox(xy[i, j], valid[i, j])
            np.testing.assert_array_equal(bbox[i, j], b)
            assert area[i, j] == pytest.approx(a)
