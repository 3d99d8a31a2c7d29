"""Benchmark: the Player's frame update and the overlay export on 1080p video.

Targets (issue 4): Player frame update (decode + draw + encode for display) for 1920×1080 video
under 40 ms median; blank-canvas mode under 10 ms; overlay export at least 20 frames/s for 1080p.
Baseline: the obvious matplotlib way (read the frame, imshow + skeleton plot on a reused figure,
savefig to JPEG).

Videos: a synthetic textured 1920×1080 H.264 clip made here, and the Pose2Sim cam01.mp4
(1080×1920, 60 fps; `posekit.media.fetch_demo_video`, from the pose2sim wheel on PyPI, cached).

    .venv/bin/python bench/bench_player.py [--frames 90] [--no-demo]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import matplotlib

matplotlib.use("Agg")
import numpy as np
from _results import figure, write_results

import posekit as pk
from posekit.plot.render import render_video
from posekit.widgets import Player


def make_clip(path: Path, n: int, width: int = 1920, height: int = 1080, fps: int = 30) -> Path:
    """A camera-like clip: moving gradients plus noise (so decoding costs what real video does)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width]
    noise = rng.integers(0, 40, (height, width), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "23"}
        for i in range(n):
            img = np.empty((height, width, 3), np.uint8)
            img[..., 0] = (xx + 4 * i) % 256
            img[..., 1] = (yy + 2 * i) % 256
            img[..., 2] = noise + (i % 50)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def table_for(video: Path, n_people: int = 2):
    with av.open(str(video)) as c:
        st = c.streams.video[0]
        w, h, fps, n = (
            st.codec_context.width,
            st.codec_context.height,
            float(st.average_rate),
            st.frames,
        )
    syn = pk.synth.generate(
        "walk",
        duration_s=n / fps,
        fps=fps,
        n_people=n_people,
        width=w,
        height=h,
        noise_px=1.0,
        seed=0,
    )
    return syn.result.keypoints()


def ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def time_player(kp, video, frames, *, width, order="sequential") -> float:
    p = Player(kp, video, width=width)
    if p._source is not None:
        p._source._cache.clear()
    idx = list(frames)
    if order == "random":
        random.Random(0).shuffle(idx)
    out = []
    for i in idx:
        t = time.perf_counter()
        p.render(i)
        out.append(time.perf_counter() - t)
    p.close()
    return ms(out)


def time_matplotlib(kp, video, frames, *, width) -> float:
    """The obvious way: VideoReader.read + imshow + pk.plot.skeleton on a reused figure + JPEG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from posekit.video import VideoReader

    reader = VideoReader(video) if video else None
    w, h = (reader.width, reader.height) if reader else (kp.attrs["width"], kp.attrs["height"])
    fig = Figure(figsize=(width / 100, width * h / w / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    out = []
    for i in frames:
        t = time.perf_counter()
        ax.clear()
        if reader is not None:
            ax.imshow(reader.read(i))
        pk.plot.skeleton(kp, i, ax=ax, labels=False)
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="jpeg")
        out.append(time.perf_counter() - t)
    if reader is not None:
        reader.close()
    return ms(out)


def time_export(kp, video, tmp: Path, n: int) -> tuple[float, float]:
    """(overlay export frames/s, decode+encode-only frames/s for reference)."""
    t = time.perf_counter()
    render_video(kp, video, tmp / "o.mp4", progress=False, stop=n)
    fps_overlay = n / (time.perf_counter() - t)
    t = time.perf_counter()
    with av.open(str(video)) as src, av.open(str(tmp / "plain.mp4"), "w") as out:
        st = src.streams.video[0]
        st.thread_type = "AUTO"
        o = out.add_stream("libx264", rate=st.average_rate)
        o.width, o.height, o.pix_fmt = st.codec_context.width, st.codec_context.height, "yuv420p"
        o.options = {"preset": "veryfast", "crf": "23"}
        k = 0
        for fr in src.decode(st):
            img = fr.to_ndarray(format="rgb24")
            for p in o.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
            k += 1
            if k >= n:
                break
        for p in o.encode():
            out.mux(p)
    return fps_overlay, n / (time.perf_counter() - t)


def row(name: str, value: float, unit: str, target: str, baseline: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISS")
    print(f"{name:<46} {value:>8.1f} {unit:<9} {target:<12} {baseline:<22} {mark}")


def bench(video: Path, label: str, n: int, tmp: Path) -> list[dict]:
    """Print the figures for one video and return them (for bench/results)."""
    kp = table_for(video)
    frames = range(min(n, len(np.unique(kp.index.get_level_values("frame")))))
    with av.open(str(video)) as c:
        st = c.streams.video[0]
        size = f"{st.codec_context.width}x{st.codec_context.height}"
    print(f"\n== {label} ({size}, {len(frames)} frames, 2 people)")
    print(f"{'figure':<46} {'value':>8} {'unit':<9} {'target':<12} {'baseline':<22}")
    base = time_matplotlib(kp, video, list(frames)[:15], width=640)
    v = time_player(kp, video, frames, width=640)
    figs = [
        figure(
            f"Player frame update, {size} {label}, shown at 640 px, playing",
            v,
            "ms",
            target=("<", 40),
            baseline=f"matplotlib imshow + savefig {base:.0f} ms",
        )
    ]
    row(
        "player update, display 640 px, playing",
        v,
        "ms",
        "< 40 ms",
        f"matplotlib {base:.0f} ms",
        v < 40,
    )
    v = time_player(kp, video, list(frames)[:30], width=640, order="random")
    row("player update, display 640 px, random scrub", v, "ms", "< 40 ms", "", v < 40)
    figs.append(figure("Player frame update, 640 px, random scrubbing", v, "ms", target=("<", 40)))
    full_w = 1920 if "1920x1080" in size else 1080
    base_full = time_matplotlib(kp, video, list(frames)[:10], width=full_w)
    v = time_player(kp, video, frames, width=full_w)
    figs.append(
        figure(
            f"Player frame update, full size ({full_w} px), playing",
            v,
            "ms",
            target=("<", 40),
            baseline=f"matplotlib {base_full:.0f} ms",
        )
    )
    row(
        f"player update, full size ({full_w} px), playing",
        v,
        "ms",
        "< 40 ms",
        f"matplotlib {base_full:.0f} ms",
        v < 40,
    )
    blank_base = time_matplotlib(kp, None, list(frames)[:15], width=640)
    v = time_player(kp, None, frames, width=640)
    figs.append(
        figure(
            "Player, blank canvas 640 px",
            v,
            "ms",
            target=("<", 10),
            baseline=f"matplotlib {blank_base:.0f} ms",
        )
    )
    row(
        "player update, blank canvas 640 px",
        v,
        "ms",
        "< 10 ms",
        f"matplotlib {blank_base:.0f} ms",
        v < 10,
    )
    v = time_player(kp, None, frames, width=full_w)
    row(f"player update, blank canvas {full_w} px", v, "ms", "< 10 ms", "", v < 10)
    figs.append(figure(f"Player, blank canvas {full_w} px", v, "ms", target=("<", 10)))
    fo, fr = time_export(kp, video, tmp, len(frames))
    row(
        "overlay export (decode+draw+H.264)",
        fo,
        "frames/s",
        ">= 20",
        f"no-overlay {fr:.1f}/s",
        fo >= 20,
    )
    figs.append(
        figure(
            f"overlay export, {size} (decode + draw + H.264)",
            fo,
            "frames/s",
            target=(">=", 20),
            baseline=f"decode + encode without overlay {fr:.1f} frames/s",
        )
    )
    return figs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--no-demo", action="store_true", help="skip the Pose2Sim cam01 video")
    args = ap.parse_args()
    import os

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clip = make_clip(tmp / "clip1080.mp4", args.frames)
        # the README's figures: the synthetic clip (the demo's are printed only)
        figs = bench(clip, "synthetic textured clip, H.264", args.frames, tmp)
        if not args.no_demo:
            from posekit.media import fetch_demo_video

            cam = fetch_demo_video("pose2sim_s01_cam01")
            bench(cam, "Pose2Sim cam01.mp4, H.264", args.frames, tmp)
    write_results("bench_player", figs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
