# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # posekit quickstart
#
# Load a pose result (Kakao Pose API format), turn it into a tidy table, compute joint angles,
# plot them and play the result back. The sample is a synthetic squat (`posekit.synth`) with
# realistic noise, dropouts and missing frames; see `data/samples/README.md`.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import posekit as pk

# data/samples of the repository, found from wherever the notebook runs
SAMPLES = next(
    p / "data" / "samples"
    for p in (Path.cwd(), *Path.cwd().parents)
    if (p / "data" / "samples").is_dir()
)
pd.set_option("display.width", 120)

# %% [markdown]
# ## Load and tidy

# %%
res = pk.load(SAMPLES / "synth_squat.json")
res

# %%
# one row per (frame, object_id, joint); x, y in pixels, score 0-1, time in seconds
kp = res.keypoints()
kp.head()

# %%
# Kakao reports undetected joints with a score near 0 and made-up coordinates: mask them,
# then bridge short gaps (up to 5 frames) linearly. attrs record what was applied.
kp = pk.clean.mask_low_confidence(kp, min_score=0.2)
kp = pk.clean.interpolate(kp, max_gap_frames=5)
kp.attrs

# %% [markdown]
# ## One frame, and keypoint confidence

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[1, 1.6], layout="constrained")
pk.plot.skeleton(res.keypoints(), 52, ax=axes[0])  # attrs carry the size and skeleton
pk.plot.confidence(res.keypoints(), ax=axes[1]);

# %% [markdown]
# ## Joint angles

# %%
angles = pk.angles.joint_angles(kp)
angles.head()

# %%
ax = pk.plot.timeseries(angles, columns=["left_knee", "left_hip", "left_shoulder"])
ax.set_ylabel("inner angle (°)");

# %%
pk.metrics.range_of_motion(angles)

# %% [markdown]
# ## Where the wrist went, and the repetitions

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
pk.plot.trajectory(kp, "right_wrist", ax=axes[0])
pk.plot.angle_angle(angles, "left_hip", "left_knee", ax=axes[1]);

# %%
knee = angles["left_knee"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(knee, fps=kp.attrs["fps"])
pk.plot.repetitions(knee, reps)
reps.reps

# %% [markdown]
# ## Play it back
#
# Play/pause and the slider run in the browser; the kernel draws each frame. Without a video the
# skeletons are drawn on a dark canvas; pass `video="clip.mp4"` to draw over the video. Each
# person has a hue: the left side dark, the right side light.
#
# Step one frame with −1 / +1, or click the picture and use ← / → (space plays and pauses). "show"
# picks joint groups (legs, arms, left, right). To place events such as heel strikes, step to the
# frame, choose the event's name and press "mark" (or m): `player.events` holds them.

# %%
player = pk.widgets.Player(kp, series=angles[["left_knee", "left_hip"]], width=560)
player

# %%
player.events  # the frames you marked (empty until you press "mark")

# %% [markdown]
# ## A real video
#
# posekit's own estimator on the Sports2D demo video (two people; see `data/samples/README.md`),
# without and with its smoothing, side by side over the video. The video comes from the `sports2d`
# wheel on PyPI (downloaded once by `fetch_demo_video`, then cached).

# %%
from posekit.media import fetch_demo_video

video = fetch_demo_video("sports2d_demo")
raw = pk.load(SAMPLES / "sports2d_demo_raw.json").keypoints()
smoothed = pk.load(SAMPLES / "sports2d_demo_smoothed.json").keypoints()
pk.widgets.Player(raw, video, compare={"smoothed (One Euro)": smoothed}, width=440, label="raw")
