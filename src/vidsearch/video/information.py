"""Low-information windows: near-uniform frames (black, white, a fade) and plain cards (a few words on a flat
background). Any two of them look alike to the model whatever the videos are, so they are no evidence that
two videos share footage: the duplicate finder leaves them out.

A frame is plain when most of its pixels lie within a few grey levels of its most common level, or when its
contrast is very low (the middle of a fade); a window is low-information when at least half of its sampled
frames are plain (a window half on a title card is mostly the card to the model). Real footage, even a static
shot of a wall, has texture and noise across far more levels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import VideoDecodeError
from .frames import frames_at

PLAIN_LEVELS = 10  # grey levels either side of the most common one
PLAIN_SHARE = 0.85  # a frame with this share of its pixels around one level is plain
LOW_CONTRAST = 8.0  # ... or whose grey levels' standard deviation is below this
SAMPLES_PER_WINDOW = 4
SAMPLE_WIDTH = 96  # frames are judged at this width: enough for text, cheap to convert


def is_plain(grey: np.ndarray) -> bool:
    """A frame (2-D uint8 grey levels) that is nearly one level, or nearly without contrast."""
    counts = np.bincount(grey.ravel(), minlength=256)
    mode = int(counts.argmax())
    around = counts[max(0, mode - PLAIN_LEVELS) : mode + PLAIN_LEVELS + 1].sum()
    return around >= PLAIN_SHARE * grey.size or float(grey.std()) < LOW_CONTRAST


def low_information(frames: list[np.ndarray]) -> bool:
    """At least half of a window's sampled frames (grey levels) are plain."""
    return sum(is_plain(f) for f in frames) * 2 >= len(frames)


def informative_windows(path: str | Path, windows: list[tuple[float, float]]) -> list[bool]:
    """For each (start, end) window of the video: False when it is low-information. One decoding pass (or
    one seek per sample in a long video) for all of them; a file that cannot be read counts as informative
    (nothing is known against it)."""
    if not windows:
        return []
    times = [start + (end - start) * (i + 0.5) / SAMPLES_PER_WINDOW
             for start, end in windows for i in range(SAMPLES_PER_WINDOW)]
    try:
        frames = frames_at(path, times, SAMPLE_WIDTH, grey=True)
    except VideoDecodeError:
        return [True] * len(windows)
    return [not low_information(frames[i : i + SAMPLES_PER_WINDOW]) for i in range(0, len(frames), SAMPLES_PER_WINDOW)]
