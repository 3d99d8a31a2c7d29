"""BlazePose person detector: SSD anchors, box and keypoint decoding, weighted NMS.

Follows mediapipe's ``pose_detection`` graph (0.10.21): a 224×224 letterboxed input in [-1, 1],
2254 fixed-size anchors from ``SsdAnchorsCalculator`` (5 layers, strides 8, 16, 32, 32, 32, two
anchors per layer and location), regressions scaled by 224, sigmoid scores, weighted
non-maximum suppression at IoU 0.3. Each detection carries 4 keypoints; keypoint 0 is the hip
centre and keypoint 1 fixes the body's size and rotation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from posekit.estimate import _landmarks
from posekit.estimate._landmarks import Frame

__all__ = ["Detection", "Detector", "DetectorInput", "ssd_anchors", "weighted_nms"]

INPUT = 224


def ssd_anchors(
    *,
    input_size: int = INPUT,
    num_layers: int = 5,
    min_scale: float = 0.1484375,
    max_scale: float = 0.75,
    strides: tuple[int, ...] = (8, 16, 32, 32, 32),
    offset: float = 0.5,
) -> np.ndarray:
    """Anchor centres (N, 2) in [0, 1], as mediapipe's ``SsdAnchorsCalculator`` makes them.

    With ``fixed_anchor_size`` every anchor is 1×1, so only the centres matter; consecutive
    layers of equal stride share one feature map, each adding two anchors per location (aspect
    ratio 1 and the interpolated scale).
    """
    centres = []
    layer = 0
    while layer < num_layers:
        n_anchors = 0
        last = layer
        while last < num_layers and strides[last] == strides[layer]:
            n_anchors += 2
            last += 1
        size = math.ceil(input_size / strides[layer])
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        grid = np.stack([(xs + offset) / size, (ys + offset) / size], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, n_anchors, axis=1).reshape(-1, 2))
        layer = last
    del min_scale, max_scale  # scales only set anchor sizes, which are fixed to 1 here
    return np.concatenate(centres).astype(np.float64)


@dataclass
class Detection:
    """One person detection in frame pixels."""

    box: np.ndarray  # (4,) x_min, y_min, x_max, y_max
    keypoints: np.ndarray  # (4, 2) x, y
    score: float


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


#: A prepared detector input: the (1, 224, 224, 3) float32 canvas, the letterbox padding
#: (x, y) in canvas pixels, and the region's origin and scale (frame = small / scale + origin).
DetectorInput = tuple[np.ndarray, tuple[int, int], tuple[float, float], tuple[float, float]]


def _canvas(
    small: Image.Image, origin: tuple[float, float], scale: tuple[float, float]
) -> DetectorInput:
    """``small`` (at most 224×224) letterboxed onto the model's input, pixels in [-1, 1]."""
    sw, sh = small.size
    pad_x, pad_y = (INPUT - sw) // 2, (INPUT - sh) // 2
    canvas = np.full((1, INPUT, INPUT, 3), -1.0, dtype=np.float32)  # black border = -1
    pixels = np.asarray(small, dtype=np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    canvas[0, pad_y : pad_y + sh, pad_x : pad_x + sw] = pixels
    return canvas, (pad_x, pad_y), origin, scale


def _reduce(picture: Image.Image | Frame, f: int) -> Image.Image:
    """The picture shrunk by an integer factor (block means).

    ``picture`` shrunk by the integer factor ``f`` (mean of f×f blocks), as Pillow's
    ``Image.reduce``. For f = 2 on an RGB array with even sides, OpenCV's area resize gives
    exactly the same pixels (both round (a + b + c + d + 2) >> 2) about 5× faster, and no
    full-size PIL image is made; other factors round differently in OpenCV, so Pillow does
    them.
    """
    if isinstance(picture, Frame):
        arr = picture.array_if_decoded()
        h, w = (arr.shape[:2]) if arr is not None else (0, 0)
        if f == 2 and _landmarks._cv2 is not None and arr is not None and h % 2 == w % 2 == 0:
            small = _landmarks._cv2.resize(
                arr, (w // 2, h // 2), interpolation=_landmarks._cv2.INTER_AREA
            )
            return Image.fromarray(small)
        picture = picture.image
    return picture.reduce(f) if f >= 2 else picture


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, *, iou: float = 0.3
) -> list[Detection]:
    """mediapipe's WEIGHTED non-maximum suppression.

    The best remaining detection absorbs every other one that overlaps it by more than ``iou``;
    its box and keypoints become the score-weighted mean of the group, its score stays its own.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    alive = np.ones(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        group = np.flatnonzero(alive & (_iou(boxes[i], boxes) > iou))
        group = np.union1d(group, [i])
        w = scores[group] / scores[group].sum()
        out.append(
            Detection(
                box=(w[:, None] * boxes[group]).sum(0),
                keypoints=(w[:, None, None] * keypoints[group]).sum(0),
                score=float(scores[i]),
            )
        )
        alive[group] = False
    return out


class Detector:
    """Runs ``pose_detection.tflite`` on a region of a frame."""

    def __init__(self, model_path: str, *, num_threads: int = 2, min_score: float = 0.5) -> None:
        from posekit.estimate._runtime import load_interpreter

        self._net = load_interpreter(model_path, num_threads=num_threads)
        self._input = self._net.get_input_details()[0]["index"]
        outs = {tuple(d["shape"][1:]): d["index"] for d in self._net.get_output_details()}
        self._out_raw = outs[(2254, 12)]
        self._out_score = outs[(2254, 1)]
        self.anchors = ssd_anchors()
        self.min_score = min_score
        self.seconds = 0.0  # time spent inside the model, for the benchmark
        self.calls = 0

    def raw(
        self, small: Image.Image, origin: tuple[float, float], scale: tuple[float, float]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (N, 4), keypoints (N, 4, 2) and scores (N,) above ``min_score``, frame pixels.

        ``small`` is a part of the frame already resized to fit 224×224 (it is letterboxed);
        frame = small pixel / ``scale`` + ``origin``, per axis.
        """
        return self._run(_canvas(small, origin, scale))

    def _run(self, inp: DetectorInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model on one prepared input; see :meth:`raw`."""
        import time

        canvas, (pad_x, pad_y), origin, scale = inp
        t = time.perf_counter()
        self._net.set_tensor(self._input, canvas)
        self._net.invoke()
        raw = self._net.get_tensor(self._out_raw)[0].astype(np.float64)
        logits = self._net.get_tensor(self._out_score)[0, :, 0].astype(np.float64)
        self.seconds += time.perf_counter() - t
        self.calls += 1
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100.0, 100.0)))
        keep = scores >= self.min_score
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        # regressions are in input pixels, relative to the anchor centre (x first)
        centre = raw[:, 0:2] / INPUT + anchors
        half = raw[:, 2:4] / INPUT / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = raw[:, 4:12].reshape(-1, 4, 2) / INPUT + anchors[:, None, :]
        # from the 224 canvas back to frame pixels (undo letterbox, scale, offset)
        off = np.array([pad_x, pad_y], dtype=np.float64)
        sc = np.asarray(scale, dtype=np.float64)
        org = np.asarray(origin, dtype=np.float64)
        boxes = ((boxes.reshape(-1, 2, 2) * INPUT - off) / sc + org).reshape(-1, 4)
        kps = (kps * INPUT - off) / sc + org
        return boxes, kps, scores

    def prepare(
        self, image: Image.Image | Frame, regions: list[tuple[int, int, int, int]]
    ) -> list[DetectorInput]:
        """The detector's inputs for regions of an image, made ahead of inference.

        The model inputs for ``regions`` of ``image`` (resizing, letterbox, scaling to
        [-1, 1]): all the per-frame work before inference, so that it can be done ahead, in
        the decoding thread (see :func:`posekit.estimate._prefetch.prefetch_images`).
        """
        return [_canvas(*item) for item in self._inputs(image, regions)]

    def _inputs(
        self, image: Image.Image | Frame, regions: list[tuple[int, int, int, int]]
    ) -> list[tuple[Image.Image, tuple[float, float], tuple[float, float]]]:
        """Each region resized to fit 224, with its mapping back to the frame.

        The frame is shrunk once by an integer factor (a fast box filter), then resized once to
        the tiles' scale (short side 224); square tiles of the short side are plain crops of
        that picture, and the whole frame is one more small resize of it. Other regions are
        resized from the box-filtered frame.
        """
        width, height = image.size
        short = min(width, height)
        f = int(min(min(r[2], r[3]) for r in regions) / INPUT / 1.5)
        reduced, f = _reduce(image, f), max(f, 1)
        tile_scale = INPUT / short
        base: Image.Image | None = None
        out = []
        for x0, y0, w, h in regions:
            if (w, h) == (short, short) or (x0, y0, w, h) == (0, 0, width, height):
                if base is None:
                    size = (max(1, round(width * tile_scale)), max(1, round(height * tile_scale)))
                    base = reduced.resize(size, Image.Resampling.BILINEAR)
                sx, sy = base.width / width, base.height / height
                if (w, h) == (short, short):
                    bx = min(round(x0 * sx), base.width - INPUT)
                    by = min(round(y0 * sy), base.height - INPUT)
                    small = base.crop((bx, by, bx + INPUT, by + INPUT))
                    out.append((small, (bx / sx, by / sy), (sx, sy)))
                    continue
                if max(base.size) <= INPUT:
                    out.append((base, (0.0, 0.0), (sx, sy)))
                    continue
                k = INPUT / max(base.size)
                size = (max(1, round(base.width * k)), max(1, round(base.height * k)))
                small = base.resize(size, Image.Resampling.BILINEAR)
                out.append((small, (0.0, 0.0), (small.width / width, small.height / height)))
                continue
            k = INPUT / max(w, h)
            size = (max(1, round(w * k)), max(1, round(h * k)))
            box = (x0 / f, y0 / f, (x0 + w) / f, (y0 + h) / f)
            small = reduced.resize(size, Image.Resampling.BILINEAR, box=box)
            out.append((small, (float(x0), float(y0)), (size[0] / w, size[1] / h)))
        return out

    def __call__(
        self, image: Any, regions: list[tuple[int, int, int, int]], *, iou: float = 0.3
    ) -> list[Detection]:
        """Detections over several regions (whole frame, tiles).

        Within a region, overlapping anchors are merged by weighted NMS (as mediapipe does);
        across regions the best detection of a person wins outright, because averaging a
        whole-frame detection with a sharper tile detection only blurs the keypoints.
        """
        inputs = None
        if isinstance(image, Frame):
            # inputs prepared ahead by the decoding thread, when this detector run was planned
            inputs = image.prepared.pop(tuple(regions), None)
        if inputs is None:
            inputs = self.prepare(image, regions)
        found: list[Detection] = []
        for inp in inputs:
            boxes, kps, scores = self._run(inp)
            if len(scores):
                found.extend(weighted_nms(boxes, kps, scores, iou=iou))
        found.sort(key=lambda d: -d.score)
        kept: list[Detection] = []
        for det in found:
            if not kept or _iou(det.box, np.array([k.box for k in kept])).max() <= iou:
                kept.append(det)
        return kept
