"""Old parameter names that still work: the :func:`renamed` decorator.

A parameter renamed to the agreed vocabulary (``tests/test_vocabulary.py``) keeps its old
keyword for a while: passing it gives a :class:`DeprecationWarning` that names the new one, and
the call goes on with the new name. The signature (what ``help`` and the docs show) has the new
name only.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["renamed"]

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Accept each old keyword (``old=new``) with a DeprecationWarning, as the new one.

    Examples
    --------
    >>> import warnings
    >>> @renamed(fs="fps")
    ... def rate(*, fps=None):
    ...     return fps
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rate(fs=30)
    30
    >>> str(caught[0].message)
    'rate(fs=...) is deprecated: say fps=...'
    """

    def decorate(func: F) -> F:
        name = func.__qualname__.replace(".__init__", "")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{name}() got both {old}= (deprecated) and {new}=")
                warnings.warn(
                    f"{name}({old}=...) is deprecated: say {new}=...",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
