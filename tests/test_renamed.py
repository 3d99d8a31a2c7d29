"""Renamed parameters: the old keyword still works, warns, and gives the same result as the new.

The agreed names are in tests/test_vocabulary.py; each rename keeps its old keyword through
:func:`posekit._renamed.renamed`.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.client import RetryPolicy

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def kp() -> pd.DataFrame:
    res = pk.synth.generate("walk", duration_s=3, fps=30, n_people=2, noise_px=1.0, seed=3).result
    return res.keypoints()


def _same(old, new) -> None:
    if isinstance(new, pd.DataFrame | pd.Series):
        pd.testing.assert_frame_equal(pd.DataFrame(old), pd.DataFrame(new))
    else:
        assert old == new


def _old_and_new(func, old: dict, new: dict, *args):
    with pytest.warns(DeprecationWarning, match=r"\(\w+=\.\.\.\) is deprecated: say \w+="):
        before = func(*args, **old)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        after = func(*args, **new)
    return before, after


def test_smooth_kinematics_clean_and_metrics(kp):
    cases = [
        (pk.smooth.median, {"window": 5}, {"window_frames": 5}),
        (pk.smooth.moving_average, {"window": 5}, {"window_frames": 5}),
        (pk.smooth.savgol, {"window": 7}, {"window_frames": 7}),
        (pk.smooth.one_euro, {"min_cutoff": 2.0, "beta": 0.1}, {"min_cutoff_hz": 2.0, "beta": 0.1}),
        (pk.smooth.one_euro, {"d_cutoff": 2.0}, {"d_cutoff_hz": 2.0}),
        (pk.kinematics.velocity, {"method": "savgol", "window": 7},
         {"method": "savgol", "window_frames": 7}),
        (pk.kinematics.speed, {"window": 5, "method": "savgol"},
         {"window_frames": 5, "method": "savgol"}),
        (pk.kinematics.acceleration, {"window": 5}, {"window_frames": 5}),
        (pk.kinematics.jerk, {"window": 7}, {"window_frames": 7}),
        (pk.clean.mask_low_confidence, {"threshold": 0.5}, {"min_score": 0.5}),
    ]  # fmt: skip
    for func, old, new in cases:
        before, after = _old_and_new(func, old, new, kp)
        pd.testing.assert_frame_equal(before, after)
        assert before.attrs["history"] == after.attrs["history"]
        # the history says the new name
        assert all(k in after.attrs["history"][-1] for k in new)


def test_mask_low_confidence_default_is_unchanged(kp):
    # min_score keeps the 0.3 that threshold= had (other functions' min_score default to 0.2)
    out = pk.clean.mask_low_confidence(kp)
    assert out.attrs["history"][-1].startswith("clean.mask_low_confidence(min_score=0.3)")
    assert (
        out["x"].isna().sum()
        == (kp["score"] < 0.3).sum()
        + kp["x"].isna().sum()
        - (kp["x"].isna() & (kp["score"] < 0.3)).sum()
    )


def test_metrics_fs_is_fps():
    t = np.arange(-1, 1, 0.01)
    speed = np.exp(-5 * t**2)
    for func in (pk.metrics.sparc, pk.metrics.ldlj, pk.metrics.dimensionless_jerk):
        before, after = _old_and_new(func, {"fs": 100}, {"fps": 100}, speed)
        assert before == after
        assert func(speed, 100) == after  # still positional


def test_angular_velocity_and_dtw(kp):
    ang = pk.angles.joint_angles(kp)
    before, after = _old_and_new(
        pk.kinematics.angular_velocity, {"window": 5, "method": "savgol"},
        {"window_frames": 5, "method": "savgol"}, ang,
    )  # fmt: skip
    pd.testing.assert_frame_equal(before, after)
    a = np.sin(np.linspace(0, 6, 60))
    b = np.sin(np.linspace(0, 6, 70))
    before, after = _old_and_new(pk.metrics.dtw, {"window": 10}, {"window_frames": 10}, a, b)
    assert before.distance == after.distance


def test_views_choose_people_with_object_id(kp):
    import matplotlib.pyplot as plt

    for func, args, old, new in [
        (pk.plot.skeleton, (kp, 0), {"people": [1]}, {"object_ids": [1]}),
        (pk.plot.trajectory, (kp, "left_wrist"), {"people": 0}, {"object_ids": 0}),
        (pk.plot.timeseries, (kp,), {"people": 1}, {"object_ids": 1}),
        (pk.plot.confidence, (kp,), {"person": 1}, {"object_id": 1}),
    ]:
        before, after = _old_and_new(func, old, new, *args)
        assert before.get_title() == after.get_title()
        assert len(before.get_children()) == len(after.get_children())
        plt.close("all")
    with pytest.raises(TypeError, match="both"):
        pk.plot.confidence(kp, person=1, object_id=1)


def test_colour_scheme_hues():
    with pytest.warns(DeprecationWarning, match="people=.*hues"):
        old = pk.plot.ColourScheme(people=((1, 2, 3),))
    new = pk.plot.ColourScheme(hues=((1, 2, 3),))
    assert old == new
    assert new.people == new.hues == ((1, 2, 3),)
    assert new.rgb(5) == (1, 2, 3)


def _deprecations(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = make()
    return out, sorted(str(w.message) for w in caught if w.category is DeprecationWarning)


def test_client_times_say_seconds():
    old, said = _deprecations(
        lambda: RetryPolicy(backoff=0.2, max_backoff=1.0, max_retry_after=5.0)
    )
    assert old == RetryPolicy(backoff_s=0.2, max_backoff_s=1.0, max_retry_after_s=5.0)
    assert said == [
        "RetryPolicy(backoff=...) is deprecated: say backoff_s=...",
        "RetryPolicy(max_backoff=...) is deprecated: say max_backoff_s=...",
        "RetryPolicy(max_retry_after=...) is deprecated: say max_retry_after_s=...",
    ]
    c, said = _deprecations(
        lambda: pk.Client("k", "http://127.0.0.1:9", deadline=3.0, timeout=(1, 2), backoff=0.1)
    )
    assert (c.deadline_s, c.timeout_s, c.retry.backoff_s) == (3.0, (1, 2), 0.1)
    assert len(said) == 3
    c.close()
