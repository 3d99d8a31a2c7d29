"""The skeletons of one frame, optionally over the video frame or an image."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from posekit._renamed import renamed
from posekit.plot._colours import SIDES, joint_sides, pair_sides
from posekit.plot._common import (
    as_keypoints,
    get_ax,
    image_axes,
    joint_list,
    people_list,
    person_color,
    skeleton_pairs,
)
from posekit.schema import JOINT_INDEX
from posekit.tidy import filled_mask

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["skeleton"]


def _frame_rows(kp: pd.DataFrame, frame: int | None) -> tuple[int, pd.DataFrame]:
    frames = kp.index.get_level_values("frame")
    if frame is None:
        if len(frames) == 0:
            raise ValueError("skeleton: the table is empty")
        frame = int(frames.min())
    rows = kp[frames == int(frame)]
    if rows.empty:
        lo, hi = (int(frames.min()), int(frames.max())) if len(frames) else (None, None)
        raise ValueError(f"skeleton: frame {frame} is not in the table (frames {lo}..{hi})")
    return int(frame), rows


@renamed(people="object_ids")
def skeleton(
    data: Any,
    frame: int | None = None,
    *,
    image: np.ndarray | str | os.PathLike[str] | None = None,
    video: Any = None,
    object_ids: int | Iterable[int] | None = None,
    joints: Iterable[str] | None = None,
    skeleton: Sequence[Sequence[int]] | None = None,
    min_score: float = 0.2,
    faded_alpha: float = 0.3,
    linewidth: float = 2.5,
    markersize: float = 25.0,
    labels: bool = True,
    side_legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Draw the skeletons of one frame, low-confidence parts faded.

    Colours follow :func:`posekit.plot.colour_scheme`: a hue per person, the left side dark,
    the right side light, the middle (nose, shoulder and hip bars) the hue itself.

    Parameters
    ----------
    data
        A keypoints table (a :class:`~posekit.PoseResult` is deprecated: pass its
        :meth:`~posekit.PoseResult.keypoints`, which carry its skeleton).
    frame
        Frame number (the ``frame`` index level); default the first frame of the table.
    image
        A picture to draw on: an ``(H, W, 3)`` array or an image file.
    video
        A video file (or :class:`posekit._frames.FrameSource`): its frame ``frame`` is drawn under
        the skeletons.
    object_ids, joints
        Which people (one object_id or several) and joints to draw (default all).
        ``people=`` is the old name of ``object_ids``, deprecated.
    skeleton
        1-based joint pairs; default ``table.attrs["skeleton"]`` (a result's own skeleton,
        which :meth:`~posekit.PoseResult.keypoints` puts there), else
        :data:`posekit.schema.KAKAO_SKELETON`.
    min_score
        Joints with a score below this, and lines touching them, are drawn with ``faded_alpha``.
        Joints with score 0 (the API's "not detected") are not drawn. Filled points (the
        ``filled`` column, see :func:`posekit.clean.interpolate`) are drawn hollow and the
        bones touching them dashed.
    labels
        Write each person's ``object_id`` in a box above the head (gid ``"label-<id>"``).
    side_legend
        A small legend naming the left and right colours (of the first person drawn).

    faded_alpha
        Opacity (0–1) of the faded low-confidence parts.
    linewidth
        Width of the bones in points.
    markersize
        Size of the joint markers (matplotlib ``scatter``'s ``s``, points²).
    ax
        Axes to draw on; default a new figure.

    Returns
    -------
    Axes
        Image-plane axes (y down, equal aspect). Each person is one ``LineCollection`` (gid
        ``"skeleton-<id>"``) and one scatter (gid ``"joints-<id>"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> ax = pk.plot.skeleton(kp, frame=10)
    >>> [c.get_gid() for c in ax.collections], ax.get_title(), bool(ax.yaxis_inverted())
    (['skeleton-0', 'joints-0', 'skeleton-1', 'joints-1'], 'frame 10', True)
    >>> plt.close(ax.figure)
    """
    from matplotlib import patheffects
    from matplotlib.collections import LineCollection

    kp = as_keypoints(data, "skeleton")
    pairs = skeleton_pairs(skeleton, like=kp)
    frame, rows = _frame_rows(kp, frame)
    ax = get_ax(ax, (6, 6))
    width, height = kp.attrs.get("width"), kp.attrs.get("height")

    picture = None
    if video is not None:
        from posekit._frames import FrameSource

        src = video if isinstance(video, FrameSource) else FrameSource(video, cache_size=1)
        try:
            picture = src.frame(frame)
            width, height = src.width, src.height
        finally:
            if src is not video:  # opened here: close the file again
                src.close()
    elif image is not None:
        if isinstance(image, (str, os.PathLike)):
            import matplotlib.image as mpimg

            picture = mpimg.imread(os.fspath(image))
        else:
            picture = np.asarray(image)
        height, width = picture.shape[:2]
    if picture is not None:
        ax.imshow(picture, extent=(0, width, height, 0), interpolation="nearest")

    mask = np.zeros(len(JOINT_INDEX), bool)
    mask[[JOINT_INDEX[j] for j in joint_list(joints)]] = True
    obj_level = rows.index.get_level_values("object_id")
    ids = people_list(np.unique(obj_level), object_ids, "skeleton")
    has_score = "score" in rows.columns
    jsides = joint_sides()
    for oid in ids:
        person = rows[obj_level == oid]
        jidx = np.array([JOINT_INDEX[str(j)] for j in person.index.get_level_values("joint")])
        xy = np.full((len(JOINT_INDEX), 2), np.nan)
        sc = np.ones(len(JOINT_INDEX))
        est = np.zeros(len(JOINT_INDEX), bool)
        xy[jidx] = person[["x", "y"]].to_numpy(np.float64)
        est[jidx] = filled_mask(person)
        if has_score:
            sc[jidx] = person["score"].to_numpy(np.float64)
        # score 0: "not detected"; a filled point (NaN score) is an estimate, drawn hollow
        finite = np.isfinite(xy).all(axis=1) & mask & ~(sc <= 0)
        est &= finite
        confident = finite & ((sc >= min_score) | est)
        side_colour = [person_color(oid, s) for s in SIDES]  # left, right, middle
        segs, rgba, styles = [], [], []
        for (a, b), side in zip(pairs, pair_sides(pairs), strict=True):
            if finite[a] and finite[b]:
                segs.append(xy[[a, b]])
                al = 1.0 if confident[a] and confident[b] else faded_alpha
                rgba.append((*side_colour[side], al))
                styles.append("--" if est[a] or est[b] else "-")
        lc = LineCollection(
            segs,
            colors=rgba,
            linewidths=linewidth,
            linestyles=styles or "-",
            capstyle="butt" if "--" in styles else "round",
            zorder=2,
        )
        # a thin dark halo: light (right side) shades stay visible on a bright picture
        lc.set_path_effects(
            [patheffects.Stroke(linewidth=linewidth + 1.2, foreground=(0, 0, 0, 0.4)),
             patheffects.Normal()]
        )  # fmt: skip
        lc.set_gid(f"skeleton-{oid}")
        ax.add_collection(lc)
        pts = xy[finite]
        pt_alpha = np.where(confident[finite], 1.0, faded_alpha)
        pt_side = jsides[finite]
        hollow = est[finite]
        sc_art = ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=markersize,
            c=[
                (*side_colour[sd], 0.0 if h else al)
                for sd, al, h in zip(pt_side, pt_alpha, hollow, strict=True)
            ],
            edgecolors=[
                side_colour[sd] if h else "white" for sd, h in zip(pt_side, hollow, strict=True)
            ]
            or "white",
            linewidths=[1.6 if h else 0.6 for h in hollow] or 0.6,
            zorder=3,
        )
        sc_art.set_gid(f"joints-{oid}")
        if labels and finite.any():
            # beside the head, above it: a boxed label in the person's colour
            top = int(np.argmin(np.where(finite, xy[:, 1], np.inf)))
            hue = side_colour[2]
            light = 0.299 * hue[0] + 0.587 * hue[1] + 0.114 * hue[2] > 0.6
            # near the picture's top edge the box would leave the axes (onto the title):
            # put it beside the head instead
            near_top = bool(height) and xy[top, 1] < 0.12 * float(height or 0)
            text = ax.annotate(
                f"id {oid}",
                xy[top],
                xytext=(16, 0) if near_top else (0, 14),
                textcoords="offset points",
                ha="left" if near_top else "center",
                va="center" if near_top else "bottom",
                color="black" if light else "white",
                fontsize=11,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.25", "fc": hue, "ec": "none", "alpha": 0.9},
                zorder=4,
            )
            text.set_gid(f"label-{oid}")
    if side_legend and ids:
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=person_color(ids[0], s), lw=3, label=s) for s in ("left", "right")
        ]
        leg = ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.8)
        leg.set_gid("side-legend")
    if picture is None and not (width and height):
        ax.autoscale_view()
    image_axes(ax, width, height)
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    ax.set_title(f"frame {frame}")
    return ax
