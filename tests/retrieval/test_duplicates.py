"""Copies inside a library (fast layer: the fake embedder, real encoded videos): the right pairs with the right
times, the groups, nothing between different clips of one scene, black frames and title cards left out, the
JSON shape, the HTML report, the CLI, and the copy flag of search. The real model is in
tests/server/test_browser.py (default threshold) and benchmarks/copy_calibration.py (the calibration)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from tests.conftest import run_cli
from tests.duplicates_corpus import COPIED, GROUPS, build
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.config import ReduceConfig
from vidsearch.retrieval.duplicates import PROPOSAL_RATIO, DuplicatePair, MatchedSpan, _align, _covered, _groups, _Match
from vidsearch.duplicates_html import render
from vidsearch.retrieval.search import COPY_THRESHOLD, background, find
from vidsearch.sources import SourceItem
from vidsearch.video.information import informative_windows, is_plain, low_information

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)

# The threshold is a normalised distance (to the 5th nearest other video's). The fake embedder's colour layouts
# make different synthetic scenes (a, c) nearer to each other than I3D does, so these tests use 0.2; the
# calibrated default (0.35) belongs to the real model (tests/server/test_browser.py uses it).
FAKE_THRESHOLD = 0.2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("copies"))


@pytest.fixture(scope="module")
def engine(corpus, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("db") / "lib.db")
    engine = VideoSearch(settings=Settings(db=db, reduce=ReduceConfig(centre=False)), embedder=FakeEmbedder())
    engine.settings.ingest.workers = 0
    report = engine.index([SourceItem(n, path, name) for n, (name, path) in enumerate(sorted(corpus.items()), 1)])
    assert report.indexed == len(corpus) and not report.failed
    engine.store.flush()
    yield engine
    engine.close()


def named(engine, report) -> tuple[set, list]:
    names = {v: listing.label for v, listing in engine.store.catalogue().items()}
    pairs = {tuple(sorted((names[p.a], names[p.b]))) for p in report.pairs}
    return pairs, [{names[v] for v in group} for group in report.groups]


def test_every_copy_pairs_and_nothing_else(engine):
    report = engine.duplicates(FAKE_THRESHOLD)
    pairs, groups = named(engine, report)
    assert pairs == COPIED  # scene_1 / scene_2 (one scene, different action) do not pair
    assert sorted(groups, key=len, reverse=True) == GROUPS
    assert report.blank_windows > 0 and report.segments_searched == engine.store.count_segments()


def test_the_frames_decide_by_default(engine):
    """By default every match nearer than its background is proposed and the frames decide: exactly the copies.
    The vectors alone, proposing as much, take different videos for copies (the fake embedder's a and c look
    alike, like two clips of one scene do to I3D)."""
    report = engine.duplicates()
    pairs, groups = named(engine, report)
    assert report.threshold == PROPOSAL_RATIO and pairs == COPIED
    assert sorted(groups, key=len, reverse=True) == GROUPS
    by_vectors, _ = named(engine, engine.duplicates(PROPOSAL_RATIO, check_frames=False))
    assert COPIED < by_vectors and ("a", "c") in by_vectors


def test_where_the_frames_cannot_tell_the_vectors_decide(engine):
    """Files gone or unreadable: all is proposed, and an interval stays only when one of its matches is under the
    vectors' own calibrated threshold: no pair the vectors alone would not give, and the copies still found."""
    from vidsearch.retrieval.duplicates import find_duplicates

    stride = float(engine.collection.spec().meta["segments"]["stride"])
    cannot_tell, _ = named(engine, find_duplicates(engine.store, stride, PROPOSAL_RATIO, same_footage=lambda *a: None))
    by_vectors, _ = named(engine, find_duplicates(engine.store, stride, COPY_THRESHOLD))
    assert COPIED <= cannot_tell <= by_vectors


def test_the_times_of_the_shared_footage(engine):
    names = {listing.label: v for v, listing in engine.store.catalogue().items()}
    report = engine.duplicates(FAKE_THRESHOLD)
    pair = {(p.a, p.b): p for p in report.pairs}

    def spans(x, y):
        p = pair[tuple(sorted((names[x], names[y])))]
        flip = names[x] > names[y]
        return [(s.b_start, s.b_end, s.a_start, s.a_end) if flip else (s.a_start, s.a_end, s.b_start, s.b_end)
                for s in p.segments]

    # b_trim is b from 3 s to 10 s; the compilation is a 2-7 s then c 4-9 s
    assert any(abs(bs - 3.0) <= 0.5 and abs(as_ - 0.0) <= 0.5 and be - bs >= 6 for bs, be, as_, _ in spans("b", "b_trim"))
    assert any(abs(s[0] - 2.0) <= 0.5 and abs(s[2] - 0.0) <= 0.5 for s in spans("a", "compilation"))
    assert any(abs(s[0] - 4.0) <= 0.5 and abs(s[2] - 5.0) <= 0.5 for s in spans("c", "compilation"))
    assert pair[tuple(sorted((names["a"], names["a_reencode"])))].overlap >= 11.0


def test_black_frames_and_title_cards_pair_unrelated_videos_without_the_frame_check(engine):
    pairs, _ = named(engine, engine.duplicates(FAKE_THRESHOLD, check_frames=False))
    assert {("black", "fade_in"), ("card_1", "card_2")} <= pairs  # what the frame check prevents


def test_min_overlap_and_threshold(engine):
    pairs, _ = named(engine, engine.duplicates(FAKE_THRESHOLD, min_overlap=6.0))
    assert ("a", "a_reencode") in pairs and ("c", "compilation") not in pairs  # 5 s shared
    assert not engine.duplicates(1e-6).pairs or all(p.distance <= 1e-6 for p in engine.duplicates(1e-6).pairs)
    with pytest.raises(ValueError):
        engine.duplicates(0.0)


def test_json_shape(engine):
    out = engine.duplicates(FAKE_THRESHOLD).to_json()
    assert set(out) == {"threshold", "pairs", "groups", "seconds"}
    pair = out["pairs"][0]
    assert set(pair) == {"a", "b", "distance", "overlap", "segments"} and pair["a"] < pair["b"]
    assert set(pair["segments"][0]) == {"a_start", "a_end", "b_start", "b_end", "distance"}
    assert all(isinstance(v, int) for group in out["groups"] for v in group)
    json.dumps(out)


def test_html_report_shows_every_pair_with_frames(engine):
    report = engine.duplicates(FAKE_THRESHOLD)
    paths = {v: listing.path for v, listing in engine.store.catalogue().items()}
    page = render(report, paths)
    shown = set(re.findall(r'class="pair" data-a="(\d+)" data-b="(\d+)"', page))
    assert shown == {(str(p.a), str(p.b)) for p in report.pairs}
    assert page.count("data:image/jpeg;base64,") == 6 * len(report.pairs)  # 3 frames a side, inlined
    assert "http" not in page  # nothing to fetch: readable offline
    empty = render(engine.duplicates(1e-9, min_overlap=1e9), paths)
    assert "No two videos of this library share footage" in empty


def test_cli_json_and_html(engine, tmp_path):
    db = str(tmp_path / "copy.db")
    shutil.copytree(engine.location, db, ignore=shutil.ignore_patterns("*.lock"))  # the engine holds its own
    report = tmp_path / "report.html"
    result = run_cli("--db", db, "duplicates", "--threshold", str(FAKE_THRESHOLD), "--json",
                     "--html", str(report), timeout=300)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["pairs"]) == len(COPIED) and len(out["groups"]) == 2
    assert report.read_text().count('class="pair"') == len(COPIED)
    text = run_cli("--db", db, "duplicates", "--threshold", str(FAKE_THRESHOLD), "--no-frame-check")
    assert text.returncode == 0 and "pairs of videos share footage" in text.stdout and "group 1:" in text.stdout


def test_cli_errors_are_one_line(tmp_path):
    for args in (["duplicates", "--threshold", "-1"], ["duplicates", "--threshold", "nan"],
                 ["duplicates", "--html", str(tmp_path / "missing" / "r.html")]):
        result = run_cli("--db", str(tmp_path / "x.db"), *args)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    empty = run_cli("--db", str(tmp_path / "none.db"), "duplicates")
    assert empty.returncode == 1 and "index some videos first" in empty.stderr and "Traceback" not in empty.stderr


def test_copy_flag_and_copies_only(engine, corpus):
    windows = engine.embed(corpus["a_reencode"])
    names = {v: listing.label for v, listing in engine.store.catalogue().items()}
    matches = find(engine.collection, windows, k=13, copy_threshold=FAKE_THRESHOLD)
    flagged = {names[m.id] for m in matches if m.copy}
    assert flagged == {"a", "a_reencode", "a_crop"}  # the compilation holds 5 of its 12 s: far on average
    only = find(engine.collection, windows, k=13, copy_threshold=FAKE_THRESHOLD, copies_only=True)
    assert {names[m.id] for m in only} == flagged and all(m.copy for m in only)
    assert all(m.to_json()["copy"] is m.copy for m in matches)


def test_search_decides_copies_on_the_frames(engine, corpus):
    """A search with the query's file: results nearer than the background are proposed and their frames
    decide. The re-encode is a copy of a and a_crop (the compilation holds 5 of its 12 s, which the whole-query
    alignment does not place with the fake embedder); the clips of one scene (scene_1, scene_2), near to the
    vectors, are not. Only the copies with --copies-only."""
    names = {v: listing.label for v, listing in engine.store.catalogue().items()}
    result = engine.search(corpus["a_reencode"], k=13)
    assert {names[m.id] for m in result.results if m.copy} == {"a", "a_reencode", "a_crop"}
    assert {"scene_1", "scene_2"} <= {names[m.id] for m in result.results[:8]}  # proposed, and refused
    only = engine.search(corpus["a_reencode"], k=13, copies_only=True)
    assert [m.id for m in only.results] == [m.id for m in result.results if m.copy]
    assert not any(m.copy for m in engine.search(corpus["scene_1"], k=13).results if names[m.id] != "scene_1")


# -- the pieces ------------------------------------------------------------------------------------------------


def test_alignment_keeps_one_offset_per_part_of_a_compilation():
    stride = 0.5
    part_1 = [_Match(t, t + 2, t - 2.0, t, 0.01) for t in np.arange(2.0, 5.5, 0.5)]  # a 2-7 s at b 0-5 s
    part_2 = [_Match(t, t + 2, t + 1.0, t + 3, 0.02) for t in np.arange(0.0, 3.5, 0.5)]  # a 0-5 s at b 1-6 s ...
    look_alike = [_Match(9.0, 11.0, 1.0, 3.0, 0.01)]  # one window, footage already matched in b
    spans = _align(part_1 + look_alike, stride)
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [(2.0, 7.0, 0.0, 5.0)]
    assert len(_align(part_1 + part_2, stride)) == 1  # the second offset repeats footage of a already matched
    far = [_Match(t, t + 2, t + 20.0, t + 22, 0.02) for t in np.arange(20.0, 23.5, 0.5)]  # later, elsewhere
    assert [(s.a_start, s.b_start) for s in _align(part_1 + far, stride)] == [(2.0, 0.0), (20.0, 40.0)]
    whole = _align([_Match(0, 5, 0, 6, 0.3), _Match(0, 5, 0, 6, 0.1, False)], 0.0)  # one vector per video
    assert len(whole) == 1 and whole[0].distance == 0.1  # kept: one of its matches is under the threshold
    proposed = [_Match(t, t + 2, t, t + 2, 0.3, False) for t in np.arange(0.0, 3.0, 0.5)]  # proposed only
    assert _align(proposed, stride) == [] and len(_align(proposed, stride, lambda span, under: True)) == 1
    assert len(_align(proposed[:-1] + [_Match(2.5, 4.5, 2.5, 4.5, 0.3)], stride)) == 1


def test_a_look_alike_refused_by_the_frames_does_not_hide_the_shared_footage():
    """The best supported offset is a look-alike the frame check refuses: the footage it overlaps is still
    looked at, offset by offset, and the true interval is kept."""
    stride = 0.5
    look_alike = [_Match(t, t + 2, t + 1.0, t + 3, 0.2) for t in np.arange(0.0, 4.5, 0.5)]  # 9 matches
    shared = [_Match(t, t + 2, t + 3.0, t + 5, 0.1) for t in np.arange(0.0, 3.5, 0.5)]  # 7 matches
    refuse_look_alike = lambda span, under: span.b_start - span.a_start > 2  # noqa: E731 - the frames' verdict
    assert [(s.a_start, s.b_start) for s in _align(look_alike + shared, stride, refuse_look_alike)] == [(0.0, 3.0)]


def test_a_part_whose_run_goes_on_into_a_look_alike_part_is_kept():
    """A compilation of a 2-7 s then another moment of the scene: at a's offset, the proposals run on from the
    first part into the second (a 2-12 s at b 0-10 s). The frames refuse the whole run; its half that is a's
    footage is kept, the other half is not, and a refused run shorter than two pieces is not cut up."""
    stride = 0.5
    run = [_Match(t, t + 2, t - 2.0, t, 0.2) for t in np.arange(2.0, 10.5, 0.5)]  # a 2-12 s at b 0-10 s
    checked = []

    def frames(span, under):  # the frames: a's footage is b's first 5 s
        checked.append((span.a_start, span.a_end))
        return span.b_end <= 5.0 + 1e-9

    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in _align(run, stride, frames)] == [(2.0, 7.0, 0.0, 5.0)]
    assert checked == [(2.0, 12.0), (2.0, 7.0), (7.0, 12.0)]  # 5-s halves: not cut again (MIN_PIECE 3 s)
    refuse = lambda span, under: checked.append(span) and False  # noqa: E731
    checked.clear()
    assert _align(run, stride, refuse) == [] and len(checked) == 3
    checked.clear()
    assert _align(run[:8], stride, refuse) == [] and len(checked) == 1  # a 2-7.5 s: under two pieces


def test_union_and_groups():
    assert _covered([(0, 2), (1, 3), (5, 6)]) == 4.0 and _covered([]) == 0.0
    pairs = [DuplicatePair(1, 2, 0.1, 1, [MatchedSpan(0, 1, 0, 1, 0.1)]), DuplicatePair(2, 3, 0.1, 1, []),
             DuplicatePair(7, 9, 0.1, 1, [])]
    assert _groups(pairs) == [[1, 2, 3], [7, 9]]


def test_plain_frames():
    rng = np.random.default_rng(0)
    black = np.zeros((72, 96), np.uint8)
    white = np.full((72, 96), 250, np.uint8)
    card = black.copy()
    card[30:40, 20:76] = 230  # a line of text on a plain background
    natural = np.clip(rng.normal(110, 45, (72, 96)), 0, 255).astype(np.uint8)
    dim = (natural * 0.1).astype(np.uint8)  # the middle of a fade from black
    assert all(is_plain(f) for f in (black, white, card, dim)) and not is_plain(natural)
    assert low_information([black, card, natural]) and not low_information([natural, natural, black])


def test_informative_windows_read_the_frames(corpus):
    assert informative_windows(corpus["black"], [(0.0, 2.0), (2.0, 4.0)]) == [False, False]
    assert informative_windows(corpus["card_1"], [(0.0, 2.0), (4.0, 6.0)]) == [False, True]
    assert informative_windows(corpus["fade_in"], [(0.0, 2.0), (4.0, 6.0)]) == [False, True]
    assert informative_windows("/no/such/file.mp4", [(0.0, 2.0)]) == [True]  # nothing known against it


def test_api_and_page(engine, tmp_path):
    from tests.conftest import api_client

    from vidsearch.server.app import ServerConfig, create_app

    client = api_client(create_app(engine, ServerConfig(data_dir=tmp_path)))
    body = client.get(f"/api/duplicates?threshold={FAKE_THRESHOLD}").json()
    assert set(body) == {"threshold", "pairs", "groups", "seconds", "videos"} and len(body["pairs"]) == len(COPIED)
    members = {v for group in body["groups"] for v in group}
    assert {v["id"] for v in body["videos"]} == members and all(v["preview_url"] for v in body["videos"])
    page = client.get(f"/duplicates?threshold={FAKE_THRESHOLD}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count('class="pair"') == len(COPIED)
    for bad in ("threshold=0", "threshold=abc", "min_overlap=-1", "threshold=5"):
        response = client.get(f"/api/duplicates?{bad}")
        assert response.status_code == 422 and "detail" in response.json()
    assert "/duplicates" in client.get("/").text  # the page links to it


def test_background_skips_the_group_of_copies():
    assert background([0.3, 0.32, 0.35, 0.4, 0.45, 0.5]) == 0.45  # no group: the 5th video
    assert background([0.01] * 7 + [0.3, 0.31, 0.32, 0.33, 0.34]) == 0.34  # after 7 copies: the 12th
    assert background([0.3, 0.31]) is None  # too small a library: the plain distance decides


def test_a_clip_copied_many_times_pairs_with_all_its_copies():
    """With the 5th nearest video as the background, a clip with 5 copies or more would be its own background."""
    from vidsearch.retrieval.duplicates import find_duplicates
    from vidsearch.store import CollectionSpec, IndexConfig, Segment, VideoEntry, open_store

    rng = np.random.default_rng(0)
    store = open_store("memory://")
    store.create(CollectionSpec(64, IndexConfig("FLAT"), {"model": "test"}))

    def video(video_id: int, rows: np.ndarray) -> VideoEntry:
        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return VideoEntry(video_id, f"/v/{video_id}.mp4", "", rows[0], duration=5.0,
                          segments=[Segment(j * 0.5, j * 0.5 + 2, r) for j, r in enumerate(rows)])

    clip = rng.standard_normal((6, 64))
    store.upsert([video(i, rng.standard_normal((6, 64))) for i in range(30)]
                 + [video(100 + c, clip + rng.standard_normal((6, 64)) * 0.03) for c in range(8)])
    report = find_duplicates(store, 0.5)
    assert {(p.a, p.b) for p in report.pairs} == {(a, b) for a in range(100, 108) for b in range(a + 1, 108)}
    assert report.groups == [list(range(100, 108))]
