"""Write the synthetic samples in data/samples/ (results with ground truth).

For each sample NAME: ``NAME.json`` (Kakao video job result, with noise, dropouts and missing
frames), ``NAME_truth.csv`` (frame, object_id, joint, x, y: the exact keypoints),
``NAME_angles.csv`` (frame, object_id and the exact inner joint angles, degrees) and
``NAME_params.json`` (settings and truth: repetition times, heel strikes...).

    .venv/bin/python scripts/make_synth_samples.py [--out data/samples]

Deterministic: running it again gives the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from posekit.synth import generate

ROOT = Path(__file__).resolve().parents[1]

#: name -> arguments of posekit.synth.generate
SAMPLES: dict[str, dict[str, Any]] = {
    "synth_squat": dict(
        activity="squat", duration_s=10.0, fps=30.0, noise_px=1.5, dropout=0.03,
        missing_frames=0.02, seed=1,
    ),
    "synth_walk": dict(
        activity="walk", duration_s=10.0, fps=30.0, noise_px=2.0, dropout=0.05,
        missing_frames=0.03, seed=2,
    ),
    "synth_arm_raise": dict(
        activity="arm_raise", duration_s=10.0, fps=30.0, rate_hz=0.35, noise_px=1.5,
        dropout=0.03, missing_frames=0.02, seed=3,
    ),
    "synth_two_people": dict(
        activity="walk", duration_s=10.0, fps=30.0, n_people=2, noise_px=2.0, dropout=0.04,
        missing_frames=0.05, seed=4,
    ),
}  # fmt: skip


def write_sample(name: str, out: Path, **kwargs: Any) -> dict[str, Any]:
    """Generate one sample and write its four files; returns its params."""
    sim = generate(**kwargs)
    sim.save(
        out / f"{name}.json",
        truth_csv=out / f"{name}_truth.csv",
        angles_csv=out / f"{name}_angles.csv",
        params_json=out / f"{name}_params.json",
    )
    return sim.params


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "samples")
    args = ap.parse_args(argv)
    for name, kwargs in SAMPLES.items():
        p = write_sample(name, args.out, **kwargs)
        size = (args.out / f"{name}.json").stat().st_size
        events = (
            f"{p['n_reps']} reps at {p['rep_times_s']}"
            if "n_reps" in p
            else f"cadence {p['cadence_spm']:.0f} steps/min"
        )
        print(f"{name}.json  {size / 1e3:.0f} kB  {p['n_frames']} frames  {events}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
