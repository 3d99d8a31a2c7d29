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
# # Smoothing: which filter, and what it costs
#
# Pose estimates jitter from frame to frame. A filter removes jitter but can lag behind the
# movement or cut its peaks. With synthetic data the truth is known, so each method's error can
# be measured directly.

# %%
from pathlib import Path

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
res = pk.load(SAMPLES / "synth_squat.json")
raw = res.keypoints(min_score=0.2)
# the exact keypoints the sample was made from (regenerated with the sample's settings)
sim = pk.synth.generate("squat", noise_px=1.5, dropout=0.03, missing_frames=0.02, seed=1)
truth = sim.truth
truth.head()

# %%
methods = {
    "butterworth 6 Hz": pk.smooth.butterworth(raw, cutoff_hz=6),
    "savgol 11": pk.smooth.savgol(raw, window_frames=11, polyorder=2),
    "one euro": pk.smooth.one_euro(raw, min_cutoff_hz=1.0, beta=0.05),
    "kalman": pk.smooth.kalman(raw),
}
table = pk.smooth.compare(raw, methods, truth=truth)
table.xs("all", level="joint")

# %%
pk.plot.smoothing_comparison(raw, methods, joint="left_knee", coord="y", truth=truth,
                             metrics=table, frames=slice(30, 120));

# %%
# Winter's residual analysis picks a cutoff from the data
pk.smooth.winter_cutoff(raw)

# %% [markdown]
# ## Raw and smoothed side by side

# %%
pk.widgets.Player(raw, compare={"butterworth 6 Hz": methods["butterworth 6 Hz"]}, width=400,
                  label="raw")
