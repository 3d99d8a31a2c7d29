"""posekit.video: metadata, streaming iteration, random access and bad input, on real encodes."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest

from posekit.video import VideoError, VideoReader, VideoTruncatedError, is_still_image

W, H, FPS, N = 160, 96, 25, 60


def _frame(i: int) -> np.ndarray:
    """A frame whose index is written in 8 black/white blocks (survives lossy coding)."""
    img = np.zeros((H, W, 3), dtype=np.uint8)
    img[:, : W // 4, 0] = 255  # a red band so that RGB order is checkable
    for bit in range(8):
        if i >> bit & 1:
            img[:, W // 2 + 8 * bit : W // 2 + 8 * bit + 8] = 255
    return img


def _encode(path: Path, n: int = N, codec: str = "mpeg4", fmt: str | None = None) -> Path:
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"qscale": "2"} if codec == "mpeg4" else {}
        stream.codec_context.gop_size = 12
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(_frame(i), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _encode(tmp_path_factory.mktemp("video") / "clip.mp4")


def _index_of(rgb: np.ndarray) -> int:
    blocks = [rgb[:, W // 2 + 8 * b + 2 : W // 2 + 8 * b + 6, 1].mean() for b in range(8)]
    return sum(1 << b for b, v in enumerate(blocks) if v > 128)


def test_metadata(clip: Path) -> None:
    with VideoReader(clip) as v:
        assert (v.width, v.height, v.n_frames, len(v)) == (W, H, N, N)
        assert v.fps == pytest.approx(FPS)
        assert v.duration == pytest.approx(N / FPS)
        assert "160x96" in repr(v)


def test_iteration_yields_every_frame_in_order(clip: Path) -> None:
    with VideoReader(clip) as v:
        seen = []
        for i, rgb in v:
            assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8
            assert rgb[:, : W // 8, 0].mean() > 230  # red band on the left: RGB, not BGR
            assert _index_of(rgb) == i
            seen.append(i)
        assert seen == list(range(N))
        # a second pass starts from the beginning again
        assert next(iter(v))[0] == 0


def test_read_random_access_matches_iteration(clip: Path) -> None:
    with VideoReader(clip) as v:
        for i in (37, 5, 0, 1, 2, 59, 30, 12, 13, -1):
            assert _index_of(v.read(i)) == i % N
        with pytest.raises(IndexError, match="outside the video"):
            v.read(N)


def test_iteration_streams_without_growing_memory(tmp_path: Path) -> None:
    path = _encode(tmp_path / "long.mp4", n=150)
    with VideoReader(path) as v:
        it = iter(v)
        for _ in range(10):
            next(it)
        tracemalloc.start()
        for _ in it:
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # holding all 140 remaining frames would need 140 * 46 kB = 6.4 MB
    assert peak < 1_000_000


def test_missing_empty_garbage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such video"):
        VideoReader(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        VideoReader(tmp_path / "empty.mp4")
    (tmp_path / "junk.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(VideoError, match="cannot be read as a video"):
        VideoReader(tmp_path / "junk.mp4")
    with pytest.raises(VideoError, match="folder"):
        VideoReader(tmp_path)


def test_still_image_is_not_a_video(tmp_path: Path) -> None:
    png = tmp_path / "still.png"
    with av.open(str(png), "w", format="image2") as out:
        s = out.add_stream("png")
        s.width, s.height, s.pix_fmt = W, H, "rgb24"
        for p in s.encode(av.VideoFrame.from_ndarray(_frame(3), format="rgb24")):
            out.mux(p)
        for p in s.encode():
            out.mux(p)
    disguised = tmp_path / "still.mp4"
    disguised.write_bytes(png.read_bytes())
    assert is_still_image(png) and is_still_image(disguised)
    for path in (png, disguised):
        with pytest.raises(VideoError, match="still image"):
            VideoReader(path)


def test_truncated_video(tmp_path: Path) -> None:
    # mp4 with the index (moov) in front, then cut: the container promises more than it holds
    full = _encode(tmp_path / "full.mov", n=N, fmt="mov")
    data = full.read_bytes()
    cut = tmp_path / "cut.mov"
    cut.write_bytes(data[: len(data) // 2])
    try:
        v = VideoReader(cut)
    except VideoError as exc:  # index at the end: the cut file does not open at all
        assert "cannot be read" in str(exc)
        return
    with v, pytest.raises(VideoTruncatedError, match="damaged or cut short") as info:
        for _ in v:
            pass
    assert 0 < info.value.frames_read < N


def test_images_match_arrays(clip: Path) -> None:
    with VideoReader(clip) as v:
        arrays = [rgb for _, rgb in v]
        images = list(v.images())
    assert [i for i, _ in images] == list(range(N))
    assert all(np.array_equal(np.asarray(im), a) for (_, im), a in zip(images, arrays, strict=True))
    assert images[0][1].mode == "RGB" and images[0][1].size == (W, H)
