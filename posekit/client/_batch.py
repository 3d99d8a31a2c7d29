"""The outcome of one video in :meth:`Client.analyze_videos`."""

from __future__ import annotations

from dataclasses import dataclass

from posekit.result import PoseResult

__all__ = ["VideoOutcome"]


@dataclass
class VideoOutcome:
    """One video of a batch: its ``result`` or the ``error`` it met, and its ``job_id``."""

    source: str
    job_id: str | None = None
    result: PoseResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None

    def __repr__(self) -> str:
        state = repr(self.result) if self.result is not None else f"error={self.error!r}"
        return f"VideoOutcome({self.source!r}, job_id={self.job_id!r}, {state})"
