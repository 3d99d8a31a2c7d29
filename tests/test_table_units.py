"""Every table posekit makes says the unit of each number column, in one form: a dict."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.plot._common import column_unit as plot_unit
from posekit.units import column_unit


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    walk = pk.synth.generate("walk", duration_s=6, fps=30, seed=1, dropout=0.02).result
    kp = walk.keypoints()
    squat_kp = pk.synth.generate("squat", duration_s=8, fps=30, seed=1).result.keypoints()
    squat = pk.angles.joint_angles(squat_kp)
    ang = pk.angles.joint_angles(kp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pk.metrics.GaitWarning)
        gait = {"gait_events": pk.metrics.gait_events(kp), "cadence": pk.metrics.cadence(kp)}
    return {
        "keypoints": kp,
        "objects": walk.objects(),
        "mask_low_confidence": pk.clean.mask_low_confidence(kp),
        "interpolate": pk.clean.interpolate(kp),
        "butterworth": pk.smooth.butterworth(kp, cutoff_hz=6),
        "velocity": pk.kinematics.velocity(kp),
        "speed": pk.kinematics.speed(kp),
        "displacement": pk.kinematics.displacement(kp),
        "path_length": pk.kinematics.path_length(kp),
        "angles": ang,
        "angular_velocity": pk.kinematics.angular_velocity(ang),
        "range_of_motion": pk.metrics.range_of_motion(ang),
        "repetitions": pk.metrics.count_repetitions(squat["left_knee"]).reps,
        "to_metres": pk.units.to_metres(kp, scale=0.01),
        "compare": pk.smooth.compare(kp, {"bw": pk.smooth.butterworth(kp, cutoff_hz=6)}),
        "wide": walk.wide(),
        **gait,
    }


def test_every_number_column_has_a_unit(tables):
    for name, table in tables.items():
        units = table.attrs.get("units")
        assert isinstance(units, dict), name
        numbers = [c for c in table.columns if not pd.api.types.is_string_dtype(table[c])]
        numbers = [c for c in numbers if c not in ("object_id", "side", "event")]
        # a wide table's columns are (joint, coordinate): the unit is the coordinate's
        missing = [c for c in numbers if (c[-1] if isinstance(c, tuple) else c) not in units]
        assert not missing, f"{name}: no unit for {missing}"


def test_a_wide_table_has_its_coordinates_units(tables):
    wide = tables["wide"]
    assert column_unit(wide, ("left_knee", "x")) == "px"
    assert column_unit(wide, ("nose", "score")) == "1"
    metres = pk.units.to_metres(tables["keypoints"], scale=0.01)
    assert column_unit(pk.tidy.to_wide(metres), ("left_ankle", "y")) == "m"


def test_the_units_say_what_the_columns_hold(tables):
    u = {name: t.attrs["units"] for name, t in tables.items()}
    assert u["keypoints"] == {"x": "px", "y": "px", "score": "1", "time": "s"}
    assert u["objects"]["area"] == "px²" and u["objects"]["bbox_w"] == "px"
    assert u["interpolate"]["filled"] == "1"
    assert u["speed"]["speed"] == "px/s" and u["to_metres"]["x"] == "m"
    assert u["range_of_motion"]["range"] == "deg" and u["range_of_motion"]["n"] == "1"
    assert u["repetitions"]["peak_value"] == "deg" and u["repetitions"]["peak_time"] == "s"
    assert u["cadence"]["cadence_spm"] == "steps/min"


def test_one_reader_for_functions_and_plots(tables):
    kp = tables["keypoints"]
    assert column_unit(kp, "x") == plot_unit(kp.attrs, "x", keypoints=True) == "px"
    assert column_unit(kp, "score") == "1" and plot_unit(kp.attrs, "score") is None  # no axis unit
    assert plot_unit(tables["angles"].attrs, "left_knee") == "°"
    # an older table: one string for every value column but score and time
    old = {"units": "px/s"}
    assert plot_unit(old, "vx") == "px/s" and plot_unit(old, "time") == "s"
    assert plot_unit(old, "score") is None
    assert column_unit(pd.Series(np.zeros(2), name="vx").set_axis([0, 1]), None) is None
