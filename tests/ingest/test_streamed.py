"""Windows embedded from one pass over the video (`model/stream.py`) through ingest and search, fast: a fake
that streams, the in-memory store. Every kind of file keeps the windows and times it had when windows were
embedded one by one; each frame goes through the network about once; a collection says how it was embedded."""

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder, StreamingFakeEmbedder
from tests.video.test_gaps import write_with_gap
from vidsearch import IngestConfig, Settings, VideoSearch
from vidsearch.datasets.synthetic import ClipSpec, render
from vidsearch.model.stream import CHUNK_FRAMES, EDGE_FRAMES
from vidsearch.sources import SourceItem
from vidsearch.store import StoreError

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)


def engine_for(embedder, db="memory://", workers=0) -> VideoSearch:
    settings = Settings(db=db, ingest=IngestConfig(workers=workers, batch_size=4))
    return VideoSearch(settings=settings, embedder=embedder)


def write_vfr(path, seconds: float = 5.0):
    """Frames 1/30 s and 3/30 s apart in turn: a variable frame rate."""
    frames = list(render(ClipSpec(motion="move_down", seed=7, seconds=seconds, width=96, height=64)))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 30)
        pts = 0
        for n, pixels in enumerate(frames[: len(frames) // 2]):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 30)
            pts += 1 if n % 2 else 3
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def files(tmp_path):
    return {
        "long": make_video(tmp_path / "long.mp4", motion="move_right", seed=1, width=96, height=64, seconds=25.0),
        "odd": make_video(tmp_path / "odd.mp4", motion="rotate_cw", seed=2, width=96, height=64, seconds=7.3),
        "short": make_video(tmp_path / "short.mp4", motion="move_up", seed=3, width=96, height=64, seconds=1.2),
        "one frame": make_video(tmp_path / "one.mp4", ClipSpec("move_up", seed=4, width=96, height=64, fps=25, seconds=0.04)),
        "vfr": write_vfr(tmp_path / "vfr.mp4"),
        "gap": write_with_gap(tmp_path / "gap.mp4", 6.0, 30.0, 3.0),
    }


def segments(engine: VideoSearch, video_id: int):
    return engine.store.segments_of([video_id])[video_id]


def windows_of(engine: VideoSearch, video_id: int) -> list[tuple[float, float]]:
    found = [(s.start, s.end) for s in segments(engine, video_id)]
    assert found  # every file here has at least one window
    return found


@pytest.mark.parametrize("workers", [0, 1])
def test_every_kind_of_file_keeps_its_windows_and_times(tmp_path, workers):
    paths = files(tmp_path)
    items = [SourceItem(i, p, name) for i, (name, p) in enumerate(paths.items())]
    per_window, streamed = engine_for(FakeEmbedder()), engine_for(StreamingFakeEmbedder(), workers=workers)
    assert per_window.index(items).indexed == streamed.index(items).indexed == len(items)
    for i, name in enumerate(paths):
        assert windows_of(streamed, i) == windows_of(per_window, i), name
    assert streamed.info().context == "stream"


def test_each_frame_goes_through_the_network_about_once(tmp_path):
    path = make_video(tmp_path / "long.mp4", motion="move_right", seed=1, width=96, height=64, seconds=60.0)
    per_window, streamed = FakeEmbedder(), StreamingFakeEmbedder()
    engine_for(per_window).index([SourceItem(1, path, "a")])
    engine = engine_for(streamed)
    engine.index([SourceItem(1, path, "a")])
    windows = len(segments(engine, 1))
    assert windows == 2 * 60 - 3  # 2-s windows every 0.5 s
    assert max(streamed.passes) <= CHUNK_FRAMES + EDGE_FRAMES
    assert sum(streamed.passes) < 1.5 * 60 * 8 < windows * 16 / 2.5  # frames sampled at 8 fps, about once each


def test_a_video_searched_with_itself_finds_its_own_windows_exactly(tmp_path):
    """Query and library go through the same passes: the same file gives the same vectors."""
    path = make_video(tmp_path / "v.mp4", motion="move_right", seed=1, width=96, height=64, seconds=30.0)
    engine = engine_for(StreamingFakeEmbedder())
    engine.index([SourceItem(1, path, "a"), SourceItem(2, make_video(tmp_path / "w.mp4", motion="rotate_cw", seed=5,
                                                                     width=96, height=64, seconds=30.0), "b")])
    stored = [s.vector for s in segments(engine, 1)]
    query = engine.collection.project(np.stack([w.embedding.vector for w in engine.embed(path)]))
    assert np.allclose(query, np.stack(stored), atol=1e-5)
    assert engine.search(path, k=1).results[0].id == 1


def test_a_failing_pass_fails_its_video_only(tmp_path):
    good = make_video(tmp_path / "good.mp4", motion="move_right", seed=1, width=96, height=64, seconds=5.0)
    bad = make_video(tmp_path / "bad.mp4", motion="move_up", seed=2, width=96, height=64, seconds=5.0)
    from vidsearch.video import read_windows

    first_value = int(read_windows(bad)[0][0].frames[0, 0, 0, 0])
    report = engine_for(StreamingFakeEmbedder(fail_on={first_value})).index(
        [SourceItem(1, good, "a"), SourceItem(2, bad, "b")])
    assert report.indexed == 1 and [(f.stage, f.path.rsplit("/", 1)[-1]) for f in report.failed] == [("embed", "bad.mp4")]


def test_a_collection_keeps_the_way_it_was_embedded(tmp_path):
    db = str(tmp_path / "streams.db")
    paths = [make_video(tmp_path / f"v{i}.mp4", motion="move_right", seed=i, width=96, height=64, seconds=3.0)
             for i in range(2)]
    with engine_for(FakeEmbedder(), db=db) as engine:  # a model without a context: windows one by one
        engine.index([SourceItem(i, p, "a") for i, p in enumerate(paths)])
        assert engine.info().context == "window"
    with engine_for(StreamingFakeEmbedder(), db=db) as engine:
        with pytest.raises(StoreError, match="context window.*--context window"):
            engine.search(paths[0])
    with VideoSearch(settings=Settings(db=db, context="stream")) as engine:
        assert engine.context() == "window"  # the collection's own way wins over the settings
