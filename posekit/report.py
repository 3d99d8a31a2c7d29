"""A one-page HTML report of a result: the quickstart analysis (tidy → clean → smooth → angles →
plots and metrics), figures embedded as PNG, tables as HTML. Needs only the core dependencies."""

from __future__ import annotations

import base64
import html
import os
import time
import traceback
import warnings
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["make_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table.df{border-collapse:collapse;font-size:.85em}table.df td,table.df th{border:1px solid #ccc;
padding:2px 6px;text-align:right}img{max-width:100%}.note{color:#666;font-size:.9em}
.fail{color:#a00}code{background:#f4f4f4;padding:0 3px}
"""


def _figure(figsize=(9, 4), layout: Literal["constrained"] | None = "constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> str:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _table(df: pd.DataFrame | pd.Series, digits: int = 3) -> str:
    if isinstance(df, pd.Series):
        df = df.to_frame()
    return df.to_html(classes="df", float_format=lambda v: f"{v:.{digits}g}", border=0)


class _Page:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def section(self, title: str, body: Callable[[], str]) -> None:
        """A section whose failure is shown in the page (the rest of the report still runs)."""
        self.add(f"<h2>{html.escape(title)}</h2>")
        try:
            self.add(body())
        except Exception as exc:  # a report shows what failed rather than nothing at all
            msg = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.add(f'<p class="fail">could not compute this section: {html.escape(msg)}</p>')


def make_report(
    result: Any,
    out_path: str | os.PathLike[str],
    *,
    video: str | os.PathLike[str] | None = None,
    min_score: float = 0.2,
    cutoff_hz: float = 6.0,
) -> Path:
    """Analyse a result and write a self-contained HTML report.

    Parameters
    ----------
    result
        A :class:`~posekit.PoseResult` or a path to a result JSON.
    out_path
        The HTML file to write (atomically); its folder is created.
    video
        The result's video: the skeleton figure is drawn over its middle frame.
    min_score
        Keypoints below this confidence are dropped before the analysis.
    cutoff_hz
        Butterworth cutoff for the smoothed series.

    Returns
    -------
    Path
        ``out_path``.
    """
    import posekit as pk
    from posekit import plot
    from posekit.plot._common import main_person

    t0 = time.perf_counter()
    if not isinstance(result, pk.PoseResult):
        result = pk.load(result)
    raw_all = result.keypoints()
    kp = result.keypoints(min_score=min_score)
    if kp.empty:
        raise ValueError("report: the result holds no detections")
    fps = kp.attrs.get("fps")
    main = main_person(kp)
    page = _Page()
    title = Path(str(kp.attrs.get("source") or "result")).name
    page.add(f"<h1>posekit report: {html.escape(title)}</h1>")

    def overview() -> str:
        ids = kp.index.get_level_values("object_id")
        frames = kp.index.get_level_values("frame")
        rows = {
            "kind": result.kind,
            "frames in the result": int(frames.nunique()),
            "frames in the video": result.n_frames,
            "fps": fps,
            "size (px)": f"{kp.attrs.get('width')}×{kp.attrs.get('height')}",
            "people (object_id)": ", ".join(map(str, sorted(set(ids.tolist())))),
            "job_id": kp.attrs.get("job_id"),
        }
        per = raw_all.groupby(level="object_id").agg(
            frames=("score", lambda s: s.index.get_level_values("frame").nunique()),
            mean_score=("score", "mean"),
            below_min_score=("score", lambda s: float(np.mean(s < min_score))),
        )
        return (
            _table(pd.Series(rows, name="value").astype(str))
            + f"<p>Per person (keypoints below score {min_score} are dropped from the analysis):</p>"
            + _table(per)
        )

    page.section("Overview", overview)

    def frame_fig() -> str:
        fig = _figure((11, 4.2))
        a, b = fig.subplots(1, 2, width_ratios=[1, 1.7])
        frames = np.unique(kp.index.get_level_values("frame"))
        mid = int(frames[len(frames) // 2])
        plot.skeleton(result, mid, ax=a, video=video)
        plot.confidence(raw_all, person=main, ax=b)
        return _png(fig)

    page.section("Skeletons and keypoint confidence", frame_fig)

    smoothed = kp
    if fps:
        cutoff_hz = min(cutoff_hz, 0.4 * float(fps))  # stay below Nyquist for low frame rates
        smoothed = pk.smooth.butterworth(kp, cutoff_hz=cutoff_hz)

        def smoothing() -> str:
            methods = {
                f"butterworth {cutoff_hz:g} Hz": smoothed,
                "one euro": pk.smooth.one_euro(kp, beta=0.05),
            }
            table = pk.smooth.compare(kp, methods, hf_cutoff_hz=cutoff_hz)
            joint = "left_knee"
            fig = _figure((10, 7), layout=None)
            ax = fig.subplots()
            plot.smoothing_comparison(
                kp,
                methods,
                joint=joint,
                person=main,
                metrics=table,
                ax=ax,
                frames=slice(
                    None, int(min(len(np.unique(kp.index.get_level_values("frame"))), 5 * fps))
                ),
            )
            fig.subplots_adjust(bottom=0.4)
            return (
                _png(fig)
                + "<p>Pooled over joints (jitter: RMS second difference; lag: frames behind raw):</p>"
                + _table(table.xs("all", level="joint"))
            )

        page.section("Smoothing", smoothing)
    angles = pk.angles.joint_angles(smoothed)

    single = kp.index.get_level_values("frame").nunique() == 1

    def angles_table() -> str:
        # one picture: no time axis to draw, so the angles of everybody as a table
        tab = angles.drop(columns=["time"], errors="ignore").droplevel("frame")
        tab.index = [f"id {o}" for o in tab.index]
        tab.columns = [f"{c} (°)" for c in tab.columns]
        return "<p>Joint angles of each person in the picture (degrees):</p>" + _table(tab, 4)

    def angles_section() -> str:
        if single:
            return angles_table()
        fig = _figure((10, 6.5))
        a, b = fig.subplots(2, 1)
        cols = [
            c for c in ("left_knee", "right_knee", "left_hip", "right_hip") if c in angles.columns
        ]
        plot.timeseries(angles, columns=cols, people=main, ax=a).set_ylabel("inner angle (°)")
        cols = [
            c
            for c in ("left_elbow", "right_elbow", "left_shoulder", "right_shoulder")
            if c in angles.columns
        ]
        plot.timeseries(angles, columns=cols, people=main, ax=b).set_ylabel("inner angle (°)")
        rom = pk.metrics.range_of_motion(angles.xs(main, level="object_id", drop_level=False))
        return _png(fig) + "<p>Range of motion (degrees):</p>" + _table(rom)

    page.section("Joint angles", angles_section)

    def paths() -> str:
        fig = _figure((11, 4.5))
        axes = fig.subplots(1, 2)
        for ax, joint in zip(axes, ("right_wrist", "left_ankle"), strict=True):
            plot.trajectory(smoothed, joint, people=main, ax=ax)
        return _png(fig)

    if not single:  # a single picture has no paths
        page.section("Trajectories", paths)

    if fps:

        def reps() -> str:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pk.metrics.GaitWarning)
                try:
                    gait = pk.metrics.cadence(smoothed, fps=fps, object_id=main)
                except ValueError:  # no ankles or hips: cannot be walking
                    gait = None
            # walking: steady steps (an irregular series of "steps" is a jump, a turn...)
            if gait is not None and gait["step_time_cv"].iloc[0] <= 0.2:
                return html.escape(
                    f"Not counted: object_id {main} is walking ({gait['n_steps'].iloc[0]} "
                    f"steps, {gait['cadence_spm'].iloc[0]:.0f} steps/min); the knee bends at "
                    "every step, which is not a repetition."
                ).join(("<p>", "</p>"))
            knee = angles["left_knee"].xs(main, level="object_id")
            found = pk.metrics.count_repetitions(knee, fps=fps)
            fig = _figure((10, 3.5))
            plot.repetitions(knee, found, ax=fig.subplots())
            table = found.reps
            note = f'<p class="note">{html.escape(found.note)}</p>' if found.note else ""
            return (
                _png(fig) + (_table(table) if len(table) else "<p>No repetition found.</p>") + note
            )

        page.section("Repetitions (left knee angle)", reps)

    history = smoothed.attrs.get("history", [])
    page.add(
        "<h2>What was applied</h2><ul>"
        + "".join(f"<li><code>{html.escape(h)}</code></li>" for h in history)
        + "</ul>"
    )
    page.add(
        f'<p class="note">posekit {pk.__version__} · {time.strftime("%Y-%m-%d %H:%M")} · '
        f"{time.perf_counter() - t0:.1f} s</p>"
    )
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>posekit report: {html.escape(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(page.parts)
        + "</body></html>"
    )
    from posekit.io import atomic_write

    return atomic_write(out_path, doc)
