"""posekit report: the quickstart analysis as one HTML page (what `make demo` shows)."""

from __future__ import annotations

import base64
import re
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from _tables import table
from _videos import make_video
from PIL import Image

from posekit.cli import main
from posekit.report import make_report
from posekit.tidy import to_result

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def images(html: str) -> list[np.ndarray]:
    return [
        np.asarray(Image.open(BytesIO(base64.b64decode(m))))
        for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    ]


def test_report_on_the_squat_sample(tmp_path, capsys):
    out = tmp_path / "out" / "report.html"
    assert main(["report", str(SAMPLES / "synth_squat.json"), "-o", str(out)]) == 0
    assert str(out.resolve()) in capsys.readouterr().out
    html = out.read_text()
    assert "could not compute" not in html
    for title in (
        "Overview",
        "Skeletons",
        "Smoothing",
        "Joint angles",
        "Trajectories",
        "Repetitions",
    ):
        assert f"<h2>{title}" in html
    figs = images(html)
    assert len(figs) == 5 and all(f.shape[0] > 200 and f.shape[1] > 500 for f in figs)
    # the sample has 3 squats: the repetitions table has 3 rows (peak times 1.75/4.25/6.75 s)
    reps = html[html.index("<h2>Repetitions") :]
    assert reps.count("<tr>") - 1 == 3
    assert "butterworth(" in html  # the history of what was applied


def test_report_does_not_count_walking_as_repetitions(tmp_path):
    out = tmp_path / "walk.html"
    assert main(["report", str(SAMPLES / "synth_walk.json"), "-o", str(out)]) == 0
    html = out.read_text()
    reps = html[html.index("<h2>Repetitions") :]
    assert "Not counted: object_id 0 is walking" in reps and "<tr>" not in reps.split("<h2>")[1]
    # the Sports2D demo's main person jumps off a box and back-flips: irregular "steps", not
    # walking; his knee bends are counted, with a note on how unequal they are
    out = tmp_path / "s2d.html"
    assert main(["report", str(SAMPLES / "sports2d_demo_raw.json"), "-o", str(out)]) == 0
    reps = out.read_text().split("<h2>Repetitions")[1].split("<h2>")[0]
    assert "is walking" not in reps


def test_report_over_video_and_failures_shown(tmp_path):
    clip = make_video(tmp_path / "v.mp4", 20, 320, 240, 10, "mpeg4")
    res = to_result(table(20, 2, fps=10.0, width=320, height=240))
    out = make_report(res, tmp_path / "r.html", video=clip)
    html = out.read_text()
    assert len(images(html)) >= 4
    assert "could not compute" not in html
    # a person standing still has no repetitions: the section says so
    assert "No repetition found." in html[html.index("<h2>Repetitions") :]
    # the skeleton figure is drawn over the video's middle frame (its binary-code blocks show)
    assert (images(html)[0][..., :3] > 250).all(axis=2).sum() > 500


def test_report_on_a_single_image_shows_an_angle_table(tmp_path):
    import posekit as pk

    res = pk.load(SAMPLES / "kakao_image.json")
    out = make_report(res, tmp_path / "img.html")
    html = out.read_text()
    assert "could not compute" not in html
    section = html[html.index("<h2>Joint angles") :]
    section = section[: section.index("<h2>", 4)]
    assert "<img" not in section  # no empty axes
    assert "left_knee (°)" in section and "<th>id 0</th>" in section
    assert "<h2>Trajectories" not in html
    # the table's numbers are the angles of the picture
    ang = pk.angles.joint_angles(res.keypoints(min_score=0.2))
    knee = ang["left_knee"].dropna()
    if len(knee):
        assert f"{knee.iloc[0]:.1f}"[:3] in section


def test_report_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["report", str(bad), "-o", str(tmp_path / "x.html")]) == 1
    assert "posekit report: error" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


@pytest.mark.slow
def test_demo_writes_and_names_its_files(tmp_path, capsys):
    """`make demo`: synthetic reports + video, and the real Sports2D sample over its video."""
    assert main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = [
        "squat_report.html", "walk_report.html", "squat_skeleton.mp4",
        "sports2d_report.html", "sports2d_overlay.mp4",
    ]  # fmt: skip
    for name in names:
        f = tmp_path / name
        assert f.is_file() and f.stat().st_size > 10_000, name
        assert str(f.resolve()) in out
    for name in ("squat_report.html", "walk_report.html", "sports2d_report.html"):
        assert "could not compute" not in (tmp_path / name).read_text()
    from posekit._frames import FrameSource

    with FrameSource(tmp_path / "squat_skeleton.mp4") as fs:
        assert (fs.n_frames, fs.width, fs.height, fs.fps) == (300, 640, 360, 30.0)
    with FrameSource(tmp_path / "sports2d_overlay.mp4") as fs:
        assert (fs.n_frames, fs.width, fs.height, fs.fps) == (230, 960, 540, 30.0)
