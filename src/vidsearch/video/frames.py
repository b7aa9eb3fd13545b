"""Single frames at given times, small: for judging a window's information, comparing footage and report
thumbnails."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from .decode import _decode_straight, _frame_time, _open
from .errors import VideoDecodeError

SEEK_AFTER_SECONDS = 30.0  # frames later than this are reached by seeking, not by decoding through
CLUSTER_SECONDS = 2.0  # in a file read by seeking, a target this close to the previous one is decoded on to


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
        if targets[-1] > SEEK_AFTER_SECONDS:
            frames = []
            for group in np.split(targets, np.flatnonzero(np.diff(targets) > CLUSTER_SECONDS) + 1):
                container.seek(int(group[0] / stream.time_base), stream=stream, backward=True, any_frame=False)
                frames += _decode_straight(container, stream, group)[0]
        else:
            frames, _, _ = _decode_straight(container, stream, targets)
        if len(frames) < len(targets) or any(f is None for f in frames):
            raise VideoDecodeError(path, "no_frames", "a frame asked for could not be decoded")
        height = _height(frames[0], width)
        converted: dict[int, np.ndarray] = {}  # a frame nearest to several times is converted once, handed back as one array
        for f in frames:
            if id(f) not in converted:
                converted[id(f)] = _small(f, width, height, grey)
        images = [converted[id(f)] for f in frames]
    except av.FFmpegError as e:
        raise VideoDecodeError(path, "not_video", str(e)) from e
    finally:
        container.close()
    out: list[np.ndarray] = [np.empty(0)] * len(images)
    for position, image in zip(order, images):
        out[int(position)] = image
    return out


def all_frames(path: str | Path, width: int = 96, grey: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every frame of the file with its time, small (as `frames_at` gives them): for a short file read for many
    comparisons. Raises VideoDecodeError when the file cannot give a frame."""
    path = Path(path)
    container, stream = _open(path, threads=1)
    times: list[float] = []
    images: list[np.ndarray] = []
    rate = float(stream.average_rate or 25)
    try:
        for frame in container.decode(stream):
            if not images:
                height = _height(frame, width)
            times.append(_frame_time(frame, len(times) / rate))
            images.append(_small(frame, width, height, grey))
    except av.FFmpegError as e:
        if not images:
            raise VideoDecodeError(path, "not_video", str(e)) from e
    finally:
        container.close()
    if not images:
        raise VideoDecodeError(path, "no_frames", "the file has no frame")
    return np.asarray(times), images


def _height(frame: av.VideoFrame, width: int) -> int:
    """The even height that keeps the frame's proportions at `width`."""
    return max(2, round(frame.height * width / max(frame.width, 1)) // 2 * 2)


def _small(frame: av.VideoFrame, width: int, height: int, grey: bool) -> np.ndarray:
    return frame.reformat(width=width, height=height, format="gray" if grey else "rgb24").to_ndarray()


def nearest_frames(times: np.ndarray, wanted: list[float] | np.ndarray) -> np.ndarray:
    """For each wanted time, the index of the frame nearest to it (the first of equals, as decoding keeps it):
    by bisection, so a whole file's frames can be looked up at many instants."""
    order = np.argsort(times, kind="stable")
    ordered = np.asarray(times, float)[order]
    wanted = np.asarray(wanted, float)
    right = np.clip(np.searchsorted(ordered, wanted, side="left"), 0, len(ordered) - 1)
    left = np.clip(right - 1, 0, None)
    left = np.searchsorted(ordered, ordered[left], side="left")  # the first of equal times
    nearer_left = np.abs(wanted - ordered[left]) <= np.abs(ordered[right] - wanted)
    return order[np.where(nearer_left, left, right)]
