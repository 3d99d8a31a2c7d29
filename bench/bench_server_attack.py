"""The server under slow and half-open peers: does it keep answering?

Prints status polls per second, their p99 latency and the end-to-end latency of small video
jobs, first on a quiet server (the baseline), then while it is held by

* 6 slow-drip URLs: 3 ``video_url`` jobs and 3 ``image_url`` requests pointing at an origin
  that promises 1 MB and sends one byte every 2 s, and
* 1,000 half-open connections: each sends part of a request's headers and then nothing; a
  connection the server closes is opened again at once, so 1,000 are held all the time.

Targets: >= 50 polls/s and p99 < 1 s under attack. Everything runs on 127.0.0.1, with the fast
stand-in estimator (this measures the server, not the estimator).

Run: ``.venv/bin/python bench/bench_server_attack.py [--seconds 20] [--half-open 1000]``
"""

from __future__ import annotations

import argparse
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from _results import figure, write_results

from posekit.server.testing import DripServer, make_clip

KEY = "bench-key"
AUTH = {"Authorization": f"KakaoAK {KEY}"}


def start_server(data: Path) -> tuple:
    import os
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "POSEKIT_SERVER_KEYS": KEY}
    cmd = [sys.executable, "-m", "posekit.cli", "serve", "--port", str(port), "--data-dir",
           str(data), "--estimator", "posekit.server.testing:fake_estimator", "--workers", "1",
           "--allow-private-urls", "--url-ports", "any", "--log-level", "warning"]  # fmt: skip
    log = open(data.parent / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/pose/job/x", headers=AUTH, timeout=1)
            return proc, url, data.parent / "server.log"
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)


def measure(url: str, clip: Path, seconds: float, threads: int = 4) -> dict:
    """Polls/s, their latencies, and the latency of video jobs submitted meanwhile."""
    with open(clip, "rb") as f:
        data = f.read()
    r = requests.post(f"{url}/pose/job", headers=AUTH, files={"file": data}, timeout=30)
    job_id = r.json()["job_id"]
    lat: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds

    def poll() -> None:
        with requests.Session() as s:
            while time.monotonic() < stop:
                t = time.monotonic()
                try:
                    ok = s.get(f"{url}/pose/job/{job_id}", headers=AUTH, timeout=10).ok
                except requests.RequestException:
                    ok = False
                lat.append(time.monotonic() - t)
                errors[0] += not ok
                time.sleep(0.005)

    jobs: list[float] = []

    def video_jobs() -> None:
        while time.monotonic() < stop - 2:
            t = time.monotonic()
            try:
                r = requests.post(f"{url}/pose/job", headers=AUTH, files={"file": data}, timeout=30)
                jid = r.json()["job_id"]
                while time.monotonic() < stop + 30:
                    st = requests.get(f"{url}/pose/job/{jid}", headers=AUTH, timeout=10).json()
                    if st["status"] not in ("waiting", "processing"):
                        break
                    time.sleep(0.05)
                jobs.append(time.monotonic() - t if st["status"] == "success" else float("inf"))
            except requests.RequestException:
                jobs.append(float("inf"))
            time.sleep(0.5)

    ts = [threading.Thread(target=poll) for _ in range(threads)]
    ts.append(threading.Thread(target=video_jobs))
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - t0
    lat.sort()
    return {
        "polls_s": len(lat) / elapsed,
        "p50": statistics.median(lat) if lat else float("nan"),
        "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan"),
        "errors": errors[0],
        "jobs": jobs,
    }


class HalfOpen:
    """Holds ``n`` connections that never finish their request headers."""

    def __init__(self, host: str, port: int, n: int) -> None:
        self.addr, self.n = (host, port), n
        self.sel = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.opened = 0
        self.refused = 0

    def _open(self) -> None:
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(self.addr)
        except BlockingIOError:
            pass
        except OSError:
            self.refused += 1
            s.close()
            return
        self.sel.register(s, selectors.EVENT_WRITE, "new")
        self.opened += 1

    def run(self) -> None:
        for _ in range(self.n):
            self._open()
        while not self.stop.is_set():
            for key, _ in self.sel.select(0.2):
                s = key.fileobj
                if key.data == "new":
                    try:
                        s.send(b"GET /pose/job/x HTTP/1.1\r\nHost: a\r\n")  # never finished
                        self.sel.modify(s, selectors.EVENT_READ, "held")
                    except OSError:
                        self.sel.unregister(s)
                        s.close()
                        self._open()
                    continue
                try:
                    gone = s.recv(4096) == b""
                except OSError:
                    gone = True
                if gone:  # closed by the server: hold another one
                    self.sel.unregister(s)
                    s.close()
                    self._open()
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()

    def __enter__(self) -> HalfOpen:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def report(name: str, m: dict) -> str:
    jobs = [j for j in m["jobs"] if j != float("inf")]
    failed = len(m["jobs"]) - len(jobs)
    job = f"{statistics.median(jobs):.2f} s median of {len(jobs)}" if jobs else "none finished"
    return (
        f"{name:<22} {m['polls_s']:8.1f} {m['p50'] * 1000:9.1f} {m['p99'] * 1000:9.1f} "
        f"{m['errors']:7d}   {job}{f', {failed} failed' if failed else ''}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--half-open", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        clip = make_clip(d / "clip.mp4", n_frames=12)
        proc, url, log = start_server(d / "data")
        try:
            measure(url, clip, 2.0)  # warm-up: the worker's first job loads its imports
            base = measure(url, clip, args.seconds)
            with DripServer("body", every_s=2.0) as drip:
                side = []
                for i in range(3):
                    r = requests.post(
                        f"{url}/pose/job",
                        headers=AUTH,
                        data={"video_url": f"{drip.url}/v{i}.mp4"},
                        timeout=30,
                    )
                    side.append(r.json()["job_id"])

                def image(i: int) -> None:
                    try:
                        requests.post(
                            f"{url}/pose",
                            headers=AUTH,
                            data={"image_url": f"{drip.url}/i{i}.png"},
                            timeout=300,
                        )
                    except requests.RequestException:
                        pass

                imgs = [threading.Thread(target=image, args=(i,), daemon=True) for i in range(3)]
                for t in imgs:
                    t.start()
                host, port = url.removeprefix("http://").split(":")
                with HalfOpen(host, int(port), args.half_open) as ho:
                    time.sleep(2.0)  # let them all connect
                    attacked = measure(url, clip, args.seconds)
                    held = len(ho.sel.get_map())
                statuses = [
                    requests.get(f"{url}/pose/job/{j}", headers=AUTH, timeout=10).json()
                    for j in side
                ]
        finally:
            proc.terminate()
            proc.wait(30)
        log_bytes = log.stat().st_size
    print(f"{'':<22} {'polls/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}   video job latency")
    print(report("baseline (quiet)", base))
    print(report("6 drips + half-open", attacked))
    print(f"half-open connections held at the end: {held} (opened {ho.opened} in all)")
    print("slow video_url jobs:", ", ".join(s["status"] for s in statuses))
    print(f"server log: {log_bytes} bytes")
    ok = attacked["polls_s"] >= 50 and attacked["p99"] < 1.0
    print(
        f"target >= 50 polls/s and p99 < 1 s under attack: "
        f"{attacked['polls_s']:.0f}/s, p99 {attacked['p99'] * 1000:.0f} ms -> "
        f"{'met' if ok else 'MISSED'}"
    )
    write_results(
        "bench_server_attack",
        [
            figure(
                f"server held by 6 slow-drip URLs + {args.half_open:,} half-open connections "
                "(fast stand-in estimator): status polls",
                attacked["polls_s"],
                "/s",
                target=(">=", 50),
                baseline=f"quiet server {base['polls_s']:.0f} /s",
            ),
            figure(
                "p99 latency of those polls",
                attacked["p99"] * 1000,
                "ms",
                target=("<", 1000),
                baseline=f"quiet server {base['p99'] * 1000:.0f} ms",
            ),
            figure("errors among those polls", attacked["errors"], "", target=("<=", 0)),
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
