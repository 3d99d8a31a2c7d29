"""posekit.models: install from the registry wheel, paths, missing and damaged weights."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posekit import models
from posekit._registry import sha256_of


@pytest.fixture(scope="module")
def installed() -> models.ModelPaths:
    """The user's cache (``make test`` runs ``posekit models install`` first)."""
    return models.install()


def test_installed_files_verify(installed: models.ModelPaths) -> None:
    for name, model in models.MODELS.items():
        path = getattr(installed, name)
        assert path.stat().st_size == model.size
        assert sha256_of(path) == model.sha256
    assert models.verify() == installed


def test_missing_weights_say_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(models.ModelsMissingError, match="posekit models install"):
        models.paths(tmp_path)
    # a posekit error and a FileNotFoundError, so generic handlers catch it too
    assert issubclass(models.ModelsMissingError, FileNotFoundError)


def test_corrupted_weight_file(tmp_path: Path, installed: models.ModelPaths) -> None:
    for name in ("detector", "landmark"):
        shutil.copy(getattr(installed, name), tmp_path / models.MODELS[name].filename)
    assert models.paths(tmp_path).landmark.parent == tmp_path
    bad = tmp_path / models.MODELS["landmark"].filename
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(models.ModelChecksumError, match="sha256"):
        models.verify(tmp_path)
    with pytest.raises(models.ModelChecksumError, match="install --force"):
        models.paths(tmp_path)


def test_install_from_wheel_repairs_damaged_file(
    tmp_path: Path, installed: models.ModelPaths
) -> None:
    """install() with a wheel file: extracts the two members, verifies them, replaces bad copies."""
    import zipfile

    wheel = tmp_path / "mediapipe-0.10.21-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, model in models.MODELS.items():
            z.write(getattr(installed, name), model.member)
    target = tmp_path / "cache"
    target.mkdir()
    (target / models.MODELS["detector"].filename).write_bytes(b"not a model")
    found = models.install(target, wheel=wheel)
    assert sha256_of(found.detector) == models.MODELS["detector"].sha256
    # a wheel whose member differs is refused, and nothing is written
    other = tmp_path / "other"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(models.MODELS["detector"].member, b"tampered")
        z.write(installed.landmark, models.MODELS["landmark"].member)
    with pytest.raises(models.ModelChecksumError, match="expected"):
        models.install(other, wheel=wheel)
    assert not (other / models.MODELS["detector"].filename).exists()


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path))
    assert models.models_dir() == tmp_path / "models"
    with pytest.raises(models.ModelsMissingError):
        models.paths()


def test_cli(installed: models.ModelPaths, tmp_path: Path) -> None:
    run = [sys.executable, "-m", "posekit.cli", "models"]
    out = subprocess.run([*run, "verify"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "sha256 verified" in out.stdout
    out = subprocess.run([*run, "path"], capture_output=True, text=True, check=False)
    assert Path(out.stdout.strip()) == installed.detector.parent
    out = subprocess.run(
        [*run, "verify", "--cache-dir", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 1 and "posekit models install" in out.stderr
