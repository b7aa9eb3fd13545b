"""Cuts a video into windows as it decodes: W frames sampled at F fps, a window every S seconds.

Nothing but the current window's frames is ever held: a two-hour 1080p file streams through in constant
memory. Frames are chosen from packet timestamps (the frame nearest each sampling instant), like
`decode_clip`. When the stride leaves a gap of several seconds between windows and a keyframe lies in it,
the decoder seeks over the gap instead of decoding it. A video shorter than one window is one window of W
frames spread over the whole video: exactly `decode_clip`, the tutorial's one vector per video.

Windows follow the frames the file holds: a window any of whose instants lies in a gap of the timestamps (no
frame near it) is not cut, so a few seconds of frames with a one-hour gap cost a few seconds' windows, not an
hour of copies of one frame. A video with no window outside its gaps is one window over the whole video.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from .decode import DecodeOptions, Probe, _frame_time, _open, clip_from, decode_frames, nearest_stamps, probe
from .errors import VideoDecodeError, decoder_failure
from .transform import Region, to_model_frame

SEEK_GAP_SECONDS = 3.0  # a gap shorter than this is cheaper to decode through than to seek over
MIN_GAP_SECONDS = 2.0  # timestamps further apart than this (and than GAP_FRAME_STEPS frames) leave a gap
GAP_FRAME_STEPS = 10


def covered_windows(found: Probe, rate: float, w: int, step: int, count: int) -> list[int]:
    """The windows (0..count-1, window k starting at instant k·step) whose every instant has a frame near it:
    within half the gap threshold of a packet timestamp. A still-frame video (a slideshow) has its frames far
    apart everywhere: the threshold grows with its usual frame interval (the probe's frame step)."""
    stamps, start = np.asarray(found.packets.times, np.float64), found.start
    reach = max(MIN_GAP_SECONDS, GAP_FRAME_STEPS * found.frame_step) / 2
    instants = start + np.arange((count - 1) * step + w) / rate
    at = np.clip(np.searchsorted(stamps, instants), 1, max(len(stamps) - 1, 1))
    nearest = np.minimum(np.abs(stamps[at - 1] - instants), np.abs(stamps[np.minimum(at, len(stamps) - 1)] - instants))
    near = np.concatenate([[0], np.cumsum(nearest <= reach)])  # prefix sums: a window's covered instants at once
    return [k for k in range(count) if near[k * step + w] - near[k * step] == w]


@dataclass
class Window:
    """One segment of a video: its frames (W×S×S×3 uint8, S the crop) and where it lies, in seconds from the start."""

    start: float
    end: float
    frames: np.ndarray


@dataclass
class VideoInfo:
    """What is known of a decoded video once its windows are out."""

    duration: float
    fps: float
    width: int
    height: int
    windows: int = 0
    truncated: bool = False


class WindowReader:
    """`for window in WindowReader(path, options)`; `info` is complete once the iteration ends.

    Raises VideoDecodeError (when opening, or during the iteration for a file that breaks too early)."""

    def __init__(self, path: str | Path, options: DecodeOptions = DecodeOptions(), region: Region | None = None):
        self.path, self.options, self.region = Path(path), options, region
        self.info: VideoInfo | None = None

    def __iter__(self) -> Iterator[Window]:
        options = self.options
        container, stream = _open(self.path, options.threads)
        try:
            found = probe(self.path, container, stream, options)
            self.info = VideoInfo(found.span, found.fps, found.width, found.height)
            starts = self._window_starts(found) if options.segmented and found.span >= options.window_seconds else []
            if not starts:
                clip = clip_from(self.path, container, stream, found, options, self.region)  # opened and probed once
                self.info.truncated, self.info.windows = clip.truncated, 1
                yield Window(0.0, max(clip.duration + found.frame_step, found.frame_step), clip.frames)
                return
            yield from self._stream(container, stream, found, starts)
        except av.FFmpegError as e:
            raise decoder_failure(self.path, e) from e
        finally:
            container.close()

    def _window_starts(self, found: Probe) -> list[int]:
        """The first sampling instant of each window to cut: every stride inside the video, but none in a gap."""
        w, step, rate = self.options.num_frames, self.options.stride_frames, self.options.window_fps
        samples = int(np.ceil(found.span * rate - 1e-6))  # sampling instants n / rate < span: inside the video
        count = max((samples - w) // step + 1, 1)  # rounding at the edge: one window of the first W instants
        return [k * step for k in covered_windows(found, rate, w, step, count)]

    def _stream(self, container, stream, found: Probe, starts: list[int]) -> Iterator[Window]:
        options, info = self.options, self.info
        w, rate = options.num_frames, options.window_fps
        count, first_of = len(starts), set(starts)
        needed = sorted({n for first in starts for n in range(first, first + w)})
        keep = nearest_stamps(found.packets.times, found.start + np.asarray(needed, np.float64) / rate)
        buffer: deque[tuple[int, np.ndarray]] = deque(maxlen=w)
        window = 0
        decoded_until = found.start
        cursor = 0  # index into `needed`
        previous: tuple[av.VideoFrame, float] | None = None

        def take(frame: av.VideoFrame) -> Window | None:
            """The frame for the next needed instant; the window it completes, if any."""
            nonlocal cursor, window
            buffer.append((needed[cursor], to_model_frame(frame, options.short_side, options.size, self.region)))
            cursor += 1
            first = buffer[0][0]
            if len(buffer) < w or first not in first_of or buffer[-1][0] != first + w - 1:
                return None
            window += 1
            return Window(first / rate, (first + w) / rate, np.stack([f for _, f in buffer]))

        container.seek(0)  # back from the demux pass
        restart = True
        broken = False
        while cursor < len(needed) and restart:
            restart = False
            try:
                for frame in decode_frames(container, stream, keep):
                    t = _frame_time(frame, decoded_until)
                    decoded_until = max(decoded_until, t)
                    while cursor < len(needed) and found.start + needed[cursor] / rate <= t:
                        target = found.start + needed[cursor] / rate
                        nearer = previous is not None and target - previous[1] < t - target
                        if complete := take(previous[0] if nearer else frame):
                            yield complete
                    previous = (frame, t)
                    if cursor < len(needed) and self._seek_over_gap(container, stream, found, t, needed[cursor] / rate):
                        previous, restart = None, True
                        break
            except av.FFmpegError:
                broken = True
        # the last instants fall after the last frame's timestamp: they take that frame
        while cursor < len(needed) and previous is not None and not broken:
            if complete := take(previous[0]):
                yield complete
        info.windows = window
        if window < count:
            done = decoded_until - found.start
            if window == 0 or done / found.span < options.min_truncated_fraction:
                raise VideoDecodeError(self.path, "truncated", f"only {done:.2f} s of {found.span:.2f} s decode")
            info.truncated = True
        info.truncated = info.truncated or not found.packets.complete

    @staticmethod
    def _seek_over_gap(container, stream, found: Probe, now: float, next_needed: float) -> bool:
        """Seeks to the keyframe before the next needed instant when it saves decoding a long gap."""
        target = found.start + next_needed
        if target - now < SEEK_GAP_SECONDS:
            return False
        keys = found.packets.keyframes
        key = keys[bisect.bisect_right(keys, target) - 1] if keys and keys[0] <= target else None
        if key is None or key <= now + 1.0:  # no keyframe worth jumping to
            return False
        container.seek(int(key / stream.time_base), stream=stream, backward=True, any_frame=False)
        return True


def read_windows(path: str | Path, options: DecodeOptions = DecodeOptions(),
                 region: Region | None = None) -> tuple[list[Window], VideoInfo]:
    """Every window of a (short) video at once (of `region` of its picture only, when given): queries and tests.
    Ingest streams with WindowReader."""
    reader = WindowReader(path, options, region)
    windows = list(reader)
    return windows, reader.info
