"""Measure the BlazePose -> COCO keypoint offsets of ``posekit.estimate._convention``.

    .venv/bin/python scripts/fit_coco_offsets.py

Runs the estimator with ``convention="blazepose"`` (no smoothing) on the Pose2Sim S01 cam01
and cam02 demo videos (fetched from PyPI, see ``posekit.media``), pairs each frame's estimate
of the participant with OpenPose's keypoints in ``tests/data/pose2sim_s01_openpose``
(a COCO-trained model), and fits one offset per joint pair along the body axis
(:func:`posekit.estimate._convention.fit_along_axis`).

Prints the offsets fitted on both cameras (the ones to put in ``COCO_ALONG_AXIS``), the
offsets fitted on each camera alone, and the check that matters: offsets fitted on one camera
applied to the *other* camera (held out), median distance to OpenPose in torso lengths; then
the same left one camera out over the three cameras, the back view cam03 included (fitted on
two, reported on the third; cam03's figure uses exactly the shipped offsets); then cam04 (from
behind and above, OpenPose from the pose2sim 0.8.4 wheel) with the shipped offsets, and the
candidate corrections for people seen from behind, each fitted on one back view (cam03 or
cam04) and reported on the other.
Reads ``tests/data`` (test data), so it is a development script, not part of posekit.
"""

from __future__ import annotations

from pathlib import Path

from posekit.estimate import Estimator
from posekit.estimate._convention import (
    COCO_ALONG_AXIS,
    to_coco,
)
from posekit.estimate._quality import (
    back_view_corrections,
    blazepose_pairs,
    fit_offsets,
    held_out_offsets,
    median_rel,
)

ROOT = Path(__file__).resolve().parents[1]

OPENPOSE = ROOT / "tests" / "data" / "pose2sim_s01_openpose"
CAMS = ("cam01", "cam02")
PAIRS = ("nose", "eyes", "ears", "shoulders", "elbows", "wrists", "hips", "knees", "ankles")


def main() -> int:
    data = blazepose_pairs(Estimator(), OPENPOSE, (*CAMS, "cam03", "cam04"))
    both = fit_offsets(data, CAMS)
    print("offsets along the body axis, torso lengths (towards the head > 0):")
    print(f"{'':<12}" + "".join(f"{p:>10}" for p in PAIRS))
    for label, cams in (("both", CAMS), *((c, (c,)) for c in CAMS)):
        print(f"{label:<12}" + "".join(f"{v:>10.3f}" for v in fit_offsets(data, cams)))
    print(f"{'shipped':<12}" + "".join(f"{v:>10.3f}" for v in COCO_ALONG_AXIS))
    print("\nCOCO_ALONG_AXIS = np.array([" + ", ".join(f"{v:.3f}" for v in both) + "])")

    print("\nmedian distance to OpenPose / torso (target < 5%):")
    print(f"{'camera':<8}{'BlazePose':>12}{'held out':>12}{'shipped':>12}")
    for cam in CAMS:
        other = next(c for c in CAMS if c != cam)
        ours, refs = data[cam]
        held_out = to_coco(ours, fit_offsets(data, (other,)))
        print(
            f"{cam:<8}{100 * median_rel(ours, refs):>11.2f}%"
            f"{100 * median_rel(held_out, refs):>11.2f}%"
            f"{100 * median_rel(to_coco(ours), refs):>11.2f}%"
        )
    print("(held out: offsets fitted on the other camera only)")

    print("\nleft one camera out of three (target < 5%, PCK@0.2 > 95%):")
    three = {c: data[c] for c in (*CAMS, "cam03")}
    for cam, (offsets, med, pck) in held_out_offsets(three).items():
        print(
            f"{cam:<8}{100 * med:>8.2f}%{100 * pck:>8.1f}%   offsets "
            + " ".join(f"{v:.3f}" for v in offsets)
        )
    ours, refs = data["cam04"]
    print(
        f"cam04 (back, above; shipped offsets, held out): {100 * median_rel(to_coco(ours), refs):.2f}%"
        f" (BlazePose placement {100 * median_rel(ours, refs):.2f}%)"
    )
    print("\nback views: offsets fitted on one back view alone")
    for cam in ("cam03", "cam04"):
        print(f"{cam:<12}" + "".join(f"{v:>10.3f}" for v in fit_offsets(data, (cam,))))
    print("candidate back-view corrections, fitted on the other back view (target < 5%):")
    for label, row in back_view_corrections(data).items():
        print(f"  {label:<56}" + "".join(f"{c} {100 * v:5.2f}%  " for c, v in row.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
