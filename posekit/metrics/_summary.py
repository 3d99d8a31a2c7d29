"""Range of motion and left/right symmetry."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from posekit._history import logs_history
from posekit._levels import per_clip
from posekit._points import dense_frames
from posekit.units import column_unit

__all__ = ["range_of_motion", "symmetry_index"]


@logs_history
@per_clip
def range_of_motion(angles: pd.DataFrame | pd.Series, /) -> pd.DataFrame:
    """Minimum, maximum and range of each angle for each person.

    Parameters
    ----------
    angles
        A table from :mod:`posekit.angles` (indexed by (frame, object_id)) or one of its
        columns. ``time`` is ignored; NaNs are skipped.

    Returns
    -------
    DataFrame
        Indexed by (object_id, angle): ``min``, ``max``, ``range`` (= max − min, degrees),
        ``argmin_frame``, ``argmax_frame`` and ``n`` (frames with a value); ``attrs["units"]``
        gives each column's unit. An angle that is
        all NaN for a person has NaN figures and n = 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.metrics import range_of_motion
    >>> idx = pd.MultiIndex.from_product([range(4), [0]], names=["frame", "object_id"])
    >>> ang = pd.DataFrame({"left_knee": [170.0, 95.0, 120.0, 178.0]}, index=idx)
    >>> rom = range_of_motion(ang)
    >>> rom.loc[(0, "left_knee"), ["min", "max", "range"]].tolist()
    [95.0, 178.0, 83.0]
    >>> int(rom.loc[(0, "left_knee"), "argmin_frame"]), rom.attrs["units"]["range"]
    (1, 'deg')
    """
    d = dense_frames(angles, contiguous=False)
    v = d.values  # (F, O, A)
    if v.shape[0] == 0:
        raise ValueError("range_of_motion: the angle table is empty")
    ok = np.isfinite(v)
    n = ok.sum(axis=0)
    some = n > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN angles: NaN figures
        lo = np.nanmin(v, axis=0)
        hi = np.nanmax(v, axis=0)
    amin = d.frames[np.argmin(np.where(ok, v, np.inf), axis=0)]
    amax = d.frames[np.argmax(np.where(ok, v, -np.inf), axis=0)]
    index = pd.MultiIndex.from_product([d.object_ids, d.columns], names=["object_id", "angle"])
    out = pd.DataFrame(
        {
            "min": lo.ravel(),
            "max": hi.ravel(),
            "range": (hi - lo).ravel(),
            "argmin_frame": pd.array(amin.ravel(), dtype="Int64"),
            "argmax_frame": pd.array(amax.ravel(), dtype="Int64"),
            "n": n.ravel(),
        },
        index=index,
    )
    out.loc[~some.ravel(), ["argmin_frame", "argmax_frame"]] = pd.NA
    if isinstance(angles, pd.DataFrame):
        units = {column_unit(angles, str(c)) for c in d.columns} - {None}
    else:
        units = {column_unit(angles)} - {None}
    value_unit = units.pop() if len(units) == 1 else "deg"
    out.attrs["units"] = {
        **dict.fromkeys(("min", "max", "range"), value_unit),
        **dict.fromkeys(("argmin_frame", "argmax_frame"), "frame"),
        "n": "1",
    }
    return out


Summary = Literal["mean", "median", "max", "range", "none"]


def _summarise(x: Any, how: str, what: str) -> Any:
    if how == "none":
        return x
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        return float(arr)
    if np.isnan(arr).all():
        raise ValueError(f"symmetry_index: {what} is all NaN")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "mean":
            return float(np.nanmean(arr))
        if how == "median":
            return float(np.nanmedian(arr))
        if how == "max":
            return float(np.nanmax(arr))
        return float(np.nanmax(arr) - np.nanmin(arr))


def _per_pair(left: Any, right: Any) -> Any:
    """SI of each pair (L[i], R[i]), in the inputs' form (see :func:`symmetry_index`)."""
    index = None
    if isinstance(left, pd.Series) and isinstance(right, pd.Series):
        left, right = left.align(right, join="inner")
    if isinstance(left, pd.Series) or isinstance(right, pd.Series):
        index = (left if isinstance(left, pd.Series) else right).index
    lv = np.asarray(left, dtype=np.float64)
    rv = np.asarray(right, dtype=np.float64)
    if lv.shape != rv.shape:
        raise ValueError(f"symmetry_index: left has shape {lv.shape}, right {rv.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 200.0 * (lv - rv) / (lv + rv)
    out = np.where(np.isfinite(out), out, np.nan)
    if index is not None:
        return pd.Series(out, index=index, name="symmetry_index")
    return float(out) if out.ndim == 0 else out


@per_clip
def symmetry_index(left: Any, right: Any, /, *, summary: Summary = "mean") -> Any:
    """Robinson's symmetry index, SI = 2 (L − R) / (L + R) × 100 (%): 0 = symmetric.

    Parameters
    ----------
    left, right
        Numbers, or series of the same length (e.g. ``ang["left_knee"]``, ``ang["right_knee"]``),
        or range-of-motion figures.
    summary
        Series are first reduced to one number each (``"mean"``, ``"median"``, ``"max"``, or
        ``"range"`` = max − min, NaNs skipped), and the index is computed on those: the usual
        use (e.g. SI of the left and right knee range of motion). ``"none"``: the per-sample
        variant, SI of each pair (L[i], R[i]); it is undefined (NaN) where L + R = 0 and very
        noisy where L + R is small, so prefer a summary for signed signals.

    Returns
    -------
    float or Series or ndarray
        One rule: a summary gives a ``float``. ``summary="none"`` gives one value per pair in
        the inputs' form: a Series (named ``symmetry_index``) when either side is a Series
        (two Series are aligned on their common index; one Series lends its index to the
        other side, which must have its length), a ``float`` for two numbers, else an
        ndarray. (A study table with leading levels gives a Series by clip, see
        :func:`posekit.study`.)

    Notes
    -----
    Robinson, Herzog & Nigg (1987), J Manipulative Physiol Ther 10(4). Positive means the left
    value is the larger. A summary with L + R = 0 raises ValueError.

    Examples
    --------
    A left knee moving through 110° and a right one through 90°: 2 · 20 / 200 = 20 %:

    >>> import pandas as pd
    >>> from posekit.metrics import symmetry_index
    >>> symmetry_index(110.0, 90.0)
    20.0
    >>> left, right = pd.Series([100.0, 120.0]), pd.Series([100.0, 80.0])
    >>> symmetry_index(left, right), symmetry_index(left, right, summary="none").tolist()
    (20.0, [0.0, 40.0])
    """
    if summary not in ("mean", "median", "max", "range", "none"):
        raise ValueError(f"summary must be mean, median, max, range or none, got {summary!r}")
    if summary == "none":
        return _per_pair(left, right)
    lv = _summarise(left, summary, "left")
    rv = _summarise(right, summary, "right")
    if not (np.isfinite(lv) and np.isfinite(rv)):
        raise ValueError(f"symmetry_index: left={lv}, right={rv} are not finite")
    if lv + rv == 0:
        raise ValueError("symmetry_index: left + right is 0, the index is undefined")
    return 200.0 * (lv - rv) / (lv + rv)
