"""Studies on disk: the table writer and reader live in :mod:`posekit.io.table` (one
implementation for every posekit table); re-exported here for the study code."""

from __future__ import annotations

from posekit.io.table import read_table, write_table

__all__ = ["read_table", "write_table"]
