"""Benchmark of the Kakao-compatible server (``posekit serve``) on this machine.

Prints, side by side with their targets and baselines:

1. status polls answered per second while a video job is being estimated
   (target >= 50/s; baseline: the same polls against an idle server);
2. end-to-end time of a video job through the server (upload, queue, estimation, polling every
   50 ms, download of the result) against calling ``posekit.estimate.estimate_video`` directly
   on the same file in this process (target: at most 10 % more).

Run: ``.venv/bin/python bench/bench_server.py [--video PATH] [--estimator DOTTED]``. The video
defaults to the Pose2Sim demo (``posekit.media.fetch_demo_video``, 100 frames, one person).
Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from _results import figure, write_results

KEY = "bench-key"
AUTH = {"Authorization": f"KakaoAK {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, estimator: str, workers: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "POSEKIT_SERVER_KEYS": KEY}
    port = free_port()
    cmd = [sys.executable, "-m", "posekit.cli", "serve", "--port", str(port), "--data-dir",
           str(data_dir), "--estimator", estimator, "--workers", str(workers),
           "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/openapi.json", timeout=1)
            return proc, url
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)


def submit(url: str, video: Path) -> str:
    with video.open("rb") as f:
        r = requests.post(
            f"{url}/pose/job", headers=AUTH, files={"file": (video.name, f)}, timeout=60
        )
    r.raise_for_status()
    return r.json()["job_id"]


def wait(url: str, job_id: str, every_s: float = 0.05) -> dict:
    with requests.Session() as s:
        while True:
            body = s.get(f"{url}/pose/job/{job_id}", headers=AUTH, timeout=60).json()
            if body["status"] not in ("waiting", "processing"):
                return body
            time.sleep(every_s)


def poll_rate(
    url: str, job_id: str, seconds: float, threads: int = 4, *, while_status: str | None = None
) -> tuple[float, int]:
    """Polls answered per second by ``threads`` clients polling as fast as they can.

    With ``while_status``, polling stops as soon as an answer shows another status, so that
    every counted poll was answered while the job was in that state.
    """
    count = [0] * threads
    errors = [0]
    stop = [time.monotonic() + seconds]

    def run(i: int) -> None:
        with requests.Session() as s:
            while time.monotonic() < stop[0]:
                r = s.get(f"{url}/pose/job/{job_id}", headers=AUTH, timeout=10)
                if r.status_code != 200:
                    errors[0] += 1
                elif while_status and r.json()["status"] != while_status:
                    stop[0] = 0.0
                else:
                    count[i] += 1

    t0 = time.monotonic()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(count) / (time.monotonic() - t0), errors[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", type=Path, help="video file (default: the Pose2Sim demo, cam01)")
    ap.add_argument("--estimator", default="posekit.estimate")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2, help="end-to-end runs of each (best taken)")
    args = ap.parse_args()

    video = args.video
    if video is None:
        from posekit.media import fetch_demo_video

        video = fetch_demo_video("pose2sim_s01_cam01")
    from posekit.server.config import resolve_estimator
    from posekit.video import VideoReader

    with VideoReader(video) as v:
        n_frames = v.n_frames
    est = resolve_estimator(args.estimator)
    print(f"posekit server benchmark: {video.name} ({n_frames} frames), estimator {args.estimator}, "
          f"{args.workers} worker(s), {os.cpu_count()} cores (shared: timings are noisy)",
          flush=True)  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "data", args.estimator, args.workers)
        try:
            idle_rate, _ = poll_rate(url, "00000000-0000-0000-0000-000000000000", 2.0)
            # warm: the first job loads nothing more than the warm-up did, but be sure
            wait(url, submit(url, video))
            # 1. polls while a job runs
            job_id = submit(url, video)
            while (
                requests.get(f"{url}/pose/job/{job_id}", headers=AUTH).json()["status"] == "waiting"
            ):
                time.sleep(0.01)
            busy_rate, errors = poll_rate(url, job_id, 3.0, while_status="processing")
            still = requests.get(f"{url}/pose/job/{job_id}", headers=AUTH).json()["status"]
            wait(url, job_id)

            # 2. end to end vs direct
            if hasattr(est, "estimate_image"):
                import numpy as np

                try:
                    est.estimate_image(np.zeros((320, 320, 3), np.uint8))  # load models
                except Exception:
                    pass
            direct, served = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                est.estimate_video(video, smoothing=True, progress=False)
                direct.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                body = wait(url, submit(url, video))
                served.append(time.perf_counter() - t0)
                assert body["status"] == "success", body
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)

    d, s = min(direct), min(served)
    ratio = s / d
    print()
    print(f"{'measure':<44}{'result':>14}{'target':>14}{'baseline':>16}")
    print(f"{'status polls/s while a job runs':<44}{busy_rate:>14.0f}{'>= 50':>14}{idle_rate:>12.0f} idle"
          f"   {'OK' if busy_rate >= 50 else 'MISS'}")  # fmt: skip
    print(f"{'  (job status during the polls)':<44}{still:>14}{'processing':>14}")
    print(f"{'end-to-end job time, s (best of ' + str(args.repeat) + ')':<44}{s:>14.2f}"
          f"{d * 1.10:>14.2f}{d:>12.2f} direct   {'OK' if ratio <= 1.10 else 'MISS'}")  # fmt: skip
    print(f"{'  server / direct':<44}{ratio:>14.3f}{'<= 1.100':>14}")
    print(f"  all runs: direct {', '.join(f'{x:.2f}' for x in direct)} s; "
          f"server {', '.join(f'{x:.2f}' for x in served)} s; poll errors {errors}; "
          f"{statistics.mean(direct) / n_frames * 1000:.0f} ms/frame direct")  # fmt: skip
    clip = "Pose2Sim cam01" if args.video is None else video.name
    write_results(
        "bench_server",
        [
            figure(
                "server: status polls answered while a job runs",
                busy_rate,
                "/s",
                target=(">=", 50),
                baseline=f"idle server {idle_rate:.0f} /s",
            ),
            figure(
                f"server: end-to-end job, {clip} ({n_frames} frames), over calling the "
                "estimator directly",
                ratio,
                "×",
                target=("<=", 1.10),
                baseline=f"`posekit.estimate` directly {d:.2f} s; through the server {s:.2f} s",
            ),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
