"""Loaders raise posekit errors only, whatever they are given: >= 10,000 generated inputs per
loader (hypothesis, derandomized so a run is repeatable), plus the known killers (deep nesting,
ids and frame numbers beyond int64, frame numbers that would allocate gigabytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import posekit as pk
from posekit.errors import PoseKitError

pytestmark = [pytest.mark.timeout(1200), pytest.mark.slow]

N_CASES = int(os.environ.get("POSEKIT_FUZZ_CASES", "10000"))
FUZZ = settings(
    max_examples=N_CASES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=4)
)
junk = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a well-formed value, sometimes anything, sometimes absent (see ``drop``)."""
    return st.one_of(valid, valid, valid, junk)


def drop(d: dict) -> st.SearchStrategy:
    keys = list(d)
    return st.fixed_dictionaries(d).flatmap(
        lambda doc: st.sets(st.sampled_from(keys), max_size=2).map(
            lambda gone: {k: v for k, v in doc.items() if k not in gone}
        )
    )


coord = st.floats(min_value=-10, max_value=5000, allow_nan=False)
numbers = lambda n: st.lists(coord, min_size=n, max_size=n)  # noqa: E731
person = drop(
    {
        "area": maybe(coord),
        "bbox": maybe(numbers(4)),
        "category_id": maybe(st.just(1)),
        "keypoints": maybe(numbers(51) | st.lists(coord, max_size=60)),
        "score": maybe(st.floats(0, 1)),
        "object_id": maybe(st.integers(-3, 3) | st.integers(-(2**65), 2**65)),
    }
)
kakao_job = drop(
    {
        "job_id": maybe(st.just("69a51e1b-60e0-4f3a-9a35-6f7b5c2d9e11")),
        "status": maybe(st.sampled_from(["success", "failed", "waiting", "processing", "x"])),
        "annotations": maybe(
            st.lists(
                drop(
                    {
                        "frame_num": maybe(st.integers(-2, 50) | st.integers(-(2**65), 2**65)),
                        "objects": maybe(st.lists(person, max_size=3)),
                    }
                ),
                max_size=4,
            )
        ),
        "categories": maybe(st.just([{"id": 1, "name": "person"}])),
        "video": maybe(
            drop(
                {
                    "fps": maybe(st.floats(0.1, 60)),
                    "frames": maybe(st.integers(0, 100)),
                    "width": maybe(st.integers(1, 2000)),
                    "height": maybe(st.integers(1, 2000)),
                }
            )
        ),
    }
)
kakao = kakao_job | st.lists(person, max_size=3) | junk


def only_posekit_errors(load, *args, **kwargs) -> None:
    try:
        load(*args, **kwargs)
    except PoseKitError:
        pass


@FUZZ
@given(doc=kakao, as_bytes=st.booleans())
def test_load_fuzz(doc, as_bytes: bool) -> None:
    if as_bytes or not isinstance(doc, dict | list):
        only_posekit_errors(pk.load, json.dumps(doc).encode())
    else:
        only_posekit_errors(pk.load, doc)


coco_ann = drop(
    {
        "image_id": maybe(st.integers(0, 3)),
        "keypoints": maybe(numbers(51) | st.lists(coord, max_size=60)),
        "score": maybe(st.floats(0, 1)),
        "bbox": maybe(numbers(4)),
        "area": maybe(coord),
        "num_keypoints": maybe(st.integers(0, 17)),
    }
)
coco = (
    st.lists(coco_ann, max_size=4)
    | drop(
        {
            "annotations": maybe(st.lists(coco_ann, max_size=4)),
            "images": maybe(
                st.lists(
                    drop(
                        {
                            "id": maybe(st.integers(0, 3)),
                            "width": maybe(st.integers(1, 100)),
                            "height": maybe(st.integers(1, 100)),
                        }
                    ),
                    max_size=3,
                )
            ),
        }
    )
    | junk.map(lambda d: [d] if isinstance(d, str) else d)  # a string is a path, not a document
)


@FUZZ
@given(doc=coco, fps=st.sampled_from([None, 30.0]))
def test_load_coco_fuzz(doc, fps) -> None:
    only_posekit_errors(pk.io.load_coco, doc, fps=fps)


openpose_person = drop(
    {
        "person_id": maybe(st.just([-1]) | st.integers(-1, 5)),
        "pose_keypoints_2d": maybe(numbers(75) | numbers(54) | st.lists(coord, max_size=80)),
    }
)
openpose = (
    drop({"version": maybe(st.just(1.3)), "people": maybe(st.lists(openpose_person, max_size=3))})
    | junk
)


@pytest.fixture(scope="module")
def frame_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("op") / "clip_000000000000_keypoints.json"


@FUZZ
@given(docs=st.lists(openpose, min_size=1, max_size=2))
def test_load_openpose_fuzz(docs, frame_file: Path) -> None:
    files = []
    for i, doc in enumerate(docs):
        f = frame_file.with_name(f"clip_{i:012d}_keypoints.json")
        f.write_text(json.dumps(doc))
        files.append(f)
    only_posekit_errors(pk.io.load_openpose, files, fps=30)


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"status": "success", "annotations": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"status":"success","annotations":[{"frame_num":100000000,"objects":[]}],'
        b'"video":{"fps":30,"frames":1,"width":10,"height":10}}',
        b'{"status":"success","annotations":[{"frame_num":' + b"9" * 25 + b',"objects":[]}],'
        b'"video":{"fps":30,"frames":1,"width":10,"height":10}}',
    ],
)
def test_the_known_killers_are_format_errors(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(pk.errors.PoseFormatError):
        pk.load(data)
    (tmp_path / "a.json").write_bytes(data)
    with pytest.raises(pk.errors.PoseFormatError):
        pk.io.load_coco(tmp_path / "a.json")
    with pytest.raises(pk.errors.PoseFormatError):
        pk.io.load_openpose([tmp_path / "a.json"])


def test_large_distinct_ids_are_refused_not_reported_as_duplicates() -> None:
    person = {"area": 1.0, "bbox": [0, 0, 1, 1], "category_id": 1, "keypoints": [1.0] * 51,
              "score": 0.5}  # fmt: skip
    job = {
        "status": "success",
        "video": {"fps": 30, "frames": 1, "width": 10, "height": 10},
        "annotations": [
            {
                "frame_num": 0,
                "objects": [{**person, "object_id": 2**62}, {**person, "object_id": 0}],
            }
        ],
    }
    with pytest.raises(pk.errors.PoseFormatError, match="object_id") as info:
        pk.load(job)
    assert "twice" not in str(info.value)
    job["annotations"][0]["objects"][0]["object_id"] = 2**31 - 1  # the largest accepted
    assert sorted(pk.load(job).keypoints().reset_index()["object_id"].unique()) == [0, 2**31 - 1]
