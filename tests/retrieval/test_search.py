"""Segment search on long real-encoded videos: windows, where an excerpt lies, replace / remove / old
collections. Fast layer: the fake embedder and the in-memory store (the store contract for segments is in
tests/store, the real model and the server in tests/test_segments_e2e.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.config import ReduceConfig
from vidsearch.datasets.synthetic import render_long
from vidsearch.evaluation.evaluate import evaluate
from vidsearch.sources import SourceItem
from vidsearch.store import CollectionSpec, StoreError
from vidsearch.video import DecodeOptions, WindowReader, read_windows
from vidsearch.video.encode import Encoding, write_video

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)

FPS = 12.0
SECONDS = 40.0
KEYS_EVERY_SECOND = Encoding("libx264", options={"preset": "veryfast", "crf": "23", "g": "12"})


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    """Three 40-s videos of distinct 5-s scenes, and their frames (to cut excerpts at known offsets)."""
    root = tmp_path_factory.mktemp("long")
    videos = []
    for i in range(3):
        frames = list(render_long(i, SECONDS, fps=FPS))
        videos.append((write_video(root / f"long{i}.mp4", frames, FPS, KEYS_EVERY_SECOND), frames))
    return videos


def excerpt(tmp_path, frames, offset: float, seconds: float, name: str = "q.mp4", encoding=None):
    first = round(offset * FPS)
    return write_video(tmp_path / name, frames[first : first + round(seconds * FPS)], FPS,
                       encoding or Encoding("libx264", options={"preset": "veryfast", "crf": "30"}))


def indexed(long_videos) -> VideoSearch:
    search = VideoSearch(settings=Settings(db="memory://", reduce=ReduceConfig(centre=False)), embedder=FakeEmbedder())
    search.settings.ingest.workers = 0
    report = search.index([SourceItem(i + 1, path, f"long{i}") for i, (path, _) in enumerate(long_videos)])
    assert report.indexed == 3 and not report.failed
    return search


@pytest.fixture(scope="module")
def engine(long_videos):
    """Shared by the tests that only search."""
    search = indexed(long_videos)
    yield search
    search.close()


@pytest.fixture
def own_engine(long_videos):
    """For the tests that change the library."""
    search = indexed(long_videos)
    yield search
    search.close()


# -- windows -----------------------------------------------------------------------------------------------
def test_a_long_video_is_cut_into_overlapping_windows(long_videos):
    windows, info = read_windows(long_videos[0][0])
    # 16 frames at 8 fps = 2-s windows, one every 0.5 s: starts 0, 0.5, ..., 38
    assert info.duration == pytest.approx(SECONDS, abs=0.1) and info.windows == len(windows) == 77
    assert [w.start for w in windows[:3]] == [0.0, 0.5, 1.0] and windows[0].end == 2.0 and windows[-1].end == 40.0
    size = DecodeOptions().size
    assert all(w.frames.shape == (16, size, size, 3) for w in windows)
    # overlapping windows share their frames: window 1's first 12 frames are window 0's last 12
    assert np.array_equal(windows[1].frames[:12], windows[0].frames[4:])


def test_a_video_shorter_than_a_window_is_one_window_over_all_of_it(tmp_path, long_videos):
    short = excerpt(tmp_path, long_videos[0][1], 3.0, 1.5)
    windows, info = read_windows(short)
    assert len(windows) == 1 and windows[0].start == 0.0 and windows[0].end == pytest.approx(1.5, abs=0.1)
    whole, _ = read_windows(long_videos[0][0], DecodeOptions(stride=0))  # whole-video mode: one window
    assert len(whole) == 1 and whole[0].end == pytest.approx(SECONDS, abs=0.1)


def test_a_long_stride_seeks_over_the_gaps_and_picks_the_same_frames(long_videos):
    sparse, _ = read_windows(long_videos[1][0], DecodeOptions(stride=10.0))
    dense = {w.start: w for w in read_windows(long_videos[1][0], DecodeOptions(stride=2.0))[0]}
    assert [w.start for w in sparse] == [0.0, 10.0, 20.0, 30.0]
    for w in sparse:
        assert np.abs(w.frames.astype(int) - dense[w.start].frames).mean() < 1.0


def test_windows_stream_while_decoding(long_videos):
    reader = WindowReader(long_videos[0][0])
    first = next(iter(reader))  # the first window comes before the file is decoded to its end
    assert first.start == 0.0 and reader.info.windows == 0


# -- search ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("video, offset", [(0, 7.3), (1, 21.0), (2, 30.6), (1, 0.0)])
def test_an_excerpt_finds_its_video_and_where_it_starts(engine, long_videos, tmp_path, video, offset):
    query = excerpt(tmp_path, long_videos[video][1], offset, 4.5)
    result = engine.search(query, k=3)
    best = result.results[0]
    assert best.id == video + 1, [(h.id, h.distance) for h in result.results]
    assert abs(best.segments[0].start - offset) <= 1.0
    assert best.distance <= best.segments[0].distance and best.distance < result.results[1].distance
    body = result.to_json()["results"][0]
    assert set(body) == {"id", "path", "label", "distance", "duration", "segments", "copy"}
    assert set(body["segments"][0]) == {"start", "end", "query_start", "query_end", "distance"}


def test_a_long_query_is_aligned_in_time(engine, long_videos, tmp_path):
    query = excerpt(tmp_path, long_videos[2][1], 12.0, 14.0)  # 6 windows, one offset
    best = engine.search(query, k=1).results[0]
    interval = best.segments[0]
    assert best.id == 3 and abs(interval.start - interval.query_start - 12.0) <= 1.0
    assert interval.query_end - interval.query_start >= 10.0  # most of its windows agree on the offset


def test_per_video_bounds_the_intervals(engine, long_videos, tmp_path):
    query = excerpt(tmp_path, long_videos[0][1], 10.0, 4.0)
    assert all(len(r.segments) == 1 for r in engine.search(query, k=3, per_video=1).results)
    with pytest.raises(ValueError, match="per_video"):
        engine.search(query, per_video=0)


def test_replacing_and_removing_a_video_replace_and_remove_its_segments(own_engine, long_videos, tmp_path):
    engine = own_engine
    before = engine.store.count_segments()
    shorter = write_video(tmp_path / "short.mp4", long_videos[0][1][: int(10 * FPS)], FPS)
    engine.index([SourceItem(1, shorter, "long0")])  # same id, other content: replaced whole
    assert engine.store.count_segments() == before - 77 + 17
    assert engine.remove([1]) == 1 and engine.store.count_segments() == before - 77
    query = excerpt(tmp_path, long_videos[0][1], 7.0, 4.0)
    assert 1 not in [r.id for r in engine.search(query, k=3).results]


def test_segments_of_an_unfinished_video_are_never_a_result(own_engine, long_videos, tmp_path):
    """A run killed after a video's segments but before its row: the segments stay invisible."""
    engine = own_engine
    store = engine.store
    store.segments[99] = list(store.segments[2])  # a copy of video 2's segments, no row
    store._changed()
    query = excerpt(tmp_path, long_videos[1][1], 21.0, 4.0)
    assert 99 not in [r.id for r in engine.search(query, k=3).results]


def test_a_collection_of_an_older_vidsearch_is_refused_in_one_line(tmp_path):
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    engine.store.create(CollectionSpec(1024, meta={"model": "i3d", "num_frames": 16, "projection": {}}))
    with pytest.raises(StoreError, match="older vidsearch.*--collection NEW index"):
        engine.info()
    with pytest.raises(StoreError, match="older vidsearch"):
        engine.search(tmp_path / "anything.mp4")


def test_eval_scores_where_excerpts_matched(engine, long_videos, tmp_path):
    truth = ["query,video,offset"]
    for i, offset in ((0, 5.2), (2, 18.0)):
        query = excerpt(tmp_path / "test" / f"long{i}", long_videos[i][1], offset, 4.0, name=f"q{i}.mp4")
        truth.append(f"long{i}/{query.name},{long_videos[i][0]},{offset}")
    (tmp_path / "test" / "truth.csv").write_text("\n".join(truth) + "\n")
    report = evaluate(engine, sorted((tmp_path / "test").glob("*/*.mp4")), k=3).to_json()
    assert report["segment_top1"] == 1.0 and report["within_2s"] == 1.0
    assert 0.0 <= report["median_offset_error"] <= 2.0 and report["within_1s"] <= report["within_2s"]


# -- query expansion -----------------------------------------------------------------------------------------
def test_query_expansion_averages_with_the_nearest_segments(engine):
    from vidsearch.retrieval.search import expand_query

    collection = engine.collection
    stored = collection.store.segments_of([1])[1]
    exact = np.stack([stored[3].vector, stored[10].vector])  # windows that ARE library segments
    assert np.allclose(expand_query(collection, exact, 1), exact, atol=1e-5)  # their own nearest: unchanged
    mixed = exact[0] + exact[1]
    mixed /= np.linalg.norm(mixed)
    everything = np.stack([s.vector for segments in collection.store.segments_of([1, 2, 3]).values() for s in segments])
    nearest = everything[np.argsort(((everything - mixed) ** 2).sum(1))[:2]]  # brute force, the reference
    expected = mixed + nearest.sum(0)
    assert np.allclose(expand_query(collection, mixed[None], 2)[0], expected / np.linalg.norm(expected), atol=1e-5)


def test_an_expanded_query_still_finds_its_excerpt(engine, long_videos, tmp_path):
    query = excerpt(tmp_path, long_videos[1][1], 21.0, 4.5)
    windows = engine.embed(query)
    best = engine.search_embedding(windows, k=3, expand=2).results[0]
    assert best.id == 2 and abs(best.segments[0].start - 21.0) <= 1.0
