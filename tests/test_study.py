"""Studies: keys from paths, the clip table, map on processes and on a real Dask LocalCluster,
summaries, bad input, and Parquet/CSV storage that reads back with index and attrs."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.study import StudyWarning

FPS = {"t0": 30.0, "t1": 25.0}
DURATION = 6.0


@pytest.fixture(scope="module")
def dask_client():
    """A real scheduler and two worker processes on this machine."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    for g, activity in (("a", "walk"), ("b", "squat")):
        for s in range(2):
            for t, trial in enumerate(FPS):
                sim = pk.synth.generate(
                    activity, duration_s=DURATION, fps=FPS[trial], n_people=1 + t, seed=10 * s + t,
                    noise_px=1.0, dropout=0.02,
                )  # fmt: skip
                (root / f"{g}{s}").mkdir(exist_ok=True)
                pk.save(sim.result, root / f"{g}{s}" / f"sess1_{trial}.json")
    return root


@pytest.fixture(scope="module")
def study(study_dir):
    return pk.load_study(str(study_dir / "{subject}/{session}_{trial}.json"))


def n_people(kp: pd.DataFrame) -> int:
    return kp.index.get_level_values("object_id").nunique()


# -- module-level functions: they travel to worker processes by reference
def n_rows(kp: pd.DataFrame) -> dict:
    return {"rows": len(kp), "fps": kp.attrs["fps"]}


def knee_rom(kp: pd.DataFrame) -> pd.DataFrame:
    return pk.metrics.range_of_motion(pk.angles.joint_angles(kp, names=["left_knee"]))


def fails_on_b1(kp: pd.DataFrame) -> dict:
    if "b1" in kp.attrs["source"]:
        raise RuntimeError("boom")
    return {"rows": len(kp)}


def dies_on_a0_t1(kp: pd.DataFrame) -> dict:
    if kp.attrs["source"].endswith(os.path.join("a0", "sess1_t1.json")):
        os._exit(3)  # a worker that dies mid-study
    return {"rows": len(kp)}


def test_keys_from_pattern(study, study_dir):
    assert study.keys == ["subject", "session", "trial"]
    assert len(study) == 8
    assert study.paths.loc[("b1", "sess1", "t0")] == str(study_dir / "b1" / "sess1_t0.json")


def test_clip_table(study):
    clips = study.clips
    assert list(clips.index.names) == ["subject", "session", "trial"]
    assert clips.loc[("a0", "sess1", "t0"), "fps"] == 30.0
    assert clips.loc[("a0", "sess1", "t1"), "fps"] == 25.0
    assert clips.loc[("a0", "sess1", "t1"), "frames"] == 150
    assert clips.loc[("b1", "sess1", "t1"), "people"] == 2
    assert clips.loc[("b1", "sess1", "t0"), "width"] == 1280
    assert clips["detection_rate"].between(0.9, 1.0).all()
    assert clips["error"].isna().all()


def test_keypoints_table_keeps_each_clips_fps(study):
    kp = study.keypoints(workers=1)
    assert list(kp.index.names) == ["subject", "session", "trial", "frame", "object_id", "joint"]
    assert isinstance(kp.index.get_level_values("joint").dtype, pd.CategoricalDtype)
    one = study.load(("b0", "sess1", "t1")).keypoints()
    pd.testing.assert_frame_equal(kp.loc[("b0", "sess1", "t1")], one, check_like=False)
    # fps is per clip: velocities of the 25 fps clip equal its own, not a 30 fps guess
    v = pk.kinematics.velocity(kp)
    np.testing.assert_allclose(
        v.xs(("b0", "sess1", "t1"), level=[0, 1, 2])["vx"], pk.kinematics.velocity(one)["vx"]
    )


def test_map_same_on_every_backend(study, dask_client):
    serial = study.map(knee_rom, workers=1)
    pool = study.map(knee_rom, workers=2, batch_size=3)
    dask = study.map(knee_rom, client=dask_client)
    pd.testing.assert_frame_equal(serial, pool)
    pd.testing.assert_frame_equal(serial, dask)
    assert list(serial.index.names) == ["subject", "session", "trial", "object_id", "angle"]
    rows = study.map(n_rows, workers=2)
    assert rows.loc[("a1", "sess1", "t1"), "fps"] == 25.0
    assert rows.attrs["errors"].empty


def test_map_takes_lambdas(study):
    out = study.map(lambda kp: n_people(kp), workers=2)  # cloudpickle carries it
    assert out.loc[("b0", "sess1", "t1")] == 2.0


def test_failed_clip_is_an_error_row(study, dask_client):
    for kw in ({"workers": 1}, {"workers": 2}, {"client": dask_client}):
        with pytest.warns(StudyWarning, match="2 of 8 clips failed"):
            out = study.map(fails_on_b1, **kw)
        assert len(out) == 8
        bad = out["error"].dropna()
        assert sorted(k[0] for k in bad.index) == ["b1", "b1"]
        assert bad.str.contains("RuntimeError: boom").all()
        assert out["rows"].notna().sum() == 6
        assert "Traceback" in out.attrs["errors"]["traceback"].iloc[0]
    with pytest.raises(RuntimeError, match="b1"):
        study.map(fails_on_b1, workers=1, errors="raise")


def test_dead_worker_is_reported_not_lost(study):
    with pytest.warns(StudyWarning, match="1 of 8"):
        out = study.map(dies_on_a0_t1, workers=2, batch_size=4)
    assert out["rows"].notna().sum() == 7  # the dead worker's batch mates were retried
    assert "WorkerDied" in out.loc[("a0", "sess1", "t1"), "error"]


def test_summary(study, dask_client):
    s = study.summary(workers=2)
    assert list(s.index.names) == ["subject", "session", "trial", "object_id"]
    assert len(s) == 12  # t1 clips have two people
    walk = s.loc["a0"]
    squat = s.loc["b0"]
    # walkers step at synth's default 1.8 Hz -> 108 steps/min; squatters do not walk
    assert walk["cadence_spm"].between(100, 116).all()
    want = pk.synth.generate("squat", duration_s=DURATION, fps=30.0, seed=0).params["n_reps"]
    assert squat["reps"].xs("t0", level="trial").iloc[0] == want
    assert (s["detection_rate"] > 0.9).all()
    assert s["left_knee_rom_deg"].notna().all()
    pd.testing.assert_frame_equal(s, study.summary(client=dask_client))
    # the same function on the whole study table gives the same rows
    direct = pk.study.summarize(study.keypoints(workers=1))
    assert s["error"].isna().all()  # no clip failed
    assert s.index.get_level_values("object_id").dtype == "Int64"  # room for failed clips' <NA>
    pd.testing.assert_frame_equal(
        s.drop(columns="error"), direct, check_like=True, check_dtype=False, check_index_type=False
    )


def test_bad_input(tmp_path, study_dir, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no file matches"):
        pk.load_study(str(tmp_path / "{subject}/{trial}.json"))
    (tmp_path / "s1").mkdir()
    for name in ("x_1.json", "nounderscore.json"):
        (tmp_path / "s1" / name).write_text("[]")
    with pytest.raises(ValueError, match=r"nounderscore\.json"):
        pk.load_study(str(tmp_path / "{subject}/{session}_{trial}.json"))
    with pytest.raises(ValueError, match="two files for the same key"):
        pk.load_study([tmp_path / "s1" / "x_1.json", tmp_path / "a" / "x_1.json"])
    monkeypatch.setattr("posekit.study._run.CONNECT_TIMEOUT_S", 2.0)  # nothing listens on port 9
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler"):
        pk.load_study([study_dir / "a0" / "sess1_t0.json"]).map(n_rows, client="tcp://127.0.0.1:9")
    # a clip that fails to load stays in the clip table with its reason
    (tmp_path / "s1" / "x_2.json").write_text("{not json")
    st = pk.load_study(
        {"good": study_dir / "a0" / "sess1_t0.json", "bad": tmp_path / "s1" / "x_2.json"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the clip table reports, it does not warn
        clips = st.clips
    assert "PoseFormatError" in clips.loc["bad", "error"]
    assert clips.loc["good", "fps"] == 30.0


def test_mapping_and_list(study_dir):
    st = pk.load_study(
        {
            ("a0", 0): study_dir / "a0" / "sess1_t0.json",
            ("a0", 1): study_dir / "a0" / "sess1_t1.json",
        },
        names=["subject", "trial"],
    )
    assert st.keys == ["subject", "trial"]
    assert st.clips["fps"].tolist() == [30.0, 25.0]
    st = pk.load_study(sorted((study_dir / "b0").glob("*.json")))
    assert list(st.paths.index) == ["sess1_t0", "sess1_t1"]


def test_parquet_dataset_round_trip(study, tmp_path):
    kp = study.keypoints(workers=1)
    out = tmp_path / "kp.parquet.d"
    pk.write_table(kp, out, partition_on=["subject", "trial"])
    assert (out / "subject=a0" / "trial=t1").is_dir()
    back = pk.read_table(out)
    pd.testing.assert_frame_equal(back, kp.sort_index())
    assert back.attrs["clips"].loc[("b1", "sess1", "t1"), "fps"] == 25.0
    pd.testing.assert_frame_equal(
        back.attrs["clips"][["fps", "frames"]],
        kp.attrs["clips"][["fps", "frames"]],
        check_dtype=False,
    )
    # one partition only, and analysis on what comes back
    part = pk.read_table(out, filters=[("subject", "=", "b0")])
    assert set(part.index.get_level_values("subject")) == {"b0"}
    pd.testing.assert_frame_equal(
        pk.angles.joint_angles(part), pk.angles.joint_angles(back).loc[["b0"]]
    )
    # plain readers see a normal hive dataset
    import dask.dataframe as dd
    import pyarrow.dataset as ds

    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(kp)
    ddf = dd.read_parquet(out)
    assert len(ddf) == len(kp)
    assert set(ddf.columns) >= {"x", "y", "score", "frame", "joint", "subject", "trial"}
    # rewriting replaces the dataset as a whole
    pk.write_table(kp.loc[["a0"]], out, partition_on=["subject"])
    assert set(pk.read_table(out).index.get_level_values("subject")) == {"a0"}


def test_csv_round_trip(study, tmp_path):
    kp = study.load(("a1", "sess1", "t1")).keypoints()
    kp = pk.smooth.butterworth(kp, cutoff_hz=6)
    pk.write_table(kp, tmp_path / "kp.csv")
    back = pk.read_table(tmp_path / "kp.csv")
    pd.testing.assert_frame_equal(back, kp)
    assert back.attrs["fps"] == 25.0
    assert back.index.get_level_values("joint").dtype == kp.index.get_level_values("joint").dtype
    assert back.attrs["history"] == kp.attrs["history"]
    assert pd.read_csv(tmp_path / "kp.csv", comment="#").shape[0] == len(kp)


def openpose_60fps(path: str):
    return pk.io.load_openpose(path, fps=60, layout="BODY_25B")


def test_real_openpose_cameras_as_a_study(openpose_dir):
    """Pose2Sim S01's OpenPose folders (real detections, untracked) as a study of cameras."""
    st = pk.load_study(str(openpose_dir / "{camera}"), reader=openpose_60fps)
    st = st.select(st.paths.index.str.startswith("cam"))
    cams = ["cam01", "cam02", "cam03", "cam04"]
    assert list(st.paths.index) == cams
    kp = st.keypoints(workers=2)
    # cam03's and cam04's stray del_*.json files are skipped by the importer (with a warning
    # naming them), so all four cameras load: no error rows
    assert "errors" not in kp.attrs or len(kp.attrs["errors"]) == 0
    assert st.clips.loc[cams, "fps"].tolist() == [60.0] * 4
    assert sorted(kp.index.get_level_values(0).unique()) == cams

    def pipeline(k):
        k = pk.clean.main_person(pk.clean.assign_tracks(pk.clean.mask_low_confidence(k)))
        return pk.angles.joint_angles(pk.smooth.butterworth(pk.clean.interpolate(k), cutoff_hz=6))

    got = pipeline(kp)
    for cam in cams:
        pd.testing.assert_frame_equal(got.loc[cam], pipeline(st.load(cam).keypoints()))
    # the participant's knee moves through a real range on every camera
    rom = pk.metrics.range_of_motion(got)["range"].xs("left_knee", level="angle")
    assert (rom > 20).all(), rom


# -- each clip is read once ------------------------------------------------------------------
class CountingReader:
    """A reader that counts its calls per path (in this process: workers=1)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, path: str):
        self.calls[path] = self.calls.get(path, 0) + 1
        return pk.load(path)


def test_keypoints_reads_each_clip_once(study_dir):
    reader = CountingReader()
    st = pk.load_study(str(study_dir / "{subject}/{session}_{trial}.json"), reader=reader)
    kp = st.keypoints(workers=1)
    assert set(reader.calls.values()) == {1} and len(reader.calls) == 8
    # the clip table came with the same read: asking for it reads nothing more
    assert kp.attrs["clips"].loc[("a0", "sess1", "t1"), "fps"] == 25.0
    assert st.clips["frames"].tolist() == kp.attrs["clips"]["frames"].tolist()
    assert set(reader.calls.values()) == {1}
    pd.testing.assert_frame_equal(
        kp.loc[("a1", "sess1", "t0")], st.load(("a1", "sess1", "t0")).keypoints()
    )


# -- bad input --------------------------------------------------------------------------------
def test_a_clip_that_fails_to_load_is_an_error_row_of_the_summary(tmp_path, study_dir):
    (tmp_path / "broken.json").write_text('{"annotations": [')
    st = pk.load_study(
        {
            "walk": study_dir / "a0" / "sess1_t0.json",
            "broken": tmp_path / "broken.json",
            "squat": study_dir / "b0" / "sess1_t1.json",
        }
    )
    for kw in ({"workers": 1}, {"workers": 2}):
        with pytest.warns(StudyWarning, match="1 of 3 clips failed"):
            s = st.summary(**kw)
        bad = s.xs("broken", level="clip")
        assert len(bad) == 1 and pd.isna(bad.index[0])  # one row, no person
        assert "PoseFormatError" in bad["error"].iloc[0]
        assert list(s.index.get_level_values("clip").unique()) == ["walk", "broken", "squat"]
        assert s.loc[["walk", "squat"], "left_knee_rom_deg"].notna().all()
        assert len(s.loc[["squat"]]) == 2  # two people
        assert list(s.attrs["errors"].index) == ["broken"]
    with pytest.warns(StudyWarning, match="1 of 3"):
        kp = st.keypoints(workers=1)
    assert sorted(kp.index.get_level_values("clip").unique()) == ["squat", "walk"]
    assert list(kp.attrs["errors"].index) == ["broken"]


def test_a_clip_with_nobody_in_it_is_a_row_that_says_so(tmp_path, study_dir):
    # a real job answer whose frames have no objects (what the estimator writes for an empty room)
    walk = pk.load(study_dir / "a0" / "sess1_t0.json")
    empty = walk.keypoints().iloc[:0]
    assert len(pk.study.summarize(empty)) == 0  # one clip: no rows, every column
    assert "left_knee_rom_deg" in pk.study.summarize(empty).columns
    path = tmp_path / "empty.json"
    pk.PoseResult.from_keypoints(empty).save(path)
    st = pk.load_study({"walk": study_dir / "a0" / "sess1_t0.json", "empty": path})
    with warnings.catch_warnings():
        warnings.simplefilter("error", StudyWarning)  # not a failure
        s = st.summary(workers=1)
    row = s.xs("empty", level="clip")
    assert len(row) == 1 and pd.isna(row.index[0])
    assert row["notes"].iloc[0] == "nobody was found in the clip" and row["error"].iloc[0] is None
    assert row["frames"].isna().all() and s.loc[["walk"], "frames"].notna().all()
    assert s.loc[["walk"], "error"].map(lambda e: e is None).all()


def test_pattern_with_wildcards_and_two_files_for_one_key(tmp_path, study_dir):
    src = study_dir / "a0" / "sess1_t0.json"
    for d in ("s1/day1", "s1/day2", "s2/day1"):
        (tmp_path / d).mkdir(parents=True)
    os.link(src, tmp_path / "s1" / "day1" / "t0.json")
    os.link(src, tmp_path / "s2" / "day1" / "t0.json")
    st = pk.load_study(str(tmp_path / "{subject}/*/{trial}.json"))  # any day folder
    assert list(st.paths.index) == [("s1", "t0"), ("s2", "t0")]
    os.link(src, tmp_path / "s1" / "day2" / "t0.json")  # now s1/t0 is there twice
    with pytest.raises(ValueError, match=r"two files for the same key \('s1', 't0'\).*day1.*day2"):
        pk.load_study(str(tmp_path / "{subject}/*/{trial}.json"))
    with pytest.raises(ValueError, match="two files for the same key 't0'"):
        pk.load_study(str(tmp_path / "**/{trial}.json"))  # keys from the file name only
    st = pk.load_study(str(tmp_path / "{subject}/{day}/{trial}.json"))
    assert len(st) == 3


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "tcp://no-such-host.invalid:8786"])
def test_unreachable_scheduler_is_a_quick_clear_error(study_dir, monkeypatch, address):
    pytest.importorskip("distributed")
    monkeypatch.setattr("posekit.study._run.CONNECT_TIMEOUT_S", 2.0)
    st = pk.load_study([study_dir / "a0" / "sess1_t0.json"])
    t0 = time.perf_counter()
    with pytest.raises(ConnectionError, match=f"cannot reach the Dask scheduler at '{address}'"):
        st.map(n_rows, client=address)
    assert time.perf_counter() - t0 < 2.0 + 8.0  # the timeout, plus slack for a loaded machine


# -- a Dask worker that dies mid-study ----------------------------------------------------------
@pytest.fixture(scope="module")
def fragile_client():
    """A LocalCluster of its own (its workers get killed) that gives up on a task after it has
    killed 2 workers (allowed-failures=1; Dask's default 3 makes the test slower, not different)."""
    distributed = pytest.importorskip("distributed")
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def slow_rows(marker: str, kp: pd.DataFrame) -> dict:
    """Says which worker has started (once), then takes its time, so it can be killed mid-clip."""
    if not os.path.exists(marker):
        with open(marker + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.replace(marker + ".tmp", marker)
    time.sleep(0.4)
    return {"rows": len(kp)}


def test_dask_worker_killed_mid_study_is_retried(study, fragile_client, tmp_path):
    marker = str(tmp_path / "started")
    killed: list[int] = []

    def kill_when_started() -> None:
        deadline = time.monotonic() + 120
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(Path(marker).read_text())
        os.kill(pid, signal.SIGKILL)  # the worker process, while it works on a clip
        killed.append(pid)

    pids = set(fragile_client.run(os.getpid).values())
    killer = threading.Thread(target=kill_when_started)
    killer.start()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StudyWarning)  # no clip may fail
        out = study.map(functools.partial(slow_rows, marker), client=fragile_client, batch_size=2)
    killer.join()
    assert killed and killed[0] in pids  # a real worker of the cluster died mid-study
    assert len(out) == 8 and out["rows"].notna().all()
    assert out.attrs["errors"].empty
    want = study.map(n_rows, workers=1)["rows"]
    assert out["rows"].tolist() == want.tolist()


def test_dask_clip_that_kills_every_worker_is_reported(study, fragile_client):
    with pytest.warns(StudyWarning, match="1 of 8"):
        out = study.map(dies_on_a0_t1, client=fragile_client, batch_size=4)
    assert len(out) == 8
    # its batch mates were tried again one by one: only the culprit is an error row
    assert out["rows"].notna().sum() == 7
    assert "KilledWorker" in out.loc[("a0", "sess1", "t1"), "error"]
    assert list(out.attrs["errors"].index) == [("a0", "sess1", "t1")]


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_parquet_dataset_read_by_duckdb_and_polars(study, tmp_path, engine):
    """Optional: neither is in the test extra (DuckDB 69 MB, polars 180 MB installed)."""
    lib = pytest.importorskip(engine)
    kp = study.keypoints(workers=1)
    out = tmp_path / "kp.parquet.d"
    pk.write_table(kp, out, partition_on=["subject", "trial"])
    files = str(out / "**" / "*.parquet")
    if engine == "duckdb":
        got = lib.sql(
            f"SELECT subject, trial, count(*) AS n, avg(x) AS x FROM "
            f"read_parquet('{files}', hive_partitioning = true) GROUP BY subject, trial"
        ).df()
    else:
        got = (
            lib.scan_parquet(files, hive_partitioning=True)
            .group_by("subject", "trial")
            .agg(lib.len().alias("n"), lib.col("x").mean().alias("x"))
            .collect()
            .to_pandas()
        )
    got = got.set_index(["subject", "trial"]).sort_index()
    want = kp.groupby(level=["subject", "trial"]).agg(n=("x", "size"), x=("x", "mean"))
    assert got["n"].tolist() == want["n"].tolist()  # every row, NaN ones too
    np.testing.assert_allclose(got["x"], want["x"], rtol=1e-12)
