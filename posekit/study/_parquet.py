"""Studies on disk: the writer and reader of :mod:`posekit.io.table`, re-exported.

One implementation for every posekit table lives there.
"""

from __future__ import annotations

from posekit.io.table import read_table, write_table

__all__ = ["read_table", "write_table"]
