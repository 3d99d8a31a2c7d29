"""Many clips as one study: a clip table, one keypoints table, per-clip work in parallel or on Dask.

An outline (not run as a doctest: it needs a folder of results)::

    import posekit as pk
    study = pk.load_study("data/{subject}/{session}_{trial}.json")
    study.clips                      # one row per clip: keys, path, fps, frames, size, people ...
    kp = study.keypoints()           # index (subject, session, trial, frame, object_id, joint)
    pk.angles.joint_angles(kp)       # every analysis function takes the extra leading levels
    study.summary()                  # one row per clip and person, clips streamed through workers
    study.map(my_function)           # any per-clip function; client=Client(...) for Dask

A clip's metadata (fps, size) is kept in the clip table, which the study's tables carry as
``attrs["clips"]``; the ``time`` column (frame / fps) carries fps through ``pd.concat`` too.
"""

from __future__ import annotations

from posekit.study._batch import estimate_videos, study_report
from posekit.study._parquet import read_table, write_table
from posekit.study._study import Study, StudyWarning, clip_info, load_study
from posekit.study._summary import SUMMARY_ANGLES, summarize

__all__ = [
    "SUMMARY_ANGLES",
    "Study",
    "StudyWarning",
    "clip_info",
    "estimate_videos",
    "load_study",
    "read_table",
    "study_report",
    "summarize",
    "write_table",
]
