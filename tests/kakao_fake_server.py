"""A faithful fake of the Kakao Pose REST API on loopback, for the client tests.

Standard library only (``http.server``), plus Pillow and PyAV to look at what was uploaded. It
speaks the documented API (see ``DESIGN.md``): ``POST /pose`` (multipart ``file`` or form
``image_url``), ``POST /pose/job`` (``file`` or ``video_url``, ``smoothing``,
``callback_url``), ``GET /pose/job/{job_id}``; ``Authorization: KakaoAK <key>``; Kakao's
``{"code", "msg"}`` error bodies and statuses. Jobs go through a plan of statuses in time
(``waiting`` → ``processing`` → ``success`` by default, ``step`` seconds each) and call their
``callback_url`` once when they end.

Knobs for the tests: ``add_fault(...)`` injects per-request faults (delays, resets, cut-off
answers, any status/body/headers, malformed JSON), ``kakao_error(code)`` answers a Kakao error,
``expire(job_id)`` forgets a job, and ``attempts`` records every request the server read.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import socket
import struct
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from posekit.schema import JOINTS, KAKAO_SKELETON

# Kakao-wide error codes: (HTTP status, message)
KAKAO_CODES: dict[int, tuple[int, str]] = {
    -1: (400, "internal error"),
    -2: (400, "invalid parameter"),
    -3: (403, "disabled feature"),
    -4: (403, "blocked app or user"),
    -5: (403, "no permission"),
    -7: (400, "service under maintenance"),
    -8: (400, "invalid header"),
    -9: (400, "API terminated"),
    -10: (400, "exceeded quota"),
    -11: (400, "exceeded paid limit"),
    -12: (403, "suspended"),
    -401: (401, "Not authorized with provided app key"),
}

MAX_IMAGE_BYTES = 2 * 1024 * 1024
URL_IMAGE_SIZE = (640, 480)
URL_VIDEO = {"fps": 30.0, "frames": 12, "width": 640, "height": 480}

# a standing person, joint positions as fractions of the image (x, y), COCO order
TEMPLATE = np.array(
    [
        [0.50, 0.15], [0.52, 0.13], [0.48, 0.13], [0.54, 0.14], [0.46, 0.14],
        [0.58, 0.25], [0.42, 0.25], [0.62, 0.38], [0.38, 0.38], [0.63, 0.50],
        [0.37, 0.50], [0.55, 0.52], [0.45, 0.52], [0.56, 0.70], [0.44, 0.70],
        [0.57, 0.88], [0.43, 0.88],
    ]
)  # fmt: skip
SCORES = np.linspace(0.95, 0.6, len(JOINTS)).round(4)


def person(width: int, height: int, dx: float = 0.0, object_id: int | None = None) -> dict:
    """A Kakao ``Person``: the template person scaled to the image, shifted ``dx`` pixels."""
    xy = TEMPLATE * [width, height] + [dx, 0.0]
    kp = np.column_stack([xy, SCORES]).round(4)
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    w, h = x1 - x0 + 1, y1 - y0 + 1
    out = {
        "area": round(float(w * h), 4),
        "bbox": [round(float(v), 4) for v in (x0, y0, w, h)],
        "category_id": 1,
        "keypoints": kp.ravel().tolist(),
        "score": 0.8123,
    }
    if object_id is not None:
        out["object_id"] = object_id
    return out


def video_result(job_id: str, video: dict) -> dict:
    """A successful job answer: person 0 walks right 2 px a frame; person 1 in even frames."""
    w, h = video["width"], video["height"]
    anns = []
    for f in range(video["frames"]):
        objs = [person(w, h, dx=2.0 * f, object_id=0)]
        if f % 2 == 0:
            objs.append(person(w, h, dx=-0.2 * w, object_id=1))
        anns.append({"frame_num": f, "objects": objs})
    return {
        "annotations": anns,
        "categories": [
            {
                "id": 1,
                "keypoints": list(JOINTS),
                "name": "person",
                "skeleton": [list(p) for p in KAKAO_SKELETON],
                "supercategory": "person",
            }
        ],
        "info": {
            "contributor": "Kakao Brain Corp.",
            "date_created": "2020/08/18",
            "description": "Human pose estimation result from Kakao Brain",
            "url": "https://www.kakaobrain.com",
            "version": 2,
            "year": 2020,
        },
        "job_id": job_id,
        "status": "success",
        "video": dict(video),
    }


def synth_result(job_id: str, video: dict, activity: str) -> dict:
    """A successful job answer made by :func:`posekit.synth.generate` (two noisy people)."""
    from posekit.synth import generate

    sim = generate(activity, duration_s=video["frames"] / video["fps"], fps=video["fps"],
                   width=video["width"], height=video["height"], n_people=2, noise_px=1.0,
                   dropout=0.05, seed=0, job_id=job_id)  # fmt: skip
    return sim.result.to_dict()


@dataclass
class Fault:
    """A fault for requests matching ``method`` and ``path`` (prefix), ``times`` times.

    kind: ``"delay"`` (sleep ``delay`` s, then answer normally), ``"reset"`` (read the request,
    then drop the connection without answering), ``"truncate"`` (handle the request for real,
    then cut the answer off mid-body), ``"answer"`` (answer ``status``/``body``/``headers``
    instead of handling the request).
    """

    kind: str
    method: str | None = None
    path: str | None = None
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass
class Attempt:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]
    content_type: str
    fields: dict[str, str]
    files: dict[str, tuple[str | None, bytes, str]]
    fault: str | None = None


@dataclass
class Job:
    job_id: str
    created: float
    plan: tuple[str, ...]
    step: float
    video: dict | None
    description: str | None
    smoothing: bool
    callback_url: str | None
    expired: bool = False
    synth_activity: str | None = None

    def status(self) -> str:
        if self.expired:
            return "not found"
        i = int((time.monotonic() - self.created) / self.step) if self.step > 0 else 99
        return self.plan[min(i, len(self.plan) - 1)]

    def answer(self) -> dict:
        status = self.status()
        if status == "success":
            assert self.video is not None
            if self.synth_activity:
                return synth_result(self.job_id, self.video, self.synth_activity)
            return video_result(self.job_id, self.video)
        out: dict[str, Any] = {"job_id": self.job_id, "status": status}
        if status == "failed":
            out["description"] = self.description or "Failed to get video"
        return out


def parse_multipart(body: bytes, content_type: str) -> tuple[dict, dict]:
    """Fields and files of a multipart/form-data body (email parser, no cgi)."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes, str]] = {}
    if not msg.is_multipart():
        raise ValueError("not a multipart body")
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, payload, part.get_content_type())
        else:
            fields[name] = payload.decode()
    return fields, files


def image_size(data: bytes) -> tuple[str | None, tuple[int, int] | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.format, im.size
    except (UnidentifiedImageError, OSError):
        return None, None


def probe_video(data: bytes) -> dict | None:
    """fps, frames, width, height of an uploaded video (PyAV), or None if it does not decode."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            frames = sum(1 for _ in container.decode(stream))
            return {
                "fps": float(stream.average_rate),
                "frames": frames,
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
            }
    except (av.error.FFmpegError, IndexError, ZeroDivisionError, TypeError):
        return None


class FakeKakaoServer:
    """The fake API on ``127.0.0.1``, on an ephemeral port; ``url`` is its base URL."""

    def __init__(self, api_key: str = "test-key", *, step: float = 0.05, port: int = 0) -> None:
        self.api_key = api_key
        self.step = self._default_step = step
        self.plan: tuple[str, ...] = ("waiting", "processing", "success")
        #: None: results of the fixed walking template; "walk", "squat"...: posekit.synth's
        self.synth_activity: str | None = None
        self.jobs: dict[str, Job] = {}
        self.faults: list[Fault] = []
        self.attempts: list[Attempt] = []
        self.callbacks: list[tuple[str, int | str]] = []  # (url, HTTP status or error)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._timers: list[threading.Timer] = []

    def start(self) -> FakeKakaoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        for t in self._timers:
            t.cancel()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget faults, attempts and callbacks (jobs stay); default plan, step and results."""
        with self._lock:
            self.faults.clear()
            self.attempts.clear()
            self.callbacks.clear()
            self.plan = ("waiting", "processing", "success")
            self.synth_activity = None
            self.step = self._default_step

    # -- knobs ---------------------------------------------------------------------------------
    def add_fault(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def kakao_error(
        self, code: int, *, method: str | None = None, path: str | None = None, times: int = 1
    ) -> Fault:
        status, msg = KAKAO_CODES[code]
        body = json.dumps({"code": code, "msg": msg}).encode()
        return self.add_fault(
            "answer",
            method=method,
            path=path,
            status=status,
            body=body,
            headers={"Content-Type": "application/json"},
            times=times,
        )

    def expire(self, job_id: str) -> None:
        self.jobs[job_id].expired = True

    def attempts_for(self, method: str, path: str) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.method == method and a.path.startswith(path)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.times > 0 and f.matches(method, path):
                    f.times -= 1
                    return f
        return None

    def new_job(
        self, video: dict | None, description: str | None, smoothing: bool, callback_url: str | None
    ) -> Job:
        plan = self.plan if video is not None else ("waiting", "processing", "failed")
        job = Job(
            str(uuid.uuid4()),
            time.monotonic(),
            plan,
            self.step,
            video,
            description,
            smoothing,
            callback_url,
            synth_activity=self.synth_activity,
        )
        self.jobs[job.job_id] = job
        if callback_url:
            timer = threading.Timer((len(plan) - 1) * self.step + 0.01, self._callback, [job])
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return job

    def _callback(self, job: Job) -> None:
        assert job.callback_url is not None
        body = json.dumps(job.answer()).encode()
        req = urllib.request.Request(
            job.callback_url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                self.callbacks.append((job.callback_url, resp.status))
        except Exception as exc:  # never retried, as Kakao documents
            self.callbacks.append((job.callback_url, repr(exc)))


def _make_handler(srv: FakeKakaoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        # -- plumbing --------------------------------------------------------------------------
        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            headers = headers or {}
            if not any(k.lower() == "content-type" for k in headers):
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj).encode())

        def _error(self, code: int, msg: str | None = None) -> None:
            status, default = KAKAO_CODES[code]
            self._json(status, {"code": code, "msg": msg or default})

        def _drop(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def _handle(self, method: str) -> None:
            path = urllib.parse.urlsplit(self.path).path
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            ctype = self.headers.get("Content-Type", "")
            fields: dict[str, str] = {}
            files: dict[str, tuple[str | None, bytes, str]] = {}
            bad_body = False
            try:
                if ctype.startswith("multipart/form-data"):
                    fields, files = parse_multipart(body, ctype)
                elif ctype.startswith("application/x-www-form-urlencoded"):
                    fields = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            except (ValueError, UnicodeDecodeError):
                bad_body = True
            attempt = Attempt(method, path, dict(self.headers.items()), ctype, fields, files)
            with srv._lock:
                srv.attempts.append(attempt)
            fault = srv._take_fault(method, path)
            if fault is not None:
                attempt.fault = fault.kind
                if fault.kind == "delay":
                    time.sleep(fault.delay)
                elif fault.kind == "reset":
                    self._drop()
                    return
                elif fault.kind == "answer":
                    self._send(fault.status, fault.body, fault.headers)
                    return
            if fault is not None and fault.kind == "truncate":
                self.wfile = _Truncating(self.wfile)  # type: ignore[assignment]
                self.close_connection = True
            if not self._authorised():
                return
            if bad_body:
                self._error(-2, "malformed request body")
            elif method == "POST" and path == "/pose":
                self._pose(fields, files)
            elif method == "POST" and path == "/pose/job":
                self._pose_job(fields, files)
            elif method == "GET" and path.startswith("/pose/job/"):
                self._get_job(path.removeprefix("/pose/job/"))
            else:
                self._send(404, b'{"msg": "no such endpoint"}')
            if fault is not None and fault.kind == "truncate":
                self._drop()

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization")
            if not auth:
                self._error(-401)
                return False
            scheme, _, key = auth.partition(" ")
            if scheme != "KakaoAK":
                self._error(-8, "Authorization header must be 'KakaoAK {REST_API_KEY}'")
                return False
            if key != srv.api_key:
                self._error(-401)
                return False
            return True

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        # -- endpoints -------------------------------------------------------------------------
        def _pose(self, fields: dict, files: dict) -> None:
            url = fields.get("image_url")
            upload = files.get("file")
            if (url is None) == (upload is None):
                self._error(-2, "one of image_url or file is required")
                return
            if url is not None:
                if not url.startswith(("http://", "https://")):
                    self._error(-2, "image_url must be an http or https URL")
                    return
                w, h = URL_IMAGE_SIZE
            else:
                data = upload[1]
                fmt, size = image_size(data)
                if fmt not in ("JPEG", "PNG", "WEBP", "HEIF") or size is None:
                    self._error(-2, "unsupported image format")
                    return
                if len(data) > MAX_IMAGE_BYTES:
                    self._error(-2, "image file is larger than 2MB")
                    return
                w, h = size
                if max(w, h) > 2048 or min(w, h) < 320:
                    self._error(-2, "image size out of range")
                    return
            self._json(200, [person(w, h)])

        def _pose_job(self, fields: dict, files: dict) -> None:
            url = fields.get("video_url")
            upload = files.get("file")
            if (url is None) == (upload is None):
                self._error(-2, "one of video_url or file is required")
                return
            smoothing = fields.get("smoothing", "true").lower()
            if smoothing not in ("true", "false"):
                self._error(-2, "smoothing must be true or false")
                return
            callback = fields.get("callback_url")
            if callback is not None and not callback.startswith(("http://", "https://")):
                self._error(-2, "callback_url must be an http or https URL")
                return
            if url is not None:
                if not url.startswith(("http://", "https://")):
                    self._error(-2, "video_url must be an http or https URL")
                    return
                video = None if ("fail" in url or "missing" in url) else dict(URL_VIDEO)
            else:
                video = probe_video(upload[1])
            job = srv.new_job(
                video, None if video else "Failed to get video", smoothing == "true", callback
            )
            self._json(200, {"job_id": job.job_id})

        def _get_job(self, job_id: str) -> None:
            job = srv.jobs.get(job_id)
            if job is None:
                self._json(200, {"job_id": job_id, "status": "not found"})
                return
            self._json(200, job.answer())

    return Handler


class _Truncating(io.RawIOBase):
    """Lets the headers and the first 20 bytes of the body through, then nothing."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.seen_headers = False
        self.body_left = 20

    def write(self, b: Any) -> int:
        data = bytes(b)
        if not self.seen_headers:
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                self.seen_headers = True
                self.raw.write(head + sep)
                data = rest
            else:
                self.raw.write(data)
                return len(b)
        self.raw.write(data[: self.body_left])
        self.body_left -= min(self.body_left, len(data))
        self.raw.flush()
        return len(b)

    def flush(self) -> None:
        self.raw.flush()

    def writable(self) -> bool:
        return True
