"""The notebook Player: a video (or blank canvas) with skeletons, play/pause, a frame slider,
speed, person and joint toggles, and an optional time-series plot whose cursor follows the frame.

Play and the slider are linked in the browser (``jslink``), so playback advances without waiting
for the kernel; the kernel draws each frame it is asked for (decode at display size, numpy
skeletons, JPEG) in a few milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from posekit.plot._overlay import Overlay
from posekit.plot._raster import blank, encode_jpeg, encode_png
from posekit.schema import JOINTS

__all__ = ["Player"]

_SPEEDS = (("0.25×", 0.25), ("0.5×", 0.5), ("1×", 1.0), ("2×", 2.0), ("4×", 4.0))


class _SeriesStrip:
    """A time-series figure rendered once; each frame only paints the cursor into a copy."""

    def __init__(self, series: pd.DataFrame | pd.Series, fps: float | None, width_px: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from posekit.plot.series import timeseries

        dpi = 100
        fig = Figure(figsize=(width_px / dpi, 2.6), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        timeseries(series, ax=ax, fps=fps)
        ax.legend(fontsize=7, loc="upper right", ncol=2)
        fig.tight_layout()
        canvas.draw()
        self.fps = fps
        self.background = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])
        h = self.background.shape[0]
        _, y0, _, y1 = ax.bbox.extents
        self._rows = (int(h - y1), int(h - y0))
        self._trans = ax.transData
        self._xlim = ax.get_xlim()

    def image(self, frame: int) -> bytes:
        img = self.background.copy()
        x = frame / self.fps if self.fps else float(frame)
        px = round(float(self._trans.transform((x, 0.0))[0]))
        r0, r1 = self._rows
        if 1 <= px < img.shape[1] - 1:
            img[r0:r1, px - 1 : px + 2] = (214, 39, 40)
        return encode_png(img)


class Player(widgets.VBox):
    """Play a keypoints table over its video (or a blank canvas) in a notebook.

    Parameters
    ----------
    kp
        Keypoints table (or PoseResult).
    video
        The video the table was made from (path); None draws on a dark canvas.
    compare
        ``{"name": table}``: further tables shown side by side with ``kp`` (for example raw
        against smoothed), all on the same frame.
    series
        A table indexed by (frame, object_id) (joint angles, ...) or a Series to plot under
        the picture, with a cursor at the current frame.
    fps
        Frame rate (default ``kp.attrs["fps"]``, else the video's).
    width
        Display width of each picture in pixels (the video is scaled while decoding); default
        fits the picture in 640 × 640 (640 wide for landscape video).
    label
        Name of ``kp``'s panel in side-by-side mode.
    min_score
        Joints below it are faded.
    skeleton
        1-based joint pairs (default the result's or Kakao's).
    quality
        JPEG quality of the displayed frames.

    Examples
    --------
    >>> Player(kp, "clip.mp4", series=pk.angles.joint_angles(kp)[["left_knee"]])  # doctest: +SKIP
    """

    def __init__(
        self,
        kp: Any,
        video: str | os.PathLike[str] | None = None,
        *,
        compare: Mapping[str, Any] | None = None,
        series: pd.DataFrame | pd.Series | None = None,
        fps: float | None = None,
        width: int | None = None,
        label: str = "raw",
        min_score: float = 0.2,
        skeleton: Sequence[Sequence[int]] | None = None,
        cache_size: int = 64,
        quality: int = 80,
    ) -> None:
        self._overlays: dict[str, Overlay] = {
            label: Overlay(kp, skeleton=skeleton, min_score=min_score)
        }
        for name, table in (compare or {}).items():
            self._overlays[str(name)] = Overlay(table, skeleton=skeleton, min_score=min_score)
        first = self._overlays[label]
        self._source = None
        if video is not None:
            from posekit._frames import FrameSource

            self._source = FrameSource(video, cache_size=cache_size)
            src_w, src_h = float(self._source.width), float(self._source.height)
        else:
            src_w, src_h = first.extent()
        self._src_w = float(src_w)
        self.quality = int(quality)
        self.fps = fps or first.attrs.get("fps") or (self._source.fps if self._source else None)
        if width is None:
            width = 640 if src_w >= src_h else max(2, round(640 * src_w / src_h))
        self.display_width = int(width)
        self.display_height = max(2, round(src_h * self.display_width / src_w))
        try:
            self._scales = {
                name: self._scale(ov, src_w, src_h) for name, ov in self._overlays.items()
            }
        except ValueError:
            if self._source is not None:
                self._source.close()
            raise
        self._canvas = blank(self.display_width, self.display_height)

        n_table = max(ov.n_frames for ov in self._overlays.values())
        n = n_table
        if self._source is not None:
            n = self._source.n_frames or n_table
            if n_table > n:
                warnings.warn(
                    f"Player: the table has frames up to {n_table - 1} but the video only {n} "
                    f"frames; the player stops at frame {n - 1}",
                    stacklevel=2,
                )
        starts = [int(ov.frames[0]) for ov in self._overlays.values() if len(ov.frames)]
        lo = 0 if self._source is not None else (min(starts) if starts else 0)
        hi = max(lo, n - 1)

        interval = self._interval(1.0)
        self.play = widgets.Play(
            value=lo, min=lo, max=hi, step=1, interval=interval, description="play"
        )
        self.slider = widgets.IntSlider(
            value=lo,
            min=lo,
            max=hi,
            step=1,
            description="frame",
            continuous_update=True,
            layout=widgets.Layout(width="100%"),
        )
        self._link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.speed = widgets.Dropdown(
            options=_SPEEDS, value=1.0, description="speed", layout=widgets.Layout(width="150px")
        )
        self.speed.observe(self._on_speed, "value")
        self.counter = widgets.Label(value="", layout=widgets.Layout(min_width="160px"))
        self.counter.add_class("posekit-counter")

        ids = sorted({int(o) for ov in self._overlays.values() for o in ov.object_ids})
        self.people = widgets.SelectMultiple(
            options=[(f"id {o}", o) for o in ids],
            value=tuple(ids),
            rows=min(max(len(ids), 2), 5),
            description="people",
        )
        self.joints = widgets.SelectMultiple(
            options=list(JOINTS), value=tuple(JOINTS), rows=6, description="joints"
        )
        self.images: dict[str, widgets.Image] = {}
        panels = []
        for name in self._overlays:
            image = widgets.Image(
                format="jpeg", width=self.display_width, height=self.display_height
            )
            image.add_class("posekit-frame")
            self.images[name] = image
            panels.append(
                widgets.VBox([widgets.HTML(f"<b>{name}</b>"), image]) if compare else image
            )
        self.series_image = None
        self._strip = None
        rows: list[widgets.Widget] = [
            widgets.HBox([self.play, self.speed, self.counter]),
            self.slider,
            widgets.HBox(panels),
        ]
        if series is not None:
            self._strip = _SeriesStrip(series, self.fps, self.display_width * len(panels))
            h, w = self._strip.background.shape[:2]
            self.series_image = widgets.Image(format="png", width=w, height=h)
            rows.append(self.series_image)
        rows.append(widgets.HBox([self.people, self.joints]))
        super().__init__(rows)
        self.add_class("posekit-player")

        self._pending = False
        self._target = lo
        self._shown = lo
        self.slider.observe(self._on_frame, "value")
        self.people.observe(self._redraw, "value")
        self.joints.observe(self._redraw, "value")
        self.show(lo)

    # -- drawing -----------------------------------------------------------------------------
    @staticmethod
    def _scale(ov: Overlay, src_w: float, src_h: float) -> tuple[float, float]:
        """Table pixels -> video pixels; a table made for another picture is refused."""
        w, h = ov.attrs.get("width"), ov.attrs.get("height")
        if not (w and h) or (int(w), int(h)) == (int(src_w), int(src_h)):
            return (1.0, 1.0)
        if abs(w / h - src_w / src_h) > 0.01:
            raise ValueError(
                f"Player: the table is for {w}x{h} frames but the video is "
                f"{int(src_w)}x{int(src_h)} (another aspect ratio): wrong video?"
            )
        warnings.warn(
            f"Player: the table is for {w}x{h} frames, the video is {int(src_w)}x{int(src_h)}; "
            "scaling the points",
            stacklevel=3,
        )
        return (src_w / float(w), src_h / float(h))

    def _interval(self, speed: float) -> int:
        return max(1, round(1000.0 / ((self.fps or 25.0) * speed)))

    def frame_images(self, frame: int) -> dict[str, np.ndarray]:
        """The RGB pictures of ``frame`` (one per panel), as they are displayed."""
        base = self._canvas
        if self._source is not None and 0 <= frame < (self._source.n_frames or frame + 1):
            try:
                base = self._source.frame(
                    frame, width=self.display_width, height=self.display_height
                )
            except IndexError:  # the container announced more frames than it holds
                pass
        people_sel = set(self.people.value)
        joint_mask = np.isin(np.array(JOINTS), np.array(self.joints.value, dtype=object))
        out = {}
        dw = self.display_width
        for name, ov in self._overlays.items():
            img = base.copy()
            sx, sy = self._scales[name]
            k = dw / self._src_w
            mask = np.isin(ov.object_ids, list(people_sel))
            ov.draw(img, frame, scale=(sx * k, sy * k), people=mask, joints=joint_mask)
            out[name] = img
        return out

    def render(self, frame: int) -> dict[str, bytes]:
        """Decode, draw and encode ``frame``: JPEG bytes per panel (what the Player shows)."""
        return {
            name: encode_jpeg(img, self.quality) for name, img in self.frame_images(frame).items()
        }

    def show(self, frame: int) -> None:
        """Display ``frame`` (also what moving the slider does)."""
        frame = int(frame)
        for name, data in self.render(frame).items():
            self.images[name].value = data
        if self._strip is not None and self.series_image is not None:
            self.series_image.value = self._strip.image(frame)
        t = f" · {frame / self.fps:.2f} s" if self.fps else ""
        self.counter.value = f"frame {frame} / {self.slider.max}{t}"
        self._shown = frame

    @property
    def frame(self) -> int:
        """The frame on display."""
        return self._shown

    # -- events ------------------------------------------------------------------------------
    def _on_frame(self, change: dict) -> None:
        # In a kernel, slider changes may arrive faster than frames are drawn (fast playback,
        # dragging): draw only the latest one, shortly after, so no backlog builds up.
        self._target = int(change["new"])
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # plain Python (scripts, tests): draw now
            self.show(self._target)
            return
        if not self._pending:
            self._pending = True
            loop.call_later(0.002, self._draw_latest)

    def _draw_latest(self) -> None:
        self._pending = False
        if self._target != self._shown:
            self.show(self._target)

    def _redraw(self, _change: dict | None = None) -> None:
        self.show(self.slider.value)

    def _on_speed(self, change: dict) -> None:
        self.play.interval = self._interval(float(change["new"]))

    def close(self) -> None:
        """Close the widgets and the video file."""
        if self._source is not None:
            self._source.close()
            self._source = None
        super().close()

    def save_frame(self, path: str | os.PathLike[str]) -> None:
        """Write the current picture(s) side by side as an image file (PNG or JPEG)."""
        from PIL import Image

        imgs = list(self.frame_images(self.frame).values())
        buf = BytesIO()
        Image.fromarray(np.concatenate(imgs, axis=1)).save(
            buf, format="PNG" if str(path).endswith(".png") else "JPEG"
        )
        from posekit.io import atomic_write

        atomic_write(path, buf.getvalue())
