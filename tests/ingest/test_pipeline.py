"""Ingest's failure paths and streaming, fast: a fake embedder, the in-memory store, decoding in this process."""

import numpy as np
import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder
from vidsearch import IngestConfig, ReduceConfig, Settings, VideoSearch
from vidsearch.collection import Collection
from vidsearch.ingest import FailurePolicy, IndexReport, StrictModeError, run_ingest
from vidsearch.ingest.pipeline import spread_first
from vidsearch.sources import read_source
from vidsearch.store import IndexConfig, open_store
from vidsearch.video import DecodeOptions


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    for i in range(10):
        make_video(root / f"class{i % 2}" / f"v{i}.mp4", motion="move_right", seed=i, width=96, height=64, seconds=0.5)
    (root / "class0" / "broken.mp4").write_text("not a video")
    return root


def engine_for(embedder=None, **settings) -> VideoSearch:
    settings = Settings(db="memory://", ingest=IngestConfig(workers=0, batch_size=4, insert_batch=3), **settings)
    return VideoSearch(settings=settings, embedder=embedder or FakeEmbedder())


def test_a_failing_batch_is_retried_clip_by_clip_and_only_the_bad_clip_fails(folder):
    items = read_source(folder)
    bad = next(i for i in items if i.path.name == "v3.mp4")
    embedder = FakeEmbedder()
    original = embedder.embed_batch

    def embed_batch(clips):
        if len(clips) > 1:
            raise RuntimeError("the batch fails")
        if any(np.array_equal(c, bad_frames) for c in clips):
            raise RuntimeError("this clip fails")
        return original(clips)

    from vidsearch.video import decode_clip

    bad_frames = decode_clip(bad.path, DecodeOptions()).frames
    embedder.embed_batch = embed_batch
    engine = engine_for(embedder)
    report = engine.index(items)
    stages = {(f.stage, f.path.rsplit("/", 1)[-1]) for f in report.failed}
    assert stages == {("embed", "v3.mp4"), ("decode", "broken.mp4")}
    assert report.indexed == 9 and engine.count() == 9


def test_a_rejected_insert_fails_its_rows_and_the_run_goes_on(folder, monkeypatch):
    engine = engine_for(reduce=ReduceConfig(centre=False))  # rows stream in inserts of 3
    sizes = []
    upsert = engine.store.upsert

    def flaky_upsert(entries):
        sizes.append(len(entries))
        if len(sizes) == 2:
            raise RuntimeError("insert rejected")
        upsert(entries)

    monkeypatch.setattr(engine.store, "upsert", flaky_upsert)
    report = engine.index(folder)
    store_failures = [f for f in report.failed if f.stage == "store"]
    assert len(sizes) >= 3 and len(store_failures) == sizes[1]  # exactly the rows of the rejected insert
    assert all(f.error == "RuntimeError" for f in store_failures)
    assert report.indexed == 10 - sizes[1] and engine.count() == report.indexed


def test_strict_policy_stops_at_the_first_failure_through_the_library(folder):
    engine = engine_for()
    with pytest.raises(StrictModeError, match="broken.mp4"):
        engine.index(folder, strict=True)
    items = read_source(folder)
    collection = Collection(open_store("memory://"), IndexConfig(), ReduceConfig(centre=False), DecodeOptions(num_frames=4))
    with pytest.raises(StrictModeError):
        run_ingest(items, collection, FakeEmbedder(), DecodeOptions(num_frames=4), IngestConfig(workers=0),
                   FailurePolicy(strict=True))


def test_ingest_runs_on_a_collection_without_an_engine(folder):
    collection = Collection(open_store("memory://"), IndexConfig(), ReduceConfig(centre=False), DecodeOptions(num_frames=4))
    planned, done = [], []
    from vidsearch.ingest import IngestEvents

    report = run_ingest(read_source(folder), collection, FakeEmbedder(), DecodeOptions(num_frames=4),
                        IngestConfig(workers=0), events=IngestEvents(planned.append, done.append))
    assert (report.indexed, len(report.failed), planned, sum(done)) == (10, 1, [11], 11)
    assert collection.spec().meta["num_frames"] == 4 and collection.count() == 10
    assert isinstance(report, IndexReport) and report.to_json()["failed"][0]["reason"] == "not_video"


def test_a_first_index_with_centring_stores_before_the_end(folder, monkeypatch):
    """The mean is fitted on the first videos; rows are stored while the rest is still being embedded."""
    import vidsearch.config

    monkeypatch.setattr(vidsearch.config, "CENTRE_MIN_VIDEOS", 4)
    embedder = FakeEmbedder()
    engine = engine_for(embedder)
    seen_at_first_insert = []
    upsert = engine.store.upsert

    def watching_upsert(entries):
        seen_at_first_insert.append(embedder.calls)
        upsert(entries)

    monkeypatch.setattr(engine.store, "upsert", watching_upsert)
    report = engine.index(folder)
    assert report.indexed == 10 and engine.info().centred is True
    assert seen_at_first_insert[0] < embedder.calls  # the first rows went in before the last batch was embedded


def test_projection_fit_sample_is_spread_over_the_source():
    assert spread_first(list(range(10)), 3) == [0, 4, 9, 1, 2, 3, 5, 6, 7, 8]
    assert spread_first(list(range(3)), 5) == [0, 1, 2]


def test_pca_and_explicit_centring_need_enough_videos_before_any_work(folder):
    engine = engine_for(reduce=ReduceConfig(dim=64, method="pca"))
    with pytest.raises(ValueError, match="at least 64 videos"):
        engine.index(folder)
    assert not engine.collection.exists()
