"""Left/right and scores from every view, and everyone in view (issue 11), per clip, side by
side with the previous approach.

    .venv/bin/python bench/bench_estimate_views.py

Each clip is estimated once; the per-track steps (left/right rule, scores) are then replayed
on the same model outputs with each rule, so the columns differ only by the rule. Pose2Sim S01
cam01/cam02 (front), cam03 and cam04 (back; cam04 from behind and above) against OpenPose;
nothing of the left/right decision was fitted on cam03 or cam04, the COCO offsets are fitted on
cam01+cam02. Demo_MultiPerson cam01-04: people
tracked (in >= 80% of frames) and the most poses in one frame, vs the people in view.

Then, per view, which joints carry the distance to OpenPose (median / torso per joint, and its
part along the body axis and across it), and the COCO placement offsets left one camera out:
fitted on the two other cameras, reported on the third (``--quick`` skips the multi-person
clips). Then the calibration check (OpenPose of cam01+cam02 triangulated with the
trial's calibration and reprojected into each camera; epipolar distances per camera pair), and
the candidate back-view corrections, each fitted on one back view and reported on the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from posekit.estimate import Estimator, _api
from posekit.estimate._convention import body_axis, to_coco
from posekit.estimate._quality import (
    _participant,
    _torso,
    back_view_corrections,
    blazepose_pairs,
    epipolar_distances,
    fit_offsets,
    held_out_offsets,
    load_openpose,
    mirrored_frames,
    openpose_report,
    read_qca,
    relative_distances,
    reprojected_openpose,
    score_agreement,
)
from posekit.io import flatten
from posekit.media import fetch_demo_video

ROOT = Path(__file__).resolve().parents[1]

_DATA = ROOT / "tests" / "data" / "pose2sim_s01_openpose"
OPENPOSE = _DATA if _DATA.is_dir() else ROOT.parent / "shared" / "data" / "pose2sim_s01_openpose"
#: people in view in every frame of Demo_MultiPerson (the skeleton model is not a person)
MULTI_PEOPLE = {"cam01": 3, "cam02": 3, "cam03": 2, "cam04": 2}


def replays(est: Estimator, name: str, **rules: dict[str, Any]) -> dict[str, Any]:
    """One run of the models on demo video ``name``; the result rebuilt with each set of
    per-track options in ``rules`` (label -> options of ``_video_result``)."""
    captured: dict[str, Any] = {}
    original = _api._video_result

    def capture(frames: Any, *args: Any, **kw: Any) -> Any:
        captured.update(frames=[(i, list(p)) for i, p in frames], args=args, kw=kw)
        return original(frames, *args, **kw)

    with mock.patch.object(_api, "_video_result", capture):
        est.video(fetch_demo_video(name), progress=False)
    out = {}
    for label, options in rules.items():
        kw = {**captured["kw"], **options}
        frames = [(i, list(p)) for i, p in captured["frames"]]
        out[label] = original(frames, *captured["args"], **kw)
    return out


def pose2sim_rows(est: Estimator) -> None:
    print("Pose2Sim S01 vs OpenPose (smoothed): median distance/torso, PCK@0.2, mirrored frames")
    print("targets: < 5%, > 95%, 0")
    rules = {
        "previous (nose depth)": dict(left_right="nose-depth", scores="model"),
        "model's labels": dict(left_right="off", scores="model"),
        "along the track (now)": dict(left_right="track", scores="visible"),
    }
    for cam in CAMS:
        op = load_openpose(OPENPOSE / cam)
        results = replays(est, f"pose2sim_s01_{cam}", **rules)
        view = "back" if cam in BACK else "front"
        for label, res in results.items():
            q = openpose_report(res, op)
            s = score_agreement(res, op)
            print(
                f"  {cam} ({view:<5}) {label:<24} {100 * q.median_rel:6.2f}% "
                f"{100 * q.pck:6.1f}% {mirrored_frames(res, op):4d}   scores: OpenPose-unseen "
                f"kept {100 * s['unseen_kept']:5.1f}%, seen kept {100 * s['seen_kept']:5.1f}%, "
                f"nose/eyes kept {100 * s['face_kept']:5.1f}%"
            )


def multi_rows(est: Estimator) -> None:
    print("Demo_MultiPerson: tracks present in >= 80% of frames / people in view; most poses in")
    print("one frame; ms/frame")
    for cam, people in MULTI_PEOPLE.items():
        res = est.video(fetch_demo_video(f"pose2sim_multi_{cam}"), progress=False)
        flat = flatten(res)
        n = res.n_frames
        _, counts = np.unique(flat.object_id, return_counts=True)
        tracked = int((counts >= 0.8 * n).sum())
        most = int(np.bincount(flat.frame).max()) if len(flat.frame) else 0
        t = res.extra["timing"]
        print(
            f"  {cam}: {tracked}/{people} tracked, at most {most} poses at once "
            f"({1000 * t['seconds'] / t['frames']:.0f} ms/frame); "
            f"warnings: {res.extra.get('warnings', [])}"
        )


JOINTS = (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
    "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle",
)  # fmt: skip
CAMS = ("cam01", "cam02", "cam03", "cam04")
BACK = ("cam03", "cam04")


def per_joint_rows(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Per joint and view (unsmoothed, offsets fitted on the two other cameras, so every
    figure is held out): median distance / torso, and the
    median offset of OpenPose's joint from ours along the body axis (towards the head > 0) and
    across it (> 0: towards the picture's side where a person facing the camera has their
    left), in % of the torso; n = frames where OpenPose scored the joint > 0.5."""
    print("\nper joint, unsmoothed, held-out offsets: median dist / along / across, % torso (n)")
    print(
        f"{'joint':<11}" + "".join(f"{c + (' back' if c in BACK else ' front'):>28}" for c in CAMS)
    )
    cols = {}
    held = held_out(pairs)
    for cam in CAMS:
        ours, refs = pairs[cam]
        coco = to_coco(ours, held[cam][0])
        rel = relative_distances(coco, refs)
        axis, length = body_axis(ours)
        delta = refs[..., :2] - coco
        along = (delta * axis[:, None]).sum(-1) / length[:, None]
        across = (axis[:, None, 0] * delta[..., 1] - axis[:, None, 1] * delta[..., 0]) / length[
            :, None
        ]
        cols[cam] = (rel, along, across, refs[..., 2] > 0.5)
    for j, name in enumerate(JOINTS):
        line = f"{name:<11}"
        for cam in CAMS:
            rel, along, across, good = cols[cam]
            g = good[:, j]
            if g.sum() < 5:
                line += f"{'-':>28}"
                continue
            line += (
                f"{100 * np.median(rel[g, j]):8.1f}{100 * np.median(along[g, j]):+7.1f}"
                f"{100 * np.median(across[g, j]):+7.1f} ({g.sum():3d})"
            )
        print(line)


def held_out(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, tuple[np.ndarray, float, float]]:
    """cam01-cam03 left one out of those three (fitted on the two others); cam04 with the
    shipped offsets (fitted on cam01+cam02, so held out too)."""
    out = held_out_offsets({c: pairs[c] for c in CAMS[:3]})
    ours, refs = pairs["cam04"]
    offsets = fit_offsets(pairs, ("cam01", "cam02"))
    rel = relative_distances(to_coco(ours, offsets), refs)
    rel = rel[np.isfinite(rel)]
    out["cam04"] = (offsets, float(np.median(rel)), float(np.mean(rel < 0.2)))
    return out


def held_out_rows(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    print("\nCOCO offsets held out (cam01-03: fitted on the two others of the three; cam04: the")
    print("shipped ones, fitted on cam01+cam02), unsmoothed:")
    print("camera        BlazePose placement   held-out median   held-out PCK@0.2   target")
    for cam, (_, med, pck) in held_out(pairs).items():
        ours, refs = pairs[cam]
        raw = relative_distances(ours, refs)
        raw_med = float(np.median(raw[np.isfinite(raw)]))
        print(f"{cam:<14}{100 * raw_med:17.2f}%{100 * med:17.2f}%{100 * pck:18.1f}%   < 5%, > 95%")


def calibration_rows() -> None:
    """The trial's calibration (``tests/data/pose2sim_s01_openpose/Calib.qca.txt``) against
    OpenPose: front views triangulated, reprojected into every camera; epipolar distances."""
    cams = read_qca(OPENPOSE / "Calib.qca.txt")
    op = {c: load_openpose(OPENPOSE / c) for c in CAMS}
    refs = {c: np.array([_participant(p) for p in op[c]]) for c in CAMS}
    print("\ncalibration: OpenPose cam01+cam02 triangulated, reprojected, vs each camera's")
    print("OpenPose (median / torso, per joint: shoulders, hips, knees, ankles L/R)")
    for cam in CAMS:
        rel = relative_distances(reprojected_openpose(cams, op, ("cam01", "cam02"), cam), refs[cam])
        joints = " ".join(
            f"{100 * np.nanmedian(rel[:, j]):5.1f}" for j in (5, 6, 11, 12, 13, 14, 15, 16)
        )
        print(f"  -> {cam}: {100 * np.nanmedian(rel):6.2f}%   {joints}")
    print("epipolar distance, median / torso (OpenPose joints both cameras score > 0.5):")
    for i, a in enumerate(CAMS):
        for b in CAMS[i + 1 :]:
            d = []
            for ra, rb in zip(refs[a], refs[b], strict=True):
                g = (ra[:, 2] > 0.5) & (rb[:, 2] > 0.5)
                d.extend(epipolar_distances(cams[a], cams[b], ra[g, :2], rb[g, :2]) / _torso(rb))
            print(f"  {a}-{b}: {100 * np.median(d):5.2f}%")


def back_view_rows(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    print("\nback-view corrections, fitted on one back view, reported on the other (unsmoothed;")
    print("front views keep the shipped offsets): median distance / torso, target < 5%")
    for label, row in back_view_corrections(pairs).items():
        print(f"  {label:<56}" + "".join(f"{c} {100 * v:5.2f}%  " for c, v in row.items()))


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    est = Estimator()
    pose2sim_rows(est)
    if "--quick" not in args:
        multi_rows(est)
    pairs = blazepose_pairs(est, OPENPOSE, CAMS)
    per_joint_rows(pairs)
    held_out_rows(pairs)
    back_view_rows(pairs)
    calibration_rows()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
