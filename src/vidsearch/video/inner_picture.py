"""Is there a picture inside the picture? A re-upload often shows its source small, in a corner over other
footage (picture-in-picture), or fitted into a 9:16 frame over a blurred copy of itself. The action model sees
the whole frame, mostly the surroundings, so such a query must also be embedded on the inner picture alone.

The inner picture's borders are straight edges that stay where they are while the footage moves: the
per-pixel median over time of the gradient keeps them and loses the edges of moving things. Candidate border
lines are the rows and columns richest in such edges (and the frame's own borders); the rectangle they form
whose weakest side is best supported, covering MIN_AREA to MAX_AREA of the frame, is the inner picture when
that support reaches MIN_SUPPORT.
"""

from __future__ import annotations

import numpy as np
import cv2

from .errors import VideoDecodeError
from .frames import frames_at
from .transform import Region

SAMPLES = 12  # frames read over the video
WIDTH = 320  # ... at this width
EDGE = 80.0  # Sobel response (about 4x the grey-level step) from which a pixel is on an edge
LINES = 8  # candidate border rows and columns (besides the frame's own borders)
MIN_PROFILE = 0.05  # a candidate line has edges on at least this share of its pixels
MIN_AREA, MAX_AREA = 0.06, 0.6  # of the frame: smaller is a logo, larger is a border or letterbox
MIN_ASPECT, MAX_ASPECT = 0.4, 2.5
MIN_SUPPORT = 0.8  # share of each side of the rectangle that lies on a lasting edge


def inner_picture(path: str, duration: float) -> Region | None:
    """The rectangle of a picture shown inside the video's frame, or None (none found, or no frames)."""
    if duration <= 0:
        return None
    try:
        frames = frames_at(path, [duration * (i + 0.5) / SAMPLES for i in range(SAMPLES)], WIDTH, grey=True)
    except VideoDecodeError:
        return None
    return find_inner_picture(frames)


def find_inner_picture(frames: list[np.ndarray]) -> Region | None:
    """`inner_picture` on grey frames already read."""
    if len(frames) < 3:
        return None
    frames = [np.asarray(f, np.float32) for f in frames]
    h, w = frames[0].shape
    across = np.median(np.stack([np.abs(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)) for f in frames]), 0) > EDGE
    down = np.median(np.stack([np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)) for f in frames]), 0) > EDGE
    xs, ys = _lines(across.mean(0), w), _lines(down.mean(1), h)
    best: tuple[float, Region] | None = None
    for i, x1 in enumerate(xs):
        for x2 in xs[i + 1 :]:
            for j, y1 in enumerate(ys):
                for y2 in ys[j + 1 :]:
                    interior = sum(0 < x < w - 1 for x in (x1, x2)) + sum(0 < y < h - 1 for y in (y1, y2))
                    area = (x2 - x1) * (y2 - y1) / (w * h)
                    if interior < 2 or not MIN_AREA <= area <= MAX_AREA or not (
                            MIN_ASPECT <= (x2 - x1) / (y2 - y1) <= MAX_ASPECT):
                        continue
                    support = min([_support(across[y1:y2, max(x - 1, 0) : x + 2].any(1), x, w) for x in (x1, x2)]
                                  + [_support(down[max(y - 1, 0) : y + 2, x1:x2].any(0), y, h) for y in (y1, y2)])
                    if best is None or support > best[0]:
                        best = (support, Region(x1 / w, y1 / h, (x2 + 1) / w, (y2 + 1) / h))
    return best[1] if best is not None and best[0] >= MIN_SUPPORT else None


def _lines(profile: np.ndarray, size: int) -> list[int]:
    """The LINES positions richest in lasting edges, apart from one another by 1/40 of the frame, with the
    frame's own borders."""
    found: list[int] = []
    for i in np.argsort(-profile):
        i = int(i)
        if 2 <= i < size - 2 and profile[i] > MIN_PROFILE and all(abs(i - j) > size // 40 for j in found):
            found.append(i)
            if len(found) == LINES:
                break
    return sorted(found + [0, size - 1])


def _support(on_edge: np.ndarray, position: int, size: int) -> float:
    """The share of a side lying on lasting edges (a side on the frame's border is fully supported)."""
    return 1.0 if position in (0, size - 1) else float(on_edge.mean()) if on_edge.size else 0.0
