"""Exceptions raised by posekit.

Every error a user can provoke with bad input is one of these, and its message says what was
wrong and where (a JSON path such as ``annotations[12].objects[0].keypoints``).
"""

from __future__ import annotations


class PoseKitError(Exception):
    """Base class of every posekit exception."""


class PoseFormatError(PoseKitError, ValueError):
    """A result payload (JSON, dict, file) does not have the expected structure or values.

    Attributes
    ----------
    path : str
        The JSON path of the offending value (``"$"`` for the whole document), when known.
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
    """The job is still ``waiting`` or ``processing``."""


class JobFailedError(JobStatusError):
    """The job ended with status ``failed``; ``description`` holds the server's reason."""

    def __init__(
        self, message: str, job_id: str | None = None, description: str | None = None
    ) -> None:
        self.description = description
        super().__init__(message, job_id=job_id, status="failed")


class JobNotFoundError(JobStatusError):
    """The job id is unknown, or its result expired (Kakao keeps results 7 days)."""

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message, job_id=job_id, status="not found")
