"""Batch jobs: resumable estimation of many videos, one report page per clip with an index."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

import posekit as pk
from posekit.cli import main
from posekit.media import fetch_demo_video
from posekit.study import StudyWarning


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("videos")
    for cam in ("cam01", "cam02"):
        shutil.copy(fetch_demo_video(f"pose2sim_s01_{cam}"), d / f"s01_{cam}.mp4")
    (d / "s01_cam03.mp4").write_bytes(b"not a video")
    return d


def test_estimate_videos_is_resumable(videos, tmp_path):
    out = tmp_path / "results"
    with pytest.warns(StudyWarning, match="1 of 3"):
        first = pk.study.estimate_videos(
            str(videos / "{subject}_{camera}.mp4"), out, workers=2, max_frames=8, tiles=False
        )
    assert first.loc[("s01", "cam01"), "status"] == "done"
    assert first.loc[("s01", "cam02"), "frames"] == 8
    assert isinstance(first.loc[("s01", "cam03"), "error"], str)  # listed, not fatal
    res = pk.load(out / "s01_cam01.json")
    assert res.n_frames == 8 and res.fps == pytest.approx(60, rel=0.05)
    assert sorted(p.name for p in out.iterdir()) == ["s01_cam01.json", "s01_cam02.json"]
    # a second run skips what is done; a deleted result is made again
    (out / "s01_cam02.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StudyWarning)
        again = pk.study.estimate_videos(
            str(videos / "{subject}_{camera}.mp4"), out, workers=1, max_frames=8, tiles=False
        )
    assert again["status"].tolist()[:2] == ["skipped", "done"]
    assert pk.load(out / "s01_cam02.json").n_frames == 8


def test_cli_batch_estimate_and_report(videos, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["estimate", str(videos), "-o", str(out), "--max-frames", "30", "--no-tiles",
                 "--workers", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1  # one video failed
    assert "2 estimated, 0 already done, 1 failed" in err and "s01_cam03" in err
    assert main(["report", str(out / "{subject}_{camera}.json"), "-o", str(tmp_path / "rep"),
                 "--workers", "1"]) == 0  # fmt: skip
    index = (tmp_path / "rep" / "index.html").read_text()
    assert 'href="s01_cam01.html"' in index and 'href="s01_cam02.html"' in index
    assert "detection_rate" in index
    assert (tmp_path / "rep" / "s01_cam02.html").stat().st_size > 10_000
