"""posekit.Client, unchanged, against the posekit server (the subset of tests/test_client.py
that needs no fault injection, covering every endpoint), plus Kakao-style plain ``requests`` code.
"""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import msgspec
import pytest
import requests

import posekit as pk
from posekit.client import Client, callback_receiver
from posekit.errors import (
    AuthError,
    InvalidRequestError,
    JobFailedError,
    JobNotFoundError,
    JobNotReadyError,
    QuotaExceededError,
)
from posekit.server import BackgroundServer, ServerConfig
from posekit.server.testing import fake_estimator
from tests._server import FAST, KEY, LoopbackWeb, make_clip, make_png

pytestmark = pytest.mark.timeout(120)
WAIT = {"poll_s": 0.02, "max_poll_s": 0.05, "timeout_s": 30.0, "progress": False}


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def kakao_server(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> BackgroundServer:
    """The posekit server, with ``.url`` and ``.api_key`` as tests/test_client.py expects."""
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path_factory.mktemp("kakao"), estimator=FAST,
                       worker_kind="thread", allow_private_urls=True, url_ports=None, clock=clock)  # fmt: skip
    with BackgroundServer(cfg) as srv:
        srv.api_key = KEY  # type: ignore[attr-defined]
        yield srv


@pytest.fixture
def client(kakao_server) -> Client:
    with Client(
        kakao_server.api_key, kakao_server.url, timeout_s=(2.0, 10.0), retries=1, backoff_s=0.01
    ) as c:
        yield c


@pytest.fixture(scope="module")
def video_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("v") / "clip.mp4", n_frames=10, width=64, height=48, fps=10, seed=7
    )


@pytest.fixture(scope="module")
def image_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_png(tmp_path_factory.mktemp("i") / "photo.png", 640, 480)


@pytest.fixture(scope="module")
def web() -> LoopbackWeb:
    with LoopbackWeb() as w:
        yield w


def test_wrong_key_is_auth_error(kakao_server, image_path, video_path) -> None:
    c = Client("wrong-key", kakao_server.url, retries=0)
    for call in (lambda: c.analyze_image(image_path), lambda: c.submit_video(video_path),
                 lambda: c.job(str(uuid.uuid4()))):  # fmt: skip
        with pytest.raises(AuthError) as info:
            call()
        assert (info.value.status, info.value.code) == (401, -401)


@pytest.mark.parametrize("form", ["path", "bytes", "fileobj"])
def test_analyze_image_file_inputs(client, image_path, form) -> None:
    data = image_path.read_bytes()
    arg = {"path": image_path, "bytes": data, "fileobj": io.BytesIO(data)}[form]
    res = client.analyze_image(arg)
    assert res.kind == "image" and len(res.people) == 1
    kp = res.keypoints()
    assert kp["x"].between(0, 640).all() and kp["y"].between(0, 480).all()


def test_analyze_image_url(client, web, image_path) -> None:
    url = web.serve("/photo.png", image_path.read_bytes())
    res = client.analyze_image(url=url)
    assert res.source == url and len(res.people) == 1
    with pytest.raises(InvalidRequestError, match="Failed to get image"):
        client.analyze_image(url=web.url + "/missing.png")


def test_job_lifecycle_and_result(client, video_path) -> None:
    job_id = client.submit_video(video_path, smoothing=False)
    assert str(uuid.UUID(job_id)) == job_id
    info = client.job(job_id)
    if not info.done:
        with pytest.raises(JobNotReadyError):
            _ = info.result
    res = client.wait(job_id, **WAIT)
    assert res.kind == "video" and res.job_id == job_id
    assert (res.fps, res.n_frames, res.width, res.height) == (10.0, 10, 64, 48)
    expected = fake_estimator.estimate_video(video_path, smoothing=False)
    assert msgspec.json.encode(res.job.annotations) == msgspec.json.encode(expected.job.annotations)
    kp = res.keypoints()
    assert kp.attrs["job_id"] == job_id and kp.attrs["fps"] == 10.0


def test_analyze_video_by_file_and_by_url(client, web, video_path) -> None:
    res = client.analyze_video(video_path, **WAIT)
    assert res.source == str(video_path) and res.n_frames == 10
    url = web.serve("/clip.mp4", video_path.read_bytes())
    res2 = client.analyze_video(url=url, **WAIT)
    assert res2.source == url
    assert res2.to_dict()["annotations"] == res.to_dict()["annotations"]


def test_failed_job(client, web) -> None:
    job_id = client.submit_video(b"this is not a video")
    with pytest.raises(JobFailedError, match="Failed to process video") as info:
        client.wait(job_id, **WAIT)
    assert info.value.job_id == job_id
    with pytest.raises(JobFailedError, match="Failed to get video"):
        client.analyze_video(url=web.url + "/missing.mp4", **WAIT)


def test_expired_and_unknown_jobs(client, kakao_server, clock, video_path) -> None:
    job_id = client.submit_video(video_path)
    client.wait(job_id, **WAIT)
    clock.offset = 7 * 86400 + 1
    try:
        info = client.job(job_id)
        assert info.status == "not found" and info.done
        with pytest.raises(JobNotFoundError, match="7 days"):
            client.wait(job_id, **WAIT)
    finally:
        clock.offset = 0.0
    with pytest.raises(JobNotFoundError):
        client.wait(str(uuid.uuid4()), **WAIT)


def test_bad_request_is_invalid_request_error(client) -> None:
    with pytest.raises(InvalidRequestError) as info:
        client.submit_video(url="http://127.0.0.1:1/x.mp4", callback_url="gopher://127.0.0.1/")
    assert (info.value.status, info.value.code) == (400, -2)


def test_callback_delivered_to_the_receiver(client, video_path, tmp_path) -> None:
    with callback_receiver(cache_dir=tmp_path / "cache") as cb:
        job_id = client.submit_video(video_path, callback_url=cb)
        res = cb.wait(job_id, timeout_s=30)
        assert res.job_id == job_id and res.n_frames == 10
        assert list(cb.results()) == [job_id]
    fresh = Client("k", "http://127.0.0.1:9", cache_dir=tmp_path / "cache", retries=0)
    assert fresh.job(job_id).from_cache


def test_batch(client, video_path) -> None:
    outcomes = client.analyze_videos([video_path, b"junk", video_path], max_workers=3, **WAIT)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, JobFailedError)


def test_queue_full_reaches_the_client_as_quota_error(tmp_path, video_path) -> None:
    from tests.test_server_jobs import GatedEstimator

    est = GatedEstimator()
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path, estimator=est, worker_kind="thread",
                       workers=1, max_queue=1)  # fmt: skip
    with BackgroundServer(cfg) as srv:
        c = Client(KEY, srv.url, retries=0)
        c.submit_video(video_path)
        assert est.started.acquire(timeout=10)
        c.submit_video(video_path)  # waits in the queue
        with pytest.raises(QuotaExceededError) as info:
            c.submit_video(video_path)
        assert (info.value.status, info.value.code) == (429, -10)
        est.gate.set()


def test_kakao_sample_code_works_by_changing_only_the_host(
    kakao_server, video_path, image_path
) -> None:
    """Code as in Kakao's samples: plain requests, the KakaoAK header, a polling loop."""
    API_URL = kakao_server.url  # was "https://cv-api.kakaobrain.com"
    headers = {"Authorization": f"KakaoAK {KEY}"}
    with open(image_path, "rb") as f:
        resp = requests.post(f"{API_URL}/pose", headers=headers, files={"file": f})
    resp.raise_for_status()
    people = resp.json()
    assert len(people) == 1 and len(people[0]["keypoints"]) == 51
    with open(video_path, "rb") as f:
        resp = requests.post(f"{API_URL}/pose/job", headers=headers, files={"file": f},
                             data={"smoothing": "true"})  # fmt: skip
    job_id = resp.json()["job_id"]
    while True:
        result = requests.get(f"{API_URL}/pose/job/{job_id}", headers=headers).json()
        if result["status"] in ("success", "failed", "not found"):
            break
        time.sleep(0.05)  # Kakao's sample waits 10 s
    assert result["status"] == "success"
    assert len(result["annotations"]) == result["video"]["frames"] == 10
    kp = pk.load(result).keypoints()
    assert kp.attrs["fps"] == 10.0
