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
    for title in ("Overview", "Skeletons", "Person object_id 0"):
        assert f"<h2>{title}" in html or f'<h2 id="person-0">{title}' in html
    for title in (
        "Keypoint confidence",
        "Smoothing",
        "Joint angles",
        "Trajectories",
        "Repetitions",
    ):
        assert f"<h3>{title}" in html
    assert "One section per person: object_id 0." in html
    figs = images(html)
    assert len(figs) == 6 and all(f.shape[0] > 200 and f.shape[1] > 500 for f in figs)
    # the sample has 3 squats: the repetitions table has 3 rows (peak times 1.75/4.25/6.75 s)
    reps = html[html.index("<h3>Repetitions") :]
    assert reps.count("<tr>") - 1 == 3
    assert "butterworth(" in html  # the history of what was applied


def test_report_does_not_count_walking_as_repetitions(tmp_path):
    out = tmp_path / "walk.html"
    assert main(["report", str(SAMPLES / "synth_walk.json"), "-o", str(out)]) == 0
    html = out.read_text()
    reps = html[html.index("<h3>Repetitions") :]
    reps = reps[: reps.index("<h2>")]
    assert "Not counted: object_id 0 is walking" in reps and "<tr>" not in reps
    # the Sports2D demo's main person jumps off a box and back-flips: irregular "steps", not
    # walking; his knee bends are counted, with a note on how unequal they are
    out = tmp_path / "s2d.html"
    assert main(["report", str(SAMPLES / "sports2d_demo_raw.json"), "-o", str(out)]) == 0
    html = out.read_text()
    reps = html[html.index('<h2 id="person-0">') :].split("<h3>Repetitions")[1].split("<h2")[0]
    assert "is walking" not in reps


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
    assert "Trajectories" not in html and 'id="person-' not in html  # no time, no paths
    # the table's numbers are the angles of the picture
    ang = pk.angles.joint_angles(res.keypoints(min_score=0.2))
    knee = ang["left_knee"].dropna()
    if len(knee):
        assert f"{knee.iloc[0]:.1f}"[:3] in section


def test_report_over_video_and_failures_shown(tmp_path):
    clip = make_video(tmp_path / "v.mp4", 20, 320, 240, 10, "mpeg4")
    res = to_result(table(20, 2, fps=10.0, width=320, height=240))
    out = make_report(res, tmp_path / "r.html", video=clip)
    html = out.read_text()
    assert len(images(html)) >= 4
    assert "could not compute" not in html
    # a person standing still has no repetitions: the section says so
    assert "No repetition found." in html[html.index("<h3>Repetitions") :]
    # the skeleton figure is drawn over the video's middle frame (its binary-code blocks show)
    assert (images(html)[0][..., :3] > 250).all(axis=2).sum() > 500


def sections(html: str, oid: int) -> str:
    start = html.index(f'<h2 id="person-{oid}">')
    end = html.find("<h2", start + 1)
    return html[start:end]


def test_report_on_two_frames_says_why_instead_of_failing(tmp_path, capsys):
    """issue 12: `posekit report` on the bundled kakao_video_first2.json failed outright."""
    out = tmp_path / "r.html"
    assert main(["report", str(SAMPLES / "kakao_video_first2.json"), "-o", str(out)]) == 0
    html = out.read_text()
    assert "could not compute" not in html
    person = sections(html, 0)
    notes = re.findall(r'<p class="note">not computed: ([^<]*)</p>', person)
    assert notes == [
        "this person is in 2 frames; smoothing needs at least 10",
        "no joint angle is known in any frame: each needs its three joints scored at least 0.2",
        "the right wrist and left ankle are known (score at least 0.2) in fewer than 2 frames",
        "the left knee angle is known in 0 frames (hip, knee and ankle scored at least 0.2)",
    ]
    assert len(images(html)) == 2  # the skeletons and the confidence heatmap


def test_report_has_one_section_per_person(tmp_path, samples_dir):
    import posekit as pk

    res = pk.load(samples_dir / "synth_two_people.json")
    html = make_report(res, tmp_path / "r.html").read_text()
    assert "One section per person: object_id 0, 1." in html
    for oid in (0, 1):
        part = sections(html, oid)
        assert "keypoint confidence · id" not in part  # figures are PNGs, titles in them
        assert part.count("<h3>") == 5 and "could not compute" not in part
        # both people walk: four figures, and the repetitions section says why it counts none
        assert len(images(part)) == 4 and f"Not counted: object_id {oid} is walking" in part
    # at most max_people sections; the page names who is left out and why
    html = make_report(res, tmp_path / "r1.html", max_people=1).read_text()
    assert 'id="person-1"' not in html and 'id="person-0"' in html
    assert "Not analysed (fewer frames; at most 1 people" in html and "object_id 1.</p>" in html


def test_report_on_an_openpose_folder_without_fps_and_on_no_detections(tmp_path, openpose_dir):
    from posekit.io import load_openpose

    res = load_openpose(openpose_dir / "cam01")
    html = make_report(res, tmp_path / "r.html").read_text()
    assert "could not compute" not in html
    assert "The result has no frame rate" in html
    # untracked: people followed with assign_tracks (the 1-frame fragment dropped) first
    assert "The input is untracked" in html and html.count('id="person-') == 2
    assert html.count("not computed: the result has no frame rate") == 2 * 2
    assert "clean.assign_tracks(" in html  # in what was applied
    empty = to_result(table(3, 1).iloc[:0].copy(), kind="image")
    html = make_report(empty, tmp_path / "e.html").read_text()
    assert "The result holds no detections" in html and "could not compute" not in html


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


def test_a_failing_section_is_shown_and_the_rest_still_computed(tmp_path):
    res = to_result(table(20, 1, fps=10.0, width=320, height=240))
    html = make_report(res, tmp_path / "r.html", video=tmp_path / "missing.mp4").read_text()
    skel = html[html.index("<h2>Skeletons") : html.index('<h2 id="person-0">')]
    assert '<p class="fail">could not compute this section:' in skel and "missing.mp4" in skel
    assert html.count("could not compute") == 1
    assert len(images(sections(html, 0))) == 5
