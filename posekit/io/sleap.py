"""SLEAP predictions: ``.slp`` label files and analysis ``.h5`` files, read through ``sleap-io``.

``sleap_io.load_file`` opens either; ``Labels.numpy(return_confidence=True)`` gives
``(frames, tracks, nodes, 3)`` (x, y, score) for the first video, frames from 0. Tracks become
people (``object_id`` from a name such as ``track_2`` or ``2``, else the track's position);
a file without tracks holds one untracked instance per frame. Nodes map to COCO joints by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from posekit.errors import PoseFormatError
from posekit.io._arrays import (
    PathLike,
    check_file,
    coco_index,
    need,
    table_from_arrays,
    unique_ids,
)
from posekit.schema import N_JOINTS

__all__ = ["read_sleap"]


def read_sleap(
    path: PathLike,
    /,
    *,
    fps: float | None = None,
    mapping: dict[str, str] | None = None,
    video: int = 0,
) -> pd.DataFrame:
    """Read SLEAP predictions (``.slp`` or analysis ``.h5``) as a keypoints table.

    Parameters
    ----------
    path
        The file.
    fps
        Frame rate, when the file does not say (analysis files and most ``.slp`` do not).
    mapping
        ``{node name: COCO joint name}`` for nodes not spelled like a COCO joint.
    video
        Which of the file's videos.

    Returns
    -------
    DataFrame
        Keypoints table; ``score`` is SLEAP's point score (NaN for user-labelled points, which
        have none); track names are in ``attrs["individuals"]``.

    Examples
    --------
    Three predicted frames written with ``sleap-io``, the skeleton's nodes named as COCO's:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import sleap_io as sio
    >>> import posekit as pk
    >>> from posekit.schema import JOINTS
    >>> skeleton = sio.Skeleton(nodes=list(JOINTS))
    >>> video = sio.Video(filename="clip.mp4")
    >>> frames = [
    ...     sio.LabeledFrame(video=video, frame_idx=i, instances=[sio.PredictedInstance.from_numpy(
    ...         points_data=np.column_stack([np.arange(17) * 10.0 + i, np.full(17, 50.0)]),
    ...         point_scores=np.full(17, 0.5), score=1.0, skeleton=skeleton)])
    ...     for i in range(3)]
    >>> labels = sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sio.save_file(labels, str(Path(tmp) / "clip.slp"))
    ...     kp = pk.io.read_sleap(Path(tmp) / "clip.slp", fps=30)
    >>> kp.xs("nose", level="joint")["x"].tolist(), kp["score"].unique().tolist()
    ([0.0, 1.0, 2.0], [0.5])
    """
    sio = need("sleap_io", "SLEAP")
    path = check_file(path, "SLEAP")
    where = str(path)
    try:
        labels = sio.load_file(str(path))
    except Exception as exc:  # sleap-io raises KeyError/OSError/ValueError by format
        raise PoseFormatError(f"{where}: not a SLEAP .slp or analysis .h5 file ({exc})") from None
    if not labels.videos or not labels.skeletons:
        raise PoseFormatError(f"{where}: holds no video or no skeleton")
    if len(labels.skeletons) > 1:
        raise PoseFormatError(
            f"{where}: holds {len(labels.skeletons)} skeletons; posekit reads one"
        )
    if video >= len(labels.videos):
        raise ValueError(f"{where}: video {video} asked, the file has {len(labels.videos)}")
    untracked = not labels.tracks
    arr = np.asarray(
        labels.numpy(video=video, untracked=untracked, return_confidence=True), dtype=np.float64
    )
    if untracked and arr.shape[1] > 1:
        raise PoseFormatError(
            f"{where}: frames hold several untracked instances; track them in SLEAP first"
        )
    names = list(labels.skeletons[0].node_names)
    index, extra = coco_index(names, mapping=mapping, where=where, field_name="nodes")
    n_f, n_o = arr.shape[:2]
    xy = np.full((n_f, n_o, N_JOINTS, 2), np.nan)
    score = np.full((n_f, n_o, N_JOINTS), np.nan)
    for k, j in enumerate(index):
        if j >= 0:
            xy[:, :, j] = arr[:, :, k, :2]
            score[:, :, j] = arr[:, :, k, 2]
    score[~np.isfinite(xy).all(axis=-1)] = np.nan
    track_names = [t.name for t in labels.tracks] if not untracked else ["0"]
    vid = labels.videos[video]
    shape = getattr(vid, "shape", None) if getattr(vid, "exists", lambda: False)() else None
    height, width = (shape[1], shape[2]) if shape is not None and len(shape) >= 3 else (None, None)
    return table_from_arrays(
        np.arange(n_f), unique_ids(track_names), xy, score, fps=fps, width=width,
        height=height, source=where, step=f"read_sleap({Path(path).name!r})",
        extra_attrs={
            "individuals": track_names,
            **({"extra_keypoints": extra} if extra else {}),
        },
    )  # fmt: skip
