"""Real demo videos, fetched from the package registry (BSD-3-Clause sources).

The videos ship inside two wheels on PyPI: ``sports2d==0.8.34`` (two people walking in profile)
and ``pose2sim==0.10.49`` (one participant on a force plate filmed by several cameras).
:func:`fetch_demo_video` downloads the wheel with pip (without installing it), copies the video
out, checks its sha256 and keeps it in ``$POSEKIT_CACHE/media`` (``~/.cache/posekit/media``).
That is the only download route; nothing else is fetched.

>>> from posekit.media import fetch_demo_video
>>> path = fetch_demo_video("sports2d_demo")                    # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from posekit._registry import cache_root, extract_members, sha256_of

__all__ = ["DEMO_VIDEOS", "DemoVideo", "fetch_demo_video"]


@dataclass(frozen=True)
class DemoVideo:
    """A demo video inside a wheel on PyPI: its member path, checksum and attribution.

    Parameters
    ----------
    wheel
        The pip requirement of the wheel that holds the video (``"sports2d==0.8.34"``).
    member
        The video's path inside the wheel.
    sha256
        The video file's expected sha256 (hex).
    attribution
        Who made the video, and its licence.

    Examples
    --------
    >>> from posekit.media import DEMO_VIDEOS
    >>> video = DEMO_VIDEOS["sports2d_demo"]
    >>> video.wheel, video.member
    ('sports2d==0.8.34', 'Sports2D/Demo/demo.mp4')
    """

    wheel: str
    member: str
    sha256: str
    attribution: str


_P2S = "pose2sim==0.10.49"
_P2S_ATTR = "Pose2Sim demo (David Pagnon et al., github.com/perfanalytics/pose2sim), BSD-3-Clause"

#: name -> where the video is and its sha256.
DEMO_VIDEOS: dict[str, DemoVideo] = {
    "sports2d_demo": DemoVideo(
        "sports2d==0.8.34",
        "Sports2D/Demo/demo.mp4",
        "d9a66417185647b112304b57093f0c180f37a768e6a14daca75ca541f3b78039",
        "Sports2D demo (David Pagnon, github.com/davidpagnon/Sports2D), BSD-3-Clause",
    ),
    "pose2sim_s01_cam01": DemoVideo(
        _P2S,
        "Pose2Sim/Demo_SinglePerson/videos/cam01.mp4",
        "cf4f2816c86bea4bfbea255333d8626ff32a3ecabdab8b0fb147cea9167fde3a",
        _P2S_ATTR,
    ),
    "pose2sim_s01_cam02": DemoVideo(
        _P2S,
        "Pose2Sim/Demo_SinglePerson/videos/cam02.mp4",
        "94ff87cf978b8406e8aa36ab3c5362e72848994e87652f0dc7a33c315e8e0442",
        _P2S_ATTR,
    ),
    # the same trial filmed from behind (OpenPose reference in tests/data, issue 11)
    "pose2sim_s01_cam03": DemoVideo(
        _P2S,
        "Pose2Sim/Demo_SinglePerson/videos/cam03.mp4",
        "b8b329f832f178f27ecb78d024d5026b96c6adb36c387bfe2c0af85eab8a11ca",
        _P2S_ATTR,
    ),
    # the fourth camera of that trial (no reference: judged by eye, issue 11)
    "pose2sim_s01_cam04": DemoVideo(
        _P2S,
        "Pose2Sim/Demo_SinglePerson/videos/cam04.mp4",
        "b5c0e7863fd70d008e7178d3c556b045b0ea5f78fcd61ca548a0b2e807e641f7",
        _P2S_ATTR,
    ),
    # a room with three people (cam01, cam02) or two (cam03, cam04) and a skeleton model
    **{
        f"pose2sim_multi_cam0{k}": DemoVideo(
            _P2S, f"Pose2Sim/Demo_MultiPerson/videos/cam0{k}.mp4", sha, _P2S_ATTR
        )
        for k, sha in (
            (1, "543cee6a4c2c2b52dc9eac9137ee63d14f1f84e706a9a7264769edcb11e5ea53"),
            (2, "8895092a7cf26359205a427b7ac2f4a935c2e0bd36d9b7a5140cb33faa468a6b"),
            (3, "d3daf48cdf9f5603868ddb99166ddaf9b12279e7ce968922926560d5fd3f0c99"),
            (4, "1490149dc40e7301fa5ceae23862b044ba5c398a8b2a40df21ed894702728c09"),
        )
    },
}


def _media_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else cache_root() / "media"


def fetch_demo_video(
    name: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    wheel: str | os.PathLike[str] | None = None,
) -> Path:
    """The path of a demo video, downloading its wheel with pip the first time.

    Parameters
    ----------
    name
        One of ``"sports2d_demo"`` (VP9, 1768×994, 30 fps, 230 frames, two people),
        ``"pose2sim_s01_cam01"``, ``"pose2sim_s01_cam02"`` (front views), ``"pose2sim_s01_cam03"``
        (the same trial from behind), ``"pose2sim_s01_cam04"`` (its fourth camera; H.264,
        1080×1920, 60 fps, 100 frames),
        ``"pose2sim_multi_cam01"`` … ``"pose2sim_multi_cam04"`` (1088×1920, 60 fps, 100 frames;
        three, three, two and two people).
    cache_dir
        Keep the videos here instead of the default cache folder.
    wheel
        Read this already downloaded wheel instead of calling pip.

    Returns
    -------
    Path
        The verified video file (every video of the same wheel is extracted at once).

    Raises
    ------
    ValueError
        Unknown name.
    posekit._registry.DownloadError, posekit._registry.ChecksumError

    Examples
    --------
    >>> from posekit.media import fetch_demo_video
    >>> path = fetch_demo_video("pose2sim_s01_cam01")  # from the cache after make media
    >>> path.name, path.stat().st_size > 100_000
    ('pose2sim_s01_cam01.mp4', True)
    """
    if name not in DEMO_VIDEOS:
        raise ValueError(f"unknown demo video {name!r}; choose one of {sorted(DEMO_VIDEOS)}")
    folder = _media_dir(cache_dir)
    video = DEMO_VIDEOS[name]
    dest = folder / f"{name}.mp4"
    if dest.is_file() and sha256_of(dest) == video.sha256:
        return dest
    siblings = {
        v.member: (v.sha256, folder / f"{n}.mp4")
        for n, v in DEMO_VIDEOS.items()
        if v.wheel == video.wheel
    }
    extract_members(video.wheel, siblings, wheel=wheel)
    return dest
