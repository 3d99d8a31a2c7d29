"""Plots of analysis results: the smoothing comparison and repetition markers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from posekit._renamed import renamed
from posekit.plot._common import (
    as_keypoints,
    axis_label,
    column_unit,
    get_ax,
    joint_list,
    main_person,
    time_values,
)
from posekit.tidy import filled_mask

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["metrics_table", "repetitions", "smoothing_comparison"]


def _person_series(
    kp: pd.DataFrame, joint: str, coord: str, oid: int
) -> tuple[np.ndarray, np.ndarray]:
    sub = kp.xs((oid, joint), level=("object_id", "joint")).sort_index()
    if coord not in sub.columns:
        raise ValueError(f"smoothing_comparison: no column {coord!r} (columns {list(kp.columns)})")
    return sub.index.get_level_values("frame").to_numpy(), sub[coord].to_numpy(np.float64)


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        return f"{v:.3g}"
    return str(v)


def metrics_table(
    table: pd.DataFrame,
    *,
    ax: Axes,
    max_columns: int = 8,
    fontsize: float = 8,
    height: float = 0.45,
):
    """Draw a DataFrame as a matplotlib table under ``ax`` (numbers to 3 significant digits).

    Parameters
    ----------
    table
        The figures to show; row labels from its index (tuples joined by `` / ``), column
        labels from its columns. NaN shows as ``–``.
    ax
        The Axes the table goes under.
    max_columns
        Only the first this many columns are shown.
    fontsize
        Font size of the cells in points.
    height
        Height of the table as a fraction of the Axes' height.

    Returns
    -------
    matplotlib.table.Table
        Gid ``"metrics-table"``; its cells hold the formatted strings.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from posekit.plot.analysis import metrics_table
    >>> fig, ax = plt.subplots()
    >>> tab = metrics_table(pd.DataFrame({"rmse_px": [1.23456, float("nan")]}, index=["a", "b"]), ax=ax)
    >>> tab.get_celld()[(1, 0)].get_text().get_text(), tab.get_celld()[(2, 0)].get_text().get_text()
    ('1.23', '–')
    >>> plt.close(fig)
    """
    shown = table.iloc[:, :max_columns]
    rows = [" / ".join(map(str, r)) if isinstance(r, tuple) else str(r) for r in shown.index]
    cells = [[_fmt(v) for v in row] for row in shown.itertuples(index=False)]
    from matplotlib.transforms import Bbox

    tab = ax.table(
        cellText=cells,
        rowLabels=rows,
        colLabels=[str(c) for c in shown.columns],
        bbox=Bbox.from_bounds(0.0, -0.18 - height, 1.0, height),
        cellLoc="center",
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(fontsize)
    tab.set_gid("metrics-table")
    return tab


@renamed(person="object_id")
def smoothing_comparison(
    raw: Any,
    methods: Mapping[str, pd.DataFrame],
    *,
    joint: str = "right_wrist",
    coord: str = "y",
    object_id: int | None = None,
    truth: pd.DataFrame | None = None,
    metrics: pd.DataFrame | bool | None = None,
    fps: float | None = None,
    frames: slice | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Raw against smoothed series for one joint coordinate, with the comparison's metrics.

    Parameters
    ----------
    raw
        The unsmoothed keypoints table (drawn as grey dots joined by a thin line).
    methods
        ``{"name": smoothed table}``; each is one line, labelled with its name.
    joint, coord, object_id
        Which series: COCO joint, column (``"x"``, ``"y"``...) and person (default the person
        present in the most frames; ``person=`` is the old name of ``object_id``, deprecated).
    truth
        Ground truth in the same layout (drawn dashed black), e.g. from :mod:`posekit.synth`.
    metrics
        A metrics DataFrame to show as a table under the plot; None computes it with
        ``posekit.smooth.compare(raw, methods, truth=truth)``; False shows none.
    fps
        x axis in seconds (default ``raw.attrs["fps"]``; frames when unknown).
    frames
        Restrict the plot to a frame range, e.g. ``slice(0, 120)``.
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        Lines have gids ``"raw"``, ``"truth"`` and ``"method-<name>"`` (and ``"raw-filled"``,
        hollow markers on filled raw points); the table gid ``"metrics-table"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> sim = pk.synth.generate("squat", duration_s=2, fps=30, noise_px=2.0, seed=1)
    >>> raw = sim.result.keypoints()
    >>> ax = pk.plot.smoothing_comparison(raw, {"median": pk.smooth.median(raw, window_frames=5)},
    ...                                   joint="left_knee", truth=sim.truth)
    >>> [line.get_gid() for line in ax.lines], [t.get_gid() for t in ax.tables]
    (['raw', 'truth', 'method-median'], ['metrics-table'])
    >>> plt.close(ax.figure)
    """
    raw = as_keypoints(raw, "smoothing_comparison")
    joint_list(joint)
    oid = main_person(raw) if object_id is None else int(object_id)
    created = ax is None
    ax = get_ax(ax, (9, 6.5), layout=None)

    def sel(fr: np.ndarray) -> np.ndarray:
        if frames is None:
            return np.ones(len(fr), bool)
        lo = -np.inf if frames.start is None else frames.start
        hi = np.inf if frames.stop is None else frames.stop
        return (fr >= lo) & (fr < hi)

    fr, y = _person_series(raw, joint, coord, oid)
    m = sel(fr)
    t, label = time_values(fr[m], raw.attrs, fps)
    (line,) = ax.plot(t, y[m], color="0.6", lw=0.8, marker="o", ms=2.5, label="raw", zorder=1)
    line.set_gid("raw")
    est = filled_mask(raw.xs((oid, joint), level=("object_id", "joint")).sort_index())[m]
    if est.any() and coord in ("x", "y"):  # filled raw points: hollow
        line.set_markevery(np.flatnonzero(~est).tolist())
        (marks,) = ax.plot(
            t[est], y[m][est], "o", mfc="white", mec="0.4", ms=3.5, label="filled", zorder=1
        )
        marks.set_gid("raw-filled")
    if truth is not None:
        fr_t, y_t = _person_series(
            as_keypoints(truth, "smoothing_comparison truth"), joint, coord, oid
        )
        mt = sel(fr_t)
        (line,) = ax.plot(
            time_values(fr_t[mt], raw.attrs, fps)[0],
            y_t[mt],
            "k--",
            lw=1.2,
            label="truth",
            zorder=3,
        )
        line.set_gid("truth")
    for name, table in methods.items():
        fr_s, y_s = _person_series(
            as_keypoints(table, f"smoothing_comparison {name!r}"), joint, coord, oid
        )
        ms = sel(fr_s)
        (line,) = ax.plot(
            time_values(fr_s[ms], raw.attrs, fps)[0], y_s[ms], lw=1.6, label=name, zorder=2
        )
        line.set_gid(f"method-{name}")
    ax.set_xlabel(label)
    ax.set_ylabel(f"{joint} {coord}" + (" (px)" if coord in ("x", "y") else ""))
    ax.set_title(f"smoothing: {joint} {coord} · id {oid}")
    ax.legend(fontsize=8)
    if metrics is None:
        metrics = _compare(raw, methods, truth)
    if isinstance(metrics, pd.DataFrame) and not metrics.empty:
        if "joint" in (metrics.index.names or []):  # smooth.compare's (method, joint) layout
            names = metrics.index.get_level_values("joint").astype(str)
            metrics = metrics.xs(joint if joint in set(names) else "all", level="joint")
        metrics_table(metrics, ax=ax)
        if created:
            ax.figure.subplots_adjust(bottom=0.42)
    return ax


def _compare(raw, methods, truth) -> pd.DataFrame | None:
    try:
        from posekit.smooth import compare
    except ImportError:  # the comparison is not available in this build: plot without table
        return None
    return compare(raw, dict(methods), truth=truth)


#: The columns of :func:`posekit.metrics.count_repetitions`' table that the plot reads: each
#: repetition's start, end and turning point, in frames (or, without them, in seconds).
_START = ("start_frame", "start_time")
_END = ("end_frame", "end_time")
_PEAK = ("peak_frame", "peak_time")


def _column(reps: pd.DataFrame, names: tuple[str, ...]) -> str:
    found = next((c for c in names if c in reps.columns), None)
    if found is None:
        raise ValueError(
            f"repetitions: the reps table has no {' or '.join(names)} column (it has "
            f"{list(reps.columns)}); pass what posekit.metrics.count_repetitions returns"
        )
    return found


def repetitions(
    series: pd.Series,
    reps: Any = None,
    *,
    fps: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A series (e.g. a knee angle) with each repetition shaded and its turning point marked.

    Parameters
    ----------
    series
        One person's series indexed by frame (or by (frame, object_id) with one object_id).
    reps
        The result of :func:`posekit.metrics.count_repetitions` (or its ``reps`` table, with
        start/end/peak columns in frames or seconds); None computes it.
    fps
        x axis in seconds (default ``series.attrs["fps"]`` or the repetitions'; frames when
        unknown).
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        The series line (gid ``"series"``), one shaded span per repetition (gid ``"rep-<k>"``) and
        the turning points (gid ``"rep-peaks"``).

    Examples
    --------
    A knee angle with a minimum every 2 s for 10 s (see
    :class:`posekit.metrics.Repetitions`):

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import pandas as pd
    >>> import posekit as pk
    >>> t = np.arange(300) / 30
    >>> knee = pd.Series(135 - 45 * np.cos(np.pi * t), name="left_knee")
    >>> knee.attrs["fps"] = 30
    >>> ax = pk.plot.repetitions(knee)
    >>> [p.get_gid() for p in ax.patches], bool(ax.get_xlim()[1] > 9)
    (['rep-0', 'rep-1', 'rep-2', 'rep-3'], True)
    >>> plt.close(ax.figure)
    """
    if not isinstance(series, pd.Series):
        raise TypeError(f"repetitions: expected a pandas Series, got {type(series).__name__}")
    if "object_id" in series.index.names:
        ids = series.index.get_level_values("object_id").unique()
        if len(ids) > 1:
            raise ValueError(
                f"repetitions: the series holds several people {list(ids)}; select one"
            )
        series = series.droplevel("object_id")
    if reps is None:
        from posekit.metrics import count_repetitions

        reps = count_repetitions(series)
    if isinstance(reps, pd.DataFrame):
        table, count = reps, len(reps)
    else:
        table = getattr(reps, "reps", None)
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                "repetitions: reps must be a count_repetitions result or its reps table"
            )
        count = int(getattr(reps, "count", len(table)))
    fps_v = fps if fps is not None else series.attrs.get("fps") or getattr(reps, "fps", None)
    frames = np.asarray(series.index, dtype=np.float64)
    t, label = time_values(frames, series.attrs, fps_v)
    ax = get_ax(ax, (9, 3.5))
    (line,) = ax.plot(
        t, series.to_numpy(np.float64), color="C0", lw=1.5, label=str(series.name or "value")
    )
    line.set_gid("series")

    def to_x(col: str) -> np.ndarray:
        v = table[col].to_numpy(np.float64)
        if col.endswith("_time"):  # seconds: the axis is in seconds when fps is known
            if not fps_v:
                raise ValueError("repetitions: the reps table has times only; pass fps=")
            return v
        return v / float(fps_v) if fps_v else v

    c0, c1, cp = _column(table, _START), _column(table, _END), _column(table, _PEAK)
    for k, (a, b) in enumerate(zip(to_x(c0), to_x(c1), strict=True)):
        span = ax.axvspan(a, b, color="C1" if k % 2 else "C2", alpha=0.15, lw=0)
        span.set_gid(f"rep-{k}")
    px = to_x(cp)
    if "peak_value" in table.columns:
        py = table["peak_value"].to_numpy(np.float64)
    else:
        vals = series.to_numpy(np.float64)
        ok = np.isfinite(vals)
        py = np.interp(px, t[ok], vals[ok])
    pts = ax.scatter(px, py, color="C3", zorder=3, s=30, label="turning point")
    pts.set_gid("rep-peaks")
    ax.set_xlabel(label)
    name = str(series.name or "value")
    ax.set_ylabel(axis_label(name, column_unit(series.attrs, name)))
    ax.set_title(f"{count} repetitions")
    return ax
