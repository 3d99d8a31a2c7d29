"""Track assignment for untracked detections, and picking the main person."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from posekit._history import carry_attrs, logs_history, note_history
from posekit._levels import per_clip
from posekit.schema import COCO_SIGMAS, JOINTS, N_JOINTS, keypoint_extent
from posekit.tidy import _index, to_dense

__all__ = ["assign_tracks", "main_person"]

_BIG = 1e9
# OKS uses k = 2 sigma (COCO's per-keypoint sigmas); k squared
_K2 = (2 * COCO_SIGMAS) ** 2


def _size(pose: np.ndarray) -> np.ndarray:
    """Body size: sqrt of the keypoints' bounding-box area, px (poses (..., 17, 2)); 0 if none."""
    lo, hi = keypoint_extent(pose)
    ext = hi - lo
    size = np.sqrt(ext[..., 0] * ext[..., 1])
    return np.where(np.isfinite(size), size, 0.0)


class _Tracks:
    """Growing arrays of track states."""

    def __init__(self) -> None:
        cap = 16
        self.pos = np.full((cap, N_JOINTS, 2), np.nan)
        self.vel = np.zeros((cap, N_JOINTS, 2))
        self.last = np.zeros(cap, dtype=np.int64)
        self.size = np.zeros(cap)
        self.n = 0

    def new(self, poses: np.ndarray, frame: int, size: np.ndarray) -> np.ndarray:
        k = len(poses)
        while self.n + k > len(self.last):
            for name in ("pos", "vel", "last", "size"):
                arr = getattr(self, name)
                grown = np.zeros((2 * len(arr), *arr.shape[1:]), dtype=arr.dtype)
                grown[: len(arr)] = arr
                setattr(self, name, grown)
        ids = np.arange(self.n, self.n + k)
        self.pos[ids] = poses
        self.vel[ids] = 0.0
        self.last[ids] = frame
        self.size[ids] = size
        self.n += k
        return ids

    def update(self, t: np.ndarray, new: np.ndarray, gap: np.ndarray | None, frame: int) -> None:
        """Tracks ``t`` take the joints of ``new``; without a ``gap``, their velocity stays.

        Joints ``new`` lacks keep their old position; ``gap`` is the frames since each track
        was last seen.
        """
        fin = new == new
        old = self.pos[t]
        if gap is not None:
            v = (new - old) / gap[:, None, None]
            self.vel[t] = np.where(v == v, v, np.where(fin, 0.0, self.vel[t]))
        self.pos[t] = np.where(fin, new, old)
        self.last[t] = frame


@logs_history
@per_clip
def assign_tracks(
    kp: pd.DataFrame,
    /,
    *,
    max_distance: float | None = None,
    max_missed_frames: int = 10,
    metric: Literal["distance", "oks"] = "oks",
    predict: Literal["velocity", "last"] = "velocity",
    min_keypoints: int = 1,
    min_track_frames: int = 1,
) -> pd.DataFrame:
    """Give untracked detections track ids by frame-to-frame Hungarian matching.

    Parameters
    ----------
    kp
        A keypoints table whose ``object_id`` is the detection's place in its frame's list
        (image results, OpenPose imports); any ids it has are ignored.
    max_distance
        Gate: a detection is never matched to a track whose predicted pose is farther than
        this mean keypoint distance (px, over joints valid in both). Default: half the track's
        body size (sqrt of its keypoint bounding-box area).
    max_missed_frames
        A track survives this many frames without a detection, then ends; a later detection
        starts a new track.
    metric
        Matching cost: ``"oks"`` (1 − object keypoint similarity with the COCO sigmas and
        the track's box area as scale) or ``"distance"`` (mean keypoint distance / size).
    predict
        Where a track is expected: ``"velocity"`` (last position + constant velocity × frames
        elapsed) or ``"last"`` (last position).
    min_keypoints
        Detections with fewer valid keypoints (finite, and score > 0 when there is a score:
        Kakao's and OpenPose's way of saying "not detected") carry no usable position and are
        dropped (the history line counts them).
    min_track_frames
        Tracks seen in fewer frames are dropped afterwards (e.g. 3: one- and two-frame
        fragments of a person the detector split in two).

    Returns
    -------
    DataFrame
        The same rows with ``object_id`` = track id (0, 1, ... in order of first appearance),
        sorted by (frame, object_id).

    Notes
    -----
    Each frame: predict every live track, build the cost matrix tracks × detections, forbid
    pairs beyond the gate, solve the assignment with ``scipy.optimize.linear_sum_assignment``;
    matched tracks take the detection's joints (keeping the old position of joints it lacks)
    and update their velocity, unmatched detections start new tracks, tracks unmatched for
    more than ``max_missed_frames`` frames end.

    Examples
    --------
    Two walkers whose ids are exchanged in every odd frame get their own tracks back:

    >>> import numpy as np
    >>> import pandas as pd
    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> frame = kp.index.get_level_values("frame")
    >>> oid = kp.index.get_level_values("object_id")
    >>> index = pd.MultiIndex.from_arrays(
    ...     [frame, np.where(frame % 2 == 1, 1 - oid, oid), kp.index.get_level_values("joint")],
    ...     names=kp.index.names)
    >>> shuffled = kp.set_axis(index).sort_index()
    >>> tracked = pk.clean.assign_tracks(shuffled)
    >>> tracked[["x", "y"]].equals(kp[["x", "y"]]), tracked.attrs["history"][-1][-8:]
    (True, '2 tracks')
    """
    _check_options(metric, predict, max_distance, max_missed_frames)
    has_score = "score" in kp.columns
    dense = to_dense(kp, ("x", "y", "score") if has_score else ("x", "y"))
    xy = dense.values[..., :2]  # (F, D, 17, 2)
    if has_score:  # Kakao's "not detected": score 0 and made-up coordinates
        xy = np.where((dense.values[..., 2:3] > 0) | np.isnan(dense.values[..., 2:3]), xy, np.nan)
    n_valid = np.isfinite(xy).all(axis=-1).sum(axis=-1)  # (F, D)
    usable = dense.present & (n_valid >= max(1, min_keypoints))
    track_of = np.full(dense.present.shape, -1, dtype=np.int64)
    tr = _Tracks()
    live = np.zeros(0, dtype=np.int64)
    use_vel = predict == "velocity"
    use_oks = metric == "oks"
    det_size = np.maximum(_size(xy), 1.0)  # (F, D)
    frames = dense.frames.tolist()
    limit = max_missed_frames + 1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        fidx, didx = np.nonzero(usable)
        per_frame = np.split(didx, np.cumsum(np.bincount(fidx, minlength=len(frames)))[:-1])
        for fi, frame in enumerate(frames):
            dets = per_frame[fi]
            if len(live):
                live = live[frame - tr.last[live] <= limit]
            if len(dets) == 0:
                continue
            det_xy = xy[fi, dets]
            if len(live) == 0:
                live = tr.new(det_xy, frame, det_size[fi, dets])
                track_of[fi, dets] = live
                continue
            gap = (frame - tr.last[live]).astype(np.float64)
            cost = _cost(tr, live, det_xy, gap, use_vel, use_oks, max_distance)
            rows, cols = linear_sum_assignment(cost)
            good = cost[rows, cols] < _BIG
            if not good.all():
                rows, cols = rows[good], cols[good]
            if len(rows):
                t = live[rows]
                tr.update(t, det_xy[cols], gap[rows] if use_vel else None, frame)
                tr.size[t] = det_size[fi, dets[cols]]
                track_of[fi, dets[cols]] = t
            if len(cols) < len(dets):
                unmatched = np.ones(len(dets), dtype=bool)
                unmatched[cols] = False
                born = tr.new(det_xy[unmatched], frame, det_size[fi, dets[unmatched]])
                track_of[fi, dets[unmatched]] = born
                live = np.r_[live, born]
    track_of, n_short = _drop_short(track_of, tr.n, min_track_frames)
    out = _relabel(kp, dense, track_of)
    n_drop = int((dense.present & ~usable).sum())
    note = f"{tr.n - n_short} tracks"
    if n_short:
        note += f", {n_short} tracks shorter than {min_track_frames} frames dropped"
    if n_drop:
        note += f", {n_drop} detections without {min_keypoints} valid keypoints dropped"
    note_history(note)
    return carry_attrs(out, kp)


def _check_options(
    metric: str, predict: str, max_distance: float | None, max_missed_frames: int
) -> None:
    if metric not in ("distance", "oks"):
        raise ValueError(f"assign_tracks: metric must be 'distance' or 'oks', got {metric!r}")
    if predict not in ("velocity", "last"):
        raise ValueError(f"assign_tracks: predict must be 'velocity' or 'last', got {predict!r}")
    if max_distance is not None and not max_distance > 0:
        raise ValueError(f"assign_tracks: max_distance must be > 0 px, got {max_distance}")
    if max_missed_frames < 0:
        raise ValueError(f"assign_tracks: max_missed_frames must be >= 0, got {max_missed_frames}")


def _cost(
    tr: _Tracks,
    live: np.ndarray,
    det_xy: np.ndarray,
    gap: np.ndarray,
    use_vel: bool,
    use_oks: bool,
    max_distance: float | None,
) -> np.ndarray:
    """Cost of matching each live track (rows) to each detection (columns); _BIG beyond the gate."""
    pred = tr.pos[live]
    if use_vel:
        pred = pred + tr.vel[live] * gap[:, None, None]
    diff = pred[:, None] - det_xy[None]  # (T, D, 17, 2)
    d2 = (diff * diff).sum(axis=-1)  # (T, D, 17), NaN where either lacks the joint
    ok = d2 == d2
    cnt = ok.sum(axis=-1)
    d2z = np.where(ok, d2, 0.0)
    mean_d = np.sqrt(d2z).sum(axis=-1) / cnt
    size = tr.size[live]
    if use_oks:
        inv = 1.0 / (2.0 * (size * size)[:, None] * _K2)  # (T, 17)
        # invalid joints have d2z = 0, i.e. exp(0) = 1: take them back out
        sim = (np.exp(-d2z * inv[:, None, :]).sum(axis=-1) - (N_JOINTS - cnt)) / cnt
        cost = 1.0 - sim
    else:
        cost = mean_d / size[:, None]
    if max_distance is None:
        cost[~(mean_d <= 0.5 * size[:, None])] = _BIG
    else:
        cost[~(mean_d <= max_distance)] = _BIG
    return cost


def _drop_short(track_of: np.ndarray, n_tracks: int, min_frames: int) -> tuple[np.ndarray, int]:
    """Tracks seen in fewer than ``min_frames`` frames become -1; the others are renumbered."""
    if min_frames <= 1 or not n_tracks:
        return track_of, 0
    seen = np.bincount(track_of[track_of >= 0], minlength=n_tracks)
    short = seen < min_frames
    # renumber the kept tracks 0, 1, ... in order of first appearance
    new_id = np.where(short, -1, np.cumsum(~short) - 1)
    return np.where(track_of >= 0, new_id[np.maximum(track_of, 0)], -1), int(short.sum())


def _relabel(kp: pd.DataFrame, dense, track_of: np.ndarray) -> pd.DataFrame:
    """The rows of ``kp`` with new object ids, re-sorted; drops rows of id -1."""
    fc, oc, jc = dense.rows
    n = len(fc)
    tid_row = track_of[fc, oc]
    # fast path: 17 rows per person in joint order (what posekit.tidy makes): sort people
    if n % N_JOINTS == 0 and n and [str(j) for j in kp.index.levels[2]] == list(JOINTS):
        fp, op = fc[::N_JOINTS], oc[::N_JOINTS]
        jt = jc.reshape(-1, N_JOINTS)
        same_f = (fc.reshape(-1, N_JOINTS) == fp[:, None]).all()
        same_o = (oc.reshape(-1, N_JOINTS) == op[:, None]).all()
        if same_f and same_o and (jt == np.arange(N_JOINTS)).all():
            tid = track_of[fp, op]
            frames = dense.frames[fp]
            order = np.lexsort((tid, frames))
            order = order[tid[order] >= 0]
            rows = (order[:, None] * N_JOINTS + np.arange(N_JOINTS)).ravel()
            cols = {c: kp[c].to_numpy().take(rows) for c in kp.columns}
            return pd.DataFrame(cols, index=_index(frames[order], tid[order]), copy=False)
    frames = dense.frames[fc]
    order = np.lexsort((jc, tid_row, frames))
    order = order[tid_row[order] >= 0]
    index = pd.MultiIndex.from_arrays(
        [frames[order], tid_row[order], kp.index.get_level_values(2)[order]],
        names=["frame", "object_id", "joint"],
    )
    return pd.DataFrame({c: kp[c].to_numpy()[order] for c in kp.columns}, index=index)


@logs_history
@per_clip
def main_person(
    kp: pd.DataFrame,
    /,
    *,
    by: Literal["longest", "largest", "central"] = "longest",
    objects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Keep only the main person: the rows of one object_id.

    Parameters
    ----------
    kp
        A keypoints table with tracked ids (see :func:`assign_tracks`).
    by
        ``"longest"``: seen (with at least one valid keypoint) in the most frames;
        ``"largest"``: largest mean box area (``objects["area"]`` when given, else the
        keypoints' bounding box); ``"central"``: body centre (mean of valid keypoints) closest
        on average to the image centre (``attrs`` width/height, else the keypoints' extent).
    objects
        The ``objects`` table, for ``by="largest"``.

    Returns
    -------
    DataFrame
        The rows of the chosen object_id (the id is kept, and named in the history line).

    Examples
    --------
    The second synthetic person stands farther away (smaller):

    >>> import posekit as pk
    >>> kp = pk.synth.generate("walk", duration_s=1, fps=30, n_people=2).result.keypoints()
    >>> main = pk.clean.main_person(kp, by="largest")
    >>> main.index.get_level_values("object_id").unique().tolist(), len(main) // 17
    ([0], 30)
    """
    if by not in ("longest", "largest", "central"):
        raise ValueError(f"main_person: by must be 'longest', 'largest' or 'central', got {by!r}")
    dense = to_dense(kp, ("x", "y"))
    xy = np.where(dense.present[..., None, None], dense.values, np.nan)
    valid = np.isfinite(xy).all(axis=-1)  # (F, O, 17)
    seen = valid.any(axis=-1)  # (F, O)
    if not seen.any():
        raise ValueError("main_person: no person has a valid keypoint")
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if by == "longest":
            score = seen.sum(axis=0).astype(float)
        elif by == "largest":
            if objects is not None:
                area = objects["area"].groupby(level="object_id").mean()
                score = area.reindex(dense.object_ids).to_numpy(dtype=float)
            else:
                score = np.nanmean(np.where(seen, _size(xy) ** 2, np.nan), axis=0)
        else:
            w, h = kp.attrs.get("width"), kp.attrs.get("height")
            if w and h:
                centre = np.array([w / 2, h / 2])
            else:
                lo = np.nanmin(xy.reshape(-1, 2), axis=0)
                hi = np.nanmax(xy.reshape(-1, 2), axis=0)
                centre = (lo + hi) / 2
            body = np.nanmean(xy, axis=2)  # (F, O, 2)
            dist = np.sqrt(((body - centre) ** 2).sum(axis=-1))
            score = -np.nanmean(dist, axis=0)
    score = np.where(np.isfinite(score), score, -np.inf)
    best = int(dense.object_ids[int(np.argmax(score))])
    ids = kp.index.get_level_values("object_id")
    out = kp[ids == best].copy()
    note_history(f"object_id {best}")
    return carry_attrs(out, kp)
