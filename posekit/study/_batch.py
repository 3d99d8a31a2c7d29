"""Batch jobs over many files: offline estimation of many videos, one report page per clip.

Both run through :meth:`Study.map`, so they run on local processes or a Dask cluster, show
progress, and list failures instead of stopping. Estimation is resumable: each result is written
atomically under its final name only when complete (an interrupted video leaves at most a
``*.partial.json``), and a video whose result exists is skipped.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


def _name(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return "_".join(str(p) for p in parts)


@dataclass
class _EstimateOne:
    out_dir: str
    names: dict[str, str]  # video path -> output stem
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, path: str) -> dict[str, Any]:
        out = Path(self.out_dir) / f"{self.names[path]}.json"
        if out.exists():
            return {
                "status": "skipped",
                "output": str(out),
                "frames": None,
                "people": None,
                "seconds": 0.0,
            }
        from posekit.estimate import estimate_video

        t0 = time.perf_counter()
        res = estimate_video(path, progress=False, **self.options)
        if res.partial:  # never under the name of a complete result
            part = out.with_name(out.stem + ".partial.json")
            res.save(part)
            raise RuntimeError(f"interrupted after {len(res)} of {res.n_frames} frames -> {part}")
        res.save(out)  # atomic: temporary file + rename
        from posekit.summary import summarize

        people = len(summarize(res)["people"])
        return {
            "status": "done",
            "output": str(out),
            "frames": res.n_frames,
            "people": people,
            "seconds": time.perf_counter() - t0,
        }


def estimate_videos(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[Any, Any],
    out_dir: str | os.PathLike[str],
    /,
    *,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    names: list[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Estimate poses in many videos, one Kakao-format result per video in ``out_dir``.

    Parameters
    ----------
    source
        A folder (its videos), a pattern or glob (``"videos/{subject}_{trial}.mp4"``), a list
        of paths or a ``{key: path}`` mapping, as :func:`~posekit.study.load_study` takes.
    out_dir
        Results go to ``out_dir/<key>.json`` (keys joined by ``_``); created if needed. A video
        whose result exists is skipped, so running again resumes an interrupted batch.
    workers, client, progress
        As for :meth:`Study.map`: local processes (each estimator then uses one thread), or a
        Dask ``Client`` / scheduler address.
    options
        Passed to :func:`posekit.estimate.estimate_video` (``smoothing``, ``tiles``,
        ``max_frames``, ``convention`` ...).

    Returns
    -------
    DataFrame
        One row per video: ``status`` (done / skipped), ``output``, ``frames``, ``people``,
        ``seconds``, and ``error`` for the videos that failed (listed, never fatal).

    Examples
    --------
    A short clip with nobody in it: estimated once, skipped when run again (its result is
    there).

    >>> import tempfile, pathlib
    >>> import av, numpy as np
    >>> from posekit.study import estimate_videos
    >>> tmp = tempfile.TemporaryDirectory()
    >>> with av.open(f"{tmp.name}/empty.mp4", "w") as out:
    ...     stream = out.add_stream("mpeg4", rate=25)
    ...     stream.width, stream.height = 320, 240
    ...     for _ in range(2):
    ...         frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8))
    ...         out.mux(stream.encode(frame))
    ...     out.mux(stream.encode())
    >>> done = estimate_videos(tmp.name, f"{tmp.name}/results", workers=1, tiles=False)
    >>> done[["status", "frames", "people"]]  # doctest: +NORMALIZE_WHITESPACE
           status  frames  people
    clip
    empty    done       2       0
    >>> [p.name for p in pathlib.Path(tmp.name, "results").iterdir()]
    ['empty.json']
    >>> estimate_videos(tmp.name, f"{tmp.name}/results", workers=1)["status"].tolist()
    ['skipped']
    >>> tmp.cleanup()
    """
    from posekit.study._paths import paths_from
    from posekit.study._study import Study

    src = Path(source) if isinstance(source, str | os.PathLike) else None
    if src is not None and src.is_dir():
        source = sorted(str(p) for p in src.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        if not source:
            raise FileNotFoundError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in {src}")
    paths = paths_from(source, names=names)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stems = {str(p): _name(k) for k, p in paths.items()}
    n_workers = workers if workers is not None else None
    options.setdefault("num_threads", 1 if (n_workers or 2) > 1 or client is not None else 2)
    func = _EstimateOne(str(out), stems, options)
    return Study(paths).map(func, input="path", workers=workers, client=client, progress=progress)


@dataclass
class _ReportOne:
    out_dir: str
    names: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)

    reader: Any = "auto"

    def __call__(self, path: str) -> dict[str, Any]:
        import matplotlib

        matplotlib.use("Agg")
        from posekit.report import make_report
        from posekit.study._run import read_clip

        page = Path(self.out_dir) / f"{self.names[path]}.html"
        make_report(read_clip(path, self.reader), page, **self.options)
        return {"page": page.name}


def study_report(
    study: Any,
    out_dir: str | os.PathLike[str],
    /,
    *,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    **options: Any,
) -> Path:
    """One HTML page per clip (:func:`posekit.report.make_report`) and ``index.html``.

    The index holds the study's summary (:meth:`Study.summary`, one row per clip and person)
    with a link to each clip's page; clips that failed are listed with their error.

    Parameters
    ----------
    study
        The :class:`Study`.
    out_dir
        The folder for the pages (``<key>.html``, keys joined by ``_``) and ``index.html``;
        created if needed.
    workers, client, progress
        As for :meth:`Study.map`.
    **options
        Passed to :func:`posekit.report.make_report` (``min_score``, ``cutoff_hz``,
        ``max_people``).

    Returns
    -------
    Path
        ``out_dir/index.html``.

    Examples
    --------
    Not run here: a page with its figures takes a few seconds per clip.

    >>> from posekit.study import load_study, study_report
    >>> study = load_study("results/{subject}_{trial}.json")        # doctest: +SKIP
    >>> index = study_report(study, "report", min_score=0.3)        # doctest: +SKIP
    >>> sorted(p.name for p in index.parent.iterdir())[:3]          # doctest: +SKIP
    ['index.html', 's01_walk1.html', 's01_walk2.html']
    """
    from posekit.io import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stems = {str(p): _name(k) for k, p in study.paths.items()}
    pages = study.map(_ReportOne(str(out), stems, options, study.reader), input="path", workers=workers,
                      client=client, progress=progress)  # fmt: skip
    summary = study.summary(workers=workers, client=client, progress=progress)
    rows = []
    for key, path in study.paths.items():
        name = _name(key)
        page = pages["page"].get(key) if "page" in pages else None
        err = pages["error"].get(key) if "error" in pages else None
        link = (f'<a href="{html.escape(page)}">{html.escape(name)}</a>' if isinstance(page, str)
                else html.escape(name))  # fmt: skip
        note = f" <em>failed: {html.escape(str(err))}</em>" if isinstance(err, str) else ""
        rows.append(f"<li>{link} <small>{html.escape(str(path))}</small>{note}</li>")
    table = summary.drop(columns=["notes"], errors="ignore").round(3).to_html(na_rep="")
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'><title>posekit study report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:"
        "12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>"
        f"<h1>posekit study report</h1><p>{len(study)} clips, keys {html.escape(str(study.keys))}"
        f"</p><h2>Summary (one row per clip and person)</h2>{table}<h2>Clips</h2><ul>"
        + "".join(rows)
        + "</ul></body></html>"
    )
    return atomic_write(out / "index.html", doc)
