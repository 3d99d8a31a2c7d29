"""posekit.client against a real HTTP server on loopback (tests/kakao_fake_server.py).

The server URL comes from the ``kakao_server`` fixture (``.url``, ``.api_key``); the fault
knobs (``add_fault``, ``kakao_error``, ``expire``, ``attempts``) are the fake's.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
from kakao_fake_server import SCORES, TEMPLATE, FakeKakaoServer, probe_video

import posekit as pk
from posekit.client import Client, RetryPolicy, callback_receiver, check_image
from posekit.client._http import retry_after_seconds
from posekit.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthError,
    InputLimitError,
    InvalidRequestError,
    JobFailedError,
    JobNotFoundError,
    JobNotReadyError,
    JobTimeoutError,
    MaintenanceError,
    PermissionDeniedError,
    PoseAPIError,
    PoseFormatError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    ServiceTerminatedError,
)

FAST = {"poll_s": 0.01, "max_poll_s": 0.03, "timeout_s": 10.0, "progress": False}


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _fake_server():
    srv = FakeKakaoServer(api_key="test-key", step=0.05).start()
    yield srv
    srv.stop()


@pytest.fixture
def kakao_server(_fake_server):
    """The API server under test (swap for another Kakao-compatible server)."""
    _fake_server.reset()
    return _fake_server


@pytest.fixture
def client(kakao_server):
    with Client(
        kakao_server.api_key, kakao_server.url, timeout_s=(2.0, 2.0), retries=3, backoff_s=0.01
    ) as c:
        yield c


def make_image(width: int, height: int, fmt: str = "JPEG", *, noise: bool = False) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(0)
    if noise:
        arr = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    else:
        yy, xx = np.mgrid[0:height, 0:width]
        arr = np.stack([xx % 256, yy % 256, (xx + yy) % 256], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def make_video(n_frames: int = 10, fps: int = 10, size: tuple[int, int] = (64, 48)) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("mpeg4", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(n_frames):
            arr = np.full((size[1], size[0], 3), (i * 20) % 256, np.uint8)
            for p in s.encode(pk_frame(arr)):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return buf.getvalue()


def pk_frame(arr):
    import av

    return av.VideoFrame.from_ndarray(arr, format="rgb24")


@pytest.fixture(scope="module")
def video_bytes() -> bytes:
    return make_video()


@pytest.fixture
def video_path(tmp_path, video_bytes) -> Path:
    p = tmp_path / "clip.mp4"
    p.write_bytes(video_bytes)
    return p


@pytest.fixture
def image_path(tmp_path) -> Path:
    p = tmp_path / "photo.jpg"
    p.write_bytes(make_image(640, 480))
    return p


def expected_xy(width: float, height: float, dx: float = 0.0) -> np.ndarray:
    return TEMPLATE * [width, height] + [dx, 0.0]


def people_xy(res: pk.PoseResult) -> np.ndarray:
    return np.asarray(res.people[0].keypoints).reshape(17, 3)[:, :2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- construction ------------------------------------------------------------------------------
def test_api_key_from_environment_and_hidden_from_repr(monkeypatch, kakao_server, image_path):
    monkeypatch.delenv("KAKAO_REST_API_KEY", raising=False)
    monkeypatch.delenv("POSEKIT_API_KEY", raising=False)
    with pytest.raises(ValueError, match="KAKAO_REST_API_KEY"):
        Client(base_url=kakao_server.url)
    monkeypatch.setenv("POSEKIT_API_KEY", kakao_server.api_key)
    monkeypatch.setenv("POSEKIT_BASE_URL", kakao_server.url)
    c = Client()
    assert c.base_url == kakao_server.url
    assert kakao_server.api_key not in repr(c)
    c.analyze_image(image_path)
    assert kakao_server.attempts[-1].headers["Authorization"] == "KakaoAK test-key"
    assert pk.Client is Client and pk.callback_receiver is callback_receiver
    with pytest.raises(ValueError, match="http"):
        Client("k", "ftp://example.org")


def test_wrong_key_is_auth_error(kakao_server, image_path):
    c = Client("wrong", kakao_server.url, backoff_s=0.01)
    with pytest.raises(AuthError) as info:
        c.analyze_image(image_path)
    assert (info.value.status, info.value.code) == (401, -401)
    assert info.value.msg == "Not authorized with provided app key"
    assert len(kakao_server.attempts) == 1


# -- POST /pose ----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["path", "str", "bytes", "fileobj"])
def test_analyze_image_file_inputs(client, kakao_server, image_path, form):
    data = image_path.read_bytes()
    arg = {
        "path": image_path,
        "str": str(image_path),
        "bytes": data,
        "fileobj": open(image_path, "rb"),
    }[form]
    res = client.analyze_image(arg)
    if form == "fileobj":
        arg.close()
    assert res.kind == "image" and len(res.people) == 1
    np.testing.assert_allclose(people_xy(res), expected_xy(640, 480), atol=1e-3)
    np.testing.assert_allclose(np.asarray(res.people[0].keypoints)[2::3], SCORES)
    (att,) = kakao_server.attempts
    assert att.content_type.startswith("multipart/form-data")
    filename, sent, ctype = att.files["file"]
    assert sent == data and ctype == "image/jpeg"
    assert filename == ("photo.jpg" if form != "bytes" else "image.jpg")
    kp = res.keypoints()
    assert (kp.attrs["width"], kp.attrs["height"]) == (640, 480)


def test_analyze_image_url_is_form_encoded(client, kakao_server):
    url = "https://example.org/person.jpg"
    res = client.analyze_image(url=url)
    np.testing.assert_allclose(people_xy(res), expected_xy(640, 480), atol=1e-3)
    (att,) = kakao_server.attempts
    assert att.content_type == "application/x-www-form-urlencoded"
    assert att.fields == {"image_url": url} and not att.files
    assert res.source == url
    # a URL passed positionally is a URL too
    client.analyze_image(url)
    assert kakao_server.attempts[-1].fields == {"image_url": url}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_other_documented_formats_upload_as_is(client, kakao_server, fmt):
    data = make_image(400, 320, fmt)
    client.analyze_image(data)
    assert kakao_server.attempts[-1].files["file"][1] == data
    assert kakao_server.attempts[-1].files["file"][2] == f"image/{fmt.lower()}"


@pytest.mark.parametrize(
    ("size", "fmt", "noise", "problem"),
    [
        ((3000, 2000), "JPEG", False, "long side 3000 px > 2048"),
        ((300, 200), "JPEG", False, "short side 200 px < 320"),
        ((400, 400), "BMP", False, "format is not JPEG"),
        ((1200, 1000), "PNG", True, "more than 2 MB"),
    ],
)
def test_image_limits_checked_before_upload(client, kakao_server, size, fmt, noise, problem):
    data = make_image(*size, fmt, noise=noise)
    assert problem in "; ".join(check_image(data).problems)
    with pytest.raises(InputLimitError, match="prepare=True"):
        client.analyze_image(data)
    assert kakao_server.attempts == []


def test_server_side_limit_is_invalid_request(kakao_server):
    c = Client(kakao_server.api_key, kakao_server.url, check_limits=False, backoff_s=0.01)
    with pytest.raises(InvalidRequestError) as info:
        c.analyze_image(make_image(3000, 2000))
    assert (info.value.status, info.value.code) == (400, -2)
    assert len(kakao_server.attempts) == 1


def _sent_size(att) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(att.files["file"][1])) as im:
        return im.size


def test_prepare_downscales_and_maps_keypoints_back(client, kakao_server):
    res = client.analyze_image(make_image(4096, 3072), prepare=True)
    att = kakao_server.attempts[-1]
    assert _sent_size(att) == (2048, 1536) and att.files["file"][2] == "image/jpeg"
    # the server saw a 2x smaller image; keypoints come back x2, scores untouched
    np.testing.assert_allclose(people_xy(res), expected_xy(4096, 3072), atol=2e-3)
    np.testing.assert_allclose(np.asarray(res.people[0].keypoints)[2::3], SCORES)
    sent = expected_xy(2048, 1536)
    sent_bbox = np.r_[sent.min(axis=0), np.ptp(sent, axis=0) + 1]
    np.testing.assert_allclose(res.people[0].bbox, sent_bbox * 2, atol=2e-3)
    assert res.people[0].area == pytest.approx(np.prod(sent_bbox[2:]) * 4, rel=1e-6)
    kp = res.keypoints()
    assert (kp.attrs["width"], kp.attrs["height"]) == (4096, 3072)
    assert res.extra["prepared"]["scale_x"] == 0.5


def test_prepare_upscales_small_and_reencodes_odd_formats(client, kakao_server):
    res = client.analyze_image(make_image(160, 120, "BMP"), prepare=True)
    assert _sent_size(kakao_server.attempts[-1]) == (427, 320)
    np.testing.assert_allclose(people_xy(res), expected_xy(160, 120), atol=0.01)


def test_prepare_pads_very_elongated_images(client, kakao_server):
    res = client.analyze_image(make_image(4000, 200), prepare=True)
    assert _sent_size(kakao_server.attempts[-1]) == (2048, 320)  # 2048 x 102, padded below
    sx, sy = 2048 / 4000, 102 / 200  # per axis, as rounded to whole pixels
    np.testing.assert_allclose(people_xy(res)[:, 0], TEMPLATE[:, 0] * 2048 / sx, atol=0.01)
    np.testing.assert_allclose(people_xy(res)[:, 1], TEMPLATE[:, 1] * 320 / sy, atol=0.01)


def test_prepare_leaves_a_good_image_alone(client, kakao_server, image_path):
    client.analyze_image(image_path, prepare=True)
    assert kakao_server.attempts[-1].files["file"][1] == image_path.read_bytes()


# -- POST /pose/job, GET /pose/job/{id} ---------------------------------------------------------
@pytest.mark.parametrize("form", ["path", "bytes", "fileobj"])
def test_submit_video_file_inputs(client, kakao_server, video_path, form):
    data = video_path.read_bytes()
    arg = {"path": video_path, "bytes": data, "fileobj": io.BytesIO(data)}[form]
    job_id = client.submit_video(arg, smoothing=False)
    assert str(uuid.UUID(job_id)) == job_id
    (att,) = kakao_server.attempts
    assert att.content_type.startswith("multipart/form-data")
    assert att.files["file"][1] == data
    assert att.fields == {"smoothing": "false"}
    assert kakao_server.jobs[job_id].smoothing is False


def test_submit_video_url_with_callback(client, kakao_server):
    url = "https://example.org/clip.mp4"
    job_id = client.submit_video(url=url, callback_url="http://127.0.0.1:9/cb")
    (att,) = kakao_server.attempts
    assert att.content_type == "application/x-www-form-urlencoded"
    assert att.fields == {
        "video_url": url,
        "smoothing": "true",
        "callback_url": "http://127.0.0.1:9/cb",
    }
    assert kakao_server.jobs[job_id].smoothing is True


def test_bad_arguments_fail_before_any_request(client, kakao_server, video_path):
    with pytest.raises(ValueError, match="either"):
        client.submit_video()
    with pytest.raises(ValueError, match="either"):
        client.submit_video(video_path, url="https://example.org/a.mp4")
    with pytest.raises(ValueError, match="http"):
        client.submit_video(url="ftp://example.org/a.mp4")
    with pytest.raises(FileNotFoundError, match="no such video"):
        client.submit_video(video_path.with_name("missing.mp4"))
    with pytest.raises(InputLimitError, match="50 MB"):
        client.submit_video(b"\0" * (50 * 2**20 + 1))
    for bad in ["../../etc/passwd", "69a51e1b-60e0-4601", "", "69a51e1b60e04601a88a08e05ba4d326"]:
        with pytest.raises(ValueError, match="not a job id"):
            client.job(bad)
    assert kakao_server.attempts == []


def test_job_lifecycle_waiting_processing_success(client, kakao_server, video_path):
    kakao_server.step = 0.25  # long enough to be seen by a poll on a loaded machine
    job_id = client.submit_video(video_path)
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        info = client.job(job_id)
        if not seen or seen[-1] != info.status:
            seen.append(info.status)
        if info.done:
            break
        with pytest.raises(JobNotReadyError):
            _ = info.result
        time.sleep(0.01)
    assert seen == ["waiting", "processing", "success"]
    res = info.result
    assert res.kind == "video" and res.job_id == job_id
    assert (res.fps, res.n_frames, res.width, res.height) == (10.0, 10, 64, 48)
    kp = res.keypoints()
    assert kp.attrs["job_id"] == job_id and kp.attrs["fps"] == 10.0
    # person 0 walks 2 px per frame; person 1 is there in even frames only
    nose = kp.xs((3, 0, "nose"))
    assert nose["x"] == pytest.approx(0.5 * 64 + 6, abs=1e-3)
    assert nose["time"] == pytest.approx(0.3)
    assert set(kp.index.get_level_values("object_id")) == {0, 1}
    assert len(res.objects()) == 10 + 5


def test_wait_and_analyze_video(client, kakao_server, video_path, capsys):
    res = client.analyze_video(video_path, smoothing=False, **{**FAST, "progress": True})
    assert res.source == str(video_path) and res.n_frames == 10
    assert "success" in capsys.readouterr().err  # the tqdm line showed the status
    res2 = client.analyze_video(url="https://example.org/clip.mp4", **FAST)
    assert (res2.fps, res2.n_frames, res2.width) == (30.0, 12, 640)
    assert res2.source == "https://example.org/clip.mp4"


def test_synth_result_arrives_intact(client, kakao_server):
    from posekit.synth import generate

    kakao_server.synth_activity = "squat"
    res = client.analyze_video(url="https://example.org/squat.mp4", **FAST)
    sim = generate("squat", duration_s=12 / 30, fps=30.0, width=640, height=480, n_people=2,
                   noise_px=1.0, dropout=0.05, seed=0, job_id=res.job_id)  # fmt: skip
    assert res.to_dict() == sim.result.to_dict()
    kp = res.keypoints()
    assert kp.shape == sim.result.keypoints().shape and kp.attrs["fps"] == 30.0


def test_analyze_video_keeps_the_job_id_when_polling_fails(client, kakao_server, video_path):
    kakao_server.add_fault("answer", method="GET", status=503, body=b"down", times=20)
    with pytest.raises(ServerError) as info:
        client.analyze_video(video_path, **FAST)
    job_id = list(kakao_server.jobs)[-1]  # the job this call started
    assert f"client.wait({job_id!r})" in "".join(info.value.__notes__)


def test_failed_job(client, kakao_server):
    job_id = client.submit_video(b"this is not a video")
    with pytest.raises(JobFailedError) as info:
        client.wait(job_id, **FAST)
    assert info.value.description == "Failed to get video"
    assert info.value.job_id == job_id
    assert client.job(job_id).status == "failed"
    with pytest.raises(JobFailedError, match="Failed to get video"):
        client.analyze_video(url="https://example.org/missing.mp4", **FAST)


def test_expired_and_unknown_jobs(client, kakao_server, video_path):
    job_id = client.submit_video(video_path)
    client.wait(job_id, **FAST)
    kakao_server.expire(job_id)
    info = client.job(job_id)
    assert info.status == "not found" and info.done
    with pytest.raises(JobNotFoundError, match="7 days"):
        client.wait(job_id, **FAST)
    with pytest.raises(JobNotFoundError) as err:
        client.wait(str(uuid.uuid4()), **FAST)
    assert err.value.status == "not found"


def test_wait_timeout_names_the_job(client, kakao_server, video_path):
    kakao_server.plan = ("waiting",) * 3 + ("success",)
    kakao_server.step = 10.0
    job_id = client.submit_video(video_path)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        client.wait(job_id, poll_s=0.02, max_poll_s=0.05, timeout_s=0.3, progress=False)
    assert time.monotonic() - t0 < 1.5
    assert isinstance(info.value, JobTimeoutError)
    assert info.value.job_id == job_id and job_id in str(info.value)
    assert info.value.status == "waiting"


# -- errors ------------------------------------------------------------------------------------
KAKAO_CASES = [
    (-1, ServerError, 400),
    (-2, InvalidRequestError, 400),
    (-3, PermissionDeniedError, 403),
    (-4, PermissionDeniedError, 403),
    (-5, PermissionDeniedError, 403),
    (-7, MaintenanceError, 400),
    (-8, InvalidRequestError, 400),
    (-9, ServiceTerminatedError, 400),
    (-10, QuotaExceededError, 400),
    (-11, QuotaExceededError, 400),
    (-12, PermissionDeniedError, 403),
    (-401, AuthError, 401),
]


@pytest.mark.parametrize(("code", "exc", "status"), KAKAO_CASES)
@pytest.mark.parametrize("endpoint", ["image", "video", "job"])
def test_every_kakao_error_code(client, kakao_server, video_path, code, exc, status, endpoint):
    kakao_server.kakao_error(code)
    with pytest.raises(exc) as info:
        if endpoint == "image":
            client.analyze_image(url="https://example.org/a.jpg")
        elif endpoint == "video":
            client.submit_video(video_path)
        else:
            client.job(str(uuid.uuid4()))
    err = info.value
    assert isinstance(err, PoseAPIError) and isinstance(err, pk.PoseKitError)
    assert (err.status, err.code) == (status, code)
    assert err.msg and err.msg in str(err)
    assert len(kakao_server.attempts) == 1  # none of them is worth a retry


def test_non_json_error_body_reports_status_and_body(client, kakao_server):
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    kakao_server.add_fault("answer", status=502, body=html, headers={"Content-Type": "text/html"},
                           times=10)  # fmt: skip
    with pytest.raises(ServerError) as info:
        client.job(str(uuid.uuid4()))
    assert info.value.status == 502 and info.value.code is None
    assert "502 Bad Gateway" in info.value.msg
    assert len(kakao_server.attempts) == 4  # 1 + 3 retries on an idempotent GET
    kakao_server.reset()
    kakao_server.add_fault("answer", status=418, body=b"")
    with pytest.raises(PoseAPIError, match="empty body") as info:
        client.job(str(uuid.uuid4()))
    assert info.value.status == 418


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/pose/job/", b'{"status": "succ'),
        ("GET", "/pose/job/", b'{"status": "done"}'),
        ("POST", "/pose", b'[{"area": 1.0, "bbox": [0, 0'),
        ("POST", "/pose", b'[{"area": 1, "bbox": [0,0,1,1], "category_id": 1, '
                          b'"keypoints": [0, 0, 0], "score": 0.5}]'),
        ("POST", "/pose/job", b"job accepted"),
        ("POST", "/pose/job", b'{"job_id": "../../admin"}'),
    ],
)  # fmt: skip
def test_malformed_json_answers_are_format_errors(client, kakao_server, method, path, body):
    kakao_server.add_fault("answer", method=method, path=path, status=200, body=body)
    with pytest.raises((PoseFormatError, ValueError)) as info:
        if path == "/pose":
            client.analyze_image(url="https://example.org/a.jpg")
        elif path == "/pose/job":
            client.submit_video(url="https://example.org/a.mp4")
        else:
            client.job(str(uuid.uuid4()))
    assert isinstance(info.value, PoseFormatError) or "not a job id" in str(info.value)
    if b"keypoints" in body:
        assert info.value.path == "$[0].keypoints" and "expected 51" in str(info.value)


def test_bad_result_structure_names_the_json_path(client, kakao_server, video_path):
    job_id = client.submit_video(video_path)
    client.wait(job_id, **FAST)
    answer = kakao_server.jobs[job_id].answer()
    answer["annotations"][4]["objects"][1]["bbox"] = [1, 2, 3]
    import json

    kakao_server.add_fault("answer", method="GET", status=200, body=json.dumps(answer).encode())
    with pytest.raises(PoseFormatError) as info:
        client.job(job_id)
    assert info.value.path == "$.annotations[4].objects[1].bbox"


# -- retries, timeouts, resets -----------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_retries_server_errors(client, kakao_server, status):
    kakao_server.add_fault("answer", method="GET", status=status, body=b"oops", times=2)
    info = client.job(str(uuid.uuid4()))
    assert info.status == "not found"
    assert len(kakao_server.attempts) == 3


def test_retries_give_up_after_the_policy(kakao_server):
    c = Client(kakao_server.api_key, kakao_server.url, retries=2, backoff_s=0.01)
    kakao_server.add_fault("answer", status=503, body=b"busy", times=10)
    with pytest.raises(ServerError):
        c.job(str(uuid.uuid4()))
    assert len(kakao_server.attempts) == 3


def test_429_honours_retry_after(client, kakao_server, video_path):
    kakao_server.add_fault("answer", status=429, body=b'{"code": -10, "msg": "slow down"}',
                           headers={"Retry-After": "0.3"})  # fmt: skip
    t0 = time.monotonic()
    job_id = client.submit_video(video_path)  # even an upload: 429 means "not accepted"
    assert time.monotonic() - t0 >= 0.3
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 2
    assert list(kakao_server.jobs).count(job_id) == 1


def test_429_with_a_long_retry_after_is_raised(client, kakao_server):
    kakao_server.add_fault("answer", status=429, body=b"Too Many Requests",
                           headers={"Retry-After": "120"})  # fmt: skip
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        client.job(str(uuid.uuid4()))
    assert time.monotonic() - t0 < 1
    assert info.value.retry_after == 120 and info.value.status == 429
    assert len(kakao_server.attempts) == 1


def test_retry_after_http_date():
    from email.utils import formatdate

    assert retry_after_seconds(formatdate(time.time() + 30, usegmt=True)) == pytest.approx(
        30, abs=2
    )
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_is_exponential_with_jitter():
    p = RetryPolicy(backoff_s=0.5, max_backoff_s=3.0)
    assert [p.delay(i, rng=lambda: 1.0) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [p.delay(i, rng=lambda: 0.0) for i in range(3)] == [0.25, 0.5, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_video_upload_that_got_an_answer_is_never_resent(client, kakao_server, video_path, status):
    kakao_server.add_fault("answer", method="POST", status=status, body=b"err", times=5)
    with pytest.raises(ServerError):
        client.submit_video(video_path)
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 1


def test_video_upload_cut_off_answer_is_not_resent(client, kakao_server, video_path):
    n_jobs = len(kakao_server.jobs)
    kakao_server.add_fault("truncate", method="POST", path="/pose/job")
    with pytest.raises(APIConnectionError, match="may have reached the server"):
        client.submit_video(video_path)
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 1
    assert len(kakao_server.jobs) == n_jobs + 1  # the server did start one job: no second


def test_video_upload_reset_is_not_resent(client, kakao_server, video_path):
    kakao_server.add_fault("reset", method="POST", path="/pose/job", times=3)
    with pytest.raises(APIConnectionError):
        client.submit_video(video_path)
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 1


def test_video_upload_read_timeout_is_not_resent(kakao_server, video_path):
    c = Client(kakao_server.api_key, kakao_server.url, timeout_s=(2, 0.3), backoff_s=0.01)
    kakao_server.add_fault("delay", method="POST", path="/pose/job", delay=2.0, times=3)
    t0 = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        c.submit_video(video_path)
    assert 0.3 <= time.monotonic() - t0 < 1.8  # gave up at the read timeout, sent nothing more
    assert isinstance(info.value, TimeoutError)
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 1


def test_video_upload_retried_when_nothing_was_sent(kakao_server, video_bytes):
    port = free_port()
    late: list[FakeKakaoServer] = []

    def start_late():
        time.sleep(0.4)
        late.append(FakeKakaoServer(port=port).start())

    t = threading.Thread(target=start_late)
    t.start()
    try:
        c = Client("test-key", f"http://127.0.0.1:{port}", retries=6, backoff_s=0.15)
        job_id = c.submit_video(video_bytes)  # refused at first: safe to try again
        t.join()
        srv = late[0]
        assert len(srv.attempts_for("POST", "/pose/job")) == 1
        assert list(srv.jobs) == [job_id]
    finally:
        t.join()
        for s in late:
            s.stop()


def test_nothing_listening_is_a_connection_error(video_bytes):
    c = Client("k", f"http://127.0.0.1:{free_port()}", retries=1, backoff_s=0.01)
    with pytest.raises(APIConnectionError) as info:
        c.submit_video(video_bytes)
    assert info.value.status is None and "may have reached" not in str(info.value)


def test_get_retries_slow_reset_and_cut_off_answers(kakao_server):
    c = Client(kakao_server.api_key, kakao_server.url, timeout_s=(2, 0.3), backoff_s=0.01)
    job = str(uuid.uuid4())
    kakao_server.add_fault("delay", method="GET", delay=0.8)
    kakao_server.add_fault("reset", method="GET")
    kakao_server.add_fault("truncate", method="GET")
    assert c.job(job).status == "not found"
    assert [a.fault for a in kakao_server.attempts] == ["delay", "reset", "truncate", None]


def test_slow_answer_within_the_timeout_is_fine(kakao_server):
    c = Client(kakao_server.api_key, kakao_server.url, timeout_s=(2, 1.0), retries=0)
    kakao_server.add_fault("delay", method="GET", delay=0.3)
    assert c.job(str(uuid.uuid4())).status == "not found"


def test_image_post_retries_gateway_errors_but_not_resets(client, kakao_server, image_path):
    kakao_server.add_fault("answer", method="POST", status=502, body=b"bad gateway")
    client.analyze_image(image_path)
    assert len(kakao_server.attempts) == 2
    kakao_server.reset()
    kakao_server.add_fault("reset", method="POST")
    with pytest.raises(APIConnectionError):
        client.analyze_image(image_path)
    assert len(kakao_server.attempts) == 1


# -- cache -------------------------------------------------------------------------------------
def test_cache_keeps_results_and_job_reads_it_first(kakao_server, video_path, tmp_path):
    cache = tmp_path / "cache"
    c = Client(kakao_server.api_key, kakao_server.url, cache_dir=cache, backoff_s=0.01)
    job_id = c.submit_video(video_path)
    res = c.wait(job_id, **FAST)
    path = cache / f"{job_id}.json"
    assert path.is_file() and pk.load(path).to_json() == res.to_json()
    kakao_server.expire(job_id)  # Kakao forgets after 7 days; the cache does not
    kakao_server.reset()
    info = c.job(job_id)
    assert info.from_cache and info.result.to_json() == res.to_json()
    assert c.wait(job_id, **FAST).n_frames == 10
    assert kakao_server.attempts == []
    assert c.job(job_id, refresh=True).status == "not found"
    # nothing is cached for jobs that did not succeed
    failed = c.submit_video(b"junk")
    with pytest.raises(JobFailedError):
        c.wait(failed, **FAST)
    assert sorted(p.name for p in cache.iterdir()) == [f"{job_id}.json"]


class _CrashAfterDownload(Client):
    def _parse(self, data, where):
        raise MemoryError("the notebook died right after the download")


def test_cache_survives_a_crash_between_download_and_analysis(kakao_server, video_path, tmp_path):
    cache = tmp_path / "cache"
    crashing = _CrashAfterDownload(kakao_server.api_key, kakao_server.url, cache_dir=cache)
    job_id = crashing.submit_video(video_path)
    with pytest.raises(MemoryError):
        crashing.wait(job_id, **FAST)
    kakao_server.expire(job_id)
    # a new client, and no server at all
    fresh = Client("k", f"http://127.0.0.1:{free_port()}", cache_dir=cache, retries=0)
    res = fresh.wait(job_id, **FAST)
    assert res.job_id == job_id and res.n_frames == 10


def test_cache_survives_a_killed_process(kakao_server, video_path, tmp_path):
    cache = tmp_path / "cache"
    job_id = Client(kakao_server.api_key, kakao_server.url).submit_video(video_path)
    code = (
        "import os, posekit as pk\n"
        f"c = pk.Client({kakao_server.api_key!r}, {kakao_server.url!r}, cache_dir={str(cache)!r})\n"
        f"c.wait({job_id!r}, poll_s=0.01, max_poll_s=0.03, progress=False)\n"
        "os._exit(9)  # the kernel dies before the result is used or saved\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 9, proc.stderr.decode()
    fresh = Client("k", f"http://127.0.0.1:{free_port()}", cache_dir=cache, retries=0)
    assert fresh.job(job_id).result.n_frames == 10


def test_unreadable_cache_file_is_fetched_again(kakao_server, video_path, tmp_path):
    cache = tmp_path / "cache"
    c = Client(kakao_server.api_key, kakao_server.url, cache_dir=cache)
    job_id = c.submit_video(video_path)
    c.wait(job_id, **FAST)
    (cache / f"{job_id}.json").write_bytes(b'{"status": "success", "annot')
    info = c.job(job_id)
    assert not info.from_cache and info.result.n_frames == 10
    assert pk.load(cache / f"{job_id}.json").n_frames == 10


def test_cache_never_uploads_the_same_video_twice(kakao_server, video_path, tmp_path):
    c = Client(kakao_server.api_key, kakao_server.url, cache_dir=tmp_path / "c", backoff_s=0.01)
    kakao_server.step = 0.3
    with pytest.raises(JobTimeoutError) as info:  # e.g. the user gave up, or the kernel died
        c.analyze_video(video_path, poll_s=0.01, max_poll_s=0.02, timeout_s=0.1, progress=False)
    first = info.value.job_id
    res = c.analyze_video(video_path, **FAST)  # waits for the same job: no second upload
    assert res.job_id == first and res.source == str(video_path)
    kakao_server.reset()
    assert c.analyze_video(video_path.read_bytes(), **FAST).job_id == first  # same bytes
    outcomes = c.analyze_videos([video_path, video_path], **FAST)
    assert [o.job_id for o in outcomes] == [first, first]
    assert kakao_server.attempts_for("POST", "/pose/job") == []
    # another smoothing setting is another analysis
    assert c.analyze_video(video_path, smoothing=False, **FAST).job_id != first
    # an expired job is submitted again, once
    kakao_server.expire(first)
    (tmp_path / "c" / f"{first}.json").unlink()
    again = c.analyze_video(video_path, **FAST).job_id
    assert again != first and len(kakao_server.attempts_for("POST", "/pose/job")) == 2
    assert c.analyze_video(video_path, **FAST).job_id == again


def test_failed_videos_are_submitted_again(kakao_server, tmp_path):
    c = Client(kakao_server.api_key, kakao_server.url, cache_dir=tmp_path / "c", backoff_s=0.01)
    for _ in range(2):
        with pytest.raises(JobFailedError):
            c.analyze_video(b"junk", **FAST)
    assert len(kakao_server.attempts_for("POST", "/pose/job")) == 2


# -- callbacks ---------------------------------------------------------------------------------
def test_callback_delivered_to_the_receiver(client, kakao_server, video_path, tmp_path):
    cache = tmp_path / "cache"
    with callback_receiver(cache_dir=cache) as cb:
        assert cb.url.startswith("http://127.0.0.1:")
        job_id = client.submit_video(video_path, callback_url=cb)
        assert kakao_server.attempts[-1].fields["callback_url"] == cb.url
        res = cb.wait(job_id, timeout_s=5)
        assert res.job_id == job_id and res.n_frames == 10
        assert list(cb.results()) == [job_id]
    assert kakao_server.callbacks == [(cb.url, 200)]
    # written to the cache as it arrived: a client finds it without asking the server
    fresh = Client("k", f"http://127.0.0.1:{free_port()}", cache_dir=cache, retries=0)
    assert fresh.job(job_id).from_cache


def test_callback_of_a_failed_job_and_timeouts(client, kakao_server):
    with callback_receiver() as cb:
        job_id = client.submit_video(url="https://example.org/fail.mp4", callback_url=str(cb))
        with pytest.raises(JobFailedError, match="Failed to get video"):
            cb.wait(job_id, timeout_s=5)
        with pytest.raises(TimeoutError, match="no callback"):
            cb.wait(str(uuid.uuid4()), timeout_s=0.1)
        # only the secret path is accepted
        wrong = cb.url.rsplit("/", 1)[0] + "/guess"
        assert requests.post(wrong, data=b"{}", timeout=2).status_code == 404
        assert len(cb.deliveries) == 1


# -- batch -------------------------------------------------------------------------------------
def test_batch_keeps_every_result_when_one_fails(client, kakao_server, video_path, video_bytes):
    kakao_server.kakao_error(-2, method="POST", path="/pose/job")  # the first upload is refused
    videos = [b"junk", video_path, "https://example.org/a.mp4", "https://example.org/fail.mp4",
              video_bytes]  # fmt: skip
    outcomes = client.analyze_videos(videos, max_workers=1, **FAST)
    assert [o.ok for o in outcomes] == [False, True, True, False, True]
    assert isinstance(outcomes[0].error, InvalidRequestError) and outcomes[0].job_id is None
    assert isinstance(outcomes[3].error, JobFailedError) and outcomes[3].job_id
    assert outcomes[1].result.n_frames == 10 and outcomes[1].source == str(video_path)
    assert outcomes[2].result.n_frames == 12
    assert outcomes[4].source == f"<{len(video_bytes)} bytes>"


def test_batch_in_parallel(client, kakao_server, video_path, tmp_path):
    copies = []
    for i in range(4):  # four different files (a video listed twice is uploaded once)
        copies.append(tmp_path / f"v{i}.mp4")
        copies[-1].write_bytes(video_path.read_bytes() + bytes(i))
    outcomes = client.analyze_videos(copies, max_workers=4, **FAST)
    assert all(o.ok for o in outcomes)
    assert len({o.job_id for o in outcomes}) == 4
    twice = client.analyze_videos([video_path, video_path], max_workers=2, **FAST)
    assert twice[0].ok and twice[0].job_id == twice[1].job_id


# -- CLI ---------------------------------------------------------------------------------------
def _cli(*argv: str) -> int:
    from posekit.cli import main

    return main(list(argv))


@pytest.fixture
def cli_env(monkeypatch, kakao_server):
    monkeypatch.setenv("KAKAO_REST_API_KEY", kakao_server.api_key)
    monkeypatch.delenv("POSEKIT_API_KEY", raising=False)
    monkeypatch.setenv("POSEKIT_BASE_URL", kakao_server.url)
    return kakao_server


def test_cli_fetch_image(cli_env, image_path, tmp_path):
    out = tmp_path / "result.json"
    assert _cli("fetch", str(image_path), "-o", str(out)) == 0
    res = pk.load(out)
    assert res.kind == "image" and len(res.people) == 1


def test_cli_fetch_image_needs_prepare(cli_env, tmp_path, capsys):
    big = tmp_path / "big.png"
    big.write_bytes(make_image(2500, 1000, "PNG"))
    assert _cli("fetch", str(big), "-o", str(tmp_path / "r.json")) == 1
    assert "prepare" in capsys.readouterr().err
    assert _cli("fetch", str(big), "--prepare", "-o", str(tmp_path / "r.json")) == 0
    np.testing.assert_allclose(people_xy(pk.load(tmp_path / "r.json")), expected_xy(2500, 1000),
                               atol=0.01)  # fmt: skip


def test_cli_fetch_video_with_options(cli_env, video_path, tmp_path):
    out = tmp_path / "result.json"
    with callback_receiver() as cb:
        rc = _cli("fetch", str(video_path), "--no-smoothing", "--callback", cb.url,
                  "--poll-s", "0.01", "-o", str(out), "--api-key", "test-key")  # fmt: skip
        assert rc == 0
        att = cli_env.attempts_for("POST", "/pose/job")[0]
        assert att.fields == {"smoothing": "false", "callback_url": cb.url}
        res = pk.load(out)
        assert res.n_frames == 10
        assert cb.wait(res.job_id, timeout_s=5).to_json() == res.to_json()


def test_cli_fetch_again_with_a_cache_does_not_upload_again(cli_env, video_path, tmp_path, capsys):
    args = ["fetch", str(video_path), "--poll-s", "0.01", "--cache-dir", str(tmp_path / "c")]
    assert _cli(*args, "-o", str(tmp_path / "a.json")) == 0
    assert _cli(*args, "-o", str(tmp_path / "b.json")) == 0
    assert len(cli_env.attempts_for("POST", "/pose/job")) == 1
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    job_id = pk.load(tmp_path / "a.json").job_id
    assert capsys.readouterr().err.count(f"job {job_id}") == 2


def test_cli_job(cli_env, video_path, tmp_path, capsys):
    c = Client()
    cli_env.step = 0.5
    job_id = c.submit_video(video_path)
    assert _cli("job", job_id) == 3  # still waiting
    assert f"{job_id} waiting" in capsys.readouterr().err
    out = tmp_path / "r.json"
    assert _cli("job", job_id, "--wait", "--poll", "0.01", "-o", str(out)) == 0
    assert pk.load(out).job_id == job_id
    assert _cli("job", job_id) == 0
    assert pk.load(capsys.readouterr().out.encode()).job_id == job_id  # JSON on stdout
    failed = c.submit_video(b"junk")
    c_wait = _cli("job", failed, "--wait", "--poll", "0.01")
    assert c_wait == 1 and "Failed to get video" in capsys.readouterr().err
    assert _cli("job", "not-a-uuid") == 1
    assert _cli("fetch", str(tmp_path / "nope.mp4")) == 1


def test_cli_no_wait_and_wrong_key_in_a_subprocess(cli_env, video_path):
    env = {**os.environ, "KAKAO_REST_API_KEY": "test-key", "POSEKIT_BASE_URL": cli_env.url}
    run = [sys.executable, "-m", "posekit.cli", "fetch", str(video_path), "--no-wait"]
    proc = subprocess.run(run, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() in cli_env.jobs
    proc = subprocess.run([*run, "--api-key", "bad"], capture_output=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert b"Not authorized with provided app key" in proc.stderr


def test_fake_server_probes_uploads(video_bytes):
    assert probe_video(video_bytes) == {"fps": 10.0, "frames": 10, "width": 64, "height": 48}
    assert probe_video(b"junk") is None


# -- the fake server itself follows the documented API ------------------------------------------
@pytest.mark.parametrize(
    ("headers", "kwargs", "status", "code"),
    [
        ({}, {"data": {"image_url": "https://e.org/a.jpg"}}, 401, -401),
        ({"Authorization": "Bearer test-key"}, {"data": {"image_url": "https://e.org/a.jpg"}},
         400, -8),
        ({"Authorization": "KakaoAK test-key"}, {"data": {}}, 400, -2),
        ({"Authorization": "KakaoAK test-key"},
         {"data": {"image_url": "https://e.org/a.jpg"}, "files": {"file": ("a.jpg", b"x")}},
         400, -2),
    ],
)  # fmt: skip
def test_fake_server_answers_like_kakao(kakao_server, headers, kwargs, status, code):
    resp = requests.post(kakao_server.url + "/pose", headers=headers, timeout=5, **kwargs)
    assert resp.status_code == status and resp.json()["code"] == code


def test_fake_server_validates_job_parameters(kakao_server, video_bytes):
    auth = {"Authorization": "KakaoAK test-key"}
    url = kakao_server.url + "/pose/job"
    bad = [
        {"data": {"video_url": "https://e.org/a.mp4", "smoothing": "maybe"}},
        {"data": {"video_url": "file:///etc/passwd"}},
        {"data": {"video_url": "https://e.org/a.mp4", "callback_url": "javascript:x"}},
    ]
    for kw in bad:
        resp = requests.post(url, headers=auth, timeout=5, **kw)
        assert (resp.status_code, resp.json()["code"]) == (400, -2)
    kakao_server.step = 5.0
    resp = requests.post(url, headers=auth, files={"file": ("a.mp4", video_bytes)}, timeout=5)
    job_id = resp.json()["job_id"]
    assert requests.get(f"{url}/{job_id}", headers=auth, timeout=5).json() == {
        "job_id": job_id,
        "status": "waiting",
    }
