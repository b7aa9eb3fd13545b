"""A small library with known copies, written as real encoded videos: originals, a re-encode, a crop, a trim,
a compilation of two originals, two different clips of one scene (not copies), and videos that share only
black frames or a plain title card (not copies either)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from vidsearch.datasets.synthetic import ClipSpec, render, render_long
from vidsearch.video.encode import Encoding, write_video

FPS = 12.0
WIDTH, HEIGHT = 160, 120
CRF_23 = Encoding("libx264", options={"preset": "veryfast", "crf": "23", "g": "12"})
CRF_36 = Encoding("libx264", options={"preset": "veryfast", "crf": "36", "g": "24"})

# the pairs that share footage, and the groups they make (names of the videos below)
COPIED = {("a", "a_reencode"), ("a", "a_crop"), ("a_crop", "a_reencode"), ("a", "compilation"),
          ("a_reencode", "compilation"), ("a_crop", "compilation"), ("c", "compilation"), ("b", "b_trim")}
GROUPS = [{"a", "a_crop", "a_reencode", "c", "compilation"}, {"b", "b_trim"}]


def _long(seed: int, seconds: float) -> list[np.ndarray]:
    return list(render_long(seed, seconds, width=WIDTH, height=HEIGHT, fps=FPS))


def _crop(frame: np.ndarray, fraction: float = 0.8) -> np.ndarray:
    h, w = frame.shape[:2]
    ch, cw = int(h * fraction) // 2 * 2, int(w * fraction) // 2 * 2
    return frame[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]


def _plain(seconds: float, colour=(0, 0, 0), text: str = "") -> list[np.ndarray]:
    image = Image.new("RGB", (WIDTH, HEIGHT), colour)
    if text:
        ImageDraw.Draw(image).text((WIDTH // 2 - 3 * len(text), HEIGHT // 2 - 5), text, fill=(235, 235, 235))
    frame = np.asarray(image)
    return [frame] * round(seconds * FPS)


def _same_scene() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two clips of one scene (its background, its sprite) with different action: not copies."""
    scene = ClipSpec("move_right", seed=77, width=WIDTH, height=HEIGHT, fps=FPS, seconds=6.0, start=(0.25, 0.4))
    other = replace(scene, motion="orbit_cw", start=(0.6, 0.6), speed=1.3)
    return list(render(scene)), list(render(other))


def build(root: Path) -> dict[str, Path]:
    """Writes the library; returns name -> path."""
    a, b, c, d = _long(10, 12.0), _long(11, 12.0), _long(12, 12.0), _long(15, 6.0)
    second = round(FPS)
    scene_1, scene_2 = _same_scene()
    videos = {
        "a": (a, CRF_23), "b": (b, CRF_23), "c": (c, CRF_23),
        "a_reencode": (a, CRF_36),
        "a_crop": ([_crop(f) for f in a], CRF_23),
        "b_trim": (b[3 * second : 10 * second], CRF_23),
        "compilation": (a[2 * second : 7 * second] + c[4 * second : 9 * second], CRF_23),
        "scene_1": (scene_1, CRF_23), "scene_2": (scene_2, CRF_23),
        "card_1": (_plain(2.5, (20, 30, 90), "THE END") + _long(13, 6.0), CRF_23),
        "card_2": (_plain(2.5, (20, 30, 90), "THE END") + _long(14, 6.0), CRF_23),
        "black": (_plain(6.0), CRF_23),
        "fade_in": (_plain(2.0) + [(f * ((i + 1) / FPS)).astype(np.uint8) for i, f in enumerate(d[:second])]
                    + d[second:], CRF_23),
    }
    return {name: write_video(root / f"{name}.mp4", frames, FPS, encoding) for name, (frames, encoding) in videos.items()}
