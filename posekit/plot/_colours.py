"""The one colour scheme of every picture: plots, the Player, overlay videos and reports.

Each person has a hue (matplotlib's tab10, by ``object_id``). Within a person, the **left** side
is a dark shade of that hue, the **right** side a light shade, and the middle (nose, the
shoulder and hip bars) the hue itself. Left and right differ in lightness, not only in hue, so
they stay apart for colour-blind readers and in greyscale prints.

Change it in one place::

    import posekit as pk
    pk.plot.set_colour_scheme(pk.plot.ColourScheme(left_shade=0.5, right_tint=0.7))

or, for the gait-lab convention (left red, right blue for everybody; people then differ by the
middle colour and the id labels)::

    pk.plot.set_colour_scheme(pk.plot.ColourScheme.gait_lab())
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np

from posekit._renamed import renamed
from posekit.schema import JOINTS

__all__ = [
    "SIDES",
    "ColourScheme",
    "colour_scheme",
    "joint_sides",
    "pair_sides",
    "set_colour_scheme",
]

Side = Literal["left", "right", "centre"]
SIDES: tuple[Side, ...] = ("left", "right", "centre")

# matplotlib's tab10: people keep their hue in plots, the Player and rendered videos
TAB10: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip


def _mix(rgb: Sequence[int], other: Sequence[int], t: float) -> tuple[int, int, int]:
    a, b = np.asarray(rgb, float), np.asarray(other, float)
    r, g, bl = np.rint(a + (b - a) * float(t)).astype(int)
    return (int(r), int(g), int(bl))


@dataclass(frozen=True)
class ColourScheme:
    """Colours by person and body side.

    Parameters
    ----------
    hues
        One 0–255 RGB hue per person, cycled by ``object_id``; it is the middle colour.
        (``people=`` is the old name, deprecated; ``.people`` still reads it.)
    left_shade
        How far the left side goes from the hue towards black (0 = the hue, 1 = black).
    right_tint
        How far the right side goes from the hue towards white.
    left, right
        Fixed colours for the left / right side of everybody (the gait-lab convention); None
        derives them from each person's hue.

    Examples
    --------
    >>> import posekit as pk
    >>> scheme = pk.plot.ColourScheme()
    >>> scheme.rgb(0), scheme.rgb(0, "left"), scheme.rgb(0, "right")
    ((31, 119, 180), (19, 71, 108), (154, 194, 221))
    """

    hues: tuple[tuple[int, int, int], ...] = TAB10
    left_shade: float = 0.4
    right_tint: float = 0.55
    left: tuple[int, int, int] | None = None
    right: tuple[int, int, int] | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def people(self) -> tuple[tuple[int, int, int], ...]:
        """The hues (the old name of :attr:`hues`)."""
        return self.hues

    @classmethod
    def gait_lab(cls) -> ColourScheme:
        """Left vermillion, right blue (Okabe–Ito, colour-blind safe) for every person.

        Returns
        -------
        ColourScheme
            People differ by their middle colour (and the id labels) only.

        Examples
        --------
        >>> import posekit as pk
        >>> lab = pk.plot.ColourScheme.gait_lab()
        >>> lab.rgb(0, "left") == lab.rgb(3, "left") == (213, 94, 0)
        True
        """
        return cls(left=(213, 94, 0), right=(0, 114, 178))

    def rgb(self, object_id: int, side: Side = "centre") -> tuple[int, int, int]:
        """0–255 RGB of one person's side.

        Parameters
        ----------
        object_id
            The person (hues cycle through :attr:`people`).
        side
            ``"left"``, ``"right"`` or ``"centre"``.

        Returns
        -------
        tuple of int
            ``(r, g, b)``, each 0–255.

        Examples
        --------
        >>> import posekit as pk
        >>> pk.plot.ColourScheme().rgb(10) == pk.plot.ColourScheme().rgb(0)
        True
        """
        key = (int(object_id), side)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        hue = self.hues[int(object_id) % len(self.hues)]
        if side == "left":
            out = self.left if self.left is not None else _mix(hue, (0, 0, 0), self.left_shade)
        elif side == "right":
            out = (
                self.right
                if self.right is not None
                else _mix(hue, (255, 255, 255), self.right_tint)
            )
        elif side == "centre":
            out = (int(hue[0]), int(hue[1]), int(hue[2]))
        else:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        self._cache[key] = out
        return out  # type: ignore[return-value]

    def color(self, object_id: int, side: Side = "centre") -> tuple[float, float, float]:
        """matplotlib 0–1 RGB of one person's side.

        Parameters
        ----------
        object_id
            The person.
        side
            ``"left"``, ``"right"`` or ``"centre"``.

        Returns
        -------
        tuple of float
            ``(r, g, b)``, each 0–1.

        Examples
        --------
        >>> import posekit as pk
        >>> pk.plot.ColourScheme().color(1)[0]
        1.0
        """
        r, g, b = self.rgb(object_id, side)
        return (r / 255, g / 255, b / 255)

    def sides_rgb(self, object_id: int) -> np.ndarray:
        """``(3, 3)`` uint8: the left, right and middle colours of one person (rows in SIDES order).

        Parameters
        ----------
        object_id
            The person.

        Returns
        -------
        ndarray
            Rows left, right, centre; columns r, g, b.

        Examples
        --------
        >>> import posekit as pk
        >>> pk.plot.ColourScheme().sides_rgb(0)[2].tolist()
        [31, 119, 180]
        """
        return np.array([self.rgb(object_id, s) for s in SIDES], dtype=np.uint8)


ColourScheme.__init__ = renamed(people="hues")(ColourScheme.__init__)  # type: ignore[method-assign]

_SCHEME = [ColourScheme()]


def colour_scheme() -> ColourScheme:
    """The scheme in use.

    Returns
    -------
    ColourScheme
        The one :func:`set_colour_scheme` set last (the default at first).

    Examples
    --------
    >>> import posekit as pk
    >>> isinstance(pk.plot.colour_scheme(), pk.plot.ColourScheme)
    True
    """
    return _SCHEME[0]


def set_colour_scheme(scheme: ColourScheme | None = None) -> ColourScheme:
    """Use ``scheme`` in every picture drawn from now on.

    Parameters
    ----------
    scheme
        The scheme; None goes back to the default.

    Returns
    -------
    ColourScheme
        The previous scheme (to put it back).

    Examples
    --------
    >>> import posekit as pk
    >>> old = pk.plot.set_colour_scheme(pk.plot.ColourScheme.gait_lab())
    >>> pk.plot.colour_scheme().rgb(0, "right")
    (0, 114, 178)
    >>> _ = pk.plot.set_colour_scheme(old)
    """
    if scheme is not None and not isinstance(scheme, ColourScheme):
        raise TypeError(f"expected a ColourScheme, got {type(scheme).__name__}")
    old = _SCHEME[0]
    _SCHEME[0] = scheme if scheme is not None else ColourScheme()
    return old


@lru_cache(maxsize=1)
def joint_sides() -> np.ndarray:
    """``(17,)`` int: 0 left, 1 right, 2 middle (index into SIDES) for each COCO joint."""
    out = np.array(
        [0 if j.startswith("left_") else 1 if j.startswith("right_") else 2 for j in JOINTS],
        dtype=np.int64,
    )
    out.flags.writeable = False
    return out


def pair_sides(pairs: np.ndarray) -> np.ndarray:
    """The side of each bone (0-based joint pairs), as an index into SIDES.

    Both ends on one side, or one end in the middle (nose–eye): that side; left to right
    (shoulder and hip bars): the middle.
    """
    js = joint_sides()
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    a, b = js[pairs[:, 0]], js[pairs[:, 1]]
    out = np.where(a == b, a, 2)
    out = np.where((a == 2) & (b != 2), b, out)
    out = np.where((b == 2) & (a != 2), a, out)
    return out
