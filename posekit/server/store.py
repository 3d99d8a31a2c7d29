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
    callback_tries
        Callback calls made so far.

    Examples
    --------
    >>> import tempfile
    >>> from posekit.server.store import JobStore
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = JobStore(folder.name, clock=lambda: 1000.0)
    >>> store.add("job-1", {"input": "job-1/clip.mp4", "smoothing": True})
    >>> job = store.get("job-1")
    >>> job.status, job.created, job.params["smoothing"], job.callback
    ('waiting', 1000.0, True, 'none')
    >>> store.close(); folder.cleanup()
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
    """Jobs on disk under ``root``: ``jobs.sqlite3``, ``inputs/`` and ``results/``.

    The folders and the database are created if needed; a database of an older server is
    brought up to date.

    Parameters
    ----------
    root
        The server's data folder.
    clock
        Gives the time, in seconds since the epoch (``time.time``; tests pass their own).

    Examples
    --------
    >>> import tempfile
    >>> from posekit.server.store import JobStore
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = JobStore(folder.name, clock=lambda: 1000.0)
    >>> store.add("job-1", {"input": "job-1/clip.mp4"})
    >>> store.start("job-1")
    True
    >>> store.succeed("job-1", b'{"status": "success"}')
    True
    >>> store.get("job-1").status, store.result_path("job-1").read_bytes()
    ('success', b'{"status": "success"}')
    >>> sorted(p.name for p in store.root.iterdir())  # doctest: +ELLIPSIS
    ['inputs', 'jobs.sqlite3', ..., 'results']
    >>> store.close(); folder.cleanup()
    """

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
        """Where the job's video is kept while it waits.

        Parameters
        ----------
        job_id
            The job's id.
        suffix
            The file name's suffix.

        Returns
        -------
        Path
            ``inputs/{job_id}{suffix}`` under the store's folder.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.input_path("job-1", ".mp4").relative_to(store.root).as_posix()
        'inputs/job-1.mp4'
        >>> store.close(); folder.cleanup()
        """
        return self.inputs / f"{job_id}{suffix}"

    def result_path(self, job_id: str) -> Path:
        """Where the job's result JSON is written.

        Parameters
        ----------
        job_id
            The job's id.

        Returns
        -------
        Path
            ``results/{job_id}.json`` under the store's folder.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.result_path("job-1").relative_to(store.root).as_posix()
        'results/job-1.json'
        >>> store.close(); folder.cleanup()
        """
        return self.results / f"{job_id}.json"

    # -- writes --------------------------------------------------------------------------------
    def add(self, job_id: str, params: dict[str, Any]) -> None:
        """Record a new ``waiting`` job with its parameters.

        Parameters
        ----------
        job_id
            The new job's id (the database refuses one it already holds).
        params
            The request's parameters, stored as JSON (``input``, ``smoothing``, ``owner``,
            ``video_url``, ``callback_url``); a ``callback_url`` makes the callback pending.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4", "callback_url": "https://example.com/cb"})
        >>> job = store.get("job-1")
        >>> job.status, job.callback
        ('waiting', 'pending')
        >>> store.close(); folder.cleanup()
        """
        now = self.clock()
        callback = "pending" if params.get("callback_url") else "none"
        self._write(
            "INSERT INTO jobs (id, status, created, updated, params, callback) "
            "VALUES (?, 'waiting', ?, ?, ?, ?)",
            (job_id, now, now, json.dumps(params), callback),
        )

    def start(self, job_id: str) -> bool:
        """waiting -> processing; False if the job is not waiting (already taken or gone).

        Each start counts as an attempt.

        Parameters
        ----------
        job_id
            The job's id.

        Returns
        -------
        bool

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4"})
        >>> store.start("job-1"), store.start("job-1")  # the second worker does not get it
        (True, False)
        >>> store.get("job-1").attempts
        1
        >>> store.close(); folder.cleanup()
        """
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

        Parameters
        ----------
        job_id
            The job's id.
        result_json
            The ``GET /pose/job/{job_id}`` answer to store; None when the worker wrote it.

        Returns
        -------
        bool

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4"})
        >>> store.succeed("job-1", b'{"status": "success"}'), store.get("job-1").status
        (True, 'success')
        >>> store.succeed("job-1")  # it had ended
        False
        >>> store.close(); folder.cleanup()
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
        """Mark failed with ``description``; False if the job had already ended.

        Parameters
        ----------
        job_id
            The job's id.
        description
            Why it failed, as the client will read it.

        Returns
        -------
        bool

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4"})
        >>> store.fail("job-1", "Failed to process video: not a video")
        True
        >>> job = store.get("job-1")
        >>> job.status, job.description
        ('failed', 'Failed to process video: not a video')
        >>> store.close(); folder.cleanup()
        """
        return (
            self._write(
                "UPDATE jobs SET status='failed', updated=?, description=? "
                "WHERE id=? AND status IN ('waiting', 'processing')",
                (self.clock(), description, job_id),
            )
            == 1
        )

    def mark_callback(self, job_id: str, state: str) -> bool:
        """pending -> ``state``; False if the callback was not pending.

        Parameters
        ----------
        job_id
            The job's id.
        state
            ``"delivered"`` or ``"undeliverable"``.

        Returns
        -------
        bool

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "x", "callback_url": "https://example.com/cb"})
        >>> store.mark_callback("job-1", "delivered"), store.mark_callback("job-1", "delivered")
        (True, False)
        >>> store.get("job-1").callback
        'delivered'
        >>> store.close(); folder.cleanup()
        """
        return (
            self._write(
                "UPDATE jobs SET callback=? WHERE id=? AND callback='pending'", (state, job_id)
            )
            == 1
        )

    def callback_tried(self, job_id: str) -> int:
        """Count one more callback call; return how many were made.

        Parameters
        ----------
        job_id
            The job's id.

        Returns
        -------
        int
            Calls made so far (0 for an unknown job).

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "x", "callback_url": "https://example.com/cb"})
        >>> store.callback_tried("job-1"), store.callback_tried("job-1")
        (1, 2)
        >>> store.close(); folder.cleanup()
        """
        self._write("UPDATE jobs SET callback_tries=callback_tries+1 WHERE id=?", (job_id,))
        job = self.get(job_id)
        return job.callback_tries if job is not None else 0

    def cancel(self, job_id: str, description: str) -> bool:
        """waiting or processing -> failed with ``description``; False if it had ended.

        Parameters
        ----------
        job_id
            The job's id.
        description
            The reason the client will read (``"Cancelled by the client"``).

        Returns
        -------
        bool

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4"})
        >>> store.cancel("job-1", "Cancelled by the client"), store.cancel("job-1", "again")
        (True, False)
        >>> store.get("job-1").description
        'Cancelled by the client'
        >>> store.close(); folder.cleanup()
        """
        return self.fail(job_id, description)

    def ids(self, status: str) -> list[str]:
        """The ids of the jobs with ``status``.

        Parameters
        ----------
        status
            ``"waiting"``, ``"processing"``, ``"success"`` or ``"failed"``.

        Returns
        -------
        list of str

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> for job_id in ("job-1", "job-2", "job-3"):
        ...     store.add(job_id, {"input": job_id})
        >>> store.start("job-2")
        True
        >>> sorted(store.ids("waiting")), store.ids("processing")
        (['job-1', 'job-3'], ['job-2'])
        >>> store.close(); folder.cleanup()
        """
        rows = self._conn().execute("SELECT id FROM jobs WHERE status=?", (status,)).fetchall()
        return [r["id"] for r in rows]

    def requeue_interrupted(self, *, max_attempts: int) -> list[str]:
        """After a restart: jobs left ``processing`` go back to ``waiting``.

        Or they fail after ``max_attempts``. Returns every waiting job's id, oldest first.

        Parameters
        ----------
        max_attempts
            Starts after which a job left ``processing`` fails instead.

        Returns
        -------
        list of str
            The waiting jobs' ids, oldest first.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> for job_id in ("job-1", "job-2"):
        ...     store.add(job_id, {"input": job_id})
        >>> store.start("job-1")  # then the server stops
        True
        >>> store.requeue_interrupted(max_attempts=1)  # job-1 had its one attempt
        ['job-2']
        >>> store.get("job-1").status
        'failed'
        >>> store.close(); folder.cleanup()
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
        """Delete finished jobs whose result is older than ``older_than_s``; return how many.

        Their rows and result files go; the API then answers ``not found`` for them.

        Parameters
        ----------
        older_than_s
            Seconds since the job ended (its last update).

        Returns
        -------
        int
            Jobs deleted.

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1"})
        >>> store.succeed("job-1", b"{}")
        True
        >>> store.purge(older_than_s=3600)
        0
        >>> store.clock = lambda: 1000.0 + 7200  # two hours later
        >>> store.purge(older_than_s=3600), store.get("job-1"), store.result_path("job-1").exists()
        (1, None, False)
        >>> store.close(); folder.cleanup()
        """
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
        """The job, or None if the store does not know it.

        Parameters
        ----------
        job_id
            The job's id.

        Returns
        -------
        Job or None

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> store.add("job-1", {"input": "job-1/clip.mp4"})
        >>> store.get("job-1").status, store.get("job-2")
        ('waiting', None)
        >>> store.close(); folder.cleanup()
        """
        row = self._conn().execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return None if row is None else self._job(row)

    def count(self, status: str) -> int:
        """How many jobs have ``status``.

        Parameters
        ----------
        status
            ``"waiting"``, ``"processing"``, ``"success"`` or ``"failed"``.

        Returns
        -------
        int

        Examples
        --------
        >>> import tempfile
        >>> from posekit.server.store import JobStore
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = JobStore(folder.name, clock=lambda: 1000.0)
        >>> for job_id in ("job-1", "job-2"):
        ...     store.add(job_id, {"input": job_id})
        >>> store.count("waiting"), store.count("success")
        (2, 0)
        >>> store.close(); folder.cleanup()
        """
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
