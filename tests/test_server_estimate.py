"""End to end with the real offline estimator (posekit.estimate, the server's default) on a
real video: the server's answer equals calling posekit.estimate directly."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import requests

import posekit as pk
from posekit.server import BackgroundServer, ServerConfig
from tests._server import AUTH, KEY, wait_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def real_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 frames of the Pose2Sim demo (one person, 60 fps), re-encoded."""
    from posekit.media import fetch_demo_video

    src = fetch_demo_video("pose2sim_s01_cam01")
    dest = tmp_path_factory.mktemp("real") / "s01_cam01_12.mp4"
    with av.open(str(src)) as inp, av.open(str(dest), "w") as out:
        vin = inp.streams.video[0]
        stream = out.add_stream("mpeg4", rate=60)
        stream.width, stream.height, stream.pix_fmt = vin.width // 2, vin.height // 2, "yuv420p"
        stream.bit_rate = 4_000_000
        for i, frame in enumerate(inp.decode(vin)):
            if i == 12:
                break
            small = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            for packet in stream.encode(small):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dest


def test_real_estimator_through_the_server_equals_the_direct_call(
    tmp_path: Path, real_clip: Path
) -> None:
    from posekit.estimate import estimate_image, estimate_video

    direct = estimate_video(real_clip, smoothing=True, progress=False)
    assert direct.n_frames == 12
    n_people = [len(a.objects) for a in direct.annotations()]
    assert sum(n_people) >= 10  # the participant is found in (nearly) every frame

    jpeg = tmp_path / "frame0.jpg"
    with av.open(str(real_clip)) as c:
        next(c.decode(video=0)).to_image().save(jpeg, quality=90)
    direct_image = estimate_image(jpeg)

    cfg = ServerConfig(keys=(KEY,), data_dir=tmp_path / "data", workers=1)  # all defaults
    assert cfg.estimator == "posekit.estimate" and cfg.worker_kind == "process"
    with BackgroundServer(cfg) as srv:
        r = requests.post(
            f"{srv.url}/pose/job",
            headers=AUTH,
            files={"file": (real_clip.name, real_clip.read_bytes())},
        )
        assert r.status_code == 200, r.text
        body = wait_job(srv.url, r.json()["job_id"], timeout_s=240, every_s=0.1)
        r_img = requests.post(f"{srv.url}/pose", headers=AUTH, files={"file": jpeg.read_bytes()})
    assert body["status"] == "success", body
    served = pk.load(body)
    assert served.fps == pytest.approx(60.0) and (served.width, served.height) == (540, 960)
    a = served.keypoints().to_numpy()
    b = direct.keypoints().to_numpy()
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert body["info"]["description"] == direct.job.info.description

    assert r_img.status_code == 200, r_img.text
    got = pk.load(r_img.json()).keypoints().to_numpy()
    np.testing.assert_allclose(got, direct_image.keypoints().to_numpy(), rtol=0, atol=1e-6)
    assert len(r_img.json()) >= 1
