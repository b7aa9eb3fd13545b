"""Filters and action ranking: every backend against the brute-force reference (whose `VideoFilter.matches`
is the meaning), with the filter inside the search: k results come back whenever k videos match."""

import numpy as np
import pytest

from tests.store.test_stores import DIM, store  # noqa: F401 - the parametrised backend fixture
from vidsearch.reduce import l2_normalise
from vidsearch.store import CollectionSpec, IndexConfig, Segment, VideoEntry, VideoFilter, open_store
from vidsearch.tags import Action, Tag

FOLDERS = ["/videos/a_%/", "/videos/ab/", '/videos/q"x\\y/', "/videos/é/"]


def library(n: int = 60) -> list[VideoEntry]:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(n):
        vectors = l2_normalise(rng.normal(size=(3, DIM)))
        tags = [Tag("playing cricket" if i % 4 == 0 else "abseiling", 0.6), Tag("juggling balls", 0.2)]
        actions = [Action("playing cricket", round(float(rng.uniform(0.05, 0.95)), 4), 0.5 * (i % 3), 0.5 * (i % 3) + 2.0)]
        actions += [Action("juggling balls", 0.1, 0.0, 2.0)] if i % 5 == 0 else []
        rows.append(VideoEntry(i, f"{FOLDERS[i % 4]}{i}.mp4", f"label{i % 3}", l2_normalise(vectors.mean(0)), tags,
                               f"fp{i}", 0.5 * i, [Segment(j * 0.5, j * 0.5 + 2.0, v) for j, v in enumerate(vectors)],
                               actions))
    return rows


FILTERS = [
    VideoFilter(label="label1"), VideoFilter(tag="playing cricket"), VideoFilter(min_duration=20.0),
    VideoFilter(max_duration=7.5), VideoFilter(min_duration=5.0, max_duration=15.0),
    VideoFilter(path_prefix="/videos/a_%/"), VideoFilter(path_prefix="/videos/a"), VideoFilter(path_prefix='/videos/q"x\\'),
    VideoFilter(path_prefix="/videos/é"), VideoFilter(label="label0", tag="playing cricket", min_duration=3.0),
    VideoFilter(label="nobody"),
]


@pytest.fixture
def filled(store):  # noqa: F811
    # nprobe 1 of 8 clusters: a filtered IVF search sees few matches unless the backend widens it
    spec = CollectionSpec(DIM, IndexConfig("IVF_FLAT", "L2", nlist=8, nprobe=1), {"model": "test"})
    rows = library()
    store.create(spec)
    store.upsert(rows)
    store.flush()
    reference = open_store("memory://")
    reference.create(spec)
    reference.upsert(rows)
    return store, reference, rows


@pytest.mark.parametrize("where", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.to_json().items()))
def test_filtered_search_returns_k_matching_segments_like_the_reference(filled, where):
    store, reference, rows = filled
    matching = {e.id for e in rows if where.matches(e)}
    queries = l2_normalise(np.random.default_rng(5).normal(size=(3, DIM)))
    for got, want in zip(store.search_segments(queries, 12, where), reference.search_segments(queries, 12, where)):
        assert len(got) == min(12, 3 * len(matching))
        assert {h.video_id for h in got} <= matching
        assert [(h.video_id, h.start) for h in got] == [(h.video_id, h.start) for h in want]


@pytest.mark.parametrize("where", [None, VideoFilter(label="label2"), VideoFilter(path_prefix="/videos/ab/")])
def test_videos_are_ranked_by_an_action_like_the_reference(filled, where):
    store, reference, rows = filled
    for action, k in (("playing cricket", 7), ("juggling balls", 50), ("zumba", 5)):
        got, want = store.rank_action(action, k, where), reference.rank_action(action, k, where)
        assert [(h.id, h.start, h.end) for h in got] == [(h.id, h.start, h.end) for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
        assert all(where is None or where.matches(rows[h.id]) for h in got)
    assert store.rank_action("zumba", 5) == []
    assert len(store.rank_action("juggling balls", 50)) == 12  # every video that has it, no more


def test_actions_round_trip(filled):
    store, _, rows = filled
    got = store.get([5])[0]
    assert [(a.label, a.start, a.end) for a in got.actions] == [(a.label, a.start, a.end) for a in rows[5].actions]


@pytest.mark.parametrize("kwargs, message", [
    ({"min_duration": 5, "max_duration": 2}, "above max_duration"),
    ({"min_duration": -1}, "min_duration must be"),
    ({"max_duration": float("nan")}, "max_duration must be"),
    ({"label": ""}, "label must be"),
    ({"path_prefix": "/a\nb"}, "path_prefix must be"),
    ({"tag": 3}, "tag must be"),
])
def test_a_filter_that_cannot_hold_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VideoFilter(**kwargs)


def test_an_empty_filter_is_no_filter():
    assert not VideoFilter() and VideoFilter(label="x")
