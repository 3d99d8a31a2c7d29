"""Google's own pipeline on the same weights, for bench/bench_estimate_mediapipe.py.

Run with a *separate, throw-away* Python environment that has ``mediapipe==0.10.21`` and
``numpy<2`` (mediapipe 0.10.21 does not support numpy 2), for example::

    python3.11 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.21 "numpy<2" av
    /tmp/mpvenv/bin/python bench/_mediapipe_reference.py VIDEO DETECTOR LANDMARK OUT.json [--tiles]

Builds a PoseLandmarker ``.task`` bundle from the two tflite files (the landmark model gets the
input normalisation metadata the Tasks API demands: mean 0, std 255), runs it in VIDEO mode with
``num_poses=4`` on the whole frame (or on two square tiles, duplicates removed at box IoU > 0.3,
as in ``offline-estimator.md``), and writes per frame the COCO-17 keypoints (pixels) and the
time per frame.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import av
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer as mw

COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def bundle(detector: Path, landmark: Path, out: Path) -> Path:
    writer = mw.MetadataWriter.create(bytearray(landmark.read_bytes()))
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for name in ("landmarks", "presence", "segmentation", "heatmap", "world_landmarks"):
        writer.add_feature_output(name=name)
    model, _ = writer.populate()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("pose_detector.tflite", detector.read_bytes())
        z.writestr("pose_landmarks_detector.tflite", bytes(model))
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x1 - x0, 0) * max(y1 - y0, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(union, 1e-9)


def main() -> int:
    video, detector, landmark, out = (Path(a) for a in sys.argv[1:5])
    tiles = "--tiles" in sys.argv
    tmp = Path(tempfile.mkdtemp())
    task = bundle(detector, landmark, tmp / "pose.task")
    opts = mp.tasks.vision.PoseLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(task)),
        running_mode=mp.tasks.vision.RunningMode.VIDEO,
        num_poses=4,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
    )
    container = av.open(str(video))
    stream = container.streams.video[0]
    fps = float(stream.average_rate)
    w, h = stream.codec_context.width, stream.codec_context.height
    short = min(w, h)
    regions = [(0, 0, w, h)]
    if tiles:
        regions = (
            [(0, 0, short, short), (w - short, 0, short, short)]
            if w > h
            else [(0, 0, short, short), (0, h - short, short, short)]
        )
    marks = [mp.tasks.vision.PoseLandmarker.create_from_options(opts) for _ in regions]
    frames = []
    total = 0.0
    for i, frame in enumerate(container.decode(stream)):
        rgb = frame.to_ndarray(format="rgb24")
        t0 = time.perf_counter()
        people = []
        for (x0, y0, rw, rh), lm in zip(regions, marks, strict=True):
            part = np.ascontiguousarray(rgb[y0 : y0 + rh, x0 : x0 + rw])
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=part)
            res = lm.detect_for_video(image, round(i * 1000 / fps))
            for pose in res.pose_landmarks:
                pts = np.array([[p.x * rw + x0, p.y * rh + y0, p.visibility] for p in pose])
                kp = pts[COCO]
                box = np.array([*kp[:, :2].min(0), *kp[:, :2].max(0)])
                if any(iou(box, b) > 0.3 for b, _ in people):
                    continue
                people.append((box, kp))
        total += time.perf_counter() - t0
        frames.append([kp.tolist() for _, kp in people])
    out.write_text(
        json.dumps(
            {
                "fps": fps,
                "width": w,
                "height": h,
                "frames": frames,
                "ms_per_frame": 1000 * total / max(len(frames), 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
