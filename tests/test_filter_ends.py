"""Window filters filter the ends of every run: spikes at run edges and after gaps are treated
like spikes in the middle, and the first/last frames get an estimate, not a copy of the input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

import posekit.smooth as sm
from tests.test_smooth import make_table, nose

WINDOWED = {
    "median": lambda kp: sm.median(kp, window_frames=5),
    "moving_average": lambda kp: sm.moving_average(kp, window_frames=5),
    "gaussian": lambda kp: sm.gaussian(kp, sigma_frames=1.0),
}
# what a +100 spike on a 3 px/frame ramp becomes in the middle of a run: the median replaces
# it by a neighbour (3 px off), the means spread it over their window (1/5; the Gaussian's
# centre weight 0.40)
MID_SPIKE = {"median": 3.0, "moving_average": 20.0, "gaussian": 39.9}


def _runs_with_spikes():
    """x: a ramp (3 px/frame) from 500 px in two runs split by a gap, +100 px spikes on the
    first and last frame of each run."""
    x = 500 + 3.0 * np.arange(60)
    x[25:30] = np.nan  # a gap: runs 0-24 and 30-59
    spikes = [0, 24, 30, 59]
    clean = x.copy()
    x[spikes] += 100.0
    return x, clean, spikes


@pytest.mark.parametrize("name", list(WINDOWED))
def test_spikes_at_run_ends_are_treated_like_mid_run_spikes(name):
    x, clean, spikes = _runs_with_spikes()
    out = nose(WINDOWED[name](make_table(x)))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))  # the gap stays a gap
    left = np.abs(out[spikes] - clean[spikes])
    # the spike frame itself: as a spike in the middle would be (before: +100, untouched)
    np.testing.assert_allclose(left, MID_SPIKE[name], atol=0.5)
    mid = 500 + 3.0 * np.arange(60)
    mid[12] += 100
    assert abs(nose(WINDOWED[name](make_table(mid)))[12] - (536 + MID_SPIKE[name])) < 0.5
    # the spike does not leak further than a mid-run spike would: a ramp elsewhere is exact
    far = np.ones(60, bool)
    for s in spikes:
        far[max(0, s - 5) : s + 6] = False
    far &= np.isfinite(x)
    np.testing.assert_allclose(out[far], clean[far], atol=1e-9)


@pytest.mark.parametrize("name", list(WINDOWED))
def test_first_and_last_frames_get_an_estimate(name):
    """On noise (σ = 2 px) the first two frames of a run come out closer to the truth than the
    raw input; before, frame 0 was the raw value (RMS σ)."""
    rng = np.random.default_rng(0)
    n_series, length = 400, 30
    noise = rng.normal(0, 2.0, (length, n_series, 17))
    truth = 300 + 1.5 * np.arange(length)[:, None, None]
    out = WINDOWED[name](make_table(truth + noise))
    got = out["x"].to_numpy().reshape(length, n_series, 17) - truth
    rms = np.sqrt(np.mean(got**2, axis=(1, 2)))
    raw = np.sqrt(np.mean(noise**2, axis=(1, 2)))
    assert rms[0] < 0.95 * raw[0] and rms[-1] < 0.95 * raw[-1], (rms[:3], raw[:3])
    assert rms[1] < 0.75 * raw[1] and rms[-2] < 0.75 * raw[-2], (rms[:3], raw[:3])
    # frames in the middle are filtered as before
    assert rms[10:20].mean() < 0.7 * raw[10:20].mean()


def test_median_interior_equals_scipy_medfilt_and_ends_are_clean():
    rng = np.random.default_rng(1)
    truth = 400 + np.cumsum(rng.normal(0, 1, 200))
    x = truth + rng.normal(0, 2, 200)
    x[[0, 1]] += 80.0  # spikes on the first two frames and a dip on the last
    x[-1] -= 80.0
    out = nose(sm.median(make_table(x), window_frames=5))
    ref = signal.medfilt(x, 5)  # pads with zeros
    np.testing.assert_array_equal(out[2:-2], ref[2:-2])
    err = np.abs(out - truth)[[0, 1, -2, -1]]
    assert err.max() < 8.0, err
    assert abs(ref[-1] - truth[-1]) > 50  # with medfilt's zero padding the dip stays


def test_constants_and_ramps_stay_exact_with_robust_ends():
    for x in (np.full(20, 7.5), 3.0 - 0.25 * np.arange(20)):
        for name, f in WINDOWED.items():
            np.testing.assert_allclose(nose(f(make_table(x))), x, atol=1e-9, err_msg=name)


def test_history_still_says_what_was_done():
    out = sm.median(make_table(np.arange(20.0)), window_frames=5)
    assert out.attrs["history"][-1] == "smooth.median(window_frames=5)"


def test_bench_figures_in_the_docs():
    """docs/smoothing.md's table of run-end errors (bench/bench_filter_ends.py), posekit rows."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_filter_ends.py"
    spec = importlib.util.spec_from_file_location("bench_filter_ends", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    x, truth, starts = bench._series(np.random.default_rng(0))
    documented = {  # RMS frame 0, frame 1, mid-run
        "median": (sm.median, {"window_frames": 5}, (1.62, 1.40, 1.24), 2.5),
        "moving_average": (sm.moving_average, {"window_frames": 5}, (1.40, 1.17, 0.89), 21.1),
        "gaussian": (sm.gaussian, {"sigma_frames": 1.0}, (1.44, 1.10, 1.08), 40.75),
    }
    spiked = x.copy()
    spiked[starts[1:]] += 100.0
    spiked[starts + bench.RUN - 1] -= 100.0
    for name, (func, kw, rms_doc, spike_doc) in documented.items():
        run = bench._posekit(lambda kp, f=func, k=kw: f(kp, **k))
        err = run(x) - truth
        rms = [np.sqrt(np.nanmean(err[starts + k] ** 2)) for k in (0, 1, bench.RUN // 2)]
        np.testing.assert_allclose(rms, rms_doc, atol=0.01, err_msg=name)
        sp = run(spiked) - truth
        after, before = np.mean(sp[starts[1:]]), np.mean(sp[starts + bench.RUN - 1])
        np.testing.assert_allclose([after, -before], spike_doc, atol=0.15, err_msg=name)
