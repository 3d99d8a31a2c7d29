"""Plots over time.

Trajectories in the image plane, time series, confidence heatmap, angle–angle diagrams and
repetition markers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from posekit._renamed import renamed
from posekit.plot._common import (
    as_keypoints,
    axis_label,
    column_unit,
    get_ax,
    image_axes,
    joint_list,
    main_person,
    people_list,
    person_color,
    time_colored_segments,
    time_values,
)
from posekit.schema import JOINTS
from posekit.tidy import filled_mask

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["angle_angle", "confidence", "timeseries", "trajectory"]

_STYLES = ("-", "--", ":", "-.")


def _colored_path(ax, xy, t, *, cmap, norm, linewidth, gid, filled=None):
    """A path coloured by time; segments touching a filled point are dashed."""
    from matplotlib.collections import LineCollection

    seg, tm = time_colored_segments(xy, t)
    styles: Any = "-"
    if filled is not None and np.any(filled):
        ok = np.isfinite(xy).all(axis=1) & np.isfinite(t)
        dashed = (filled[:-1] | filled[1:])[ok[:-1] & ok[1:]]
        styles = ["--" if d else "-" for d in dashed] or "-"
    lc = LineCollection(
        seg,
        cmap=cmap,
        norm=norm,
        linewidths=linewidth,
        linestyles=styles,
        capstyle="round" if isinstance(styles, str) else "butt",
    )
    lc.set_array(tm)
    lc.set_gid(gid)
    ax.add_collection(lc)
    return lc


def _person_cmap(oid: int):
    from matplotlib.colors import LinearSegmentedColormap

    light = np.array(person_color(oid, "right"))
    dark = np.array(person_color(oid, "left"))
    return LinearSegmentedColormap.from_list(f"person-{oid}", [light * 0.6 + 0.4, dark])


@renamed(people="object_ids")
def trajectory(
    kp: Any,
    joint: str = "right_wrist",
    *,
    object_ids: int | Iterable[int] | None = None,
    fps: float | None = None,
    image: np.ndarray | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    linewidth: float = 2.0,
    ax: Axes | None = None,
) -> Axes:
    """The path of one joint in the image plane, coloured by time.

    One person: ``cmap``. Several: each in their own hue (light early, dark late), with an
    ``"id <n>"`` label at the path's end and a legend.

    Parameters
    ----------
    kp
        Keypoints table (or PoseResult).
    joint
        COCO joint name.
    object_ids
        The people to draw, one object_id or several (default all; ``people=`` is the old
        name, deprecated); each is one ``LineCollection`` with gid
        ``"trajectory-<id>"`` whose segments join consecutive frames where the joint is known.
        Segments that touch a filled point (the ``filled`` column) are dashed.
    fps
        Colour by seconds instead of frames (default ``kp.attrs["fps"]`` when set).
    image
        Optional picture (``(H, W, 3)``) under the path.
    cmap
        Matplotlib colour map name, for one person.
    colorbar
        Add a colour bar of time (one person).
    linewidth
        Width of the path in points.
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        y pointing down (image coordinates), equal aspect.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ax = pk.plot.trajectory(kp, "right_wrist")
    >>> [c.get_gid() for c in ax.collections], bool(ax.yaxis_inverted())
    (['trajectory-0', 'trajectory-1'], True)
    >>> plt.close(ax.figure)
    """
    from matplotlib.colors import Normalize

    kp = as_keypoints(kp, "trajectory")
    joint_list(joint)
    sub = kp.xs(joint, level="joint")
    ax = get_ax(ax, (6, 6))
    if image is not None:
        h, w = image.shape[:2]
        ax.imshow(image, extent=(0, w, h, 0))
    frames_all = sub.index.get_level_values("frame").to_numpy()
    t_all, label_t = time_values(frames_all, kp.attrs, fps)
    norm = Normalize(float(np.min(t_all)), float(np.max(t_all))) if len(t_all) else Normalize(0, 1)
    obj = sub.index.get_level_values("object_id")
    ids = people_list(np.unique(obj), object_ids, "trajectory")
    several = len(ids) > 1
    lc = None
    for oid in ids:
        rows = sub[obj == oid].sort_index()
        t, _ = time_values(rows.index.get_level_values("frame").to_numpy(), kp.attrs, fps)
        xy = rows[["x", "y"]].to_numpy(np.float64)
        # several people: each in their own hue, light (early) to dark (late)
        person_cmap = _person_cmap(oid) if several else cmap
        lc = _colored_path(
            ax,
            xy,
            t,
            cmap=person_cmap,
            norm=norm,
            linewidth=linewidth,
            gid=f"trajectory-{oid}",
            filled=filled_mask(rows),
        )
        if several:
            ok = np.flatnonzero(np.isfinite(xy).all(axis=1))
            if len(ok):
                end = xy[ok[-1]]
                label = ax.annotate(
                    f"id {oid}", end, xytext=(6, 6), textcoords="offset points",
                    color=person_color(oid), fontsize=10, fontweight="bold",
                )  # fmt: skip
                label.set_gid(f"label-{oid}")
    ax.autoscale_view()
    if image is not None:
        image_axes(ax, image.shape[1], image.shape[0])
    else:
        image_axes(ax, None, None)
    if colorbar and lc is not None:
        if several:  # a neutral bar: every person darkens the same way with time
            from matplotlib.cm import ScalarMappable

            ax.figure.colorbar(
                ScalarMappable(norm=norm, cmap="Greys"), ax=ax, label=label_t, shrink=0.8
            )
        else:
            ax.figure.colorbar(lc, ax=ax, label=label_t, shrink=0.8)
    if several:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=person_color(o), lw=2, label=f"id {o}") for o in ids]
        ax.legend(handles=handles, fontsize=8, loc="best")
    ax.set_title(f"{joint} trajectory")
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    return ax


def _series_frame(data: pd.Series | pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    names = list(data.index.names)
    if "frame" in names:
        frames = data.index.get_level_values("frame").to_numpy()
    else:
        frames = np.asarray(data.index, dtype=np.float64)
    if "object_id" in names:
        obj = data.index.get_level_values("object_id").to_numpy()
    else:
        obj = np.zeros(len(data), dtype=np.int64)
    return frames, obj


_MAX_LINES = 8
_DEFAULT_JOINTS = ("left_wrist", "right_wrist", "left_ankle", "right_ankle")


@renamed(people="object_ids")
def timeseries(
    data: pd.DataFrame | pd.Series,
    *,
    columns: str | Sequence[str] | None = None,
    joints: str | Iterable[str] | None = None,
    object_ids: int | Iterable[int] | None = None,
    fps: float | None = None,
    legend: bool = True,
    max_lines: int = _MAX_LINES,
    ax: Axes | None = None,
) -> Axes:
    """Values over time for chosen joints (or angles) and people, with units on the axes.

    Parameters
    ----------
    data
        A keypoints-layout table (``x``, ``y``, ``score``, or kinematics columns such as
        ``speed``), a table indexed by (frame, object_id) such as joint angles, or a Series.
    columns
        Columns to plot. Keypoints layout: default ``("x", "y")``, or ``"speed"`` (computed from
        x and y when the table has no such column). Angle tables: default all columns.
    joints
        Keypoints layout only: joints to plot (default the wrists and ankles).
    object_ids
        The people to draw, one object_id or several (``people=`` is the old name,
        deprecated). Default: everybody when that stays within ``max_lines`` lines, else the
        person present in the most frames (the title says so).
    fps
        x axis in seconds (default ``attrs["fps"]``; frames when unknown).
    legend
        Draw the legend.
    max_lines
        Without ``columns``/``joints``, at most this many series are drawn (the first ones;
        the title says how many were left out). Asked-for columns are always all drawn.
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        One ``Line2D`` per (series, person), labelled ``"<joint> <column> · id <n>"``; the
        legend outside the axes on the right; the y label carries the unit read from the table
        (``attrs["units"]``; px for x/y, ° for angles; none when unknown). Filled points (the
        ``filled`` column) of x and y series get hollow circles: one more ``Line2D`` each, gid
        ``"filled-<joint> <column>-<id>"``, not in the legend.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ax = pk.plot.timeseries(kp, joints="left_ankle", columns="y")
    >>> [line.get_label() for line in ax.get_lines()], ax.get_ylabel()
    (['left_ankle y · id 0', 'left_ankle y · id 1'], 'left_ankle y (px)')
    >>> plt.close(ax.figure)
    """
    ax = get_ax(ax)
    attrs = dict(data.attrs)
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "value"
        data = data.to_frame(name)
        data.attrs = attrs
    keypoint_layout = list(data.index.names) == ["frame", "object_id", "joint"]
    asked = columns is not None or joints is not None
    rate = get_fps_or_none(attrs, fps)
    if keypoint_layout:
        series, units, marks = _keypoint_series(data, columns, joints, attrs, rate)
    else:
        series, units, marks = _table_series(data, columns, joints, attrs)
    notes: list[str] = []
    all_ids = np.unique(np.concatenate([s[3] for s in series])) if series else np.array([], int)
    if object_ids is None and len(all_ids) > 1 and len(series) * len(all_ids) > max_lines:
        counts = {int(o): int(sum(np.sum(s[3] == o) for s in series)) for o in all_ids}
        main = max(sorted(counts), key=lambda o: counts[o])
        object_ids = main
        notes.append(f"id {main} (most frames; object_ids= for the others)")
    ids = people_list(all_ids, object_ids, "timeseries")
    if not asked and len(series) * len(ids) > max_lines:
        keep = max(1, max_lines // len(ids))
        notes.append(f"first {keep} of {len(series)} series (columns= for more)")
        series, units, marks = series[:keep], units[:keep], marks[:keep]
    xlabel = _draw_series(ax, series, marks, ids, attrs, fps)
    ax.set_xlabel(xlabel)
    if series:
        same = len(set(units)) == 1
        unit = units[0] if same else None
        ax.set_ylabel(axis_label(_y_name(series, unit, same), unit))
    if notes:
        ax.set_title(" · ".join(notes), fontsize=9)
    if legend and series:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


# one plotted series: (label, column, frames, object ids, values)
_Series = tuple[str, str, np.ndarray, np.ndarray, np.ndarray]


def _column_list(columns: str | Sequence[str] | None, default: list[str]) -> list[str]:
    if columns is None:
        return default
    return [columns] if isinstance(columns, str) else list(columns)


def _keypoint_series(
    data: pd.DataFrame,
    columns: str | Sequence[str] | None,
    joints: str | Iterable[str] | None,
    attrs: dict,
    rate: float | None,
) -> tuple[list[_Series], list[str | None], list[np.ndarray | None]]:
    """The series of a keypoints-layout table, their units, and their filled points (x, y)."""
    series: list[_Series] = []
    units: list[str | None] = []
    marks: list[np.ndarray | None] = []  # per series: its filled points (x and y only)
    cols = _column_list(columns, ["x", "y"])
    for j in joint_list(joints, _DEFAULT_JOINTS):
        sub = data.xs(j, level="joint")
        for c in cols:
            fr, ob = _series_frame(sub)
            if c in sub.columns:
                y = sub[c].to_numpy(np.float64)
                units.append(column_unit(attrs, c, keypoints=True))
            elif c == "speed":
                y = _speed(sub, rate)
                units.append("px/s" if rate else "px/frame")
            else:
                raise ValueError(f"timeseries: no column {c!r} (columns {list(data.columns)})")
            series.append((f"{j} {c}", c, fr, ob, y))
            marks.append(filled_mask(sub) if c in ("x", "y") else None)
    return series, units, marks


def _table_series(
    data: pd.DataFrame,
    columns: str | Sequence[str] | None,
    joints: str | Iterable[str] | None,
    attrs: dict,
) -> tuple[list[_Series], list[str | None], list[np.ndarray | None]]:
    """The series of a table indexed by (frame, object_id), and their units."""
    if joints is not None:
        raise ValueError("timeseries: joints= applies to keypoints tables; use columns=")
    cols = _column_list(columns, list(data.columns))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"timeseries: no column(s) {missing} (columns {list(data.columns)})")
    cols = [c for c in cols if c != "time"]
    fr, ob = _series_frame(data)
    series = [(str(c), str(c), fr, ob, data[c].to_numpy(np.float64)) for c in cols]
    units = [column_unit(attrs, str(c)) for c in cols]
    return series, units, [None] * len(cols)


def _draw_series(
    ax: Axes,
    series: list[_Series],
    marks: list[np.ndarray | None],
    ids: list[int],
    attrs: dict,
    fps: float | None,
) -> str:
    """One line per (series, person), filled points as hollow circles; returns the x label."""
    by_person = len(ids) > 1
    xlabel = "frame"
    for k, (label, _col, fr, ob, y) in enumerate(series):
        for oid in ids:
            sel = ob == oid
            order = np.argsort(fr[sel], kind="stable")
            x, xlabel = time_values(fr[sel][order], attrs, fps)
            kwargs: dict[str, Any] = {}
            if by_person:
                kwargs = {"color": person_color(oid), "linestyle": _STYLES[k % len(_STYLES)]}
            yy = y[sel][order]
            (line,) = ax.plot(x, yy, label=f"{label} · id {oid}" if by_person else label, **kwargs)
            est = marks[k]
            ff = None if est is None else est[sel][order]
            if ff is not None and ff.any():  # filled points: hollow circles on the line
                (dots,) = ax.plot(
                    x[ff],
                    yy[ff],
                    "o",
                    mfc="none",
                    mec=line.get_color(),
                    ms=4,
                    mew=1.0,
                    label="_nolegend_",
                )
                dots.set_gid(f"filled-{label}-{oid}")
    return xlabel


def _y_name(series: list[_Series], unit: str | None, same: bool) -> str:
    """What the y axis shows, for its label."""
    if len(series) == 1:
        return series[0][0]
    if same and unit == "°":
        return "angle"
    if same and {s[1] for s in series} <= {"x", "y"}:
        return "position"
    if len({s[1] for s in series}) == 1:
        return series[0][1]
    return "value"


def get_fps_or_none(attrs: dict, fps: float | None) -> float | None:
    value = fps if fps is not None else attrs.get("fps")
    return float(value) if value else None


def _speed(sub: pd.DataFrame, fps: float | None) -> np.ndarray:
    """Speed (px/s, or px/frame without fps) by backward differences per person, NaN first.

    Not :func:`posekit.kinematics.speed`: that one takes central differences, needs fps and
    leaves a gap's neighbours NaN; the plot draws any keypoints table, with or without fps,
    and joins the points it has across missing frames (on the Sports2D sample the two differ
    by a median 72 px/s at the left ankle, so sharing one would change the figure).
    """
    fr, ob = _series_frame(sub)
    xy = sub[["x", "y"]].to_numpy(np.float64)
    out = np.full(len(sub), np.nan)
    for oid in np.unique(ob):
        idx = np.flatnonzero(ob == oid)
        idx = idx[np.argsort(fr[idx], kind="stable")]
        d = np.diff(xy[idx], axis=0)
        dt = np.diff(fr[idx]).astype(np.float64)
        if fps:
            dt = dt / fps
        out[idx[1:]] = np.hypot(d[:, 0], d[:, 1]) / dt
    return out


@renamed(person="object_id")
def confidence(
    kp: Any,
    *,
    object_id: int | None = None,
    fps: float | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Keypoint confidence as a heatmap: joints (rows) × frames (columns), for one person.

    Frames where the person is absent are left blank (NaN). The image's array is
    ``(17, n_frames)`` in joint order, from the person's first frame to their last.

    Parameters
    ----------
    kp
        A keypoints table (or PoseResult) with a ``score`` column.
    object_id
        The person; default the object_id present in the most frames (``person=`` is the old
        name, deprecated).
    fps
        x axis in seconds (default ``attrs["fps"]``; frames when unknown).
    cmap
        Matplotlib colour map name (scores 0 to 1).
    colorbar
        Add a colour bar of the score.
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        One image (``ax.images[0]``), joints as rows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ax = pk.plot.confidence(kp, object_id=1)
    >>> ax.images[0].get_array().shape, ax.get_title()
    ((17, 30), 'keypoint confidence · id 1')
    >>> plt.close(ax.figure)
    """
    kp = as_keypoints(kp, "confidence")
    if "score" not in kp.columns:
        raise ValueError("confidence: the table has no 'score' column")
    oid = (
        main_person(kp)
        if object_id is None
        else people_list(
            np.unique(kp.index.get_level_values("object_id")), object_id, "confidence"
        )[0]
    )
    sub = kp.xs(oid, level="object_id")
    frames_present = np.unique(sub.index.get_level_values("frame").to_numpy())
    f0, f1 = int(frames_present.min()), int(frames_present.max())
    grid = np.full((len(JOINTS), f1 - f0 + 1), np.nan)
    fr = sub.index.get_level_values("frame").to_numpy() - f0
    jc = (
        sub.index.get_level_values("joint").codes
        if hasattr(sub.index.get_level_values("joint"), "codes")
        else None
    )
    if jc is None:
        jc = np.array([JOINTS.index(str(j)) for j in sub.index.get_level_values("joint")])
    grid[np.asarray(jc), fr] = sub["score"].to_numpy(np.float64)
    ax = get_ax(ax, (9, 4))
    (t0, t1), label = time_values(np.array([f0 - 0.5, f1 + 0.5]), kp.attrs, fps)
    im = ax.imshow(
        grid,
        aspect="auto",
        cmap=cmap,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(t0, t1, len(JOINTS) - 0.5, -0.5),
    )
    ax.set_yticks(range(len(JOINTS)), JOINTS, fontsize=7)
    ax.set_xlabel(label)
    ax.set_title(f"keypoint confidence · id {oid}")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="score")
    return ax


@renamed(people="object_ids")
def angle_angle(
    angles: pd.DataFrame,
    x: str,
    y: str,
    *,
    object_ids: int | Iterable[int] | None = None,
    fps: float | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    linewidth: float = 2.0,
    ax: Axes | None = None,
) -> Axes:
    """One angle against another (a cyclogram), coloured by time.

    Parameters
    ----------
    angles
        An angles table indexed by (frame, object_id) or by frame, angle columns in degrees.
    x, y
        The angles on the horizontal and vertical axes (column names).
    object_ids
        The people to draw, one object_id or several; default all (``people=`` is the old
        name, deprecated).
    fps
        Colour by seconds (default ``attrs["fps"]``; frames when unknown).
    cmap
        Matplotlib colour map name.
    colorbar
        Add a colour bar of time.
    linewidth
        Width of the path in points.
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        Each person is one ``LineCollection`` with gid ``"angle-angle-<id>"``; axis labels in
        degrees.

    Examples
    --------
    A hip–knee cyclogram of one walker:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ang = pk.angles.joint_angles(kp)
    >>> ax = pk.plot.angle_angle(ang, "left_hip", "left_knee", object_ids=0)
    >>> [c.get_gid() for c in ax.collections], ax.get_xlabel()
    (['angle-angle-0'], 'left_hip (°)')
    >>> plt.close(ax.figure)
    """
    from matplotlib.colors import Normalize

    for col in (x, y):
        if col not in angles.columns:
            raise ValueError(f"angle_angle: no column {col!r} (columns {list(angles.columns)})")
    fr, ob = _series_frame(angles)
    t_all, label = time_values(fr, angles.attrs, fps)
    norm = (
        Normalize(float(np.nanmin(t_all)), float(np.nanmax(t_all)))
        if len(t_all)
        else Normalize(0, 1)
    )
    ax = get_ax(ax, (5, 5))
    lc = None
    for oid in people_list(np.unique(ob), object_ids, "angle_angle"):
        sel = np.flatnonzero(ob == oid)
        sel = sel[np.argsort(fr[sel], kind="stable")]
        xy = np.column_stack(
            [angles[x].to_numpy(np.float64)[sel], angles[y].to_numpy(np.float64)[sel]]
        )
        lc = _colored_path(
            ax, xy, t_all[sel], cmap=cmap, norm=norm, linewidth=linewidth, gid=f"angle-angle-{oid}"
        )
    ax.autoscale_view()
    ax.set_xlabel(f"{x} (°)")
    ax.set_ylabel(f"{y} (°)")
    if colorbar and lc is not None:
        ax.figure.colorbar(lc, ax=ax, label=label, shrink=0.8)
    return ax
