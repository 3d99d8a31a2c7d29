"""Loading, validating and saving Kakao-format results."""

from __future__ import annotations

import json
import math
import os

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import posekit as pk
from posekit.errors import (
    JobFailedError,
    JobNotFoundError,
    JobNotReadyError,
    PoseFormatError,
    PoseKitError,
)
from posekit.io import atomic_write


def person(oid=None, kp=None, **kw):
    p = {
        "area": 100.0,
        "bbox": [1.0, 2.0, 10.0, 10.0],
        "category_id": 1,
        "keypoints": kp if kp is not None else [float(i) for i in range(51)],
        "score": 0.5,
    }
    if oid is not None:
        p["object_id"] = oid
    p.update(kw)
    return p


def job(n_frames=3, people=2, **kw):
    d = {
        "annotations": [
            {"frame_num": f, "objects": [person(o) for o in range(people)]} for f in range(n_frames)
        ],
        "job_id": "69a51e1b-60e0-4601-a88a-08e05ba4d326",
        "status": "success",
        "video": {"fps": 30.0, "frames": n_frames, "width": 640, "height": 480},
    }
    d.update(kw)
    return d


def test_samples_load_and_round_trip_byte_for_byte(samples_dir, tmp_path):
    for name in ("kakao_image.json", "kakao_video_first2.json"):
        src = samples_dir / name
        res = pk.load(src)
        out = tmp_path / name
        res.save(out)
        assert out.read_bytes() == src.read_bytes()
        # touching the structs and saving again gives the same document (compact)
        again = pk.load(out)
        _ = again.job if again.kind == "video" else again.people
        assert json.loads(again.to_json()) == json.loads(src.read_bytes())


def test_a_result_is_immutable(samples_dir):
    import copy
    import pickle

    import pandas as pd

    res = pk.load(samples_dir / "kakao_video_first2.json")
    kp = res.keypoints()
    for name, value in [("source", "x"), ("partial", True), ("extra", {}), ("kind", "image"),
                        ("_raw", None), ("anything", 1)]:  # fmt: skip
        with pytest.raises(AttributeError, match="immutable"):
            setattr(res, name, value)
    with pytest.raises(TypeError):
        res.extra["width"] = 3  # type: ignore[index]
    with pytest.raises(AttributeError, match="immutable"):
        del res.source
    # touching the structs keeps the caches: same bytes out, same table, no re-decoding
    flat = res._flat
    assert res.job is res.job and res._flat is flat and flat is not None
    assert res.to_json() == (samples_dir / "kakao_video_first2.json").read_bytes()
    pd.testing.assert_frame_equal(res.keypoints(), kp)
    # new values through replace(); the original is unchanged, the payload shared
    other = res.replace(source="cam", partial=True, extra={"width": 3})
    assert (other.source, other.partial, dict(other.extra)) == ("cam", True, {"width": 3})
    assert (res.source, res.partial, dict(res.extra)) == (
        str(samples_dir / "kakao_video_first2.json"),
        False,
        {},
    )
    assert other.job is res.job
    # copies and pickles stay immutable and equal
    for twin in (copy.copy(other), pickle.loads(pickle.dumps(other))):
        assert dict(twin.extra) == {"width": 3} and twin.to_json() == res.to_json()
        with pytest.raises(AttributeError, match="immutable"):
            twin.source = "y"


def test_seed_video_sample_fields(samples_dir):
    res = pk.load(samples_dir / "kakao_video_first2.json")
    assert res.kind == "video"
    assert res.fps == pytest.approx(23.976023976023978)
    assert (res.width, res.height, res.n_frames) == (1920, 1080, 220)
    assert res.job_id == "69a51e1b-60e0-4601-a88a-08e05ba4d326"
    assert res.job.categories[0].skeleton[0] == [1, 2]
    assert res.job.info.contributor == "Kakao Brain Corp."
    kp = res.keypoints()
    assert kp.loc[(1, 0, "nose"), "x"] == 574.7607058439822


def test_image_sample(samples_dir):
    res = pk.load(samples_dir / "kakao_image.json")
    assert res.kind == "image" and res.fps is None and len(res.people) == 1
    kp = res.keypoints()
    assert kp.loc[(0, 0, "right_ankle"), "y"] == 284.8167
    assert "time" not in kp.columns


@pytest.mark.parametrize("as_", ["dict", "bytes", "path", "pretty"])
def test_load_sources_agree(as_, tmp_path):
    d = job()
    if as_ == "dict":
        src = d
    elif as_ == "bytes":
        src = json.dumps(d).encode()
    else:
        p = tmp_path / "r.json"
        p.write_text(json.dumps(d, indent=2 if as_ == "pretty" else None))
        src = p
    kp = pk.load(src).keypoints()
    assert kp.shape == (3 * 2 * 17, 4)
    np.testing.assert_array_equal(kp["x"].to_numpy()[:17], np.arange(0, 51, 3))


def test_numpy_values_in_dicts_are_accepted():
    d = job()
    d["annotations"][0]["objects"][0]["keypoints"] = np.arange(51.0)
    d["video"]["fps"] = np.float64(30)
    assert pk.load(d).fps == 30.0


def test_full_precision_floats_round_trip():
    rng = np.random.default_rng(1)
    vals = rng.uniform(-1e4, 1e4, 51)
    d = job(n_frames=1, people=1)
    d["annotations"][0]["objects"][0]["keypoints"] = vals.tolist()
    kp = pk.load(json.dumps(d).encode()).keypoints(undetected="keep")  # scores < 0 here
    np.testing.assert_array_equal(kp[["x", "y", "score"]].to_numpy().ravel(), vals)


def err(src) -> str:
    with pytest.raises(PoseFormatError) as info:
        pk.load(src)
    return str(info.value)


def test_wrong_keypoint_count_names_the_path():
    d = job(n_frames=14)
    d["annotations"][12]["objects"][1]["keypoints"] = [1.0] * 48
    for src in (d, json.dumps(d).encode()):
        msg = err(src)
        assert msg.startswith("$.annotations[12].objects[1].keypoints: has 48 values, expected 51")


@pytest.mark.parametrize(("frame", "obj", "n"), [(0, 0, 50), (0, 0, 52), (2, 1, 50), (2, 1, 54)])
def test_wrong_keypoint_count_anywhere_in_the_fast_path(frame, obj, n):
    d = job()
    d["annotations"][frame]["objects"][obj]["keypoints"] = [1.5] * n
    msg = err(json.dumps(d).encode())
    assert msg.startswith(f"$.annotations[{frame}].objects[{obj}].keypoints: has {n} values")


def test_image_wrong_keypoint_count():
    assert err([person(), person(kp=[0.0] * 54)]).startswith("$[1].keypoints: has 54 values")


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (
            lambda d: d["annotations"][1]["objects"][0]["keypoints"].__setitem__(4, "x"),
            "$.annotations[1].objects[0].keypoints[4]",
            "Expected `float`, got `str`",
        ),
        (
            lambda d: d["annotations"][1]["objects"][0]["keypoints"].__setitem__(4, None),
            "$.annotations[1].objects[0].keypoints[4]",
            "got `null`",
        ),
        (
            lambda d: d["annotations"][0]["objects"][0].__setitem__("bbox", [1, 2, 3]),
            "$.annotations[0].objects[0].bbox",
            "has 3 values, expected 4",
        ),
        (
            lambda d: d["annotations"][2].__setitem__("frame_num", -1),
            "$.annotations[2].frame_num",
            "expected >= 0",
        ),
        (
            lambda d: d["annotations"][2].__setitem__("frame_num", 1),
            "$.annotations[2].frame_num",
            "appears twice",
        ),
        (
            lambda d: d["annotations"][1]["objects"][1].__setitem__("object_id", 0),
            "$.annotations[1].objects[1].object_id",
            "object_id 0 appears twice in frame 1",
        ),
        (
            lambda d: d["annotations"][1]["objects"][1].pop("object_id"),
            "$.annotations[1].objects[1]",
            "has no object_id",
        ),
        (
            lambda d: d["annotations"][0]["objects"][0].pop("score"),
            "$.annotations[0].objects[0]",
            "missing required field `score`",
        ),
        (lambda d: d.pop("video"), "$", "'video' block"),
        (lambda d: d.pop("annotations"), "$", "'annotations'"),
        (lambda d: d.__setitem__("status", "done"), "$.status", "expected one of"),
        (lambda d: d["video"].__setitem__("fps", 0), "$.video.fps", "positive"),
        (lambda d: d.__setitem__("annotations", {}), "$.annotations", "Expected `array`"),
    ],
)
def test_bad_documents_name_path_and_problem(mutate, path, words):
    d = job()
    mutate(d)
    for src in (d, json.dumps(d).encode()):
        msg = err(src)
        assert msg.startswith(path + ":"), msg
        assert words in msg, msg


def test_nan_and_inf_are_refused():
    d = job()
    d["annotations"][1]["objects"][0]["keypoints"][7] = math.nan
    assert err(d).startswith("$.annotations[1].objects[0].keypoints[7]: is nan")
    raw = json.dumps(job()).replace('"area": 100.0', '"area": 1e999', 1).encode()
    assert err(raw).startswith("$.annotations[0].objects[0].area: Number out of range")
    raw = json.dumps(job()).replace("3.0, 4.0, 5.0", "3.0, 1e999, 5.0", 1).encode()
    assert err(raw).startswith("$.annotations[0].objects[0].keypoints[4]:")
    d = job()
    d["annotations"][0]["objects"][0]["keypoints"][4] = math.nan
    assert "NaN" in json.dumps(d)  # python's json writes the non-standard token
    msg = err(json.dumps(d).encode())
    assert msg.startswith("$: JSON is malformed") and "NaN" in msg


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"{",
        b'{"status": "success", "annotations": [',
        b"null",
        b"42",
        b"\xff\xfe",
        b"<html>502 Bad Gateway</html>",
        b'{"status": "\x80"}',
        b'[{"area": 1, "x\xff": 2}]',
    ],
)
def test_truncated_or_non_json(data):
    with pytest.raises(PoseFormatError) as info:
        pk.load(data)
    assert info.value.path.startswith("$")


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        ("waiting", JobNotReadyError),
        ("processing", JobNotReadyError),
        ("failed", JobFailedError),
        ("not found", JobNotFoundError),
    ],
)
def test_status_other_than_success(status, exc):
    d = {"job_id": "abc", "status": status}
    if status == "failed":
        d["description"] = "Failed to get video"
    with pytest.raises(exc) as info:
        pk.load(d)
    assert info.value.job_id == "abc"
    if status == "failed":
        assert info.value.description == "Failed to get video"
        assert "Failed to get video" in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such result file"):
        pk.load(tmp_path / "nope.json")
    with pytest.raises(PoseFormatError, match="load_openpose"):
        pk.load(tmp_path)
    with pytest.raises(TypeError):
        pk.load(42)  # type: ignore[arg-type]


def test_untracked_video_objects_get_list_order():
    d = job()
    for a in d["annotations"]:
        for o in a["objects"]:
            o.pop("object_id")
    kp = pk.load(d).keypoints()
    assert sorted(kp.index.get_level_values("object_id").unique()) == [0, 1]


def test_empty_results():
    res = pk.load([])
    assert res.kind == "image" and len(res.keypoints()) == 0
    res = pk.load(job(n_frames=0))
    kp = res.keypoints()
    assert len(kp) == 0 and list(kp.index.names) == ["frame", "object_id", "joint"]
    d = job()
    d["annotations"][1]["objects"] = []
    assert len(pk.load(d).keypoints()) == 2 * 2 * 17


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "result.json"
    target.write_bytes(b"old")

    class Boom:
        def __len__(self):
            return 3

        def __buffer__(self, flags):  # pragma: no cover - py3.12 protocol
            raise RuntimeError("disk on fire")

    with pytest.raises(TypeError):
        atomic_write(target, Boom())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["result.json"]
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_with_indent(tmp_path):
    res = pk.load(job())
    res.save(tmp_path / "r.json", indent=2)
    text = (tmp_path / "r.json").read_text()
    assert "\n  " in text
    assert pk.load(tmp_path / "r.json").keypoints().equals(res.keypoints())


VALID = json.dumps(job()).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_documents_raise_only_posekit_errors(data):
    """Byte-level damage to a valid document: only posekit's own exceptions may escape."""
    buf = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        i = data.draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[i] = data.draw(st.sampled_from(list(b'{}[],:"0123456789.-eE ntfx\\')))
        elif op == "cut":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del buf[i : i + data.draw(st.integers(1, 20))]
        if not buf:
            buf = bytearray(b"{")
    try:
        pk.load(bytes(buf)).keypoints()
    except PoseKitError:
        pass


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "status",
                    "annotations",
                    "frame_num",
                    "objects",
                    "keypoints",
                    "bbox",
                    "area",
                    "score",
                    "category_id",
                    "object_id",
                    "video",
                    "fps",
                    "frames",
                    "width",
                    "height",
                    "job_id",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fuzz_arbitrary_structures(value):
    try:
        pk.load(value if isinstance(value, dict | list) else msgspec.json.encode(value))
    except PoseKitError:
        pass
