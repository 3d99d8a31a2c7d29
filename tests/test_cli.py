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
