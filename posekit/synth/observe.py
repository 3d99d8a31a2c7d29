"""From exact keypoints to what a pose estimator reports: noise, dropouts, gaps, Kakao JSON.

The imperfections imitate Kakao's answers: pixel jitter on every point; *dropouts*, joints
reported with a score near 0 and made-up coordinates (in real answers these are often the
coordinates of another joint, so here they are another joint's position plus a little scatter),
more often at the wrists, ankles and the side turned away from the camera, and in runs of a
few frames; and *missing frames*, runs of frames in which a person is not detected at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posekit.schema import N_JOINTS, Annotation, Person, kakao_bbox

__all__ = ["Observed", "build_annotations", "observe"]

# Typical detection confidence per joint (face and trunk sure, extremities less so).
_BASE_SCORE = np.array(
    [0.90, 0.88, 0.88, 0.80, 0.80,  # nose, eyes, ears
     0.86, 0.86, 0.80, 0.80, 0.72, 0.72,  # shoulders, elbows, wrists
     0.80, 0.80, 0.80, 0.80, 0.74, 0.74]  # hips, knees, ankles
)  # fmt: skip
MIN_GOOD_SCORE = 0.35  # scores of correctly detected joints lie in [0.35, 0.99]
MAX_DROPOUT_SCORE = 0.05  # dropouts score in [0, 0.05)


@dataclass
class Observed:
    """Arrays of what the estimator reports, (F, P, ...) over frames and people.

    Parameters
    ----------
    xy
        ``(F, P, 17, 2)`` reported coordinates in pixels (rounded to 0.01 px).
    score
        ``(F, P, 17)`` keypoint scores in [0, 1].
    person_score
        ``(F, P)`` person scores in [0.01, 1].
    present
        ``(F, P)`` bool: the person was detected.
    dropped
        ``(F, P, 17)`` bool: a dropout joint (only meaningful where ``present``).

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.synth.observe import Observed
    >>> obs = Observed(xy=np.zeros((2, 1, 17, 2)), score=np.ones((2, 1, 17)),
    ...                person_score=np.ones((2, 1)), present=np.array([[True], [False]]),
    ...                dropped=np.zeros((2, 1, 17), dtype=bool))
    >>> int(obs.present.sum())
    1
    """

    xy: np.ndarray  # (F, P, 17, 2) reported coordinates (rounded to 0.01 px)
    score: np.ndarray  # (F, P, 17) keypoint scores
    person_score: np.ndarray  # (F, P)
    present: np.ndarray  # (F, P) bool: the person was detected
    dropped: np.ndarray  # (F, P, 17) bool: junk joint (only meaningful where present)


def _gap_mask(
    n_frames: int, n_missing: int, rng: np.random.Generator, *, mean_run: float = 4.0
) -> np.ndarray:
    """Boolean (n_frames,) with exactly ``n_missing`` True, in runs (geometric lengths).

    Runs go into distinct gaps between the kept frames, so they never merge: the run lengths
    are exactly those drawn.
    """
    missing = np.zeros(n_frames, dtype=bool)
    if n_missing <= 0:
        return missing
    if n_missing >= n_frames:
        missing[:] = True
        return missing
    lengths = rng.geometric(1.0 / mean_run, size=n_missing)
    total = np.cumsum(lengths)
    n_runs = int(np.searchsorted(total, n_missing)) + 1
    lengths = lengths[:n_runs]
    lengths[-1] -= total[n_runs - 1] - n_missing
    n_kept = n_frames - n_missing
    if n_runs > n_kept + 1:  # more runs than gaps: merge the surplus into the last run
        lengths = np.r_[lengths[:n_kept], lengths[n_kept:].sum()]
        n_runs = n_kept + 1
    slots = np.sort(rng.choice(n_kept + 1, size=n_runs, replace=False))
    lengths = rng.permutation(lengths)
    starts = slots + np.cumsum(lengths) - lengths  # kept frames before + missing before
    offsets = np.arange(n_missing) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    missing[np.repeat(starts, lengths) + offsets] = True
    return missing


def _dropout_mask(
    present: np.ndarray, weights: np.ndarray, n_drop: int, rng: np.random.Generator
) -> np.ndarray:
    """(F, P, 17) bool with exactly ``n_drop`` True among present people's joints.

    Each (person, joint) track gets a share of the dropouts in proportion to ``weights``
    (P, 17) and loses them in runs of ~3 frames (occlusions last a while).
    """
    n_f, n_p = present.shape
    dropped = np.zeros((n_f, n_p, N_JOINTS), dtype=bool)
    if n_drop <= 0:
        return dropped
    cap = np.repeat(present.sum(axis=0)[:, None], N_JOINTS, axis=1).ravel()
    w = weights.ravel() * (cap > 0)
    counts = np.zeros_like(cap)
    left = n_drop
    while left > 0:  # hand out dropouts, never more than a track has frames
        room = (counts < cap) & (w > 0)
        counts += rng.multinomial(left, w * room / (w * room).sum())
        counts = np.minimum(counts, cap)
        left = n_drop - int(counts.sum())
    for k in np.flatnonzero(counts):
        p, j = divmod(int(k), N_JOINTS)
        frames = np.flatnonzero(present[:, p])
        mask = _gap_mask(len(frames), int(counts[k]), rng, mean_run=3.0)
        dropped[frames[mask], p, j] = True
    return dropped


def observe(
    truth: np.ndarray,
    *,
    heights_px: np.ndarray,
    far_side: np.ndarray,
    in_view: np.ndarray,
    noise_px: float,
    dropout: float,
    missing_frames: float,
    width: int,
    height: int,
    rngs: list[np.random.Generator],
) -> Observed:
    """Add noise, dropouts and missing frames to exact keypoints ``truth`` (F, P, 17, 2).

    Parameters
    ----------
    truth
        ``(F, P, 17, 2)`` exact keypoints in pixels.
    heights_px
        ``(P,)`` standing height of each person in pixels (scales the dropouts' scatter).
    far_side
        ``(F, P, 17)`` bool: joints on the side turned away from the camera (a little less
        confident, more dropouts).
    in_view
        ``(F, P)`` bool: where a person can be detected at all (the ``missing_frames`` gaps
        come on top).
    noise_px
        Standard deviation of the Gaussian noise on each coordinate, in pixels.
    dropout
        Fraction (0–1) of the present people's keypoints that are dropouts.
    missing_frames
        Fraction (0–1) of frames in which each person is not detected, in runs.
    width, height
        Image size in pixels; coordinates are clipped to it.
    rngs
        Four independent generators for noise, scores, dropouts and gaps, so that changing one
        option leaves the others' randomness unchanged.

    Returns
    -------
    Observed
        What the estimator reports.

    Examples
    --------
    Half of four frames missing, no noise: the coordinates are the truth:

    >>> import numpy as np
    >>> from posekit.synth.observe import observe
    >>> truth = np.full((4, 1, 17, 2), 100.0)
    >>> obs = observe(truth, heights_px=np.array([400.0]), far_side=np.zeros((4, 1, 17), bool),
    ...               in_view=np.ones((4, 1), bool), noise_px=0.0, dropout=0.0,
    ...               missing_frames=0.5, width=640, height=480,
    ...               rngs=[np.random.default_rng(i) for i in range(4)])
    >>> int(obs.present.sum()), bool((obs.xy == truth).all()), bool(obs.score.min() >= 0.35)
    (2, True, True)
    """
    g_noise, g_score, g_drop, g_gap = rngs
    n_f, n_p = truth.shape[:2]
    xy = truth + noise_px * g_noise.standard_normal(truth.shape) if noise_px > 0 else truth.copy()
    score = _BASE_SCORE - 0.08 * far_side + 0.05 * g_score.standard_normal((n_f, n_p, 17))
    score = np.clip(score, MIN_GOOD_SCORE, 0.99)

    present = np.ones((n_f, n_p), dtype=bool)
    n_missing = round(missing_frames * n_f)
    for p in range(n_p):
        present[:, p] = ~_gap_mask(n_f, n_missing, g_gap) & in_view[:, p]

    n_drop = round(dropout * int(present.sum()) * N_JOINTS)
    # extremities and the far side drop out more often than the face and trunk
    weights = (1.0 - _BASE_SCORE)[None, :] * (1.0 + far_side.mean(axis=0))
    dropped = _dropout_mask(present, weights, n_drop, g_drop)
    if n_drop:
        f, pp, j = np.nonzero(dropped)
        other = (j + g_drop.integers(1, N_JOINTS, size=n_drop)) % N_JOINTS
        scatter = 0.03 * heights_px[pp][:, None] * g_drop.standard_normal((n_drop, 2))
        xy[f, pp, j] = truth[f, pp, other] + scatter
        zero = g_drop.random(n_drop) < 0.5
        score[f, pp, j] = np.where(zero, 0.0, g_drop.uniform(0.0, MAX_DROPOUT_SCORE - 1e-4, n_drop))

    xy[..., 0] = np.clip(xy[..., 0], 0.0, width - 1)
    xy[..., 1] = np.clip(xy[..., 1], 0.0, height - 1)
    xy = np.round(xy, 2)
    score = np.round(score, 4)
    person = 0.15 + 0.8 * score.mean(axis=2) + 0.02 * g_score.standard_normal((n_f, n_p))
    person_score = np.round(np.clip(person, 0.01, 1.0), 4)
    return Observed(xy=xy, score=score, person_score=person_score, present=present, dropped=dropped)


def build_annotations(obs: Observed, object_ids: np.ndarray) -> list[Annotation]:
    """One :class:`Annotation` per frame (possibly with no objects), objects by object_id.

    Parameters
    ----------
    obs
        What :func:`observe` reports.
    object_ids
        ``(P,)`` the ``object_id`` of each person.

    Returns
    -------
    list of Annotation
        One per frame, ``frame_num`` 0, 1, ...; each present person becomes a ``Person`` with
        Kakao's bounding box rule over its 17 points.

    Examples
    --------
    >>> import numpy as np
    >>> from posekit.synth.observe import Observed, build_annotations
    >>> obs = Observed(xy=np.full((2, 1, 17, 2), 10.0), score=np.ones((2, 1, 17)),
    ...                person_score=np.ones((2, 1)), present=np.array([[True], [False]]),
    ...                dropped=np.zeros((2, 1, 17), dtype=bool))
    >>> ann = build_annotations(obs, np.array([7]))
    >>> [len(a.objects) for a in ann], ann[0].objects[0].object_id, ann[0].objects[0].bbox
    ([1, 0], 7, [10.0, 10.0, 1.0, 1.0])
    """
    n_f = obs.present.shape[0]
    fi, pi = np.nonzero(obs.present)  # row-major: sorted by frame, then person
    xy = obs.xy[fi, pi]
    kp = np.concatenate([xy, obs.score[fi, pi][..., None]], axis=-1).reshape(len(fi), 3 * N_JOINTS)
    bbox, area = kakao_bbox(xy)
    people = [
        Person(area=a, bbox=b, category_id=1, keypoints=k, score=s, object_id=o)
        for a, b, k, s, o in zip(
            area.tolist(),
            bbox.tolist(),
            kp.tolist(),
            obs.person_score[fi, pi].tolist(),
            object_ids[pi].tolist(),
            strict=True,
        )
    ]
    ends = np.cumsum(obs.present.sum(axis=1)).tolist()
    starts = [0, *ends[:-1]]
    return [
        Annotation(frame_num=f, objects=people[s:e])
        for f, s, e in zip(range(n_f), starts, ends, strict=True)
    ]
