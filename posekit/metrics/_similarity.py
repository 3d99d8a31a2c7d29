"""Pose similarity: OKS, cosine similarity of normalised poses, and DTW of series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from posekit._levels import per_clip
from posekit._points import frame_index
from posekit._renamed import renamed
from posekit._tables import to_dense
from posekit.schema import COCO_SIGMAS, JOINT_INDEX, N_JOINTS, keypoint_extent

__all__ = ["COCO_SIGMAS", "DTWResult", "cosine_similarity", "dtw", "oks"]


def _poses(x: Any, what: str) -> tuple[np.ndarray, pd.MultiIndex | None]:
    """``(N, 17, 2)`` poses and their (frame, object_id) index (None for arrays)."""
    if isinstance(x, pd.DataFrame):
        dense = to_dense(x, ("x", "y"), layout="columns")
        fi, oi = np.nonzero(dense.present)
        return dense.values[fi, oi], frame_index(dense.frames, dense.object_ids, dense.present)
    arr = np.asarray(x, dtype=np.float64)
    if arr.shape[-2:] != (N_JOINTS, 2) or arr.ndim not in (2, 3):
        raise ValueError(
            f"{what}: expected a keypoints table or a (17, 2) / (N, 17, 2) array, got shape {arr.shape}"
        )
    return arr.reshape(-1, N_JOINTS, 2), None


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, pd.MultiIndex | None, bool]:
    pa, ia = _poses(a, "pose a")
    pb, ib = _poses(b, "pose b")
    single = ia is None and ib is None and np.ndim(a) == 2 and np.ndim(b) == 2
    if ia is not None and ib is not None:
        common = ia.intersection(ib, sort=False)
        if not len(common):
            raise ValueError("the two tables share no (frame, object_id) rows")
        pa, pb, index = pa[ia.get_indexer(common)], pb[ib.get_indexer(common)], common
    else:
        index = ia if ia is not None else ib
        if len(pa) != len(pb) and 1 not in (len(pa), len(pb)):
            raise ValueError(f"pose counts differ: {len(pa)} and {len(pb)}")
    return pa, pb, index, single


def _wrap(values: np.ndarray, index: pd.MultiIndex | None, single: bool, name: str) -> Any:
    if single:
        return float(values[0])
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)


def _bbox_area(p: np.ndarray) -> np.ndarray:
    """Area of each pose's keypoint box by Kakao's rule (max − min + 1); NaN with no joints."""
    lo, hi = keypoint_extent(p)
    wh = hi - lo + 1.0
    return wh[:, 0] * wh[:, 1]


@per_clip
def oks(
    kp_a: Any,
    kp_b: Any,
    /,
    *,
    sigmas: np.ndarray | None = None,
    area: float | np.ndarray | Literal["bbox"] = "bbox",
) -> Any:
    """Object keypoint similarity between poses: 1 = identical, towards 0 = far apart.

    Parameters
    ----------
    kp_a
        The reference poses: a keypoints table, or a (17, 2) / (N, 17, 2) array. Its missing
        (NaN) joints are left out, as COCO leaves out unlabelled ones.
    kp_b
        The compared poses, same forms. A joint missing here but present in ``kp_a`` counts as
        a miss (similarity 0). Two tables are matched on their common (frame, object_id) rows;
        a single pose is compared with every pose on the other side.
    sigmas
        Per-joint constants; default :data:`COCO_SIGMAS`.
    area
        The object scale s² (px²): a number, one per pose, or ``"bbox"``: the area of the
        reference pose's keypoint box (Kakao's rule, (max − min + 1) per axis).

    Returns
    -------
    float or Series or ndarray
        One rule for every pose similarity (:func:`oks`, :func:`cosine_similarity`): a table
        on either side gives a Series indexed by (frame, object_id) (the rows compared), named
        after the function; otherwise two single poses ((17, 2) arrays) give a ``float``, and
        arrays with several poses ((N, 17, 2)) an ndarray of N values.

    Notes
    -----
    COCO: OKS = Σᵢ exp(−dᵢ² / (2 s² kᵢ²)) / (number of labelled joints), kᵢ = 2σᵢ, as in
    cocoapi's ``COCOeval.computeOks`` (which adds machine epsilon to the area).

    Examples
    --------
    Every joint moved by (3, 3) px, d² = 18 px², with s² = 18 px² and k = 1: exp(−1/2):

    >>> import numpy as np
    >>> from posekit.metrics import oks
    >>> pose = np.column_stack([np.arange(17) * 10.0, np.arange(17) * 5.0])
    >>> oks(pose, pose)
    1.0
    >>> round(oks(pose, pose + 3.0, sigmas=np.full(17, 0.5), area=18.0), 5)
    0.60653
    """
    pa, pb, index, single = _pair(kp_a, kp_b)
    k = COCO_SIGMAS if sigmas is None else np.asarray(sigmas, dtype=np.float64)
    if k.shape != (N_JOINTS,):
        raise ValueError(f"sigmas must have 17 values, got shape {k.shape}")
    if isinstance(area, str):
        if area != "bbox":
            raise ValueError(f"area must be a number, an array or 'bbox', got {area!r}")
        s2 = _bbox_area(pa)
    else:
        s2 = np.broadcast_to(np.asarray(area, dtype=np.float64), (len(pa),))
    labelled = np.isfinite(pa).all(axis=-1)  # (N, 17)
    d2 = ((pa - pb) ** 2).sum(axis=-1)
    e = d2 / ((2 * k) ** 2)[None, :] / (s2[:, None] + np.spacing(1)) / 2.0
    sim = np.where(labelled & np.isfinite(e), np.exp(-np.where(np.isfinite(e), e, 0.0)), 0.0)
    n = labelled.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 0, sim.sum(axis=1) / n, np.nan)
    return _wrap(out, index, single, "oks")


def _normalise(p: np.ndarray) -> np.ndarray:
    hips = p[:, [JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]]].mean(axis=1)
    shoulders = p[:, [JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]]].mean(axis=1)
    torso = np.hypot(*(shoulders - hips).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (p - hips[:, None]) / np.where(torso > 0, torso, np.nan)[:, None, None]


@per_clip
def cosine_similarity(pose_a: Any, pose_b: Any, /) -> Any:
    """Cosine similarity of two normalised poses, in [−1, 1]; 1 = same shape.

    Each pose is centred on its mid_hip and divided by its torso length (mid_shoulder–mid_hip),
    so position and size do not count; the 34 coordinates of the joints present in both poses
    are compared as one vector. NaN where a pose has no hips or shoulders.

    Parameters
    ----------
    pose_a, pose_b
        Keypoints tables, or (17, 2) / (N, 17, 2) arrays, as :func:`oks` takes them.

    Returns
    -------
    float or Series or ndarray
        The rule of :func:`oks`: a table in gives a Series by (frame, object_id), two single
        poses a ``float``, several poses in arrays an ndarray.

    Examples
    --------
    >>> import numpy as np
    >>> pose = np.random.default_rng(0).uniform(0, 100, (17, 2))
    >>> round(cosine_similarity(pose, 2 * pose + 10), 6)
    1.0
    """
    pa, pb, index, single = _pair(pose_a, pose_b)
    na, nb = _normalise(pa), _normalise(pb)
    na, nb = np.broadcast_arrays(na, nb)
    both = (np.isfinite(na) & np.isfinite(nb)).all(axis=-1, keepdims=True)
    a = np.where(both, na, 0.0).reshape(len(na), -1)
    b = np.where(both, nb, 0.0).reshape(len(nb), -1)
    num = (a * b).sum(axis=1)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    return _wrap(np.clip(out, -1.0, 1.0), index, single, "cosine_similarity")


@dataclass(frozen=True)
class DTWResult:
    """The result of :func:`dtw`.

    Parameters
    ----------
    distance
        The summed local cost along the best alignment (in the series' units).
    path
        ``(K, 2)`` int array of aligned index pairs (i into series a, j into series b), from
        (0, 0) to (n − 1, m − 1).

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.metrics import dtw
    >>> res = dtw([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    >>> res.distance, res.path.tolist(), res.normalized_distance
    (0.0, [[0, 0], [1, 1], [2, 2]], 0.0)
    """

    distance: float
    path: np.ndarray

    @property
    def normalized_distance(self) -> float:
        """``distance`` divided by the path length: the mean local cost per aligned pair."""
        return self.distance / len(self.path)


def _series(x: Any, what: str) -> np.ndarray:
    if isinstance(x, pd.DataFrame):
        x = x.drop(columns=[c for c in ("time",) if c in x.columns])
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"dtw: {what} must be a non-empty 1-D series or (n, d) array, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"dtw: {what} has NaN/inf values; interpolate or drop them first")
    return arr


@renamed(window="window_frames")
@per_clip
def dtw(series_a: Any, series_b: Any, /, *, window_frames: int | None = None) -> DTWResult:
    """Dynamic time warping of two series (how alike are two squats, whatever their pace).

    Parameters
    ----------
    series_a, series_b
        1-D series (an angle over time) or ``(n, d)`` arrays/tables (several angles; ``time``
        is dropped). No NaNs.
    window_frames
        Sakoe–Chiba band, in frames (samples): only pairs with ``|i − j·n/m| <= window_frames``
        may be aligned. Default no limit. (``window=`` is the old name, deprecated.)

    Returns
    -------
    DTWResult
        ``.distance`` (sum of |a_i − b_j|, Euclidean for several columns, along the path),
        ``.normalized_distance`` and ``.path``.

    Notes
    -----
    Classic DTW with steps (1, 0), (0, 1), (1, 1): D[i, j] = c[i, j] + min(D[i−1, j−1],
    D[i−1, j], D[i, j−1]). Each row is solved at once: with C the running sum of c along the
    row, D[i, j] = C[j] + min_{k<=j}(A[k] + c[k] − C[k]), where A[k] = min(D[i−1, k−1],
    D[i−1, k]). O(n·m) time and memory.

    Examples
    --------
    The same movement done at half the pace aligns at no cost:

    >>> import numpy as np
    >>> from posekit.metrics import dtw
    >>> fast = np.array([0, 1, 2, 3, 2, 1, 0.0])
    >>> slow = np.repeat(fast, 2)
    >>> res = dtw(fast, slow)
    >>> res.distance, len(res.path), res.path[:3].tolist()
    (0.0, 14, [[0, 0], [0, 1], [1, 2]])
    >>> dtw(np.zeros(5), np.ones(3)).normalized_distance  # every aligned pair is 1 apart
    1.0
    """
    a = _series(series_a, "series_a")
    b = _series(series_b, "series_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"dtw: series have {a.shape[1]} and {b.shape[1]} columns")
    n, m = len(a), len(b)
    window = window_frames
    if window is not None:
        if window < 0:
            raise ValueError(f"dtw: window_frames must be >= 0, got {window}")
    D = np.full((n, m), np.inf)
    prev = np.full(m + 1, np.inf)  # D[i-1, j-1] for j = 0..m (prev[0] = D[i-1, -1])
    for i in range(n):
        cost = (
            np.sqrt(((b - a[i]) ** 2).sum(axis=1)) if a.shape[1] > 1 else np.abs(b[:, 0] - a[i, 0])
        )
        if window is None:
            lo, hi = 0, m
        else:
            centre = i * (m - 1) / max(n - 1, 1)
            lo = max(0, int(np.ceil(centre - window)))
            hi = min(m, int(np.floor(centre + window)) + 1)
        c = cost[lo:hi]
        if i == 0:
            above = np.full(hi - lo, np.inf)
            above[0] = 0.0 if lo == 0 else np.inf
        else:
            above = np.minimum(prev[lo:hi], prev[lo + 1 : hi + 1])  # diagonal, vertical
        run = np.cumsum(c)
        with np.errstate(invalid="ignore"):
            best = np.minimum.accumulate(above + c - run)
        row = run + best
        row[~np.isfinite(best)] = np.inf
        D[i, lo:hi] = row
        prev = np.concatenate([[np.inf], D[i]])
    if not np.isfinite(D[-1, -1]):
        raise ValueError(f"dtw: no alignment within window_frames={window}; widen it")
    path = [(n - 1, m - 1)]
    i, j = n - 1, m - 1
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            options = (D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])
            k = int(np.argmin(options))
            if k == 0:
                i, j = i - 1, j - 1
            elif k == 1:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return DTWResult(distance=float(D[-1, -1]), path=np.array(path[::-1], dtype=np.int64))
