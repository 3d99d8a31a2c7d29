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
# # Kakao's Pose API, served locally
#
# `posekit serve` (or `posekit.server.BackgroundServer` in a notebook) answers the three endpoints of
# Kakao Brain's Pose API with posekit's offline estimator behind it. Code written for
# `https://cv-api.kakaobrain.com` works unchanged once the host is changed: below, first plain
# `requests` as in Kakao's own sample code, then `posekit.Client`. Needs the `[server,local]`
# extras and the model weights (`posekit models install`); the video is the Pose2Sim demo clip,
# fetched once from its PyPI wheel.

# %%
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

# %% [markdown]
# ## 1. Kakao-style code: only the host changed

# %%
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

# %%
# a wrong key gets Kakao's error body
requests.get(f"{srv.url}/pose/job/{job_id}", headers={"Authorization": "KakaoAK nope"}).json()

# %% [markdown]
# ## 2. `posekit.Client`

# %%
client = pk.Client(api_key="demo-key", base_url=srv.url)
res = client.analyze_video(video, smoothing=False, progress=False)
kp = res.keypoints()
print(res)
pk.angles.joint_angles(kp)[["left_knee", "right_knee"]].describe().round(1)

# %%
srv.stop()
