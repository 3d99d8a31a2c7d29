"""A one-page HTML report of a result.

The quickstart analysis (tidy → clean → smooth → angles → plots and metrics), figures embedded
as PNG, tables as HTML. Needs only the core dependencies.
"""

from __future__ import annotations

import base64
import html
import os
import time
import traceback
import warnings
from collections.abc import Callable
from functools import partial
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


class Skipped(Exception):
    """Raised inside a section that does not apply to the data; the page says why."""


class _Page:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def section(self, title: str, body: Callable[[], str], *, level: int = 2) -> None:
        """A section whose failure is shown in the page (the rest of the report still runs)."""
        self.add(f"<h{level}>{html.escape(title)}</h{level}>")
        try:
            self.add(body())
        except Skipped as why:
            self.add(f'<p class="note">not computed: {html.escape(str(why))}</p>')
        except Exception as exc:  # a report shows what failed rather than nothing at all
            msg = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.add(f'<p class="fail">could not compute this section: {html.escape(msg)}</p>')


#: Frames a person needs for the smoothing comparison (a 2nd-order Butterworth, run forward and
#: back, needs runs of at least 10 frames).
_MIN_FRAMES_SMOOTH = 10


def _people(kp: pd.DataFrame, max_people: int) -> tuple[list[int], list[int]]:
    """(analysed, left out): object_ids by frames present, most first (ties: smaller id)."""
    ids = kp.index.get_level_values("object_id").to_numpy()
    frames = kp.index.get_level_values("frame").to_numpy()
    per = pd.Series(frames).groupby(ids).nunique()
    order = sorted(per.index, key=lambda o: (-per[o], o))
    return [int(o) for o in order[:max_people]], [int(o) for o in order[max_people:]]


def make_report(
    result: Any,
    out_path: str | os.PathLike[str],
    *,
    video: str | os.PathLike[str] | None = None,
    min_score: float = 0.2,
    cutoff_hz: float = 6.0,
    max_people: int = 4,
) -> Path:
    """Analyse a result and write a self-contained HTML report, one section per person.

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
    max_people
        At most this many people get a section (those present in the most frames); the
        overview names the others and why they are left out.

    Returns
    -------
    Path
        ``out_path``.

    Notes
    -----
    Any valid result gives a page: a section that does not apply (no fps, too few frames, no
    detections) says why instead of a figure, and an unexpected failure in one section is shown
    in that section while the rest of the page is still computed.

    Examples
    --------
    A picture in which nobody was found still gives a page, which says so (a video result
    gives one section per person with figures, and takes a few seconds):

    >>> import tempfile
    >>> import posekit as pk
    >>> from posekit.report import make_report
    >>> nobody = pk.load([])  # an image answer listing no person
    >>> folder = tempfile.TemporaryDirectory()
    >>> page = make_report(nobody, f"{folder.name}/report.html")
    >>> page.name, "there is nothing to analyse" in page.read_text()
    ('report.html', True)
    >>> folder.cleanup()
    """
    import posekit as pk
    from posekit import plot

    t0 = time.perf_counter()
    if not isinstance(result, pk.PoseResult):
        result = pk.load(result)
    raw_all = result.keypoints()
    kp = result.keypoints(min_score=min_score)
    untracked = result.extra.get("tracked") is False and not kp.empty
    if untracked:  # object_id is the place in each frame's list: follow people first
        raw_all = pk.clean.assign_tracks(raw_all, min_track_frames=3)
        kp = pk.clean.mask_low_confidence(raw_all, min_score=min_score)
    fps = kp.attrs.get("fps")
    page = _Page()
    title = Path(str(kp.attrs.get("source") or "result")).name
    page.add(f"<h1>posekit report: {html.escape(title)}</h1>")
    analysed, left_out = _people(kp, max_people) if len(kp) else ([], [])

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
        out = _table(pd.Series(rows, name="value").astype(str))
        if kp.empty:
            return out + "<p>The result holds no detections: there is nothing to analyse.</p>"
        per = raw_all.groupby(level="object_id").agg(
            frames=("score", lambda s: s.index.get_level_values("frame").nunique()),
            mean_score=("score", "mean"),
            not_detected=("score", lambda s: float(np.mean(s == 0))),
            below_min_score=("score", lambda s: float(np.mean(s < min_score))),
        )
        out += (
            f"<p>Per person (keypoints below score {min_score} are dropped from the analysis; "
            "<code>not_detected</code>: share of keypoints with score 0):</p>" + _table(per)
        )
        shown = ", ".join(map(str, analysed))
        if left_out:
            out += (
                f"<p>One section per person for the {len(analysed)} people present in the most "
                f"frames (object_id {shown}). Not analysed (fewer frames; at most "
                f"{max_people} people, <code>max_people=</code>): object_id "
                f"{', '.join(map(str, left_out))}.</p>"
            )
        else:
            out += f"<p>One section per person: object_id {shown}.</p>"
        if untracked:
            out += (
                "<p>The input is untracked (e.g. OpenPose: each detection's object_id is its "
                "place in the frame's list): the people were followed with "
                "<code>posekit.clean.assign_tracks(min_track_frames=3)</code>, which also drops "
                "tracks shorter than 3 frames; object_id here is that track id.</p>"
            )
        if fps is None:
            out += (
                "<p>The result has no frame rate (e.g. an OpenPose folder read without "
                "<code>--fps</code>): smoothing and repetitions need one.</p>"
            )
        return out

    page.section("Overview", overview)

    def frame_fig() -> str:
        if kp.empty:
            raise Skipped("no detections")
        fig = _figure((7, 5))
        frames = np.unique(kp.index.get_level_values("frame"))
        mid = int(frames[len(frames) // 2])
        plot.skeleton(raw_all, mid, ax=fig.subplots(), video=video, min_score=min_score)
        return _png(fig)

    page.section("Skeletons", frame_fig)

    history: list[str] = list(kp.attrs.get("history", []))
    single = not kp.empty and kp.index.get_level_values("frame").nunique() == 1
    if single:
        # one picture: no time axis, so everybody's joint angles in one table
        def angles_table() -> str:
            angles = pk.angles.joint_angles(kp)
            tab = angles.drop(columns=["time"], errors="ignore").droplevel("frame")
            tab.index = [f"id {o}" for o in tab.index]
            tab.columns = [f"{c} (°)" for c in tab.columns]
            return "<p>Joint angles of each person in the picture (degrees):</p>" + _table(tab, 4)

        page.section("Joint angles", angles_table)
    else:
        for oid in analysed:
            history += _person_sections(page, pk, plot, kp, raw_all, oid, fps, cutoff_hz, min_score)

    page.add(
        "<h2>What was applied</h2><ul>"
        + "".join(f"<li><code>{html.escape(h)}</code></li>" for h in dict.fromkeys(history))
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


def _person_sections(
    page: _Page,
    pk: Any,
    plot: Any,
    kp_all: pd.DataFrame,
    raw_all: pd.DataFrame,
    oid: int,
    fps: float | None,
    cutoff_hz: float,
    min_score: float,
) -> list[str]:
    """Add one person's sections to ``page``; return the history of the tables it used."""
    kp = kp_all.xs(oid, level="object_id", drop_level=False)
    frames = np.unique(kp.index.get_level_values("frame"))
    n = len(frames)
    page.add(
        f'<h2 id="person-{oid}">Person object_id {oid}</h2>'
        f"<p>{n} frame{'s' if n != 1 else ''} ({int(frames[0])}–{int(frames[-1])}).</p>"
    )

    def confidence() -> str:
        fig = _figure((10, 3.8))
        plot.confidence(raw_all, object_id=oid, ax=fig.subplots())
        return _png(fig)

    page.section("Keypoint confidence", confidence, level=3)

    smoothed, why_raw, cutoff = _smoothed(pk, kp, n, fps, cutoff_hz)

    def smoothing() -> str:
        if why_raw or not fps:
            raise Skipped(why_raw)
        methods = {
            f"butterworth {cutoff:g} Hz": smoothed,
            "one euro": pk.smooth.one_euro(kp, beta=0.05),
        }
        table = pk.smooth.compare(kp, methods, hf_cutoff_hz=cutoff)
        fig = _figure((10, 7), layout=None)
        ax = fig.subplots()
        plot.smoothing_comparison(
            kp,
            methods,
            joint="left_knee",
            object_id=oid,
            metrics=table,
            ax=ax,
            frames=slice(None, int(frames[0] + 5 * fps)),
        )
        fig.subplots_adjust(bottom=0.4)
        return (
            _png(fig)
            + "<p>Pooled over joints (jitter: RMS second difference; lag: frames behind raw):</p>"
            + _table(table.xs("all", level="joint"))
        )

    page.section("Smoothing", smoothing, level=3)
    note = f'<p class="note">Angles and paths from the raw keypoints: {why_raw}.</p>'
    note = note if why_raw else ""
    angles = pk.angles.joint_angles(smoothed)

    def angles_section() -> str:
        if angles.drop(columns="time", errors="ignore").isna().all().all():
            raise Skipped(
                f"no joint angle is known in any frame: each needs its three joints scored at "
                f"least {min_score}"
            )
        fig = _figure((10, 6.5))
        a, b = fig.subplots(2, 1)
        for ax, names in (
            (a, ("left_knee", "right_knee", "left_hip", "right_hip")),
            (b, ("left_elbow", "right_elbow", "left_shoulder", "right_shoulder")),
        ):
            cols = [c for c in names if c in angles.columns]
            plot.timeseries(angles, columns=cols, object_ids=oid, ax=ax).set_ylabel(
                "inner angle (°)"
            )
        rom = pk.metrics.range_of_motion(angles)
        return note + _png(fig) + "<p>Range of motion (degrees):</p>" + _table(rom)

    page.section("Joint angles", angles_section, level=3)

    page.section("Trajectories", partial(_paths, plot, smoothed, oid, min_score, note), level=3)
    page.section(
        "Repetitions (left knee angle)",
        partial(_repetitions, pk, plot, angles, smoothed, oid, fps, min_score),
        level=3,
    )
    return list(smoothed.attrs.get("history", []))


def _smoothed(
    pk: Any, kp: pd.DataFrame, n: int, fps: float | None, cutoff_hz: float
) -> tuple[pd.DataFrame, str, float]:
    """(the person's smoothed table, why it is the raw one instead (or ""), the cutoff used)."""
    if not fps:
        return kp, "the result has no frame rate", cutoff_hz
    if n < _MIN_FRAMES_SMOOTH:
        why = f"this person is in {n} frames; smoothing needs at least {_MIN_FRAMES_SMOOTH}"
        return kp, why, cutoff_hz
    cutoff = min(cutoff_hz, 0.4 * float(fps))  # stay below Nyquist for low frame rates
    try:
        return pk.smooth.butterworth(kp, cutoff_hz=cutoff), "", cutoff
    except ValueError as exc:
        return kp, f"smoothing failed ({exc})", cutoff


def _paths(plot: Any, smoothed: pd.DataFrame, oid: int, min_score: float, note: str) -> str:
    """The Trajectories section: the right wrist's and left ankle's paths."""
    known = smoothed["x"].notna().groupby(level="joint", observed=False).sum()
    joints = [j for j in ("right_wrist", "left_ankle") if known.get(j, 0) >= 2]
    if not joints:
        raise Skipped(
            f"the right wrist and left ankle are known (score at least {min_score}) in "
            f"fewer than 2 frames"
        )
    fig = _figure((5.5 * len(joints), 4.5))
    axes = fig.subplots(1, len(joints), squeeze=False)[0]
    for ax, joint in zip(axes, joints, strict=True):
        plot.trajectory(smoothed, joint, object_ids=oid, ax=ax)
    return note + _png(fig)


def _repetitions(
    pk: Any,
    plot: Any,
    angles: pd.DataFrame,
    smoothed: pd.DataFrame,
    oid: int,
    fps: float | None,
    min_score: float,
) -> str:
    """The Repetitions section: left knee bends, unless the person is walking."""
    if not fps:
        raise Skipped("the result has no frame rate")
    knee = angles["left_knee"].xs(oid, level="object_id")
    if knee.notna().sum() < 3:
        raise Skipped(
            f"the left knee angle is known in {int(knee.notna().sum())} frames "
            f"(hip, knee and ankle scored at least {min_score})"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.metrics.GaitWarning)
        try:
            gait = pk.metrics.cadence(smoothed, fps=fps, object_id=oid)
        except ValueError:  # no ankles or hips: cannot be walking
            gait = None
    # walking: steady steps (an irregular series of "steps" is a jump, a turn...)
    if gait is not None and gait["step_time_cv"].iloc[0] <= 0.2:
        return html.escape(
            f"Not counted: object_id {oid} is walking ({gait['n_steps'].iloc[0]} "
            f"steps, {gait['cadence_spm'].iloc[0]:.0f} steps/min); the knee bends at "
            "every step, which is not a repetition."
        ).join(("<p>", "</p>"))
    found = pk.metrics.count_repetitions(knee, fps=fps)
    fig = _figure((10, 3.5))
    plot.repetitions(knee, found, ax=fig.subplots())
    table = found.reps
    note = f'<p class="note">{html.escape(found.note)}</p>' if found.note else ""
    return _png(fig) + (_table(table) if len(table) else "<p>No repetition found.</p>") + note
