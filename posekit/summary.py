"""A short numeric summary of a result: what ``posekit info`` prints."""

from __future__ import annotations

from typing import Any

import numpy as np

from posekit.io import flatten
from posekit.result import PoseResult
from posekit.schema import JOINTS

__all__ = ["format_summary", "summarize"]


def summarize(result: PoseResult) -> dict[str, Any]:
    """Frames, fps, size, people, detection rates and mean scores of a result, as a dict.

    Parameters
    ----------
    result
        An image or video result.

    Returns
    -------
    dict
        ``kind``, ``source``, ``job_id``, ``frames``, ``annotated_frames``,
        ``frames_with_people``, ``fps``, ``duration_s`` (seconds; None without fps),
        ``width``, ``height`` (pixels), ``detections`` (people summed over frames),
        ``detection_rate`` (fraction of frames with at least one person), ``mean_score``
        (the people's mean score; None without detections), ``mean_joint_score`` (joint name
        -> mean keypoint score), ``partial``, and ``people``: object_id -> ``frames``,
        ``first_frame``, ``last_frame``, ``detection_rate`` (fraction of all frames),
        ``mean_score`` and ``mean_keypoint_score``.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.summary import summarize
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2, missing_frames=0.2).result
    >>> s = summarize(res)
    >>> s["frames"], s["duration_s"], s["detections"], s["frames_with_people"]
    (30, 1.0, 48, 29)
    >>> s["people"][0]["frames"], s["people"][0]["detection_rate"]
    (24, 0.8)
    """
    flat = flatten(result)
    n_frames = result.n_frames
    frames_with = len(np.unique(flat.frame))
    people = {}
    for oid in np.unique(flat.object_id):
        sel = flat.object_id == oid
        people[int(oid)] = {
            "frames": int(sel.sum()),
            "first_frame": int(flat.frame[sel].min()),
            "last_frame": int(flat.frame[sel].max()),
            "detection_rate": float(sel.sum() / n_frames) if n_frames else 0.0,
            "mean_score": float(flat.score[sel].mean()),
            "mean_keypoint_score": float(flat.keypoints[sel, :, 2].mean()),
        }
    joint_scores = (
        flat.keypoints[:, :, 2].mean(axis=0) if len(flat.frame) else np.full(len(JOINTS), np.nan)
    )
    return {
        "kind": result.kind,
        "source": result.source,
        "job_id": result.job_id,
        "frames": n_frames,
        "annotated_frames": len(result.annotations()) if result._raw is None else None,
        "frames_with_people": frames_with,
        "fps": result.fps,
        "duration_s": n_frames / result.fps if result.fps else None,
        "width": result.width,
        "height": result.height,
        "detections": len(flat.frame),
        "people": people,
        "detection_rate": frames_with / n_frames if n_frames else 0.0,
        "mean_score": float(flat.score.mean()) if len(flat.score) else None,
        "mean_joint_score": {j: float(s) for j, s in zip(JOINTS, joint_scores, strict=True)},
        "partial": result.partial,
    }


def format_summary(s: dict[str, Any]) -> str:
    """The summary as the lines ``posekit info`` prints.

    Parameters
    ----------
    s
        A summary made by :func:`summarize`.

    Returns
    -------
    str
        One line per item, people listed one per line (the first 20).

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.summary import format_summary, summarize
    >>> res = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2, missing_frames=0.2).result
    >>> print(format_summary(summarize(res)))  # doctest: +ELLIPSIS
    source      synth:walk:seed=0
    kind        video
    job_id      ...
    frames      30 (30.000 fps, 1.00 s)
    size        1280 x 720 px
    detections  48 in 29 frames (detection rate 96.7%)
    mean score  0.763 (person), 0.771 (keypoints)
    people      2
      object_id    0: frames 0-29 (24, 80.0%), score 0.759, keypoint score 0.774
      object_id    1: frames 0-29 (24, 80.0%), score 0.767, keypoint score 0.768
    """
    lines = [f"source      {s['source']}", f"kind        {s['kind']}"]
    if s["job_id"]:
        lines.append(f"job_id      {s['job_id']}")
    if s["kind"] == "video":
        fps = f"{s['fps']:.3f} fps" if s["fps"] else "fps unknown"
        dur = f", {s['duration_s']:.2f} s" if s["duration_s"] else ""
        lines.append(f"frames      {s['frames']} ({fps}{dur})")
    if s["width"]:
        lines.append(f"size        {s['width']} x {s['height']} px")
    lines.append(
        f"detections  {s['detections']} in {s['frames_with_people']} frames "
        f"(detection rate {100 * s['detection_rate']:.1f}%)"
    )
    if s["mean_score"] is not None:
        lines.append(
            f"mean score  {s['mean_score']:.3f} (person), "
            f"{np.nanmean(list(s['mean_joint_score'].values())):.3f} (keypoints)"
        )
    lines.append(f"people      {len(s['people'])}")
    for oid, p in list(s["people"].items())[:20]:
        lines.append(
            f"  object_id {oid:>4}: frames {p['first_frame']}-{p['last_frame']} "
            f"({p['frames']}, {100 * p['detection_rate']:.1f}%), "
            f"score {p['mean_score']:.3f}, keypoint score {p['mean_keypoint_score']:.3f}"
        )
    if len(s["people"]) > 20:
        lines.append(f"  ... and {len(s['people']) - 20} more")
    if s["partial"]:
        lines.append("PARTIAL RESULT: the estimation was interrupted")
    return "\n".join(lines)
