"""BlazePose full landmark model on a rotated square crop, and crop placement (ROI).

The region of interest (ROI) is a rotated square, placed as mediapipe's pose graphs place it:
centred on the hip centre, side ``2 × 1.25 × |scale point − hip centre|``, rotated so that the
scale point is straight above the hip centre in the crop. From a detection the two points are
the detector's keypoints 0 and 1; from a pose found in the previous frame they are the landmark
model's auxiliary points 33 and 34 (how mediapipe tracks a person without re-detecting).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

__all__ = ["Frame", "Landmarker", "Pose39", "Roi"]

INPUT = 256
ROI_SCALE = 1.25


@dataclass(frozen=True)
class Roi:
    """A rotated square in frame pixels: centre, side and rotation (radians, clockwise on screen)."""

    cx: float
    cy: float
    size: float
    rotation: float

    @classmethod
    def from_points(cls, centre: np.ndarray, scale_point: np.ndarray) -> Roi:
        dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
        rotation = math.pi / 2 - math.atan2(-dy, dx)
        rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
        size = 2.0 * math.hypot(dx, dy) * ROI_SCALE
        return cls(float(centre[0]), float(centre[1]), size, rotation)

    def box(self) -> np.ndarray:
        """Axis-aligned bounds (x_min, y_min, x_max, y_max) of the rotated square."""
        half = self.size / 2 * (abs(math.cos(self.rotation)) + abs(math.sin(self.rotation)))
        return np.array([self.cx - half, self.cy - half, self.cx + half, self.cy + half])

    def to_frame(self, xy: np.ndarray) -> np.ndarray:
        """Crop coordinates (…, 2) in 0..256 to frame pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        n = (xy / INPUT - 0.5) * self.size
        x = c * n[..., 0] - s * n[..., 1] + self.cx
        y = s * n[..., 0] + c * n[..., 1] + self.cy
        return np.stack([x, y], axis=-1)


class Frame:
    """One picture, as an RGB array and a PIL image made on demand.

    One picture as an RGB uint8 array and/or a PIL image, each made on first use (the
    landmark crops read the array, the detector the PIL image).

    ``prepared`` holds detector inputs made ahead of time (by the decoding thread), keyed by
    the tuple of regions they cover; the detector takes them from there instead of resizing
    the picture itself.
    """

    def __init__(self, array: np.ndarray | None = None, image: Image.Image | None = None) -> None:
        if array is None and image is None:
            raise ValueError("Frame needs an array or an image")
        self._array = array
        self._image = image
        self.prepared: dict[tuple[tuple[int, int, int, int], ...], Any] = {}
        h, w = array.shape[:2] if array is not None else (image.height, image.width)  # type: ignore[union-attr]
        self.width, self.height = int(w), int(h)

    @classmethod
    def of(cls, picture: Frame | np.ndarray | Image.Image) -> Frame:
        if isinstance(picture, Frame):
            return picture
        if isinstance(picture, Image.Image):
            return cls(image=picture)
        return cls(array=np.ascontiguousarray(picture))

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            assert self._image is not None
            self._array = np.asarray(self._image.convert("RGB"))
        return self._array

    @property
    def image(self) -> Image.Image:
        if self._image is None:
            assert self._array is not None
            self._image = Image.fromarray(self._array)
        return self._image

    def array_if_decoded(self) -> np.ndarray | None:
        """The RGB array if the frame has one already (None: only a PIL image)."""
        return self._array

    def drop_image(self) -> None:
        """Forget the PIL image when the array is there (it is remade if needed again)."""
        if self._array is not None:
            self._image = None


@dataclass
class Pose39:
    """The landmark model's answer for one ROI, in frame pixels."""

    xy: np.ndarray  # (39, 2)
    visibility: np.ndarray  # (39,) probability the point is visible (sigmoid of the logit)
    presence: np.ndarray  # (39,) probability the point is inside the picture
    flag: float  # probability that the crop holds a person at all
    roi: Roi
    z: np.ndarray | None = None  # (39,) depth in crop pixels, smaller = nearer the camera
    peak: np.ndarray | None = None  # (39,) best heatmap confidence near each point

    def facing_away(self) -> float:
        """How far the person faces away from the camera (nose behind shoulders).

        How far the model puts the nose *behind* the shoulders, in crop widths, weighted by
        the nose's visibility: > 0 means the model reads the person as facing away from the
        camera, < 0 as facing it.
        """
        if self.z is None:
            return 0.0
        behind = (self.z[0] - (self.z[11] + self.z[12]) / 2) / INPUT
        return float(self.visibility[0] * behind)

    def box(self, joints: np.ndarray | None = None) -> np.ndarray:
        pts = self.xy[:33] if joints is None else self.xy[joints]
        return np.array([*pts.min(0), *pts.max(0)])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def crop(picture: Frame | Image.Image | np.ndarray, roi: Roi, size: int = INPUT) -> np.ndarray:
    """The ROI resampled to ``size × size`` RGB (uint8); outside the frame is black.

    With OpenCV: one bilinear affine warp straight from the frame, as mediapipe's own
    ``ImageToTensorCalculator`` does (the model was trained on such crops). Without: Pillow's
    warp on the ROI's bounding box, a large person first shrunk by an integer box filter.
    """
    frame = Frame.of(picture)
    k = roi.size / size  # frame pixels per crop pixel
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    if _cv2 is not None:
        half = roi.size / 2
        # output pixel (u, v) -> frame position: centre + R((u + 0.5) k - half, ...) - 0.5
        a, b, d, e = k * c, -k * s, k * s, k * c
        tx = roi.cx - c * half + s * half + 0.5 * (a + b) - 0.5
        ty = roi.cy - s * half - c * half + 0.5 * (d + e) - 0.5
        m = np.array([[a, b, tx], [d, e, ty]], dtype=np.float64)
        flags = _cv2.INTER_LINEAR | _cv2.WARP_INVERSE_MAP
        return _cv2.warpAffine(frame.array, m, (size, size), flags=flags)
    image = frame.image
    f = int(k) if k > 1.6 else 1
    x0, y0, x1, y1 = roi.box()
    x0, y0 = max(int(x0) - 2 * f, 0), max(int(y0) - 2 * f, 0)
    x1, y1 = min(int(x1) + 2 * f + 1, image.width), min(int(y1) + 2 * f + 1, image.height)
    if x1 - x0 < f or y1 - y0 < f:  # the ROI lies outside the picture
        return np.zeros((size, size, 3), dtype=np.uint8)
    x1, y1 = x0 + (x1 - x0) // f * f, y0 + (y1 - y0) // f * f
    box = (x0, y0, x1, y1)
    src = image.reduce(f, box=box) if f > 1 else image.crop(box)
    cx, cy = (roi.cx - x0) / f, (roi.cy - y0) / f
    half = roi.size / f / 2
    kk = k / f
    coeffs = (
        kk * c, -kk * s, cx - c * half + s * half,
        kk * s, kk * c, cy - s * half - c * half,
    )  # fmt: skip
    out = src.transform((size, size), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    return np.asarray(out)


_cv2: Any
try:  # optional speed-up (opencv-python-headless); Pillow does the same otherwise
    import cv2 as _cv2
except ImportError:  # pragma: no cover - depends on the environment
    _cv2 = None


#: BlazePose index of each landmark's mirror twin (0 is the nose).
_MIRROR33 = np.array(
    [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21,
     24, 23, 26, 25, 28, 27, 30, 29, 32, 31]
)  # fmt: skip
_KERNEL = 7
_OFFSETS = np.arange(_KERNEL) - _KERNEL // 2


def refine_from_heatmap(
    xy: np.ndarray, heat: np.ndarray, *, min_confidence: float = 0.5, peaks: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Landmarks (39, 2) in crop pixels refined by the model's 64×64 heatmaps.

    As mediapipe's ``RefineLandmarksFromHeatmapCalculator`` (kernel 7, min confidence 0.5):
    each point moves to the confidence-weighted mean cell of the 7×7 heatmap window around it,
    when the window's best confidence (sigmoid of the heatmap logit) reaches 0.5.
    """
    hh, hw, n = heat.shape
    col = (xy[:, 0] / INPUT * hw).astype(int)  # truncation, as mediapipe
    row = (xy[:, 1] / INPUT * hh).astype(int)
    rows = row[:, None] + _OFFSETS  # (n, 7)
    cols = col[:, None] + _OFFSETS
    valid = ((rows >= 0) & (rows < hh))[:, :, None] & ((cols >= 0) & (cols < hw))[:, None, :]
    r = np.clip(rows, 0, hh - 1)[:, :, None]
    c = np.clip(cols, 0, hw - 1)[:, None, :]
    conf = _sigmoid(heat[r, c, np.arange(n)[:, None, None]].astype(np.float64)) * valid
    total = conf.sum((1, 2))
    inside = (col >= 0) & (col < hw) & (row >= 0) & (row < hh)
    use = inside & (conf.max((1, 2)) >= min_confidence) & (total > 0)
    out = xy.copy()
    safe = np.where(total > 0, total, 1.0)
    out[use, 0] = ((conf.sum(1) * cols).sum(1) / safe / hw * INPUT)[use]
    out[use, 1] = ((conf.sum(2) * rows).sum(1) / safe / hh * INPUT)[use]
    if peaks:  # also the window's best confidence per point (0 outside the heatmap)
        return out, np.where(inside, conf.max((1, 2)), 0.0)
    return out


class Landmarker:
    """Runs ``pose_landmark_full.tflite`` on a ROI."""

    def __init__(
        self, model_path: str, *, num_threads: int = 2, refine: bool = True, mirror: bool = False
    ) -> None:
        from posekit.estimate._runtime import load_interpreter

        self._net = load_interpreter(model_path, num_threads=num_threads)
        self._input = self._net.get_input_details()[0]["index"]
        outs = {tuple(d["shape"][1:]): d["index"] for d in self._net.get_output_details()}
        self._out_points = outs[(195,)]
        self._out_flag = outs[(1,)]
        self._out_heatmap = outs[(64, 64, 39)]
        self.refine = refine
        self.mirror = mirror
        self.seconds = 0.0
        self.calls = 0

    def _run(self, pixels: np.ndarray) -> tuple[np.ndarray, float]:
        """The landmark model's answer on one crop: landmarks and presence.

        Landmarks (39, 5) in crop pixels (heatmap-refined) and the presence probability;
        the heatmap peak of each point is kept in ``self._peaks``.
        """
        t = time.perf_counter()
        self._net.set_tensor(self._input, pixels)
        self._net.invoke()
        raw = self._net.get_tensor(self._out_points)[0].astype(np.float64).reshape(39, 5)
        flag = float(self._net.get_tensor(self._out_flag)[0, 0])
        heat = self._net.get_tensor(self._out_heatmap)[0] if self.refine else None
        self.seconds += time.perf_counter() - t
        self.calls += 1
        self._peaks = None
        if heat is not None:
            raw[:, :2], self._peaks = refine_from_heatmap(raw[:, :2], heat, peaks=True)
        return raw, flag

    def __call__(self, image: Frame | Image.Image, roi: Roi) -> Pose39:
        pixels = crop(image, roi).astype(np.float32)[None] * np.float32(1 / 255)
        raw, flag = self._run(pixels)
        peaks = self._peaks
        if self.mirror:
            # test-time augmentation: the mirrored crop, mirrored back, averaged in
            back, flag2 = self._run(np.ascontiguousarray(pixels[:, :, ::-1]))
            back[:, 0] = INPUT - back[:, 0]
            back[:33] = back[_MIRROR33]
            # the model may read the mirrored person as facing the other way: align first
            d_same = np.abs(back[:33, :2] - raw[:33, :2]).sum()
            d_swap = np.abs(back[_MIRROR33, :2] - raw[:33, :2]).sum()
            if d_swap < d_same:
                back[:33] = back[_MIRROR33]
            raw[:33, :2] = (raw[:33, :2] + back[:33, :2]) / 2
            flag = (flag + flag2) / 2
        return Pose39(
            xy=roi.to_frame(raw[:, :2]),
            visibility=_sigmoid(raw[:, 3]),
            presence=_sigmoid(raw[:, 4]),
            flag=flag,
            roi=roi,
            z=raw[:, 2].copy(),
            peak=peaks,
        )
