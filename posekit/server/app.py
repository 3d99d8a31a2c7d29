"""The FastAPI application: Kakao's three Pose endpoints, its auth header and error bodies."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from posekit import __version__
from posekit.schema import ErrorBody, JobSubmitted
from posekit.server.config import ServerConfig
from posekit.server.frontend import BodyDeadline, SlowClientError
from posekit.server.jobs import JobRunner
from posekit.server.netguard import FetchError, UnsafeURLError, check_url, fetch_to_file
from posekit.server.openapi import openapi_document
from posekit.server.uploads import ApiError, Form, read_form
from posekit.server.workers import EstimatorError, public_message

__all__ = ["create_app"]

log = logging.getLogger("posekit.server")

AUTH_MSG = "Not authorized with provided app key"
_JSON = "application/json"


def _error(code: int, msg: str, status: int, headers: dict | None = None) -> Response:
    body = msgspec.json.encode(ErrorBody(code=code, msg=msg))
    return Response(body, status_code=status, media_type=_JSON, headers=headers)


def _parse_bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise ApiError(-2, f"{name} must be true or false, not {value!r}")


def safe_name(name: str, default: str) -> str:
    """A harmless file name from a client's file name or URL: its last part, plain characters."""
    base = re.split(r"[/\\]", urlsplit(name).path if "://" in name else name)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[-100:]
    return base or default


def _one_source(form: Form, url_field: str) -> str:
    """The form's URL field (stripped), after checking it gives exactly one of file or URL."""
    url = form.fields.get(url_field, "").strip()
    if form.file_path is not None and url:
        raise ApiError(-2, f"give either file or {url_field}, not both")
    if form.file_path is None and not url:
        raise ApiError(-2, f"file or {url_field} is required")
    if form.file_path is not None and form.file_size == 0:
        raise ApiError(-2, "file is empty")
    return str(url)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The Kakao-compatible Pose API as an ASGI application.

    Parameters
    ----------
    config
        Limits, keys, data folder, estimator; default :meth:`ServerConfig.from_env`.

    Examples
    --------
    >>> import uvicorn
    >>> from posekit.server import ServerConfig, create_app
    >>> app = create_app(ServerConfig(keys=("secret",), data_dir="/tmp/posekit-server"))
    >>> # uvicorn.run(app, host="127.0.0.1", port=8000)
    """
    config = config or ServerConfig.from_env()
    key_file = config.ensure_keys()
    if key_file is not None:
        log.warning("no API key configured; generated one into %s", key_file)
    key_digests = [hashlib.sha256(k.encode()).digest() for k in config.keys]
    runner = JobRunner(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runner.start()
        try:
            yield
        finally:
            await runner.stop()

    app = FastAPI(
        title="posekit Pose API (Kakao-compatible)",
        version=__version__,
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.config = config
    app.state.runner = runner
    app.add_middleware(
        BodyDeadline, idle_s=config.body_timeout_s, min_rate_bytes_s=config.min_upload_rate_bytes_s
    )
    document = openapi_document(config)
    app.openapi = lambda: document  # type: ignore[method-assign]

    api = _Endpoints(config, runner, key_digests)
    for exc_type, handler in _HANDLERS:
        app.add_exception_handler(exc_type, handler)
    app.post("/pose", include_in_schema=False)(api.pose_image)
    app.post("/pose/job", include_in_schema=False)(api.pose_job)
    app.get("/pose/job/{job_id}", include_in_schema=False)(api.pose_job_status)
    app.delete("/pose/job/{job_id}", include_in_schema=False)(api.pose_job_cancel)
    return app


# -- errors: Kakao's body for every failure --------------------------------------------
async def _api_error(request: Request, exc: ApiError) -> Response:
    return _error(exc.code, exc.msg, exc.status, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    return _error(-2, str(exc.detail), exc.status_code, getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    return _error(-2, "invalid parameter", 400)


async def _slow(request: Request, exc: SlowClientError) -> Response:
    return _error(-2, str(exc), 408, {"Connection": "close"})


async def _gone(request: Request, exc: ClientDisconnect) -> Response:
    log.info("client went away during %s %r", request.method, request.url.path)
    return _error(-2, "the request body was cut off", 400)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %r", request.method, request.url.path, exc_info=exc)
    return _error(-1, "internal error", 400)  # Kakao answers -1 with HTTP 400


_HANDLERS: list[tuple[type[Exception], Any]] = [
    (ApiError, _api_error),
    (StarletteHTTPException, _http_error),
    (RequestValidationError, _validation_error),
    (SlowClientError, _slow),
    (ClientDisconnect, _gone),
    (Exception, _internal_error),
]


class _Endpoints:
    """The API's endpoints and the helpers they share, over one runner and its config."""

    def __init__(self, config: ServerConfig, runner: JobRunner, key_digests: list[bytes]) -> None:
        self.config = config
        self.runner = runner
        self.key_digests = key_digests

    def authorize(self, request: Request) -> None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        digest = hashlib.sha256(key.strip().encode()).digest()
        ok = False
        for known in self.key_digests:  # look at every key: the time taken says nothing
            ok |= hmac.compare_digest(digest, known)
        if not (ok and scheme.lower() == "kakaoak"):
            raise ApiError(-401, AUTH_MSG, status=401)

    async def refuse(self, request: Request, error: ApiError) -> None:
        """Read what the client sends (up to a bound) before answering, then raise ``error``."""
        with contextlib.suppress(Exception):
            n = 0
            async for chunk in request.stream():
                n += len(chunk)
                if n > self.config.max_video_bytes * 2:
                    break
        raise error

    async def check_outbound(self, url: str, name: str) -> str:
        # On the URL checks' own pool (name resolution can be slow), within a deadline.
        limit = self.config.connect_timeout_s * 2
        try:
            await asyncio.wait_for(
                asyncio.wrap_future(
                    self.runner.checks.submit(check_url, url, policy=self.runner.policy)
                ),
                limit,
            )
        except UnsafeURLError as exc:
            raise ApiError(-2, f"{name}: {exc}") from None
        except asyncio.TimeoutError:
            raise ApiError(
                -2, f"{name}: its host name was not resolved within {limit:g} s"
            ) from None
        return url

    def owner_of(self, request: Request) -> str:
        """Who submitted a job: a digest of the key (never the key)."""
        key = request.headers.get("authorization", "").partition(" ")[2].strip()
        return hashlib.sha256(b"posekit-owner:" + key.encode()).hexdigest()[:32]

    def headers_of(self, request: Request) -> dict[str, str]:
        return {k.lower(): v for k, v in request.headers.items()}

    async def pose_image(self, request: Request) -> Response:
        try:
            self.authorize(request)
        except ApiError as exc:
            await self.refuse(request, exc)
        busy = ApiError(-10, "too many image requests; retry later", 429, {"Retry-After": "1"})
        if self.runner.images_in_flight >= self.config.max_image_requests:
            await self.refuse(request, busy)
        path = self.runner.store.input_path(f"image-{uuid.uuid4()}")
        counted = False
        try:
            # The upload is not counted: slow uploads are cut off by the front end's body
            # deadlines, and must not keep others' images out.
            form = await read_form(
                self.headers_of(request),
                request.stream(),
                dest=path,
                max_file_bytes=self.config.max_image_bytes,
                what="the image",
            )
            url = _one_source(form, "image_url")
            if self.runner.images_in_flight >= self.config.max_image_requests:
                raise busy
            self.runner.images_in_flight += 1
            counted = True
            if url:
                await self.check_outbound(url, "image_url")
                try:
                    await asyncio.wrap_future(
                        self.runner.fetches.submit(
                            fetch_to_file,
                            url,
                            path,
                            max_bytes=self.config.max_image_bytes,
                            policy=self.runner.policy,
                        )
                    )
                except (FetchError, UnsafeURLError) as exc:
                    raise ApiError(-2, public_message(f"Failed to get image: {exc}")) from None
            assert self.runner.pool is not None
            try:
                body = await self.runner.pool.image(path)
            except EstimatorError as exc:
                if exc.kind == "bad_input":
                    raise ApiError(-2, f"invalid image: {exc}") from None
                raise ApiError(-1, "internal error") from None
            return Response(body, media_type=_JSON)
        finally:
            if counted:
                self.runner.images_in_flight -= 1
            path.unlink(missing_ok=True)

    async def pose_job(self, request: Request) -> Response:
        try:
            self.authorize(request)
        except ApiError as exc:
            await self.refuse(request, exc)
        if self.runner.waiting >= self.config.max_queue:
            await self.refuse(
                request,
                ApiError(
                    -10,
                    f"the job queue is full ({self.config.max_queue} waiting); retry later",
                    429,
                    {"Retry-After": "10"},
                ),
            )
        job_id = str(uuid.uuid4())
        path = self.runner.store.inputs / f"{job_id}.part"
        try:
            form = await read_form(
                self.headers_of(request),
                request.stream(),
                dest=path,
                max_file_bytes=self.config.max_video_bytes,
                what="the video",
            )
            url = _one_source(form, "video_url")
            smoothing = _parse_bool(form.fields.get("smoothing", "true"), "smoothing")
            # inputs/<job_id>/<the client's file name>: the estimator's description names it
            name = f"{job_id}/{safe_name(form.filename or url, 'video.mp4')}"
            params: dict = {
                "input": name,
                "smoothing": smoothing,
                "owner": self.owner_of(request),
            }
            if url:
                params["video_url"] = await self.check_outbound(url, "video_url")
            callback = form.fields.get("callback_url", "").strip()
            if callback:
                params["callback_url"] = await self.check_outbound(callback, "callback_url")
            if self.runner.waiting >= self.config.max_queue:  # filled while this body arrived
                raise ApiError(
                    -10, "the job queue is full; retry later", 429, {"Retry-After": "10"}
                )
            if form.file_path is not None:
                (self.runner.store.inputs / job_id).mkdir()
                path.rename(self.runner.store.inputs / name)
            self.runner.submit(job_id, params)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Response(msgspec.json.encode(JobSubmitted(job_id=job_id)), media_type=_JSON)

    async def pose_job_status(self, request: Request, job_id: str) -> Response:
        self.authorize(request)
        job = self.runner.store.get(job_id)
        if job is None or self.runner.expired(job):
            body = msgspec.json.encode({"job_id": job_id, "status": "not found"})
            return Response(body, media_type=_JSON)
        if job.status == "success":
            path = self.runner.store.result_path(job.id)
            if path.is_file():
                return FileResponse(path, media_type=_JSON)
            log.error("job %s: success without its result file", job.id)
            return Response(
                msgspec.json.encode({"job_id": job_id, "status": "not found"}), media_type=_JSON
            )
        return Response(self.runner.answer(job), media_type=_JSON)

    async def pose_job_cancel(self, request: Request, job_id: str) -> Response:
        """Cancel a job (a posekit extension): it ends ``failed``, "Cancelled by the client".

        Only the key that submitted the job may cancel it; a job that ended is left as is.
        """
        self.authorize(request)
        job = self.runner.store.get(job_id)
        if (
            job is None
            or self.runner.expired(job)
            or job.params.get("owner") != self.owner_of(request)
        ):
            body = msgspec.json.encode({"job_id": job_id, "status": "not found"})
            return Response(body, media_type=_JSON)
        self.runner.cancel(job_id)
        job = self.runner.store.get(job_id)
        assert job is not None
        if job.status == "success":
            return FileResponse(self.runner.store.result_path(job.id), media_type=_JSON)
        return Response(self.runner.answer(job), media_type=_JSON)
