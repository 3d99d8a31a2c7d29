"""Drawing skeletons straight into RGB arrays with numpy (no figure).

For the Player and the overlay export, where a matplotlib figure per frame would cost tens of
milliseconds.

Lines are sampled one pixel apart and stamped with a disk; low-confidence parts are alpha-blended
("faded") onto the picture. Each pixel of one stroke is blended once (duplicates removed), so a
faded line has an even tone. Filled points (estimates, not detections) are drawn hollow (a ring)
and the bones touching them dashed.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import numpy as np

from posekit.plot._colours import joint_sides, pair_sides

__all__ = [
    "blank",
    "draw_label",
    "draw_path",
    "draw_skeletons",
    "encode_jpeg",
    "encode_png",
]


@lru_cache(maxsize=16)
def _disk(radius: int) -> tuple[np.ndarray, np.ndarray]:
    r = max(int(radius), 0)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    keep = dx * dx + dy * dy <= r * r + r  # a little fuller than the exact disk
    return dy[keep].astype(np.int64), dx[keep].astype(np.int64)


@lru_cache(maxsize=16)
def _ring(radius: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    dy, dx = _disk(radius)
    iy, ix = _disk(radius - width) if radius > width else (np.zeros(0, int), np.zeros(0, int))
    inner = set(zip(iy.tolist(), ix.tolist(), strict=True))
    keep = np.array([(a, b) not in inner for a, b in zip(dy.tolist(), dx.tolist(), strict=True)])
    return dy[keep], dx[keep]


def _line_pixels(p0: np.ndarray, p1: np.ndarray, dash: int = 0) -> np.ndarray:
    """Pixels one apart from p0 to p1; with ``dash`` > 0 only every other ``dash`` of them."""
    n = int(np.ceil(np.abs(p1 - p0).max())) + 1
    t = np.linspace(0.0, 1.0, max(n, 2))[:, None]
    pix = np.rint(p0 + t * (p1 - p0)).astype(np.int64)
    if dash > 0:
        pix = pix[(np.arange(len(pix)) // dash) % 2 == 0]
    return pix


def _stamp(
    img: np.ndarray,
    centres: np.ndarray,
    radius: int,
    rgb,
    alpha: float,
    shape: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Blend a disk around each centre (x, y) into ``img`` (in place).

    The disk has ``radius``, or ``shape``'s offsets.
    """
    if len(centres) == 0:
        return
    h, w = img.shape[:2]
    dy, dx = _disk(radius) if shape is None else shape
    ys = (centres[:, 1:2] + dy[None, :]).ravel()
    xs = (centres[:, 0:1] + dx[None, :]).ravel()
    ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    lin = ys[ok] * w + xs[ok]
    flat = img.reshape(-1, img.shape[2])
    colour = np.asarray(rgb, dtype=np.float32)
    if alpha >= 1.0:
        flat[lin] = colour.astype(np.uint8)  # a pixel set twice is set alike
        return
    # blend each pixel once: sort and drop repeats (np.unique's hash path is ~8x slower here)
    lin.sort()
    lin = lin[np.concatenate(([True], lin[1:] != lin[:-1]))]
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
    outline: bool = False,
    filled: np.ndarray | None = None,
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
        ``(P, 3)`` 0–255 RGB, one per person, or ``(P, 3, 3)``: per person the left, right
        and middle colours (rows in :data:`posekit.plot._colours.SIDES` order); bones and
        joints then take the colour of their body side.
    joint_mask
        ``(17,)`` bool: joints to draw (lines need both ends).
    outline
        A thin dark halo under confident lines (off by default: it doubles the drawing time
        at 1080p, and the Player's speed target comes first).
    filled
        ``(P, 17)`` bool: filled points (estimates, score NaN). They are drawn as rings of the
        joint's colour, and the bones touching them dashed; not faded for their missing score.
    """
    if not img.flags.c_contiguous:
        raise ValueError("img must be C-contiguous")
    n_people = xy.shape[0]
    colours = np.asarray(colours)
    if colours.ndim == 2:  # one colour per person: every side the same
        colours = np.repeat(colours[:, None, :], 3, axis=1)
    bone_side = pair_sides(pairs) if len(pairs) else np.zeros(0, np.int64)
    jside = joint_sides()
    mask = np.ones(xy.shape[1], bool) if joint_mask is None else np.asarray(joint_mask, bool)
    dash = max(3, 2 * thickness)
    for p in range(n_people):
        pts = xy[p]
        finite = np.isfinite(pts).all(axis=1) & mask
        if not finite.any():
            continue
        est = np.zeros(len(pts), bool) if filled is None else finite & np.asarray(filled[p], bool)
        confident = (
            finite if score is None else finite & ~(np.nan_to_num(score[p], nan=0.0) < min_score)
        )
        confident |= est  # an estimate has no score, but is not a doubtful detection
        _draw_bones(img, pts, finite, confident, est, pairs, bone_side, colours[p],
                    thickness=thickness, dash=dash, faded_alpha=faded_alpha,
                    outline=outline)  # fmt: skip
        _draw_joints(img, pts, finite, confident, est, jside, colours[p], radius=radius,
                     faded_alpha=faded_alpha)  # fmt: skip
    return img


def _draw_bones(
    img: np.ndarray,
    pts: np.ndarray,
    finite: np.ndarray,
    confident: np.ndarray,
    est: np.ndarray,
    pairs: np.ndarray,
    bone_side: np.ndarray,
    colours: np.ndarray,
    *,
    thickness: int,
    dash: int,
    faded_alpha: float,
    outline: bool,
) -> None:
    """One person's bones; ``colours`` is ``(3, 3)``: the left, right and middle colours."""
    # strokes grouped by (side, strong): one blend per group keeps tones even and fast;
    # bones touching a filled point are dashed
    strokes: dict[tuple[int, bool], list[np.ndarray]] = {}
    for (a, b), side in zip(pairs, bone_side, strict=True):
        if finite[a] and finite[b]:
            key = (int(side), bool(confident[a] and confident[b]))
            step = dash if est[a] or est[b] else 0
            strokes.setdefault(key, []).append(_line_pixels(pts[a], pts[b], step))
    if outline:
        # a thin dark halo under the confident lines: light shades stay visible on a
        # bright picture
        halo = [seg for (_, strong), segs in strokes.items() if strong for seg in segs]
        if halo:
            _stamp(img, np.concatenate(halo), thickness // 2 + 1, (0, 0, 0), 0.45)
    for strong in (False, True):  # faded first, so confident lines lie on top
        for side in (2, 1, 0):  # middle, right, left
            segs = strokes.get((side, strong))
            if segs:
                _stamp(
                    img,
                    np.concatenate(segs),
                    thickness // 2,
                    colours[side],
                    1.0 if strong else faded_alpha,
                )


def _draw_joints(
    img: np.ndarray,
    pts: np.ndarray,
    finite: np.ndarray,
    confident: np.ndarray,
    est: np.ndarray,
    jside: np.ndarray,
    colours: np.ndarray,
    *,
    radius: int,
    faded_alpha: float,
) -> None:
    """One person's joints: faded (low score), solid on a white rim, or rings (filled)."""
    joints = np.rint(pts).astype(np.int64, copy=False) if finite.all() else None
    if joints is None:
        joints = np.zeros(pts.shape, np.int64)
        joints[finite] = np.rint(pts[finite])
    low = finite & ~confident
    for side in (2, 1, 0):
        on = jside == side
        if (low & on).any():
            _stamp(img, joints[low & on], radius, colours[side], faded_alpha)
    solid = confident & ~est
    if solid.any():
        _stamp(img, joints[solid], radius + 1, (255, 255, 255), 1.0)
        for side in (2, 1, 0):
            on = solid & (jside == side)
            if on.any():
                _stamp(img, joints[on], radius, colours[side], 1.0)
    if est.any():  # filled: a ring, the picture shows through
        ring = _ring(radius + 1, max(1, (radius + 1) // 2))
        for side in (2, 1, 0):
            on = est & (jside == side)
            if on.any():
                _stamp(img, joints[on], radius + 1, colours[side], 1.0, shape=ring)


@lru_cache(maxsize=256)
def _text_mask(text: str, size: int) -> np.ndarray:
    """The coverage (0–1 float32, ``(h, w)``) of ``text`` in Pillow's bundled font."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        font = ImageFont.load_default()
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    im = Image.new("L", (max(1, int(x1 - x0)), max(1, int(y1 - y0))), 0)
    ImageDraw.Draw(im).text((-x0, -y0), text, fill=255, font=font)
    return np.asarray(im, dtype=np.float32) / 255.0


def draw_label(
    img: np.ndarray,
    text: str,
    x: float,
    y: float,
    *,
    size: int = 14,
    colour: tuple[int, int, int] = (255, 255, 255),
    background: tuple[int, int, int] | None = (0, 0, 0),
    anchor: str = "lt",
    pad: int | None = None,
) -> np.ndarray:
    """Write ``text`` into ``img`` (in place) on a box of ``background`` (None: no box).

    ``anchor``: "lt" puts the box's top-left corner at (x, y), "cb" its bottom centre.
    The box is clipped to the picture; text that falls outside is not drawn.
    """
    mask = _text_mask(str(text), int(size))
    pad = max(2, size // 5) if pad is None else int(pad)
    h, w = mask.shape
    bw, bh = w + 2 * pad, h + 2 * pad
    if anchor == "cb":
        x0, y0 = round(x - bw / 2), round(y - bh)
    else:
        x0, y0 = round(x), round(y)
    H, W = img.shape[:2]
    x0 = min(max(x0, 0), max(W - bw, 0))
    y0 = min(max(y0, 0), max(H - bh, 0))
    if background is not None:
        box = img[y0 : y0 + bh, x0 : x0 + bw]
        box[:] = (box * 0.3 + np.asarray(background, np.float32) * 0.7).astype(np.uint8)
    ty, tx = y0 + pad, x0 + pad
    region = img[ty : ty + h, tx : tx + w]
    m = mask[: region.shape[0], : region.shape[1], None]
    region[:] = (region * (1.0 - m) + np.asarray(colour, np.float32) * m + 0.5).astype(np.uint8)
    return img


def draw_path(
    img: np.ndarray, xy: np.ndarray, rgb, *, thickness: int = 2, fade: bool = True
) -> np.ndarray:
    """Draw a polyline (``(n, 2)`` points, NaN breaks it) into ``img``.

    With ``fade`` the older (first) segments are blended more lightly, so the path reads from
    old to new.
    """
    n = len(xy)
    for k in range(n - 1):
        a, b = xy[k], xy[k + 1]
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            continue
        alpha = (k + 1) / (n - 1) if fade else 1.0
        _stamp(img, _line_pixels(a, b), thickness // 2, rgb, max(0.15, alpha))
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
