"""The Study class and load_study (see the package docstring)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from posekit.errors import StudyWarning
from posekit.study._parquet import write_table
from posekit.study._paths import paths_from
from posekit.study._run import (
    Input,
    Outcome,
    auto_batch,
    combine_outcomes,
    default_workers,
    read_clip,
    run_dask,
    run_local,
    run_serial,
)
from posekit.study._summary import summarize


def clip_info(result: Any) -> dict[str, Any]:
    """The clip table's row for one result: fps, frames, duration, size, people, detection rate.

    Parameters
    ----------
    result
        One clip's :class:`~posekit.PoseResult`.

    Returns
    -------
    dict
        ``fps``, ``frames``, ``duration_s``, ``width``, ``height``, ``people`` (tracks),
        ``detection_rate``, ``source``, ``kind`` and ``job_id``: the columns of
        :attr:`Study.clips`.

    Examples
    --------
    >>> import posekit as pk
    >>> from posekit.study import clip_info
    >>> info = clip_info(pk.synth.generate("walk", duration_s=2, n_people=2).result)
    >>> info["fps"], info["frames"], info["duration_s"], info["people"], info["width"]
    (30.0, 60, 2.0, 2, 1280)
    """
    from posekit.summary import summarize as info

    s = info(result)
    return {
        "fps": s["fps"],
        "frames": s["frames"],
        "duration_s": s["duration_s"],
        "width": s["width"],
        "height": s["height"],
        "people": len(s["people"]),
        "detection_rate": s["detection_rate"],
        "source": s["source"],
        "kind": s["kind"],
        "job_id": s["job_id"],
    }


@dataclass
class Study:
    """Clips by key. Build one with :func:`load_study`.

    Parameters
    ----------
    paths
        File (or folder) paths, indexed by the clip keys (one index level per key).
    reader
        How a path is read: ``"auto"``, ``"kakao"``, ``"openpose"``, ``"coco"`` or a function
        ``path -> PoseResult`` (see :func:`load_study`).

    Examples
    --------
    >>> import pandas as pd
    >>> from posekit.study import Study
    >>> paths = pd.Series(
    ...     ["a/walk.json", "b/walk.json"], index=pd.Index(["a", "b"], name="subject")
    ... )
    >>> study = Study(paths)
    >>> study, len(study), study.keys
    (Study(2 clips, keys ['subject']), 2, ['subject'])
    """

    paths: pd.Series
    reader: str | Callable[[str], Any] = "auto"
    _clips: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def keys(self) -> list[str]:
        """The names of the key levels (``["subject", "session", "trial"]``)."""
        return [str(n) for n in self.paths.index.names]

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"Study({len(self)} clips, keys {self.keys})"

    def load(self, key: Any):
        """One clip's :class:`~posekit.PoseResult`.

        Parameters
        ----------
        key
            The clip's key (a tuple when the study has several key levels).

        Raises
        ------
        KeyError
            No clip has that key.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> study.load("s1").n_frames
        60
        """
        try:
            path = self.paths.loc[key]
        except KeyError:
            raise KeyError(f"no clip {key!r} in the study (keys {self.keys})") from None
        return read_clip(str(path), self.reader)

    def select(self, mask_or_keys: Any) -> Study:
        """A study of some of the clips.

        Parameters
        ----------
        mask_or_keys
            A boolean mask over :attr:`paths`, a list of keys, or a function of ``paths``
            that returns either.

        Returns
        -------
        Study
            The chosen clips, with their rows of the clip table when it was read.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> study.select(["s2"]).paths.to_dict()
        {'s2': 'squat'}
        >>> len(study.select(lambda paths: paths == "walk"))
        1
        """
        paths = (
            self.paths[mask_or_keys]
            if not callable(mask_or_keys)
            else self.paths[mask_or_keys(self.paths)]
        )
        clips = self._clips.loc[paths.index] if self._clips is not None else None
        return Study(paths, self.reader, clips)

    # -- the clip table -------------------------------------------------------------------
    @property
    def clips(self) -> pd.DataFrame:
        """One row per clip: path, fps, frames, duration, size, people, detection rate, error.

        Read once (in parallel, like :meth:`map`) and kept. A clip that cannot be read has NaN
        figures and its reason in ``error``.
        """
        if self._clips is None:
            self._clips = self.scan()
        return self._clips

    def scan(self, **map_options: Any) -> pd.DataFrame:
        """Read every clip's metadata again (see :attr:`clips`).

        Parameters
        ----------
        **map_options
            ``workers``, ``client``, ``batch_size``, ``progress``, ``errors``: as for
            :meth:`map`.

        Returns
        -------
        DataFrame
            The clip table, also kept as :attr:`clips`.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> study.scan(workers=1)[["path", "fps", "frames", "people"]]  # doctest: +NORMALIZE_WHITESPACE
                  path   fps  frames  people
        subject
        s1        walk  30.0      60       1
        s2       squat  30.0      60       1
        """
        outcomes = self._outcomes(clip_info, input="result", **map_options)
        self._clips = self._clip_table(outcomes)
        return self._clips

    def _clip_table(self, outcomes: list[Outcome]) -> pd.DataFrame:
        info = combine_outcomes(outcomes, self.paths.index).reindex(self.paths.index)
        out = pd.concat([self.paths, info.drop(columns=["error"], errors="ignore")], axis=1)
        out["error"] = info["error"] if "error" in info else None
        return out

    # -- tables ---------------------------------------------------------------------------
    def keypoints(self, *, min_score: float | None = None, **map_options: Any) -> pd.DataFrame:
        """Every clip's keypoints as one table indexed ``(keys..., frame, object_id, joint)``.

        This holds the whole study in memory; for large studies use :meth:`map` or
        :meth:`summary`, which stream clips through the workers. Clips that fail to load are
        left out and listed in ``attrs["errors"]`` (with a :class:`StudyWarning`).

        Parameters
        ----------
        min_score
            Keypoints scored below it are left out (see :meth:`posekit.PoseResult.keypoints`).
        **map_options
            ``workers``, ``client``, ``batch_size``, ``progress``, ``errors``: as for
            :meth:`map`.

        Returns
        -------
        DataFrame
            ``x``, ``y``, ``score`` (and ``time``) indexed by the clip keys, ``frame``,
            ``object_id`` and ``joint``; ``attrs["clips"]`` is the clip table.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> kp = study.keypoints(workers=1)
        >>> list(kp.index.names), len(kp) == 2 * 60 * 17
        (['subject', 'frame', 'object_id', 'joint'], True)
        >>> float(kp.attrs["clips"].loc["s1", "fps"])
        30.0
        """
        # each clip is read once: its keypoints and its row of the clip table come back together
        both = self._outcomes(_KeypointsAndInfo(min_score), input="result", **map_options)
        if self._clips is None:
            self._clips = self._clip_table([(k, ok, v[1] if ok else v) for k, ok, v in both])
        out = self._combine([(k, ok, v[0] if ok else v) for k, ok, v in both])
        errors = out.attrs.get("errors")
        out.attrs = {"clips": self._clips, "history": [], "errors": errors}
        return out

    def summary(self, **options: Any) -> pd.DataFrame:
        """:func:`summarize` of every clip: one row per clip and person, in parallel.

        Options go to :func:`summarize` except ``workers``, ``client``, ``progress`` and
        ``batch_size``, which go to :meth:`map`.

        Parameters
        ----------
        **options
            :func:`summarize`'s (``min_score``, ``cutoff_hz``, ``angles`` ...) and
            :meth:`map`'s ``workers``, ``client``, ``progress``, ``batch_size``.

        Returns
        -------
        DataFrame
            One row per clip and person, indexed by the clip keys and ``object_id``; a clip
            that failed has one row with ``object_id`` <NA> and its ``error``, a clip where
            nobody was found one row with ``object_id`` <NA>, NaN figures and ``notes``
            saying so.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> table = study.summary(workers=1, angles=["left_knee"])
        >>> table.index.tolist(), table["frames"].tolist()
        ([('s1', 0), ('s2', 0)], [60, 60])
        >>> bool(table.loc[("s1", 0), "n_steps"] > 0), bool(table["error"].isna().all())
        (True, True)
        """
        run = {
            k: options.pop(k)
            for k in ("workers", "client", "progress", "batch_size")
            if k in options
        }
        func = _Partial(summarize, options)
        return self._with_error_rows(self.map(func, **run))

    def _with_error_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """A per-person table plus one row per failed clip (``object_id`` <NA>, ``error`` set).

        ``object_id`` becomes a nullable integer level so that a failed clip has a row too; the
        ``error`` column is None on the others.
        """
        errors = table.attrs.get("errors")
        attrs = table.attrs
        names = [*self.keys, "object_id"]
        if len(table) and list(table.index.names) == names:
            idx = table.index
            table = table.copy()
            table.index = idx.set_levels(idx.levels[-1].astype("Int64"), level=-1)
        else:  # every clip failed
            table = pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=names))
        table["error"] = pd.Series(None, index=table.index, dtype=object)

        def key(k: Any) -> tuple:
            return k if isinstance(k, tuple) else (k,)

        clips = [key(k) for k in self.paths.index]  # study order
        failed = (
            {key(k): e for k, e in zip(errors.index, errors["error"], strict=True)}
            if errors is not None
            else {}
        )
        present = {tuple(k[:-1]) for k in table.index}
        # one row, object_id <NA>, for each clip without people: its error, or (read and
        # summarised, nobody in it) a note saying so
        empty = [k for k in clips if k not in present]
        if empty:
            more = pd.DataFrame(
                {
                    "error": [failed.get(k) for k in empty],
                    "notes": [
                        float("nan") if k in failed else "nobody was found in the clip"
                        for k in empty
                    ],
                },
                index=pd.MultiIndex.from_tuples([(*k, pd.NA) for k in empty], names=names),
            )
            more.index = more.index.set_levels(more.index.levels[-1].astype("Int64"), level=-1)
            if all(k in failed for k in empty):
                more = more.drop(columns="notes")  # failures alone add no notes column
            table = pd.concat([table, more])
            table["error"] = table["error"].astype(object).where(table["error"].notna(), None)
            # back in study order, each clip's people together
            order = {k: i for i, k in enumerate(clips)}
            pos = [order[tuple(k[:-1])] for k in table.index]
            table = table.iloc[sorted(range(len(table)), key=lambda i: pos[i])]
        table.attrs = attrs
        return table

    # -- running work ---------------------------------------------------------------------
    def map(
        self,
        func: Callable[[Any], Any],
        /,
        *,
        input: Input = "keypoints",
        min_score: float | None = None,
        workers: int | None = None,
        client: Any = None,
        batch_size: int | None = None,
        progress: bool | None = None,
        errors: str = "keep",
    ) -> pd.DataFrame | pd.Series:
        """Run ``func`` on every clip, in parallel; one failed clip never stops the study.

        Parameters
        ----------
        func
            Called with one clip: its keypoints table (``input="keypoints"``, with ``attrs``),
            its :class:`~posekit.PoseResult` (``"result"``) or its path (``"path"``). Functions
            defined in a notebook work too (sent with cloudpickle when it is installed).
        workers
            Local processes; default: one per CPU. ``workers=1`` runs in this process.
        client
            A ``distributed.Client`` (e.g. on a ``LocalCluster``) or a scheduler address
            (``"tcp://10.0.0.5:8786"``): run on that Dask cluster instead. Clips are read on the
            workers, so every worker must see the paths.
        batch_size
            Clips per task (default: enough tasks for 8 per worker, at most 16 clips each).
        progress
            A progress bar; default: when the output is a terminal or notebook.
        errors
            ``"keep"``: failed clips are listed in ``attrs["errors"]`` (key, error, traceback),
            as ``error`` rows when ``func`` returns dicts, and a :class:`StudyWarning` says how
            many; ``"raise"``: raise the first error (a ``RuntimeError`` naming the clip).

        Returns
        -------
        DataFrame or Series
            ``func``'s tables with the clip keys in front; dicts as one row per clip; numbers
            as a Series by clip.

        Examples
        --------
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)

        How far the nose travels across the picture: the walker crosses it, the squatter
        stays in place.

        >>> import numpy as np
        >>> nose_x = lambda kp: float(np.ptp(kp.xs("nose", level="joint")["x"]))
        >>> study.map(nose_x, workers=1).round().to_dict()
        {'s1': 498.0, 's2': 0.0}

        A function that returns a dict gives one row per clip:

        >>> rows = study.map(lambda res: {"n_frames": res.n_frames}, input="result", workers=1)
        >>> rows  # doctest: +NORMALIZE_WHITESPACE
                 n_frames error
        subject
        s1             60   NaN
        s2             60   NaN
        """
        outcomes = self._outcomes(
            func, input=input, min_score=min_score, workers=workers, client=client,
            batch_size=batch_size, progress=progress, errors=errors,
        )  # fmt: skip
        return self._combine(outcomes)

    def _outcomes(
        self,
        func: Callable[[Any], Any],
        *,
        input: Input = "keypoints",
        min_score: float | None = None,
        workers: int | None = None,
        client: Any = None,
        batch_size: int | None = None,
        progress: bool | None = None,
        errors: str = "keep",
    ) -> list[Outcome]:
        """``(key, ok, value or error)`` of every clip, run as :meth:`map` says."""
        items = [(k, str(p)) for k, p in zip(self.paths.index, self.paths.to_numpy(), strict=True)]
        desc = getattr(func, "__name__", type(func).__name__)
        if client is not None:
            n = _dask_workers(client)
            size = batch_size or auto_batch(len(items), n)
            outcomes = run_dask(
                func, self.reader, items, input, min_score, progress, desc, client, size
            )
        else:
            w = workers or default_workers()
            size = batch_size or auto_batch(len(items), w)
            if w == 1:
                outcomes = run_serial(func, self.reader, items, input, min_score, progress, desc)
            else:
                outcomes = run_local(
                    func, self.reader, items, input, min_score, progress, desc, w, size
                )
        collected = []
        for key, ok, value in outcomes:
            if not ok and errors == "raise":
                raise RuntimeError(f"clip {key!r} ({self.paths.loc[key]}): {value['error']}")
            collected.append((key, ok, value))
        return collected

    def _combine(self, outcomes: list[Outcome]) -> pd.DataFrame | pd.Series:
        """:meth:`map`'s result from the outcomes, with a warning when clips failed."""
        out = combine_outcomes(outcomes, self.paths.index)
        n_bad = len(out.attrs["errors"])
        if n_bad:
            first = out.attrs["errors"].iloc[0]
            warnings.warn(
                f"{n_bad} of {len(outcomes)} clips failed (first: "
                f"{out.attrs['errors'].index[0]!r}: {first['error']}); see result.attrs['errors']",
                StudyWarning,
                stacklevel=3,
            )
        return out

    def to_parquet(
        self,
        path: str | os.PathLike[str],
        *,
        partition_on: Iterable[str] | None = None,
        **map_options: Any,
    ) -> None:
        """Write every clip's keypoints as a partitioned Parquet dataset (see :func:`write_table`).

        Parameters
        ----------
        path
            The dataset's folder.
        partition_on
            Key levels to partition on (one folder per value); default: every key level.
        **map_options
            As for :meth:`keypoints` (``min_score``, ``workers`` ...).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from posekit.study import read_table
        >>> import posekit as pk
        >>> from posekit.study import load_study
        >>> def synth(activity):  # a reader: a synthetic clip instead of a file
        ...     return pk.synth.generate(activity, duration_s=2).result
        >>> study = load_study({"s1": "walk", "s2": "squat"}, names=["subject"], reader=synth)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     study.to_parquet(pathlib.Path(tmp) / "kp", workers=1)
        ...     back = read_table(pathlib.Path(tmp) / "kp")
        >>> back.index.names[0], len(back)
        ('subject', 2040)
        """
        write_table(self.keypoints(**map_options), path, partition_on=partition_on)


@dataclass
class _Partial:
    """A picklable ``func(x, **options)`` with a useful name for the progress bar."""

    func: Callable[..., Any]
    options: Mapping[str, Any]

    @property
    def __name__(self) -> str:
        return self.func.__name__

    def __call__(self, x: Any) -> Any:
        return self.func(x, **self.options)


@dataclass
class _KeypointsAndInfo:
    """One read of a clip: its keypoints table and its row of the clip table."""

    min_score: float | None

    __name__ = "keypoints"

    def __call__(self, result: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
        return result.keypoints(min_score=self.min_score), clip_info(result)


def _dask_workers(client: Any) -> int:
    info = getattr(client, "scheduler_info", None)
    try:
        return max(1, len(info()["workers"])) if info else 2
    except Exception:
        return 2


def load_study(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[Any, Any],
    /,
    *,
    names: list[str] | None = None,
    reader: str | Callable[[str], Any] = "auto",
) -> Study:
    """A study from a filename pattern, a list of paths or a ``{key: path}`` mapping.

    Parameters
    ----------
    source
        * a pattern with keys in braces: ``"data/{subject}/{session}_{trial}.json"`` (globbed;
          each key matches within one path component);
        * a plain glob (``"results/*.json"``, key ``clip`` = the file's stem), a file or folder;
        * a list of paths (key ``clip`` = stem);
        * a mapping ``{key: path}``; tuple keys give several levels, named by ``names``.
    reader
        ``"auto"`` (folders are OpenPose output, files Kakao JSON), ``"kakao"``, ``"openpose"``,
        ``"coco"``, or a function ``path -> PoseResult``.

    Raises
    ------
    FileNotFoundError
        The pattern matches nothing.
    ValueError
        A file name the pattern's keys cannot be parsed from (named), or two files for one key.

    Notes
    -----
    Nothing is read here; :attr:`Study.clips` reads each clip's metadata (in parallel) when
    first asked for.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import posekit as pk
    >>> from posekit.study import load_study
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for subject in ("s01", "s02"):
    ...         for trial in (1, 2):
    ...             clip = pk.synth.generate("walk", duration_s=1, seed=trial)
    ...             clip.save(pathlib.Path(tmp) / f"{subject}_walk{trial}.json")
    ...     study = load_study(pathlib.Path(tmp, "{subject}_{trial}.json").as_posix())
    ...     frames = study.scan(workers=1)["frames"]
    >>> study
    Study(4 clips, keys ['subject', 'trial'])
    >>> frames.xs("s02").to_dict()
    {'walk1': 30, 'walk2': 30}
    """
    return Study(paths_from(source, names=names), reader)
