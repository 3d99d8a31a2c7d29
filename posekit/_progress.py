"""One ``progress`` convention for every long call: :func:`progress_bar`.

``progress=None`` (the default everywhere) shows a bar when someone is watching: stderr is a
terminal, or the code runs in a notebook. ``True`` always shows it, ``False`` never.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "shows_progress"]


def shows_progress(progress: bool | None) -> bool:
    """Whether a bar is shown for ``progress`` (None: when stderr is a terminal or a notebook)."""
    if progress is None:
        return bool(sys.stderr.isatty() or "ipykernel" in sys.modules)
    return bool(progress)


def progress_bar(progress: bool | None, **kwargs: Any) -> Any:
    """A ``tqdm.auto`` bar (``kwargs`` are tqdm's), disabled unless :func:`shows_progress`.

    Examples
    --------
    >>> with progress_bar(False, total=3, unit="frame") as bar:
    ...     bar.update(3)
    >>> shows_progress(False), shows_progress(True)
    (False, True)
    """
    from tqdm.auto import tqdm

    return tqdm(disable=not shows_progress(progress), **kwargs)
