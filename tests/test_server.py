"""The Kakao-compatible server over real HTTP (uvicorn on a loopback port, ``requests``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import msgspec
import pytest
import requests

import posekit as pk
from posekit.schema import JOINTS, JobResult, Person
from posekit.server import BackgroundServer, ServerConfig
from tests._server import AUTH, FAST, KEY, LoopbackWeb, make_clip, make_png, wait_job

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    return {
        "clip": make_clip(d / "clip.mp4", n_frames=12, seed=1),
        "clip2": make_clip(d / "clip2.mp4", n_frames=7, width=64, height=48, fps=5, seed=2),
        "png": make_png(d / "person.png", 400, 320),
        "text": _write(d / "notes.txt", b"not a video, not an image\n" * 10),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def web() -> LoopbackWeb:
    with LoopbackWeb() as w:
        yield w


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> BackgroundServer:
    cfg = ServerConfig(
        keys=(KEY, "second-key"),
        data_dir=tmp_path_factory.mktemp("srv"),
        estimator=FAST,
        worker_kind="thread",
        workers=2,
        allow_private_urls=True,  # the tests' URLs are all on 127.0.0.1
        url_ports=None,
        max_image_bytes=1_000_000,
        max_video_bytes=2_000_000,
    )
    with BackgroundServer(cfg) as s:
        yield s


@pytest.fixture(scope="module")
def strict_srv(tmp_path_factory: pytest.TempPathFactory) -> BackgroundServer:
    """Default URL policy: loopback refused, ports 80/443 only."""
    cfg = ServerConfig(
        keys=(KEY,),
        data_dir=tmp_path_factory.mktemp("strict"),
        estimator=FAST,
        worker_kind="thread",
    )
    with BackgroundServer(cfg) as s:
        yield s


def submit(base: str, **kw) -> requests.Response:
    return requests.post(f"{base}/pose/job", headers=AUTH, timeout=30, **kw)


def check_error(r: requests.Response, status: int, code: int, match: str = "") -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"code", "msg"} and body["code"] == code, body
    assert match.lower() in body["msg"].lower(), body


# -- auth ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "KakaoAK wrong"}, {"Authorization": f"Bearer {KEY}"},
     {"Authorization": "KakaoAK"}, {"Authorization": f"KakaoAK {KEY}x"}, {"Authorization": KEY}],
)  # fmt: skip
def test_missing_or_wrong_key_is_401(srv: BackgroundServer, headers: dict, media) -> None:
    for r in (
        requests.get(f"{srv.url}/pose/job/abc", headers=headers),
        requests.post(
            f"{srv.url}/pose/job", headers=headers, files={"file": media["clip"].read_bytes()}
        ),
        requests.post(f"{srv.url}/pose", headers=headers, data={"image_url": "http://x/y.png"}),
    ):
        assert r.status_code == 401
        assert r.json() == {"code": -401, "msg": "Not authorized with provided app key"}


def test_every_configured_key_works(srv: BackgroundServer) -> None:
    for key in (KEY, "second-key"):
        r = requests.get(f"{srv.url}/pose/job/abc", headers={"Authorization": f"KakaoAK {key}"})
        assert r.status_code == 200


# -- POST /pose/job and GET /pose/job/{id} ----------------------------------------------------------
def test_video_job_by_upload_gives_a_valid_kakao_result(srv: BackgroundServer, media) -> None:
    r = submit(srv.url, files={"file": ("clip.mp4", media["clip"].read_bytes(), "video/mp4")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["job_id"]
    done = wait_job(srv.url, body["job_id"])
    assert done["status"] == "success", done
    assert done["job_id"] == body["job_id"]
    job = msgspec.convert(done, JobResult)  # exact field types
    assert job.video.frames == 12 and job.video.width == 96 and job.video.height == 64
    assert job.video.fps == pytest.approx(10.0)
    assert [a.frame_num for a in job.annotations] == list(range(12))
    assert job.categories[0].keypoints == list(JOINTS)
    assert {"contributor", "date_created", "description", "url", "version", "year"} <= set(
        done["info"]
    )
    for ann in job.annotations:
        for p in ann.objects:
            assert len(p.keypoints) == 51 and len(p.bbox) == 4 and p.category_id == 1
            assert p.object_id is not msgspec.UNSET
    res = pk.load(done)
    assert res.n_frames == 12 and res.job_id == body["job_id"]


def test_same_video_same_result_and_smoothing_is_passed(srv: BackgroundServer, media) -> None:
    data = media["clip"].read_bytes()
    ids = [submit(srv.url, files={"file": data}, data={"smoothing": s}).json()["job_id"]
           for s in ("true", "TRUE", "false")]  # fmt: skip
    a, b, c = (wait_job(srv.url, i) for i in ids)
    assert a["annotations"] == b["annotations"]  # same input, same smoothing: same numbers
    assert a["annotations"] != c["annotations"]  # the fake estimator adds noise without smoothing


def test_video_job_by_url_from_loopback(srv: BackgroundServer, web: LoopbackWeb, media) -> None:
    url = web.serve("/videos/clip2.mp4", media["clip2"].read_bytes())
    r = requests.post(f"{srv.url}/pose/job", headers=AUTH, data={"video_url": url})  # urlencoded
    assert r.status_code == 200, r.text
    done = wait_job(srv.url, r.json()["job_id"])
    assert done["status"] == "success", done
    assert done["video"] == {"fps": 5.0, "frames": 7, "width": 64, "height": 48}


def test_video_url_failures_fail_the_job_with_a_description(
    srv: BackgroundServer, web: LoopbackWeb
) -> None:
    cases = {
        web.url + "/missing.mp4": "HTTP 404",
        web.serve(
            "/redirect.mp4", b"", 302, {"Location": web.url + "/videos/clip2.mp4"}
        ): "redirect",
        web.serve("/huge.mp4", b"x" * 2_100_000): "2000000",
        web.serve("/text.mp4", b"hello"): "Failed to process video",
    }
    for url, match in cases.items():
        r = requests.post(f"{srv.url}/pose/job", headers=AUTH, data={"video_url": url})
        assert r.status_code == 200, r.text
        done = wait_job(srv.url, r.json()["job_id"])
        assert done["status"] == "failed", (url, done)
        assert set(done) == {"job_id", "status", "description"}
        assert match in done["description"], (url, done)
        if "process" not in match:
            assert done["description"].startswith("Failed to get video")


def test_uploaded_non_video_fails_the_job(srv: BackgroundServer, media) -> None:
    r = submit(srv.url, files={"file": ("notes.mp4", media["text"].read_bytes())})
    done = wait_job(srv.url, r.json()["job_id"])
    assert done["status"] == "failed" and done["description"].startswith("Failed to process video")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({}, "file or video_url is required"),
        ({"data": {"smoothing": "true"}}, "file or video_url is required"),
        ({"data": {"video_url": ""}}, "required"),
        ({"files": {"file": b"1234"}, "data": {"video_url": "http://127.0.0.1/x.mp4"}}, "not both"),
        (
            {"files": {"file": b"1234"}, "data": {"smoothing": "maybe"}},
            "smoothing must be true or false",
        ),
        ({"files": {"file": b""}}, "empty"),
        ({"data": {"video_url": "ftp://127.0.0.1/x.mp4"}}, "only http and https"),
        ({"data": {"video_url": "not a url"}}, "video_url"),
        (
            {"files": {"file": b"1234"}, "data": {"callback_url": "gopher://127.0.0.1/"}},
            "callback_url",
        ),
        ({"files": {"other": ("a.mp4", b"1234")}}, "unexpected file field"),
        (
            {"data": b"just text", "headers": {**AUTH, "Content-Type": "text/plain"}},
            "multipart/form-data",
        ),
        (
            {
                "data": b"--x\r\nbroken",
                "headers": {**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
            },
            "",
        ),
    ],
)
def test_bad_job_parameters_are_400_code_minus_2(
    srv: BackgroundServer, kw: dict, match: str
) -> None:
    headers = kw.pop("headers", AUTH)
    r = requests.post(f"{srv.url}/pose/job", headers=headers, **kw)
    check_error(r, 400, -2, match)


def test_unknown_job_is_not_found(srv: BackgroundServer) -> None:
    for job_id in ("00000000-0000-0000-0000-000000000000", "nope", "x" * 300, "%E2%9C%93"):
        r = requests.get(f"{srv.url}/pose/job/{job_id}", headers=AUTH)
        assert r.status_code == 200
        assert r.json()["status"] == "not found"
        with pytest.raises(pk.JobNotFoundError):
            pk.load(r.content)


def test_callback_gets_the_result_once(srv: BackgroundServer, web: LoopbackWeb, media) -> None:
    web.posts.clear()
    web.got_post.clear()
    r = submit(srv.url, files={"file": media["clip2"].read_bytes()},
               data={"callback_url": web.url + "/hook?token=abc"})  # fmt: skip
    job_id = r.json()["job_id"]
    done = wait_job(srv.url, job_id)
    assert web.got_post.wait(10)
    time.sleep(0.3)  # a second call would have arrived by now
    assert len(web.posts) == 1
    path, headers, body = web.posts[0]
    assert path == "/hook?token=abc"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == done


def test_callback_of_failed_job_carries_the_description(
    srv: BackgroundServer, web: LoopbackWeb, media
) -> None:
    web.posts.clear()
    web.got_post.clear()
    r = submit(
        srv.url,
        files={"file": media["text"].read_bytes()},
        data={"callback_url": web.url + "/hook2"},
    )
    done = wait_job(srv.url, r.json()["job_id"])
    assert web.got_post.wait(10)
    assert json.loads(web.posts[0][2]) == done and done["status"] == "failed"


# -- POST /pose --------------------------------------------------------------------------------------
def test_image_by_upload(srv: BackgroundServer, media) -> None:
    r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": media["png"].read_bytes()})
    assert r.status_code == 200, r.text
    people = msgspec.json.decode(r.content, type=list[Person])
    assert len(people) == 1
    assert all(p.object_id is msgspec.UNSET for p in people)  # image answers carry no object_id
    assert "object_id" not in r.json()[0]
    xs = people[0].keypoints[0::3]
    assert 0 <= min(xs) and max(xs) <= 400  # inside the 400 x 320 image
    assert pk.load(r.json()).kind == "image"


def test_image_by_url_and_its_failures(srv: BackgroundServer, web: LoopbackWeb, media) -> None:
    url = web.serve("/img/person.png", media["png"].read_bytes())
    r = requests.post(f"{srv.url}/pose", headers=AUTH, data={"image_url": url})
    assert r.status_code == 200 and len(r.json()) == 1
    redirect = web.serve("/img/redirect.png", b"", 301, {"Location": url})
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH, data={"image_url": redirect}),
        400,
        -2,
        "redirect",
    )
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH, data={"image_url": web.url + "/no.png"}),
        400,
        -2,
        "404",
    )
    big = web.serve("/img/big.png", b"\x89PNG" + b"0" * 1_100_000)
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH, data={"image_url": big}), 400, -2, "1000000"
    )


def test_bad_images_are_400(srv: BackgroundServer, media) -> None:
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": media["text"].read_bytes()}),
        400,
        -2,
        "invalid image",
    )
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": media["clip"].read_bytes()}),
        400,
        -2,
        "invalid image",
    )
    check_error(
        requests.post(f"{srv.url}/pose", headers=AUTH), 400, -2, "file or image_url is required"
    )
    both = {
        "files": {"file": media["png"].read_bytes()},
        "data": {"image_url": "http://127.0.0.1/a.png"},
    }
    check_error(requests.post(f"{srv.url}/pose", headers=AUTH, **both), 400, -2, "not both")


# -- limits ----------------------------------------------------------------------------------------------
def test_oversized_uploads_are_413_and_leave_nothing_behind(srv: BackgroundServer) -> None:
    inputs = Path(srv.config.data_dir) / "inputs"
    before = set(os.listdir(inputs))
    r = requests.post(f"{srv.url}/pose/job", headers=AUTH, files={"file": os.urandom(2_000_001)})
    check_error(r, 413, -2, "larger than the limit of 2000000 bytes")
    r = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": os.urandom(1_000_001)})
    check_error(r, 413, -2, "larger than the limit of 1000000 bytes")

    def chunks():  # no Content-Length: counted while streaming
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
        for _ in range(40):
            yield os.urandom(64 * 1024)

    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=B"}
    r = requests.post(f"{srv.url}/pose/job", headers=headers, data=chunks())
    check_error(r, 413, -2, "larger than the limit")
    assert set(os.listdir(inputs)) == before  # partial uploads removed


def test_just_under_the_limit_is_accepted(srv: BackgroundServer) -> None:
    r = requests.post(f"{srv.url}/pose/job", headers=AUTH, files={"file": b"\0" * 2_000_000})
    assert r.status_code == 200  # accepted; it is not a video, so the job fails
    assert wait_job(srv.url, r.json()["job_id"])["status"] == "failed"


# -- the URL policy end to end (loopback only) ---------------------------------------------------
def test_loopback_urls_refused_by_default(
    strict_srv: BackgroundServer, web: LoopbackWeb, media
) -> None:
    url = web.serve("/v/strict.mp4", media["clip2"].read_bytes())
    for data in ({"video_url": url}, {"video_url": "http://localhost/x.mp4"},
                 {"video_url": "http://127.0.0.1/x.mp4"}, {"video_url": "http://[::1]/x.mp4"}):  # fmt: skip
        check_error(
            requests.post(f"{strict_srv.url}/pose/job", headers=AUTH, data=data),
            400,
            -2,
            "video_url",
        )
    r = requests.post(
        f"{strict_srv.url}/pose/job", headers=AUTH, data={"video_url": "http://127.0.0.1/x.mp4"}
    )
    assert "loopback" in r.json()["msg"]
    r = requests.post(f"{strict_srv.url}/pose/job", headers=AUTH, data={"video_url": url})
    assert "port" in r.json()["msg"]  # an ephemeral port is refused before the address
    r = requests.post(
        f"{strict_srv.url}/pose", headers=AUTH, data={"image_url": "http://127.0.0.1/a.png"}
    )
    check_error(r, 400, -2, "loopback")
    r = submit(strict_srv.url, files={"file": media["clip2"].read_bytes()},
               data={"callback_url": "http://localhost/hook"})  # fmt: skip
    check_error(r, 400, -2, "callback_url")
    assert not web.posts or all("strict" not in p[0] for p in web.posts)


# -- OpenAPI ---------------------------------------------------------------------------------------------
def test_openapi_document_is_served(srv: BackgroundServer) -> None:
    doc = requests.get(f"{srv.url}/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/pose", "/pose/job", "/pose/job/{job_id}"}
    job_body = doc["paths"]["/pose/job"]["post"]["requestBody"]["content"]
    assert set(job_body["multipart/form-data"]["schema"]["properties"]) == {
        "file",
        "smoothing",
        "callback_url",
    }
    assert set(job_body["application/x-www-form-urlencoded"]["schema"]["properties"]) == {
        "video_url", "smoothing", "callback_url"}  # fmt: skip
    assert doc["components"]["schemas"]["JobResult"]["properties"]["status"]["enum"] == [
        "waiting", "processing", "success", "failed", "not found"]  # fmt: skip
    assert requests.get(f"{srv.url}/docs").status_code == 200


def test_unknown_paths_and_methods_answer_in_kakao_shape(srv: BackgroundServer) -> None:
    r = requests.get(f"{srv.url}/nothing", headers=AUTH)
    assert r.status_code == 404 and set(r.json()) == {"code", "msg"}
    r = requests.put(f"{srv.url}/pose/job/abc", headers=AUTH)
    assert r.status_code == 405 and set(r.json()) == {"code", "msg"}


def test_default_data_dir_is_a_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("POSEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert ServerConfig().data_dir == tmp_path / "xdg" / "posekit" / "server"
    monkeypatch.setenv("POSEKIT_DATA", str(tmp_path / "pk"))
    assert ServerConfig().data_dir == tmp_path / "pk" / "server"
    assert not ServerConfig().data_dir.is_relative_to(Path.cwd())
