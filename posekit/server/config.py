"""Server configuration: limits, keys, the URL policy and the pluggable estimator."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from posekit._registry import data_root
from posekit.schema import KAKAO_MAX_IMAGE_BYTES, KAKAO_MAX_VIDEO_BYTES

__all__ = [
    "DEFAULT_ESTIMATOR",
    "Estimator",
    "ServerConfig",
    "load_keys",
    "resolve_estimator",
]

#: Where the server's estimator comes from unless configured otherwise.
DEFAULT_ESTIMATOR = "posekit.estimate"

DAY_S = 86400.0


@runtime_checkable
class Estimator(Protocol):
    """What the server needs from an estimator (the :mod:`posekit.estimate` module qualifies).

    ``estimate_image`` takes the path of an image file; ``estimate_video`` the path of a video
    file. Both return a :class:`posekit.PoseResult`. Bad input (not an image, not a video) should
    raise ``ValueError``; the server answers it as a bad parameter (image) or a failed job (video).
    An optional ``warmup()`` is called once per worker at start, to load models ahead of the
    first request.

    Examples
    --------
    The check is structural: any object with the two methods is an estimator.

    >>> from posekit.server.config import Estimator
    >>> from posekit.server.testing import fixed_estimator
    >>> isinstance(fixed_estimator, Estimator), isinstance("posekit.estimate", Estimator)
    (True, False)
    """

    def estimate_image(self, image: Any, /) -> Any:
        """The people in the image file at path ``image``: an image :class:`PoseResult`.

        Parameters
        ----------
        image
            The path of the uploaded (or downloaded) image file.

        Returns
        -------
        PoseResult
            An image result; the server answers its ``people``.

        Examples
        --------
        >>> import tempfile
        >>> from PIL import Image
        >>> from posekit.server.testing import fixed_estimator
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     Image.new("RGB", (640, 480)).save(f"{folder}/photo.png")
        ...     res = fixed_estimator.estimate_image(f"{folder}/photo.png")
        >>> res.kind, len(res.people)
        ('image', 1)
        """
        ...

    def estimate_video(
        self, path: Any, /, *, smoothing: bool = True, progress: bool = False
    ) -> Any:
        """The poses in the video file at ``path``: a video :class:`PoseResult`.

        Parameters
        ----------
        path
            The path of the uploaded (or downloaded) video file.
        smoothing
            The client's ``smoothing`` form field: smooth keypoints between frames.
        progress
            Show progress (the server passes False).

        Returns
        -------
        PoseResult
            A video result; the server answers its job with the job's id and status.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.server.testing import fixed_estimator
        >>> video = pk.media.fetch_demo_video("pose2sim_s01_cam01")
        >>> res = fixed_estimator.estimate_video(video, smoothing=False)
        >>> res.kind, res.n_frames, res.fps
        ('video', 100, 60.0)
        """
        ...


@dataclass
class ServerConfig:
    """Everything :func:`posekit.server.create_app` needs.

    Parameters
    ----------
    data_dir
        Folder for the job database (``jobs.sqlite3``), uploaded inputs and results. Default:
        ``server`` in posekit's user data folder (``$POSEKIT_DATA``, else
        ``$XDG_DATA_HOME/posekit``, else ``~/.local/share/posekit``), never the current folder.
    keys
        Accepted REST API keys (``Authorization: KakaoAK <key>``). Empty: a key is generated,
        written to ``<data_dir>/api_key`` (mode 0600) and its path logged (never the key).
    estimator
        An object with ``estimate_image`` / ``estimate_video`` (a module counts), or its dotted
        path ``"package.module"`` / ``"package.module:attribute"``. Classes are instantiated.
    workers
        Video jobs estimated at once (default: half the cores, at least 1).
    worker_kind
        ``"process"``: estimation runs in worker processes (a crash or the GIL cannot touch the
        HTTP side); ``"thread"``: in threads of the server process (fast to start; tests).
    max_image_bytes, max_video_bytes
        Upload and download limits (Kakao: images 2 MB; its sample caps videos at 50 MB).
    max_queue
        Jobs waiting at most; beyond, ``POST /pose/job`` answers 429 with code -10.
    max_image_requests
        ``POST /pose`` requests in flight at most; beyond, 429 with code -10.
    retention_s
        Seconds a finished job's result is kept (Kakao: 7 days); then its status is
        ``not found``.
    allow_private_urls
        Let ``image_url``/``video_url``/``callback_url`` reach loopback, private and link-local
        addresses (cloud metadata addresses stay refused).
    url_ports
        Ports those URLs may use; ``None`` allows any (Kakao: 80 and 443).
    connect_timeout_s, read_timeout_s, download_timeout_s
        Timeouts of every outbound request (Kakao advises 5 s connect, 15 s read);
        ``download_timeout_s`` bounds a whole download, whatever the origin does (enforced
        inside the read).
    min_download_rate_bytes_s
        A download slower than this on average (after its first ``read_timeout_s`` seconds)
        is stopped.
    callback_timeout_s, callback_attempts, callback_backoff_s
        A callback call ends within ``callback_timeout_s``; a failed one (no answer, or not
        2xx) is tried again after ``callback_backoff_s`` seconds, doubling each time, up to
        ``callback_attempts`` calls in all, also across restarts.
    url_check_threads, image_fetch_threads, video_download_threads, callback_threads
        Sizes of the thread pools of outbound work (name resolution, ``image_url`` downloads,
        ``video_url`` downloads, callbacks); each kind has its own, so one kind of slow peer
        cannot hold up the others.
    max_job_s
        Wall-clock seconds a video job may take (download excluded); then it fails.
    max_video_frames, max_video_pixels
        A video with more frames, or more pixels in all (frames x width x height), fails
        as bad input before estimation starts.
    max_image_pixels
        Largest image (width x height) decoded; larger ones are refused as bad input (code -2)
        before decoding.
    header_timeout_s, body_timeout_s, min_upload_rate_bytes_s, max_connections
        The HTTP front end: seconds for a client to send a request's headers, the longest
        silence while it sends a body, the slowest upload accepted (on average, after
        ``body_timeout_s``), and connections held at most (beyond it, the oldest idle one is
        closed).
    clock
        Seconds since the epoch; injectable so tests can age jobs.

    Examples
    --------
    >>> import tempfile
    >>> from posekit.server import ServerConfig
    >>> folder = tempfile.TemporaryDirectory()
    >>> config = ServerConfig(keys=("my-key",), data_dir=folder.name, workers=2)
    >>> config.max_image_bytes, config.retention_s / 86400, config.url_ports
    (2097152, 7.0, (80, 443))
    >>> ServerConfig(data_dir=folder.name, workers=0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be >= 1, got 0
    >>> folder.cleanup()
    """

    data_dir: Path = field(default_factory=lambda: data_root() / "server")
    keys: tuple[str, ...] = ()
    estimator: Any = DEFAULT_ESTIMATOR
    workers: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    worker_kind: Literal["process", "thread"] = "process"
    max_image_bytes: int = KAKAO_MAX_IMAGE_BYTES
    max_video_bytes: int = KAKAO_MAX_VIDEO_BYTES
    max_queue: int = 100
    max_image_requests: int = 16
    retention_s: float = 7 * DAY_S
    allow_private_urls: bool = False
    url_ports: tuple[int, ...] | None = (80, 443)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    download_timeout_s: float = 120.0
    min_download_rate_bytes_s: float = 16 * 1024
    callback_timeout_s: float = 30.0
    callback_attempts: int = 5
    callback_backoff_s: float = 5.0
    url_check_threads: int = 4
    image_fetch_threads: int = 8
    video_download_threads: int = 2
    callback_threads: int = 4
    max_job_s: float = 900.0
    max_video_frames: int = 18_000  # 10 min at 30 fps
    max_video_pixels: int = 18_000 * 1920 * 1080
    max_image_pixels: int = 2048 * 2048
    header_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    min_upload_rate_bytes_s: float = 16 * 1024
    max_connections: int = 2048
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.keys = tuple(k for k in self.keys if k)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.worker_kind not in ("process", "thread"):
            raise ValueError(f"worker_kind must be 'process' or 'thread', got {self.worker_kind!r}")
        for name in (
            "max_image_bytes",
            "max_video_bytes",
            "max_queue",
            "max_image_requests",
            "callback_attempts",
            "url_check_threads",
            "image_fetch_threads",
            "video_download_threads",
            "callback_threads",
            "max_video_frames",
            "max_video_pixels",
            "max_image_pixels",
            "max_connections",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> ServerConfig:
        """A configuration from ``POSEKIT_SERVER_*`` environment variables, then ``overrides``.

        ``POSEKIT_SERVER_KEYS`` (comma-separated keys), ``POSEKIT_SERVER_KEYS_FILE``,
        ``POSEKIT_SERVER_DATA_DIR``, ``POSEKIT_SERVER_ESTIMATOR`` (dotted path),
        ``POSEKIT_SERVER_WORKERS``, ``POSEKIT_SERVER_WORKER_KIND``,
        ``POSEKIT_SERVER_ALLOW_PRIVATE_URLS`` (1/true), ``POSEKIT_SERVER_URL_PORTS``
        (``80,443`` or ``any``), ``POSEKIT_SERVER_MAX_IMAGE_BYTES``,
        ``POSEKIT_SERVER_MAX_VIDEO_BYTES``, ``POSEKIT_SERVER_MAX_QUEUE``, and every other number
        by its upper-case field name (``POSEKIT_SERVER_MAX_JOB_S``, ...).

        Parameters
        ----------
        env
            The variables to read; None reads ``os.environ``.
        **overrides
            Fields set directly; they win over the variables.

        Returns
        -------
        ServerConfig

        Raises
        ------
        ValueError
            A number that does not parse, or a value the configuration refuses.

        Examples
        --------
        >>> from posekit.server import ServerConfig
        >>> env = {"POSEKIT_SERVER_KEYS": "key-1, key-2", "POSEKIT_SERVER_MAX_JOB_S": "60",
        ...        "POSEKIT_SERVER_URL_PORTS": "any", "POSEKIT_SERVER_DATA_DIR": "/tmp/pk-server"}
        >>> config = ServerConfig.from_env(env, workers=1)
        >>> config.keys, config.max_job_s, config.url_ports, config.workers
        (('key-1', 'key-2'), 60.0, None, 1)
        """
        env = dict(os.environ if env is None else env)
        kw: dict[str, Any] = {}

        def get(name: str) -> str | None:
            value = env.get(f"POSEKIT_SERVER_{name}")
            return value if value not in (None, "") else None

        keys: list[str] = []
        if (v := get("KEYS")) is not None:
            keys += [k.strip() for k in v.split(",") if k.strip()]
        if (v := get("KEYS_FILE")) is not None:
            keys += load_keys(v)
        if keys:
            kw["keys"] = tuple(keys)
        if (v := get("DATA_DIR")) is not None:
            kw["data_dir"] = Path(v)
        if (v := get("ESTIMATOR")) is not None:
            kw["estimator"] = v
        if (v := get("WORKER_KIND")) is not None:
            kw["worker_kind"] = v
        if (v := get("ALLOW_PRIVATE_URLS")) is not None:
            kw["allow_private_urls"] = v.strip().lower() in ("1", "true", "yes", "on")
        if (v := get("URL_PORTS")) is not None:
            kw["url_ports"] = parse_ports(v)
        for f in fields(cls):  # every number: POSEKIT_SERVER_<FIELD NAME>
            if f.type not in ("int", "float") or (v := get(f.name.upper())) is None:
                continue
            try:
                kw[f.name] = int(v) if f.type == "int" else float(v)
            except ValueError:
                kind = "an integer" if f.type == "int" else "a number"
                raise ValueError(
                    f"POSEKIT_SERVER_{f.name.upper()} must be {kind}, got {v!r}"
                ) from None
        kw.update(overrides)
        return cls(**kw)

    def ensure_keys(self) -> Path | None:
        """Generate and store a key when none is configured; return the key file written."""
        if self.keys:
            return None
        path = self.data_dir / "api_key"
        if path.exists():
            self.keys = tuple(load_keys(path))
            if self.keys:
                return path
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(16)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a file that was there keeps its mode otherwise
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        self.keys = (key,)
        return path


def parse_ports(text: str) -> tuple[int, ...] | None:
    """``"80,443"`` -> ``(80, 443)``; ``"any"`` -> ``None``."""
    if text.strip().lower() in ("any", "*", "all"):
        return None
    try:
        ports = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise ValueError(f"ports must be a comma-separated list or 'any', got {text!r}") from None
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise ValueError(f"ports must be between 1 and 65535, got {text!r}")
    return ports


def load_keys(path: str | os.PathLike[str]) -> list[str]:
    r"""Read API keys from a file: one per line; blank lines and ``#`` comments ignored.

    A comment starts at a ``#`` that begins the line or follows a space; a ``#`` inside a key
    (``abc#def``) is part of the key.

    Parameters
    ----------
    path
        The keys file.

    Returns
    -------
    list of str
        The keys, in the file's order.

    Raises
    ------
    FileNotFoundError
        No such file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from posekit.server.config import load_keys
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     keys = Path(folder, "keys.txt")
    ...     _ = keys.write_text("# the lab\nabc123  # Alice\n\nxyz#789\n")
    ...     load_keys(keys)
    ['abc123', 'xyz#789']
    """
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such keys file: {path}") from None
    keys = []
    for line in text.splitlines():
        line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if line:
            keys.append(line)
    return keys


def estimator_spec(estimator: Any) -> Any:
    """A picklable description of ``estimator`` for worker processes: modules by name."""
    if isinstance(estimator, types.ModuleType):
        return estimator.__name__
    return estimator


def resolve_estimator(spec: Any) -> Estimator:
    """Turn a dotted path, module, class or object into an object with the estimator methods.

    Parameters
    ----------
    spec
        ``"package.module"`` or ``"package.module:attribute"`` (imported), a module, a class
        (instantiated without arguments) or an object.

    Returns
    -------
    Estimator
        An object with callable ``estimate_image`` and ``estimate_video``.

    Raises
    ------
    ValueError
        The path cannot be imported or the object lacks ``estimate_image``/``estimate_video``.

    Examples
    --------
    >>> from posekit.server.config import resolve_estimator
    >>> type(resolve_estimator("posekit.server.testing:SynthEstimator")).__name__
    'SynthEstimator'
    >>> resolve_estimator("posekit.units")
    Traceback (most recent call last):
    ...
    ValueError: estimator 'posekit.units' has no callable estimate_image or estimate_video
    """
    obj = spec
    if isinstance(spec, str):
        module_name, _, attr = spec.partition(":")
        try:
            obj = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(f"cannot import estimator module {module_name!r}: {exc}") from exc
        for part in filter(None, attr.split(".")):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise ValueError(f"estimator {spec!r}: {module_name} has no {attr!r}") from None
    if isinstance(obj, type):
        obj = obj()
    missing = [
        m for m in ("estimate_image", "estimate_video") if not callable(getattr(obj, m, None))
    ]
    if missing:
        raise ValueError(f"estimator {spec!r} has no callable {' or '.join(missing)}")
    return obj  # type: ignore[no-any-return]
