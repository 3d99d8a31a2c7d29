"""The `posekit` command: info and tidy (other sub-commands are tested with their modules)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from posekit.cli import main
from posekit.io.table import read_table


def test_info(samples_dir, capsys):
    assert main(["info", str(samples_dir / "kakao_video_first2.json")]) == 0
    out = capsys.readouterr().out
    assert "frames      220 (23.976 fps, 9.18 s)" in out
    assert "size        1920 x 1080 px" in out
    assert "object_id    0: frames 0-1" in out


def test_info_json_on_openpose_folder(openpose_dir, capsys):
    assert main(["info", "--json", str(openpose_dir / "cam01")]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["frames"] == 100 and s["detections"] == 201 and s["fps"] is None


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tidy_writes_table(samples_dir, tmp_path, suffix, capsys):
    out = tmp_path / f"kp{suffix}"
    assert main(["tidy", str(samples_dir / "kakao_video_first2.json"), "-o", str(out)]) == 0
    # plain readers see the flat table (the CSV's first line is a "# posekit {...}" comment)
    df = pd.read_csv(out, comment="#") if suffix == ".csv" else pd.read_parquet(out)
    assert list(df.columns) == ["frame", "object_id", "joint", "x", "y", "score", "time"]
    assert len(df) == 34
    assert "wrote 34 rows" in capsys.readouterr().out
    # and posekit reads back the index, the joint categorical and the metadata
    back = read_table(out)
    assert list(back.index.names) == ["frame", "object_id", "joint"]
    assert back.index.get_level_values("joint").dtype.ordered
    assert back.attrs["fps"] > 0 and back.attrs["width"] > 0 and back.attrs["history"] == []


def test_tidy_objects_and_min_score(samples_dir, tmp_path):
    out = tmp_path / "ob.csv"
    assert (
        main(["tidy", str(samples_dir / "kakao_video_first2.json"), "--objects", "-o", str(out)])
        == 0
    )
    assert len(pd.read_csv(out, comment="#")) == 2
    out = tmp_path / "kp.csv"
    assert (
        main(
            [
                "tidy",
                str(samples_dir / "kakao_video_first2.json"),
                "--min-score",
                "0.5",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert read_table(out)["x"].isna().sum() == 2 * 14


def test_errors_are_one_line_with_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"status": "failed", "job_id": "j", "description": "Failed to get video"}')
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("posekit info: error:") and "Failed to get video" in err
    assert main(["tidy", str(bad), "-o", str(tmp_path / "x.xlsx")]) == 1
    assert main(["info", str(tmp_path / "missing.json")]) == 1


def test_unknown_output_type(samples_dir, tmp_path, capsys):
    assert (
        main(["tidy", str(samples_dir / "kakao_image.json"), "-o", str(tmp_path / "x.xlsx")]) == 1
    )
    assert "use .csv or .parquet" in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "posekit.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("posekit ")


COMMANDS_READING_RESULTS = ("info", "tidy", "report", "render")


@pytest.mark.parametrize("command", COMMANDS_READING_RESULTS)
def test_every_command_reading_results_takes_the_same_input(command):
    """issue 12: --layout and --fps on every command that reads results."""
    from posekit.cli import build_parser

    extra = {"tidy": ["-o", "x.csv"], "render": ["-o", "x.mp4"]}.get(command, [])
    args = build_parser().parse_args(
        [command, "folder", "--fps", "60", "--layout", "BODY_25B", *extra]
    )
    assert (args.result, args.fps, args.layout) == ("folder", 60.0, "BODY_25B")
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "folder", "--layout", "BODY_18", *extra])


def test_openpose_folder_with_fps_and_layout_in_info_and_tidy(openpose_dir, tmp_path, capsys):
    folder = str(openpose_dir / "cam01")
    assert main(["info", "--json", folder, "--fps", "60", "--layout", "BODY_25B"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["fps"] == 60.0 and s["duration_s"] == pytest.approx(100 / 60)
    out = tmp_path / "kp.csv"
    assert main(["tidy", folder, "--fps", "60", "-o", str(out)]) == 0
    df = pd.read_csv(out, comment="#")  # the first line is posekit's metadata
    assert df["time"].max() == pytest.approx(99 / 60)
    # the wrong layout is refused with a reason (BODY_25B's files have 25 points too, so it
    # is taken; COCO has 18)
    assert main(["info", folder, "--layout", "COCO"]) == 1
    assert "layout COCO has 18 points, files have 25" in capsys.readouterr().err


def test_report_and_render_read_what_info_reads(openpose_dir, tmp_path, capsys):
    folder = str(openpose_dir / "cam01")
    html = tmp_path / "r.html"
    assert main(["report", folder, "--fps", "60", "-o", str(html)]) == 0  # one result, not a study
    page = html.read_text()
    assert (
        "could not compute" not in page and "not computed: the result has no frame rate" not in page
    )
    video = tmp_path / "o.mp4"
    assert main(["render", folder, "--fps", "60", "-o", str(video), "--no-progress"]) == 0
    from posekit._frames import FrameSource

    with FrameSource(video) as fs:
        assert fs.n_frames == 100 and fs.fps == 60.0
    capsys.readouterr()
    assert main(["render", folder, "-o", str(video)]) == 1  # no frame rate anywhere
    assert "fps" in capsys.readouterr().err


def test_layout_on_a_file_and_fps_on_a_result_that_has_one(samples_dir, capsys):
    sample = str(samples_dir / "synth_squat.json")
    assert main(["info", sample, "--layout", "BODY_25"]) == 1
    assert "--layout applies to OpenPose folders" in capsys.readouterr().err
    assert main(["info", sample, "--fps", "25"]) == 0
    captured = capsys.readouterr()
    assert (
        "posekit info: warning: --fps 25 ignored: synth_squat.json has its own frame rate (30 fps)"
        in captured.err
    )
    assert "30.000 fps" in captured.out
