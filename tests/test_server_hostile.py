"""The server under slow and hostile peers: slow-drip origins and callback receivers,
half-open and slow clients, cost bombs, cancelling, disk errors and restarts. Real uvicorn on
loopback, real sockets; every test bounds its own time."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from posekit.server import BackgroundServer, ServerConfig
from posekit.server.store import JobStore
from tests._server import (
    AUTH,
    FAST,
    KEY,
    DripServer,
    LoopbackWeb,
    ServerProcess,
    make_clip,
    make_png,
    wait_job,
)

pytestmark = pytest.mark.timeout(120)


def config(tmp_path: Path, **kw) -> ServerConfig:
    base = dict(
        keys=(KEY,),
        data_dir=tmp_path / "srv",
        estimator=FAST,
        worker_kind="thread",
        workers=1,
        allow_private_urls=True,
        url_ports=None,
        read_timeout_s=1.0,
    )
    return ServerConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("m") / "clip.mp4", n_frames=6)


def warm(url: str, clip: Path) -> None:
    """One job first: the worker's first job pays for its imports (seconds on a busy machine)."""
    assert wait_job(url, submit(url, files={"file": clip.read_bytes()}))["status"] == "success"


def submit(url: str, **kw) -> str:
    r = requests.post(f"{url}/pose/job", headers=AUTH, timeout=10, **kw)
    assert r.status_code == 200, r.text
    return str(r.json()["job_id"])


def test_a_dripping_video_url_is_cut_off_and_holds_up_no_other_job(tmp_path, clip) -> None:
    cfg = config(tmp_path, download_timeout_s=2.5, min_download_rate_bytes_s=0)
    with BackgroundServer(cfg) as srv, DripServer("body", every_s=0.3) as drip:
        warm(srv.url, clip)
        t0 = time.monotonic()
        slow = submit(srv.url, data={"video_url": f"{drip.url}/v.mp4"})
        fast = submit(srv.url, files={"file": clip.read_bytes()})
        assert wait_job(srv.url, fast, timeout_s=10)["status"] == "success"
        assert time.monotonic() - t0 < 2.0  # did not wait for the drip (one worker)
        body = wait_job(srv.url, slow, timeout_s=10)
        took = time.monotonic() - t0
    assert body["status"] == "failed" and "took more than 2.5 s" in body["description"]
    assert 2.4 < took < 4.5


def test_the_minimum_rate_stops_a_drip_before_the_deadline(tmp_path) -> None:
    cfg = config(tmp_path, download_timeout_s=60, min_download_rate_bytes_s=1000)
    with BackgroundServer(cfg) as srv, DripServer("body", every_s=0.1) as drip:
        t0 = time.monotonic()
        job = submit(srv.url, data={"video_url": f"{drip.url}/v.mp4"})
        body = wait_job(srv.url, job, timeout_s=10)
    assert body["status"] == "failed" and "too slow" in body["description"]
    assert time.monotonic() - t0 < 4


def test_dripping_headers_are_cut_off_too(tmp_path) -> None:
    cfg = config(tmp_path, download_timeout_s=2.0)
    with BackgroundServer(cfg) as srv, DripServer("headers", every_s=0.2) as drip:
        t0 = time.monotonic()
        r = requests.post(
            f"{srv.url}/pose", headers=AUTH, data={"image_url": drip.url + "/i.png"}, timeout=10
        )
    assert r.status_code == 400 and "took more than 2 s" in r.json()["msg"]
    assert time.monotonic() - t0 < 4


def test_slow_image_urls_do_not_block_url_checks_or_other_requests(tmp_path, clip) -> None:
    cfg = config(tmp_path, image_fetch_threads=2, download_timeout_s=6.0)
    with (
        BackgroundServer(cfg) as srv,
        DripServer("body", every_s=0.5) as drip,
        LoopbackWeb() as web,
    ):
        video = web.serve("/v.mp4", clip.read_bytes())
        warm(srv.url, clip)
        hogs = [
            threading.Thread(
                target=lambda i=i: requests.post(
                    f"{srv.url}/pose",
                    headers=AUTH,
                    data={"image_url": f"{drip.url}/{i}.png"},
                    timeout=30,
                ),
                daemon=True,
            )
            for i in range(6)
        ]
        for t in hogs:
            t.start()
        time.sleep(0.5)  # the six are dripping (two fetching, four waiting for the pool)
        t0 = time.monotonic()
        job = submit(srv.url, data={"video_url": video})
        assert time.monotonic() - t0 < 1.5
        assert wait_job(srv.url, job, timeout_s=10)["status"] == "success"
        assert time.monotonic() - t0 < 3.0
        for t in hogs:
            t.join(30)


class Receiver:
    """A callback receiver on 127.0.0.1 that answers ``statuses`` in turn (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.posts: list[tuple[float, bytes]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.posts.append((time.monotonic(), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, n: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.posts) < n:
            assert time.monotonic() < deadline, f"{len(self.posts)} of {n} callbacks"
            time.sleep(0.02)


def test_slow_receivers_do_not_hold_up_other_callbacks_and_failures_are_retried(
    tmp_path, clip
) -> None:
    cfg = config(
        tmp_path,
        callback_threads=2,
        callback_timeout_s=1.0,
        callback_backoff_s=0.2,
        callback_attempts=3,
    )
    with (
        BackgroundServer(cfg) as srv,
        DripServer("silent", every_s=0.1) as hang,
        Receiver([500, 503]) as flaky,
    ):
        data = clip.read_bytes()
        hung = [
            submit(srv.url, files={"file": data}, data={"callback_url": hang.url + f"/{i}"})
            for i in range(4)
        ]
        t0 = time.monotonic()
        job = submit(srv.url, files={"file": data}, data={"callback_url": flaky.url})
        flaky.wait(3, timeout_s=20)  # 500, 503, then 200: three calls
        time.sleep(0.5)
        assert len(flaky.posts) == 3
        gaps = [b[0] - a[0] for a, b in zip(flaky.posts, flaky.posts[1:], strict=False)]
        assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # backing off: 0.2 s, then 0.4 s
        assert time.monotonic() - t0 < 20  # not held up by the four receivers that hang
        store = JobStore(cfg.data_dir, clock=time.time)
        assert store.get(job).callback == "delivered"
        deadline = time.monotonic() + 40
        while any(store.get(j).callback == "pending" for j in hung):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert {store.get(j).callback for j in hung} == {"undeliverable"}
        assert all(store.get(j).callback_tries == 3 for j in hung)
        assert hang.hits == 12  # 4 jobs x 3 calls, each cut off after 1 s


def test_a_callback_not_delivered_before_a_restart_is_delivered_after(tmp_path, clip) -> None:
    cfg = config(tmp_path)
    with Receiver() as rx:
        with BackgroundServer(cfg) as srv:
            job = submit(srv.url, files={"file": clip.read_bytes()})
            assert wait_job(srv.url, job)["status"] == "success"
        store = JobStore(cfg.data_dir, clock=time.time)
        # as an older server left it: sent or maybe not ("attempted"), never confirmed
        store._write(
            "UPDATE jobs SET params=json_set(params, '$.callback_url', ?), callback='attempted' "
            "WHERE id=?",
            (rx.url, job),
        )
        store.close()
        with BackgroundServer(config(tmp_path)):
            rx.wait(1, timeout_s=10)
    assert job.encode() in rx.posts[0][1]


def test_half_open_connections_are_closed_and_cannot_keep_clients_out(tmp_path, caplog) -> None:
    cfg = config(tmp_path, header_timeout_s=1.0, max_connections=40)
    with BackgroundServer(cfg) as srv:
        socks = []
        for _ in range(80):  # twice the cap, each with half a request line
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /pose/job/x HTTP/1.1\r\nHost: a\r\n")
            socks.append(s)
        t0 = time.monotonic()
        r = requests.get(f"{srv.url}/pose/job/x", headers=AUTH, timeout=5)
        assert r.status_code == 200 and time.monotonic() - t0 < 1.0
        protocol = srv._server.config.http_protocol_class
        assert len(protocol.born) <= 40
        socks[-1].settimeout(3)
        t0 = time.monotonic()
        assert socks[-1].recv(100) == b""  # closed by the header deadline
        assert 0.5 < time.monotonic() - t0 < 2.5
        # a keep-alive connection that starts a second request and stalls is closed too
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(
            f"GET /pose/job/x HTTP/1.1\r\nHost: a\r\nAuthorization: KakaoAK {KEY}\r\n\r\n".encode()
        )
        s.settimeout(3)
        got = b""
        while not got.endswith(b'"not found"}'):
            got += s.recv(4096)
        assert b"200 OK" in got
        s.sendall(b"GET /pose/job/x HTTP/1.1\r\n")
        t0 = time.monotonic()
        assert s.recv(100) == b""
        assert time.monotonic() - t0 < 2.5
        for x in [*socks, s]:
            x.close()
    # no line per connection: one report a minute at most
    assert len([r for r in caplog.records if "connection" in r.getMessage()]) <= 2


def test_a_stalled_upload_is_answered_408(tmp_path) -> None:
    cfg = config(tmp_path, body_timeout_s=0.5, min_upload_rate_bytes_s=0)
    with BackgroundServer(cfg) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(
            b"POST /pose/job HTTP/1.1\r\nHost: a\r\nAuthorization: KakaoAK " + KEY.encode()
            + b"\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: 100000\r\n\r\n"
            + b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n"
        )  # fmt: skip
        s.settimeout(5)
        t0 = time.monotonic()
        answer = s.recv(4096)
        s.close()
        assert b" 408 " in answer.split(b"\r\n")[0]
        assert time.monotonic() - t0 < 2.0
        assert not list((cfg.data_dir / "inputs").glob("*.part"))


def test_job_limits_and_image_bombs_are_bad_input(tmp_path, clip) -> None:
    cfg = config(tmp_path, max_video_frames=5, max_image_pixels=300 * 300)
    with BackgroundServer(cfg) as srv:
        body = wait_job(srv.url, submit(srv.url, files={"file": clip.read_bytes()}))
        assert body["status"] == "failed"
        assert "6 frames, more than the limit of 5" in body["description"]
        png = make_png(tmp_path / "big.png", 400, 320)
        r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": png.read_bytes()})
        assert r.status_code == 400 and r.json()["code"] == -2
        assert "400x320 pixels, more than the limit" in r.json()["msg"]
        # a 100 kB PNG header claiming 30000 x 30000: refused before any decoding
        bomb = bytearray(make_png(tmp_path / "b.png", 320, 320).read_bytes())
        import struct
        import zlib

        bomb[16:24] = struct.pack(">II", 30000, 30000)
        bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
        t0 = time.monotonic()
        r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": bytes(bomb)})
        assert r.status_code == 400 and r.json()["code"] == -2, r.text
        assert time.monotonic() - t0 < 2


def test_orphans_swept_and_stale_jobs_recovered_at_start(tmp_path, clip) -> None:
    cfg = config(tmp_path)
    inputs = cfg.data_dir / "inputs"
    inputs.mkdir(parents=True)
    for name in ("0b9e8c53-0000-4000-8000-000000000000.part", "image-1234.bin"):
        (inputs / name).write_bytes(b"x" * 100)
    (inputs / "dead-job").mkdir()
    (inputs / "dead-job" / "v.mp4").write_bytes(b"x")
    with BackgroundServer(cfg) as srv:
        assert sorted(p.name for p in inputs.iterdir()) == []
        job = submit(srv.url, files={"file": clip.read_bytes()})
        assert wait_job(srv.url, job)["status"] == "success"
        runner = srv.app.state.runner
        # a job left 'processing' that nothing works on (its end could not be written)
        runner.store._write("UPDATE jobs SET status='processing' WHERE id=?", (job,))
        assert runner.recover_stale() == [job]
        body = wait_job(srv.url, job)
    assert body["status"] == "failed" and "could not finish" in body["description"]


@pytest.mark.slow
def test_cancel_and_the_time_limit_stop_a_running_worker_process(tmp_path, clip) -> None:
    env = {"POSEKIT_SERVER_FAKE_DELAY_S": "60", "POSEKIT_SERVER_MAX_JOB_S": "3"}
    with ServerProcess(tmp_path / "d", "--estimator", FAST, "--workers", "1", env=env) as srv:
        data = clip.read_bytes()
        a = submit(srv.url, files={"file": data})
        deadline = time.monotonic() + 60
        while (
            requests.get(f"{srv.url}/pose/job/{a}", headers=AUTH).json()["status"] != "processing"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        b = submit(srv.url, files={"file": data})
        other = {"Authorization": "KakaoAK someone-else"}
        assert requests.delete(f"{srv.url}/pose/job/{a}", headers=other).status_code == 401
        t0 = time.monotonic()
        r = requests.delete(f"{srv.url}/pose/job/{a}", headers=AUTH)
        assert r.json() == {
            "job_id": a,
            "status": "failed",
            "description": "Cancelled by the client",
        }
        # the worker is free at once for b, which then hits the 3 s limit
        body = wait_job(srv.url, b, timeout_s=20)
        took = time.monotonic() - t0
        assert body["status"] == "failed" and "time limit" in body["description"]
        assert 2.5 < took < 8
        c = submit(srv.url, files={"file": data})
        requests.delete(f"{srv.url}/pose/job/{c}", headers=AUTH)  # waiting: never starts
        assert wait_job(srv.url, c)["description"] == "Cancelled by the client"


@pytest.mark.slow
def test_a_full_disk_fails_the_job_with_a_reason_and_orphans_go(tmp_path) -> None:
    import resource
    import signal

    big = make_clip(tmp_path / "long.mp4", n_frames=300, width=16, height=16)
    assert big.stat().st_size < 100_000

    def small_files() -> None:  # writes beyond 100 kB fail as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    args = ("--estimator", FAST, "--worker-kind", "thread")
    srv = ServerProcess(tmp_path / "d", *args, preexec=small_files).start()
    try:
        job = submit(srv.url, files={"file": big.read_bytes()})
        body = wait_job(srv.url, job)
        assert body == {
            "job_id": job,
            "status": "failed",
            "description": "Failed to process video: the server could not store it",
        }
        # an upload cut by kill -9 leaves a partial file; the next start removes it
        s = socket.create_connection(("127.0.0.1", int(srv.url.rsplit(":", 1)[1])))
        s.sendall(
            b"POST /pose/job HTTP/1.1\r\nHost: a\r\nAuthorization: KakaoAK " + KEY.encode()
            + b"\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: 100000\r\n\r\n"
            + b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n"
            + b"y" * 5000
        )  # fmt: skip
        inputs = tmp_path / "d" / "inputs"
        deadline = time.monotonic() + 10
        while not list(inputs.glob("*.part")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        srv.kill()
        s.close()
    finally:
        srv.stop()
    assert list(inputs.glob("*.part"))
    with ServerProcess(tmp_path / "d", "--estimator", FAST, "--worker-kind", "thread"):
        assert not list(inputs.iterdir())


def test_logging_has_no_traceback_per_dropped_connection(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    cfg = config(tmp_path, header_timeout_s=0.3)
    with BackgroundServer(cfg) as srv:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"POST /pose/job HTTP/1.1\r\nContent-Length: 10\r\n\r\nab")
            s.close()
        time.sleep(1.0)
        assert requests.get(f"{srv.url}/pose/job/x", headers=AUTH, timeout=5).ok
    assert not [r for r in caplog.records if r.exc_info]


def test_smaller_points(tmp_path, clip) -> None:
    import os
    import stat

    from posekit.server.config import load_keys
    from posekit.server.netguard import UnsafeURLError, check_url
    from posekit.server.workers import public_message

    keys = tmp_path / "keys.txt"
    keys.write_text("# a comment\nabc#def\n  spaced-key  \n\n")
    assert load_keys(keys) == ["abc#def", "spaced-key"]  # '#' inside a key is the key's

    cfg = config(tmp_path, keys=())
    cfg.data_dir.mkdir(parents=True)
    (cfg.data_dir / "api_key").write_text("")
    os.chmod(cfg.data_dir / "api_key", 0o644)
    assert cfg.ensure_keys() == cfg.data_dir / "api_key"
    assert stat.S_IMODE(os.stat(cfg.data_dir / "api_key").st_mode) == 0o600

    for bad in (
        "http://example.org/a\nINFO: fake line",
        "http://example.org/a b",
        "http://e\r.org/",
    ):
        with pytest.raises(UnsafeURLError, match="control characters"):
            check_url(bad)

    assert public_message("cannot open /srv/data/inputs/abc/clip.mp4: bad") == (
        "cannot open clip.mp4: bad"
    )
    assert public_message("GET http://host/a/b.mp4 failed") == "GET http://host/a/b.mp4 failed"
    with BackgroundServer(config(tmp_path)) as srv:
        job = submit(srv.url, files={"file": ("clip.mp4", b"not a video at all")})
        body = wait_job(srv.url, job)
    assert body["status"] == "failed" and str(tmp_path) not in body["description"]
    assert "/" not in body["description"], body
