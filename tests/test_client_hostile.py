"""posekit.Client against slow, huge and broken answers from real servers on loopback."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

import posekit as pk
from posekit.errors import AnswerTooLargeError, APITimeoutError, JobTimeoutError, PoseFormatError
from posekit.server import BackgroundServer, ServerConfig
from posekit.server.testing import fake_estimator
from posekit.server.workers import encode_job_result
from tests._server import FAST, KEY, DripServer, LoopbackWeb, make_clip

pytestmark = pytest.mark.timeout(60)

JOB = str(uuid.uuid4())


@pytest.mark.parametrize("stage", ["body", "headers"])
def test_a_dripping_server_cannot_stretch_a_call_or_a_wait(stage: str) -> None:
    with DripServer(stage, every_s=0.3) as drip:
        c = pk.Client("k", drip.url, deadline_s=1.5, timeout_s=(2, 1.0), retries=0)
        t0 = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"deadline of 1\.5 s"):
            c.job(JOB)
        assert 1.4 < time.monotonic() - t0 < 2.5
        c = pk.Client("k", drip.url, deadline_s=None, timeout_s=(2, 1.0))
        t0 = time.monotonic()
        with pytest.raises(JobTimeoutError) as info:
            c.wait(JOB, timeout_s=1.0, progress=False)
        assert 0.9 < time.monotonic() - t0 < 2.0
        assert info.value.job_id == JOB


def test_answers_larger_than_the_limit_are_refused_without_being_held(tmp_path: Path) -> None:
    with LoopbackWeb() as web:
        web.serve(f"/pose/job/{JOB}", b"x" * 100_000)
        c = pk.Client("k", web.url, max_answer_bytes=10_000)
        with pytest.raises(AnswerTooLargeError, match="100000 bytes, more than"):
            c.job(JOB)
    # no Content-Length (chunked): counted while reading
    with DripServer("body", every_s=0.001, nbytes=10**9) as drip:
        drip.length = 10**9
        c = pk.Client("k", drip.url, max_answer_bytes=2_000, deadline_s=10)
        with pytest.raises((AnswerTooLargeError, APITimeoutError)):
            c.job(JOB)


def test_a_bad_answer_is_not_kept_in_the_cache(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n_frames=4)
    good = encode_job_result(fake_estimator.estimate_video(str(clip)), JOB)
    deep = b'{"job_id": "' + JOB.encode() + b'", "status": "success", "annotations": '
    deep += b"[" * 5000 + b"]" * 5000 + b"}"
    huge = good.replace(b'"frame_num":0', b'"frame_num":' + b"9" * 30, 1)
    cache = tmp_path / "cache"
    with LoopbackWeb() as web:
        c = pk.Client("k", web.url, cache_dir=cache)
        for bad in (deep, huge, b'{"status": "success", "annotations": 5}'):
            web.serve(f"/pose/job/{JOB}", bad)
            with pytest.raises(PoseFormatError):
                c.job(JOB)
            assert not (cache / f"{JOB}.json").exists()
        (cache / f"{JOB}.json").write_bytes(deep)  # e.g. left by an older version
        web.serve(f"/pose/job/{JOB}", good)  # the server is fixed
        assert c.job(JOB).result.n_frames == 4
        assert (cache / f"{JOB}.json").read_bytes() == good


def test_a_video_listed_twice_is_uploaded_once(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n_frames=4)
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "srv", estimator=FAST, worker_kind="thread")
    with BackgroundServer(cfg) as srv:
        c = pk.Client(KEY, srv.url)
        out = c.analyze_videos([clip, str(clip), clip.read_bytes()], poll_s=0.05, progress=False)
        store = srv.app.state.runner.store
        assert store.count("success") == 2  # the path twice, then the bytes
    assert all(o.ok for o in out)
    assert out[0].job_id == out[1].job_id != out[2].job_id
