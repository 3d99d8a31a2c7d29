"""Interop: every format checked against its own library (movement, pynwb + ndx-pose, OpenSim,
DeepLabCut's layout through movement, sleap-io, pycocotools), on the bundled real-video results."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import posekit as pk
from posekit.errors import PoseFormatError
from posekit.io._arrays import OPENSIM_MARKERS, arrays_from_table
from posekit.schema import COCO_SKELETON, JOINTS

COLS = ["x", "y", "score"]


@pytest.fixture(scope="module")
def walkers(samples_dir):
    """Real video (Sports2D demo, two people walking), posekit's estimator; undetected -> NaN."""
    return pk.load(samples_dir / "sports2d_demo_raw.json").keypoints(min_score=0.3)


@pytest.fixture(scope="module")
def one(samples_dir):
    """Real video (Pose2Sim S01 cam01), one person; points scored below 0.8 (29 of 1700) -> NaN."""
    return pk.load(samples_dir / "pose2sim_s01_cam01_raw.json").keypoints(min_score=0.8)


def _same(a: pd.DataFrame, b: pd.DataFrame, cols=COLS, rtol=0.0, atol=0.0):
    """Same rows, same values, NaN exactly where NaN."""
    assert a.index.equals(b.index)
    for c in cols:
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=c)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, equal_nan=True, err_msg=c)


def test_real_inputs_have_missing_points(walkers, one):
    # the checks below are about NaN surviving every direction: the inputs must have some
    for kp in (walkers, one):
        assert 0 < kp["x"].isna().sum() < len(kp)


# -- Parquet / CSV ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_round_trip_keeps_index_dtypes_and_attrs(walkers, tmp_path, suffix):
    kp = pk.smooth.butterworth(walkers, cutoff_hz=6)  # a history to keep
    kp = kp.assign(filled=kp["x"].isna())  # a bool column, as gap filling adds
    path = pk.io.write_table(kp, tmp_path / f"kp{suffix}")
    back = pk.io.read_table(path)
    pd.testing.assert_frame_equal(back, kp, check_exact=True)
    assert back.attrs == kp.attrs and back.attrs["fps"] and back.attrs["history"]
    joint = back.index.get_level_values("joint")
    assert joint.dtype == pk.tidy.JOINT_DTYPE and joint.dtype.ordered
    assert back["filled"].dtype == bool
    # other tables too: objects, angles
    for table in (pk.load(walkers.attrs["source"]).objects(), pk.angles.joint_angles(walkers)):
        p = pk.io.write_table(table, tmp_path / f"t{suffix}")
        pd.testing.assert_frame_equal(pk.io.read_table(p), table, check_exact=True)
        assert pk.io.read_table(p).attrs == table.attrs


def test_parquet_columns_from_one_file_or_a_dataset(walkers, tmp_path):
    # one file keeps its posekit metadata in the schema: the index comes along with the columns
    one = pk.io.read_table(pk.io.write_table(walkers, tmp_path / "kp.parquet"), columns=["x"])
    assert list(one.columns) == ["x"] and list(one.index.names) == ["frame", "object_id", "joint"]
    pd.testing.assert_series_equal(one["x"], walkers["x"], check_exact=True)
    assert one.attrs["fps"] == walkers.attrs["fps"]
    with pytest.raises(PoseFormatError, match="nope"):
        pk.io.read_table(tmp_path / "kp.parquet", columns=["nope"])


def test_plain_csv_reads_with_its_index_columns(walkers, tmp_path):
    path = tmp_path / "plain.csv"
    walkers.reset_index().to_csv(path, index=False)
    back = pk.io.read_table(path)
    assert list(back.index.names) == ["frame", "object_id", "joint"]
    assert back.index.get_level_values("joint").dtype.ordered
    _same(back, walkers, rtol=1e-15)


def test_table_bad_input(tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_text("not parquet")
    with pytest.raises(PoseFormatError, match=r"x\.parquet"):
        pk.io.read_table(bad)
    csv = tmp_path / "j.csv"
    csv.write_text("frame,object_id,joint,x,y\n0,0,snout,1,2\n")
    with pytest.raises(PoseFormatError, match="snout"):
        pk.io.read_table(csv)


# -- movement --------------------------------------------------------------------------------


def test_movement_validates_and_its_kinematics_equal_posekits(walkers):
    from movement.kinematics import compute_path_length, compute_speed, compute_velocity
    from movement.validators.datasets import ValidPosesInputs

    ds = pk.io.to_movement(walkers)
    ValidPosesInputs.validate(ds)  # raises if a variable or dimension is missing
    assert ds.attrs["ds_type"] == "poses" and ds.attrs["fps"] == walkers.attrs["fps"]
    assert list(ds.keypoints.values) == list(JOINTS)

    def dense(table, cols):
        return arrays_from_table(table.rename(columns=dict(zip(cols, ["x", "y"], strict=True))))

    ours = dense(pk.kinematics.velocity(walkers), ("vx", "vy")).xy
    theirs = compute_velocity(ds.position).transpose("time", "individuals", "keypoints", "space")
    theirs = theirs.values
    both = np.isfinite(ours) & np.isfinite(theirs)
    # movement also differentiates one-sided at the ends of each run; posekit leaves NaN there
    assert both.sum() == np.isfinite(ours).sum() > 10000
    np.testing.assert_allclose(ours[both], theirs[both], rtol=1e-9, atol=1e-9)
    sp = arrays_from_table(
        pk.kinematics.speed(walkers).rename(columns={"speed": "x"}).assign(y=0.0)
    ).xy[..., 0]
    msp = compute_speed(ds.position).transpose("time", "individuals", "keypoints").values
    both = np.isfinite(sp) & np.isfinite(msp)
    np.testing.assert_allclose(sp[both], msp[both], rtol=1e-9)
    # path length of the joints seen in every frame (movement bridges gaps, posekit does not)
    ours = pk.kinematics.path_length(walkers)["path_length"]
    theirs = compute_path_length(ds.position).transpose("individuals", "keypoints").values
    a = arrays_from_table(walkers)
    full = np.isfinite(a.xy).all(axis=(0, 3)) & a.present.all(axis=0)[:, None]
    assert full.sum() >= 5
    np.testing.assert_allclose(ours.to_numpy().reshape(full.shape)[full], theirs[full], rtol=1e-9)


def test_movement_round_trips(walkers, tmp_path):
    back = pk.io.from_movement(pk.io.to_movement(walkers))
    _same(back, walkers)
    assert back.attrs["width"] == walkers.attrs["width"]
    path = pk.io.write_movement(walkers, tmp_path / "walk.nc")
    back = pk.io.read_movement(path)
    _same(back, walkers, cols=[*COLS, "time"])
    assert back.attrs["history"][:-1] == walkers.attrs["history"]


def test_movement_made_dataset_reads(walkers):
    from movement.io.load_poses import from_numpy

    a = arrays_from_table(walkers)
    ds = from_numpy(
        position_array=np.moveaxis(a.xy, (1, 2, 3), (3, 2, 1)),
        confidence_array=np.moveaxis(a.score, 1, 2),
        individual_names=[f"id_{i}" for i in a.object_ids],
        keypoint_names=list(JOINTS),
        fps=walkers.attrs["fps"],
        source_software="test",
    )
    _same(pk.io.from_movement(ds), walkers)


# -- NWB ---------------------------------------------------------------------------------------


def test_nwb_validates_and_round_trips(walkers, tmp_path):
    import pynwb

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # ndx-pose's current fields only
        path = pk.io.write_nwb(walkers, tmp_path / "walk.nwb")
    assert pynwb.validate(path=str(path)) == []
    with pynwb.NWBHDF5IO(str(path), "r") as f:
        nwb = f.read()
        pes = [o for o in nwb.processing["behavior"].data_interfaces.values()
               if type(o).__name__ == "PoseEstimation"]  # fmt: skip
        assert len(pes) == 2
        series = pes[0].pose_estimation_series["left_knee"]
        assert series.unit == "pixels" and series.rate == walkers.attrs["fps"]
        assert pes[0].skeleton.nodes[:].tolist() == list(JOINTS)
        video = pes[0].source_video
        assert video.external_file[:].tolist() == [walkers.attrs["source"]]
        assert video.dimension[:].tolist() == [walkers.attrs["width"], walkers.attrs["height"]]
        assert pes[1].source_video is video  # one video, linked from each person
    back = pk.io.read_nwb(path)
    _same(back, walkers, cols=[*COLS, "time"])
    assert (back.attrs["width"], back.attrs["height"]) == (
        walkers.attrs["width"],
        walkers.attrs["height"],
    )


def test_nwb_size_without_a_source_and_older_files(walkers, tmp_path):
    from datetime import datetime, timezone

    import ndx_pose
    import pynwb

    size = (walkers.attrs["width"], walkers.attrs["height"])
    bare = walkers.copy()
    bare.attrs = {k: v for k, v in walkers.attrs.items() if k != "source"}
    back = pk.io.read_nwb(pk.io.write_nwb(bare, tmp_path / "bare.nwb"))
    assert (back.attrs["width"], back.attrs["height"]) == size
    # a file in the form ndx-pose wrote before 0.2 (the size in PoseEstimation.dimensions)
    nwb = pynwb.NWBFile(session_description="old", identifier="old",
                        session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))  # fmt: skip
    camera = nwb.create_device(name="camera")
    series = [
        ndx_pose.PoseEstimationSeries(name=j, data=np.full((3, 2), 10.0), unit="pixels",
                                      reference_frame="top left", confidence=np.ones(3), rate=30.0)
        for j in JOINTS
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pe = ndx_pose.PoseEstimation(name="PoseEstimation", pose_estimation_series=series,
                                     dimensions=np.array([[640, 480]], dtype="uint16"),
                                     devices=[camera])  # fmt: skip
    nwb.create_processing_module(name="behavior", description="pose").add(pe)
    with pynwb.NWBHDF5IO(str(tmp_path / "old.nwb"), "w") as f:
        f.write(nwb)
    old = pk.io.read_nwb(tmp_path / "old.nwb")
    assert (old.attrs["width"], old.attrs["height"]) == (640, 480) and len(old) == 3 * 17


def test_nwb_with_movement(walkers, tmp_path):
    import pynwb
    from movement.io import load_poses, save_poses

    path = pk.io.write_nwb(walkers, tmp_path / "walk.nwb")
    ds = load_poses.from_nwb_file(path, pose_estimation_key="PoseEstimation_id_1")
    ours = arrays_from_table(walkers)
    np.testing.assert_array_equal(
        ds.position.sel(individuals=ds.individuals.values[0], keypoints=list(JOINTS))
        .transpose("time", "keypoints", "space")
        .values,
        ours.xy[:, list(ours.object_ids).index(1)],
    )
    # a file movement writes (one per individual) opens in posekit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = save_poses.to_nwb_file(pk.io.to_movement(walkers))
    other = tmp_path / "movement.nwb"
    with pynwb.NWBHDF5IO(str(other), "w") as f:
        f.write(files[0])
    back = pk.io.read_nwb(other)
    assert back.attrs["fps"] == walkers.attrs["fps"]
    first = walkers.xs(0, level="object_id", drop_level=False)
    _same(back.loc[first.index], first, cols=["x", "y"])


# -- OpenSim TRC / MOT -------------------------------------------------------------------------


def test_trc_opens_in_opensim_with_the_same_values(one, tmp_path):
    opensim = pytest.importorskip("opensim")
    path = pk.io.write_trc(one, tmp_path / "s01.trc")
    table = opensim.TimeSeriesTableVec3(str(path))
    assert table.getTableMetaDataAsString("Units") == "px"
    assert float(table.getTableMetaDataAsString("DataRate")) == one.attrs["fps"]
    assert list(table.getColumnLabels()) == list(OPENSIM_MARKERS)
    flat = table.flatten()  # keep the SWIG object alive while numpy reads its matrix
    xyz = flat.getMatrix().to_numpy().reshape(table.getNumRows(), 17, 3)
    a = arrays_from_table(one)
    np.testing.assert_array_equal(xyz[..., :2], a.xy[:, 0])  # NaN where missing, never 0
    assert np.isnan(xyz[..., 0]).sum() == np.isnan(a.xy[:, 0, :, 0]).sum() > 0
    np.testing.assert_allclose(np.array(table.getIndependentColumn()), a.time)
    back = pk.io.read_trc(path)
    _same(back, one, cols=["x", "y", "time"])
    assert back.attrs["units"]["x"] == "px"


def test_trc_in_metres_is_y_up_and_reads_back(one, tmp_path):
    opensim = pytest.importorskip("opensim")
    m = pk.units.to_metres(one, 0.002)
    path = pk.io.write_trc(m, tmp_path / "s01_m.trc")
    table = opensim.TimeSeriesTableVec3(str(path))
    assert table.getTableMetaDataAsString("Units") == "m"
    flat = table.flatten()  # keep the SWIG object alive while numpy reads its matrix
    xyz = flat.getMatrix().to_numpy().reshape(table.getNumRows(), 17, 3)
    a = arrays_from_table(m)
    np.testing.assert_allclose(xyz[..., 1], -a.xy[:, 0, :, 1])  # OpenSim's Y points up
    back = pk.io.read_trc(path)
    _same(back, m, cols=["x", "y"], rtol=1e-15)
    assert back.attrs["units"]["x"] == "m"
    # the same file in millimetres reads in metres
    mm = path.read_text().splitlines()
    mm[2] = mm[2].replace("\tm\t", "\tmm\t")
    rows = [mm[:6]] + [
        [
            "\t".join(
                c if i < 2 or c == "NaN" else repr(float(c) * 1000)
                for i, c in enumerate(r.split("\t"))
            )
        ]
        for r in mm[6:]
    ]
    (tmp_path / "mm.trc").write_text("\n".join(line for r in rows for line in r) + "\n")
    _same(pk.io.read_trc(tmp_path / "mm.trc"), m, cols=["x", "y"], rtol=1e-12)


def test_trc_as_sports2d_writes_it(one, tmp_path):
    # Sports2D's make_trc_with_trc_data: Units says m even for its _px.trc, rows indexed from 0,
    # no blank line; marker names as its OpenSim model
    a = arrays_from_table(one)
    names = OPENSIM_MARKERS
    lines = [
        "PathFileType\t4\t(X/Y/Z)\tdemo_px.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"60\t60\t{len(a.frames)}\t17\tm\t60\t0\t{len(a.frames)}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t\t",
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(17)),
    ]
    for i, f in enumerate(a.frames):
        vals = np.column_stack([a.xy[i, 0], np.zeros(17)]).ravel()
        lines.append(
            "\t".join([str(i), str(f / 60)] + ["" if np.isnan(v) else str(v) for v in vals])
        )
    path = tmp_path / "demo_px.trc"
    path.write_text("\n".join(lines) + "\n")
    back = pk.io.read_trc(path, units="px")
    _same(back, one, cols=["x", "y"])


def test_trc_bad_input(one, tmp_path):
    wrong = tmp_path / "wrong.trc"
    wrong.write_text(json.dumps({"people": []}))
    with pytest.raises(PoseFormatError, match=r"wrong\.trc.*PathFileType"):
        pk.io.read_trc(wrong)
    good = pk.io.write_trc(one, tmp_path / "g.trc").read_text()
    (tmp_path / "in.trc").write_text(good.replace("\tpx\t", "\tin\t", 1))
    with pytest.raises(PoseFormatError, match="Units is 'in'"):
        pk.io.read_trc(tmp_path / "in.trc")
    two = pd.concat([one, one.rename(index={one.index.get_level_values(1)[0]: 99}, level=1)])
    two.attrs = one.attrs
    with pytest.raises(ValueError, match="object_id"):
        pk.io.write_trc(two, tmp_path / "two.trc")
    text = good.split("\n")
    text[3] = "Frame#\tTime\t" + "\t\t\t".join(f"m{i}" for i in range(17)) + "\t\t\t"
    (tmp_path / "animal.trc").write_text("\n".join(text))
    with pytest.raises(PoseFormatError, match=r"animal.trc: none of the markers .*mapping="):
        pk.io.read_trc(tmp_path / "animal.trc")


def test_mot_opens_in_opensim_with_the_same_values(one, tmp_path):
    opensim = pytest.importorskip("opensim")
    ang = pk.angles.joint_angles(one)
    path = pk.io.write_mot(ang, tmp_path / "s01.mot")
    table = opensim.TimeSeriesTable(str(path))
    assert table.getTableMetaDataAsString("inDegrees") == "yes"
    cols = [c for c in ang.columns if c != "time"]
    assert list(table.getColumnLabels()) == cols
    got = table.getMatrix().to_numpy()
    full = ang.droplevel("object_id").reindex(
        range(ang.index.get_level_values(0).min(), ang.index.get_level_values(0).max() + 1)
    )
    np.testing.assert_array_equal(got, full[cols].to_numpy())
    back = pk.io.read_mot(path)
    _same(back.reset_index(drop=True), ang.reset_index(drop=True), cols=cols)
    assert back.attrs["fps"] == ang.attrs["fps"] and back.attrs["units"]["left_knee"] == "deg"


# -- DeepLabCut ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".h5", ".csv"])
def test_dlc_files_open_in_movement_and_back(walkers, one, tmp_path, suffix):
    from movement.io import load_poses, save_poses

    for kp, n in ((one, 1), (walkers, 2)):
        fps = kp.attrs["fps"]
        path = pk.io.write_dlc(kp, tmp_path / f"p{n}{suffix}")
        ds = load_poses.from_dlc_file(path, fps=fps)
        assert ds.sizes["individuals"] == n and list(ds.keypoints.values) == list(JOINTS)
        a = arrays_from_table(kp)
        start = int(a.frames[0])
        np.testing.assert_allclose(
            ds.position.transpose("time", "individuals", "keypoints", "space").values[start:],
            a.xy, rtol=1e-15,
        )  # fmt: skip
        back = pk.io.read_dlc(path, fps=fps)
        _same(back, kp, cols=[*COLS, "time"], rtol=1e-15)
        # and what movement writes (DeepLabCut's own layout), posekit reads
        theirs = tmp_path / f"m{n}{suffix}"
        save_poses.to_dlc_file(pk.io.to_movement(kp), theirs, split_individuals=False)
        _same(pk.io.read_dlc(theirs, fps=fps), kp, rtol=1e-15)


def test_dlc_bodypart_mapping(walkers, tmp_path):
    from movement.io import save_poses

    ds = pk.io.to_movement(walkers)
    ds = ds.assign_coords(keypoints=[f"bp{i}" for i in range(17)])
    path = tmp_path / "animal.h5"
    save_poses.to_dlc_file(ds, path, split_individuals=False)
    with pytest.raises(PoseFormatError, match=r"none of the bodyparts .*bp0.*mapping="):
        pk.io.read_dlc(path)
    mapping = {f"bp{i}": j for i, j in enumerate(JOINTS)}
    _same(pk.io.read_dlc(path, mapping=mapping), walkers, rtol=1e-15)
    part = {k: v for k, v in mapping.items() if v != "nose"}
    with pytest.warns(UserWarning, match=r"no keypoint for COCO joint\(s\) \['nose'\]"):
        got = pk.io.read_dlc(path, mapping=part)
    assert got.xs("nose", level="joint")["x"].isna().all()
    assert got.attrs["extra_keypoints"] == ["bp0"]
    with pytest.raises(ValueError, match="not COCO joint names"):
        pk.io.read_dlc(path, mapping={"bp0": "snout"})


def test_dlc_bad_input(walkers, tmp_path):
    with pytest.raises(ValueError, match=r"single-animal .* has 2"):
        pk.io.write_dlc(walkers, tmp_path / "x.h5", layout="single")
    not_dlc = tmp_path / "kp.csv"
    pk.io.write_table(walkers, not_dlc)
    with pytest.raises(PoseFormatError, match=r"kp\.csv.*not a DeepLabCut CSV"):
        pk.io.read_dlc(not_dlc)
    h5 = tmp_path / "empty.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(PoseFormatError, match=r"empty\.h5"):
        pk.io.read_dlc(h5)
    path = pk.io.write_dlc(walkers, tmp_path / "multi.h5")
    one = pk.io.read_dlc(path, individual="id_1")
    assert one.index.get_level_values("object_id").unique().tolist() == [1]
    with pytest.raises(ValueError, match="no individual 'id_7'"):
        pk.io.read_dlc(path, individual="id_7")


# -- SLEAP -----------------------------------------------------------------------------------


def _sleap_labels(kp):
    import sleap_io as sio

    a = arrays_from_table(kp)
    skeleton = sio.Skeleton(
        nodes=list(JOINTS), edges=[(JOINTS[i - 1], JOINTS[j - 1]) for i, j in COCO_SKELETON]
    )
    video = sio.Video(filename="clip.mp4")
    tracks = [sio.Track(name=f"track_{i}") for i in a.object_ids]
    frames = []
    for fi, frame in enumerate(a.frames):
        instances = [
            sio.PredictedInstance.from_numpy(
                points_data=a.xy[fi, oi],
                point_scores=a.score[fi, oi],
                score=1.0,
                skeleton=skeleton,
                track=tracks[oi],
            )
            for oi in range(len(a.object_ids))
            if a.present[fi, oi]
        ]
        frames.append(sio.LabeledFrame(video=video, frame_idx=int(frame), instances=instances))
    return sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton], tracks=tracks)


def test_sleap_files_written_by_sleap_io(walkers, tmp_path):
    import sleap_io as sio

    labels = _sleap_labels(walkers)
    slp = tmp_path / "walk.slp"
    sio.save_file(labels, str(slp))
    h5 = tmp_path / "walk.analysis.h5"
    sio.save_analysis_h5(labels, str(h5))
    for path in (slp, h5):
        back = pk.io.read(path, fps=walkers.attrs["fps"])
        _same(back, walkers, cols=["x", "y", "time"], atol=1e-4)  # SLEAP stores float32
        score = back["score"].to_numpy()
        ok = np.isfinite(back["x"].to_numpy())
        np.testing.assert_allclose(score[ok], walkers["score"].to_numpy()[ok], atol=1e-6)
        assert back.attrs["individuals"] == ["track_0", "track_1"]


def test_sleap_bad_input(tmp_path):
    bad = tmp_path / "x.slp"
    bad.write_text("no")
    with pytest.raises(PoseFormatError, match=r"x\.slp"):
        pk.io.read_sleap(bad)


# -- COCO --------------------------------------------------------------------------------------


def test_coco_files_evaluate_in_pycocotools(walkers, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = pk.io.write_coco(walkers, tmp_path / "gt.json", kind="annotations")
    rng = np.random.default_rng(0)
    noisy = walkers.assign(
        x=walkers["x"] + rng.normal(0, 6, len(walkers)),
        y=walkers["y"] + rng.normal(0, 6, len(walkers)),
    )
    stats = {}
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(gt))
        for name, table in (("same", walkers), ("noisy", noisy)):
            dt = pk.io.write_coco(table, tmp_path / f"{name}.json")
            ev = COCOeval(coco, coco.loadRes(str(dt)), "keypoints")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            stats[name] = ev
    assert stats["same"].stats[0] == pytest.approx(1.0)
    assert 0.2 < stats["noisy"].stats[0] < 0.99
    # pycocotools' OKS equals posekit's, with COCO's scale (the annotation's area)
    ev = stats["noisy"]
    img = coco.getImgIds()[10]
    ious = ev.ious[(img, 1)]
    gts, dts = (
        coco.loadAnns(coco.getAnnIds(imgIds=img)),
        ev.cocoDt.loadAnns(ev.cocoDt.getAnnIds(imgIds=img)),
    )
    for d, g in zip(np.argmax(ious, axis=1), range(len(gts)), strict=False):
        a = np.array(gts[g]["keypoints"]).reshape(17, 3)
        b = np.array(dts[int(np.argmax(ious[:, g]))]["keypoints"]).reshape(17, 3)
        ref = np.where(a[:, 2:] > 0, a[:, :2], np.nan)
        ours = pk.metrics.oks(ref, b[:, :2], area=gts[g]["area"])
        assert float(np.max(ious[:, g])) == pytest.approx(float(ours), rel=1e-6)
        del d


def test_coco_round_trip_through_load_coco(one, tmp_path):
    gt = pk.io.write_coco(one, tmp_path / "gt.json", kind="annotations")
    doc = json.loads(gt.read_text())
    assert doc["categories"][0]["keypoints"] == list(JOINTS)
    res = pk.io.load_coco(gt, fps=one.attrs["fps"])
    back = res.keypoints(min_score=0.5)
    x, y = back["x"].to_numpy(), one["x"].to_numpy()
    np.testing.assert_array_equal(np.isnan(x), np.isnan(y))  # missing -> (0, 0, 0) -> NaN
    np.testing.assert_allclose(x, y, atol=5e-4)


# -- metres ----------------------------------------------------------------------------------


def test_metres_scale_units_and_kinematics(one):
    s = 0.0025
    m = pk.units.to_metres(one, s)
    assert m.attrs["units"]["x"] == "m" and m.attrs["scale"]["m_per_px"] == s
    assert one.attrs.get("scale") is None  # input unchanged
    np.testing.assert_allclose(m["x"], one["x"] * s)
    v_px, v_m = pk.kinematics.velocity(one), pk.kinematics.velocity(m)
    np.testing.assert_allclose(v_m["vx"], v_px["vx"] * s, rtol=1e-9, atol=1e-12)
    assert v_m.attrs["units"]["vx"] == "m/s" and v_px.attrs["units"]["vx"] == "px/s"
    assert pk.kinematics.acceleration(m).attrs["units"]["ay"] == "m/s²"
    assert pk.kinematics.speed(m).attrs["units"]["speed"] == "m/s"
    pl = pk.kinematics.path_length(m)
    np.testing.assert_allclose(pl["path_length"], pk.kinematics.path_length(one)["path_length"] * s)
    assert pl.attrs["units"]["path_length"] == "m"
    tr = pk.kinematics.trajectory(m, joint="mid_hip")
    assert pk.units.column_unit(tr, "x") == "m"
    assert pk.units.column_unit(pk.angles.joint_angles(m), "left_knee") == "deg"
    with pytest.raises(ValueError, match="already in 'm'"):
        pk.units.to_metres(m, s)


def test_scale_from_height_on_synthetic_people(samples_dir):
    # synthetic people 432 px tall (data/samples/README.md) walking and squatting, with noise
    for name in ("synth_walk", "synth_squat"):
        kp = pk.load(samples_dir / f"{name}.json").keypoints(min_score=0.3)
        info = pk.units.scale_from_height(kp, 1.8)
        assert info["height_px"] == pytest.approx(432, rel=0.03), name


def test_scale_from_segment_and_points(one):
    seg = pk.units.scale_from_segment(one, "left_hip", "left_knee", 0.45)
    assert seg["method"] == "segment" and seg["m_per_px"] > 0
    pts = pk.units.scale_from_points((0, 0), (300, 400), 1.0)
    assert pts["m_per_px"] == pytest.approx(1 / 500)
    m = pk.units.to_metres(one, pts)
    assert m.attrs["scale"]["method"] == "points"


# -- facade and CLI --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["kp.csv", "kp.parquet", "kp.nc", "kp.nwb", "kp.trc", "kp.h5", "kp_dlc.csv", "kp.json"]
)
def test_read_write_pick_format_by_extension(one, tmp_path, name):
    fmt = "dlc" if name == "kp_dlc.csv" else None
    path = pk.io.write(one, tmp_path / name, format=fmt)
    fps = one.attrs["fps"] if name in ("kp.h5", "kp_dlc.csv") else None  # DeepLabCut has none
    back = pk.io.read(path, fps=fps)
    if name == "kp.json":  # Kakao JSON: NaN is written as score 0
        ok = back["score"] > 0
        back = back.assign(x=back["x"].where(ok), y=back["y"].where(ok))
    _same(back, one, cols=["x", "y"], atol=1e-9)
    assert back.attrs["fps"] == one.attrs["fps"]


def test_cli_convert(samples_dir, tmp_path, capsys):
    from posekit.cli import main

    src = samples_dir / "pose2sim_s01_cam01_raw.json"
    assert main(["convert", str(src), str(tmp_path / "a.nwb"), "--min-score", "0.3"]) == 0
    assert "(kakao) ->" in capsys.readouterr().out
    assert main(["convert", str(tmp_path / "a.nwb"), str(tmp_path / "a.trc"), "--object-id", "0",
                 "--height-m", "1.75"]) == 0  # fmt: skip
    trc = pk.io.read_trc(tmp_path / "a.trc")
    assert trc.attrs["units"]["x"] == "m"
    assert (
        main(["convert", str(tmp_path / "a.nwb"), str(tmp_path / "a.mot"), "--object-id", "0"]) == 0
    )
    assert "left_knee" in pk.io.read_mot(tmp_path / "a.mot").columns
    assert main(["convert", str(tmp_path / "a.trc"), str(tmp_path / "a.csv"), "--to", "dlc"]) == 0
    assert pk.io.read_dlc(tmp_path / "a.csv", fps=60).attrs["scorer"] == "posekit"
    assert main(["convert", str(src), str(tmp_path / "a.xyz")]) == 1
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "a.mot"), str(tmp_path / "b.trc")]) == 1
    assert "needs keypoints" in capsys.readouterr().err


def test_openpose_folder_through_every_writable_format(openpose_dir, tmp_path):
    # the real Pose2Sim S01 OpenPose output (untracked people, two or three per frame): every format that
    # holds several people gives the same table back, NaN where OpenPose found nothing
    kp = pk.io.read(openpose_dir / "cam01", fps=60, min_score=0.1)
    assert kp["x"].isna().sum() > 0 and kp.index.get_level_values("object_id").nunique() >= 2
    for name in ("op.parquet", "op.csv", "op.nc", "op.nwb", "op.h5"):
        path = pk.io.write(kp, tmp_path / name)
        back = pk.io.read(path, fps=60 if name == "op.h5" else None)
        _same(back, kp, cols=["x", "y", "score", "time"])
    for oid in (0, 1):
        path = pk.io.write(kp, tmp_path / f"op{oid}.trc", object_id=oid)
        one = kp.xs(oid, level="object_id", drop_level=False)
        back = pk.io.read(path).rename(index={0: oid}, level="object_id")
        _same(back.loc[one.index], one, cols=["x", "y", "time"])


@pytest.mark.parametrize("name", ["e.nwb", "e.trc", "e.h5", "e.mot"])
def test_empty_table_is_refused_not_written(one, tmp_path, name):
    empty = one.iloc[:0]
    table = pk.angles.joint_angles(empty) if name.endswith(".mot") else empty
    with pytest.raises(ValueError, match="no rows: nothing to write"):
        pk.io.write(table, tmp_path / name)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name", ["e.csv", "e.parquet", "e.nc"])
def test_empty_table_round_trips(one, tmp_path, name):
    back = pk.io.read(pk.io.write(one.iloc[:0], tmp_path / name))
    assert len(back) == 0 and list(back.index.names) == ["frame", "object_id", "joint"]
