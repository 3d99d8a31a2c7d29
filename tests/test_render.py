"""Overlay drawing (numpy rasteriser), frame access with seeking, and the video export + CLI."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
from _tables import POSE, table
from _videos import make_video, read_code

from posekit._frames import FrameSource
from posekit.cli import main
from posekit.plot import person_rgb
from posekit.plot._overlay import Overlay
from posekit.plot._raster import blank, draw_skeletons, encode_jpeg
from posekit.plot.render import render_video
from posekit.tidy import to_result
from posekit.video import VideoError


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """60 frames 320x240 at 25 fps, H.264 with a keyframe every 12 frames."""
    return make_video(tmp_path_factory.mktemp("v") / "clip.mp4", 60, 320, 240, 25, "libx264")


# -- rasteriser --------------------------------------------------------------------------------
def test_draw_line_pixels_exact_and_faded():
    img = blank(50, 30, value=0)
    xy = np.full((1, 17, 2), np.nan)
    xy[0, 0] = (5, 10)
    xy[0, 1] = (40, 10)
    xy[0, 2] = (40, 25)
    pairs = np.array([[0, 1], [1, 2]])
    score = np.array([[1.0, 1.0, 0.0] + [1.0] * 14])
    draw_skeletons(
        img,
        xy,
        score,
        pairs,
        np.array([[200, 100, 50]]),
        thickness=1,
        radius=0,
        min_score=0.2,
        faded_alpha=0.5,
    )
    # confident horizontal line: exactly the colour along y=10, nothing on y=12
    np.testing.assert_array_equal(img[10, 7:39], [[200, 100, 50]] * 32)
    assert not img[12, 7:39].any()
    # faded vertical line towards a low-confidence joint: half the colour, blended once
    np.testing.assert_array_equal(img[15:24, 40], [[100, 50, 25]] * 9)
    # joint centre: its colour inside a one-pixel white ring
    np.testing.assert_array_equal(img[10, 5], [200, 100, 50])


def test_draw_skips_nan_and_masked_joints_and_clips_to_picture():
    img = blank(20, 20, value=0)
    xy = np.full((1, 17, 2), np.nan)
    xy[0, 0] = (-50, 5)  # far outside: clipped, no error
    xy[0, 1] = (10, 5)
    xy[0, 3] = (10, 15)
    draw_skeletons(
        img,
        xy,
        None,
        np.array([[0, 1], [1, 2], [1, 3]]),
        np.array([[255, 0, 0]]),
        thickness=1,
        radius=0,
        joint_mask=np.r_[np.ones(3, bool), np.zeros(14, bool)],
    )
    assert img[5, 0:10, 0].all()  # clipped line from outside reaches the left edge
    assert not img[11:15, 10].any()  # joint 3 masked: no line 1-3


def test_overlay_scales_and_selects_people():
    kp = table(3, 2)
    ov = Overlay(kp)
    assert list(ov.object_ids) == [0, 1] and ov.n_frames == 3
    img = blank(400, 240, value=0)
    ov.draw(
        img, 2, scale=(2.0, 2.0), people=np.array([False, True]), thickness=1, radius=0,
        labels=False,
    )  # fmt: skip
    ys, xs = np.nonzero(img.any(axis=2))
    # person 1 only: x from 2*(80+34+2) to 2*(80+66+2), plus the joints' 1-px white ring
    assert xs.min() == 2 * (80 + POSE[:, 0].min() + 2) - 1
    assert xs.max() == 2 * (80 + POSE[:, 0].max() + 2) + 1
    assert ys.max() == 2 * POSE[:, 1].max() + 1
    colours = {tuple(c) for c in img[ys, xs]}
    # person 1's left, right and middle shades of tab10 orange, and white rings
    assert colours == {person_rgb(1, s) for s in ("left", "right", "centre")} | {(255, 255, 255)}
    assert ov.draw(blank(10, 10), 99) is not None  # frame without people: untouched


def test_encode_jpeg_roundtrip():
    from io import BytesIO

    from PIL import Image

    img = blank(64, 48, value=90)
    data = encode_jpeg(img)
    assert data[:2] == b"\xff\xd8"
    back = np.asarray(Image.open(BytesIO(data)))
    assert back.shape == (48, 64, 3) and abs(int(back.mean()) - 90) <= 2


# -- frame access --------------------------------------------------------------------------------
def test_frame_source_random_access_and_cache(clip):
    with FrameSource(clip, cache_size=8) as fs:
        assert (fs.width, fs.height, fs.n_frames, fs.fps) == (320, 240, 60, 25.0)
        order = list(range(60))
        random.Random(3).shuffle(order)
        assert [read_code(fs.frame(i)) for i in order] == order
        a = fs.frame(7, width=160)
        assert a.shape == (120, 160, 3) and read_code(a, 0.5) == 7
        assert fs.frame(7, width=160) is a  # cached
        assert [i for i, _ in fs.frames(56, 99)] == [56, 57, 58, 59]
        with pytest.raises(IndexError, match="outside the video"):
            fs.frame(60)


def test_frame_source_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        FrameSource(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(VideoError, match="cannot be read as a video"):
        FrameSource(bad)


# -- export --------------------------------------------------------------------------------------
def test_render_over_video_keeps_frames_and_draws(clip, tmp_path):
    kp = table(60, 2, fps=25.0, width=320, height=240)
    out = render_video(kp, clip, tmp_path / "o.mp4", progress=False)
    with FrameSource(out) as fs, FrameSource(clip) as src:
        assert (fs.n_frames, fs.width, fs.height) == (60, 320, 240)
        for i in (0, 13, 59):
            got, orig = fs.frame(i).astype(int), src.frame(i).astype(int)
            assert read_code(got) == i  # the right video frame under the overlay
            diff = np.abs(got - orig).sum(axis=2)
            # along person 0's right upper arm (shoulder -> elbow), the picture changed
            p = (POSE[6] + POSE[8]) / 2 + [i, 0]
            assert diff[int(p[1]), int(p[0])] > 100
            assert np.median(diff[150:, 200:]) < 12  # away from people: unchanged


def test_render_blank_canvas_and_width(tmp_path):
    kp = table(8, 1, fps=10.0, width=200, height=120)
    out = render_video(kp, None, tmp_path / "b.mp4", progress=False, width=100, codec="mpeg4")
    with FrameSource(out) as fs:
        assert (fs.n_frames, fs.width, fs.height, fs.fps) == (8, 100, 60, 10.0)
        assert fs.codec == "mpeg4"


def test_render_mismatches(clip, tmp_path):
    long = table(80, 1, fps=25.0, width=320, height=240)
    with pytest.warns(UserWarning, match="only 60 frames"):
        out = render_video(long, clip, tmp_path / "l.mp4", progress=False)
    assert FrameSource(out).n_frames == 60
    with pytest.raises(ValueError, match="only 60 frames"):
        render_video(long, clip, tmp_path / "l2.mp4", progress=False, on_mismatch="error")
    half = table(10, 1, fps=25.0, width=160, height=120)
    with pytest.warns(UserWarning, match="scaling the points by 2"):
        render_video(half, clip, tmp_path / "h.mp4", progress=False)
    other = table(10, 1, fps=25.0, width=200, height=200)
    with pytest.raises(ValueError, match="another aspect ratio"):
        render_video(other, clip, tmp_path / "a.mp4", progress=False)
    slow = table(10, 1, fps=5.0, width=320, height=240)
    with pytest.warns(UserWarning, match="5 fps, the video 25 fps"):
        render_video(slow, clip, tmp_path / "f.mp4", progress=False)
    assert not list(tmp_path.glob(".*partial*"))  # no temporary files left


def test_render_fps_required(clip, tmp_path):
    kp = table(5, 1, fps=None, width=320, height=240)
    with pytest.raises(ValueError, match="fps is unknown"):
        render_video(kp, None, tmp_path / "x.mp4", progress=False)
    with pytest.warns(UserWarning, match="using the video's 25 fps"):
        render_video(kp, clip, tmp_path / "y.mp4", progress=False)
    assert not (tmp_path / "x.mp4").exists()


def test_render_unreadable_video(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoError):
        render_video(table(3, 1), bad, tmp_path / "o.mp4", progress=False)


def test_cli_render(clip, tmp_path, capsys):
    res = tmp_path / "r.json"
    to_result(table(60, 2, fps=25.0, width=320, height=240)).save(res)
    out = tmp_path / "cli.mp4"
    assert main(["render", str(res), "--video", str(clip), "-o", str(out), "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert FrameSource(out).n_frames == 60
    assert main(["render", str(res), "--video", str(tmp_path / "missing.mp4"), "-o", str(out)]) == 1
    assert "missing.mp4" in capsys.readouterr().err
    to_result(table(70, 1, fps=25.0, width=320, height=240)).save(res)
    assert main(["render", str(res), "--video", str(clip), "-o", str(out), "--strict"]) == 1
    assert "only 60 frames" in capsys.readouterr().err
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            main(["render", str(res), "--video", str(clip), "-o", str(out), "--no-progress"]) == 0
        )
    assert "warning: render_video: the table has frames up to 69" in capsys.readouterr().err


def test_render_video_with_padded_rows(tmp_path):
    # 360 px * 3 bytes is not a multiple of FFmpeg's row alignment: decoded frames are strided
    clip = make_video(tmp_path / "odd.mp4", 5, 360, 240, 25, "mpeg4")
    kp = table(5, 1, fps=25.0, width=360, height=240)
    with FrameSource(clip) as fs:
        assert not fs.frame(0).flags.c_contiguous
    out = render_video(kp, clip, tmp_path / "o.mp4", progress=False)
    with FrameSource(out) as fs:
        assert read_code(fs.frame(4)) == 4


def test_render_warns_when_the_video_ends_before_its_header_says(tmp_path):
    # an AVI cut at 60 %: its header still says 60 frames, it holds ~25
    full = make_video(tmp_path / "c.avi", 60, 320, 240, 25, "mpeg4")
    short = tmp_path / "short.avi"
    data = full.read_bytes()
    short.write_bytes(data[: int(len(data) * 0.6)])
    kp = table(60, 1, fps=25.0, width=320, height=240)
    with pytest.warns(UserWarning, match="header says 60 frames but it ended after") as rec:
        out = render_video(kp, short, tmp_path / "o.mp4", progress=False)
    with FrameSource(out) as fs:
        n = fs.n_frames
    assert 10 < n < 60
    assert f"frames 0..{n - 1} written, {60 - n} asked for" in str(rec[-1].message)
    with pytest.raises(ValueError, match="header says 60 frames"):
        render_video(kp, short, tmp_path / "o2.mp4", progress=False, on_mismatch="error")


def test_render_draws_ids_stamp_and_trail(tmp_path):
    kp = table(30, 2, fps=10.0, width=320, height=240)
    plain = render_video(
        kp, None, tmp_path / "plain.mp4", progress=False, labels=False, stamp=False
    )
    full = render_video(kp, None, tmp_path / "full.mp4", progress=False, trail=10)
    with FrameSource(plain) as a, FrameSource(full) as b:
        p, f = a.frame(20).astype(int), b.frame(20).astype(int)
    changed = np.abs(f - p).sum(axis=2) > 60
    # the stamp: the top-left corner (light text on a dark box)
    assert changed[:20, :80].sum() > 30
    # the id labels: above each head (nose at y=10 -> the box is at the top), over x = 70 / 150
    for x in (50 + 20, 50 + 80 + 20):
        assert changed[:20, x - 10 : x + 10].sum() > 20, x
    # the ankle trail: behind (left of) the ankles, at their height, nowhere near the head
    ankle_y = int(POSE[15, 1])
    behind = changed[ankle_y - 3 : ankle_y + 4, int(POSE[15, 0]) + 12 : int(POSE[15, 0]) + 18]
    assert behind.any()
    assert not changed[30:90, 0:30].any()


def test_cli_render_trail(tmp_path, capsys):
    res = to_result(table(20, 1, fps=10.0, width=320, height=240))
    src = tmp_path / "r.json"
    from posekit.io import save

    save(res, src)
    out = tmp_path / "o.mp4"
    code = main(
        ["render", str(src), "-o", str(out), "--trail", "8", "--trail-joints", "left_wrist",
         "--no-progress"]
    )  # fmt: skip
    assert code == 0 and out.exists()
    bare = tmp_path / "bare.mp4"
    assert main(["render", str(src), "-o", str(bare), "--no-labels", "--no-stamp"]) == 0
    with FrameSource(out) as a, FrameSource(bare) as b:
        top_a, top_b = a.frame(15)[:20].astype(int), b.frame(15)[:20].astype(int)
    assert (top_b[:, :30].sum(axis=2) > 150).sum() == 0  # no stamp (the person is at x > 45)
    assert (top_a[:, :30].sum(axis=2) > 150).sum() > 10  # the stamp's text
    assert (np.abs(top_a - top_b).sum(axis=2) > 60)[:, 45:].sum() > 20  # and the id
    assert main(["render", str(src), "-o", str(out), "--trail-joints", "knee"]) == 2
    assert "unknown joint" in capsys.readouterr().err


def test_filled_joints_are_rings_and_their_bones_dashed():
    img = blank(60, 30, value=0)
    xy = np.full((1, 17, 2), np.nan)
    xy[0, 0] = (5, 10)
    xy[0, 1] = (50, 10)
    xy[0, 2] = (50, 25)
    filled = np.zeros((1, 17), bool)
    filled[0, 1] = True
    score = np.array([[1.0, np.nan, 1.0] + [1.0] * 14])
    colour = [200, 100, 50]
    draw_skeletons(
        img, xy, score, np.array([[0, 1], [1, 2]]), np.array([colour]),
        thickness=1, radius=3, filled=filled,
    )  # fmt: skip
    # a ring of the person's colour around the filled joint, its inside left as it was
    np.testing.assert_array_equal(img[10, 54], colour)
    np.testing.assert_array_equal(img[6, 50], colour)
    assert not img[9, 51:53].any()  # inside the ring, off the two bones: untouched
    # the bone to the filled joint is dashed: runs of the colour with gaps, at full strength
    row = img[10, 10:45]
    on = (row == colour).all(axis=1)
    assert 0.3 < on.mean() < 0.7 and not (row[~on] != 0).any()
    # the detected joint keeps its solid dot
    np.testing.assert_array_equal(img[10, 5], colour)


def test_overlay_and_player_draw_filled_points_hollow():
    from posekit.widgets import Player

    kp = table(4, 1, width=200, height=120)
    kp["filled"] = False
    key = (1, 0, "left_knee")
    kp.loc[key, ["score", "filled"]] = [np.nan, True]
    kp["filled"] = kp["filled"].astype(bool)
    x, y = (POSE[13] + [1, 0]).astype(int)
    img = blank(200, 120, value=0)
    Overlay(kp).draw(img, 1, thickness=1, radius=3)
    ov = Overlay(kp)
    knee = ov.colours[0, 0]  # left side's shade of person 0
    assert (img[y, x + 4] == knee).all() and (img[y, x - 4] == knee).all()  # the ring
    assert not img[y, x + 1 : x + 3].any() and not img[y, x - 2 : x].any()  # hollow inside
    plain = blank(200, 120, value=0)
    Overlay(kp.drop(columns="filled")).draw(plain, 1, thickness=1, radius=3)
    assert plain[y, x + 1].any()  # the same point unmarked: a full (faded) dot
    p = Player(kp, width=200)  # draws through the same Overlay, at display scale 1
    (shown,) = p.frame_images(1).values()
    p.close()
    want = blank(200, 120)
    Overlay(kp).draw(want, 1)
    np.testing.assert_array_equal(shown, want)
    assert not np.array_equal(want[y - 4 : y + 5, x - 4 : x + 5], blank(9, 9))
