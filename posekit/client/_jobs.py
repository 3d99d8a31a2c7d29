"""Job ids and :class:`JobInfo`, the state of a video job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from posekit.errors import JobFailedError, JobNotFoundError, JobNotReadyError
from posekit.result import PoseResult

__all__ = ["JobInfo", "check_job_id"]


def check_job_id(job_id: str) -> str:
    """``job_id`` if it is a UUID (as the API issues), else a ValueError; never builds odd URLs.

    Parameters
    ----------
    job_id
        A job id as the API gave it (lower- or upper-case hex, with its dashes).

    Returns
    -------
    str
        ``job_id`` unchanged.

    Raises
    ------
    ValueError
        Not a string in the UUID form.

    Examples
    --------
    >>> from posekit.client import check_job_id
    >>> check_job_id("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11")
    '69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11'
    >>> check_job_id("../../admin")
    Traceback (most recent call last):
    ...
    ValueError: not a job id: '../../admin' (expected a UUID such as '69a51e1b-60e0-...')
    """
    try:
        if isinstance(job_id, str) and str(uuid.UUID(job_id)) == job_id.lower():
            return job_id
    except ValueError:
        pass
    raise ValueError(f"not a job id: {job_id!r} (expected a UUID such as '69a51e1b-60e0-...')")


@dataclass(frozen=True)
class JobInfo:
    """The state of a video job, as ``GET /pose/job/{job_id}`` (or the cache) tells it.

    ``result`` gives the :class:`~posekit.PoseResult` of a successful job and raises
    :class:`JobNotReadyError`, :class:`JobFailedError` or :class:`JobNotFoundError` otherwise.

    Parameters
    ----------
    job_id
        The job's id.
    status
        ``"waiting"``, ``"processing"``, ``"success"``, ``"failed"`` or ``"not found"``.
    description
        The server's reason, for a failed job.
    from_cache
        True when the answer came from the client's ``cache_dir``, not from the server.
    _result
        The result of a successful job (filled by :meth:`Client.job`).

    Examples
    --------
    >>> from posekit.client import JobInfo
    >>> info = JobInfo("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11", "processing")
    >>> info.done
    False
    >>> JobInfo("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11", "failed", "not a video").done
    True
    """

    job_id: str
    status: str
    description: str | None = None
    from_cache: bool = False
    _result: PoseResult | None = field(default=None, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """True once the job will not change any more (success, failed, not found)."""
        return self.status in ("success", "failed", "not found")

    @property
    def result(self) -> PoseResult:
        """The result of a successful job; raises for a job in any other state.

        Raises
        ------
        JobNotReadyError
            The job is still ``waiting`` or ``processing``.
        JobFailedError
            The job failed (``description`` holds the server's reason).
        JobNotFoundError
            The job id is unknown, or its result expired.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.client import JobInfo
        >>> try:
        ...     JobInfo("69a51e1b-60e0-4e4b-9c8e-4b6f2b9e4c11", "failed", "not a video").result
        ... except pk.JobFailedError as err:
        ...     print(err.description)
        not a video
        """
        if self._result is not None:
            return self._result
        if self.status == "failed":
            raise JobFailedError(
                f"job {self.job_id} failed: {self.description or 'no reason given'}",
                self.job_id,
                self.description,
            )
        if self.status == "not found":
            raise JobNotFoundError(
                f"job {self.job_id} was not found (unknown id, or older than 7 days)", self.job_id
            )
        raise JobNotReadyError(
            f"job {self.job_id} is still {self.status}", job_id=self.job_id, status=self.status
        )
