"""One contract for every backend, checked against the brute-force reference on the same data."""

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import restart_milvus_server
from vidsearch.reduce import l2_normalise
from vidsearch.tags import Tag
from vidsearch.store import CollectionSpec, IndexConfig, IndexConfigError, Listing, Segment, StoreError, VideoEntry, open_store
from vidsearch.store.milvus import LITE_INDEX_TYPES, SERVER_INDEX_TYPES

DIM = 32


@pytest.fixture(params=["brute-force", "embedded", "milvus-lite", "milvus-server"])
def store(request, tmp_path):
    if request.param == "brute-force":
        db = str(tmp_path / "store.npz")
    elif request.param == "embedded":
        db = str(tmp_path / "library.db")
    elif request.param == "milvus-lite":
        db = "milvus-lite:" + str(tmp_path / "lite.db")
    else:
        db = request.getfixturevalue("milvus_server")
    s = open_store(db, collection=f"t_{request.node.name.split('[')[0][-20:]}")
    s.drop()
    yield s
    s.drop()
    s.close()


def entries(n: int, seed: int = 0, start: int = 0) -> list[VideoEntry]:
    vectors = l2_normalise(np.random.default_rng(seed).normal(size=(n, DIM)))
    return [VideoEntry(start + i, f"/videos/{start + i}.mp4", f"label{i % 3}", v,
                       [Tag("abseiling", 0.5)], f"fp{start + i}") for i, v in enumerate(vectors)]


def spec(nlist: int = 8) -> CollectionSpec:
    return CollectionSpec(DIM, IndexConfig("IVF_FLAT", "L2", nlist=nlist, nprobe=nlist), {"model": "test", "num_frames": 8})


def test_spec_round_trips_and_rows_are_kept(store):
    assert not store.exists()
    store.create(spec())
    rows = entries(50)
    store.upsert(rows)
    store.flush()
    assert store.exists() and store.count() == 50
    assert store.spec().to_json() == spec().to_json()
    got = {e.id: e for e in store.get([3, 7, 999])}
    assert set(got) == {3, 7}
    assert got[3].path == "/videos/3.mp4" and got[3].label == "label0" and got[3].fingerprint == "fp3"
    assert got[3].tags == [Tag("abseiling", 0.5)]
    assert np.allclose(got[3].vector, rows[3].vector, atol=1e-6)
    assert store.catalogue() == {e.id: Listing(e.path, e.label, e.fingerprint) for e in rows}


def test_upsert_replaces_and_delete_counts(store):
    store.create(spec())
    store.upsert(entries(20))
    replacement = entries(1, seed=9, start=5)[0]
    store.upsert([replacement])
    assert store.delete([1, 2, 12345]) == 2
    store.flush()
    assert store.count() == 18
    assert np.allclose(store.get([5])[0].vector, replacement.vector, atol=1e-6)


def test_search_matches_the_brute_force_reference(store, tmp_path):
    rows = with_segments(entries(300, seed=1), per_video=1)
    store.create(spec(nlist=8))  # nprobe = nlist: the IVF search is exhaustive, so exact
    store.upsert(rows)
    store.flush()
    reference = open_store("memory://")
    reference.create(spec())
    reference.upsert(rows)
    queries = l2_normalise(np.random.default_rng(2).normal(size=(5, DIM)))
    for got, want in zip(store.search_segments(queries, 10), reference.search_segments(queries, 10)):
        assert [h.video_id for h in got] == [h.video_id for h in want]
        assert [h.distance for h in got] == pytest.approx([h.distance for h in want], abs=1e-4)
        (mine,), (theirs,) = store.get([got[0].video_id]), reference.get([want[0].video_id])
        assert (mine.path, mine.label) == (theirs.path, theirs.label)


def with_segments(rows: list[VideoEntry], per_video: int, seed: int = 3) -> list[VideoEntry]:
    rng = np.random.default_rng(seed)
    for row in rows:
        row.segments = [Segment(2.0 * i, 2.0 * i + 4, v) for i, v in enumerate(l2_normalise(rng.normal(size=(per_video, DIM))))]
    return rows


def test_segments_are_searched_like_the_reference_and_go_with_their_video(store):
    rows = with_segments(entries(30), per_video=5)
    store.create(spec())
    store.upsert(rows)
    store.flush()
    reference = open_store("memory://")
    reference.create(spec())
    reference.upsert(rows)
    assert store.count_segments() == 150
    queries = np.stack([rows[4].segments[2].vector, rows[17].segments[0].vector])
    for got, want in zip(store.search_segments(queries, 10), reference.search_segments(queries, 10)):
        assert [(h.video_id, h.start, h.end) for h in got] == [(h.video_id, h.start, h.end) for h in want]
        assert [h.distance for h in got] == pytest.approx([h.distance for h in want], abs=1e-4)
    assert (got[0].video_id, got[0].start) == (17, 0.0) and got[0].distance == pytest.approx(0.0, abs=1e-5)
    store.upsert(with_segments(entries(1, start=4), per_video=2, seed=9))  # video 4 re-indexed: 2 segments now
    assert store.delete([17]) == 1
    store.flush()
    assert store.count_segments() == 150 - 5 + 2 - 5 and store.count() == 29
    assert {h.video_id for h in store.search_segments(queries, 200)[1]} == set(range(30)) - {17}


def test_a_write_cut_between_segments_and_video_row_leaves_no_video(store, monkeypatch):
    """A run killed mid-write: the video's row is written last, so the video is absent (not half there),
    and writing it again replaces the stray segments."""
    store.create(spec())
    store.upsert(with_segments(entries(3), per_video=4))
    store.flush()
    changed = with_segments(entries(1, seed=5, start=1), per_video=3, seed=8)
    if store.kind == "embedded":  # one SQLite transaction: a write cut anywhere leaves the old version whole
        before = store.get([1])[0]
        monkeypatch.setattr(store, "_bump", lambda: (_ for _ in ()).throw(RuntimeError("killed mid-write")))
        with pytest.raises(RuntimeError):
            store.upsert(changed)
        monkeypatch.undo()
        assert store.count_segments() == 12 and np.array_equal(store.get([1])[0].vector, before.vector)
        assert {h.video_id for h in store.search_segments(before.vector[None], 12)[0]} == {0, 1, 2}
        store.upsert(changed)
        store.flush()
        assert store.count() == 3 and store.count_segments() == 4 + 3 + 4
        return
    if store.kind == "brute-force":  # one process, no partial write possible: what a kill would leave
        store.segments[1] = changed[0].segments
        del store.rows[1]
        store._changed()
    else:
        writes = []
        monkeypatch.setattr(store, "_write", lambda name, rows: writes.append(name) if name == store.collection else
                            type(store)._write(store, name, rows))
        store.upsert(changed)
        assert writes == [store.collection]  # everything but the video row was written
        monkeypatch.undo()
        store.flush()
    assert store.get([1]) == [] and 1 not in store.catalogue()
    store.upsert(changed)
    store.flush()
    assert store.count() == 3 and store.count_segments() == 4 + 3 + 4


def test_a_missing_collection_is_a_clear_error(store):
    with pytest.raises(StoreError, match="index some videos first"):
        store.spec()


def test_brute_force_file_survives_a_restart(tmp_path):
    path = str(tmp_path / "lib.npz")
    store = open_store(path)
    store.create(spec())
    store.upsert(entries(10))
    store.flush()
    again = open_store(path)
    assert again.count() == 10 and again.spec().meta["model"] == "test"


@pytest.mark.integration
def test_lite_keeps_nested_index_params_across_a_restart(tmp_path):
    db = "milvus-lite:" + str(tmp_path / "lite.db")
    store = open_store(db)
    store.create(spec(nlist=16))
    rows = with_segments(entries(40), per_video=1)
    store.upsert(rows)
    store.flush()
    store.close()
    again = open_store(db)
    assert again.client.describe_index("videos", "embedding")["params"]["nlist"] == 16
    assert again.count() == 40 and len(again.search_segments(rows[0].segments[0].vector[None], 5)[0]) == 5
    again.close()


@pytest.mark.integration
def test_lite_reloads_after_a_write_so_the_next_search_uses_the_index(tmp_path, monkeypatch):
    """Lite reports its index finished at once yet searches new rows by brute force for seconds (docs/stores.md): a flush
    that wrote anything reloads both collections; one with nothing written does not."""
    store = open_store("milvus-lite:" + str(tmp_path / "lite.db"))
    store.create(spec())
    reloaded = []
    monkeypatch.setattr(store.client, "release_collection", lambda name, *a, **k: None)  # stays loaded meanwhile
    monkeypatch.setattr(store.client, "load_collection", lambda name, *a, **k: reloaded.append(name))
    store.upsert(entries(10))
    store.flush()
    assert sorted(reloaded) == ["videos", "videos__segments"]
    store.flush()
    assert len(reloaded) == 2  # nothing written since: no reload
    store.delete([3])
    store.flush()
    assert len(reloaded) == 4
    store.close()


def _build_every_index(db: str, index_types) -> None:
    for index_type in index_types:
        store = open_store(db, collection=f"idx_{index_type.lower()}")
        store.drop()
        store.create(CollectionSpec(DIM, IndexConfig(index_type, nlist=8, nprobe=8), {"model": "test"}))
        store.upsert(with_segments(entries(60), per_video=2))
        store.flush()
        store.close()


def _search_every_index(db: str, index_types) -> None:
    query = with_segments(entries(60), per_video=2)[7].segments[1].vector[None]
    for index_type in index_types:
        store = open_store(db, collection=f"idx_{index_type.lower()}")
        assert store.spec().index.index_type == index_type and store.count() == 60
        assert store.search_segments(query, 5)[0][0].video_id == 7, index_type
        store.drop()
        store.close()


@pytest.mark.integration
def test_every_allowed_index_builds_and_reloads_on_lite(tmp_path):
    db = "milvus-lite:" + str(tmp_path / "lite.db")
    _build_every_index(db, LITE_INDEX_TYPES)  # the last close stops this process's Lite engine
    _search_every_index(db, LITE_INDEX_TYPES)  # a fresh engine loads every index from disk


@pytest.mark.milvus_server
def test_every_allowed_index_builds_and_reloads_after_a_server_restart(milvus_server):
    _build_every_index(milvus_server, SERVER_INDEX_TYPES)
    restart_milvus_server()
    _search_every_index(milvus_server, SERVER_INDEX_TYPES)


@pytest.mark.integration
@pytest.mark.parametrize("index, match", [
    (IndexConfig("BOGUS"), "index type 'BOGUS' is not supported"),
    (IndexConfig("SCANN"), "index type 'SCANN' is not supported here"),  # the server builds it, Lite cannot
    (IndexConfig("IVF_PQ"), "not supported"),
    (IndexConfig(nlist=0), "nlist must be"),
    (IndexConfig(nlist=16, nprobe=17), "nprobe must be an integer from 1 to 16"),
    (IndexConfig(metric="IP"), "metric 'IP'"),
    (IndexConfig("HNSW", m=1), "M must be"),
])
def test_lite_refuses_indexes_it_cannot_build_before_writing_anything(tmp_path, index, match):
    store = open_store("milvus-lite:" + str(tmp_path / "lite.db"))
    with pytest.raises(IndexConfigError, match=match):
        store.check_index(index)
    with pytest.raises(IndexConfigError, match=match):
        store.create(CollectionSpec(DIM, index))
    assert not store.exists()
    store.close()


@pytest.mark.integration
def test_lite_lock_held_by_another_process_is_reported(tmp_path):
    db = "milvus-lite:" + str(tmp_path / "lite.db")
    holder = open_store(db)
    holder.client  # connecting creates the database and takes its lock
    code = (
        "import sys\nfrom vidsearch.store import open_store, StoreLockedError\n"
        f"try:\n    open_store({db!r})\nexcept StoreLockedError as e:\n    print(e); sys.exit(7)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    holder.close()
    assert result.returncode == 7, result.stderr
    assert "in use by another process" in result.stdout and "Traceback" not in result.stdout
