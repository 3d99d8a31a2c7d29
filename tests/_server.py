"""Helpers for the server tests: the server in a subprocess, a loopback web server, test clips.

Everything here listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import requests

from posekit.server.testing import DripServer, make_clip  # noqa: F401  (the tests' names)

ROOT = Path(__file__).resolve().parents[1]
KEY = "test-key-0123456789"
AUTH = {"Authorization": f"KakaoAK {KEY}"}
FAST = "posekit.server.testing:fake_estimator"


def make_png(path: Path, width: int = 400, height: int = 320) -> Path:
    """A black RGB PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes(width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png)
    return path


def wait_job(base: str, job_id: str, timeout_s: float = 60.0, every_s: float = 0.05) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        body = requests.get(f"{base}/pose/job/{job_id}", headers=AUTH, timeout=10).json()
        if body["status"] not in ("waiting", "processing"):
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {body['status']} after {timeout_s} s")
        time.sleep(every_s)


class ServerProcess:
    """``posekit serve`` in a subprocess on an ephemeral loopback port."""

    def __init__(self, data_dir: Path, *args: str, env: dict | None = None, preexec=None) -> None:
        self.data_dir = data_dir
        self.preexec = preexec
        self.args = args
        self.env = {**os.environ, "POSEKIT_SERVER_KEYS": KEY, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log: list[str] = []

    def start(self, timeout_s: float = 60.0) -> ServerProcess:
        cmd = [sys.executable, "-m", "posekit.cli", "serve", "--port", "0",
               "--data-dir", str(self.data_dir), "--log-level", "info", *self.args]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=self.preexec,
        )
        found = threading.Event()

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.log.append(line)
                m = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
                if m:
                    self.url = m.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start:\n" + "".join(self.log))
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LoopbackWeb:
    """A small web server on 127.0.0.1 (optionally TLS): serves files and redirects, and records
    requests.

    ``routes`` maps a path to ``(status, headers, body)`` (``body`` may be a callable); GETs are
    recorded in ``gets`` as ``(path, headers)``, POSTs in ``posts`` as ``(path, headers, body)``.
    """

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.posts: list[tuple[str, dict, bytes]] = []
        self.gets: list[tuple[str, dict]] = []
        self.got_post = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.gets.append((self.path, dict(self.headers)))
                status, headers, body = outer.routes.get(self.path, (404, {}, b"not here"))
                if callable(body):
                    body = body()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.posts.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                outer.got_post.set()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:  # (certificate, key) files
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(
        self,
        path: str,
        body: bytes | Callable[[], bytes],
        status: int = 200,
        headers: dict | None = None,
    ) -> str:
        self.routes[path] = (status, headers or {}, body)
        return self.url + path

    def __enter__(self) -> LoopbackWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class CrashOnMarker:
    """The fixed estimator, except that a file starting with ``CRASH`` kills the worker process."""

    def __init__(self) -> None:
        from posekit.server.testing import FixedEstimator

        self.inner = FixedEstimator()

    def estimate_image(self, image, /):
        return self.inner.estimate_image(image)

    def estimate_video(self, path, /, *, smoothing=True, progress=False):
        with open(path, "rb") as f:
            if f.read(5) == b"CRASH":
                os._exit(3)  # as a segfault in native code would
        return self.inner.estimate_video(path, smoothing=smoothing)
