"""posekit.smooth: analytic cases, NaN handling, the One Euro reference, Kalman, Winter, compare."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import posekit.smooth as sm
from posekit.tidy import DenseKeypoints, from_dense


def make_table(x, y=None, *, fps: float | None = 30.0, frames=None, score=None) -> pd.DataFrame:
    """A keypoints table from x of shape (F,) (every joint, one person) or (F, O, 17)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = np.broadcast_to(x[:, None, None], (len(x), 1, 17)).copy()
    y = 0.5 * x + 3.0 if y is None else np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = np.broadcast_to(y[:, None, None], x.shape).copy()
    n, o, _ = x.shape
    score = np.full_like(x, 0.9) if score is None else score
    attrs = {"fps": fps, "width": 640, "height": 480, "history": []}
    dense = DenseKeypoints(
        values=np.stack([x, y, score], axis=-1),
        frames=np.arange(n) if frames is None else np.asarray(frames),
        object_ids=np.arange(o),
        columns=("x", "y", "score"),
        present=np.ones((n, o), dtype=bool),
        attrs=attrs,
    )
    return from_dense(dense)


def nose(kp: pd.DataFrame, col: str = "x", obj: int = 0) -> np.ndarray:
    return kp.xs((obj, "nose"), level=("object_id", "joint"))[col].to_numpy()


FILTERS = {
    "moving_average": lambda kp: sm.moving_average(kp, window_frames=7),
    "median": lambda kp: sm.median(kp, window_frames=5),
    "gaussian": lambda kp: sm.gaussian(kp, sigma_frames=2.0),
    "savgol": lambda kp: sm.savgol(kp, window_frames=9, polyorder=2),
    "butterworth": lambda kp: sm.butterworth(kp, cutoff_hz=4.0),
    "one_euro": lambda kp: sm.one_euro(kp, min_cutoff_hz=1.0, beta=0.05),
    "kalman": lambda kp: sm.kalman(kp),
}
ZERO_PHASE = ["moving_average", "median", "gaussian", "savgol", "butterworth", "kalman"]


# -- analytic cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ZERO_PHASE)
def test_ramp_stays_a_ramp(name):
    ramp = 2.5 * np.arange(120.0) + 7.0
    kp = make_table(ramp)
    out = FILTERS[name](kp)
    tol = 1e-3 if name == "kalman" else 1e-9
    np.testing.assert_allclose(out["x"], kp["x"], atol=tol, rtol=0)
    np.testing.assert_allclose(out["y"], kp["y"], atol=tol, rtol=0)


def test_ramp_stays_a_ramp_one_euro():
    # a causal filter follows a ramp with a constant lag once settled: still a ramp, same slope
    ramp = 2.5 * np.arange(300.0)
    out = nose(FILTERS["one_euro"](make_table(ramp)))
    tail = out[150:]
    np.testing.assert_allclose(np.diff(tail, 2), 0.0, atol=1e-6)
    np.testing.assert_allclose(np.diff(tail), 2.5, atol=1e-6)


@pytest.mark.parametrize("name", list(FILTERS))
def test_constant_stays_constant(name):
    kp = make_table(np.full(100, 321.5))
    out = FILTERS[name](kp)
    np.testing.assert_allclose(out["x"], 321.5, atol=1e-9, rtol=0)
    np.testing.assert_allclose(out["y"], 0.5 * 321.5 + 3, atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", list(FILTERS))
def test_nans_stay_where_they_were_and_input_untouched(name):
    rng = np.random.default_rng(1)
    x = rng.normal(300, 5, size=(200, 2, 17))
    y = rng.normal(200, 5, size=(200, 2, 17))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[40:55, 0, 3] = np.nan
    y[rng.random(y.shape) < 0.05] = np.nan
    kp = make_table(x, y)
    before = kp.copy()
    out = FILTERS[name](kp)
    pd.testing.assert_frame_equal(kp, before)  # input not mutated
    assert out.index.equals(kp.index)
    for c in ("x", "y"):
        assert out[c].isna().sum() == kp[c].isna().sum()
        np.testing.assert_array_equal(out[c].isna(), kp[c].isna())
    np.testing.assert_array_equal(out["score"], kp["score"])
    np.testing.assert_array_equal(out["time"], kp["time"])
    assert out.attrs["history"][-1].startswith(f"smooth.{name}(")
    assert kp.attrs["history"] == []


@pytest.mark.parametrize("name", list(FILTERS))
def test_gaps_are_not_smeared(name):
    # 0 before a NaN gap, 1000 after: each side must stay exactly what it was
    x = np.r_[np.zeros(60), np.full(5, np.nan), np.full(60, 1000.0)]
    out = nose(FILTERS[name](make_table(x)))
    np.testing.assert_allclose(out[:60], 0.0, atol=1e-9)
    np.testing.assert_allclose(out[65:], 1000.0, atol=1e-9)


@pytest.mark.parametrize("name", list(FILTERS))
def test_missing_frames_break_runs(name):
    # frames 60..64 are absent from the table (not even NaN rows): still a gap
    frames = np.r_[np.arange(60), np.arange(65, 125)]
    x = np.r_[np.zeros(60), np.full(60, 1000.0)]
    out = nose(FILTERS[name](make_table(x, frames=frames)))
    np.testing.assert_allclose(out[:60], 0.0, atol=1e-9)
    np.testing.assert_allclose(out[60:], 1000.0, atol=1e-9)


def test_short_runs_stay_unchanged_and_are_reported():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 100)
    x[[10, 14]] = np.nan  # run 11..13 has 3 frames, shorter than the window
    kp = make_table(x)
    out = sm.moving_average(kp, window_frames=5)
    np.testing.assert_array_equal(nose(out)[11:14], x[11:14])
    assert not np.allclose(nose(out)[20:80], x[20:80])
    assert "runs shorter than 5 frames left unsmoothed" in out.attrs["history"][-1]


def test_filtered_values_match_scipy_on_a_run():
    from scipy import ndimage, signal

    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(0, 1, 300))
    out = nose(sm.savgol(make_table(x), window_frames=11, polyorder=3))
    np.testing.assert_allclose(out, signal.savgol_filter(x, 11, 3, mode="interp"), atol=1e-9)
    out = nose(sm.median(make_table(x), window_frames=5))
    np.testing.assert_allclose(out[2:-2], ndimage.median_filter(x, 5)[2:-2], atol=1e-12)
    sos = signal.butter(2, 5.0, fs=30.0, output="sos")
    out = nose(sm.butterworth(make_table(x), cutoff_hz=5.0))
    ref = signal.sosfiltfilt(sos, x)
    # same filter; only the edges differ (our runs are detrended first)
    np.testing.assert_allclose(out[40:-40], ref[40:-40], atol=1e-3)


def test_butterworth_1hz_first_order_keeps_half_the_rms():
    fps = 100.0
    t = np.arange(0, 20, 1 / fps)
    x = 100 * np.sin(2 * np.pi * t)
    out = nose(sm.butterworth(make_table(x, fps=fps), cutoff_hz=1.0, order=1))
    mid = slice(300, -300)
    ratio = np.sqrt(np.mean(out[mid] ** 2)) / np.sqrt(np.mean(x[mid] ** 2))
    assert ratio == pytest.approx(0.5, rel=0.01)


def test_butterworth_bad_input():
    kp = make_table(np.arange(100.0), fps=30.0)
    with pytest.raises(ValueError, match="Nyquist"):
        sm.butterworth(kp, cutoff_hz=15.0)
    with pytest.raises(ValueError, match="Nyquist"):
        sm.butterworth(kp, cutoff_hz=20.0)
    with pytest.raises(ValueError, match="cutoff_hz must be > 0"):
        sm.butterworth(kp, cutoff_hz=0.0)
    with pytest.raises(ValueError, match="order"):
        sm.butterworth(kp, cutoff_hz=5.0, order=0)
    with pytest.raises(ValueError, match="'auto'"):
        sm.butterworth(kp, cutoff_hz="fast")
    with pytest.raises(ValueError, match="spans only 5 frames"):
        sm.butterworth(make_table(np.arange(5.0)), cutoff_hz=5.0)


@pytest.mark.parametrize("func", [sm.butterworth, sm.one_euro, sm.kalman])
def test_missing_fps_is_a_clear_error(func):
    kp = make_table(np.arange(50.0), fps=None)
    with pytest.raises(ValueError, match="fps is unknown"):
        func(kp)
    func(kp, fps=30.0)  # passing it works


def test_window_errors():
    kp = make_table(np.arange(20.0))
    with pytest.raises(
        ValueError, match=r"window_frames=31 needs runs of at least 31 frames.*spans only 20"
    ):
        sm.median(kp, window_frames=31)
    with pytest.raises(ValueError, match="odd"):
        sm.moving_average(kp, window_frames=4)
    with pytest.raises(ValueError, match="positive integer"):
        sm.median(kp, window_frames=2.5)
    with pytest.raises(ValueError, match="polyorder"):
        sm.savgol(kp, window_frames=5, polyorder=5)
    with pytest.raises(ValueError, match="sigma_frames"):
        sm.gaussian(kp, sigma_frames=0)
    x = np.arange(20.0)
    x[::4] = np.nan  # no run longer than 3 frames
    with pytest.raises(ValueError, match="none"):
        sm.median(make_table(x), window_frames=5)


@pytest.mark.parametrize("name", list(FILTERS))
def test_all_nan_is_a_clear_error(name):
    with pytest.raises(ValueError, match="all NaN"):
        FILTERS[name](make_table(np.full(50, np.nan)))


# -- One Euro against the authors' reference algorithm -----------------------------------------


class _RefLowPass:
    """Port of the reference LowPassFilter (Casiez & Roussel, OneEuroFilter.py, 2019)."""

    def __init__(self, alpha):
        self.alpha = alpha
        self.y = self.s = None

    def __call__(self, value, alpha):
        self.alpha = alpha
        s = value if self.y is None else self.alpha * value + (1.0 - self.alpha) * self.s
        self.y, self.s = value, s
        return s


class _RefOneEuro:
    """Port of the reference OneEuroFilter: derivative from the last *filtered* value."""

    def __init__(self, freq, mincutoff=1.0, beta=0.0, dcutoff=1.0):
        self.freq, self.mincutoff, self.beta, self.dcutoff = freq, mincutoff, beta, dcutoff
        self.x = _RefLowPass(self.alpha(mincutoff))
        self.dx = _RefLowPass(self.alpha(dcutoff))

    def alpha(self, cutoff):
        te = 1.0 / self.freq
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    def __call__(self, x):
        prev = self.x.s
        dx = 0.0 if prev is None else (x - prev) * self.freq
        edx = self.dx(dx, self.alpha(self.dcutoff))
        cutoff = self.mincutoff + self.beta * math.fabs(edx)
        return self.x(x, self.alpha(cutoff))


@pytest.mark.parametrize(
    ("min_cutoff", "beta", "d_cutoff"), [(1.0, 0.0, 1.0), (0.5, 0.05, 1.0), (2.0, 0.7, 3.0)]
)
def test_one_euro_matches_reference(min_cutoff, beta, d_cutoff):
    fps = 60.0
    rng = np.random.default_rng(4)
    t = np.arange(600) / fps
    x = (
        200 * np.sin(2 * np.pi * 0.7 * t)
        + 50 * np.sign(np.sin(2 * np.pi * 0.2 * t))
        + rng.normal(0, 3, t.size)
    )
    x[250:260] = np.nan  # the filter restarts after a gap, as a fresh reference filter would
    out = nose(
        sm.one_euro(
            make_table(x, fps=fps), min_cutoff_hz=min_cutoff, beta=beta, d_cutoff_hz=d_cutoff
        )
    )
    expected = np.full_like(x, np.nan)
    for seg in (slice(0, 250), slice(260, 600)):
        ref = _RefOneEuro(fps, min_cutoff, beta, d_cutoff)
        expected[seg] = [ref(v) for v in x[seg]]
    np.testing.assert_allclose(out, expected, atol=1e-9, rtol=0)
    assert np.isnan(out[250:260]).all()


def test_one_euro_bad_params():
    kp = make_table(np.arange(50.0))
    with pytest.raises(ValueError, match="min_cutoff_hz"):
        sm.one_euro(kp, min_cutoff_hz=0)
    with pytest.raises(ValueError, match="beta"):
        sm.one_euro(kp, beta=-1)


# -- Kalman --------------------------------------------------------------------------------------


def test_kalman_reduces_error_on_noisy_constant_velocity_line():
    fps = 30.0
    rng = np.random.default_rng(5)
    truth = 100 + 40.0 * np.arange(300) / fps  # 40 px/s
    noisy = truth + rng.normal(0, 4.0, truth.size)
    out = nose(sm.kalman(make_table(noisy, fps=fps), process_noise=50.0, measurement_noise=4.0))
    raw_err = np.sqrt(np.mean((noisy - truth) ** 2))
    err = np.sqrt(np.mean((out - truth) ** 2))
    assert err < 0.25 * raw_err
    assert err < 1.0


def test_kalman_bridges_short_gaps_when_asked():
    fps = 30.0
    truth = 10.0 + 3.0 * np.arange(100)
    x = truth.copy()
    x[50:53] = np.nan
    kp = make_table(x, fps=fps)
    out = nose(sm.kalman(kp, max_gap_frames=3, fill_gaps=True))
    np.testing.assert_allclose(out, truth, atol=1e-3)  # filled along the line
    out = nose(sm.kalman(kp, max_gap_frames=3))
    assert np.isnan(out[50:53]).all()
    with pytest.raises(ValueError, match="max_gap_frames"):
        sm.kalman(kp, max_gap_frames=-1)


# -- Winter's residual analysis --------------------------------------------------------------


def test_winter_cutoff_on_sine_plus_noise():
    fps = 100.0
    rng = np.random.default_rng(6)
    t = np.arange(0, 20, 1 / fps)
    x = 10 * np.sin(2 * np.pi * 2.0 * t) + rng.normal(0, 1.0, t.size)
    fc = sm.winter_cutoff(x, fps=fps)
    assert 2.5 < fc < 8.0
    res = sm.residual_analysis(x, fps=fps)
    assert list(res.columns) == ["cutoff_hz", "residual"]
    assert res["residual"].is_monotonic_decreasing
    # the whole-table form pools every series, and butterworth(cutoff_hz="auto") uses it
    kp = make_table(100 * np.sin(2 * np.pi * 2.0 * t) + rng.normal(0, 2.0, t.size), fps=fps)
    fc_table = sm.winter_cutoff(kp)
    assert 2.5 < fc_table < 8.0
    out = sm.butterworth(kp, cutoff_hz="auto")
    assert "'auto' ->" in out.attrs["history"][-1]
    with pytest.raises(ValueError, match="fps"):
        sm.winter_cutoff(x)
    with pytest.raises(ValueError, match="all NaN"):
        sm.winter_cutoff(np.full(100, np.nan), fps=fps)


# -- compare / recommend -------------------------------------------------------------------------


def test_compare_known_figures():
    fps = 30.0
    rng = np.random.default_rng(7)
    n = 3000
    truth = 200 + 50 * np.sin(2 * np.pi * 0.5 * np.arange(n) / fps)
    sigma = 2.0
    noisy = truth + rng.normal(0, sigma, n)
    raw = make_table(noisy, y=np.full(n, 100.0) + rng.normal(0, sigma, n), fps=fps)
    truth_kp = make_table(truth, y=np.full(n, 100.0), fps=fps)
    delayed = raw.copy()
    shift = 3
    for c in ("x", "y"):  # the raw data 3 frames late
        d = delayed[c].to_numpy(copy=True).reshape(n, 17)
        d[shift:] = d[:-shift].copy()
        d[:shift] = np.nan
        delayed[c] = d.ravel()
    bw = sm.butterworth(raw, cutoff_hz=3.0)
    table = sm.compare(raw, {"late": delayed, "butterworth": bw}, truth=truth_kp)
    assert list(table.index.get_level_values("method").unique()) == ["raw", "late", "butterworth"]
    assert table.loc[("raw", "all"), "displacement_px"] == 0
    assert table.loc[("raw", "all"), "lag_frames"] == 0
    assert table.loc[("late", "all"), "lag_frames"] == pytest.approx(shift, abs=0.05)
    # 2-D white noise: second difference variance 6 sigma^2 per coordinate
    assert table.loc[("raw", "all"), "jitter_px"] == pytest.approx(np.sqrt(12) * sigma, rel=0.05)
    assert table.loc[("raw", "all"), "rmse_truth_px"] == pytest.approx(np.sqrt(2) * sigma, rel=0.05)
    b = table.loc[("butterworth", "all")]
    assert b["jitter_ratio"] < 0.1
    assert abs(b["lag_frames"]) < 0.2
    assert b["rmse_truth_px"] < 0.5 * table.loc[("raw", "all"), "rmse_truth_px"]
    assert b["hf_power"] < 0.05 < table.loc[("raw", "all"), "hf_power"]
    assert table.loc[("butterworth", "left_knee"), "jitter_px"] == pytest.approx(
        b["jitter_px"], rel=1e-9
    )
    rec = sm.recommend(table)
    assert rec.index[0] == "butterworth" and rec["rank"].tolist() == [1, 2, 3]
    # without truth, the heuristic still prefers the filter over raw and the late copy
    rec = sm.recommend(sm.compare(raw, {"late": delayed, "butterworth": bw}))
    assert rec.index[0] == "butterworth"


def test_compare_aligns_tables_and_checks_input():
    rng = np.random.default_rng(8)
    raw = make_table(rng.normal(0, 1, 200))
    fewer = raw.drop(index=list(range(100, 200)), level="frame")
    table = sm.compare(raw, {"half": fewer})
    assert table.loc[("half", "all"), "displacement_px"] == 0
    with pytest.raises(ValueError, match="reserved"):
        sm.compare(raw, {"raw": raw})
    with pytest.raises(ValueError, match="hf_cutoff_hz=None"):
        sm.compare(make_table(np.arange(50.0), fps=None), {})
    t = sm.compare(make_table(np.arange(50.0), fps=None), {}, hf_cutoff_hz=None)
    assert t["hf_power"].isna().all()
    with pytest.raises(ValueError, match="compare"):
        sm.recommend(pd.DataFrame({"a": [1]}))


# -- against posekit.synth ground truth -------------------------------------------------------

SENSIBLE = {
    "moving_average": lambda kp: sm.moving_average(kp, window_frames=5),
    "median": lambda kp: sm.median(kp, window_frames=5),
    "gaussian": lambda kp: sm.gaussian(kp, sigma_frames=1.5),
    "savgol": lambda kp: sm.savgol(kp, window_frames=11, polyorder=3),
    "butterworth": lambda kp: sm.butterworth(kp, cutoff_hz=6.0),
    "butterworth_auto": lambda kp: sm.butterworth(kp, cutoff_hz="auto"),
    "one_euro": lambda kp: sm.one_euro(kp, min_cutoff_hz=2.0, beta=0.2),
    "kalman": lambda kp: sm.kalman(kp),
}


@pytest.fixture(scope="module", params=["walk", "squat"])
def noisy(request):
    import posekit as pk

    sim = pk.synth.generate(
        request.param, duration_s=10, fps=30, n_people=2, noise_px=3.0, dropout=0.03, seed=3
    )
    kp = pk.clean.mask_low_confidence(sim.result.keypoints(), min_score=0.1)
    return kp, sim.truth


@pytest.mark.parametrize("name", list(SENSIBLE))
def test_smoothing_brings_noisy_data_closer_to_truth(noisy, name):
    kp, truth = noisy
    out = SENSIBLE[name](kp)
    t = truth.loc[kp.index]
    raw_err = np.sqrt(np.nanmean((kp["x"] - t["x"]) ** 2 + (kp["y"] - t["y"]) ** 2))
    err = np.sqrt(np.nanmean((out["x"] - t["x"]) ** 2 + (out["y"] - t["y"]) ** 2))
    assert err < 0.95 * raw_err, (name, err, raw_err)
    assert out["x"].isna().sum() == kp["x"].isna().sum()


def test_compare_with_truth_ranks_sensibly(noisy):
    kp, truth = noisy
    methods = {name: f(kp) for name, f in SENSIBLE.items()}
    methods["oversmoothed"] = sm.moving_average(kp, window_frames=31)
    methods["laggy"] = sm.one_euro(kp, min_cutoff_hz=0.3, beta=0.0)
    table = sm.compare(kp, methods, truth=truth)
    pooled = table.xs("all", level="joint")
    # every sensible method beats raw; the distorting ones lose to a good zero-phase filter
    for name in SENSIBLE:
        assert pooled.loc[name, "rmse_truth_px"] < pooled.loc["raw", "rmse_truth_px"], name
    best = min(pooled.loc[["butterworth", "kalman", "savgol", "gaussian"], "rmse_truth_px"])
    assert pooled.loc["oversmoothed", "rmse_truth_px"] > best
    assert pooled.loc["laggy", "rmse_truth_px"] > best
    assert pooled.loc["laggy", "lag_frames"] > 2 > abs(pooled.loc["butterworth", "lag_frames"]) * 10
    assert pooled.loc["raw", "hf_power"] > 2 * pooled.loc["butterworth", "hf_power"]
    rec = sm.recommend(table)
    assert rec.index[0] not in ("raw", "oversmoothed", "laggy")
    assert rec.index[-1] in ("raw", "oversmoothed", "laggy")
    # without the truth, the heuristic still prefers a filter, and not the laggy one
    rec = sm.recommend(sm.compare(kp, methods))
    assert rec.index[0] not in ("raw", "laggy")
    assert rec.loc["raw", "rank"] > rec.loc["butterworth", "rank"]


def test_compare_api_smoothing_true_next_to_false():
    # the API's own smoothing=true result next to smoothing=false: tables with the same index
    import posekit as pk

    sim = pk.synth.generate("squat", duration_s=6, fps=30, noise_px=2.0, seed=9)
    raw = sim.result.keypoints()
    api_smoothed = sm.butterworth(raw, cutoff_hz=4.0).reset_index().set_index(list(raw.index.names))
    table = sm.compare(raw, {"kakao smoothing=true": api_smoothed}, truth=sim.truth)
    assert table.loc[("kakao smoothing=true", "all"), "jitter_ratio"] < 0.3
    assert set(table.index.get_level_values("joint")) == {*raw.index.levels[2], "all"}


@pytest.mark.parametrize("window", [3, 5, 7])
def test_median_matches_numpy_median(window):
    rng = np.random.default_rng(window)
    x = np.round(rng.normal(0, 3, 400))  # ties included
    out = nose(sm.median(make_table(x), window_frames=window))
    h = window // 2
    expected = np.median(np.lib.stride_tricks.sliding_window_view(x, window), axis=1)
    np.testing.assert_array_equal(out[h:-h], expected)


# -- the run machinery, against a plain Python loop ------------------------------------------


def _naive_runs(data: np.ndarray) -> list[tuple[int, int, int]]:
    runs = []
    for r, row in enumerate(data):
        t = 0
        while t < len(row):
            if np.isfinite(row[t]):
                s = t
                while t < len(row) and np.isfinite(row[t]):
                    t += 1
                runs.append((r, s, t - s))
            else:
                t += 1
    return runs


def test_find_and_apply_runs_match_a_plain_loop():
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    from posekit.smooth._runs import apply_runs, find_runs

    @settings(max_examples=200, deadline=None)
    @given(
        mask=arrays(bool, st.tuples(st.integers(1, 4), st.integers(1, 30))),
        min_len=st.integers(1, 6),
    )
    def check(mask, min_len):
        data = np.where(mask, np.arange(mask.size, dtype=float).reshape(mask.shape), np.nan)
        starts, lengths = find_runs(data)
        n = data.shape[1]
        got = sorted(
            (int(s) // n, int(s) % n, int(length))
            for s, length in zip(starts, lengths, strict=True)
        )
        assert got == sorted(_naive_runs(data))
        out, n_done, n_short = apply_runs(data, lambda a: -a - a[:, :1] * 0, min_len)
        expected = data.copy()
        for r, s, length in _naive_runs(data):
            if length >= min_len:
                expected[r, s : s + length] *= -1
        np.testing.assert_array_equal(out, expected)
        assert n_done + n_short == len(_naive_runs(data))

    check()


@pytest.mark.parametrize("name", list(FILTERS))
def test_row_order_does_not_matter(name):
    # a shuffled table takes the general (scatter/gather) path, a sorted one the fast path
    rng = np.random.default_rng(10)
    x = rng.normal(300, 5, size=(80, 3, 17))
    x[rng.random(x.shape) < 0.05] = np.nan
    kp = make_table(x, rng.normal(200, 5, size=(80, 3, 17)))
    shuffled = kp.iloc[rng.permutation(len(kp))]
    a = FILTERS[name](kp)
    b = FILTERS[name](shuffled)
    assert b.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(b.loc[kp.index], a, check_exact=False, rtol=0, atol=1e-9)
