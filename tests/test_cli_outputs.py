"""``posekit render`` writing where it cannot: a folder, a full disk, a race with itself."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import av
import pytest

from posekit import synth

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("r") / "res.json"
    synth.generate("squat", duration_s=1.0, fps=10, width=160, height=120, seed=1).result.save(path)
    return path


def render(result: Path, out: Path, preexec=None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "posekit.cli", "render", str(result), "-o", str(out),
           "--no-progress"]  # fmt: skip
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec
    )


def test_render_to_a_folder_or_a_full_disk_is_one_error_line(result: Path, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    p = render(result, tmp_path / "folder")
    _, err = p.communicate(60)
    assert p.returncode == 1 and "is a folder" in err and "Traceback" not in err

    def full_disk() -> None:  # writes beyond 2 kB fail (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    p = render(result, tmp_path / "out.mp4", preexec=full_disk)
    _, err = p.communicate(60)
    assert p.returncode == 1 and err.startswith("posekit render: error:"), err
    assert "Traceback" not in err
    assert sorted(x.name for x in tmp_path.iterdir()) == ["folder"]  # no partial file


def test_two_renders_to_one_output_leave_one_whole_video(result: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    procs = [render(result, out) for _ in range(2)]
    for p in procs:
        p.communicate(90)
        assert p.returncode == 0
    assert [x.name for x in tmp_path.iterdir()] == ["out.mp4"]
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 10
