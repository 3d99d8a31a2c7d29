"""posekit.media: demo videos from PyPI wheels, sha256-checked (make test fetches them first)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from posekit._registry import ChecksumError, sha256_of
from posekit.media import DEMO_VIDEOS, fetch_demo_video
from posekit.video import VideoReader


def test_demo_videos_are_the_expected_files() -> None:
    for name, video in DEMO_VIDEOS.items():
        path = fetch_demo_video(name)
        assert sha256_of(path) == video.sha256
        assert "BSD-3-Clause" in video.attribution
    with VideoReader(fetch_demo_video("sports2d_demo")) as v:
        assert (v.width, v.height, v.n_frames, v.fps) == (1768, 994, 230, 30)
    with VideoReader(fetch_demo_video("pose2sim_s01_cam02")) as v:
        assert (v.width, v.height, v.n_frames, v.fps) == (1080, 1920, 100, 60)


def test_unknown_name_and_tampered_wheel(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown demo video"):
        fetch_demo_video("nope")
    wheel = tmp_path / "sports2d-0.8.34-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(DEMO_VIDEOS["sports2d_demo"].member, b"not the video")
    with pytest.raises(ChecksumError, match="expected"):
        fetch_demo_video("sports2d_demo", cache_dir=tmp_path / "c", wheel=wheel)
    assert not (tmp_path / "c" / "sports2d_demo.mp4").exists()
    # a good wheel (rebuilt from the cached video) is extracted into the given cache folder
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(fetch_demo_video("sports2d_demo"), DEMO_VIDEOS["sports2d_demo"].member)
    got = fetch_demo_video("sports2d_demo", cache_dir=tmp_path / "c", wheel=wheel)
    assert got == tmp_path / "c" / "sports2d_demo.mp4"
    assert sha256_of(got) == DEMO_VIDEOS["sports2d_demo"].sha256


def test_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "posekit.cli", "media", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Sports2D/Demo/demo.mp4 from sports2d==0.8.34" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "posekit.cli", "media", "fetch", "bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1 and "unknown demo video" in out.stderr
