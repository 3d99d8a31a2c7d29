"""Synthetic test videos whose frames say their own number (a binary code of big blocks)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

BLOCK = 32
BITS = 10


def frame_image(i: int, width: int, height: int, *, texture: bool = False) -> np.ndarray:
    rng = np.random.default_rng(i)
    img = np.full((height, width, 3), 60, np.uint8)
    if texture:  # camera-like content so decoding costs what a real video costs
        yy, xx = np.mgrid[0:height, 0:width]
        img[..., 0] = (xx * 255 // max(width - 1, 1)).astype(np.uint8)
        img[..., 1] = ((yy + 3 * i) % 256).astype(np.uint8)
        img[..., 2] = rng.integers(0, 255, (height, width), dtype=np.uint8)
    for b in range(BITS):
        v = 255 if (i >> b) & 1 else 0
        img[:BLOCK, b * BLOCK : (b + 1) * BLOCK] = v
    return img


def read_code(rgb: np.ndarray, scale: float = 1.0) -> int:
    """The frame number encoded by :func:`frame_image` (``scale``: display / video width)."""
    n = 0
    block = BLOCK * scale
    for b in range(BITS):
        y0, y1 = int(block * 0.25), int(block * 0.75)
        x0, x1 = int(b * block + block * 0.25), int(b * block + block * 0.75)
        if rgb[y0:y1, x0:x1].mean() > 128:
            n |= 1 << b
    return n


def make_video(
    path: Path,
    n_frames: int = 30,
    width: int = 320,
    height: int = 240,
    fps: int = 25,
    codec: str = "mpeg4",
    *,
    texture: bool = False,
    gop: int = 12,
) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        if codec in ("libx264", "h264"):
            stream.options = {"preset": "ultrafast"}
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(
                frame_image(i, width, height, texture=texture), format="rgb24"
            )
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
