"""Copies through the edits re-uploads carry, searched with the real model on real footage: a picture-in-picture,
a copy played 1.5x and 0.75x as fast, a phone turned by 90° are each found first, flagged a copy by their frames,
with the interval they show in their source (a sped-up copy's interval is longer than the copy); a look-alike —
another moment of the same fixed camera — is never flagged."""

from __future__ import annotations

import numpy as np
import pytest

from vidsearch import Settings, VideoSearch
from vidsearch.datasets.copies_hard import clip_at_rate, unrelated_footage
from vidsearch.datasets.edits import EDITS, Context
from vidsearch.datasets.real import fetch_sources, read_segment
from vidsearch.video.encode import H264, write_video
from vidsearch.video.footage import FootageReader, compare

pytestmark = pytest.mark.model  # embeds with the real I3D

FPS = 25.0
# library video -> (source file's short name, seconds of it)
LIBRARY = {"wolfgang_early": ("wolfganglanger_pexels", 0.0, 9.8), "wolfgang_late": ("wolfganglanger_pexels", 9.8, 1e9),
           "bikes": ("bikes", 0.0, 1e9), "sports2d": ("sports2d_demo", 0.0, 1e9),
           "face_room": ("face_noface", 0.0, 1e9), "carphone": ("carphone_pristine", 0.0, 1e9)}
# query -> (library video, start in it, copy seconds, edit): the source interval is [start, start + seconds * rate]
COPIES = {"pip": ("wolfgang_late", 1.0, 6.0, "pip_half"), "fast": ("bikes", 0.5, 6.0, "speed_1.5"),
          "slow": ("wolfgang_early", 2.0, 6.0, "speed_0.75"), "turned": ("wolfgang_late", 2.0, 6.0, "rotate_90")}


def _resampled(frames: list[np.ndarray], fps: float) -> list[np.ndarray]:
    picks = np.minimum((np.arange(round(len(frames) / fps * FPS)) * fps / FPS).round().astype(int), len(frames) - 1)
    return [frames[i] for i in picks]


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The library's folder, each library video's duration and each query's file."""
    root = tmp_path_factory.mktemp("edited")
    sources = {s.name: s for s in fetch_sources()}
    frames = {}
    for name, (source, start, end) in LIBRARY.items():
        part, fps = read_segment(sources[source].path, start, end)
        frames[name] = _resampled(part, fps)
        write_video(root / "library" / name / f"{name}.mp4", frames[name], FPS, H264)
    queries = {}
    for query, (name, start, seconds, edit_name) in COPIES.items():
        edit = EDITS[edit_name]
        clip = clip_at_rate(frames[name][round(start * FPS):], FPS, edit.rate, seconds)
        ctx = Context(unrelated_footage(clip[0].shape, FPS, seconds, 7), FPS, np.random.default_rng(7))
        queries[query] = write_video(root / f"{query}.mp4", edit.frames(clip, ctx) if edit.frames else clip, FPS, H264)
    return root / "library", {name: len(f) / FPS for name, f in frames.items()}, queries


@pytest.fixture(scope="module")
def searched(edited, tmp_path_factory):
    library, _, queries = edited
    engine = VideoSearch(settings=Settings(db=str(tmp_path_factory.mktemp("db") / "lib.db")))
    assert not engine.index(library).failed
    results = {query: engine.search(path, k=5).results for query, path in queries.items()}
    engine.close()
    return results


@pytest.mark.parametrize("placed", [0.0, 1.0, 3.5, 4.0])
def test_the_frames_find_a_turned_copy_wherever_the_vectors_place_it(edited, placed):
    """The vectors of a turned copy may place it seconds away in its source (they differ from CPU to CPU): the
    frames look for it along the whole file, confirm it and place it; another moment of the same camera is
    refused wherever it is proposed."""
    library, durations, queries = edited
    name, start, seconds, _ = COPIES["turned"]
    for video in (name, "wolfgang_early"):  # the source, then another moment of the same camera
        match = compare(str(queries["turned"]), 0.0, seconds, str(library / video / f"{video}.mp4"), placed,
                        seconds, durations[video], FootageReader())
        if video == name:
            assert match is not None and match.same and match.registered, match
            assert abs(match.placed(0.0, seconds, placed)[0] - start) <= 2 / FPS, match
        else:
            assert match is not None and not match.same, match


@pytest.mark.parametrize("query", list(COPIES))
def test_an_edited_copy_is_found_first_flagged_and_placed(searched, query):
    name, start, seconds, edit = COPIES[query]
    rate = EDITS[edit].rate
    top = searched[query][0]
    assert top.label == name and top.copy, [(m.label, m.copy, m.distance) for m in searched[query]]
    best = top.segments[0]
    true_start = start + rate * best.query_start  # where the interval's first query second lies in the source
    assert abs(best.start - true_start) <= 0.5, (best, true_start)
    assert abs((best.end - best.start) - rate * (best.query_end - best.query_start)) <= 0.5, best


def test_a_look_alike_is_not_flagged(searched):
    """The other half of the same fixed camera (wolfgang_early / wolfgang_late) or any other video."""
    for query, (name, *_) in COPIES.items():
        assert [m.label for m in searched[query] if m.copy] == [name], query
