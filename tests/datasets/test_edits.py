"""The re-upload edits of `copies-hard` (datasets/edits.py) on rendered frames: each keeps the copy's length and
does what its name says (an inset in a corner, a quarter turn, a 9:16 frame, 15 frames a second ...), and a
speed change shows its source's seconds at its rate."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vidsearch.datasets.copies_hard import clip_at_rate, unrelated_footage
from vidsearch.datasets.edits import EDITS, RECIPES, Context

FPS = 25.0


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (72, 128, 3), dtype=np.uint8) for _ in range(50)]


def _ctx(shape, seed: int = 0) -> Context:
    return Context(unrelated_footage(shape, FPS, 2.0, seed), FPS, np.random.default_rng(seed))


@pytest.mark.parametrize("name", [n for n, e in EDITS.items() if e.frames is not None])
def test_every_edit_keeps_a_picture_a_frame(frames, name):
    out = EDITS[name].frames(list(frames), _ctx(frames[0].shape))
    expected = round(len(frames) * 15 / FPS) if name.startswith("15fps") else len(frames)
    assert len(out) == expected and all(f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3 for f in out)


def test_the_inset_the_turn_and_the_reframe_are_what_they_say(frames):
    inset = EDITS["pip_half"].frames(list(frames), _ctx(frames[0].shape))[0].astype(np.float32)
    small = np.asarray(Image.fromarray(frames[0]).resize((64, 36), Image.BILINEAR), np.float32)
    fits = [np.corrcoef(inset[top : top + 36, left : left + 64].ravel(), small.ravel())[0, 1]
            for top in (3, 33) for left in (3, 61)]  # the four corners, a margin of 4 % of the short side
    assert max(fits) > 0.99 and sorted(fits)[-2] < 0.5, fits
    assert EDITS["rotate_90"].frames(list(frames[:1]), None)[0].shape == (128, 72, 3)
    assert np.array_equal(EDITS["rotate_180"].frames(list(frames[:1]), None)[0], frames[0][::-1, ::-1])
    vertical = EDITS["vertical"].frames(list(frames[:1]), _ctx(frames[0].shape))[0]
    assert vertical.shape[0] == 72 and abs(vertical.shape[1] / vertical.shape[0] - 9 / 16) < 0.05


def test_a_speed_change_shows_its_source_at_its_rate(frames):
    fast = clip_at_rate(frames, FPS, 1.5, 1.0)  # 1 s of copy: 1.5 s of source
    assert len(fast) == 25 and fast[10] is frames[15] and fast[-1] is frames[36]
    slow = clip_at_rate(frames, FPS, 0.75, 1.0)
    assert slow[4] is frames[3]
    assert {e for recipe in RECIPES for e in recipe} == set(EDITS)  # every edit is used
    assert all(2 <= len(recipe) <= 3 for recipe in RECIPES)
