"""The job store: one SQLite database (WAL mode) plus one result file per finished job.

Rows hold the job's id, status, timestamps, request parameters and failure description; the
result JSON (the whole ``GET /pose/job/{id}`` answer, encoded once) is written next to it
atomically before the row says ``success``, so a reader never sees a success without its file.
Only the server process writes; each thread has its own connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posekit.io import atomic_write

__all__ = ["Job", "JobStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    created     REAL NOT NULL,
    updated     REAL NOT NULL,
    params      TEXT NOT NULL,
    description TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    callback    TEXT NOT NULL DEFAULT 'none',
    callback_tries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created);
"""


@dataclass(frozen=True)
class Job:
    """One job as the store holds it.

    Parameters
    ----------
    id, status
        The job's id and status (``waiting``, ``processing``, ``success``, ``failed``).
    created, updated
        When it was submitted and last changed (the store's clock, seconds).
    params
        The submitted parameters (``video_url``, ``callback_url`` ...).
    description
        Why it failed, if it did.
    attempts
        Estimations started (restarts count).
    callback
        ``none``, ``pending``, ``delivered`` or ``undeliverable``.
    """

    id: str
    status: str
    created: float
    updated: float
    params: dict[str, Any]
    description: str | None
    attempts: int
    callback: str  # none | pending | delivered | undeliverable
    callback_tries: int = 0


class JobStore:
    """Jobs on disk under ``root``: ``jobs.sqlite3``, ``inputs/`` and ``results/``."""

    def __init__(self, root: str | Path, *, clock: Callable[[], float]) -> None:
        self.root = Path(root)
        self.inputs = self.root / "inputs"
        self.results = self.root / "results"
        for d in (self.root, self.inputs, self.results):
            d.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "jobs.sqlite3"
        self.clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()  # one writer at a time
        with self._conn() as con:
            con.executescript(_SCHEMA)
            cols = {r["name"] for r in con.execute("PRAGMA table_info(jobs)")}
            if "callback_tries" not in cols:  # a database from before callbacks were retried
                con.execute("ALTER TABLE jobs ADD COLUMN callback_tries INTEGER NOT NULL DEFAULT 0")
            # 'attempted' (older servers): the call may never have gone out; send it again
            con.execute("UPDATE jobs SET callback='pending' WHERE callback='attempted'")

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes
            con.row_factory = sqlite3.Row
            self._local.con = con
        return con

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._conn().execute(sql, args).rowcount

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(
            id=row["id"],
            status=row["status"],
            created=row["created"],
            updated=row["updated"],
            params=json.loads(row["params"]),
            description=row["description"],
            attempts=row["attempts"],
            callback=row["callback"],
            callback_tries=row["callback_tries"],
        )

    # -- paths ---------------------------------------------------------------------------------
    def input_path(self, job_id: str, suffix: str = ".bin") -> Path:
        """Where the job's video is kept while it waits."""
        return self.inputs / f"{job_id}{suffix}"

    def result_path(self, job_id: str) -> Path:
        """Where the job's result JSON is written."""
        return self.results / f"{job_id}.json"

    # -- writes --------------------------------------------------------------------------------
    def add(self, job_id: str, params: dict[str, Any]) -> None:
        """Record a new ``waiting`` job with its parameters."""
        now = self.clock()
        callback = "pending" if params.get("callback_url") else "none"
        self._write(
            "INSERT INTO jobs (id, status, created, updated, params, callback) "
            "VALUES (?, 'waiting', ?, ?, ?, ?)",
            (job_id, now, now, json.dumps(params), callback),
        )

    def start(self, job_id: str) -> bool:
        """waiting -> processing; False if the job is not waiting (already taken or gone)."""
        return (
            self._write(
                "UPDATE jobs SET status='processing', updated=?, attempts=attempts+1 "
                "WHERE id=? AND status='waiting'",
                (self.clock(), job_id),
            )
            == 1
        )

    def succeed(self, job_id: str, result_json: bytes | None = None) -> bool:
        """Mark success; ``result_json`` (when given) is written atomically first.

        Returns False (and changes nothing) if the job had already ended (cancelled).
        """
        if result_json is not None:
            atomic_write(self.result_path(job_id), result_json)
        return (
            self._write(
                "UPDATE jobs SET status='success', updated=? "
                "WHERE id=? AND status IN ('waiting', 'processing')",
                (self.clock(), job_id),
            )
            == 1
        )

    def fail(self, job_id: str, description: str) -> bool:
        """Mark failed with ``description``; False if the job had already ended."""
        return (
            self._write(
                "UPDATE jobs SET status='failed', updated=?, description=? "
                "WHERE id=? AND status IN ('waiting', 'processing')",
                (self.clock(), description, job_id),
            )
            == 1
        )

    def mark_callback(self, job_id: str, state: str) -> bool:
        """pending -> ``state``; False if the callback was not pending."""
        return (
            self._write(
                "UPDATE jobs SET callback=? WHERE id=? AND callback='pending'", (state, job_id)
            )
            == 1
        )

    def callback_tried(self, job_id: str) -> int:
        """Count one more callback call; return how many were made."""
        self._write("UPDATE jobs SET callback_tries=callback_tries+1 WHERE id=?", (job_id,))
        job = self.get(job_id)
        return job.callback_tries if job is not None else 0

    def cancel(self, job_id: str, description: str) -> bool:
        """waiting or processing -> failed with ``description``; False if it had ended."""
        return self.fail(job_id, description)

    def ids(self, status: str) -> list[str]:
        """The ids of the jobs with ``status``."""
        rows = self._conn().execute("SELECT id FROM jobs WHERE status=?", (status,)).fetchall()
        return [r["id"] for r in rows]

    def requeue_interrupted(self, *, max_attempts: int) -> list[str]:
        """After a restart: jobs left ``processing`` go back to ``waiting``.

        Or they fail after ``max_attempts``. Returns every waiting job's id, oldest first.
        """
        now = self.clock()
        with self._lock:
            con = self._conn()
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute(
                    "UPDATE jobs SET status='failed', updated=?, description=? "
                    "WHERE status='processing' AND attempts>=?",
                    (
                        now,
                        "Failed: the server stopped during processing too many times",
                        max_attempts,
                    ),
                )
                con.execute(
                    "UPDATE jobs SET status='waiting', updated=? WHERE status='processing'", (now,)
                )
                rows = con.execute(
                    "SELECT id FROM jobs WHERE status='waiting' ORDER BY created, rowid"
                ).fetchall()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return [r["id"] for r in rows]

    def purge(self, *, older_than_s: float) -> int:
        """Delete finished jobs whose result is older than ``older_than_s``; return how many."""
        cutoff = self.clock() - older_than_s
        rows = (
            self._conn()
            .execute(
                "SELECT id FROM jobs WHERE status IN ('success', 'failed') AND updated < ?",
                (cutoff,),
            )
            .fetchall()
        )
        for r in rows:
            self.result_path(r["id"]).unlink(missing_ok=True)
            self._write("DELETE FROM jobs WHERE id=?", (r["id"],))
        return len(rows)

    # -- reads ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        """The job, or None if the store does not know it."""
        row = self._conn().execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return None if row is None else self._job(row)

    def count(self, status: str) -> int:
        """How many jobs have ``status``."""
        return int(
            self._conn()
            .execute("SELECT COUNT(*) FROM jobs WHERE status=?", (status,))
            .fetchone()[0]
        )

    def pending_callbacks(self) -> Iterator[Job]:
        """The ended jobs whose callback is still to be delivered."""
        rows = self._conn().execute(
            "SELECT * FROM jobs WHERE callback='pending' AND status IN ('success', 'failed')"
        )
        for row in rows.fetchall():
            yield self._job(row)

    def close(self) -> None:
        """Close this thread's database connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
