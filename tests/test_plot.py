"""posekit.plot: what is drawn (segments, colours, data), not just that nothing raises."""

from __future__ import annotations

import copy

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _tables import POSE, table

import posekit as pk
import posekit.plot as pp
from posekit import PoseResult
from posekit.plot._colours import pair_sides
from posekit.schema import COCO_SKELETON, JOINT_INDEX, KAKAO_SKELETON


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    found += [a for a in ax.collections if a.get_gid() == gid and a not in found]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def rgb_of(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def test_skeleton_pixels_left_and_right_forearms_differ_and_id_is_drawn():
    kp = table(1, 1, width=100, height=160)
    kp["y"] += 40  # the head 48 px below the top: room for the label above it
    fig, ax = plt.subplots(figsize=(4, 6.4), dpi=100)
    pp.skeleton(kp, 0, ax=ax, side_legend=False, linewidth=5)
    img = rgb_of(fig)

    def pixel(x, y):
        px, py = ax.transData.transform((x, y))
        return img[round(img.shape[0] - py), round(px)]

    # midpoints of the forearms (elbow 7/8 -> wrist 9/10)
    left = pixel(*(POSE[7] + POSE[9]) / 2 + [0, 40])
    right = pixel(*(POSE[8] + POSE[10]) / 2 + [0, 40])
    np.testing.assert_allclose(left, np.array(pp.person_rgb(0, "left")), atol=12)
    np.testing.assert_allclose(right, np.array(pp.person_rgb(0, "right")), atol=12)
    # far apart in lightness too (not only in hue): mean channel differs by > 80 of 255
    assert abs(left.mean() - right.mean()) > 80
    # the id label: a box in the person's hue above the head, with its text
    label = by_gid(ax, "label-0")
    assert label.get_text() == "id 0" and label.get_fontsize() >= 10
    box = label.get_bbox_patch().get_window_extent()
    head_y = ax.transData.transform(POSE[1] + [0, 40])[1]
    assert box.y0 > head_y  # above the eyes, not on the head
    inside = img[int(img.shape[0] - box.y1) + 2 : int(img.shape[0] - box.y0) - 2,
                 int(box.x0) + 2 : int(box.x1) - 2]  # fmt: skip
    hue = np.array(pp.person_rgb(0))
    assert (np.abs(inside - hue).sum(axis=2) < 60).mean() > 0.5  # the box (alpha 0.9)
    assert (inside.sum(axis=2) > 700).sum() > 10  # white text on it
    assert ax.get_xlabel() == "x (px)" and ax.get_ylabel() == "y (px)"
    # a head at the picture's top edge: the label goes beside it, inside the axes
    fig, ax = plt.subplots(figsize=(4, 4.8), dpi=100)
    pp.skeleton(table(1, 1, width=100, height=120), 0, ax=ax)
    fig.canvas.draw()
    box = by_gid(ax, "label-0").get_bbox_patch().get_window_extent()
    axes_box = ax.get_window_extent()
    assert box.y1 <= axes_box.y1 and box.x0 > ax.transData.transform(POSE[0])[0]  # right of nose


def test_colour_scheme_is_overridable_in_one_place():
    gait = pp.ColourScheme.gait_lab()
    old = pp.set_colour_scheme(gait)
    try:
        assert pp.person_rgb(3, "left") == (213, 94, 0) and pp.person_rgb(0, "right") == (
            0,
            114,
            178,
        )
        ax = pp.skeleton(table(1, 1), 0)
        colours = by_gid(ax, "skeleton-0").get_colors()[:, :3]
        assert np.isclose(colours, np.array([213, 94, 0]) / 255).all(axis=1).any()
    finally:
        pp.set_colour_scheme(old)
    assert pp.colour_scheme() is old
    pp.set_colour_scheme(pp.ColourScheme.gait_lab())
    pp.set_colour_scheme(None)  # back to the default
    assert pp.colour_scheme() == pp.ColourScheme() and pp.person_rgb(0) == (31, 119, 180)
    pp.set_colour_scheme(old)
    # the default: a hue per person (tab10), left darker and right lighter than it
    for oid in range(10):
        hue = np.array(pp.person_rgb(oid))
        assert (
            np.array(pp.person_rgb(oid, "left")).sum()
            < hue.sum()
            < np.array(pp.person_rgb(oid, "right")).sum()
        )
    with pytest.raises(TypeError):
        pp.set_colour_scheme("red")  # type: ignore[arg-type]


def _lightness(rgb) -> float:
    """CIE L* of an sRGB colour (0-100)."""
    c = np.asarray(rgb, float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = float(c @ [0.2126, 0.7152, 0.0722])
    return 116 * np.cbrt(y) - 16 if y > 0.008856 else 903.3 * y


def test_left_and_right_differ_in_lightness_for_every_person():
    # lightness survives every colour-vision deficiency (and greyscale printing): measured
    # 41.8-49.5 L* units between the left and right shades of the ten hues
    for oid in range(10):
        dl = _lightness(pp.person_rgb(oid, "right")) - _lightness(pp.person_rgb(oid, "left"))
        assert dl > 35, (oid, dl)


def test_skeleton_segments_colours_and_fading():
    kp = table(4, 2)
    # person 1: left wrist low confidence, right ankle missing
    kp.loc[(2, 1, "left_wrist"), "score"] = 0.05
    kp.loc[(2, 1, "right_ankle"), ["x", "y"]] = np.nan
    ax = pp.skeleton(kp, 2)
    pairs = np.array(KAKAO_SKELETON) - 1
    lc0 = by_gid(ax, "skeleton-0")
    segs0 = lc0.get_segments()
    assert len(segs0) == len(KAKAO_SKELETON)
    # the segments are the table's coordinates for frame 2
    want = np.stack([POSE[pairs[:, 0]], POSE[pairs[:, 1]]], axis=1) + np.array([2, 0])
    np.testing.assert_allclose(np.array(segs0), want)
    # each bone in its side's colour: left dark, right light, middle (bars, face) the hue
    sides = [("left", "right", "centre")[k] for k in pair_sides(pairs)]
    want_rgb = [pp.person_color(0, sd) for sd in sides]
    assert np.allclose(lc0.get_colors()[:, :3], want_rgb)
    assert np.all(lc0.get_colors()[:, 3] == 1.0)
    lc1 = by_gid(ax, "skeleton-1")
    n_ankle = sum(JOINT_INDEX["right_ankle"] in p for p in pairs)
    assert len(lc1.get_segments()) == len(pairs) - n_ankle
    alphas = lc1.get_colors()[:, 3]
    n_wrist = sum(JOINT_INDEX["left_wrist"] in p for p in pairs)
    assert np.sum(alphas < 1) == n_wrist
    kept = [k for k, p in enumerate(pairs) if JOINT_INDEX["right_ankle"] not in p]
    assert np.allclose(lc1.get_colors()[:, :3], [pp.person_color(1, sides[k]) for k in kept])
    pts = by_gid(ax, "joints-1")
    assert len(pts.get_offsets()) == 16
    assert np.sum(pts.get_facecolors()[:, 3] < 1) == 1
    assert ax.yaxis_inverted()
    assert ax.get_xlim() == (0, 200) and ax.get_ylim() == (120, 0)


def test_skeleton_people_joints_and_coco_skeleton():
    kp = table(3, 2)
    ax = pp.skeleton(kp, 0, object_ids=[1], skeleton=COCO_SKELETON)
    assert [c.get_gid() for c in ax.collections if c.get_gid()] == ["skeleton-1", "joints-1"]
    assert len(by_gid(ax, "skeleton-1").get_segments()) == len(COCO_SKELETON)
    ax = pp.skeleton(kp, 0, joints=["left_hip", "right_hip", "left_knee"], object_ids=0)
    segs = by_gid(ax, "skeleton-0").get_segments()
    assert len(segs) == 2  # hip-hip and knee-hip


def test_skeleton_uses_result_categories_and_image():
    from posekit.tidy import to_result

    kp = table(3, 1)
    job = copy.deepcopy(to_result(kp).job)  # a result is immutable: edit a copy of its job
    job.categories[0].skeleton = [[6, 7], [12, 13]]  # a two-bone skeleton
    res = PoseResult.from_job(job)
    img = np.zeros((120, 200, 3), np.uint8)
    kp = res.keypoints()
    assert kp.attrs["skeleton"] == [[6, 7], [12, 13]]  # the table carries what the view needs
    assert to_result(kp).keypoints().attrs["skeleton"] == [[6, 7], [12, 13]]  # and back
    ax = pp.skeleton(kp, 1, image=img)
    assert len(by_gid(ax, "skeleton-0").get_segments()) == 2
    assert "skeleton" not in to_result(table(3, 1)).keypoints().attrs  # Kakao's: the default
    with pytest.warns(DeprecationWarning, match="PoseResult is deprecated"):  # still drawn
        old = pp.skeleton(res, 1, ax=plt.figure().subplots())
    assert len(by_gid(old, "skeleton-0").get_segments()) == 2
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (120, 200, 3)


def test_skeleton_bad_input():
    kp = table(3, 1)
    with pytest.raises(ValueError, match="frame 99 is not in the table"):
        pp.skeleton(kp, 99)
    with pytest.raises(ValueError, match="no person with object_id"):
        pp.skeleton(kp, 0, object_ids=[5])
    with pytest.raises(ValueError, match="1-based"):
        pp.skeleton(kp, 0, skeleton=[(0, 1)])
    with pytest.raises(ValueError, match="indexed by"):
        pp.skeleton(kp.reset_index())


def test_trajectory_coloured_by_time():
    kp = table(10, 2)
    kp.loc[(4, 0, "nose"), ["x", "y"]] = np.nan  # a gap: two segments fewer
    ax = pp.trajectory(kp, "nose", colorbar=False)
    lc0, lc1 = by_gid(ax, "trajectory-0"), by_gid(ax, "trajectory-1")
    assert len(lc0.get_segments()) == 9 - 2 and len(lc1.get_segments()) == 9
    np.testing.assert_allclose(lc1.get_segments()[0], [[130, 10], [131, 10]])
    np.testing.assert_allclose(lc1.get_array(), (np.arange(9) + 0.5) / 10.0)  # mid times, s
    assert ax.yaxis_inverted()
    assert ax.get_aspect() == 1.0


def test_timeseries_keypoints_angles_and_speed():
    kp = table(10, 2)
    ax = pp.timeseries(kp, joints=["nose"], columns=["x"], object_ids=[1])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), np.arange(10) / 10.0)
    np.testing.assert_allclose(line.get_ydata(), 130 + np.arange(10))
    assert ax.get_xlabel() == "time (s)"
    ax = pp.timeseries(kp, joints="nose", columns="speed", object_ids=0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[1:], 10.0)  # 1 px/frame at 10 fps
    idx = pd.MultiIndex.from_product([range(5), [0, 3]], names=["frame", "object_id"])
    ang = pd.DataFrame({"left_knee": np.arange(10.0), "right_knee": -np.arange(10.0)}, index=idx)
    ax = pp.timeseries(ang)
    lines = ax.get_lines()
    assert len(lines) == 4
    assert {ln.get_label() for ln in lines} == {
        f"{a} · id {p}" for a in ("left_knee", "right_knee") for p in (0, 3)
    }
    knee3 = next(ln for ln in lines if ln.get_label() == "left_knee · id 3")
    np.testing.assert_allclose(knee3.get_ydata(), [1, 3, 5, 7, 9])
    assert knee3.get_color() == pp.person_color(3)
    assert ax.get_xlabel() == "frame"
    with pytest.raises(ValueError, match="no column"):
        pp.timeseries(ang, columns="hip")


def test_confidence_heatmap_grid():
    kp = table(6, 2)
    kp = kp.drop(index=3, level="frame")  # person absent in frame 3
    kp.loc[(4, 1, "left_knee"), "score"] = 0.25
    ax = pp.confidence(kp, object_id=1, colorbar=False)
    grid = ax.images[0].get_array()
    assert grid.shape == (17, 6)
    assert grid.mask[:, 3].all()
    assert grid[JOINT_INDEX["left_knee"], 4] == pytest.approx(0.25)
    assert grid[0, 0] == pytest.approx(0.9)


def test_angle_angle():
    idx = pd.MultiIndex.from_product([range(8), [0]], names=["frame", "object_id"])
    ang = pd.DataFrame({"hip": np.arange(8.0), "knee": 2 * np.arange(8.0)}, index=idx)
    ax = pp.angle_angle(ang, "hip", "knee", colorbar=False)
    segs = by_gid(ax, "angle-angle-0").get_segments()
    assert len(segs) == 7
    np.testing.assert_allclose(segs[3], [[3, 6], [4, 8]])
    assert ax.get_xlabel() == "hip (°)"


def test_smoothing_comparison_lines_and_table():
    kp = table(10, 1)
    smooth = kp.copy()
    smooth["x"] += 1
    metrics = pd.DataFrame({"rmse_px": [1.23456, 0.5]}, index=["shifted", "other"])
    ax = pp.smoothing_comparison(
        kp, {"shifted": smooth}, joint="nose", coord="x", truth=kp, metrics=metrics
    )
    np.testing.assert_allclose(by_gid(ax, "raw").get_ydata(), 50 + np.arange(10))
    np.testing.assert_allclose(by_gid(ax, "method-shifted").get_ydata(), 51 + np.arange(10))
    np.testing.assert_allclose(by_gid(ax, "truth").get_ydata(), 50 + np.arange(10))
    tab = next(t for t in ax.tables if t.get_gid() == "metrics-table")
    texts = {c.get_text().get_text() for c in tab.get_celld().values()}
    assert {"rmse_px", "shifted", "1.23", "0.5"} <= texts


def test_repetitions_markers():
    t = np.arange(100)
    s = pd.Series(np.cos(2 * np.pi * t / 25), index=pd.Index(t, name="frame"), name="left_knee")
    s.attrs["fps"] = 25.0
    reps = pd.DataFrame(
        {"start_frame": [0, 25, 50], "end_frame": [25, 50, 75], "peak_frame": [12.5, 37.5, 62.5]}
    )
    ax = pp.repetitions(s, reps)
    assert ax.get_title() == "3 repetitions"
    spans = [by_gid(ax, f"rep-{k}") for k in range(3)]
    assert len(spans) == 3
    peaks = by_gid(ax, "rep-peaks").get_offsets()
    np.testing.assert_allclose(peaks[:, 0], [0.5, 1.5, 2.5])
    np.testing.assert_allclose(peaks[:, 1], -1.0, atol=0.05)
    # the plot reads count_repetitions' columns and no others: a table of other names is refused
    with pytest.raises(ValueError, match=r"no start_frame or start_time column.*count_repetitions"):
        pp.repetitions(s, reps.rename(columns={"start_frame": "begin"}))
    # what count_repetitions returns, in seconds only, draws the same
    knee = 90 + 40 * s  # degrees: bends of 80° peak to peak
    real = pk.metrics.count_repetitions(knee, fps=25.0)
    secs = real.reps.drop(columns=["start_frame", "end_frame", "peak_frame"])
    a, b = (by_gid(pp.repetitions(knee, r), "rep-peaks").get_offsets() for r in (real, secs))
    assert real.count >= 3 and len(a) == real.count and np.allclose(a, b)


def test_axes_are_reused():
    kp = table(3, 1)
    _, axes = plt.subplots(1, 2)
    assert pp.skeleton(kp, 0, ax=axes[0]) is axes[0]
    assert pp.trajectory(kp, ax=axes[1], colorbar=False) is axes[1]


def test_skeleton_over_video_frame(tmp_path):
    from _videos import make_video, read_code

    clip = make_video(tmp_path / "c.mp4", 12, 320, 240, 10, "mpeg4")
    kp = table(12, 1, width=320, height=240)
    ax = pp.skeleton(kp, 7, video=clip)
    (im,) = ax.images
    assert read_code(np.asarray(im.get_array()).astype(np.uint8)) == 7
    assert ax.get_xlim() == (0, 320) and ax.get_ylim() == (240, 0)


def test_score_zero_is_not_drawn():
    from posekit.plot._overlay import Overlay
    from posekit.plot._raster import blank

    kp = table(2, 1)
    kp.loc[(0, 0, "nose"), ["x", "y", "score"]] = [0.0, 0.0, 0.0]  # "not detected" at the origin
    ax = pp.skeleton(kp, 0)
    assert len(by_gid(ax, "joints-0").get_offsets()) == 16
    img = blank(200, 120, value=0)
    Overlay(kp).draw(img, 0, thickness=1, radius=1)
    assert not img[:5, :5].any()  # nothing drawn at (0, 0)


def _two_people_angles(n=40):
    idx = pd.MultiIndex.from_product([range(n), [0, 1]], names=["frame", "object_id"])
    cols = ["left_elbow", "right_elbow", "left_shoulder", "right_shoulder", "left_hip",
            "right_hip", "left_knee", "right_knee", "neck", "trunk_thigh", "trunk_inclination"]  # fmt: skip
    t = np.arange(len(idx), dtype=float)
    df = pd.DataFrame({c: 90 + k + np.sin(t / 5) for k, c in enumerate(cols)}, index=idx)
    df = df.drop(index=[(f, 1) for f in range(30, n)])  # id 1 leaves early: id 0 is main
    df.attrs["fps"] = 10.0
    return df


def test_timeseries_readable_defaults_and_units():
    import warnings

    ang = _two_people_angles()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "constrained layout not applied"
        ax = pp.timeseries(ang)
        ax.figure.canvas.draw()
    assert len(ax.lines) == 8  # 11 angles x 2 people asked for by nobody: the main person's 8
    assert all("id" not in ln.get_label() for ln in ax.lines)
    assert "id 0" in ax.get_title() and "first 8 of 11" in ax.get_title()
    assert ax.get_ylabel() == "angle (°)" and ax.get_xlabel() == "time (s)"
    leg = ax.get_legend()
    assert leg.get_window_extent().x0 >= ax.get_window_extent().x1  # outside, on the right
    # asked for: everything asked is drawn, both people
    ax = pp.timeseries(ang, columns=["left_knee", "right_knee"])
    assert len(ax.lines) == 4 and ax.get_title() == ""
    # keypoints: wrists and ankles by default, positions in px; score has no unit
    kp = table(20, 2)
    ax = pp.timeseries(kp, object_ids=0)
    assert len(ax.lines) == 8 and ax.get_ylabel() == "position (px)"
    assert ax.get_lines()[0].get_label() == "left_wrist x"
    assert pp.timeseries(kp, columns="score", joints="nose").get_ylabel() == "nose score"
    assert pp.timeseries(kp, columns="speed", joints="nose").get_ylabel().endswith("(px/s)")
    kp.attrs["fps"] = None
    assert pp.timeseries(kp, columns="speed", joints="nose").get_ylabel().endswith("(px/frame)")


def test_units_read_from_the_table_never_invented():
    import posekit as pk

    kp = table(20, 1)
    spd = pk.kinematics.speed(kp)
    ax = pp.timeseries(spd, columns="speed", joints="left_wrist")
    assert spd.attrs["units"]["speed"] == "px/s"  # one unit per column (posekit.units)
    assert ax.get_ylabel() == "left_wrist speed (px/s)"
    m = pk.kinematics.speed(pk.units.to_metres(kp, 0.01))
    assert pp.timeseries(m, columns="speed", joints="left_wrist").get_ylabel().endswith("(m/s)")
    norm = pk.kinematics.speed(kp, normalize="torso")
    assert "px" not in pp.timeseries(norm, columns="speed", joints="left_wrist").get_ylabel()
    other = pd.DataFrame({"mystery": [1.0, 2.0]}, index=pd.Index([0, 1], name="frame"))
    assert pp.timeseries(other).get_ylabel() == "mystery"  # unknown: no unit
    knee = _two_people_angles()["left_knee"].xs(0, level="object_id")
    assert pp.repetitions(knee).get_ylabel() == "left_knee (°)"
    omega = pk.kinematics.angular_velocity(_two_people_angles())
    assert pp.timeseries(omega, columns="left_knee").get_ylabel() == "left_knee (°/s)"


def test_trajectory_labels_each_person():
    kp = table(20, 2)
    ax = pp.trajectory(kp, "right_wrist")
    for oid in (0, 1):
        label = by_gid(ax, f"label-{oid}")
        assert label.get_text() == f"id {oid}"
        # at the end of that person's path
        end = kp.loc[(19, oid, "right_wrist"), ["x", "y"]].to_numpy(float)
        np.testing.assert_allclose(label.xy, end)
        assert np.allclose(label.get_color()[:3], pp.person_color(oid))
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["id 0", "id 1"]
    # each person's path is in their own hue (blue-ish vs orange-ish), darker later
    l0, l1 = by_gid(ax, "trajectory-0"), by_gid(ax, "trajectory-1")
    c0, c1 = l0.to_rgba(l0.get_array()), l1.to_rgba(l1.get_array())
    assert (c0[:, 2] > c0[:, 0]).all() and (c1[:, 0] > c1[:, 2]).all()
    assert c0[-1, :3].sum() < c0[0, :3].sum()


def filled_table() -> pd.DataFrame:
    """table(6, 2) where person 0's left wrist (frames 2-3) and nose (frame 2) were filled."""
    kp = table(6, 2)
    kp["filled"] = False
    for key in [(2, 0, "left_wrist"), (3, 0, "left_wrist"), (2, 0, "nose")]:
        kp.loc[key, ["score", "filled"]] = [np.nan, True]
    kp["filled"] = kp["filled"].astype(bool)
    return kp


def test_filled_points_are_hollow_and_their_bones_dashed():
    kp = filled_table()
    ax = pp.skeleton(kp, 2)
    pts = by_gid(ax, "joints-0")
    assert len(pts.get_offsets()) == 17  # drawn, although their score is NaN
    face, edge = pts.get_facecolors(), pts.get_edgecolors()
    hollow = face[:, 3] == 0
    filled_xy = POSE[[JOINT_INDEX["nose"], JOINT_INDEX["left_wrist"]]] + [2, 0]
    np.testing.assert_allclose(np.sort(pts.get_offsets()[hollow], 0), np.sort(filled_xy, 0))
    # hollow: no face, an edge in the joint's own colour (nose: the centre, wrist: the left)
    want = [pp.person_color(0, "centre"), pp.person_color(0, "left")]
    order = np.argsort(pts.get_offsets()[hollow][:, 0])  # the wrist (x 36) left of the nose
    assert np.allclose(edge[hollow][order][:, :3], want[::-1])
    assert np.allclose(edge[~hollow, :3], 1.0)
    lc = by_gid(ax, "skeleton-0")
    pairs = np.array(KAKAO_SKELETON) - 1
    touch = np.isin(pairs, [JOINT_INDEX["nose"], JOINT_INDEX["left_wrist"]]).any(axis=1)
    dashed = np.array([dashes is not None for _, dashes in lc.get_linestyles()])
    np.testing.assert_array_equal(dashed, touch)
    assert np.all(lc.get_colors()[:, 3] == 1.0)  # estimates are not faded for their NaN score
    solid = pp.skeleton(kp, 2, object_ids=1, ax=plt.figure().subplots())
    assert all(d is None for _, d in by_gid(solid, "skeleton-1").get_linestyles())


def test_filled_points_dashed_in_trajectory_and_hollow_in_timeseries():
    kp = filled_table()
    ax = pp.trajectory(kp, "left_wrist", object_ids=0, colorbar=False)
    styles = by_gid(ax, "trajectory-0").get_linestyles()
    assert [d is not None for _, d in styles] == [False, True, True, True, False]
    ax = pp.timeseries(kp, joints="left_wrist", columns="y", object_ids=0)
    marks = by_gid(ax, "filled-left_wrist y-0")
    np.testing.assert_allclose(marks.get_xdata(), [0.2, 0.3])
    assert marks.get_markerfacecolor() == "none"
    assert len(ax.get_legend().get_texts()) == 1
    ax = pp.smoothing_comparison(kp, {"same": kp}, joint="left_wrist", object_id=0, metrics=False)
    np.testing.assert_allclose(by_gid(ax, "raw-filled").get_xdata(), [0.2, 0.3])
