"""The ends of runs: posekit's window filters next to scipy's medfilt and movement's rolling median.

Accuracy, not speed. Series: a ramp (1.5 px/frame) plus Gaussian noise (σ = 2 px), in runs of 40
frames split by 5-frame gaps. Reported: RMS error on the first, second and a middle frame of
each run, and what is left of a +100 px spike on the first frame after a gap.

movement (neuroinformatics-unit) is a heavy install (xarray, napari-video, pynwb ...), so it is
not a dev dependency; when it is importable its ``rolling_filter(statistic="median",
min_periods=1)`` is run on the same series (NaN-aware, reflect padding, windows that overlap
a gap use the values present)::

    python -m venv /tmp/mv && /tmp/mv/bin/pip install movement -e .
    /tmp/mv/bin/python bench/bench_filter_ends.py
"""

from __future__ import annotations

import numpy as np
from scipy import signal

import posekit.smooth as sm
from posekit.tidy import DenseKeypoints, from_dense

RUN, GAP, N_RUNS, SERIES, SIGMA = 40, 5, 4, 300, 2.0


def _series(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = N_RUNS * (RUN + GAP)
    truth = 300 + 1.5 * np.arange(n)[:, None] + np.zeros((1, SERIES))
    x = truth + rng.normal(0, SIGMA, truth.shape)
    starts = np.arange(N_RUNS) * (RUN + GAP)
    for s in starts:
        x[s + RUN : s + RUN + GAP] = np.nan
    return x, truth, starts


def _table(x: np.ndarray):
    n, s = x.shape
    xs = np.repeat(x[:, :, None], 17, axis=2)
    values = np.stack([xs, xs, np.ones_like(xs)], axis=-1)
    return from_dense(
        DenseKeypoints(
            values=values,
            frames=np.arange(n),
            object_ids=np.arange(s),
            columns=("x", "y", "score"),
            present=np.ones((n, s), bool),
            attrs={"fps": 30.0, "history": []},
        )
    )


def _posekit(func):
    def run(x: np.ndarray) -> np.ndarray:
        out = func(_table(x))
        return out["x"].to_numpy().reshape(x.shape[0], x.shape[1], 17)[:, :, 0]

    return run


def _medfilt(x: np.ndarray) -> np.ndarray:
    out = np.full_like(x, np.nan)
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j])
        edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            out[a:b, j] = signal.medfilt(x[a:b, j], 5)  # run by run, zero padding
    return out


def _movement(x: np.ndarray) -> np.ndarray:
    import xarray as xr
    from movement.filtering import rolling_filter

    da = xr.DataArray(x, dims=("time", "individuals"))
    out = rolling_filter(da, 5, statistic="median", min_periods=1).to_numpy()
    out[np.isnan(x)] = np.nan  # movement fills short gaps; compare on the valid frames only
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    x, truth, starts = _series(rng)
    methods = {
        "raw": lambda a: a,
        "posekit median(5)": _posekit(lambda kp: sm.median(kp, window_frames=5)),
        "posekit moving_average(5)": _posekit(lambda kp: sm.moving_average(kp, window_frames=5)),
        "posekit gaussian(1)": _posekit(lambda kp: sm.gaussian(kp, sigma_frames=1.0)),
        "scipy medfilt(5) per run": _medfilt,
    }
    try:
        import movement  # noqa: F401

        methods["movement rolling median(5)"] = _movement
    except ImportError:
        print("(movement not importable: skipped)")
    spiked = x.copy()
    spiked[starts[1:]] += 100.0  # first frame after each gap
    spiked[starts + RUN - 1] -= 100.0  # last frame before each gap: a dip
    print(f"{'method':28s} {'RMS f0':>7s} {'RMS f1':>7s} {'RMS mid':>8s} "
          f"{'+100 after gap':>15s} {'-100 before gap':>16s}")  # fmt: skip
    got = {}
    for name, f in methods.items():
        err = f(x) - truth
        rms = [float(np.sqrt(np.nanmean(err[starts + k] ** 2))) for k in (0, 1, RUN // 2)]
        sp = f(spiked) - truth
        after = float(np.mean(sp[starts[1:]]))
        before = float(np.mean(sp[starts + RUN - 1]))
        got[name] = rms[0], after
        print(f"{name:28s} {rms[0]:7.2f} {rms[1]:7.2f} {rms[2]:8.2f} {after:15.1f} {before:16.1f}")
    _record(got)


def _record(got: dict[str, tuple[float, float]]) -> None:
    # bench/ is on sys.path when this file runs as a script (not when a test imports it)
    from _results import figure, write_results

    others = [k for k in ("scipy medfilt(5) per run", "movement rolling median(5)") if k in got]
    write_results(
        "bench_filter_ends",
        [
            figure(
                f"median(5) at the first frame of a run: RMS error, σ = {SIGMA:g} px noise "
                "(accuracy, not speed)",
                got["posekit median(5)"][0],
                "px",
                baseline=f"raw copy {got['raw'][0]:.2f} px; "
                + "; ".join(f"{k} {got[k][0]:.2f} px" for k in others),
            ),
            figure(
                "median(5): what is left of a +100 px spike on the first frame after a gap",
                got["posekit median(5)"][1],
                "px",
                baseline="; ".join(f"{k} {got[k][1]:+.1f} px" for k in others),
            ),
        ],
    )


if __name__ == "__main__":
    main()
