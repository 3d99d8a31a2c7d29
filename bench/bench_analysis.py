"""Speed of angles and kinematics on the 10-minute, 5-person table (1.53 M keypoint rows).

Run: ``.venv/bin/python bench/bench_analysis.py [--repeat N]``. Table in, table out: each figure
includes the conversion to dense arrays and back. Each posekit figure is printed next to its
target and next to a straightforward pandas version of the same computation.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _results import figure, write_results

import posekit as pk
from posekit import angles, kinematics
from posekit.angles import DEFINITIONS, JOINT_ANGLES, MIDPOINTS


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- straightforward pandas versions -------------------------------------------------------------


def pandas_joint_angles(kp: pd.DataFrame) -> pd.DataFrame:
    """Wide table with unstack, then column arithmetic per angle (no groupby needed)."""
    wide = kp[["x", "y"]].unstack("joint")

    def pt(name: str) -> tuple[pd.Series, pd.Series]:
        if name in MIDPOINTS:
            a, b = MIDPOINTS[name]
            return (wide[("x", a)] + wide[("x", b)]) / 2, (wide[("y", a)] + wide[("y", b)]) / 2
        return wide[("x", name)], wide[("y", name)]

    out = {}
    for d in DEFINITIONS:
        if d.name not in JOINT_ANGLES:
            continue
        if d.kind == "joint":
            (ax, ay), (bx, by), (cx, cy) = (pt(p) for p in d.points)
            ux, uy, vx, vy = ax - bx, ay - by, cx - bx, cy - by
            cos = (ux * vx + uy * vy) / np.sqrt((ux**2 + uy**2) * (vx**2 + vy**2))
            out[d.name] = np.degrees(np.arccos(cos.clip(-1, 1)))
        else:
            (ax, ay), (bx, by) = (pt(p) for p in d.points)
            out[d.name] = np.degrees(np.arctan2((bx - ax).abs(), ay - by))
    res = pd.DataFrame(out)
    res["time"] = res.index.get_level_values("frame") / kp.attrs["fps"]
    return res


def pandas_angles_groupby_apply(kp: pd.DataFrame, n_groups: int) -> float:
    """Per-(frame, person) groupby().apply, timed on ``n_groups`` groups; returns s per group."""
    sub = kp.iloc[: n_groups * 17]

    def one(g: pd.DataFrame) -> pd.Series:
        p = g.droplevel(["frame", "object_id"])
        res = {}
        for d in DEFINITIONS:
            if d.kind != "joint" or any(q in MIDPOINTS for q in d.points):
                continue
            a, b, c = (p.loc[q, ["x", "y"]].to_numpy(float) for q in d.points)
            u, v = a - b, c - b
            res[d.name] = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
        return pd.Series(res)

    t0 = time.perf_counter()
    sub.groupby(level=["frame", "object_id"], observed=True).apply(one)
    return (time.perf_counter() - t0) / n_groups


def pandas_velocity(kp: pd.DataFrame) -> pd.DataFrame:
    """groupby(object_id, joint) and a central difference with shift."""
    fps = kp.attrs["fps"]
    g = kp[["x", "y"]].groupby(level=["object_id", "joint"], observed=True)
    vel = (g.shift(-1) - g.shift(1)) * (fps / 2.0)
    vel.columns = ["vx", "vy"]
    vel["time"] = kp["time"]
    return vel


def pandas_velocity_transform(kp: pd.DataFrame) -> pd.DataFrame:
    """groupby(object_id, joint).transform with a numpy central difference per series."""
    fps = kp.attrs["fps"]

    def central(s: pd.Series) -> np.ndarray:
        v = s.to_numpy()
        out = np.full_like(v, np.nan)
        out[1:-1] = (v[2:] - v[:-2]) * (fps / 2.0)
        return out

    vel = kp[["x", "y"]].groupby(level=["object_id", "joint"], observed=True).transform(central)
    vel.columns = ["vx", "vy"]
    return vel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    t0 = time.perf_counter()
    kp = pk.synth.generate("walk", duration_s=600, fps=30, n_people=5).result.keypoints()
    print(f"table: {len(kp):,} rows, {kp.index.levels[0].size} frames x 5 people "
          f"(made in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
    r = args.repeat

    rows = []

    t_ang, ang = best_of(lambda: angles.joint_angles(kp), r)
    t_pd_ang, pd_ang = best_of(lambda: pandas_joint_angles(kp), max(1, r // 2))
    cols = list(JOINT_ANGLES)
    diff = np.nanmax(np.abs(ang[cols].to_numpy() - pd_ang[cols].to_numpy()))
    assert diff < 1e-6, diff
    rows.append(("joint angles (11 default)", t_ang, 0.1, t_pd_ang, "unstack + column maths"))
    per_group = pandas_angles_groupby_apply(kp, 300)
    n_groups = len(ang)
    rows.append(("joint angles", t_ang, 0.1, per_group * n_groups,
                 "groupby(frame, person).apply, est. from 300 groups"))  # fmt: skip

    t_vel, vel = best_of(lambda: kinematics.velocity(kp), r)
    t_pd_vel, pd_vel = best_of(lambda: pandas_velocity(kp), max(1, r // 2))
    np.testing.assert_allclose(vel[["vx", "vy"]].to_numpy(), pd_vel[["vx", "vy"]].to_numpy())
    rows.append(("velocity, all joints", t_vel, 0.15, t_pd_vel, "groupby(person, joint).shift"))
    t_pd_tr, _ = best_of(lambda: pandas_velocity_transform(kp), 1)
    rows.append(("velocity, all joints", t_vel, 0.15, t_pd_tr, "groupby(person, joint).transform"))

    extra = [
        ("segment angles (11)", lambda: angles.segment_angles(kp)),
        ("velocity, savgol w=5", lambda: kinematics.velocity(kp, method="savgol")),
        ("speed", lambda: kinematics.speed(kp)),
        ("acceleration", lambda: kinematics.acceleration(kp)),
        ("jerk", lambda: kinematics.jerk(kp)),
        ("path length", lambda: kinematics.path_length(kp)),
    ]

    gappy = pk.synth.generate(
        "walk", duration_s=600, fps=30, n_people=5, missing_frames=0.05, dropout=0.02
    ).result.keypoints(min_score=0.2)
    extra += [
        ("joint angles, 5% missing", lambda: angles.joint_angles(gappy)),
        ("velocity, 5% missing", lambda: kinematics.velocity(gappy)),
    ]

    print(f"\n{'what':28} {'posekit':>9} {'target':>8} {'pandas':>9} {'speedup':>8}  baseline")
    for name, t, target, base, how in rows:
        ok = "ok" if t < target and base / t >= 3 else "MISS"
        print(f"{name:28} {t:8.3f}s {target:7.2f}s {base:8.3f}s {base / t:7.1f}x  {how}  [{ok}]")
    print()
    for name, fn in extra:
        t, _ = best_of(fn, r)
        print(f"{name:28} {t:8.3f}s")
    write_results(
        "bench_analysis",
        [
            figure(
                "11 default joint angles, same table",
                t_ang,
                "s",
                target=("<", 0.1),
                baseline=f"unstack + column maths {t_pd_ang:.3f} s ({t_pd_ang / t_ang:.1f}× slower)",
            ),
            figure(
                "velocity, all joints",
                t_vel,
                "s",
                target=("<", 0.15),
                baseline=f"`groupby().shift` {t_pd_vel:.3f} s ({t_pd_vel / t_vel:.1f}× slower); "
                f"`groupby().transform` {t_pd_tr:.3f} s ({t_pd_tr / t_vel:.1f}×)",
            ),
        ],
    )


if __name__ == "__main__":
    main()
