"""Single frames at given times, small: for judging a window's information and for report thumbnails."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from .decode import _decode_seeking, _decode_straight, _open
from .errors import VideoDecodeError

SEEK_AFTER_SECONDS = 30.0  # frames later than this are reached by seeking, not by decoding through


def frames_at(path: str | Path, times: list[float], width: int = 96, grey: bool = False) -> list[np.ndarray]:
    """The frames nearest to `times` (seconds, any order), `width` pixels wide (height in proportion), RGB or
    grey levels, in the order asked. Raises VideoDecodeError when the file cannot give them."""
    path = Path(path)
    if not times:
        return []
    order = np.argsort(times)
    targets = np.asarray(times, float)[order]
    container, stream = _open(path, threads=1)
    try:
        decode = _decode_seeking if targets[-1] > SEEK_AFTER_SECONDS else _decode_straight
        frames, _, _ = decode(container, stream, targets)
        if len(frames) < len(targets) or any(f is None for f in frames):
            raise VideoDecodeError(path, "no_frames", "a frame asked for could not be decoded")
        height = max(2, round(frames[0].height * width / max(frames[0].width, 1)) // 2 * 2)
        images = [f.reformat(width=width, height=height, format="gray" if grey else "rgb24").to_ndarray() for f in frames]
    except av.FFmpegError as e:
        raise VideoDecodeError(path, "not_video", str(e)) from e
    finally:
        container.close()
    out: list[np.ndarray] = [np.empty(0)] * len(images)
    for position, image in zip(order, images):
        out[int(position)] = image
    return out
