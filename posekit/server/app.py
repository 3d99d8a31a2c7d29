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

    # -- errors ----------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.code, exc.msg, exc.status, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(-2, str(exc.detail), exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _error(-2, "invalid parameter", 400)

    @app.exception_handler(SlowClientError)
    async def _slow(request: Request, exc: SlowClientError) -> Response:
        return _error(-2, str(exc), 408, {"Connection": "close"})

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        log.info("client went away during %s %r", request.method, request.url.path)
        return _error(-2, "the request body was cut off", 400)

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %r", request.method, request.url.path, exc_info=exc)
        return _error(-1, "internal error", 400)  # Kakao answers -1 with HTTP 400

    # -- helpers ---------------------------------------------------------------------------
    def authorize(request: Request) -> None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        digest = hashlib.sha256(key.strip().encode()).digest()
        ok = False
        for known in key_digests:  # look at every key: the time taken says nothing
            ok |= hmac.compare_digest(digest, known)
        if not (ok and scheme.lower() == "kakaoak"):
            raise ApiError(-401, AUTH_MSG, status=401)

    async def refuse(request: Request, error: ApiError) -> None:
        """Read what the client sends (up to a bound) before answering, then raise ``error``."""
        with contextlib.suppress(Exception):
            n = 0
            async for chunk in request.stream():
                n += len(chunk)
                if n > config.max_video_bytes * 2:
                    break
        raise error

    async def check_outbound(url: str, name: str) -> str:
        # On the URL checks' own pool (name resolution can be slow), within a deadline.
        limit = config.connect_timeout_s * 2
        try:
            await asyncio.wait_for(
                asyncio.wrap_future(runner.checks.submit(check_url, url, policy=runner.policy)),
                limit,
            )
        except UnsafeURLError as exc:
            raise ApiError(-2, f"{name}: {exc}") from None
        except asyncio.TimeoutError:
            raise ApiError(
                -2, f"{name}: its host name was not resolved within {limit:g} s"
            ) from None
        return url

    def owner_of(request: Request) -> str:
        """Who submitted a job: a digest of the key (never the key)."""
        key = request.headers.get("authorization", "").partition(" ")[2].strip()
        return hashlib.sha256(b"posekit-owner:" + key.encode()).hexdigest()[:32]

    def headers_of(request: Request) -> dict[str, str]:
        return {k.lower(): v for k, v in request.headers.items()}

    # -- endpoints -------------------------------------------------------------------------
    @app.post("/pose", include_in_schema=False)
    async def pose_image(request: Request) -> Response:
        try:
            authorize(request)
        except ApiError as exc:
            await refuse(request, exc)
        busy = ApiError(-10, "too many image requests; retry later", 429, {"Retry-After": "1"})
        if runner.images_in_flight >= config.max_image_requests:
            await refuse(request, busy)
        path = runner.store.input_path(f"image-{uuid.uuid4()}")
        counted = False
        try:
            # The upload is not counted: slow uploads are cut off by the front end's body
            # deadlines, and must not keep others' images out.
            form = await read_form(
                headers_of(request),
                request.stream(),
                dest=path,
                max_file_bytes=config.max_image_bytes,
                what="the image",
            )
            url = _one_source(form, "image_url")
            if runner.images_in_flight >= config.max_image_requests:
                raise busy
            runner.images_in_flight += 1
            counted = True
            if url:
                await check_outbound(url, "image_url")
                try:
                    await asyncio.wrap_future(
                        runner.fetches.submit(
                            fetch_to_file,
                            url,
                            path,
                            max_bytes=config.max_image_bytes,
                            policy=runner.policy,
                        )
                    )
                except (FetchError, UnsafeURLError) as exc:
                    raise ApiError(-2, public_message(f"Failed to get image: {exc}")) from None
            assert runner.pool is not None
            try:
                body = await runner.pool.image(path)
            except EstimatorError as exc:
                if exc.kind == "bad_input":
                    raise ApiError(-2, f"invalid image: {exc}") from None
                raise ApiError(-1, "internal error") from None
            return Response(body, media_type=_JSON)
        finally:
            if counted:
                runner.images_in_flight -= 1
            path.unlink(missing_ok=True)

    @app.post("/pose/job", include_in_schema=False)
    async def pose_job(request: Request) -> Response:
        try:
            authorize(request)
        except ApiError as exc:
            await refuse(request, exc)
        if runner.waiting >= config.max_queue:
            await refuse(
                request,
                ApiError(
                    -10,
                    f"the job queue is full ({config.max_queue} waiting); retry later",
                    429,
                    {"Retry-After": "10"},
                ),
            )
        job_id = str(uuid.uuid4())
        path = runner.store.inputs / f"{job_id}.part"
        try:
            form = await read_form(
                headers_of(request),
                request.stream(),
                dest=path,
                max_file_bytes=config.max_video_bytes,
                what="the video",
            )
            url = _one_source(form, "video_url")
            smoothing = _parse_bool(form.fields.get("smoothing", "true"), "smoothing")
            # inputs/<job_id>/<the client's file name>: the estimator's description names it
            name = f"{job_id}/{safe_name(form.filename or url, 'video.mp4')}"
            params: dict = {"input": name, "smoothing": smoothing, "owner": owner_of(request)}
            if url:
                params["video_url"] = await check_outbound(url, "video_url")
            callback = form.fields.get("callback_url", "").strip()
            if callback:
                params["callback_url"] = await check_outbound(callback, "callback_url")
            if runner.waiting >= config.max_queue:  # filled while this body arrived
                raise ApiError(
                    -10, "the job queue is full; retry later", 429, {"Retry-After": "10"}
                )
            if form.file_path is not None:
                (runner.store.inputs / job_id).mkdir()
                path.rename(runner.store.inputs / name)
            runner.submit(job_id, params)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Response(msgspec.json.encode(JobSubmitted(job_id=job_id)), media_type=_JSON)

    @app.get("/pose/job/{job_id}", include_in_schema=False)
    async def pose_job_status(request: Request, job_id: str) -> Response:
        authorize(request)
        job = runner.store.get(job_id)
        if job is None or runner.expired(job):
            body = msgspec.json.encode({"job_id": job_id, "status": "not found"})
            return Response(body, media_type=_JSON)
        if job.status == "success":
            path = runner.store.result_path(job.id)
            if path.is_file():
                return FileResponse(path, media_type=_JSON)
            log.error("job %s: success without its result file", job.id)
            return Response(
                msgspec.json.encode({"job_id": job_id, "status": "not found"}), media_type=_JSON
            )
        return Response(runner.answer(job), media_type=_JSON)

    @app.delete("/pose/job/{job_id}", include_in_schema=False)
    async def pose_job_cancel(request: Request, job_id: str) -> Response:
        """Cancel a job (a posekit extension): it ends ``failed``, "Cancelled by the client".

        Only the key that submitted the job may cancel it; a job that ended is left as is.
        """
        authorize(request)
        job = runner.store.get(job_id)
        if job is None or runner.expired(job) or job.params.get("owner") != owner_of(request):
            body = msgspec.json.encode({"job_id": job_id, "status": "not found"})
            return Response(body, media_type=_JSON)
        runner.cancel(job_id)
        job = runner.store.get(job_id)
        assert job is not None
        if job.status == "success":
            return FileResponse(runner.store.result_path(job.id), media_type=_JSON)
        return Response(runner.answer(job), media_type=_JSON)

    return app
