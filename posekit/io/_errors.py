"""Loaders raise posekit errors only.

Whatever a file holds, a caller catches ``PoseFormatError`` (or a job status error), never a
``KeyError`` or ``RecursionError`` from deep inside.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from posekit.errors import PoseFormatError, PoseKitError

__all__ = ["only_posekit_errors"]

F = TypeVar("F", bound=Callable[..., Any])

# What malformed content makes Python or numpy raise (files that are missing stay OSError).
_CONTENT_ERRORS = (
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ValueError,
    OverflowError,
    RecursionError,
)


def only_posekit_errors(fmt: str) -> Callable[[F], F]:
    """Turn the built-in errors malformed ``fmt`` content raises into :class:`PoseFormatError`.

    A ``TypeError`` about the call itself (a source of the wrong kind) is kept.
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def loader(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except PoseKitError:
                raise
            except _CONTENT_ERRORS as exc:
                if isinstance(exc, TypeError) and "takes a path" in str(exc):
                    raise
                kind = (
                    "nested too deeply"
                    if isinstance(exc, RecursionError)
                    else (f"{type(exc).__name__}: {exc}")
                )
                raise PoseFormatError(f"not valid {fmt} ({kind})", path="$") from None

        return loader  # type: ignore[return-value]

    return wrap
