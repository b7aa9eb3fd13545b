"""The alterations a copied video goes through: crops, flips, re-encodes, overlays, speed and trim changes.

Each transform maps (frames, fps) -> (frames, fps) lazily, so a copy is written without holding the video.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from ..video.encode import Encoding

Frames = Iterable[np.ndarray]


def _per_frame(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[Frames, float], tuple[Iterator[np.ndarray], float]]:
    return lambda frames, fps: ((fn(f) for f in frames), fps)


def centre_crop(fraction: float = 0.7):
    def crop(f: np.ndarray) -> np.ndarray:
        h, w = f.shape[:2]
        ch, cw = int(h * fraction), int(w * fraction)
        return f[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]
    return _per_frame(crop)


def downscale(factor: int = 2):
    return _per_frame(lambda f: f[::factor, ::factor])


def hflip():
    return _per_frame(lambda f: f[:, ::-1])


def letterbox(bar: float = 0.125):
    def box(f: np.ndarray) -> np.ndarray:
        h = f.shape[0]
        pad = np.zeros((int(h * bar), *f.shape[1:]), np.uint8)
        return np.concatenate([pad, f, pad])
    return _per_frame(box)


def brightness_contrast(gain: float = 1.25, offset: float = 20.0):
    return _per_frame(lambda f: np.clip(f.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8))


def logo(size: float = 0.2):
    def stamp(f: np.ndarray) -> np.ndarray:
        f = f.copy()
        h, w = f.shape[:2]
        s = max(8, int(min(h, w) * size))
        f[8 : 8 + s, w - 8 - s : w - 8] = (255, 255, 255)
        f[8 + s // 4 : 8 + 3 * s // 4, w - 8 - 3 * s // 4 : w - 8 - s // 4] = (200, 30, 30)
        return f
    return _per_frame(stamp)


def half_frame_rate():
    return lambda frames, fps: ((f for i, f in enumerate(frames) if i % 2 == 0), fps / 2)


def trim_start(fraction: float = 0.2, total: int | None = None):
    def trim(frames: Frames, fps: float):
        frames = list(frames) if total is None else frames
        skip = int((total or len(frames)) * fraction)
        return (f for i, f in enumerate(frames) if i >= skip), fps
    return trim


@dataclass(frozen=True)
class CopyKind:
    name: str
    transform: Callable
    encoding: Encoding
    suffix: str = ".mp4"


HEAVY_H264 = Encoding("libx264", options={"preset": "veryfast", "crf": "38"})
PLAIN_H264 = Encoding("libx264", options={"preset": "veryfast", "crf": "23"})

COPY_KINDS: tuple[CopyKind, ...] = (
    CopyKind("reencode", _per_frame(lambda f: f), HEAVY_H264),
    CopyKind("downscale", downscale(2), PLAIN_H264),
    CopyKind("crop", centre_crop(0.7), PLAIN_H264),
    CopyKind("flip", hflip(), PLAIN_H264),
    CopyKind("letterbox", letterbox(0.125), PLAIN_H264),
    CopyKind("brightness", brightness_contrast(1.25, 20), PLAIN_H264),
    CopyKind("fps", half_frame_rate(), PLAIN_H264),
    CopyKind("trim", trim_start(0.2), PLAIN_H264),
    CopyKind("logo", logo(0.2), Encoding("mpeg4", options={"qscale": "6"}), ".avi"),
)
COPY_KINDS_BY_NAME = {kind.name: kind for kind in COPY_KINDS}
