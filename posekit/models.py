"""The pose model weights: BlazePose detector and full landmark model (Apache-2.0).

They ship inside the ``mediapipe==0.10.21`` wheel on PyPI (the last release that bundles them).
:func:`install` downloads that wheel with pip *without installing it*, copies the two files out,
checks their sha256 and stores them in the cache (``$POSEKIT_CACHE/models`` or
``~/.cache/posekit/models``). Nothing else is ever downloaded. Command line:
``posekit models install | path | verify``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from posekit._registry import cache_root, extract_members, sha256_of
from posekit.errors import ChecksumError, ModelChecksumError, ModelsMissingError

__all__ = [
    "MODELS",
    "WHEEL",
    "ModelChecksumError",
    "ModelPaths",
    "ModelsMissingError",
    "install",
    "models_dir",
    "paths",
    "verify",
]

#: The wheel the weights come from.
WHEEL = "mediapipe==0.10.21"


@dataclass(frozen=True)
class _Model:
    filename: str
    member: str
    sha256: str
    size: int


#: name -> where the file is in the wheel, its sha256 and size in bytes.
MODELS: dict[str, _Model] = {
    "detector": _Model(
        "pose_detection.tflite",
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        2_959_046,
    ),
    "landmark": _Model(
        "pose_landmark_full.tflite",
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        6_440_512,
    ),
}


@dataclass(frozen=True)
class ModelPaths:
    """The two weight files, verified.

    Parameters
    ----------
    detector
        The BlazePose person detector (``pose_detection.tflite``).
    landmark
        The full BlazePose landmark model (``pose_landmark_full.tflite``).

    Examples
    --------
    >>> from posekit import models
    >>> found = models.install()  # no download when the weights are cached (make models)
    >>> found.detector.name, found.landmark.name
    ('pose_detection.tflite', 'pose_landmark_full.tflite')
    """

    detector: Path
    landmark: Path


_verified: dict[tuple[str, int, int], bool] = {}  # (path, size, mtime_ns): hashed and good


def models_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the weights live.

    ``cache_dir``, else ``$POSEKIT_CACHE/models``, else ``~/.cache/posekit/models``.

    Parameters
    ----------
    cache_dir
        A folder chosen by the caller (``~`` is expanded); None for the default.

    Returns
    -------
    Path
        The folder (it need not exist yet).

    Examples
    --------
    >>> from posekit.models import models_dir
    >>> models_dir("/tmp/weights").as_posix()
    '/tmp/weights'
    >>> models_dir().name
    'models'
    """
    return Path(cache_dir).expanduser() if cache_dir is not None else cache_root() / "models"


def _check(path: Path, model: _Model) -> None:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if _verified.get(key):
        return
    got = sha256_of(path)
    if got != model.sha256:
        raise ModelChecksumError(
            f"{path} is damaged: sha256 {got}, expected {model.sha256}. "
            f"Run `posekit models install --force` to fetch it again."
        )
    _verified[key] = True


def paths(cache_dir: str | os.PathLike[str] | None = None, *, check: bool = True) -> ModelPaths:
    """The installed weight files.

    Parameters
    ----------
    cache_dir
        Look here instead of the default cache folder (:func:`models_dir`).
    check
        Verify each file's sha256 (once per process and file version).

    Raises
    ------
    ModelsMissingError
        A file is not there: run ``posekit models install``.
    ModelChecksumError
        A file's sha256 is wrong.

    Examples
    --------
    >>> import tempfile
    >>> from posekit import models
    >>> models.paths(check=False).landmark.name  # installed by make models
    'pose_landmark_full.tflite'
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     try:
    ...         models.paths(empty)
    ...     except models.ModelsMissingError as err:
    ...         print("missing:", "posekit models install" in str(err))
    missing: True
    """
    folder = models_dir(cache_dir)
    found = {}
    for name, model in MODELS.items():
        path = folder / model.filename
        if not path.is_file():
            raise ModelsMissingError(
                f"pose model weights not found: {path} is missing. Run `posekit models install` "
                f"(downloads the {WHEEL} wheel from PyPI with pip, ~36 MB, and keeps two files "
                "from it)"
                + (f" with --cache-dir {folder}" if cache_dir is not None else "")
                + "; it needs the [local] extra: pip install 'posekit[local]'"
            )
        if check:
            _check(path, model)
        found[name] = path
    return ModelPaths(**found)


def verify(cache_dir: str | os.PathLike[str] | None = None) -> ModelPaths:
    """Hash the installed files again (no cache) and raise if one is missing or damaged.

    Parameters
    ----------
    cache_dir
        Look here instead of the default cache folder (:func:`models_dir`).

    Returns
    -------
    ModelPaths
        The two files, each hashed again.

    Raises
    ------
    ModelsMissingError
        A file is not there.
    ModelChecksumError
        A file's sha256 is wrong.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from posekit import models
    >>> models.verify().detector.stat().st_size == models.MODELS["detector"].size
    True
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "pose_detection.tflite").write_bytes(b"not a model")
    ...     _ = Path(folder, "pose_landmark_full.tflite").write_bytes(b"not a model")
    ...     try:
    ...         models.verify(folder)
    ...     except models.ModelChecksumError:
    ...         print("damaged")
    damaged
    """
    _verified.clear()
    return paths(cache_dir, check=True)


def install(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    wheel: str | os.PathLike[str] | None = None,
) -> ModelPaths:
    """Obtain the weights from the ``mediapipe==0.10.21`` wheel and store them in the cache.

    Parameters
    ----------
    cache_dir
        Store them here instead of the default cache folder (:func:`models_dir`).
    force
        Download again even when good files are already there.
    wheel
        An already downloaded ``mediapipe-0.10.21-*.whl`` to read instead of calling pip.

    Returns
    -------
    ModelPaths

    Raises
    ------
    posekit._registry.DownloadError
        pip could not download the wheel (no access to the package registry?).
    ModelChecksumError
        A file in the wheel is not the expected one.

    Examples
    --------
    >>> from posekit import models
    >>> found = models.install()  # returns at once when good files are cached
    >>> found.landmark == models.models_dir() / "pose_landmark_full.tflite"
    True
    """
    if not force:
        try:
            return paths(cache_dir)
        except (ModelsMissingError, ModelChecksumError):
            pass
    folder = models_dir(cache_dir)
    members = {m.member: (m.sha256, folder / m.filename) for m in MODELS.values()}
    try:
        extract_members(WHEEL, members, binary=True, wheel=wheel)
    except ChecksumError as exc:
        raise ModelChecksumError(str(exc)) from None
    return verify(cache_dir)
