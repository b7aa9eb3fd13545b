"""The frame check that tells copied footage from another moment of the same scene (video/footage.py), on real
encoded videos: a copy is recognised through re-encoding, a crop, mirroring with letterbox bars, brightness and
contrast, and a trim the vectors placed only to within a stride; a later moment of the same fixed shot, and
another clip of the same scene, are not copies; nothing is claimed about a file that cannot be read or a stretch
too short to judge."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vidsearch.datasets.synthetic import ClipSpec, render
from vidsearch.datasets.transforms import brightness_contrast, centre_crop, hflip, letterbox
from vidsearch.video.encode import Encoding, write_video
from vidsearch.video.footage import OFFSET_STEP, SAME_FOOTAGE, FootageReader, compare, same_footage
from vidsearch.video.frames import all_frames

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)

FPS = 12.0
CRF_23 = Encoding("libx264", options={"preset": "veryfast", "crf": "23", "g": "12"})
CRF_36 = Encoding("libx264", options={"preset": "veryfast", "crf": "36", "g": "24"})
SCENE = ClipSpec("zigzag", seed=5, width=192, height=144, fps=FPS, seconds=8.0, start=(0.3, 0.5))


def _apply(transform, frames: list[np.ndarray]) -> list[np.ndarray]:
    altered, _ = transform(iter(frames), FPS)
    return list(altered)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("footage")
    frames = list(render(SCENE))
    other_action = list(render(replace(SCENE, motion="orbit_cw", start=(0.6, 0.4))))  # same background and sprite
    made = {
        "original": (frames, CRF_23),
        "reencode": (frames, CRF_36),
        "crop": (_apply(centre_crop(0.7), frames), CRF_23),
        "flip_letterbox": (_apply(letterbox(0.125), _apply(hflip(), frames)), CRF_23),
        "brightness": (_apply(brightness_contrast(1.25, 20.0), frames), CRF_23),
        "trim": (frames[4:], CRF_23),  # starts 1/3 s later
        "other_action": (other_action, CRF_23),
    }
    return {name: str(write_video(root / f"{name}.mp4", f, FPS, e)) for name, (f, e) in made.items()}


@pytest.mark.parametrize("copy", ["reencode", "crop", "flip_letterbox", "brightness"])
def test_altered_copies_are_the_same_footage(videos, copy):
    match = compare(videos["original"], 1.0, 5.0, videos[copy], 1.0, 8.0, 8.0)
    assert match is not None and match.score >= SAME_FOOTAGE, match
    assert match.mirrored == (copy == "flip_letterbox")
    assert same_footage(videos["original"], 1.0, 5.0, videos[copy], 1.0) is True


def test_a_trim_is_found_around_the_proposed_offset(videos):
    match = compare(videos["original"], 2.0, 6.0, videos["trim"], 2.0)  # the vectors said: same times
    assert match is not None and match.score >= SAME_FOOTAGE
    assert abs(match.shift - (-4 / FPS)) <= OFFSET_STEP  # the trim's 1/3 s, to within a step


def test_another_moment_or_another_action_in_the_same_scene_is_not(videos):
    later = compare(videos["original"], 0.5, 3.5, videos["original"], 4.0)  # the same shot, 3.5 s on
    assert later is not None and later.score < SAME_FOOTAGE  # the same background, other changes
    other = compare(videos["original"], 1.0, 5.0, videos["other_action"], 1.0)
    assert other is not None and other.score < SAME_FOOTAGE


def test_nothing_is_claimed_without_frames(videos):
    assert compare("/no/such/file.mp4", 0.0, 4.0, videos["original"], 0.0) is None
    assert same_footage(videos["original"], 0.0, 0.4, videos["reencode"], 0.0) is None  # too short to judge
    assert compare(videos["original"], 0.0, 4.0, videos["reencode"], 7.7, 8.0, 8.0) is None  # b ends first


def test_a_reader_shared_by_many_comparisons_decodes_each_short_file_once(videos, monkeypatch):
    """`duplicates` compares each file with many others through one FootageReader: the same verdicts as
    comparisons that read their own frames, each file asked for again decoded once, whole, and no more kept
    than its budget."""
    import vidsearch.video.footage as footage

    decoded = []
    monkeypatch.setattr(footage, "all_frames", lambda path, *a, **k: decoded.append(path) or all_frames(path, *a, **k))
    reader = FootageReader()
    cases = [("original", 1.0, 5.0, copy, 1.0) for copy in ("reencode", "crop", "flip_letterbox", "other_action")]
    cases += [("original", 2.0, 6.0, "trim", 2.0), ("original", 0.5, 3.5, "original", 4.0)]
    for a, start, end, b, b_start in cases + cases:
        alone = compare(videos[a], start, end, videos[b], b_start, 8.0, 8.0)
        shared = compare(videos[a], start, end, videos[b], b_start, 8.0, 8.0, reader)
        assert shared == alone
    assert sorted(decoded) == sorted(videos[n] for n in ("original", "reencode", "crop", "flip_letterbox", "other_action", "trim"))
    assert reader.held == sum(size for _, _, size in reader.files.values())
    small = FootageReader(budget=reader.held // 3)  # room for about two of the six files
    for a, start, end, b, b_start in cases + cases:
        assert compare(videos[a], start, end, videos[b], b_start, 8.0, 8.0, small) == \
            compare(videos[a], start, end, videos[b], b_start, 8.0, 8.0)
    assert len(small.files) < 6 and (small.held <= small.budget or len(small.files) == 1)
    assert compare("/no/such/file.mp4", 0.0, 4.0, videos["original"], 0.0, 8.0, 8.0, reader) is None
    decoded.clear()  # files of a minute: read at the instants asked, decoded whole when asked for again
    minute = FootageReader()
    first = compare(videos["original"], 1.0, 5.0, videos["crop"], 1.0, 60.0, 60.0, minute)
    assert decoded == [] and compare(videos["original"], 1.0, 5.0, videos["crop"], 1.0, 60.0, 60.0, minute) == first
    assert sorted(decoded) == sorted([videos["original"], videos["crop"]])
