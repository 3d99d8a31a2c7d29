"""posekit.widgets.Player, driven from Python: what it shows for each frame and toggle."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from _tables import POSE, table
from _videos import make_video, read_code
from PIL import Image

from posekit.plot import person_rgb
from posekit.widgets import Player


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("v") / "clip.mp4", 40, 320, 240, 20, "libx264")


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(data)).convert("RGB")).astype(int)


def near(img: np.ndarray, rgb: np.ndarray, tol: int = 40) -> np.ndarray:
    return np.abs(img - rgb).sum(axis=2) < tol


def person(img: np.ndarray, oid: int, tol: int = 40) -> np.ndarray:
    """Pixels in any of person ``oid``'s colours (left, right or middle)."""
    return np.logical_or.reduce(
        [near(img, np.array(person_rgb(oid, s)), tol) for s in ("left", "right", "centre")]
    )


def test_player_shows_video_frame_with_skeletons(clip):
    kp = table(40, 2, fps=20.0, width=320, height=240)
    p = Player(kp, clip, width=640)
    assert (p.slider.min, p.slider.max, p.play.max) == (0, 39, 39)
    assert p.play.interval == 50  # 20 fps
    assert p._link.source == (p.play, "value") and p._link.target == (p.slider, "value")
    p.slider.value = 17  # what the browser does when playing or scrubbing
    assert p.frame == 17 and p.counter.value == "frame 17 / 39 · 0.85 s"
    img = decode(p.images[p.label].value)
    assert img.shape == (480, 640, 3)
    assert read_code(img.astype(np.uint8), 2.0) == 17  # the video frame at display scale
    # person 1's left upper arm, frame 17, at 2x display scale: the left (dark) shade
    mid = ((POSE[5] + POSE[7]) / 2 + [80 + 17, 0]) * 2
    assert near(img, np.array(person_rgb(1, "left")))[
        int(mid[1]) - 2 : int(mid[1]) + 3, int(mid[0]) - 2 : int(mid[0]) + 3
    ].any()
    assert person(img, 0).sum() > 200
    p.close()


def test_player_toggles_and_speed(clip):
    kp = table(40, 2, fps=20.0, width=320, height=240)
    p = Player(kp, clip, width=320)
    p.people.value = (0,)
    img = decode(p.images[p.label].value)
    assert person(img, 1).sum() == 0 and person(img, 0).sum() > 30
    p.people.value = (0, 1)
    p.show_ids.value = False
    p.joints.value = ("nose",)
    img_nose = decode(p.images[p.label].value)
    assert 0 < person(img_nose, 0).sum() < 60  # a single dot per person
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
    assert set(p.images) == {"input", "smoothed"}  # no history: "input"
    raw, sm = decode(p.images[p.label].value), decode(p.images["smoothed"].value)
    assert raw.shape == (240, 400, 3)
    assert np.median(raw) < 60  # dark canvas
    xs_raw = np.nonzero(person(raw, 0))[1]
    xs_sm = np.nonzero(person(sm, 0))[1]
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

    res = load_openpose(openpose_dir / "cam01", fps=60, width=1080, height=1920)
    kp = pk.clean.assign_tracks(res.keypoints())
    p = Player(kp, width=540)  # blank canvas at half size
    assert (p.display_width, p.display_height) == (540, 960)
    p.slider.value = 40
    img = decode(p.images[p.label].value)
    frame = kp.xs(40, level="frame")
    for oid in frame.index.get_level_values("object_id").unique():
        hip = frame.loc[(oid, "left_hip"), ["x", "y"]].to_numpy(float) / 2
        if not np.isfinite(hip).all():
            continue
        x, y = np.rint(hip).astype(int)
        patch = img[y - 4 : y + 5, x - 4 : x + 5]
        assert near(patch, np.array(person_rgb(oid, "left")), 60).any(), (
            f"id {oid} not drawn at its hip"
        )


def test_player_size_mismatch(clip):
    with pytest.raises(ValueError, match="another aspect ratio"):
        Player(table(5, 1, width=300, height=300), clip)
    with pytest.warns(UserWarning, match="scaling the points"):
        p = Player(table(40, 1, fps=20.0, width=160, height=120), clip, width=320)
    assert p._scales[p.label] == (2.0, 2.0)
    p.close()


def test_player_steps_presets_ids_and_events(clip):
    kp = table(40, 2, fps=20.0, width=320, height=240)
    p = Player(kp, clip, width=320)
    p.next_button.click()
    p.next_button.click()
    assert p.frame == 2 and p.counter.value.startswith("frame 2 /")
    p.prev_button.click()
    assert p.frame == 1
    p.prev_button.click()
    p.prev_button.click()  # never below the first frame
    assert p.frame == 0 and p.slider.value == 0
    p.slider.value = 39
    p.next_button.click()
    assert p.frame == 39
    # presets: the legs only -> nothing drawn above the hips
    p.preset.value = "legs"
    assert set(p.joints.value) == {
        f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle")
    }
    p.show_ids.value = False
    img = decode(p.images[p.label].value)
    hip_y = int(POSE[11, 1]) - 3  # table px = display px at width 320
    assert person(img, 0)[:hip_y].sum() == 0 and person(img, 0)[hip_y:].sum() > 30
    p.preset.value = "left"
    img = decode(p.images[p.label].value)
    assert near(img, np.array(person_rgb(0, "left"))).sum() > 30
    assert near(img, np.array(person_rgb(0, "right"))).sum() == 0
    # ids: a label box in the person's hue above the head
    p.preset.value = "all"
    without = decode(p.images[p.label].value)
    p.show_ids.value = True
    with_ids = decode(p.images[p.label].value)
    changed = np.abs(with_ids - without).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    # above the head (the head is 8 px from the top: the box is pushed into the picture)
    assert changed.sum() > 100 and ys.max() < 20
    # one box centred over each person's nose (frame 39: moved 39 px; person 1 80 px further)
    assert abs(xs[xs < 129].mean() - (POSE[0, 0] + 39)) < 4
    assert abs(xs[xs >= 129].mean() - (POSE[0, 0] + 80 + 39)) < 4
    # the box is the person's hue (70 %) over the picture
    left_box = changed & (np.arange(320) < 129)[None, :]
    right_box = changed & (np.arange(320) >= 129)[None, :]
    b0, b1 = with_ids[left_box], with_ids[right_box]
    assert (b0[:, 2] > b0[:, 0]).mean() > 0.6  # person 0 (blue): more blue than red
    assert (b1[:, 0] > b1[:, 2]).mean() > 0.6  # person 1 (orange): more red than blue
    # events: the current frame, recorded into a table
    p.slider.value = 12
    p.mark_button.click()
    p.event_name.value = "toe off right"
    p.step(5)
    p.mark()
    p.keyboard.marks += 1  # what the "m" key does in the browser
    ev = p.events
    assert ev["frame"].tolist() == [12, 17, 17]
    assert ev["event"].tolist() == ["heel strike left", "toe off right", "toe off right"]
    np.testing.assert_allclose(ev["time"], [0.6, 0.85, 0.85])
    p.undo_button.click()
    assert len(p.events) == 2 and "2 marked" in p.events_view.value
    p.close()


def test_player_keys_are_linked_in_the_browser():
    p = Player(table(10, 1))
    links = {(lk.source[1], lk.target[0], lk.target[1]) for lk in p._key_links}
    assert links == {("frame", p.slider, "value"), ("playing", p.play, "playing")}
    assert (p.keyboard.min, p.keyboard.max) == (0, 9)
    assert "ArrowRight" in p.keyboard._esm and "posekit-player" in p.keyboard._esm
    p.close()


def test_player_panel_names_and_saved_frame(tmp_path):
    import posekit as pk

    kp = table(30, 1, fps=10.0, width=200, height=120)
    bw = pk.smooth.butterworth(kp, cutoff_hz=2)
    p = Player(bw, compare={"raw": kp}, width=200)
    assert list(p.images) == ["butterworth", "raw"]  # named from its history, not "raw"
    p.save_frame(tmp_path / "f.png")
    saved = np.asarray(Image.open(tmp_path / "f.png").convert("RGB")).astype(int)
    assert saved.shape == (120, 400, 3)
    plain = np.concatenate(list(p.frame_images(p.frame).values()), axis=1)
    # the names are written at the top of each panel (white text on a dark box)
    top = np.abs(saved[:30] - plain[:30]).sum(axis=2) > 60
    assert top[:, :200].sum() > 40 and top[:, 200:].sum() > 40
    assert not (np.abs(saved[40:] - plain[40:]).sum(axis=2) > 60).any()
    p.close()


def test_player_series_strip_fits_portrait_video():
    kp = table(30, 2, fps=10.0, width=120, height=240)
    ang = pd.DataFrame(
        {"left_knee": np.linspace(90, 180, 60), "right_knee": np.linspace(100, 170, 60)},
        index=pd.MultiIndex.from_product([range(30), [0, 1]], names=["frame", "object_id"]),
    )
    p = Player(kp, series=ang)
    assert p.display_width == 320
    w = p._strip.background.shape[1]
    assert w >= 640  # wider than the portrait picture: the curves stay readable
    p.close()


def test_player_stamp_writes_frame_and_time():
    kp = table(30, 1, fps=10.0, width=200, height=120)
    plain = Player(kp, width=400)
    stamped = Player(kp, width=400, stamp=True)
    for p in (plain, stamped):
        p.slider.value = 12
    a, b = decode(plain.images[plain.label].value), decode(stamped.images[stamped.label].value)
    changed = np.abs(a - b).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 50 and ys.max() < 40 and xs.max() < 200  # the top-left corner
    plain.close()
    stamped.close()
