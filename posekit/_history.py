"""One way to record what was done to a table: the :func:`logs_history` decorator.

Each decorated function appends one line to its result's ``attrs["history"]``: the module and
function, then every bound argument but the data itself (defaults included), as
``kinematics.velocity(fps=None, method='central', window=5, polyorder=None, normalize=None)``.
A function can add what it found (``"12 swaps repaired"``) with :func:`note_history`; the line
then ends with ``": 12 swaps repaired"``. The input table is never changed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

__all__ = ["logs_history", "note_history"]

P = ParamSpec("P")
R = TypeVar("R")

_NOTE = "_history_note"


def _label(func: Callable[..., Any]) -> str:
    """``smooth.butterworth`` for posekit.smooth.filters.butterworth: the first public module."""
    parts = func.__module__.split(".")[1:]
    public = parts[:1] if parts and not parts[0].startswith("_") else []
    return ".".join([*public, func.__name__])


def _show(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return "<table>"
    if isinstance(value, pd.Series):
        return "<series>"
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape))}>"
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def note_history(table: pd.DataFrame | pd.Series, note: str) -> None:
    """Add ``note`` (what the function found) to the history line of the decorated call."""
    earlier = table.attrs.get(_NOTE)
    table.attrs[_NOTE] = f"{earlier}; {note}" if earlier else note


def logs_history(func: Callable[P, R]) -> Callable[P, R]:
    """Record each call of ``func`` in its result's ``attrs["history"]``.

    The first parameter is the data (a table); the others, bound and with their defaults, are
    written out. The result's ``attrs`` are the data's updated with its own; its history is a
    new list (the input's is never appended to).

    Examples
    --------
    >>> import pandas as pd
    >>> @logs_history
    ... def scale(df, /, *, factor=2.0):
    ...     return df * factor
    >>> out = scale(pd.DataFrame({"x": [1.0]}), factor=3)
    >>> out.attrs["history"]
    ['scale(factor=3)']
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def logged(*args: P.args, **kwargs: P.kwargs) -> R:
        out = func(*args, **kwargs)
        if not isinstance(out, pd.DataFrame | pd.Series):
            return out
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.items())
        data = values[0][1] if values else None
        options = []
        for name, value in values[1:]:
            kind = signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                options += [f"{k}={_show(v)}" for k, v in value.items()]
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                options += [_show(v) for v in value]
            else:
                options.append(f"{name}={_show(value)}")
        step = f"{_label(func)}({', '.join(options)})"
        note = out.attrs.pop(_NOTE, None)
        if note:
            step += f": {note}"
        base = dict(out.attrs)
        if isinstance(data, pd.DataFrame | pd.Series):
            base = {**data.attrs, **base}
        out.attrs = {**base, "history": [*base.get("history", []), step]}
        return out

    return logged
