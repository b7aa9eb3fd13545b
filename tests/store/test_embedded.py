"""The embedded store's own promises (the shared contract is in test_stores.py / test_filters.py): IVF once
large enough, indexes saved and reloaded, nothing acknowledged lost to a kill -9, one process at a time, and
Milvus Lite libraries still opening as Milvus Lite."""

import subprocess
import sys

import numpy as np
import pytest

from tests.store.test_stores import DIM, entries, spec, with_segments
from vidsearch.store import CollectionSpec, IndexConfig, open_store
from vidsearch.store import embedded
from vidsearch.store.embedded import EMBEDDED_INDEX_TYPES


@pytest.fixture
def small_training(monkeypatch):
    monkeypatch.setattr(embedded, "TRAIN_MIN_ROWS", 200)


@pytest.mark.parametrize("index_type", EMBEDDED_INDEX_TYPES)
def test_every_index_trains_saves_and_reloads_without_a_rebuild(tmp_path, small_training, monkeypatch, index_type):
    db = str(tmp_path / "lib.db")
    rows = with_segments(entries(120, seed=3), per_video=4)
    store = open_store(db)
    store.create(CollectionSpec(DIM, IndexConfig(index_type, nlist=8, nprobe=8), {"model": "test"}))
    store.upsert(rows)
    store.flush()
    assert store._segments.trained_ivf == (index_type != "FLAT")
    query = rows[7].segments[2].vector[None]
    assert store.search_segments(query, 3)[0][0].video_id == 7
    store.close()
    monkeypatch.setattr(embedded.EmbeddedStore, "_all_vectors", lambda *a: pytest.fail("rebuilt a saved index"))
    again = open_store(db)
    assert again.search_segments(query, 3)[0][0].video_id == 7 and again.count_segments() == 480
    saved = again._index_file("segments")
    assert again._segments.mapped_from == saved  # viewed in the file's pages, not read
    written = saved.stat().st_mtime_ns
    again.flush()  # nothing changed: the saved index is not rewritten
    assert saved.stat().st_mtime_ns == written
    assert again.delete([7]) == 1 and 7 not in {h.video_id for h in again.search_segments(query, 50)[0]}
    assert again._segments.mapped_from is None  # read into memory by the first write
    again.upsert([rows[7]])
    assert again.search_segments(query, 3)[0][0].video_id == 7
    again.flush()
    again.close()
    reopened = open_store(db)
    assert reopened.search_segments(query, 3)[0][0].video_id == 7 and reopened.count_segments() == 480
    reopened.upsert(with_segments(entries(1, seed=9, start=500), per_video=2))  # the first write is an insert
    assert reopened.count_segments() == 482 and reopened._segments.mapped_from is None
    reopened.close()


def test_trained_ivf_matches_the_reference_with_filters(tmp_path, small_training):
    from vidsearch.store import VideoFilter

    rows = with_segments(entries(150, seed=4), per_video=3)
    store = open_store(str(tmp_path / "lib.db"))
    store.create(CollectionSpec(DIM, IndexConfig("IVF_FLAT", nlist=8, nprobe=1), {"model": "test"}))
    store.upsert(rows)
    store.flush()
    reference = open_store("memory://")
    reference.create(spec())
    reference.upsert(rows)
    queries = np.stack([rows[i].segments[1].vector for i in (3, 50, 120)])
    where = VideoFilter(label="label2")  # a third of the videos, spread over every cluster
    for got, want in zip(store.search_segments(queries, 20, where), reference.search_segments(queries, 20, where)):
        assert [(h.video_id, h.start) for h in got] == [(h.video_id, h.start) for h in want]
    store.close()


KILLED_WRITER = """
import os, signal, sys
import numpy as np
sys.path.insert(0, {root!r})
from tests.store.test_stores import entries, spec, with_segments
from vidsearch.store import open_store
store = open_store({db!r})
store.create(spec())
store.upsert(with_segments(entries(30), per_video=5))
store.flush()
store.upsert(with_segments(entries(20, seed=2, start=30), per_video=5, seed=7))  # acknowledged, never flushed
print("written", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_kill_after_an_unflushed_write_loses_nothing_acknowledged(tmp_path):
    from pathlib import Path

    db = str(tmp_path / "lib.db")
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER.format(root=root, db=db)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == -9 and "written" in result.stdout, result.stderr
    store = open_store(db)  # the saved index is a generation behind: rebuilt from SQLite
    assert store.count() == 50 and store.count_segments() == 250
    late = with_segments(entries(20, seed=2, start=30), per_video=5, seed=7)[4]
    assert store.search_segments(late.segments[3].vector[None], 1)[0][0].video_id == 34
    store.close()


def test_a_second_process_is_told_the_database_is_in_use(tmp_path):
    db = str(tmp_path / "lib.db")
    holder = open_store(db)
    holder.create(spec())
    code = ("import sys\nfrom vidsearch.store import open_store, StoreLockedError\n"
            f"try:\n    open_store({db!r})\nexcept StoreLockedError as e:\n    print(e); sys.exit(7)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    holder.close()
    assert result.returncode == 7 and "in use by another process" in result.stdout
    assert open_store(db).count() == 0  # free again once the holder closed


def test_two_collections_of_one_database_in_one_process(tmp_path):
    db = str(tmp_path / "lib.db")
    first, second = open_store(db, "first"), open_store(db, "second")
    first.create(spec())
    second.create(spec())
    first.upsert(entries(3))
    second.upsert(entries(5))
    assert (first.count(), second.count()) == (3, 5)
    first.close()
    code = ("import sys\nfrom vidsearch.store import open_store, StoreLockedError\n"
            f"try:\n    open_store({db!r})\nexcept StoreLockedError as e:\n    sys.exit(7)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 7  # still held by `second`
    second.close()
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


@pytest.mark.integration
def test_an_existing_milvus_lite_library_keeps_opening_with_milvus_lite(tmp_path):
    db = str(tmp_path / "old.db")
    lite = open_store("milvus-lite:" + db)
    lite.create(spec())
    lite.upsert(entries(5))
    lite.flush()
    lite.close()
    again = open_store(db)  # a plain path, as every earlier version was given
    assert again.kind == "milvus-lite" and again.count() == 5
    again.close()
    assert open_store(str(tmp_path / "new.db")).kind == "embedded"
