"""posekit.widgets.Player, driven from Python: what it shows for each frame and toggle."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from _tables import POSE, table
from _videos import make_video, read_code
from PIL import Image

from posekit.widgets import Player

ORANGE = np.array([255, 127, 14])  # person 1 (tab10)
BLUE = np.array([31, 119, 180])  # person 0


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("v") / "clip.mp4", 40, 320, 240, 20, "libx264")


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(data)).convert("RGB")).astype(int)


def near(img: np.ndarray, rgb: np.ndarray, tol: int = 40) -> np.ndarray:
    return np.abs(img - rgb).sum(axis=2) < tol


def test_player_shows_video_frame_with_skeletons(clip):
    kp = table(40, 2, fps=20.0, width=320, height=240)
    p = Player(kp, clip, width=640)
    assert (p.slider.min, p.slider.max, p.play.max) == (0, 39, 39)
    assert p.play.interval == 50  # 20 fps
    assert p._link.source == (p.play, "value") and p._link.target == (p.slider, "value")
    p.slider.value = 17  # what the browser does when playing or scrubbing
    assert p.frame == 17 and p.counter.value == "frame 17 / 39 · 0.85 s"
    img = decode(p.images["raw"].value)
    assert img.shape == (480, 640, 3)
    assert read_code(img.astype(np.uint8), 2.0) == 17  # the video frame at display scale
    # person 1's left upper arm, frame 17, at 2x display scale
    mid = ((POSE[5] + POSE[7]) / 2 + [80 + 17, 0]) * 2
    assert near(img, ORANGE)[
        int(mid[1]) - 2 : int(mid[1]) + 3, int(mid[0]) - 2 : int(mid[0]) + 3
    ].any()
    assert near(img, BLUE).sum() > 200
    p.close()


def test_player_toggles_and_speed(clip):
    kp = table(40, 2, fps=20.0, width=320, height=240)
    p = Player(kp, clip, width=320)
    p.people.value = (0,)
    img = decode(p.images["raw"].value)
    assert near(img, ORANGE).sum() == 0 and near(img, BLUE).sum() > 100
    p.people.value = (0, 1)
    p.joints.value = ("nose",)
    img_nose = decode(p.images["raw"].value)
    assert 0 < near(img_nose, BLUE).sum() < 60  # a single dot per person
    p.speed.value = 2.0
    assert p.play.interval == 25
    p.close()


def test_player_blank_canvas_compare_and_series():
    kp = table(30, 1, fps=10.0, width=200, height=120)
    smooth = kp.copy()
    smooth["x"] += 40
    ang = pd.DataFrame(
        {"left_knee": np.linspace(90, 180, 30)},
        index=pd.MultiIndex.from_product([range(30), [0]], names=["frame", "object_id"]),
    )
    p = Player(kp, compare={"smoothed": smooth}, series=ang, width=400)
    assert set(p.images) == {"raw", "smoothed"}
    raw, sm = decode(p.images["raw"].value), decode(p.images["smoothed"].value)
    assert raw.shape == (240, 400, 3)
    assert np.median(raw) < 60  # dark canvas
    xs_raw = np.nonzero(near(raw, BLUE))[1]
    xs_sm = np.nonzero(near(sm, BLUE))[1]
    assert abs((xs_sm.mean() - xs_raw.mean()) - 80) < 3  # +40 table px at 2x

    def cursor_col(data: bytes) -> float:
        img = decode(data)
        return float(np.nonzero(near(img, np.array([214, 39, 40]), 60).sum(axis=0) > 20)[0].mean())

    c0 = cursor_col(p.series_image.value)
    p.slider.value = 29
    c29 = cursor_col(p.series_image.value)
    assert c29 > c0 + 200  # the cursor moved right across the plot


def test_player_table_longer_than_video_warns(clip):
    kp = table(55, 1, fps=20.0, width=320, height=240)
    with pytest.warns(UserWarning, match="only 40 frames"):
        p = Player(kp, clip)
    assert p.slider.max == 39
    p.close()


def test_player_is_a_displayable_widget():
    p = Player(table(5, 1))
    bundle = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == p.model_id


def test_player_on_real_openpose_tracks(openpose_dir):
    """Pose2Sim cam01 (OpenPose, 1080x1920, two people): each track drawn where its joints are."""
    import posekit as pk
    from posekit.importers import load_openpose
    from posekit.plot import person_rgb

    res = load_openpose(openpose_dir / "cam01", fps=60, width=1080, height=1920)
    kp = pk.clean.assign_tracks(res.keypoints())
    p = Player(kp, width=540)  # blank canvas at half size
    assert (p.display_width, p.display_height) == (540, 960)
    p.slider.value = 40
    img = decode(p.images["raw"].value)
    frame = kp.xs(40, level="frame")
    for oid in frame.index.get_level_values("object_id").unique():
        hip = frame.loc[(oid, "left_hip"), ["x", "y"]].to_numpy(float) / 2
        if not np.isfinite(hip).all():
            continue
        x, y = np.rint(hip).astype(int)
        patch = img[y - 4 : y + 5, x - 4 : x + 5]
        assert near(patch, np.array(person_rgb(oid)), 60).any(), f"id {oid} not drawn at its hip"


def test_player_size_mismatch(clip):
    with pytest.raises(ValueError, match="another aspect ratio"):
        Player(table(5, 1, width=300, height=300), clip)
    with pytest.warns(UserWarning, match="scaling the points"):
        p = Player(table(40, 1, fps=20.0, width=160, height=120), clip, width=320)
    assert p._scales["raw"] == (2.0, 2.0)
    p.close()
