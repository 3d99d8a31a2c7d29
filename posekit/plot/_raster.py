"""Drawing skeletons straight into RGB arrays with numpy (no figure), for the Player and the
overlay export, where a matplotlib figure per frame would cost tens of milliseconds.

Lines are sampled one pixel apart and stamped with a disk; low-confidence parts are alpha-blended
("faded") onto the picture. Each pixel of one stroke is blended once (duplicates removed), so a
faded line has an even tone.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import numpy as np

__all__ = ["blank", "draw_skeletons", "encode_jpeg", "encode_png"]


@lru_cache(maxsize=16)
def _disk(radius: int) -> tuple[np.ndarray, np.ndarray]:
    r = max(int(radius), 0)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    keep = dx * dx + dy * dy <= r * r + r  # a little fuller than the exact disk
    return dy[keep].astype(np.int64), dx[keep].astype(np.int64)


def _line_pixels(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    n = int(np.ceil(np.abs(p1 - p0).max())) + 1
    t = np.linspace(0.0, 1.0, max(n, 2))[:, None]
    return np.rint(p0 + t * (p1 - p0)).astype(np.int64)


def _stamp(img: np.ndarray, centres: np.ndarray, radius: int, rgb, alpha: float) -> None:
    """Blend a disk of ``radius`` around each centre (x, y) into ``img`` (in place)."""
    if len(centres) == 0:
        return
    h, w = img.shape[:2]
    dy, dx = _disk(radius)
    ys = (centres[:, 1:2] + dy[None, :]).ravel()
    xs = (centres[:, 0:1] + dx[None, :]).ravel()
    ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    lin = np.unique(ys[ok] * w + xs[ok])
    flat = img.reshape(-1, img.shape[2])
    colour = np.asarray(rgb, dtype=np.float32)
    if alpha >= 1.0:
        flat[lin] = colour.astype(np.uint8)
    else:
        flat[lin] = (flat[lin] * (1.0 - alpha) + colour * alpha + 0.5).astype(np.uint8)


def draw_skeletons(
    img: np.ndarray,
    xy: np.ndarray,
    score: np.ndarray | None,
    pairs: np.ndarray,
    colours: np.ndarray,
    *,
    min_score: float = 0.2,
    faded_alpha: float = 0.35,
    thickness: int = 3,
    radius: int = 4,
    joint_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Draw people's skeletons into ``img`` (modified in place and returned).

    Parameters
    ----------
    img
        ``(H, W, 3)`` uint8 RGB picture, C-contiguous.
    xy
        ``(P, 17, 2)`` joint positions in the picture's pixels; NaN joints are not drawn.
    score
        ``(P, 17)`` confidences, or None (all confident). Joints below ``min_score`` and lines
        touching them are blended with ``faded_alpha``.
    pairs
        ``(n, 2)`` 0-based joint pairs.
    colours
        ``(P, 3)`` 0–255 RGB, one per person.
    joint_mask
        ``(17,)`` bool: joints to draw (lines need both ends).
    """
    if not img.flags.c_contiguous:
        raise ValueError("img must be C-contiguous")
    n_people = xy.shape[0]
    mask = np.ones(xy.shape[1], bool) if joint_mask is None else np.asarray(joint_mask, bool)
    for p in range(n_people):
        pts = xy[p]
        finite = np.isfinite(pts).all(axis=1) & mask
        if not finite.any():
            continue
        confident = (
            finite if score is None else finite & ~(np.nan_to_num(score[p], nan=0.0) < min_score)
        )
        rgb = colours[p]
        strong: list[np.ndarray] = []
        weak: list[np.ndarray] = []
        for a, b in pairs:
            if finite[a] and finite[b]:
                (strong if confident[a] and confident[b] else weak).append(
                    _line_pixels(pts[a], pts[b])
                )
        if weak:
            _stamp(img, np.concatenate(weak), thickness // 2, rgb, faded_alpha)
        if strong:
            _stamp(img, np.concatenate(strong), thickness // 2, rgb, 1.0)
        joints = np.rint(pts).astype(np.int64, copy=False) if finite.all() else None
        if joints is None:
            joints = np.zeros(pts.shape, np.int64)
            joints[finite] = np.rint(pts[finite])
        low = finite & ~confident
        if low.any():
            _stamp(img, joints[low], radius, rgb, faded_alpha)
        if confident.any():
            _stamp(img, joints[confident], radius + 1, (255, 255, 255), 1.0)
            _stamp(img, joints[confident], radius, rgb, 1.0)
    return img


def blank(width: int, height: int, value: int = 32) -> np.ndarray:
    """A dark ``(height, width, 3)`` canvas for tables without a video."""
    return np.full((int(height), int(width), 3), value, dtype=np.uint8)


def encode_jpeg(img: np.ndarray, quality: int = 80) -> bytes:
    """JPEG bytes of an RGB array (Pillow, which matplotlib depends on; libjpeg-turbo)."""
    from PIL import Image

    buf = BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def encode_png(img: np.ndarray) -> bytes:
    """PNG bytes of an RGB array, fast (zlib level 1): for plots, where JPEG smears thin lines."""
    from PIL import Image

    buf = BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
