"""Helpers shared by the metrics: 1-D series in, clean numpy out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def as_1d(values: Any, what: str) -> np.ndarray:
    """A finite 1-D float array; ValueError for NaN, empty or multi-dimensional input."""
    if isinstance(values, pd.DataFrame):
        cols = [c for c in values.columns if c != "time"]
        if len(cols) != 1:
            raise ValueError(f"{what}: expected one series, got a table with columns {cols}")
        values = values[cols[0]]
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D series, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{what}: the series is empty")
    if np.isnan(arr).all():
        raise ValueError(f"{what}: the series is all NaN")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise ValueError(
            f"{what}: the series has {bad} NaN/inf value(s); select a gap-free stretch or "
            "interpolate first (posekit.clean.interpolate)"
        )
    return arr


def resolve_fps(values: Any, fs: float | None, what: str) -> float:
    if fs is None:
        fs = getattr(values, "attrs", {}).get("fps")
    if fs is None:
        raise ValueError(f"{what}: the sampling rate is unknown: pass fps=... (Hz)")
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"{what}: fps must be a positive number of Hz, got {fs}")
    return fs


def fill_gaps(arr: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (nearest value beyond the ends), for peak finding."""
    ok = np.isfinite(arr)
    if ok.all():
        return arr
    idx = np.arange(len(arr))
    return np.interp(idx, idx[ok], arr[ok])
