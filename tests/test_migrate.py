"""`migrate`: a collection copied between stores, as stored (no re-embedding), searchable the same."""

import json

import numpy as np
import pytest

from tests.store.test_filters import library
from tests.store.test_stores import DIM
from vidsearch.cli import main
from vidsearch.migrate import migrate
from vidsearch.store import CollectionSpec, IndexConfig, StoreError, VideoFilter, open_store

pytestmark = pytest.mark.integration  # every move goes through Milvus Lite


def snapshot(store):
    queries = np.stack([store.get([i])[0].vector for i in (3, 17, 42)])
    return (store.count(), store.count_segments(), store.spec().meta,
            [[(h.video_id, h.start) for h in hits] for hits in store.search_segments(queries, 8, VideoFilter(label="label1"))],
            [(h.id, round(h.score, 4)) for h in store.rank_action("playing cricket", 5)])


def test_a_collection_moves_through_every_store_unchanged(tmp_path):
    spec = CollectionSpec(DIM, IndexConfig("IVF_FLAT", nlist=8, nprobe=8), {"model": "test", "layout": 2})
    source = open_store(str(tmp_path / "ref.npz"))
    source.create(spec)
    source.upsert(library())
    source.flush()
    expected = snapshot(source)
    chain = [str(tmp_path / "a.db"), "milvus-lite:" + str(tmp_path / "lite.db"), str(tmp_path / "b.db")]
    for db in chain:
        target = open_store(db)
        report = migrate(source, target)
        assert (report.videos, report.segments, report.index_note) == (60, 180, "")
        assert snapshot(target) == expected, db
        source.close()
        source = target
    with pytest.raises(StoreError, match="already has a collection"):
        migrate(open_store(str(tmp_path / "ref.npz")), source)
    source.close()


def test_an_index_the_target_cannot_build_falls_back_and_says_so(tmp_path):
    source = open_store("milvus-lite:" + str(tmp_path / "lite.db"))
    source.create(CollectionSpec(DIM, IndexConfig("HNSW"), {"model": "test"}))
    source.upsert(library(10))
    target = open_store(str(tmp_path / "new.db"))
    report = migrate(source, target)
    assert "cannot build HNSW" in report.index_note and target.spec().index.index_type == "IVF_FLAT"
    assert target.count() == 10
    source.close()
    target.close()


def test_cli_migrate(tmp_path, capsys):
    source = open_store(str(tmp_path / "ref.npz"))
    source.create(CollectionSpec(DIM, meta={"model": "test"}))
    source.upsert(library(12))
    source.flush()
    assert main(["--db", str(tmp_path / "ref.npz"), "migrate", "--to", str(tmp_path / "lib.db"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["videos"], out["segments"], out["to"]) == (12, 36, str(tmp_path / "lib.db"))
    assert main(["--db", str(tmp_path / "ref.npz"), "migrate", "--to", str(tmp_path / "lib.db")]) == 1
    assert "already has a collection" in capsys.readouterr().err


@pytest.mark.milvus_server
def test_a_lite_collection_moves_to_a_server_with_one_command(tmp_path, milvus_server, capsys):
    """docs/stores.md: `vidsearch --db LITE migrate --to URI` copies vectors and metadata, no re-embedding."""
    lite = "milvus-lite:" + str(tmp_path / "lite.db")
    source = open_store(lite, "moving")
    source.create(CollectionSpec(DIM, IndexConfig("IVF_FLAT", nlist=8, nprobe=8), {"model": "test", "layout": 2}))
    source.upsert(library())
    source.flush()
    expected = snapshot(source)
    source.close()
    try:
        assert main(["--db", lite, "--collection", "moving", "migrate", "--to", milvus_server, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["videos"] == 60
        with open_store(milvus_server, "moving") as target:
            assert snapshot(target) == expected
    finally:
        with open_store(milvus_server, "moving") as target:
            target.drop()
