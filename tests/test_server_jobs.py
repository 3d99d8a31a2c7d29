"""Jobs under load and across crashes: concurrency, the bounded queue, expiry, kill -9 and
restart, and memory while refusing oversized uploads. Real uvicorn, real HTTP, loopback only."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest
import requests

import posekit as pk
from posekit.server import BackgroundServer, ServerConfig
from posekit.server.store import JobStore
from posekit.server.testing import FixedEstimator, fake_estimator
from tests._server import AUTH, FAST, KEY, ServerProcess, make_clip, wait_job

pytestmark = pytest.mark.timeout(180)


class GatedEstimator(FixedEstimator):
    """Holds every job until ``gate`` is set."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)

    def estimate_video(self, path, /, *, smoothing=True, progress=False):
        self.started.release()
        assert self.gate.wait(60)
        return super().estimate_video(path, smoothing=smoothing)

    def estimate_image(self, image, /):
        self.started.release()
        assert self.gate.wait(60)
        return super().estimate_image(image)


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        text = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        out += [int(p) for p in text]
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_twenty_concurrent_video_jobs_with_polling(tmp_path: Path) -> None:
    clips = [make_clip(tmp_path / f"c{i}.mp4", n_frames=6 + i % 5, seed=100 + i) for i in range(20)]
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "data", estimator=FAST, workers=2)
    assert cfg.worker_kind == "process"
    with BackgroundServer(cfg) as srv:
        session = requests.Session()
        polls = {"n": 0, "bad": 0}

        def run(clip: Path) -> tuple[Path, dict]:
            r = requests.post(
                f"{srv.url}/pose/job", headers=AUTH, files={"file": clip.read_bytes()}, timeout=30
            )
            assert r.status_code == 200, r.text
            job_id = r.json()["job_id"]
            while True:
                body = requests.get(f"{srv.url}/pose/job/{job_id}", headers=AUTH, timeout=30).json()
                polls["n"] += 1
                if body.get("job_id") != job_id:
                    polls["bad"] += 1
                if body["status"] not in ("waiting", "processing"):
                    return clip, body
                time.sleep(0.02)

        with ThreadPoolExecutor(20) as pool:
            done = list(pool.map(run, clips))
        session.close()
    assert polls["bad"] == 0 and polls["n"] >= 20
    ids = {body["job_id"] for _, body in done}
    assert len(ids) == 20  # nothing lost, nothing mixed up
    for clip, body in done:
        assert body["status"] == "success", body
        res = pk.load(body)
        expected = fake_estimator.estimate_video(clip)  # the same estimator, called directly
        assert res.n_frames == expected.n_frames == 6 + (int(clip.stem[1:]) % 5)
        assert msgspec.json.encode(res.job.annotations) == msgspec.json.encode(
            expected.job.annotations
        )


def test_queue_full_is_429_code_minus_10_and_nothing_is_lost(tmp_path: Path) -> None:
    est = GatedEstimator()
    clip = make_clip(tmp_path / "c.mp4")
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "d", estimator=est, worker_kind="thread",
                       workers=1, max_queue=2, max_image_requests=1)  # fmt: skip
    with BackgroundServer(cfg) as srv:

        def post() -> requests.Response:
            files = {"file": clip.read_bytes()}
            return requests.post(f"{srv.url}/pose/job", headers=AUTH, files=files)

        first = post().json()["job_id"]
        assert est.started.acquire(timeout=10)  # the first one is processing
        assert (
            requests.get(f"{srv.url}/pose/job/{first}", headers=AUTH).json()["status"]
            == "processing"
        )
        queued = [post().json()["job_id"] for _ in range(2)]
        r = post()
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert r.json()["code"] == -10 and "queue is full" in r.json()["msg"]
        for job_id in queued:
            assert (
                requests.get(f"{srv.url}/pose/job/{job_id}", headers=AUTH).json()["status"]
                == "waiting"
            )
        est.gate.set()
        for job_id in [first, *queued]:
            assert wait_job(srv.url, job_id)["status"] == "success"
        assert post().status_code == 200  # room again


def test_image_requests_in_flight_are_bounded(tmp_path: Path) -> None:
    from tests._server import make_png

    est = GatedEstimator()
    png = make_png(tmp_path / "a.png").read_bytes()
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "d", estimator=est, worker_kind="thread",
                       max_image_requests=1)  # fmt: skip
    with BackgroundServer(cfg) as srv, ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.post, f"{srv.url}/pose", headers=AUTH, files={"file": png})
        assert est.started.acquire(timeout=10)
        r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": png})
        assert r.status_code == 429 and r.json()["code"] == -10
        est.gate.set()
        assert first.result(timeout=30).status_code == 200


def test_results_expire_after_seven_days(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    clip = make_clip(tmp_path / "c.mp4")
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "d", estimator=FAST, worker_kind="thread",
                       clock=lambda: now[0])  # fmt: skip
    with BackgroundServer(cfg) as srv:
        job_id = requests.post(
            f"{srv.url}/pose/job", headers=AUTH, files={"file": clip.read_bytes()}
        ).json()["job_id"]
        assert wait_job(srv.url, job_id)["status"] == "success"
        now[0] += 7 * 86400 - 1
        assert wait_job(srv.url, job_id)["status"] == "success"
        now[0] += 2
        assert wait_job(srv.url, job_id) == {"job_id": job_id, "status": "not found"}
    # the next start purges it from disk
    result = tmp_path / "d" / "results" / f"{job_id}.json"
    assert result.exists()
    with BackgroundServer(cfg):
        assert not result.exists()
    assert JobStore(tmp_path / "d", clock=lambda: now[0]).get(job_id) is None


@pytest.mark.slow
def test_killed_server_resumes_its_jobs_after_restart(tmp_path: Path) -> None:
    clips = [make_clip(tmp_path / f"c{i}.mp4", seed=i) for i in range(3)]
    data = tmp_path / "data"
    args = ("--estimator", FAST, "--workers", "1")
    slow = ServerProcess(data, *args, env={"POSEKIT_SERVER_FAKE_DELAY_S": "30"}).start()
    try:
        ids = [requests.post(f"{slow.url}/pose/job", headers=AUTH, files={"file": c.read_bytes()}).json()["job_id"]
               for c in clips]  # fmt: skip
        deadline = time.monotonic() + 60
        while (
            requests.get(f"{slow.url}/pose/job/{ids[0]}", headers=AUTH).json()["status"]
            != "processing"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        workers = children(slow.pid)
        assert workers  # estimator processes
        slow.kill()  # SIGKILL: no chance to clean up
    finally:
        slow.stop()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers):  # they die with the server (PR_SET_PDEATHSIG)
        assert time.monotonic() < deadline, "worker processes outlived the killed server"
        time.sleep(0.05)
    store = JobStore(data, clock=time.time)
    assert [store.get(i).status for i in ids] == ["processing", "waiting", "waiting"]
    with ServerProcess(data, *args) as srv:
        results = [wait_job(srv.url, i, timeout_s=60) for i in ids]
        assert "resuming 3 job(s)" in "".join(srv.log)
    for clip, body in zip(clips, results, strict=True):
        assert body["status"] == "success", body
        expected = fake_estimator.estimate_video(clip)
        assert pk.load(body).n_frames == expected.n_frames
    assert store.get(ids[0]).attempts == 2
    assert os.listdir(data / "inputs") == []  # inputs removed once done


@pytest.mark.slow
def test_oversized_uploads_do_not_grow_server_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        for _ in range(60):
            f.write(os.urandom(2**20))
    fits = tmp_path / "fits.bin"
    with fits.open("wb") as f:
        for _ in range(45):
            f.write(os.urandom(2**20))
    clip = make_clip(tmp_path / "c.mp4")
    with ServerProcess(tmp_path / "d", "--estimator", FAST) as srv:
        warm = requests.post(f"{srv.url}/pose/job", headers=AUTH, files={"file": clip.read_bytes()})
        assert wait_job(srv.url, warm.json()["job_id"])["status"] == "success"
        before = srv.rss_bytes()

        def chunked(path: Path):
            yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
            with path.open("rb") as f:
                while chunk := f.read(256 * 1024):
                    yield chunk
            yield b"\r\n--B--\r\n"

        r = requests.post(f"{srv.url}/pose/job", headers=AUTH, files={"file": big.open("rb")})
        assert r.status_code == 413 and r.json()["code"] == -2
        r = requests.post(f"{srv.url}/pose/job", data=chunked(big),
                          headers={**AUTH, "Content-Type": "multipart/form-data; boundary=B"})  # fmt: skip
        assert r.status_code == 413
        r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": big.open("rb")})
        assert r.status_code == 413
        refused = srv.rss_bytes() - before  # 180 MB refused
        # an accepted 45 MB upload streams to disk too
        r = requests.post(f"{srv.url}/pose/job", data=chunked(fits),
                          headers={**AUTH, "Content-Type": "multipart/form-data; boundary=B"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert wait_job(srv.url, r.json()["job_id"])["status"] == "failed"  # random bytes
        grown = srv.rss_bytes() - before
    print(
        f"RSS growth: refusing {refused / 2**20:.1f} MB, after accepted upload {grown / 2**20:.1f} MB"
    )
    assert refused < 10 * 2**20, f"server memory grew by {refused / 2**20:.1f} MB refusing"
    assert grown < 15 * 2**20, f"server memory grew by {grown / 2**20:.1f} MB"


def test_a_crashing_worker_fails_its_job_not_the_server(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4")
    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "d", estimator="tests._server:CrashOnMarker",
                       workers=1)  # fmt: skip
    with BackgroundServer(cfg) as srv:
        post = lambda data: requests.post(f"{srv.url}/pose/job", headers=AUTH, files={"file": data})  # noqa: E731
        crash = post(b"CRASH" + b"\0" * 100).json()["job_id"]
        body = wait_job(srv.url, crash)
        assert body == {"job_id": crash, "status": "failed",
                        "description": "Failed to process video: internal error"}  # fmt: skip
        ok = post(clip.read_bytes()).json()["job_id"]
        assert wait_job(srv.url, ok)["status"] == "success"  # a new pool took over


def test_generated_key_is_written_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from posekit.server import create_app

    cfg = ServerConfig(data_dir=tmp_path, estimator=FAST, worker_kind="thread")
    with caplog.at_level("WARNING", logger="posekit.server"):
        create_app(cfg)
    key = (tmp_path / "api_key").read_text().strip()
    assert len(key) == 32 and cfg.keys == (key,)
    assert (tmp_path / "api_key").stat().st_mode & 0o777 == 0o600
    assert "api_key" in caplog.text and key not in caplog.text
    create_app(again := ServerConfig(data_dir=tmp_path, estimator=FAST, worker_kind="thread"))
    assert again.keys == (key,)  # the same key on the next start


def test_keys_from_file_and_environment(tmp_path: Path) -> None:
    f = tmp_path / "keys.txt"
    f.write_text("# team keys\nalpha\n\n  beta  # laptop\n")
    cfg = ServerConfig.from_env({"POSEKIT_SERVER_KEYS": "gamma, delta", "POSEKIT_SERVER_KEYS_FILE": str(f),
                                 "POSEKIT_SERVER_URL_PORTS": "any", "POSEKIT_SERVER_WORKERS": "3"})  # fmt: skip
    assert cfg.keys == ("gamma", "delta", "alpha", "beta")
    assert cfg.url_ports is None and cfg.workers == 3
    with pytest.raises(ValueError, match="POSEKIT_SERVER_WORKERS"):
        ServerConfig.from_env({"POSEKIT_SERVER_WORKERS": "many"})
    with pytest.raises(ValueError, match="estimator"):
        from posekit.server.workers import EstimatorPool

        EstimatorPool(ServerConfig(estimator="posekit.nothing_here:x"))


@pytest.mark.slow
def test_ctrl_c_stops_at_once_and_the_job_resumes(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4")
    data = tmp_path / "data"
    srv = ServerProcess(
        data, "--estimator", FAST, env={"POSEKIT_SERVER_FAKE_DELAY_S": "60"}
    ).start()
    try:
        job_id = requests.post(
            f"{srv.url}/pose/job", headers=AUTH, files={"file": clip.read_bytes()}
        ).json()["job_id"]
        deadline = time.monotonic() + 60
        while (
            requests.get(f"{srv.url}/pose/job/{job_id}", headers=AUTH).json()["status"]
            != "processing"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # inside the estimator
        t0 = time.monotonic()
        srv.stop()  # SIGINT
        assert srv.proc.returncode == 0 and time.monotonic() - t0 < 10
    finally:
        srv.stop()
    with ServerProcess(data, "--estimator", FAST) as again:
        assert wait_job(again.url, job_id)["status"] == "success"


def test_cli_options_reach_the_server(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("from-the-file\n")
    args = ("--estimator", FAST, "--worker-kind", "thread", "--keys-file", str(keys),
            "--max-video-mb", "0.5", "--max-image-mb", "0.25")  # fmt: skip
    with ServerProcess(tmp_path / "d", *args) as srv:
        headers = {"Authorization": "KakaoAK from-the-file"}
        assert requests.get(f"{srv.url}/pose/job/x", headers=headers).status_code == 200
        assert (
            requests.get(f"{srv.url}/pose/job/x", headers=AUTH).status_code == 401
        )  # env key replaced
        r = requests.post(
            f"{srv.url}/pose/job", headers=headers, files={"file": b"\0" * (2**19 + 1)}
        )
        assert r.status_code == 413 and "524288 bytes" in r.json()["msg"]
        r = requests.post(f"{srv.url}/pose", headers=headers, files={"file": b"\0" * (2**18 + 1)})
        assert r.status_code == 413 and "262144 bytes" in r.json()["msg"]
    assert "from-the-file" not in "".join(srv.log)
