"""Job ids and :class:`JobInfo`, the state of a video job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from posekit.errors import JobFailedError, JobNotFoundError, JobNotReadyError
from posekit.result import PoseResult

__all__ = ["JobInfo", "check_job_id"]


def check_job_id(job_id: str) -> str:
    """``job_id`` if it is a UUID (as the API issues), else a ValueError; never builds odd URLs."""
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
