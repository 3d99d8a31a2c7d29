"""Schemathesis against the served OpenAPI document: generated requests (valid and invalid) to
every operation of a real server on loopback; no 5xx, no internal error (-1), and every answer
matches the documented status codes, content types and schemas."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# imported here, before the server's threads start: schemathesis.openapi.from_dict imports it
# lazily, and in a fresh checkout that compiles it while a server thread compiles too, which
# CPython 3.11 can fail ("AST constructor recursion depth mismatch")
from schemathesis.specs.openapi.schemas import OpenApiSchema  # noqa: F401

from posekit.server import BackgroundServer, ServerConfig
from tests._server import AUTH, FAST, KEY

pytestmark = pytest.mark.timeout(300)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [("/pose", "POST"), ("/pose/job", "POST"), ("/pose/job/{job_id}", "GET")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> BackgroundServer:
    cfg = ServerConfig(
        keys=(KEY,),
        data_dir=tmp_path_factory.mktemp("schema"),
        estimator=FAST,
        worker_kind="thread",
        max_image_bytes=64 * 1024,
        max_video_bytes=256 * 1024,
    )  # default URL policy: generated URLs never leave the machine (only 80/443, public hosts)
    with BackgroundServer(cfg) as srv:
        yield srv


@pytest.fixture(scope="module")
def schema(server: BackgroundServer):
    doc = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(doc)


def no_internal_error(ctx, response, case) -> None:
    if response.status_code == 400 and response.json().get("code") == -1:
        raise AssertionError(f"internal error for {case.method} {case.path}: {response.text}")


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
@pytest.mark.parametrize(
    ("auth", "mode"),
    [("valid", GenerationMode.POSITIVE), ("valid", GenerationMode.NEGATIVE),
     ("missing", GenerationMode.POSITIVE)],
)  # fmt: skip
def test_generated_requests_match_the_schema(
    server, schema, path, method, auth, mode, monkeypatch
) -> None:
    op = schema[path][method]
    headers = AUTH if auth == "valid" else {}
    # generated URLs must not resolve to anything: no DNS query leaves the machine
    import socket

    def no_dns(host, *args, **kwargs):
        if host in ("127.0.0.1", "localhost"):
            return real(host, *args, **kwargs)
        raise socket.gaierror(f"DNS disabled in this test ({host!r})")

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data())
    def run(data) -> None:
        case = data.draw(op.as_strategy(generation_mode=mode))
        seen.append(case)
        resp = case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)
        no_internal_error(None, resp, case)
        statuses.append(resp.status_code)
        if auth == "missing":
            assert resp.status_code == 401 and resp.json()["code"] == -401

    seen: list = []
    statuses: list[int] = []
    run()
    assert len(seen) >= 10  # the examples did run
