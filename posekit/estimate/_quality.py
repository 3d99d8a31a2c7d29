"""Quality measures of the offline estimator on the real demo videos (issue 6's bar).

Development measures, not part of the API: shared by ``tests/test_estimate.py``, the benches
(``bench/bench_estimate*.py``) and ``scripts/fit_coco_offsets.py``, which import it from here
(it used to live in ``tests/`` and was reached through ``sys.path``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posekit.io import flatten
from posekit.io import load_openpose as load_openpose_result
from posekit.result import PoseResult

# -- Sports2D demo.mp4 --------------------------------------------------------------------------
#: Frames where both people are fully in view (issue 6).
BOTH_VISIBLE = range(42, 200)
#: The jumper (on the box, then the flip) lands on the grass at the right around this frame.
_LANDED = 181


def sports2d_label(frame: int, box: np.ndarray) -> str:
    """Who a pose on the Sports2D demo is on, from its box.

    Who a pose is on: ``"jumper"`` (the man on the box) or ``"walker"`` (the woman on the
    grass), from where its box is. The walker's box centre is always below y = 500; the
    jumper's is above it until he lands on the right, far from the walker (x > 700).
    """
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    walker = cy > 500 and (frame < _LANDED or cx < 700)
    return "walker" if walker else "jumper"


@dataclass
class Sports2DReport:
    both_found: int  # frames of BOTH_VISIBLE with one pose on each person
    n_both_frames: int
    ghost_frames: int  # frames with a pose too many (two on one person, or more than two)
    n_frames: int
    ids: dict[str, set[int]]  # object_ids seen on each person
    id_swaps: int  # object_ids seen on both people

    def lines(self) -> list[str]:
        return [
            f"both people found: {self.both_found}/{self.n_both_frames} frames "
            f"({100 * self.both_found / self.n_both_frames:.1f}%)",
            f"frames with an extra or ghost pose: {self.ghost_frames}/{self.n_frames} "
            f"({100 * self.ghost_frames / self.n_frames:.1f}%)",
            f"object_ids per person: jumper {sorted(self.ids['jumper'])}, "
            f"walker {sorted(self.ids['walker'])}; ids on both people: {self.id_swaps}",
        ]


def sports2d_report(res: PoseResult, *, step: int = 1) -> Sports2DReport:
    flat = flatten(res)
    frames = sorted({a.frame_num for a in res.annotations()})
    ids: dict[str, set[int]] = {"jumper": set(), "walker": set()}
    by_frame: dict[int, list[str]] = {f: [] for f in frames}
    for f, oid, box in zip(flat.frame, flat.object_id, flat.bbox, strict=True):
        label = sports2d_label(int(f), box)
        by_frame[int(f)].append(label)
        ids[label].add(int(oid))
    both = [f for f in BOTH_VISIBLE if f in by_frame]
    found = sum(1 for f in both if sorted(by_frame[f]) == ["jumper", "walker"])
    ghosts = sum(1 for labels in by_frame.values() if len(labels) != len(set(labels)))
    return Sports2DReport(
        both_found=found,
        n_both_frames=len(both),
        ghost_frames=ghosts,
        n_frames=len(frames),
        ids=ids,
        id_swaps=len(ids["jumper"] & ids["walker"]),
    )


# -- Pose2Sim S01 vs OpenPose -------------------------------------------------------------------
def load_openpose(folder: Path) -> list[np.ndarray]:
    """The OpenPose people of a folder of frame files, as COCO-17 arrays.

    Per frame file, in frame order, an (n_people, 17, 3) array of x, y, score: OpenPose's
    BODY_25B joints 0-16 (COCO order), as :func:`posekit.io.load_openpose` reads them (stray
    files that do not follow the folder's numbering, cam03's ``del_000000_0.json``, are not
    frames).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="load_openpose: skipped")
        res = load_openpose_result(folder, layout="BODY_25B")
    flat = flatten(res)
    return [flat.keypoints[flat.frame == ann.frame_num] for ann in res.annotations()]


def _torso(kp: np.ndarray) -> float:
    """Mean shoulder-hip distance (left and right), pixels."""
    return float(
        (np.linalg.norm(kp[5, :2] - kp[11, :2]) + np.linalg.norm(kp[6, :2] - kp[12, :2])) / 2
    )


@dataclass
class OpenPoseReport:
    frames: int  # frames compared
    missing: int  # frames where the participant was not found
    median_rel: float  # median distance / torso over joints OpenPose scored > 0.5
    pck: float  # share of those joints within 0.2 torso
    per_joint_median_rel: np.ndarray  # (17,)

    def lines(self, name: str) -> list[str]:
        return [
            f"{name}: participant found in {self.frames - self.missing}/{self.frames} frames; "
            f"median distance {100 * self.median_rel:.2f}% of torso (target < 5%), "
            f"PCK@0.2 torso {100 * self.pck:.1f}% (target > 90%)"
        ]


def _participant(people: np.ndarray) -> np.ndarray:
    """The Pose2Sim participant among OpenPose's people in a frame.

    The participant among OpenPose's people in a frame: the most complete skeleton (the
    bystander is cut by the frame edge).
    """
    n_good = [int((p[:, 2] > 0.5).sum()) + _torso(p) / 1e4 for p in people]
    return people[int(np.argmax(n_good))]


def _matches(
    res: PoseResult, openpose: list[np.ndarray]
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """The participant and our closest estimate of them, per frame.

    Per OpenPose frame the result covers: the participant (17, 3) and our closest estimate
    of them (17, 2), or None where there is none on them (no pose, or the closest one's median
    distance over the joints OpenPose scored > 0.5 is above a torso length).
    """
    flat = flatten(res)
    for frame, people in enumerate(openpose):
        found = flat.keypoints[flat.frame == frame]
        if not len(found) and frame >= res.n_frames:
            continue  # beyond a shorter (max_frames) result
        ref = _participant(people)
        if not len(found):
            yield ref, None
            continue
        good = ref[:, 2] > 0.5
        dists = np.where(good, np.linalg.norm(found[:, :, :2] - ref[None, :, :2], axis=2), np.nan)
        best = int(np.argmin(np.nanmedian(dists, axis=1)))
        on_participant = np.nanmedian(dists[best]) / _torso(ref) <= 1.0
        yield ref, (found[best, :, :2] if on_participant else None)


#: COCO-17 index of each joint's left/right twin.
_TWIN = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])


def mirrored_frames(res: PoseResult, openpose: list[np.ndarray]) -> int:
    """The number of frames where our participant is mirrored.

    Frames where our estimate of the participant is closer to OpenPose with its left and
    right labels exchanged than as it is (over the joint pairs OpenPose scored > 0.5).
    """
    n = 0
    for ref, ours in _matches(res, openpose):
        if ours is None:
            continue
        good = (ref[:, 2] > 0.5) & (ref[_TWIN, 2] > 0.5) & (_TWIN != np.arange(17))
        if not good.any():
            continue
        as_is = np.linalg.norm(ours - ref[:, :2], axis=1)[good].mean()
        swapped = np.linalg.norm(ours[_TWIN] - ref[:, :2], axis=1)[good].mean()
        n += int(swapped < as_is)
    return n


def score_agreement(res: PoseResult, openpose: list[np.ndarray]) -> dict[str, float]:
    """How our keypoint scores agree with OpenPose's on the participant.

    ``unseen_kept``: share of the points OpenPose does not see (score <= 0.1) that we score >= 0.5;
    ``seen_kept`` share of the points it sees (> 0.5) that we score >= 0.5; ``face_kept`` share of
    nose and eyes we score >= 0.5.
    """
    flat = flatten(res)
    unseen, seen, face = [], [], []
    for frame, people in enumerate(openpose):
        found = flat.keypoints[flat.frame == frame]
        if not len(found):
            continue
        ref = _participant(people)
        good = ref[:, 2] > 0.5
        d = [np.linalg.norm(k[:, :2] - ref[:, :2], axis=1)[good].mean() for k in found]
        ours = found[int(np.argmin(d))]
        unseen.extend(ours[ref[:, 2] <= 0.1, 2])
        seen.extend(ours[good, 2])
        face.extend(ours[:3, 2])
    return {
        "unseen_kept": float(np.mean(np.array(unseen) >= 0.5)) if unseen else float("nan"),
        "seen_kept": float(np.mean(np.array(seen) >= 0.5)),
        "face_kept": float(np.mean(np.array(face) >= 0.5)),
    }


def paired_openpose(res: PoseResult, openpose: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The participant's keypoints, ours and OpenPose's, paired by frame.

    Per frame where the participant is found: our estimate of them (n, 17, 2) and
    OpenPose's (n, 17, 3).
    """
    return _stack(_matches(res, openpose))


def _stack(
    matches: Iterable[tuple[np.ndarray, np.ndarray | None]],
) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(ours, ref) for ref, ours in matches if ours is not None]
    return np.array([o for o, _ in pairs]), np.array([r for _, r in pairs])


def relative_distances(ours: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """The distances of paired keypoints in OpenPose torso lengths.

    (n, 17) distances of paired keypoints (:func:`paired_openpose`) / OpenPose's torso
    length; NaN for the joints OpenPose scored 0.5 or less.
    """
    torso = np.array([_torso(r) for r in refs])
    d = np.linalg.norm(ours - refs[:, :, :2], axis=2) / torso[:, None]
    return np.where(refs[:, :, 2] > 0.5, d, np.nan)


def median_rel(ours: np.ndarray, refs: np.ndarray) -> float:
    """Median of :func:`relative_distances` (the figure :func:`openpose_report` gives)."""
    d = relative_distances(ours, refs)
    return float(np.median(d[np.isfinite(d)]))


def blazepose_pairs(
    estimator: Any, openpose_root: Path, cams: tuple[str, ...] = ("cam01", "cam02")
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The participant in BlazePose's placement and OpenPose's, per camera.

    Per Pose2Sim camera (default cam01, cam02; cam03 is the back view): the participant as
    estimated in BlazePose's own placement (no smoothing) and OpenPose's, paired by
    :func:`paired_openpose` - what the COCO placement offsets are fitted on
    (``posekit.estimate._convention``).
    """
    from posekit.media import fetch_demo_video

    out = {}
    for cam in cams:
        res = estimator.video(
            fetch_demo_video(f"pose2sim_s01_{cam}"),
            smoothing=False,
            progress=False,
            convention="blazepose",
        )
        out[cam] = paired_openpose(res, load_openpose(openpose_root / cam))
    return out


def fit_offsets(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]], cams: tuple[str, ...]
) -> np.ndarray:
    """COCO placement offsets fitted on ``cams`` of :func:`blazepose_pairs`."""
    from posekit.estimate._convention import fit_along_axis

    ours = np.concatenate([pairs[c][0] for c in cams])
    refs = np.concatenate([pairs[c][1] for c in cams])
    return fit_along_axis(ours, refs[..., :2], refs[..., 2] > 0.5)


def openpose_report(res: PoseResult, openpose: list[np.ndarray]) -> OpenPoseReport:
    """Our estimate of the participant compared with OpenPose's.

    Compare the participant (the OpenPose person with the most joints scored > 0.5: the
    one on the force plate, not the bystander cut by the left edge) with the closest estimate.
    """
    matches = list(_matches(res, openpose))
    allrel = relative_distances(*_stack(matches))
    flat_rel = allrel[np.isfinite(allrel)]
    return OpenPoseReport(
        frames=len(matches),
        missing=sum(ours is None for _, ours in matches),
        median_rel=float(np.median(flat_rel)),
        pck=float(np.mean(flat_rel < 0.2)),
        per_joint_median_rel=_nanmedian0(allrel),
    )


def _nanmedian0(a: np.ndarray) -> np.ndarray:
    """Per-column median ignoring NaN; NaN for a column with no value (no warning)."""
    out = np.full(a.shape[1], np.nan)
    for j in range(a.shape[1]):
        col = a[:, j][np.isfinite(a[:, j])]
        if col.size:
            out[j] = np.median(col)
    return out


def held_out_offsets(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, tuple[np.ndarray, float, float]]:
    """The COCO placement offsets and their figures, one camera left out.

    Leave one camera out: per camera of ``pairs`` (:func:`blazepose_pairs`), the COCO
    placement offsets fitted on all the *other* cameras, and that camera's median distance /
    torso and PCK@0.2 with them (a figure on data the offsets never saw).
    """
    from posekit.estimate._convention import to_coco

    out = {}
    for cam, (ours, refs) in pairs.items():
        offsets = fit_offsets(pairs, tuple(c for c in pairs if c != cam))
        rel = relative_distances(to_coco(ours, offsets), refs)
        rel = rel[np.isfinite(rel)]
        out[cam] = (offsets, float(np.median(rel)), float(np.mean(rel < 0.2)))
    return out


# -- Pose2Sim S01 calibration: the four cameras in one world ----------------------------------
@dataclass(frozen=True)
class Camera:
    """One calibrated camera in OpenCV's convention.

    ``x ~ K [R | t] X`` with lens distortion ``dist`` (k1, k2, p1, p2); world in millimetres.
    """

    name: str
    K: np.ndarray  # (3, 3), pixels
    dist: np.ndarray  # (4,)
    R: np.ndarray  # (3, 3), world -> camera
    t: np.ndarray  # (3,), mm

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixels (n, 2) of world points (n, 3), lens distortion applied (NaN in, NaN out)."""
        import cv2

        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        out = np.full((len(pts), 2), np.nan)
        ok = np.isfinite(pts).all(1)
        if ok.any():
            rvec, _ = cv2.Rodrigues(self.R)
            px, _ = cv2.projectPoints(pts[ok], rvec, self.t, self.K, self.dist)
            out[ok] = px.reshape(-1, 2)
        return out

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """Undistorted normalised image coordinates (n, 2) of pixels (n, 2)."""
        import cv2

        px = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.undistortPoints(px, self.K, self.dist).reshape(-1, 2)


def read_qca(path: Path) -> dict[str, Camera]:
    """The cameras of a Qualisys ``.qca.txt`` calibration, in OpenCV's convention.

    Read as Pose2Sim's own reader does (``read_qca`` and ``calib_qca_fun`` in
    ``Pose2Sim/calibration.py``, pose2sim 0.10.49), e.g. the Pose2Sim demo's
    ``Calib.qca.txt``: focal lengths, centre and distortion coefficients are in sensor units,
    64 to the pixel; ``transform`` is the camera's position (mm) and the world-to-camera
    rotation row by row, in Qualisys's camera axes (y up, looking along -z), turned by pi
    about x to OpenCV's.
    """
    import xml.etree.ElementTree as ET

    cams = {}
    for cam in ET.parse(path).getroot().findall("cameras/camera"):
        i = {k: float(v) for k, v in cam.find("intrinsic").attrib.items()}  # type: ignore[union-attr]
        tr = {k: float(v) for k, v in cam.find("transform").attrib.items()}  # type: ignore[union-attr]
        fov = {k: float(v) for k, v in cam.find("fov_video").attrib.items()}  # type: ignore[union-attr]
        K = np.array(
            [
                [i["focalLengthU"] / 64, 0.0, i["centerPointU"] / 64 - fov["left"]],
                [0.0, i["focalLengthV"] / 64, i["centerPointV"] / 64 - fov["top"]],
                [0.0, 0.0, 1.0],
            ]
        )
        keys = (
            "radialDistortion1",
            "radialDistortion2",
            "tangentalDistortion1",
            "tangentalDistortion2",
        )
        dist = np.array([i[k] for k in keys]) / 64
        # the rotation as stored row by row is the camera-to-world matrix transposed,
        # i.e. world -> Qualisys camera axes
        rot = np.array([tr[f"r{a}{b}"] for a in "123" for b in "123"]).reshape(3, 3)
        position = np.array([tr["x"], tr["y"], tr["z"]])
        flip = np.diag([1.0, -1.0, -1.0])  # pi about x: Qualisys camera axes -> OpenCV's
        R = flip @ rot
        cams[cam.attrib["serial"]] = Camera(cam.attrib["serial"], K, dist, R, -R @ position)
    return cams


def triangulate(cameras: list[Camera], pixels: list[np.ndarray]) -> np.ndarray:
    """World points (n, 3) from the same n points seen by two or more ``cameras``.

    ``pixels`` is one (n, 2) array per camera (NaN where a camera does not see the point):
    linear (DLT) triangulation on undistorted normalised coordinates; NaN where fewer than
    two cameras see a point.
    """
    norm = [cam.normalized(px) for cam, px in zip(cameras, pixels, strict=True)]
    n = len(norm[0])
    out = np.full((n, 3), np.nan)
    for j in range(n):
        rows = []
        for cam, uv in zip(cameras, norm, strict=True):
            if np.isfinite(uv[j]).all():
                P = np.hstack([cam.R, cam.t[:, None]])
                rows += [uv[j, 0] * P[2] - P[0], uv[j, 1] * P[2] - P[1]]
        if len(rows) >= 4:
            X = np.linalg.svd(np.array(rows))[2][-1]
            out[j] = X[:3] / X[3]
    return out


def epipolar_distances(a: Camera, b: Camera, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Distances (n,) of camera ``b``'s points from the epipolar lines of camera ``a``'s.

    ``pa`` and ``pb`` (n, 2) are the same points in pixels; the distance is measured on
    undistorted points, in pixels of ``b``'s focal length: zero for a perfect calibration and
    perfect keypoints, whatever the 3D point - a check of the calibration that needs no third
    view.
    """
    R = b.R @ a.R.T
    t = b.t - R @ a.t
    tx = np.array([[0, -t[2], t[1]], [t[2], 0, -t[0]], [-t[1], t[0], 0]])
    ua = np.column_stack([a.normalized(pa), np.ones(len(pa))])
    ub = np.column_stack([b.normalized(pb), np.ones(len(pb))])
    lines = ua @ (tx @ R).T
    return np.abs((lines * ub).sum(1)) / np.hypot(lines[:, 0], lines[:, 1]) * b.K[0, 0]


def reprojected_openpose(
    cameras: dict[str, Camera],
    openpose: dict[str, list[np.ndarray]],
    views: tuple[str, ...],
    target: str,
) -> np.ndarray:
    """The participant's OpenPose joints of cameras ``views`` as seen by camera ``target``.

    The joints scored > 0.5 are triangulated per frame and joint and projected into
    ``target``: (frames, 17, 2), NaN where fewer than two views see a joint; ``openpose``
    maps camera names to :func:`load_openpose`.
    """
    out = []
    for people in zip(*(openpose[v] for v in views), strict=True):
        refs = [_participant(p) for p in people]
        pix = [np.where((r[:, 2] > 0.5)[:, None], r[:, :2], np.nan) for r in refs]
        X = triangulate([cameras[v] for v in views], pix)
        out.append(cameras[target].project(X))
    return np.array(out)


# -- a back-view correction, fitted on one back view and reported on the other --------------
FRONT_CAMS = ("cam01", "cam02")
BACK_CAMS = ("cam03", "cam04")


def across_offsets(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]], cams: tuple[str, ...], offsets: np.ndarray
) -> np.ndarray:
    """Per joint (17,), the median offset of OpenPose's joint from ours across the body axis.

    In torso lengths, > 0 towards the picture's side where a person facing the camera has
    their left, after ``offsets`` along the axis, over ``cams`` of ``pairs``.
    """
    from posekit.estimate._convention import body_axis, to_coco

    across, good = [], []
    for cam in cams:
        ours, refs = pairs[cam]
        axis, length = body_axis(ours)
        delta = refs[..., :2] - to_coco(ours, offsets)
        safe = np.where(length > 0, length, 1.0)[:, None]
        across.append((axis[:, None, 0] * delta[..., 1] - axis[:, None, 1] * delta[..., 0]) / safe)
        good.append(refs[..., 2] > 0.5)
    a, g = np.concatenate(across), np.concatenate(good)
    return np.array([np.median(a[g[:, j], j]) if g[:, j].sum() >= 5 else 0.0 for j in range(17)])


def with_across(ours: np.ndarray, offsets: np.ndarray, across: np.ndarray) -> np.ndarray:
    """``ours`` (n, 17, 2) moved along the body axis and across it.

    By ``offsets`` (per pair) along and ``across`` (17,) torso lengths across (see
    :func:`across_offsets`).
    """
    from posekit.estimate._convention import body_axis, to_coco

    axis, length = body_axis(ours)
    side = np.stack([-axis[..., 1], axis[..., 0]], -1)  # unit vector across, same sign
    return to_coco(ours, offsets) + across[None, :, None] * (length[:, None, None] * side[:, None])


def back_view_corrections(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, dict[str, float]]:
    """Candidate corrections for people seen from behind, fitted on one back view each.

    Each is reported on the other back view (``pairs`` from :func:`blazepose_pairs` over
    cam01-cam04): median distance / torso per back camera. Except the pooled fit (front views and the other back
    view, all people alike), each applies to people seen from behind only, so the front views'
    figures do not change with it; the pooled fit moves them too (left one camera out of
    four: cam01 4.93%, cam02 5.01%, worse than 4.82% and 4.94% left out of three).
    """
    from posekit.estimate._convention import to_coco

    front = fit_offsets(pairs, FRONT_CAMS)
    rows: dict[str, dict[str, float]] = {
        "shipped offsets (cam01+cam02)": {},
        "back-view offsets along the axis": {},
        "the same for shoulders and hips only": {},
        "offsets fitted on cam01+cam02 and the other back view": {},
        "back-view offsets along and across, per joint": {},
        "shipped offsets + across, per joint": {},
    }
    for cam in BACK_CAMS:
        other = next(c for c in BACK_CAMS if c != cam)
        ours, refs = pairs[cam]
        back = fit_offsets(pairs, (other,))
        trunk = front.copy()
        trunk[[3, 6]] = back[[3, 6]]  # shoulders and hips: where both back views agree
        candidates = (
            to_coco(ours, front),
            to_coco(ours, back),
            to_coco(ours, trunk),
            to_coco(ours, fit_offsets(pairs, (*FRONT_CAMS, other))),
            with_across(ours, back, across_offsets(pairs, (other,), back)),
            with_across(ours, front, across_offsets(pairs, (other,), front)),
        )
        for row, moved in zip(rows.values(), candidates, strict=True):
            row[cam] = median_rel(moved, refs)
    return rows
