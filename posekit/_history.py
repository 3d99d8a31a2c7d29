"""One way to record what was done to a table: the :func:`logs_history` decorator.

Each decorated function appends one line to its result's ``attrs["history"]``: the module and
function, then every bound argument but the data itself (defaults included), as
``kinematics.velocity(fps=None, method='central', window_frames=5, polyorder=None, normalize=None)``.
A function can add what it found (``"12 swaps repaired"``) with :func:`note_history`; the line
then ends with ``": 12 swaps repaired"``. The notes go through a context variable, not the
tables, so nothing extra rides in ``attrs`` (a per-clip function called once per clip of a study
adds one note per clip). The input table is never changed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

__all__ = ["carry_attrs", "logs_history", "note_history"]

P = ParamSpec("P")
R = TypeVar("R")

#: Notes of the decorated call in progress (None outside one).
_NOTES: ContextVar[list[str] | None] = ContextVar("posekit_history_notes", default=None)


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


def carry_attrs(table: pd.DataFrame | pd.Series, like: pd.DataFrame | pd.Series) -> Any:
    """Give ``table`` the ``attrs`` of ``like`` (shared values, its own history list).

    pandas deep-copies ``attrs`` when a table is sliced or copied; tables a study keeps in
    ``attrs`` would then be copies, which ``pd.concat`` cannot compare.
    """
    table.attrs = {**like.attrs, "history": list(like.attrs.get("history", []))}
    return table


def note_history(note: str) -> None:
    """Add ``note`` (what the function found) to the history line of the decorated call.

    Outside a call decorated with :func:`logs_history` it does nothing.
    """
    notes = _NOTES.get()
    if notes is not None:
        notes.append(note)


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
        token = _NOTES.set([])
        try:
            out = func(*args, **kwargs)
            notes = _NOTES.get() or []
        finally:
            _NOTES.reset(token)
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
        if notes:
            step += f": {'; '.join(notes)}"
        base = dict(out.attrs)
        if isinstance(data, pd.DataFrame | pd.Series):
            base = {**data.attrs, **base}
        out.attrs = {**base, "history": [*base.get("history", []), step]}
        return out

    return logged
