"""Turns one decoded frame into the model's input: upright RGB, short side resized, centre-cropped (or a
region of the picture, resized and cropped the same way: a query's inner picture)."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np


@dataclass(frozen=True)
class Region:
    """A rectangle of the stored picture, in fractions of its width and height."""

    left: float
    top: float
    right: float
    bottom: float

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels of a `width` x `height` picture, at least 2 each way."""
        left, top = round(self.left * width), round(self.top * height)
        return left, top, max(left + 2, round(self.right * width)), max(top + 2, round(self.bottom * height))


def resized_shape(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) with the shorter side scaled to `short_side`, aspect kept."""
    scale = short_side / min(width, height)
    return max(short_side, round(width * scale)), max(short_side, round(height * scale))


def short_side(size: int) -> int:
    """The short side to resize to before a centre crop of `size`: the training recipe's 256 for 224."""
    return round(size * 256 / 224)


def centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return image[top : top + size, left : left + size]


def to_model_frame(frame: av.VideoFrame, short_side: int = 256, size: int = 224,
                   region: Region | None = None) -> np.ndarray:
    """size×size×3 uint8 RGB, rotated as the file's display matrix asks (portrait phone videos); of `region`
    of the stored picture only, when given."""
    quarter_turns = round((frame.rotation or 0) / 90) % 4
    image = _resized(frame, short_side, quarter_turns) if region is None else _resized_region(frame, short_side, region)
    if quarter_turns:
        image = np.rot90(image, k=quarter_turns)
    return np.ascontiguousarray(centre_crop(image, size))


def _resized(frame: av.VideoFrame, short_side: int, quarter_turns: int) -> np.ndarray:
    """The stored picture, sized so that its upright short side is `short_side`."""
    w, h = frame.width, frame.height
    if quarter_turns % 2:  # the upright picture is h wide: size the stored frame so it comes out right
        new_h, new_w = resized_shape(h, w, short_side)
    else:
        new_w, new_h = resized_shape(w, h, short_side)
    # AREA averages every source pixel (no aliasing) for big reductions; BILINEAR is 1.8x cheaper and as
    # good when shrinking by less than half (360p -> 256)
    interpolation = "AREA" if new_w * 2 < w else "BILINEAR"
    return frame.to_ndarray(width=new_w, height=new_h, format="rgb24", interpolation=interpolation)


def _resized_region(frame: av.VideoFrame, short_side: int, region: Region) -> np.ndarray:
    """`region` of the stored picture, its short side resized to `short_side`."""
    left, top, right, bottom = region.pixels(frame.width, frame.height)
    scale = short_side / min(right - left, bottom - top)
    w, h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    image = frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA" if scale < 0.5 else "BILINEAR")
    image = image[round(top * scale) : round(bottom * scale), round(left * scale) : round(right * scale)]
    new_w, new_h = resized_shape(image.shape[1], image.shape[0], short_side)
    if (new_w, new_h) != (image.shape[1], image.shape[0]):  # rounding: a pixel or two
        image = np.asarray(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                           .to_ndarray(width=new_w, height=new_h, format="rgb24"))
    return image
