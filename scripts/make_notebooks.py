"""Write the notebooks in notebooks/ from the cell sources below (unexecuted, no outputs).

Run ``.venv/bin/python scripts/make_notebooks.py`` after editing; tests/test_notebooks.py executes
every notebook top to bottom.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

FIND_SAMPLES = """\
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
pd.set_option("display.width", 120)"""


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


QUICKSTART = [
    md("""
# posekit quickstart

Load a pose result (Kakao Pose API format), turn it into a tidy table, compute joint angles,
plot them and play the result back. The sample is a synthetic squat (`posekit.synth`) with
realistic noise, dropouts and missing frames; see `data/samples/README.md`.
"""),
    code(FIND_SAMPLES),
    md("## Load and tidy"),
    code("""
res = pk.load(SAMPLES / "synth_squat.json")
res
"""),
    code("""
# one row per (frame, object_id, joint); x, y in pixels, score 0-1, time in seconds
kp = res.keypoints()
kp.head()
"""),
    code("""
# Kakao reports undetected joints with a score near 0 and made-up coordinates: mask them,
# then bridge short gaps (up to 5 frames) linearly. attrs record what was applied.
kp = pk.clean.mask_low_confidence(kp, threshold=0.2)
kp = pk.clean.interpolate(kp, max_gap_frames=5)
kp.attrs
"""),
    md("## One frame, and keypoint confidence"),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[1, 1.6], layout="constrained")
pk.plot.skeleton(res, 52, ax=axes[0])  # a PoseResult: its own categories skeleton is used
pk.plot.confidence(res.keypoints(), ax=axes[1]);
"""),
    md("## Joint angles"),
    code("""
angles = pk.angles.joint_angles(kp)
angles.head()
"""),
    code("""
ax = pk.plot.timeseries(angles, columns=["left_knee", "left_hip", "left_shoulder"])
ax.set_ylabel("inner angle (°)");
"""),
    code("""
pk.metrics.range_of_motion(angles)
"""),
    md("## Where the wrist went, and the repetitions"),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
pk.plot.trajectory(kp, "right_wrist", ax=axes[0])
pk.plot.angle_angle(angles, "left_hip", "left_knee", ax=axes[1]);
"""),
    code("""
knee = angles["left_knee"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(knee, fps=kp.attrs["fps"])
pk.plot.repetitions(knee, reps)
reps.reps
"""),
    md("""
## Play it back

Play/pause and the slider run in the browser; the kernel draws each frame. Without a video the
skeletons are drawn on a dark canvas; pass `video="clip.mp4"` to draw over the video. Each
person has a hue: the left side dark, the right side light.

Step one frame with −1 / +1, or click the picture and use ← / → (space plays and pauses). "show"
picks joint groups (legs, arms, left, right). To place events such as heel strikes, step to the
frame, choose the event's name and press "mark" (or m): `player.events` holds them.
"""),
    code("""
player = pk.widgets.Player(kp, series=angles[["left_knee", "left_hip"]], width=560)
player
"""),
    code("""
player.events  # the frames you marked (empty until you press "mark")
"""),
    md("""
## A real video

posekit's own estimator on the Sports2D demo video (two people; see `data/samples/README.md`),
without and with its smoothing, side by side over the video. The video comes from the `sports2d`
wheel on PyPI (downloaded once by `fetch_demo_video`, then cached).
"""),
    code("""
from posekit.media import fetch_demo_video

video = fetch_demo_video("sports2d_demo")
raw = pk.load(SAMPLES / "sports2d_demo_raw.json").keypoints()
smoothed = pk.load(SAMPLES / "sports2d_demo_smoothed.json").keypoints()
pk.widgets.Player(raw, video, compare={"smoothed (One Euro)": smoothed}, width=440, label="raw")
"""),
]

SMOOTHING = [
    md("""
# Smoothing: which filter, and what it costs

Pose estimates jitter from frame to frame. A filter removes jitter but can lag behind the
movement or cut its peaks. With synthetic data the truth is known, so each method's error can
be measured directly.
"""),
    code(FIND_SAMPLES),
    code("""
res = pk.load(SAMPLES / "synth_squat.json")
raw = res.keypoints(min_score=0.2)
# the exact keypoints the sample was made from (regenerated with the sample's settings)
sim = pk.synth.generate("squat", noise_px=1.5, dropout=0.03, missing_frames=0.02, seed=1)
truth = sim.truth
truth.head()
"""),
    code("""
methods = {
    "butterworth 6 Hz": pk.smooth.butterworth(raw, cutoff_hz=6),
    "savgol 11": pk.smooth.savgol(raw, window=11, polyorder=2),
    "one euro": pk.smooth.one_euro(raw, min_cutoff=1.0, beta=0.05),
    "kalman": pk.smooth.kalman(raw),
}
table = pk.smooth.compare(raw, methods, truth=truth)
table.xs("all", level="joint")
"""),
    code("""
pk.plot.smoothing_comparison(raw, methods, joint="left_knee", coord="y", truth=truth,
                             metrics=table, frames=slice(30, 120));
"""),
    code("""
# Winter's residual analysis picks a cutoff from the data
pk.smooth.winter_cutoff(raw)
"""),
    md("## Raw and smoothed side by side"),
    code("""
pk.widgets.Player(raw, compare={"butterworth 6 Hz": methods["butterworth 6 Hz"]}, width=400,
                  label="raw")
"""),
]

KINEMATICS = [
    md("""
# Trajectories and kinematics

A synthetic walk in profile: where the feet and wrists travel, how fast, and how the hip and
knee angles move together.
"""),
    code(FIND_SAMPLES),
    code("""
res = pk.load(SAMPLES / "synth_walk.json")
kp = pk.clean.mask_low_confidence(res.keypoints(), threshold=0.2)
kp = pk.clean.interpolate(kp, max_gap_frames=5)
kp = pk.smooth.butterworth(kp, cutoff_hz=6)
fig, axes = plt.subplots(2, 1, figsize=(10, 7), layout="constrained")
pk.plot.trajectory(kp, "left_ankle", ax=axes[0])
pk.plot.trajectory(kp, "left_wrist", ax=axes[1]);
"""),
    code("""
vel = pk.kinematics.velocity(kp)
spd = pk.kinematics.speed(kp)
spd.head()
"""),
    code("""
ax = pk.plot.timeseries(spd, joints=["left_ankle", "right_ankle"], columns="speed")
ax.set_ylabel("speed (px/s)");
"""),
    code("""
# speeds in torso lengths per second do not depend on the camera distance
spd_n = pk.kinematics.speed(kp, normalize="torso")
pk.plot.timeseries(spd_n, joints=["left_wrist"], columns="speed").set_ylabel("torso lengths / s");
"""),
    code("""
pk.kinematics.path_length(kp).head()
"""),
    code("""
angles = pk.angles.joint_angles(kp)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
pk.plot.angle_angle(angles, "left_hip", "left_knee", ax=axes[0])
pk.plot.angle_angle(angles, "right_hip", "right_knee", ax=axes[1]);
"""),
    md("""
## On a real video

The Sports2D demo (posekit's estimator, smoothed): where each person's ankles went, drawn over a
frame of the video (fetched once from the `sports2d` wheel on PyPI, then cached).
"""),
    code("""
from posekit.media import fetch_demo_video

real = pk.load(SAMPLES / "sports2d_demo_smoothed.json").keypoints()
with pk.video.VideoReader(fetch_demo_video("sports2d_demo")) as reader:
    picture = reader.read(120)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
pk.plot.trajectory(real, "right_ankle", image=picture, ax=axes[0], colorbar=False)
pk.plot.trajectory(real, "right_wrist", image=picture, ax=axes[1]);
"""),
    code("""
# smoothness of the wrist's speed profile (SPARC: closer to 0 is smoother)
# (SPARC needs a gap-free series: the gaps were interpolated above; the central difference
# leaves the first and last frame NaN)
wrist = spd.xs(("left_wrist", 0), level=("joint", "object_id"))["speed"].iloc[1:-1]
pk.metrics.sparc(wrist.to_numpy(), fs=kp.attrs["fps"])
"""),
]

REPS_GAIT = [
    md("""
# Repetitions and gait

Count squats and arm raises from a joint angle, and find heel strikes and the cadence of a
walk. The synthetic samples come with the true answers (`*_params.json`) to compare against.
"""),
    code(FIND_SAMPLES + "\nimport json"),
    md("## Squats"),
    code("""
res = pk.load(SAMPLES / "synth_squat.json")
kp = pk.smooth.butterworth(res.keypoints(min_score=0.2), cutoff_hz=6)
knee = pk.angles.joint_angles(kp)["left_knee"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(knee, fps=kp.attrs["fps"])
truth = json.loads((SAMPLES / "synth_squat_params.json").read_text())
print(f"found {reps.count} squats, truth {truth['n_reps']}; deepest at",
      reps.reps["peak_time"].round(2).tolist(), "s, truth", truth["rep_times_s"])
pk.plot.repetitions(knee, reps);
"""),
    md("## Arm raises"),
    code("""
res = pk.load(SAMPLES / "synth_arm_raise.json")
kp = res.keypoints(min_score=0.2)
shoulder = pk.angles.joint_angles(kp)["left_shoulder"].xs(0, level="object_id")
reps = pk.metrics.count_repetitions(shoulder, fps=kp.attrs["fps"], direction="max")
truth = json.loads((SAMPLES / "synth_arm_raise_params.json").read_text())
print(f"found {reps.count} raises, truth {truth.get('n_reps')}")
pk.plot.repetitions(shoulder, reps);
"""),
    md("## Gait events and cadence"),
    code("""
res = pk.load(SAMPLES / "synth_walk.json")
kp = res.keypoints(min_score=0.2)
events = pk.metrics.gait_events(kp)
events.head(8)
"""),
    code("""
truth = json.loads((SAMPLES / "synth_walk_params.json").read_text())
cad = pk.metrics.cadence(kp)
print("truth cadence:", truth["cadence_spm"], "steps/min")
cad
"""),
    code("""
ax = pk.plot.timeseries(kp, joints=["left_ankle", "right_ankle"], columns="y")
colours = {"left": "C0", "right": "C1"}
for row in events[events["event"] == "heel_strike"].itertuples():
    ax.axvline(row.time, color=colours[row.side], lw=0.8, ls="--")
ax.set_title("ankle height with heel strikes (dashed)")
ax.invert_yaxis();
"""),
]

LOCAL_SERVER = [
    md("""
# Kakao's Pose API, served locally

`posekit serve` (or `posekit.server.BackgroundServer` in a notebook) answers the three endpoints of
Kakao Brain's Pose API with posekit's offline estimator behind it. Code written for
`https://cv-api.kakaobrain.com` works unchanged once the host is changed: below, first plain
`requests` as in Kakao's own sample code, then `posekit.Client`. Needs the `[server,local]`
extras and the model weights (`posekit models install`); the video is the Pose2Sim demo clip,
fetched once from its PyPI wheel.
"""),
    code("""
import tempfile
import time

import requests

import posekit as pk
from posekit.media import fetch_demo_video
from posekit.server import BackgroundServer, ServerConfig

video = fetch_demo_video("pose2sim_s01_cam01")  # 100 frames, 1080x1920, 60 fps
# jobs and results live in data_dir (SQLite + files); keys are the app keys it accepts
srv = BackgroundServer(ServerConfig(keys=("demo-key",), data_dir=tempfile.mkdtemp())).start()
srv.url
"""),
    md("## 1. Kakao-style code: only the host changed"),
    code("""
headers = {"Authorization": "KakaoAK demo-key"}
with open(video, "rb") as f:
    answer = requests.post(f"{srv.url}/pose/job", headers=headers, files={"file": f},
                           data={"smoothing": "true"})
job_id = answer.json()["job_id"]
while True:
    answer = requests.get(f"{srv.url}/pose/job/{job_id}", headers=headers).json()
    if answer["status"] not in ("waiting", "processing"):
        break
    time.sleep(0.5)
print(answer["status"], answer["video"], len(answer["annotations"]), "frames")
"""),
    code("""
# a wrong key gets Kakao's error body
requests.get(f"{srv.url}/pose/job/{job_id}", headers={"Authorization": "KakaoAK nope"}).json()
"""),
    md("## 2. `posekit.Client`"),
    code("""
client = pk.Client(api_key="demo-key", base_url=srv.url)
res = client.analyze_video(video, smoothing=False, progress=False)
kp = res.keypoints()
print(res)
pk.angles.joint_angles(kp)[["left_knee", "right_knee"]].describe().round(1)
"""),
    code("""
srv.stop()
"""),
]

STUDY = [
    md("""
# A study: many clips as one table

A synthetic gait study: 3 groups × 10 subjects × 4 trials, each trial a 10 s walk at 30 fps
with pixel noise and dropouts (`posekit.synth`). The groups walk at different step rates
(controls 1.8 steps/s, a slow group 1.5, a fast group 2.1; each subject ±0.05), so the study
should find cadences of about 90, 108 and 126 steps/min. The files are laid out as
`{group}/{subject}/trial{trial}.json`, as a lab would store them.
"""),
    code("""
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import posekit as pk

pd.set_option("display.width", 120)
root = Path(tempfile.mkdtemp(prefix="posekit_study_"))
STEP_HZ = {"control": 1.8, "slow": 1.5, "fast": 2.1}
rng = np.random.default_rng(0)
for g, hz in STEP_HZ.items():
    for s in range(10):
        subject_hz = hz + rng.uniform(-0.05, 0.05)
        for t in range(4):
            sim = pk.synth.generate("walk", duration_s=10, fps=30, rate_hz=subject_hz,
                                    noise_px=1.5, dropout=0.03, seed=1000 * s + 10 * t + len(g))
            folder = root / g / f"{g[0]}{s:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            pk.save(sim.result, folder / f"trial{t}.json")
"""),
    md("## Load: keys from the file names"),
    code("""
study = pk.load_study(str(root / "{group}/{subject}/trial{trial}.json"))
study
"""),
    code("""
# one row per clip, read in parallel: fps, frames, size, people, detection rate
study.clips.drop(columns="path").head()
"""),
    md("""
## One table for all clips

The keypoints of every clip, indexed by the keys and then `frame, object_id, joint`. Every
analysis function takes the extra levels and treats each clip as its own series, with that
clip's fps.
"""),
    code("""
kp = study.keypoints()
clean = pk.clean.interpolate(pk.clean.mask_low_confidence(kp, threshold=0.3), max_gap_frames=5)
ang = pk.angles.joint_angles(pk.smooth.butterworth(clean, cutoff_hz=6))
ang[["left_knee", "right_knee"]].head()
"""),
    md("""
## One call: the per-person summary

`study.summary()` streams the clips through worker processes (the whole study is never
held at once) and gives one row per clip and person: ranges of motion, repetitions, cadence
and its spread, symmetry, smoothness, detection rate. `study.map(func)` runs any per-clip
function the same way, and on a Dask cluster with `client=`.
"""),
    code("""
summary = study.summary()
summary[["detection_rate", "left_knee_rom_deg", "knee_rom_symmetry_pct", "n_steps", "cadence_spm", "sparc"]].head()
"""),
    code("""
per_subject = summary.groupby(["group", "subject"])["cadence_spm"].mean()
per_group = per_subject.groupby("group").agg(["mean", "std", "count"])
per_group["expected"] = [60 * STEP_HZ[g] for g in per_group.index]
per_group.round(1)
"""),
    code("""
groups = ["slow", "control", "fast"]
f, p = stats.f_oneway(*(per_subject.loc[g] for g in groups))
print(f"one-way ANOVA over subjects' mean cadence: F = {f:.0f}, p = {p:.1e}")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.boxplot([per_subject.loc[g] for g in groups], tick_labels=groups)
for i, g in enumerate(groups, start=1):
    ax.axhline(60 * STEP_HZ[g], xmin=(i - 0.7) / 3, xmax=(i - 0.3) / 3, color="C3", lw=1)
ax.set_ylabel("cadence (steps/min)")
ax.set_title("cadence per subject by group (red: the synthetic truth)")
plt.show()
"""),
    code("""
# the known differences, recovered: each group's mean within 2 steps/min of the truth
for g in groups:
    assert abs(per_group.loc[g, "mean"] - 60 * STEP_HZ[g]) < 2, per_group
assert p < 1e-6
"""),
    md("""
## Store the study

A partitioned Parquet dataset (hive partitions on the keys) that pandas, pyarrow,
`dask.dataframe`, DuckDB and polars read; `pk.read_table` gives back the same table with
its index, the `joint` categorical, `attrs` and every clip's metadata.
"""),
    code("""
pk.write_table(kp, root / "keypoints", partition_on=["group"])
back = pk.read_table(root / "keypoints", filters=[("group", "=", "fast")])
print(sorted(p.name for p in (root / "keypoints").iterdir()))
back.attrs["clips"].loc["fast"].head(3)
"""),
]


NOTEBOOKS = {
    "quickstart.ipynb": QUICKSTART,
    "local_server.ipynb": LOCAL_SERVER,
    "smoothing.ipynb": SMOOTHING,
    "kinematics.ipynb": KINEMATICS,
    "repetitions_gait.ipynb": REPS_GAIT,
    "study.ipynb": STUDY,
}


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells)
        for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives the same files
            cell.id = f"{Path(name).stem}-{i:02d}"
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nbformat.write(nb, out / name)
        print("wrote", out / name)


if __name__ == "__main__":
    main()
