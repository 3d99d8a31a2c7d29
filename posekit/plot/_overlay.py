"""Skeletons of a table drawn frame by frame into RGB arrays (the Player and the video export)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from posekit.plot._colours import colour_scheme, joint_sides
from posekit.plot._common import as_keypoints, skeleton_pairs
from posekit.plot._raster import draw_label, draw_path, draw_skeletons
from posekit.schema import JOINT_INDEX
from posekit.tidy import filled_mask, to_dense

__all__ = ["Overlay"]


class Overlay:
    """A keypoints table prepared for fast per-frame drawing.

    Parameters
    ----------
    data
        Keypoints table or PoseResult.
    skeleton
        1-based joint pairs (default the result's, ``attrs["skeleton"]`` or Kakao's).
    min_score
        Joints below it (and lines touching them) are faded; joints with score 0 (the API's
        "not detected") are not drawn. Filled points (``filled`` column) are drawn hollow and
        the bones touching them dashed.
    """

    def __init__(
        self, data: Any, *, skeleton: Sequence[Sequence[int]] | None = None, min_score: float = 0.2
    ) -> None:
        kp = as_keypoints(data, "overlay", stacklevel=4)
        self.attrs = dict(kp.attrs)
        self.pairs = skeleton_pairs(skeleton, like=kp)
        cols = ("x", "y", "score") if "score" in kp.columns else ("x", "y")
        dense = to_dense(kp, cols)
        self.xy = np.ascontiguousarray(dense.values[..., :2])
        self.score = dense.values[..., 2] if len(cols) == 3 else None
        self.filled = None
        if "filled" in kp.columns:
            self.filled = np.zeros(self.xy.shape[:3], dtype=bool)
            self.filled[dense.rows] = filled_mask(kp)
        if self.score is not None:
            # score 0 is the API's "not detected" (with made-up or zero coordinates): not drawn
            self.xy[self.score <= 0] = np.nan
        self.frames = dense.frames
        self.object_ids = dense.object_ids
        self.present = dense.present
        scheme = colour_scheme()
        # (P, 3, 3): per person the left, right and middle colours
        self.colours = np.array(
            [scheme.sides_rgb(int(o)) for o in self.object_ids], dtype=np.uint8
        ).reshape(-1, 3, 3)
        self.min_score = float(min_score)
        self._row = {int(f): i for i, f in enumerate(self.frames)}

    @property
    def n_frames(self) -> int:
        """One more than the last frame number (frames are 0-based)."""
        return int(self.frames[-1]) + 1 if len(self.frames) else 0

    def extent(self) -> tuple[float, float]:
        """(width, height) that holds every point: attrs when known, else the data's extent."""
        w, h = self.attrs.get("width"), self.attrs.get("height")
        if w and h:
            return float(w), float(h)
        with np.errstate(all="ignore"):
            mx = (
                np.nanmax(self.xy.reshape(-1, 2), axis=0)
                if self.xy.size
                else np.array([np.nan] * 2)
            )
        if not np.all(np.isfinite(mx)):
            return 640.0, 480.0
        return float(mx[0] * 1.1 + 10), float(mx[1] * 1.1 + 10)

    def draw(
        self,
        img: np.ndarray,
        frame: int,
        *,
        scale: tuple[float, float] = (1.0, 1.0),
        people: np.ndarray | None = None,
        joints: np.ndarray | None = None,
        thickness: int | None = None,
        radius: int | None = None,
        labels: bool = True,
    ) -> np.ndarray:
        """Draw frame ``frame``'s skeletons into ``img`` (in place; returned).

        ``scale`` maps table pixels to ``img`` pixels; ``people`` is a bool mask over
        ``object_ids``; ``joints`` a bool mask over the 17 joints; ``labels`` writes each
        person's id above their highest drawn joint.
        """
        i = self._row.get(int(frame))
        if i is None:
            return img
        sel = self.present[i] if people is None else self.present[i] & np.asarray(people, bool)
        if not sel.any():
            return img
        xy = self.xy[i, sel] * np.asarray(scale, dtype=np.float64)
        score = None if self.score is None else self.score[i, sel]
        filled = None if self.filled is None else self.filled[i, sel]
        size = min(img.shape[:2])
        t = thickness if thickness is not None else max(2, round(size / 250))
        r = radius if radius is not None else max(2, round(size / 200))
        draw_skeletons(
            img,
            xy,
            score,
            self.pairs,
            self.colours[sel],
            min_score=self.min_score,
            thickness=t,
            radius=r,
            joint_mask=joints,
            filled=filled,
        )
        if labels:
            self._labels(img, xy, score, np.flatnonzero(sel), joints, size)
        return img

    def _labels(self, img, xy, score, people_idx, joints, size) -> None:
        font = max(12, round(size / 30))
        for k, p in enumerate(people_idx):
            ok = np.isfinite(xy[k]).all(axis=1)
            if joints is not None:
                ok &= np.asarray(joints, bool)
            if not ok.any():
                continue
            top = int(np.argmin(np.where(ok, xy[k, :, 1], np.inf)))
            hue = self.colours[p, 2]
            # dark text on light hues, white on dark ones (Rec. 601 luma)
            light = float(hue @ np.array([0.299, 0.587, 0.114])) > 150
            draw_label(
                img,
                f"id {int(self.object_ids[p])}",
                float(xy[k, top, 0]),
                float(xy[k, top, 1]) - font * 0.6,
                size=font,
                colour=(0, 0, 0) if light else (255, 255, 255),
                background=(int(hue[0]), int(hue[1]), int(hue[2])),
                anchor="cb",
            )

    def draw_trail(
        self,
        img: np.ndarray,
        frame: int,
        length: int,
        joints: Sequence[str],
        *,
        scale: tuple[float, float] = (1.0, 1.0),
        people: np.ndarray | None = None,
        thickness: int | None = None,
    ) -> np.ndarray:
        """Draw the path of ``joints`` over the last ``length`` frames up to ``frame``.

        Older parts are lighter; each joint is in its side's colour.
        """
        i = self._row.get(int(frame))
        if i is None or length < 1:
            return img
        i0 = int(np.searchsorted(self.frames, int(frame) - int(length)))
        size = min(img.shape[:2])
        t = thickness if thickness is not None else max(2, round(size / 300))
        sides = joint_sides()
        sel = np.ones(len(self.object_ids), bool) if people is None else np.asarray(people, bool)
        sc = np.asarray(scale, dtype=np.float64)
        for p in np.flatnonzero(sel):
            for name in joints:
                j = JOINT_INDEX[name]
                path = self.xy[i0 : i + 1, p, j] * sc
                if np.isfinite(path).all(axis=1).sum() >= 2:
                    draw_path(img, path, self.colours[p, sides[j]], thickness=t)
        return img

    def stamp(self, img: np.ndarray, frame: int, fps: float | None) -> np.ndarray:
        """Write the frame number (and time when ``fps`` is known) in the top-left corner."""
        size = max(11, round(min(img.shape[:2]) / 36))
        text = f"frame {int(frame)}" + (f"  {int(frame) / fps:.2f} s" if fps else "")
        return draw_label(img, text, 6, 6, size=size)
