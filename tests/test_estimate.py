"""posekit.estimate on real videos (Sports2D demo, Pose2Sim S01 vs OpenPose) and bad input.

The estimator runs over each real clip once per session (session fixtures); the quality bar of
issue 6 is checked on those runs. Needs the weights (``posekit models install``) and the demo
videos (:func:`posekit.media.fetch_demo_video`, pip from PyPI); both are cached.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import msgspec
import numpy as np
import pytest
from PIL import Image

import posekit as pk
from posekit import models
from posekit.estimate import (
    BLAZE_TO_COCO,
    Estimator,
    ImageError,
    KakaoLimitWarning,
    LostPersonWarning,
    _api,
)
from posekit.estimate._convention import (
    COCO_ALONG_AXIS,
    JOINT_PAIR,
    body_axis,
    fit_along_axis,
    to_coco,
)
from posekit.estimate._detector import ssd_anchors, weighted_nms
from posekit.estimate._landmarks import Roi
from posekit.estimate._leftright import LEG_MIRROR, MIRROR, fix_left_right, fix_leg_swaps
from posekit.estimate._pipeline import tile_regions
from posekit.estimate._quality import (
    _participant,
    back_view_corrections,
    blazepose_pairs,
    epipolar_distances,
    fit_offsets,
    held_out_offsets,
    load_openpose,
    median_rel,
    mirrored_frames,
    openpose_report,
    read_qca,
    relative_distances,
    reprojected_openpose,
    score_agreement,
    sports2d_label,
    sports2d_report,
)
from posekit.estimate._scores import facing
from posekit.estimate._smooth import one_euro_track
from posekit.io import flatten
from posekit.media import fetch_demo_video
from posekit.result import PoseResult
from posekit.schema import default_category
from posekit.video import VideoError, VideoReader, VideoTruncatedError


# -- fixtures: one run per clip per session -----------------------------------------------------
@pytest.fixture(scope="session")
def estimator() -> Estimator:
    models.install()  # no-op when the verified weights are cached (make test installs them)
    return Estimator()


@pytest.fixture(scope="session")
def sports2d_video() -> Path:
    return fetch_demo_video("sports2d_demo")


@pytest.fixture(scope="session")
def sports2d_raw(estimator: Estimator, sports2d_video: Path) -> PoseResult:
    return estimator.video(sports2d_video, smoothing=False, progress=False)


@pytest.fixture(scope="session")
def pose2sim_raw(estimator: Estimator) -> dict[str, PoseResult]:
    return {
        cam: estimator.video(
            fetch_demo_video(f"pose2sim_s01_{cam}"), smoothing=False, progress=False
        )
        for cam in ("cam01", "cam02", "cam03", "cam04")
    }


@pytest.fixture(scope="session")
def pose2sim_blazepose(estimator: Estimator, openpose_dir: Path) -> dict[str, tuple]:
    """Per camera (cam01, cam02 front; cam03 back; cam04 from behind and above): the
    participant in BlazePose's own placement and OpenPose's, paired."""
    return blazepose_pairs(estimator, openpose_dir, ("cam01", "cam02", "cam03", "cam04"))


#: The three cameras the COCO offsets were first checked on, left one out among them.
THREE = ("cam01", "cam02", "cam03")


@pytest.fixture(scope="session")
def cam01_smoothed(estimator: Estimator) -> PoseResult:
    return estimator.video(fetch_demo_video("pose2sim_s01_cam01"), smoothing=True, progress=False)


# -- the quality bar ------------------------------------------------------------------------------
@pytest.mark.slow
def test_sports2d_two_people_tracked_without_ghosts(sports2d_raw: PoseResult) -> None:
    rep = sports2d_report(sports2d_raw)
    assert rep.n_both_frames == 158
    # issue 11's target is 95% (151 frames); measured 152/158 (96.2%) with opencv-python-headless
    # 5.1, since the search for a lost person accepts a body curled up in the somersault (148
    # before: the jumper was lost in frames 172-181). He is still lost in 172-174 and 179-181.
    assert rep.both_found >= 151, rep.lines()
    assert rep.ghost_frames <= 0.01 * rep.n_frames, rep.lines()
    # each person keeps one object_id (neither leaves the view), never shared
    assert len(rep.ids["jumper"]) == 1 and len(rep.ids["walker"]) == 1, rep.lines()
    assert rep.id_swaps == 0


@pytest.mark.slow
@pytest.mark.parametrize("cam", ["cam01", "cam02", "cam03", "cam04"])
def test_pose2sim_agrees_with_openpose(
    pose2sim_raw: dict[str, PoseResult], openpose_dir: Path, cam: str
) -> None:
    """Front views (cam01, cam02) and the back views (cam03; cam04 from behind and above) of
    the same trial. Nothing in the left/right decision was fitted on cam03 or cam04 (its one
    constant, the price of a swapped frame, dates from the front views); the COCO offsets are
    fitted on cam01+cam02."""
    openpose = load_openpose(openpose_dir / cam)
    rep = openpose_report(pose2sim_raw[cam], openpose)
    assert rep.frames == 100 and rep.missing == 0, rep.lines(cam)
    # 0 mirrored frames, smoothed or not (unsmoothed, cam02 had one before the legs' pass)
    assert mirrored_frames(pose2sim_raw[cam], openpose) == 0
    assert rep.pck > 0.95, rep.lines(cam)
    # measured 4.63% (cam01), 5.02% (cam02), 5.90% (cam03), 4.94% (cam04) unsmoothed: cam02
    # and cam04 sit on the 5% target and cam03 misses it (its hips are placed ~7% of the
    # torso sideways from where OpenPose puts them from behind; cam04's are not, so no
    # back-view offset moves them either)
    bars = {"cam01": 0.05, "cam02": 0.052, "cam03": 0.062, "cam04": 0.0515}
    assert rep.median_rel < bars[cam], rep.lines(cam)


@pytest.mark.slow
def test_previous_left_right_rule_flips_the_back_view(
    estimator: Estimator, pose2sim_raw: dict[str, PoseResult], openpose_dir: Path
) -> None:
    """The nose-depth rule (kept as ``left_right="nose-depth"``) mirrors the back view in
    (nearly) every frame; the model's labels alone mirror a third of the front view cam02;
    the decision along the track gets both right."""
    cam03 = load_openpose(openpose_dir / "cam03")
    old = estimator.video(
        fetch_demo_video("pose2sim_s01_cam03"),
        smoothing=False,
        progress=False,
        left_right="nose-depth",
    )
    assert mirrored_frames(old, cam03) >= 75  # measured 84 of 100 (unsmoothed)
    assert mirrored_frames(pose2sim_raw["cam03"], cam03) == 0


@pytest.mark.slow
def test_left_right_decision_is_inspectable(pose2sim_raw: dict[str, PoseResult]) -> None:
    """``extra["left_right"]``: per track, the runs swapped back and why. On cam02 the model
    mirrors the participant for runs of 1-21 frames; each swapped run is entered and left by a
    jump of every joint to its twin's place (~0.2 body sizes) that swapping removes."""
    table = pose2sim_raw["cam02"].extra["left_right"]
    assert table.attrs["rule"] == "track"
    legs = table[(table.object_id == 0) & (table.part == "legs")]
    table = table[(table.object_id == 0) & (table.part == "body")]  # the participant
    assert table.frames.sum() == 100
    swapped = table[table.mirrored]
    assert 25 <= swapped.frames.sum() <= 40  # measured 33 frames in 7 runs
    inner = swapped[swapped.jump_in.notna() & swapped.jump_out.notna()]
    assert (inner.jump_in > 0.15).all() and (inner.as_swapped_in < 0.1).all()
    assert (inner.jump_out > 0.15).all() and (inner.as_swapped_out < 0.1).all()
    assert swapped.reason.str.contains("mirror image").all()
    # then the legs alone: only swapped runs are listed, each a jump that swapping removes
    assert legs.mirrored.all() and legs.frames.sum() <= 4  # measured frames 44 and 69
    assert (legs.jump_in > legs.as_swapped_in).all()
    assert legs.reason.str.startswith("legs only").all()
    back = pose2sim_raw["cam03"].extra["left_right"]
    assert not back[back.object_id == 0].mirrored.any()


@pytest.mark.slow
def test_scores_mean_there_and_visible(
    pose2sim_raw: dict[str, PoseResult], openpose_dir: Path
) -> None:
    """From behind (cam03) the face points get low scores, so ``min_score`` removes them;
    the points OpenPose sees keep their scores in every view. Before: the model's visibility
    kept 99.5% of the points OpenPose does not see on cam03 (face 100%)."""
    agree = {
        cam: score_agreement(pose2sim_raw[cam], load_openpose(openpose_dir / cam))
        for cam in ("cam01", "cam02", "cam03")
    }
    assert agree["cam03"]["face_kept"] < 0.02, agree
    assert agree["cam03"]["unseen_kept"] < 0.2, agree  # measured 10% (left ear, far wrist)
    for cam in ("cam01", "cam02"):
        assert agree[cam]["face_kept"] > 0.98, agree
    for cam in ("cam01", "cam02", "cam03"):
        assert agree[cam]["seen_kept"] > 0.94, agree  # measured 100%, 99.9%, 94.7%
    kp = pose2sim_raw["cam03"].keypoints(min_score=0.5)
    kp = kp[kp.index.get_level_values("object_id") == 0]  # the participant
    face = kp[kp.index.get_level_values("joint").isin(["nose", "left_eye", "right_eye"])]
    assert face.x.isna().mean() > 0.98


@pytest.mark.slow
def test_back_view_nobody_fitted_on(estimator: Estimator) -> None:
    """Pose2Sim S01 cam04 (the participant from behind and above; nothing was fitted or tuned
    on it; against its OpenPose: ``test_pose2sim_agrees_with_openpose``): left/right as from behind in every frame (judged by eye on
    frames 0, 10, ..., 90: the left side on the picture's left), no face point kept, the
    ears and the body kept."""
    res = estimator.video(fetch_demo_video("pose2sim_s01_cam04"), progress=False)
    flat = flatten(res)
    assert set(flat.object_id.tolist()) == {0} and len(flat.frame) == 100
    kp = flat.keypoints
    assert (facing(kp[:, :, :2]) < 0).all()  # measured -1.00 in every frame
    assert (kp[:, :3, 2] < 0.5).all()  # nose and eyes: 0% kept
    assert (kp[:, 3:5, 2] >= 0.5).mean() > 0.98  # ears: 100%
    assert (kp[:, 5:, 2] >= 0.5).mean() > 0.97  # body joints: 100%


@pytest.mark.slow
@pytest.mark.parametrize(("fit_on", "test_on"), [("cam01", "cam02"), ("cam02", "cam01")])
def test_coco_offsets_hold_on_the_camera_they_were_not_fitted_on(
    pose2sim_blazepose: dict[str, tuple], fit_on: str, test_on: str
) -> None:
    """The COCO placement offsets were measured on both cameras; fitted on one camera alone,
    they must still bring the other below 5% (held out: 4.95% on cam02, 4.77% on cam01),
    and BlazePose's own placement must be clearly worse (5.55-5.85%)."""
    offsets = fit_offsets(pose2sim_blazepose, (fit_on,))
    ours, refs = pose2sim_blazepose[test_on]
    held_out = median_rel(to_coco(ours, offsets), refs)
    assert held_out < 0.05
    assert median_rel(ours, refs) > held_out + 0.005


@pytest.mark.slow
def test_coco_offsets_left_one_camera_out(pose2sim_blazepose: dict[str, tuple]) -> None:
    """Fitted on two of the three Pose2Sim cameras and reported on the third: measured 4.82%
    (cam01), 4.94% (cam02), 5.92% (cam03, the back view: fitted on the front views only) with
    PCK@0.2 99.5%, 97.9%, 97.5%. cam03 misses the 5% target; the bars sit just above what is
    measured so that a regression fails."""
    held = held_out_offsets({c: pose2sim_blazepose[c] for c in THREE})
    bars = {"cam01": 0.0495, "cam02": 0.0505, "cam03": 0.0605}
    for cam, (_, med, pck) in held.items():
        assert med < bars[cam], (cam, med)
        assert pck > 0.97, (cam, pck)
        ours, refs = pose2sim_blazepose[cam]
        assert median_rel(ours, refs) > med  # better than BlazePose's own placement


@pytest.mark.slow
def test_shipped_coco_offsets_are_the_fit_on_both_cameras(
    pose2sim_blazepose: dict[str, tuple],
) -> None:
    """``COCO_ALONG_AXIS`` is what ``scripts/fit_coco_offsets.py`` measures, not hand-tuned."""
    fitted = fit_offsets(pose2sim_blazepose, ("cam01", "cam02"))
    assert fitted == pytest.approx(COCO_ALONG_AXIS, abs=0.0015)
    # so cam03 (the back view) is held out for the shipped offsets
    held = held_out_offsets({c: pose2sim_blazepose[c] for c in THREE})
    assert held["cam03"][0] == pytest.approx(fitted)


@pytest.mark.slow
def test_coco_offsets_on_a_second_back_view(pose2sim_blazepose: dict[str, tuple]) -> None:
    """cam04 (from behind and above; OpenPose from the pose2sim 0.8.4 wheel) is held out for
    the shipped offsets (fitted on the front views): measured 4.94%, PCK@0.2 99.9%. Its own
    placement is as close (4.85%): from behind the front views' shift of the shoulders and
    hips is not what OpenPose does."""
    ours, refs = pose2sim_blazepose["cam04"]
    coco = to_coco(ours, COCO_ALONG_AXIS)
    assert median_rel(coco, refs) < 0.0505
    rel = relative_distances(coco, refs)
    assert np.mean(rel[np.isfinite(rel)] < 0.2) > 0.99


@pytest.mark.slow
def test_no_back_view_correction_holds_on_the_other_back_view(
    pose2sim_blazepose: dict[str, tuple],
) -> None:
    """Each candidate correction for people seen from behind, fitted on one back view and
    reported on the other, leaves cam03 where the shipped offsets put it (5.92%; measured
    5.79-6.12%; cam04 4.47-5.56%): cam03's sideways shift of the pelvis and left shoulder is not in cam04, so
    none ships (``docs/estimator.md``). A fit that would reach the target on cam03 fails
    here and must be looked at."""
    rows = back_view_corrections(pose2sim_blazepose)
    shipped = rows["shipped offsets (cam01+cam02)"]
    assert shipped["cam03"] == pytest.approx(0.0592, abs=0.001)
    assert shipped["cam04"] == pytest.approx(0.0494, abs=0.001)
    for label, row in rows.items():
        assert 0.0575 < row["cam03"] < 0.0625, (label, row)
        assert 0.043 < row["cam04"] < 0.057, (label, row)


# -- the trial's calibration: a second, independent look at OpenPose ------------------------------
@pytest.fixture(scope="module")
def pose2sim_calibration(openpose_dir: Path) -> tuple[dict, dict]:
    cams = read_qca(openpose_dir / "Calib.qca.txt")
    return cams, {c: load_openpose(openpose_dir / c) for c in cams}


def test_calibration_reprojects_openpose_across_views(pose2sim_calibration: tuple) -> None:
    """OpenPose of the two front views triangulated with ``Calib.qca.txt`` and reprojected:
    into the front views themselves 1.4% of the torso, into cam04 (from behind and above, not
    used) 7.9% (5.9% once each frame's common shift is removed: the views' OpenPose differ,
    the hips most). A wrong convention is far off: rotation transposed 299%, without the turn
    from Qualisys's camera axes to OpenCV's 98%. cam03's calibration does not agree with
    the others (22%, about 40 px off): it is not used as a reference."""
    cams, op = pose2sim_calibration
    refs = {
        c: np.array([p[int(np.argmax((p[:, :, 2] > 0.5).sum(1)))] for p in op[c]]) for c in cams
    }
    med = {
        c: float(np.nanmedian(relative_distances(
            reprojected_openpose(cams, op, ("cam01", "cam02"), c), refs[c]
        )))
        for c in cams
    }  # fmt: skip
    assert med["cam01"] < 0.02 and med["cam02"] < 0.02, med
    assert med["cam04"] < 0.10, med
    assert med["cam03"] > 0.15, med  # the calibration of cam03 is off


def test_calibration_epipolar_agreement(pose2sim_calibration: tuple) -> None:
    """Median distance of a camera's OpenPose joints from the epipolar lines of another's, /
    torso: cam01-cam02 2.8%, cam01-cam04 3.4%, cam02-cam04 2.7% (OpenPose's own noise); every
    pair with cam03 5.9-13.4%."""
    cams, op = pose2sim_calibration

    def median(a: str, b: str) -> float:
        d = []
        for pa, pb in zip(op[a], op[b], strict=True):
            ra, rb = _participant(pa), _participant(pb)
            g = (ra[:, 2] > 0.5) & (rb[:, 2] > 0.5)
            torso = np.linalg.norm(rb[[5, 6], :2] - rb[[11, 12], :2], axis=1).mean()
            d.extend(epipolar_distances(cams[a], cams[b], ra[g, :2], rb[g, :2]) / torso)
        return float(np.median(d))

    for a, b in (("cam01", "cam02"), ("cam01", "cam04"), ("cam02", "cam04")):
        assert median(a, b) < 0.04, (a, b)
    for a, b in (("cam01", "cam03"), ("cam02", "cam03"), ("cam03", "cam04")):
        assert median(a, b) > 0.05, (a, b)


# -- the Kakao format -----------------------------------------------------------------------------
def _check_people(people: list, width: int, height: int, *, tracked: bool) -> None:
    for p in people:
        kp = np.array(p.keypoints).reshape(17, 3)
        assert np.all((kp[:, 2] >= 0) & (kp[:, 2] <= 1))
        assert 0 <= p.score <= 1
        assert np.all((kp[:, 0] >= 0) & (kp[:, 0] <= width - 1))
        assert np.all((kp[:, 1] >= 0) & (kp[:, 1] <= height - 1))
        x0, y0 = kp[:, :2].min(0)
        x1, y1 = kp[:, :2].max(0)
        assert p.bbox == pytest.approx([x0, y0, x1 - x0 + 1, y1 - y0 + 1])
        assert p.area == pytest.approx(p.bbox[2] * p.bbox[3])
        assert p.category_id == 1
        assert (p.object_id is not msgspec.UNSET) == tracked


def test_video_result_is_kakao_format(
    sports2d_raw: PoseResult, sports2d_video: Path, tmp_path: Path
) -> None:
    res = sports2d_raw
    job = res.job
    assert res.kind == "video" and not res.partial and job.status == "success"
    assert (job.video.fps, job.video.frames, job.video.width, job.video.height) == (
        30,
        230,
        1768,
        994,
    )
    assert [a.frame_num for a in job.annotations] == list(range(230))
    assert job.categories == [default_category()]
    assert "not smoothed" in job.info.description and "PARTIAL" not in job.info.description
    for ann in job.annotations:
        _check_people(ann.objects, 1768, 994, tracked=True)
    # object ids are numbered 0, 1, ... by first appearance
    assert sorted(set(flatten(res).object_id.tolist())) == [0, 1]
    # round trip through the file format and the tidy table
    res.save(tmp_path / "r.json")
    back = pk.load(tmp_path / "r.json")
    assert back.to_json() == res.to_json()
    kp = back.keypoints()
    assert kp.attrs["fps"] == 30 and len(kp) == 17 * sum(len(a.objects) for a in job.annotations)


def test_smoothing_reduces_jitter_without_losing_accuracy(
    cam01_smoothed: PoseResult, pose2sim_raw: dict[str, PoseResult], openpose_dir: Path
) -> None:
    raw, smooth = pose2sim_raw["cam01"], cam01_smoothed
    assert "smoothed (One Euro, forward and backward)" in smooth.job.info.description

    def accel(res: PoseResult) -> float:
        d = res.to_numpy()
        xy = d.values[:, 0, :, :2]  # one person, every frame
        return float(np.nanmedian(np.abs(np.diff(xy, n=2, axis=0))))

    assert accel(smooth) < 0.4 * accel(raw)  # measured 0.27
    rep = openpose_report(smooth, load_openpose(openpose_dir / "cam01"))
    # no lag: as close to OpenPose as the raw keypoints (4.66% vs 4.67%)
    assert rep.pck > 0.90 and rep.median_rel < 0.05, rep.lines("cam01 smoothed")
    _check_people(smooth.job.annotations[50].objects, 1080, 1920, tracked=True)


# -- images ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frame100(sports2d_video: Path) -> np.ndarray:
    with VideoReader(sports2d_video) as v:
        return v.read(100)


def test_image_from_array_bytes_and_path(
    estimator: Estimator, frame100: np.ndarray, sports2d_raw: PoseResult, tmp_path: Path
) -> None:
    # 1768 px wide: within Kakao's limits as a PNG on disk? it is > 2 MB, hence the warning
    small = np.asarray(Image.fromarray(frame100).resize((1200, 675)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", KakaoLimitWarning)
        res = estimator.image(small)
    assert res.kind == "image" and len(res.people) == 2
    _check_people(res.people, 1200, 675, tracked=False)
    # the same people as in the video (scaled), within a few pixels
    vid = np.array([o.keypoints for o in sports2d_raw.job.annotations[100].objects]).reshape(
        -1, 17, 3
    )
    img = np.array([p.keypoints for p in res.people]).reshape(-1, 17, 3)[..., :2] * 1768 / 1200
    for person in img:
        d = np.linalg.norm(vid[:, :, :2] - person[None], axis=2)
        assert np.median(d.min(0)) < 25

    buf = io.BytesIO()
    Image.fromarray(small).save(buf, format="JPEG", quality=92)
    from_bytes = estimator.image(buf.getvalue())
    path = tmp_path / "frame.jpg"
    path.write_bytes(buf.getvalue())
    from_path = estimator.image(path)
    assert from_path.to_json() == from_bytes.to_json()
    assert len(from_path.people) == 2 and from_path.source == str(path)


def test_convention_blazepose_keeps_the_models_placement(
    estimator: Estimator, frame100: np.ndarray
) -> None:
    small = np.ascontiguousarray(np.asarray(Image.fromarray(frame100).resize((1200, 675))))
    coco = estimator.image(small)
    blaze = estimator.image(small, convention="blazepose")
    for c, b in zip(coco.people, blaze.people, strict=True):
        kc = np.array(c.keypoints).reshape(17, 3)
        kb = np.array(b.keypoints).reshape(17, 3)
        assert kc[:, 2] == pytest.approx(kb[:, 2])  # same scores
        inside = (kc[:, :2] > 0).all(1) & (kc[:, :2] < [1199, 674]).all(1)
        assert kc[inside, :2] == pytest.approx(to_coco(kb[:, :2])[inside])
        # COCO places the hips higher on the body (upright people: smaller y)
        assert kc[11:13, 1].mean() < kb[11:13, 1].mean()
    with pytest.raises(ValueError, match="convention must be 'coco' or 'blazepose'"):
        estimator.image(small, convention="openpose")  # type: ignore[arg-type]


def test_images_outside_kakao_limits_are_processed_with_a_warning(
    estimator: Estimator, frame100: np.ndarray, tmp_path: Path
) -> None:
    tiny = np.ascontiguousarray(frame100[500:800, 900:1300])  # 400x300: short side < 320
    with pytest.warns(KakaoLimitWarning, match="short side 300"):
        res = estimator.image(tiny)
    assert res.kind == "image"
    big = np.asarray(Image.fromarray(frame100).resize((2200, 1237)))
    with pytest.warns(KakaoLimitWarning, match="long side 2200"):
        res = estimator.image(big)
    assert len(res.people) == 2
    bmp = tmp_path / "frame.bmp"
    Image.fromarray(frame100).save(bmp)
    with pytest.warns(KakaoLimitWarning, match="format BMP") as rec:
        estimator.image(bmp)
    assert any("MB" in str(w.message) for w in rec)  # 5 MB > 2 MB as well


def test_image_bad_input(estimator: Estimator, sports2d_video: Path, tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="is a video"):
        estimator.image(sports2d_video)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageError, match="cannot be read as an image"):
        estimator.image(junk)
    with pytest.raises(ImageError):
        estimator.image(b"nothing")
    with pytest.raises(ValueError, match="uint8"):
        estimator.image(np.zeros((400, 400, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        estimator.image(np.zeros((400, 400, 5), dtype=np.uint8))
    with pytest.raises(FileNotFoundError):
        estimator.image(tmp_path / "nope.jpg")
    # no person at all: an empty answer, not an error
    assert estimator.image(np.full((480, 640, 3), 128, np.uint8)).people == []


# -- bad videos, interruption ---------------------------------------------------------------------
def test_bad_videos(estimator: Estimator, tmp_path: Path, frame100: np.ndarray) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        estimator.video(tmp_path / "empty.mp4", progress=False)
    (tmp_path / "junk.mp4").write_bytes(os.urandom(5000))
    with pytest.raises(VideoError, match="cannot be read"):
        estimator.video(tmp_path / "junk.mp4", progress=False)
    png = tmp_path / "still.png"
    Image.fromarray(frame100).save(png)
    with pytest.raises(VideoError, match="still image"):
        estimator.video(png, progress=False)
    with pytest.raises(FileNotFoundError):
        estimator.video(tmp_path / "nope.mp4", progress=False)
    with pytest.raises(ValueError, match="max_frames"):
        estimator.video(png, max_frames=0)


@pytest.mark.slow
def test_truncated_video_gives_a_marked_partial_result(
    estimator: Estimator, sports2d_video: Path, tmp_path: Path
) -> None:
    # the demo's index (moov) comes first, so a cut copy opens and then runs dry
    data = sports2d_video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 3 // 20])
    with pytest.raises(VideoTruncatedError, match="damaged or cut short") as info:
        estimator.video(cut, progress=False)
    res = info.value.result
    assert res.partial and res.job.info.description.startswith("PARTIAL")
    assert 0 < len(res) < 230 and res.job.video.frames == 230
    assert "PARTIAL" in repr(res)
    # a cut file whose index was at the end does not open at all
    data = fetch_demo_video("pose2sim_s01_cam01").read_bytes()
    (tmp_path / "cut2.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="cannot be read"):
        estimator.video(tmp_path / "cut2.mp4", progress=False)


def test_interrupt_returns_partial_result(estimator: Estimator) -> None:
    def stop(done: int, total: int) -> None:
        if done == 4:
            raise KeyboardInterrupt

    res = estimator.video(fetch_demo_video("pose2sim_s01_cam02"), progress=False, on_frame=stop)
    assert res.partial
    assert res.job.info.description.startswith("PARTIAL result, 4 of 100 frames: interrupted")
    assert len(res) == 4 and res.job.video.frames == 100
    # the participant, and from the finer scan on the first frame the standing bystander
    assert all(1 <= len(a.objects) <= 2 for a in res.job.annotations)


# -- weights --------------------------------------------------------------------------------------
def test_missing_and_corrupted_weights(estimator: Estimator, tmp_path: Path) -> None:
    with pytest.raises(models.ModelsMissingError, match="posekit models install"):
        Estimator(tmp_path)
    installed = models.paths()
    for name in ("detector", "landmark"):
        shutil.copy(getattr(installed, name), tmp_path / models.MODELS[name].filename)
    bad = tmp_path / models.MODELS["detector"].filename
    data = bytearray(bad.read_bytes())
    data[1000] ^= 0x55
    bad.write_bytes(bytes(data))
    with pytest.raises(models.ModelChecksumError, match="sha256"):
        Estimator(tmp_path)


# -- command line ---------------------------------------------------------------------------------
def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "posekit.cli", "estimate", *args]


def test_cli_image_and_video(tmp_path: Path, frame100: np.ndarray, estimator: Estimator) -> None:
    img = tmp_path / "f.jpg"
    Image.fromarray(frame100).resize((1200, 675)).save(img)
    out = subprocess.run(
        _cli(str(img), "-o", str(tmp_path / "img.json")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    res = pk.load(tmp_path / "img.json")
    assert res.kind == "image" and len(res.people) == 2
    video = fetch_demo_video("pose2sim_s01_cam01")
    out = subprocess.run(
        _cli(str(video), "-o", str(tmp_path / "v.json"), "--max-frames", "3", "--no-smoothing"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    res = pk.load(tmp_path / "v.json")
    assert len(res) == 3 and res.job.video.frames == 3
    assert "COCO placement" in res.job.info.description
    out = subprocess.run(
        _cli(
            str(video),
            "-o",
            str(tmp_path / "b.json"),
            "--max-frames",
            "3",
            "--no-smoothing",
            "--convention",
            "blazepose",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    blaze = pk.load(tmp_path / "b.json")
    assert "BlazePose placement" in blaze.job.info.description
    kc, kb = res.to_numpy().values[..., :2], blaze.to_numpy().values[..., :2]
    assert kc == pytest.approx(to_coco(kb), abs=0.02)
    out = subprocess.run(
        _cli(str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "x.json")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1 and "no such file" in out.stderr


def _looped(src: Path, out: Path, times: int) -> Path:
    """``src`` played ``times`` times in a row (packets re-muxed, no re-encoding)."""
    import av

    with av.open(str(out), "w") as dst:
        stream = None
        offset = 0
        for _ in range(times):
            with av.open(str(src)) as inp:
                vs = inp.streams.video[0]
                if stream is None:
                    stream = dst.add_stream_from_template(vs)
                end = 0
                for packet in inp.demux(vs):
                    if packet.dts is None:
                        continue
                    packet.pts += offset
                    packet.dts += offset
                    packet.stream = stream
                    end = max(end, packet.pts + (packet.duration or 0))
                    dst.mux(packet)
                offset = end
    return out


@pytest.mark.slow
def test_cli_ctrl_c_writes_partial_file_only(
    tmp_path: Path, sports2d_video: Path, estimator: Estimator
) -> None:
    long = _looped(sports2d_video, tmp_path / "long.mp4", 3)  # 690 frames: far more than 3 s
    target = tmp_path / "r.json"
    proc = subprocess.Popen(_cli(str(long), "-o", str(target)), stderr=subprocess.PIPE, text=True)
    # interrupt once the child has spent 4 s of CPU (models loaded, frames done): a fixed wall-clock
    # sleep failed on a loaded machine, where loading the models alone took longer than the sleep
    stat = Path(f"/proc/{proc.pid}/stat")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "finished before it could be interrupted"
        if not stat.exists():  # no /proc: fall back to wall-clock time
            time.sleep(3.0)
            break
        fields = stat.read_text().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") > 4.0:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not target.exists()
    partial = pk.load(tmp_path / "r.partial.json")
    assert partial.job.info.description.startswith("PARTIAL")
    assert 0 < len(partial) < 690 and partial.job.video.frames == 690


# -- building blocks ------------------------------------------------------------------------------
def test_ssd_anchors_match_mediapipe_layout() -> None:
    a = ssd_anchors()
    assert a.shape == (2254, 2)
    # 28x28 grid, 2 anchors per cell, then 14x14x2, then 7x7x6 (three stride-32 layers merged)
    assert a[0] == pytest.approx([0.5 / 28, 0.5 / 28]) and a[1] == pytest.approx(a[0])
    assert a[2] == pytest.approx([1.5 / 28, 0.5 / 28])
    assert a[1568] == pytest.approx([0.5 / 14, 0.5 / 14])
    assert a[1960:1966] == pytest.approx(np.tile([0.5 / 7, 0.5 / 7], (6, 1)))
    assert a[-1] == pytest.approx([6.5 / 7, 6.5 / 7])


def test_weighted_nms_merges_overlaps_by_score() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=float)
    kps = np.zeros((3, 4, 2))
    kps[1] += 3.0
    dets = weighted_nms(boxes, kps, np.array([0.9, 0.6, 0.7]))
    assert len(dets) == 2 and dets[0].score == 0.9 and dets[1].score == 0.7
    assert dets[0].box[0] == pytest.approx(0.6 / 1.5)  # weighted mean of 0 and 1
    assert dets[0].keypoints[0, 0] == pytest.approx(3 * 0.6 / 1.5)


def test_roi_placement_and_tiles() -> None:
    up = Roi.from_points(np.array([100.0, 200.0]), np.array([100.0, 100.0]))
    assert up.rotation == pytest.approx(0) and up.size == pytest.approx(2 * 100 * 1.25)
    right = Roi.from_points(np.array([100.0, 200.0]), np.array([200.0, 200.0]))
    assert right.rotation == pytest.approx(math.pi / 2)  # head to the right: turned clockwise
    # crop coordinates map back: the crop's top centre is the scale point's direction
    assert right.to_frame(np.array([128.0, 0.0])) == pytest.approx([100 + 125, 200])
    assert tile_regions(1768, 994) == [(0, 0, 1768, 994), (0, 0, 994, 994), (774, 0, 994, 994)]
    assert tile_regions(1080, 1920)[1:] == [(0, 0, 1080, 1080), (0, 840, 1080, 1080)]
    assert tile_regions(600, 480) == [(0, 0, 600, 480)]  # closer to square than 1.3:1
    assert tile_regions(1768, 994, tiles=False) == [(0, 0, 1768, 994)]


@pytest.mark.slow
def test_sports2d_walker_legs_keep_their_labels(sports2d_raw: PoseResult) -> None:
    """The walker in profile: the model exchanged her legs alone in frames 159-160 (judged by
    eye: the planted front foot carried the other leg's label there, while the arms kept
    theirs); the legs' pass gives them back. With it, no frame before she leaves the picture
    has both ankles jumping > 40 px at once (before: frame 159), and the pass swaps few frames."""
    flat = flatten(sports2d_raw)
    rows = [
        k
        for k, f in enumerate(flat.frame)
        if 42 <= f <= 190 and sports2d_label(int(f), flat.bbox[k]) == "walker"
    ]
    (walker,) = set(flat.object_id[rows].tolist())
    kp = flat.keypoints[rows]
    jumps = (np.abs(np.diff(kp[:, 15, 0])) > 40) & (np.abs(np.diff(kp[:, 16, 0])) > 40)
    # a frame where the model puts both ankles on one foot ("one leg labelled twice", < 40 px
    # apart) is a placement error, not a swap: no label rule mends it. Since the people/speed
    # changes of issue 11 the walker's first crop comes from another detection (frame 40), her
    # landmarks differ by a few pixels all along, and frame 160 is such a frame (18 px apart)
    bunched = np.linalg.norm(kp[1:, 15] - kp[1:, 16], axis=1) < 40
    assert not (jumps & ~bunched).any(), flat.frame[rows][1:][jumps & ~bunched]
    table = sports2d_raw.extra["left_right"]
    legs = table[(table.object_id == walker) & (table.part == "legs")]
    assert 159 in {
        f for a, b in zip(legs.first_frame, legs.last_frame, strict=True) for f in range(a, b + 1)
    }
    assert legs.frames.sum() <= 5  # measured 3 (128, 159, 160), 159 alone since frame 160 bunched


def test_leg_swaps_found_and_real_crossings_kept() -> None:
    """A walk in profile: the legs cross every 10 frames (a real, continuous crossing) and the
    model's labels of knees and ankles are exchanged in frames 23-24; the legs' pass swaps
    exactly those back, and the whole-body pass sees nothing to do."""
    t = np.arange(60)
    xy = np.zeros((60, 17, 2))
    heights = [0, 10, 10, 15, 15, 50, 50, 110, 110, 160, 160, 160, 160, 230, 230, 300, 300]
    xy[:, :, 1] = np.array(heights, dtype=float)[None]  # a body 300 px tall, twins level
    xy[:, :, 0] = 400.0 + 3.0 * t[:, None]  # walking right
    swing = 60.0 * np.sin(2 * np.pi * t / 20)  # each foot ahead, then behind
    # legs swing, arms in opposition (the arms tell a whole-body mirror from a legs' swap)
    for left, right, share in ((13, 14, 0.5), (15, 16, 1.0), (7, 8, -0.5), (9, 10, -1.0)):
        xy[:, left, 0] += share * swing
        xy[:, right, 0] -= share * swing
    swapped = xy.copy()
    swapped[23:25] = swapped[23:25][:, LEG_MIRROR]
    assert not fix_left_right(swapped, t).any()
    assert np.flatnonzero(fix_leg_swaps(swapped, t)).tolist() == [23, 24]
    assert not fix_leg_swaps(xy, t).any()  # the crossings themselves are left alone


def test_left_right_fix_undoes_mirrored_runs() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(60)
    base = rng.normal(0, 40, (17, 2)) + np.array([500.0, 500.0])
    base[1::2, 0] -= 60  # left joints on one side, right ones on the other (a frontal view)
    base[2::2, 0] += 60
    xy = base[None] + np.stack([t * 2.0, np.zeros(60)], axis=1)[:, None, :]
    xy += rng.normal(0, 1.0, xy.shape)
    truth = np.zeros(60, dtype=bool)
    truth[20:31] = truth[40:43] = True
    seen = xy.copy()
    seen[truth] = seen[truth][:, MIRROR]
    assert np.array_equal(fix_left_right(seen, t), truth)
    assert not fix_left_right(xy, t).any()
    assert BLAZE_TO_COCO.tolist() == [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def test_one_euro_track() -> None:
    t = np.arange(120)
    still = np.full((120, 17, 2), 300.0)
    still[:, :, 1] += np.arange(17) * 20  # a 320 px tall body
    assert one_euro_track(still, t, 30.0) == pytest.approx(still)
    noisy = still + np.random.default_rng(0).normal(0, 2.0, still.shape)
    out = one_euro_track(noisy, t, 30.0)
    assert np.std(out[30:] - still[30:]) < 0.8 * np.std(noisy[30:] - still[30:])
    # fast motion (1 body per second) is followed with little lag
    moving = still + (t * 320 / 30.0)[:, None, None] * np.array([1.0, 0.0])
    lag = (moving - one_euro_track(moving, t, 30.0))[60:, :, 0]
    assert np.abs(lag).max() < 10.0
    # a gap restarts the filter: the first frame after it is passed through (one way), and
    # the two sides of the gap are filtered independently
    gap = np.concatenate([t[:60], t[60:] + 10])
    assert one_euro_track(noisy, gap, 30.0, two_way=False)[60] == pytest.approx(noisy[60])
    assert one_euro_track(noisy, gap, 30.0)[60:] == pytest.approx(
        one_euro_track(noisy[60:], gap[60:], 30.0)
    )


def test_one_euro_track_two_way_has_no_lag() -> None:
    """Half a body's move in one second, 60 fps, 2 px noise: the causal filter trails the
    path by ~0.1 frame; forward and backward it does not, and it is closer to the path."""
    fps, t = 60.0, np.arange(200)
    still = np.full((200, 17, 2), 300.0)
    still[:, :, 1] += np.arange(17) * 20
    s = np.clip((t - 60) / 60, 0, 1)
    path = still.copy()
    path[:, :, 0] += 160 * (0.5 - 0.5 * np.cos(np.pi * s))[:, None]
    truth = path[:, :, 0].mean(1)
    shifts = np.arange(-2.0, 2.0001, 0.01)
    rng = np.random.default_rng(0)

    def lag_and_error(two_way: bool) -> tuple[float, float]:
        lags, errs = [], []
        for _ in range(10):
            out = one_euro_track(path + rng.normal(0, 2.0, path.shape), t, fps, two_way=two_way)
            x = out[:, :, 0].mean(1)
            e = [np.mean((np.interp(t - c, t, truth) - x)[40:140] ** 2) for c in shifts]
            lags.append(shifts[int(np.argmin(e))])
            errs.append(np.sqrt(np.mean((out - path)[40:140] ** 2)))
        return float(np.mean(lags)), float(np.mean(errs))

    lag1, err1 = lag_and_error(False)
    lag2, err2 = lag_and_error(True)
    assert lag1 > 0.05  # the causal filter lags (measured 0.10 frame)
    assert abs(lag2) < 0.02
    assert err2 < 0.95 * err1


def test_to_coco_moves_joints_along_the_body_axis() -> None:
    # an upright body: shoulders 100 px above the hips, so the axis is -y and the torso 100 px
    kp = np.zeros((17, 2))
    kp[:, 0] = np.arange(17) * 3.0
    kp[:, 1] = 500.0
    kp[[5, 6], 1] = 300.0
    kp[[11, 12], 1] = 400.0
    kp[[5, 11], 0], kp[[6, 12], 0] = 10.0, 30.0
    offsets = np.arange(9) / 100.0
    moved = to_coco(kp, offsets)
    assert moved[:, 0] == pytest.approx(kp[:, 0])
    assert moved[:, 1] == pytest.approx(kp[:, 1] - 100.0 * offsets[JOINT_PAIR])
    # lying on its side (rotated 90 degrees), scaled 2x: the shift turns and scales with it
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    turned = 2 * kp @ rot.T
    axis, length = body_axis(turned)
    assert length == pytest.approx(200.0)
    assert axis == pytest.approx(np.array([1.0, 0.0]))
    assert to_coco(turned, offsets) - turned == pytest.approx(2 * (moved - kp) @ rot.T)
    # many people / frames at once, and a person without a torso length stays as is
    batch = np.stack([kp, turned, np.zeros((17, 2))])
    assert to_coco(batch, offsets)[2] == pytest.approx(np.zeros((17, 2)))
    assert to_coco(batch, offsets)[0] == pytest.approx(moved)


def test_fit_along_axis_recovers_known_offsets() -> None:
    rng = np.random.default_rng(3)
    ours = rng.normal(0, 40, (50, 17, 2)) + 500
    truth = np.array([0.06, 0.05, 0.04, 0.04, 0.02, 0.0, 0.05, 0.02, -0.01])
    reference = to_coco(ours, truth) + rng.normal(0, 0.5, ours.shape)
    use = rng.random((50, 17)) > 0.2
    assert fit_along_axis(ours, reference, use) == pytest.approx(truth, abs=0.01)
    # what the reference does not score is not used
    far = reference.copy()
    far[~use] += 1000.0
    assert fit_along_axis(ours, far, use) == pytest.approx(fit_along_axis(ours, reference, use))


def test_previous_left_right_rule_and_its_limit() -> None:
    """The previous rule (``facing_weight=1``): a mirrored run longer than the correct one is
    undone by the model's depth cue (face seen, yet nose behind the shoulders), which
    continuity alone keeps; but the cue flips a person seen from behind."""
    rng = np.random.default_rng(2)
    t = np.arange(80)
    base = rng.normal(0, 40, (17, 2)) + np.array([500.0, 500.0])
    base[1::2, 0] -= 60
    base[2::2, 0] += 60
    xy = np.repeat(base[None], 80, axis=0) + rng.normal(0, 1.0, (80, 17, 2))
    truth = np.zeros(80, dtype=bool)
    truth[20:70] = True
    seen = xy.copy()
    seen[truth] = seen[truth][:, MIRROR]
    away = np.where(truth, 0.2, -0.3)  # the model read mirrored frames as "facing away"
    assert np.array_equal(fix_left_right(seen, t, facing_away=away, facing_weight=1.0), truth)
    # without the cue, continuity keeps the longer run: the wrong answer for the rest
    assert np.array_equal(fix_left_right(seen, t), ~truth)
    # but the cue assumes a front view: a back view read correctly ("facing away") all along
    # is mirrored throughout by it, and left as it is by continuity
    assert fix_left_right(xy, t, facing_away=np.full(80, 0.2), facing_weight=1.0).all()
    assert not fix_left_right(xy, t).any()


def _peak_rss_mb(frames: int) -> float:
    code = (
        "import resource\n"
        "from posekit.estimate import Estimator\n"
        "from posekit.media import fetch_demo_video\n"
        "Estimator().video(fetch_demo_video('pose2sim_s01_cam01'), progress=False, "
        f"max_frames={frames})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024  # kB on Linux


@pytest.mark.slow
def test_video_frames_stream_through(estimator: Estimator) -> None:
    """Peak memory for 100 frames of 1080x1920 is that of 10 frames: frames are not kept
    (keeping 90 more RGB frames would take 560 MB)."""
    few, many = _peak_rss_mb(10), _peak_rss_mb(100)
    assert many - few < 60, (few, many)


def test_crop_geometry_with_and_without_opencv(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blob at a known place lands where Roi.to_frame says, through either warp (OpenCV or
    the Pillow fallback), and both warps give nearly the same crop."""
    from posekit.estimate import _landmarks

    yy, xx = np.mgrid[0:1200, 0:900] + 0.5  # pixel centres
    blob = np.exp(-((xx - 433.3) ** 2 + (yy - 701.7) ** 2) / (2 * 25**2))
    img = (np.stack([blob] * 3, -1) * 255).astype(np.uint8)
    crops = {}
    for backend in ("cv2", "pil"):
        if backend == "pil":
            monkeypatch.setattr(_landmarks, "_cv2", None)
        for size, rot in [(500, 0.0), (700, 0.6), (1000, -2.0)]:
            roi = Roi(400.0, 650.0, size, rot)
            c = _landmarks.crop(img, roi).astype(float)[..., 0]
            ys, xs = np.mgrid[0:256, 0:256] + 0.5
            w = c / c.sum()
            back = roi.to_frame(np.array([(xs * w).sum(), (ys * w).sum()]))
            assert back == pytest.approx([433.3, 701.7], abs=0.6), (backend, size, rot)
            crops[backend, size] = c
    for size in (500, 700, 1000):
        assert np.abs(crops["cv2", size] - crops["pil", size]).mean() < 1.0


def test_detector_inputs_made_ahead_are_the_same(
    estimator: Estimator, frame100: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decoding thread prepares the detector's inputs (PosePipeline.prepare); detections
    from them equal those from the picture itself, OpenCV's 2× area shrink equals Pillow's
    reduce(2) pixel for pixel, and the prefetcher calls prepare on frames 0, 1, 2... in order."""
    from posekit.estimate import _landmarks
    from posekit.estimate._detector import _reduce
    from posekit.estimate._landmarks import Frame
    from posekit.estimate._prefetch import prefetch_images

    expected = np.asarray(Image.fromarray(frame100).reduce(2))
    assert np.array_equal(np.asarray(_reduce(Frame(array=frame100), 2)), expected)

    regions = tile_regions(1768, 994)
    plain = estimator.detector(Image.fromarray(frame100), regions)
    pipe = estimator._pipeline(detect_every=2)
    ahead = Frame(array=frame100)
    pipe.prepare(0, ahead)
    assert tuple(regions) in ahead.prepared and ahead.array_if_decoded() is not None
    made = estimator.detector(ahead, regions)
    assert not ahead.prepared  # used up, not kept
    assert len(plain) == len(made) == 2
    for a, b in zip(plain, made, strict=True):
        assert np.array_equal(a.box, b.box) and np.array_equal(a.keypoints, b.keypoints)
    # the Pillow path (no OpenCV) gives the same detections too
    monkeypatch.setattr(_landmarks, "_cv2", None)
    slow = Frame(array=frame100)
    pipe.prepare(0, slow)
    for a, b in zip(plain, estimator.detector(slow, regions), strict=True):
        assert np.array_equal(a.box, b.box)
    other = Frame(array=frame100)
    pipe.prepare(1, other)  # the detector is not due on odd frames
    assert not other.prepared

    seen: list[int] = []
    with VideoReader(fetch_demo_video("sports2d_demo")) as video:
        got = [
            i for i, _ in prefetch_images(video, max_frames=5, prepare=lambda c, f: seen.append(c))
        ]
    assert seen == [0, 1, 2, 3, 4] and got == [0, 1, 2, 3, 4]


# -- everyone in view (Pose2Sim Demo_MultiPerson) -------------------------------------------------
def _tracked(res: PoseResult) -> tuple[int, int]:
    """Tracks present in >= 80% of the frames, and the most poses in one frame."""
    flat = flatten(res)
    _, counts = np.unique(flat.object_id, return_counts=True)
    return int((counts >= 0.8 * res.n_frames).sum()), int(np.bincount(flat.frame).max())


@pytest.fixture(scope="module")
def multi_room(estimator: Estimator) -> dict[str, PoseResult]:
    """Demo_MultiPerson cam02 (three people), cam03 and cam04 (two), one run each; cam01 (three
    people, tracked since before issue 11) is left to the bench to spare the suite a run."""
    return {
        cam: estimator.video(fetch_demo_video(f"pose2sim_multi_{cam}"), progress=False)
        for cam in ("cam02", "cam03", "cam04")
    }


@pytest.mark.slow
def test_multi_person_room_everyone_tracked(multi_room: dict[str, PoseResult]) -> None:
    """cam02: the participant, a woman in the foreground seen from behind (~1000 px tall,
    missed in every frame before: her crop overlapped the participant's) and a small standing
    bystander (found by the finer scan); no pose on the anatomical skeleton model or on the
    post in the foreground, never more poses than people."""
    res = multi_room["cam02"]
    flat = flatten(res)
    _, counts = np.unique(flat.object_id, return_counts=True)
    # measured 100, 100 and 90 frames (the bystander: found by the fine scan at frame 10, then
    # held); 2 of 3 people before
    assert len(counts) == 3 and sorted(counts)[0] >= 85, counts
    assert _tracked(res) == (3, 3)


@pytest.mark.slow
@pytest.mark.parametrize("cam", ["cam03", "cam04"])
def test_two_people_who_overlap_are_both_tracked(
    multi_room: dict[str, PoseResult], cam: str
) -> None:
    """cam03: the participant passes in front of the woman standing behind him (his crop
    drifted onto her and took her track); cam04: his raised arm reaches across her box (her
    pose was dropped as a duplicate of his). Measured: cam03 100 and 88 frames (he is lost in
    a few frames where he turns his back right in front of her), cam04 100 and 100; 1 of 2
    before on both. Never more poses than the two people in view."""
    res = multi_room[cam]
    flat = flatten(res)
    _, counts = np.unique(flat.object_id, return_counts=True)
    assert _tracked(res) == (2, 2), counts
    assert sorted(counts)[0] >= {"cam03": 84, "cam04": 95}[cam], counts


def test_a_person_lost_inside_the_picture_is_reported() -> None:
    """A track that ends (or pauses for more than 10 frames) away from the picture's edges
    before the clip ends is reported; one that ends at an edge (walked out) is not."""
    inside = np.array([[400.0, 300.0], [420.0, 500.0]])
    edge = np.array([[2.0, 300.0], [40.0, 500.0]])
    frames = [(i, [(0, inside), (1, edge)] if i < 20 else []) for i in range(60)]
    frames[50] = (50, [(0, inside)])
    lost = _api._lost_people(frames, 1000, 800)
    assert len(lost) == 1 and "person 0 was lost at frame 19" in lost[0], lost
    assert "found again at frame 50" in lost[0]
    assert issubclass(LostPersonWarning, UserWarning)  # what estimate_video warns with
