"""The notebook Player: a video (or blank canvas) with skeletons and controls.

Play/pause, a frame slider, ±1 frame steps, keyboard control, speed, person and joint toggles
(with presets), event marking, and an optional time-series plot whose cursor follows the frame.

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
from posekit.plot._raster import blank, draw_label, encode_jpeg, encode_png
from posekit.schema import JOINTS

__all__ = ["JOINT_PRESETS", "Player"]

_SPEEDS = (("0.25×", 0.25), ("0.5×", 0.5), ("1×", 1.0), ("2×", 2.0), ("4×", 4.0))

_TRUNK = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
#: quick choices of the joints shown (the "joints" list can still be edited by hand)
JOINT_PRESETS: dict[str, tuple[str, ...]] = {
    "all": tuple(JOINTS),
    "legs": ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"),
    "arms": (
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
        "right_wrist",
    ),
    "trunk": ("nose", *_TRUNK),
    "left": tuple(j for j in JOINTS if j.startswith("left_")),
    "right": tuple(j for j in JOINTS if j.startswith("right_")),
}  # fmt: skip

#: event names offered by the "mark" control (any other name can be typed)
EVENT_NAMES = ("heel strike left", "heel strike right", "toe off left", "toe off right")


def _default_label(table: Any) -> str:
    """A panel name saying what the table is: its last processing step, else "input"."""
    history = getattr(table, "attrs", {}).get("history") or []
    if history:
        step = str(history[-1]).split("(")[0]
        return step.rsplit(".", 1)[-1] or "input"
    return "input"


class _SeriesStrip:
    """A time-series figure rendered once; each frame only paints the cursor into a copy."""

    def __init__(self, series: pd.DataFrame | pd.Series, fps: float | None, width_px: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from posekit.plot.series import timeseries

        dpi = 100
        fig = Figure(figsize=(max(width_px, 640) / dpi, 2.6), dpi=dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        timeseries(series, ax=ax, fps=fps, legend=False)
        if ax.get_legend_handles_labels()[0]:  # beside the axes, never over the curves
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
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


_KEYS_ESM = """
function render({ model, el }) {
  el.classList.add("posekit-keys");
  el.textContent = "keys (click the picture first): \u2190 \u2192 one frame, space play/pause, m mark";
  el.style.fontSize = "11px";
  el.style.color = "var(--jp-ui-font-color2, #666)";
  const typing = (t) => t && ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName);
  const onKey = (e) => {
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const lo = model.get("min"), hi = model.get("max");
    let f = model.get("frame");
    if (e.key === "ArrowRight") f = Math.min(hi, f + 1);
    else if (e.key === "ArrowLeft") f = Math.max(lo, f - 1);
    else if (e.key === " ") model.set("playing", !model.get("playing"));
    else if (e.key === "m") model.set("marks", model.get("marks") + 1);
    else return;
    e.preventDefault();
    e.stopPropagation();
    model.set("frame", f);
    model.save_changes();
  };
  let player = null;
  const attach = () => {
    player = el.closest(".posekit-player");
    if (!player) { setTimeout(attach, 50); return; }
    player.tabIndex = 0;  // clicking the picture gives the player the keyboard
    player.setAttribute("data-lm-suppress-shortcuts", "true");  // not JupyterLab's
    player.addEventListener("keydown", onKey);
  };
  attach();
  return () => { if (player) player.removeEventListener("keydown", onKey); };
}
export default { render };
"""


def _keys_widget(lo: int, hi: int) -> widgets.DOMWidget:
    """The keyboard handler: a tiny anywidget driving the slider and the play button.

    Its ``frame``/``playing`` are jslinked to them, so keys act in the browser like the
    controls do.
    """
    import anywidget
    import traitlets

    class _Keys(anywidget.AnyWidget):
        _esm = _KEYS_ESM
        frame = traitlets.Int(lo).tag(sync=True)
        min = traitlets.Int(lo).tag(sync=True)
        max = traitlets.Int(hi).tag(sync=True)
        playing = traitlets.Bool(False).tag(sync=True)
        marks = traitlets.Int(0).tag(sync=True)  # times "m" was pressed

    return _Keys()


class Player(widgets.VBox):
    """Play a keypoints table over its video (or a blank canvas) in a notebook.

    Parameters
    ----------
    kp
        Keypoints table (a PoseResult is deprecated: pass its ``keypoints()``).
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
        Name of ``kp``'s panel (shown above it in side-by-side mode and in saved frames);
        default its last processing step from ``attrs["history"]`` (e.g. "butterworth"),
        else "input".
    labels
        Write each person's id above their head (a checkbox toggles it).
    stamp
        Write the frame number and time into the picture's corner (the counter beside the
        controls always shows them).
    events
        Names offered by the event marker (any other name can be typed).
    min_score
        Joints below it are faded.
    skeleton
        1-based joint pairs (default the result's or Kakao's).
    quality
        JPEG quality of the displayed frames.

    Notes
    -----
    Controls: play/pause, ``−1``/``+1`` frame, the slider, speed, people, joints with presets
    (:data:`JOINT_PRESETS`: all, legs, arms, trunk, left, right) and an ids checkbox. After a
    click on the picture the keyboard drives it: ← / → one frame, space play/pause, ``m`` marks
    the chosen event at the current frame. Marked events are in :attr:`events`.

    Examples
    --------
    >>> p = Player(kp, "clip.mp4", series=pk.angles.joint_angles(kp)[["left_knee"]])  # doctest: +SKIP
    >>> # ... step to each heel strike, press "mark" (or m) ...
    >>> p.events  # doctest: +SKIP
       frame  time             event
    0     12  0.40  heel strike left
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
        label: str | None = None,
        labels: bool = True,
        stamp: bool = False,
        events: Sequence[str] = EVENT_NAMES,
        min_score: float = 0.2,
        skeleton: Sequence[Sequence[int]] | None = None,
        cache_size: int = 64,
        quality: int = 80,
    ) -> None:
        label = _default_label(kp) if label is None else str(label)
        self.label = label
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
        small = widgets.Layout(width="64px")
        self.prev_button = widgets.Button(
            description="−1", tooltip="one frame back (←)", layout=small
        )
        self.next_button = widgets.Button(
            description="+1", tooltip="one frame on (→)", layout=small
        )
        self.prev_button.add_class("posekit-prev")
        self.next_button.add_class("posekit-next")
        self.prev_button.on_click(lambda _b: self.step(-1))
        self.next_button.on_click(lambda _b: self.step(1))
        self.keyboard = _keys_widget(lo, hi)
        self._key_links = (
            widgets.jslink((self.keyboard, "frame"), (self.slider, "value")),
            widgets.jslink((self.keyboard, "playing"), (self.play, "playing")),
        )
        self.keyboard.observe(lambda _c: self.mark(), "marks")

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
        self.preset = widgets.Dropdown(
            options=list(JOINT_PRESETS), value="all", description="show",
            layout=widgets.Layout(width="180px"),
        )  # fmt: skip
        self.preset.add_class("posekit-preset")
        self.preset.observe(self._on_preset, "value")
        self.show_ids = widgets.Checkbox(value=bool(labels), description="ids", indent=False)
        self.stamp = bool(stamp)
        self.event_name = widgets.Combobox(
            value=events[0] if len(events) else "event",
            options=list(events),
            description="event",
            ensure_option=False,
            layout=widgets.Layout(width="260px"),
        )
        self.mark_button = widgets.Button(
            description="mark", tooltip="record the current frame as this event (m)",
            button_style="info", layout=small,
        )  # fmt: skip
        self.undo_button = widgets.Button(
            description="undo", tooltip="forget the last mark", layout=small
        )
        self.mark_button.add_class("posekit-mark")
        self.mark_button.on_click(lambda _b: self.mark())
        self.undo_button.on_click(lambda _b: self.unmark())
        self.events_view = widgets.HTML(value="<i>no events marked</i>")
        self.events_view.add_class("posekit-events")
        self._events: list[tuple[int, str]] = []
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
            widgets.HBox([self.play, self.prev_button, self.next_button, self.speed, self.counter]),
            self.slider,
            widgets.HBox(panels),
        ]
        if series is not None:
            self._strip = _SeriesStrip(series, self.fps, self.display_width * len(panels))
            h, w = self._strip.background.shape[:2]
            self.series_image = widgets.Image(format="png", width=w, height=h)
            rows.append(self.series_image)
        rows.append(
            widgets.HBox([self.people, self.joints, widgets.VBox([self.preset, self.show_ids])])
        )
        rows.append(
            widgets.HBox([self.event_name, self.mark_button, self.undo_button, self.events_view])
        )
        rows.append(self.keyboard)
        super().__init__(rows)
        self.add_class("posekit-player")

        self._pending = False
        self._target = lo
        self._shown = lo
        self.slider.observe(self._on_frame, "value")
        self.people.observe(self._redraw, "value")
        self.joints.observe(self._redraw, "value")
        self.show_ids.observe(self._redraw, "value")
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
        """The RGB pictures of ``frame`` (one per panel), as they are displayed.

        Parameters
        ----------
        frame
            The frame number.

        Returns
        -------
        dict
            Panel name -> ``(height, width, 3)`` uint8 picture at display size.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> {name: img.shape for name, img in p.frame_images(3).items()}
        {'input': (360, 640, 3)}
        """
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
            ov.draw(
                img,
                frame,
                scale=(sx * k, sy * k),
                people=mask,
                joints=joint_mask,
                labels=self.show_ids.value,
            )
            if self.stamp:
                ov.stamp(img, frame, self.fps)
            out[name] = img
        return out

    def render(self, frame: int) -> dict[str, bytes]:
        """Decode, draw and encode ``frame``: JPEG bytes per panel (what the Player shows).

        Parameters
        ----------
        frame
            The frame number.

        Returns
        -------
        dict
            Panel name -> JPEG bytes.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.render(3)["input"][:2].hex()  # a JPEG's first bytes
        'ffd8'
        """
        return {
            name: encode_jpeg(img, self.quality) for name, img in self.frame_images(frame).items()
        }

    def show(self, frame: int) -> None:
        """Display ``frame`` (also what moving the slider does).

        Parameters
        ----------
        frame
            The frame number.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.show(10)
        >>> p.frame, p.counter.value
        (10, 'frame 10 / 29 · 0.33 s')
        """
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
        """The frame on display.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.frame
        0
        """
        return self._shown

    def step(self, n: int = 1) -> None:
        """Move ``n`` frames on (negative: back), within the slider's range.

        Parameters
        ----------
        n
            Frames to move.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.step(5)
        >>> p.step(-10)
        >>> p.frame
        0
        """
        self.slider.value = min(self.slider.max, max(self.slider.min, self.slider.value + int(n)))

    # -- events marked by the user -----------------------------------------------------------
    def mark(self, name: str | None = None, frame: int | None = None) -> None:
        """Record an event at a frame (see :attr:`events`).

        Parameters
        ----------
        name
            The event; default the one chosen in the Player.
        frame
            Where; default the frame on display.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.mark("heel strike left", frame=12)
        >>> p.events[["frame", "event"]].to_dict("records")
        [{'frame': 12, 'event': 'heel strike left'}]
        """
        name = str(self.event_name.value if name is None else name).strip() or "event"
        self._events.append((self.frame if frame is None else int(frame), name))
        self._show_events()

    def unmark(self) -> None:
        """Forget the last marked event.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.mark("toe off")
        >>> p.unmark()
        >>> len(p.events)
        0
        """
        if self._events:
            self._events.pop()
        self._show_events()

    @property
    def events(self) -> pd.DataFrame:
        """The marked events, in marking order.

        Returns
        -------
        DataFrame
            Columns ``frame``, ``time`` (s; NaN without fps) and ``event``.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.mark("heel strike left", frame=15)
        >>> p.events
           frame  time             event
        0     15   0.5  heel strike left
        """
        frames = np.array([f for f, _ in self._events], dtype=np.int64)
        time = frames / self.fps if self.fps else np.full(len(frames), np.nan)
        table = pd.DataFrame({"frame": frames, "time": time, "event": [e for _, e in self._events]})
        table.attrs["fps"] = self.fps
        return table

    def _show_events(self) -> None:
        if not self._events:
            self.events_view.value = "<i>no events marked</i>"
            return
        last = ", ".join(f"{e} @ {f}" for f, e in self._events[-3:])
        self.events_view.value = f"{len(self._events)} marked · last: {last}"

    # -- events ------------------------------------------------------------------------------
    def _on_preset(self, change: dict) -> None:
        self.joints.value = JOINT_PRESETS[str(change["new"])]

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
        """Close the widgets and the video file.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> p.close()
        """
        if self._source is not None:
            self._source.close()
            self._source = None
        super().close()

    def save_frame(self, path: str | os.PathLike[str]) -> None:
        """Write the current picture(s) side by side as an image file (PNG or JPEG).

        Side by side, each picture carries its panel's name at the top.

        Parameters
        ----------
        path
            The file to write: PNG if its name ends in ``.png``, else JPEG.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.widgets import Player
        >>> p = Player(pk.synth.generate("walk", duration_s=1, fps=30).result.keypoints())
        >>> import tempfile, pathlib
        >>> from PIL import Image
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p.save_frame(pathlib.Path(tmp) / "frame.png")
        ...     Image.open(pathlib.Path(tmp) / "frame.png").size
        (640, 360)
        """
        from PIL import Image

        pictures = self.frame_images(self.frame)
        imgs = []
        for name, img in pictures.items():
            if len(pictures) > 1:  # name each panel, as above them in the notebook
                size = max(12, round(min(img.shape[:2]) / 24))
                draw_label(img, name, img.shape[1] / 2, size * 1.8, size=size, anchor="cb")
            imgs.append(img)
        buf = BytesIO()
        Image.fromarray(np.concatenate(imgs, axis=1)).save(
            buf, format="PNG" if str(path).endswith(".png") else "JPEG"
        )
        from posekit.io import atomic_write

        atomic_write(path, buf.getvalue())
