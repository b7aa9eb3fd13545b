"""Where one picture lies in another (video/registration.py) and the picture inside a picture
(video/inner_picture.py), on rendered frames: a crop, a mirror, a quarter turn, an inset in a corner are each
registered to the right place; unrelated pictures are not; an inset's rectangle is found, a plain video has none."""

from __future__ import annotations

import numpy as np
import pytest

from vidsearch.video.inner_picture import find_inner_picture
from vidsearch.video.registration import covered_box, drawn_over, register


def _texture(seed: int, h: int = 180, w: int = 320) -> np.ndarray:
    """A grey picture with corners and edges everywhere (blocks at several scales)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w), np.float32)
    for block in (40, 16, 6):
        coarse = rng.integers(0, 256, (h // block + 1, w // block + 1)).astype(np.float32)
        out += np.kron(coarse, np.ones((block, block)))[:h, :w]
    return (out / 3).astype(np.uint8)


def _resize(image: np.ndarray, w: int, h: int) -> np.ndarray:
    import cv2
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def source():
    return [_texture(s) for s in (1, 2, 3)]


def _maps(registration, xy, width_a):
    x, y = xy
    if registration.mirrored:
        x = width_a - 1 - x
    return registration.matrix @ np.array([x, y, 1.0])


def test_a_crop_is_registered_where_it_was_cut(source):
    crops = [f[30:150, 60:260] for f in source]  # 200 x 120 from (60, 30)
    found = register(crops, source)
    assert found is not None and not found.mirrored and abs(found.scale - 1) < 0.02
    assert np.allclose(_maps(found, (0, 0), 200), (60, 30), atol=1.5)


def test_a_mirror_image_and_a_quarter_turn_are_registered(source):
    mirrored = register([f[:, ::-1] for f in source], source)
    assert mirrored is not None and mirrored.mirrored
    turned = register([np.ascontiguousarray(np.rot90(f)) for f in source], source)
    assert turned is not None and not turned.mirrored
    a, c = turned.matrix[0, 0], turned.matrix[1, 0]
    assert abs(abs(np.degrees(np.arctan2(c, a))) - 90) < 2


def test_an_inset_is_registered_and_drawn_back(source):
    """The source at half size in the top right corner over other footage: a's box is the inset, and b drawn
    over it looks like it."""
    frames = []
    for i, f in enumerate(source):
        canvas = _texture(10 + i)
        canvas[8:98, 152:312] = _resize(f, 160, 90)
        frames.append(canvas)
    found = register(frames, source)
    assert found is not None and abs(found.scale - 2) < 0.05
    rows, cols = covered_box(found, frames[0].shape, source[0].shape)
    assert abs(rows.start - 8) <= 2 and abs(rows.stop - 98) <= 2 and abs(cols.start - 152) <= 2 and abs(cols.stop - 312) <= 2
    drawn = drawn_over(source[0], found, 320, (rows, cols), 24)
    inset = _resize(frames[0][rows, cols], 24, 24).astype(np.float32)
    assert np.corrcoef(drawn.ravel(), inset.ravel())[0, 1] > 0.9


def test_unrelated_pictures_are_not_registered(source):
    assert register([_texture(s) for s in (20, 21, 22)], source) is None


def test_an_inset_rectangle_is_found_and_a_plain_video_has_none():
    rng = np.random.default_rng(0)
    frames, plain = [], []
    for t in range(12):  # the surroundings move (shifted texture), the inset's borders stay
        background = np.roll(_texture(5), (5 * t, 7 * t), axis=(0, 1)).astype(np.float32)
        inside = np.roll(_texture(6), (-5 * t, 3 * t), axis=(0, 1))
        frame = background.copy()
        frame[110:170, 200:306] = _resize(inside, 106, 60)
        frames.append(frame + rng.normal(0, 2, frame.shape))
        plain.append(background + rng.normal(0, 2, frame.shape))
    region = find_inner_picture(frames)
    assert region is not None
    assert np.allclose([region.left * 320, region.top * 180, region.right * 320, region.bottom * 180],
                       [200, 110, 306, 170], atol=4), region
    assert find_inner_picture(plain) is None
