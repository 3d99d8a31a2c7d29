"""matplotlib pictures of pose tables. Every function takes ``ax=None`` and returns the Axes.

Colours: :class:`ColourScheme` (a hue per person; left dark, right light), changed for every
picture with :func:`set_colour_scheme`.

* :func:`skeleton` — the skeletons of one frame, optionally over the video frame or an image
* :func:`trajectory` — a joint's path in the image plane, coloured by time
* :func:`timeseries` — coordinates, speeds or angles over time for chosen joints and people
* :func:`smoothing_comparison` — raw against smoothed series, with the metrics table
* :func:`confidence` — keypoint confidence heatmap (joint × time)
* :func:`angle_angle` — one angle against another, coloured by time
* :func:`repetitions` — a series with repetitions shaded and turning points marked
* :func:`render_video` — the skeletons drawn over a video, written to a new video file
"""

from __future__ import annotations

from posekit.plot._colours import ColourScheme, colour_scheme, set_colour_scheme
from posekit.plot._common import PALETTE, person_color, person_rgb, skeleton_pairs
from posekit.plot.analysis import metrics_table, repetitions, smoothing_comparison
from posekit.plot.frame import skeleton
from posekit.plot.series import angle_angle, confidence, timeseries, trajectory

__all__ = [
    "PALETTE",
    "ColourScheme",
    "angle_angle",
    "colour_scheme",
    "confidence",
    "metrics_table",
    "person_color",
    "person_rgb",
    "render_video",
    "repetitions",
    "set_colour_scheme",
    "skeleton",
    "skeleton_pairs",
    "smoothing_comparison",
    "timeseries",
    "trajectory",
]


def __getattr__(name: str):
    if name == "render_video":  # imports PyAV only when asked for
        from posekit.plot.render import render_video

        return render_video
    raise AttributeError(f"module 'posekit.plot' has no attribute {name!r}")
