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
# # Trajectories and kinematics
#
# A synthetic walk in profile: where the feet and wrists travel, how fast, and how the hip and
# knee angles move together.

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

# %%
res = pk.load(SAMPLES / "synth_walk.json")
kp = pk.clean.mask_low_confidence(res.keypoints(), min_score=0.2)
kp = pk.clean.interpolate(kp, max_gap_frames=5)
kp = pk.smooth.butterworth(kp, cutoff_hz=6)
fig, axes = plt.subplots(2, 1, figsize=(10, 7), layout="constrained")
pk.plot.trajectory(kp, "left_ankle", ax=axes[0])
pk.plot.trajectory(kp, "left_wrist", ax=axes[1]);

# %%
vel = pk.kinematics.velocity(kp)
spd = pk.kinematics.speed(kp)
spd.head()

# %%
ax = pk.plot.timeseries(spd, joints=["left_ankle", "right_ankle"], columns="speed")
ax.set_ylabel("speed (px/s)");

# %%
# speeds in torso lengths per second do not depend on the camera distance
spd_n = pk.kinematics.speed(kp, normalize="torso")
pk.plot.timeseries(spd_n, joints=["left_wrist"], columns="speed").set_ylabel("torso lengths / s");

# %%
pk.kinematics.path_length(kp).head()

# %%
angles = pk.angles.joint_angles(kp)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
pk.plot.angle_angle(angles, "left_hip", "left_knee", ax=axes[0])
pk.plot.angle_angle(angles, "right_hip", "right_knee", ax=axes[1]);

# %% [markdown]
# ## On a real video
#
# The Sports2D demo (posekit's estimator, smoothed): where each person's ankles went, drawn over a
# frame of the video (fetched once from the `sports2d` wheel on PyPI, then cached).

# %%
from posekit.media import fetch_demo_video

real = pk.load(SAMPLES / "sports2d_demo_smoothed.json").keypoints()
with pk.video.VideoReader(fetch_demo_video("sports2d_demo")) as reader:
    picture = reader.read(120)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
pk.plot.trajectory(real, "right_ankle", image=picture, ax=axes[0], colorbar=False)
pk.plot.trajectory(real, "right_wrist", image=picture, ax=axes[1]);

# %%
# smoothness of the wrist's speed profile (SPARC: closer to 0 is smoother)
# (SPARC needs a gap-free series: the gaps were interpolated above; the central difference
# leaves the first and last frame NaN)
wrist = spd.xs(("left_wrist", 0), level=("joint", "object_id"))["speed"].iloc[1:-1]
pk.metrics.sparc(wrist.to_numpy(), fps=kp.attrs["fps"])
