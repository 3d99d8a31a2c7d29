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
# # Repetitions and gait
#
# Count squats and arm raises from a joint angle, and find heel strikes and the cadence of a
# walk. The synthetic samples come with the true answers (`*_params.json`) to compare against.

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
import json

# %% [markdown]
# ## Squats

# %%
res = pk.load(SAMPLES / "synth_squat.json")
kp = pk.smooth.butterworth(res.keypoints(min_score=0.2), cutoff_hz=6)
knee = pk.angles.joint_angles(kp)["left_knee"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(knee, fps=kp.attrs["fps"])
truth = json.loads((SAMPLES / "synth_squat_params.json").read_text())
print(f"found {reps.count} squats, truth {truth['n_reps']}; deepest at",
      reps.reps["peak_time"].round(2).tolist(), "s, truth", truth["rep_times_s"])
pk.plot.repetitions(knee, reps);

# %% [markdown]
# ## Arm raises

# %%
res = pk.load(SAMPLES / "synth_arm_raise.json")
kp = res.keypoints(min_score=0.2)
shoulder = pk.angles.joint_angles(kp)["left_shoulder"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(shoulder, fps=kp.attrs["fps"], direction="max")
truth = json.loads((SAMPLES / "synth_arm_raise_params.json").read_text())
print(f"found {reps.count} raises, truth {truth.get('n_reps')}")
pk.plot.repetitions(shoulder, reps);

# %% [markdown]
# ## Gait events and cadence

# %%
res = pk.load(SAMPLES / "synth_walk.json")
kp = res.keypoints(min_score=0.2)
events = pk.metrics.gait_events(kp)
events.head(8)

# %%
truth = json.loads((SAMPLES / "synth_walk_params.json").read_text())
cad = pk.metrics.cadence(kp)
print("truth cadence:", truth["cadence_spm"], "steps/min")
cad

# %%
ax = pk.plot.timeseries(kp, joints=["left_ankle", "right_ankle"], columns="y")
colours = {"left": "C0", "right": "C1"}
for row in events[events["event"] == "heel_strike"].itertuples():
    ax.axvline(row.time, color=colours[row.side], lw=0.8, ls="--")
ax.set_title("ankle height with heel strikes (dashed)")
ax.invert_yaxis();
