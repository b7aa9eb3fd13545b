"""Search by action name and search filters through the engine (fast layer: the fake embedder, the
in-memory store; the store contract for filters is in tests/store/test_filters.py)."""

import pytest

from tests.fakes import FAKE_LABELS, FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.retrieval.actions import UnknownActionError, resolve_action, suggest
from vidsearch.model.labels import kinetics400_labels
from vidsearch.store import CollectionSpec, StoreError, VideoFilter

KINETICS = kinetics400_labels()


@pytest.mark.parametrize("typed, action, suggestions", [
    ("playing cricket", "playing cricket", []),
    ("  Playing   CRICKET ", "playing cricket", []),
    ("cricket", "playing cricket", ["playing cricket"]),
    ("criket", "playing cricket", ["playing cricket"]),
    ("plaing crikcet", "playing cricket", None),
    ("tying knot (not on a tie)", "tying knot (not on a tie)", []),
    ("massaging persons head", "massaging person's head", None),
])
def test_typed_names_resolve_to_kinetics_classes(typed, action, suggestions):
    got, offered = resolve_action(typed, KINETICS)
    assert got == action
    if suggestions is not None:
        assert offered == suggestions
    else:
        assert offered[0] == action


def test_a_partial_name_suggests_every_class_that_holds_it():
    assert set(suggest("kick", KINETICS)) >= {"high kick", "side kick"}
    assert all("guitar" in s for s in suggest("guitar", KINETICS))


@pytest.mark.parametrize("typed", ["xyzzy", "", "   ", "!!!"])
def test_nothing_alike_is_an_error_that_says_so(typed):
    with pytest.raises(UnknownActionError, match="no Kinetics-400 action resembles"):
        resolve_action(typed, KINETICS)


@pytest.fixture(scope="module")
def engine(library):
    search = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    search.settings.ingest.workers = 0
    search.index(library[0])
    yield search
    search.close()


def test_find_action_ranks_videos_by_their_best_window(engine):
    found = engine.find_action(FAKE_LABELS[3], k=50)
    assert found.action == FAKE_LABELS[3] and found.suggestions == []
    entries = {e.id: e for e in engine.store.get([h.id for h in found.results])}
    expected = sorted((max(a.score for a in e.actions if a.label == FAKE_LABELS[3]), e.id) for e in entries.values())
    assert [h.score for h in found.results] == sorted((s for s, _ in expected), reverse=True)
    assert found.results and all(0.0 < h.score <= 1.0 and h.end > h.start for h in found.results)
    json = found.to_json()
    assert set(json) == {"action", "results", "suggestions"}
    assert all(set(r) == {"id", "path", "label", "score"} for r in json["results"])
    misspelt = engine.find_action("fake acton 3", k=3)
    assert misspelt.action == FAKE_LABELS[3] and FAKE_LABELS[3] in misspelt.suggestions
    assert [h.id for h in misspelt.results] == [h.id for h in found.results[:3]]


def test_find_action_with_a_filter_and_k(engine, library):
    root, specs = library
    where = VideoFilter(path_prefix=str((root / specs[0].motion).resolve()))
    found = engine.find_action(FAKE_LABELS[0], k=50, where=where)
    assert all(h.path.startswith(where.path_prefix) for h in found.results)
    assert len(engine.find_action(FAKE_LABELS[0], k=2).results) <= 2


def test_a_filtered_search_returns_k_matching_videos(engine, library):
    root, specs = library
    query = next((root / specs[4].motion).iterdir())
    durations = sorted(e.duration for e in engine.store.get(list(engine.collection.catalogue()), vectors=False))
    cut = durations[len(durations) // 2]
    where = VideoFilter(min_duration=cut)
    matching = sum(d >= cut for d in durations)
    result = engine.search(query, k=matching - 1, where=where)
    assert len(result.results) == matching - 1 and all(r.duration >= cut for r in result.results)
    everything = engine.search(query, k=20, where=where)
    assert len(everything.results) == matching  # k larger than what matches: all of them, nothing else
    only = engine.search(query, k=5, where=VideoFilter(label=specs[4].motion))
    assert [r.label for r in only.results] == [specs[4].motion]
    assert engine.search(query, k=5, where=VideoFilter(label="no such label")).results == []


def test_old_collections_without_class_scores_say_how_to_get_them():
    search = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    search.store.create(CollectionSpec(1024, meta={"layout": 2, "segments": {"frames": 16, "fps": 8.0, "stride": 0.5},
                                                   "projection": {"method": "none", "input_dim": 1024}}))
    with pytest.raises(StoreError, match="index the videos again into a new collection"):
        search.find_action("fake action 1")
    with pytest.raises(StoreError, match="tag filters and find-action need them"):
        search.search_embedding([], where=VideoFilter(tag="fake action 1"))
