"""The projection is stored with the collection: every process searches with the library's own matrix."""

import json

import pytest

from tests.conftest import run_cli
from vidsearch import ReduceConfig, Settings, VideoSearch
from vidsearch.reduce import Projection, fit_projection
from vidsearch.store import CollectionSpec, StoreError


def cli(*args):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_reduced_collection_gives_the_same_results_in_a_new_process(library, tmp_path, embedder):
    root, specs = library
    db = str(tmp_path / "reduced.db")
    assert cli("index", str(root), "--db", db, "--dim", "128", "--centre", "--json")["indexed"] == 20
    info = cli("info", "--db", db, "--json")
    assert info["dim"] == 128 and info["reduction"] == {"method": "random", "centred": True}
    query = next((root / specs[5].motion).iterdir())  # a library video must find itself, at distance ~0
    first = cli("search", str(query), "--db", db, "--json")
    second = cli("search", str(query), "--db", db, "--json")
    assert first == second
    assert first["results"][0]["path"] == str(query.resolve()) and first["results"][0]["distance"] < 1e-3
    with VideoSearch(settings=Settings(db=db), embedder=embedder) as engine:  # a third process: this one
        here = engine.search(query).to_json()
    assert [r["id"] for r in here["results"]] == [r["id"] for r in first["results"]]
    assert [r["distance"] for r in here["results"]] == pytest.approx([r["distance"] for r in first["results"]], abs=2e-3)


def test_settings_of_a_new_process_do_not_override_the_stored_projection(library, tmp_path, embedder):
    root, _ = library
    db = str(tmp_path / "pca.db")
    with VideoSearch(settings=Settings(db=db, reduce=ReduceConfig(16, "pca")), embedder=embedder) as engine:
        engine.index(root)
        stored = engine.collection.projection()
    with VideoSearch(settings=Settings(db=db, reduce=ReduceConfig(64, "random")), embedder=embedder) as engine:
        assert engine.info().dim == 16 and engine.collection.projection().method == "pca"
        assert (engine.collection.projection().matrix == stored.matrix).all()


def test_a_projection_that_does_not_fit_the_model_is_a_clear_error(library, tmp_path, embedder):
    root, specs = library
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=embedder)
    engine.index(root)
    spec = engine.store.spec()
    foreign = fit_projection(None, 512, 64, "random").to_json()  # as if the collection was built by another model
    engine.store._spec = spec = CollectionSpec(spec.dim, spec.index, {**spec.meta, "projection": foreign})
    with pytest.raises(StoreError, match="re-index"):
        engine.search(next((root / specs[0].motion).iterdir()))
    assert Projection.from_json(spec.meta["projection"]).input_dim == 512


def test_centring_is_automatic_for_a_large_enough_first_index(library, embedder, monkeypatch):
    import vidsearch.config

    root, _ = library
    small = VideoSearch(settings=Settings(db="memory://"), embedder=embedder)
    small.index(root)
    assert small.info().centred is False  # 20 videos: too few to estimate a mean
    monkeypatch.setattr(vidsearch.config, "CENTRE_MIN_VIDEOS", 10)
    large = VideoSearch(settings=Settings(db="memory://"), embedder=embedder)
    large.index(root)
    assert large.info().centred is True
    off = VideoSearch(settings=Settings(db="memory://", reduce=ReduceConfig(centre=False)), embedder=embedder)
    off.index(root)
    assert off.info().centred is False
