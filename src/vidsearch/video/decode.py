"""Decodes N uniformly spaced frames of a video with PyAV.

Positions come from packet timestamps, never from the container's frame count (webm reports 0, some AVIs
claim frames that do not decode). A cheap demux pass (no decoding) reads every video packet's timestamp
first: it gives the true time range and the keyframes, and decides between decoding straight through
(short files, or few keyframes) and seeking to each position (long files with many keyframes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from .errors import VideoDecodeError, decoder_failure
from .transform import Region, to_model_frame


MAX_FRAMES = 512  # 32 clips' worth of I3D input: more is a typo, not a setting


@dataclass(frozen=True)
class DecodeOptions:
    """How a video becomes frames. `num_frames` frames make one window (one vector); a video longer than a
    window is cut into windows of `num_frames` frames sampled at `window_fps`, one every `stride` seconds
    (`stride` 0: one window spread over the whole video, the tutorial's one vector per video). docs/segments.md: why."""

    num_frames: int = 16
    window_fps: float = 8.0  # frames per second inside a window: 16 frames = a 2-s window
    stride: float = 0.5  # seconds between window starts; 0 = whole-video mode
    size: int = 160  # centre crop: 224 is I3D's own; 160 halves the arithmetic at the same quality (docs/measured.md)
    short_side: int = 183  # resize before cropping: the training recipe's 256 for 224, in proportion
    seek_min_seconds: float = 20.0  # shorter files decode straight through (seeking costs more there)
    min_truncated_fraction: float = 0.5  # a truncated file is used if at least this much of it decodes
    max_pixels: int = 8192 * 4320  # guardrail, checked before decoding
    max_seconds: float = 6 * 3600.0  # guardrail, checked before decoding
    threads: int = 0  # decoder threads; 0 lets FFmpeg choose (parallel workers use 1 each)

    def __post_init__(self):
        """Refuses options that would store nonsense (`num_frames: -1`) or exhaust memory, whoever passes them."""
        limits = [("frames", self.num_frames, 1, MAX_FRAMES), ("size", self.size, 1, 4096),
                  ("short_side", self.short_side, self.size, 8192), ("threads", self.threads, 0, 1024)]
        for name, value, low, high in limits:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")
        if not (0.25 <= self.window_fps <= 60 and (self.stride == 0 or 1 / self.window_fps <= self.stride <= 3600)):
            raise ValueError(f"window fps must be from 0.25 to 60 and the stride 0 (whole videos) or from one "
                             f"frame interval to 3600 s, not {self.window_fps!r} / {self.stride!r}")
        if not self.max_pixels >= 1 or not self.max_seconds > 0 or not self.seek_min_seconds >= 0:
            raise ValueError("max_pixels and max_seconds must be positive")

    def with_threads(self, threads: int) -> "DecodeOptions":
        return replace(self, threads=threads)

    @property
    def segmented(self) -> bool:
        return self.stride > 0

    @property
    def window_seconds(self) -> float:
        """How long one window lasts; shorter videos are one window spread over the whole video."""
        return self.num_frames / self.window_fps

    @property
    def stride_frames(self) -> int:
        """Sampled frames between window starts (the stride, rounded to the sampling grid)."""
        return max(1, round(self.stride * self.window_fps))


@dataclass
class Clip:
    """The frames the model sees (T×size×size×3 uint8, RGB) and what is known of where they came from."""

    path: str
    frames: np.ndarray
    timestamps: list[float]
    duration: float
    width: int
    height: int
    truncated: bool = False
    strategy: str = "straight"


def uniform_positions(start: float, end: float, n: int) -> np.ndarray:
    """The tutorial's uniform_temporal_subsample: n evenly spaced positions, first and last included."""
    return np.linspace(start, end, n) if n > 1 else np.array([(start + end) / 2])


@dataclass
class _Packets:
    times: list[float]
    keyframes: list[float]
    complete: bool  # False when demuxing hit a broken packet before the end


def _packet_times(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> _Packets:
    times, keys, complete = [], [], True
    base = stream.time_base
    try:
        for packet in container.demux(stream):
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None or packet.size == 0:
                continue
            t = float(ts * base)
            times.append(t)
            if packet.is_keyframe:
                keys.append(t)
    except av.FFmpegError:
        complete = False
    return _Packets(sorted(times), sorted(keys), complete)


def _open(path: Path, threads: int = 0) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    if not path.exists():
        raise VideoDecodeError(path, "missing", "no such file")
    if not path.is_file():  # a directory, a FIFO (would block forever), a device
        raise VideoDecodeError(path, "not_video", "is a directory" if path.is_dir() else "not a regular file")
    if path.stat().st_size == 0:
        raise VideoDecodeError(path, "empty", "file has 0 bytes")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoDecodeError(path, "not_video", str(e)) from e
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "no_video_stream", f"streams: {[s.type for s in container.streams]}")
    if container.format.name.endswith("_pipe") or container.format.name == "image2":
        container.close()  # FFmpeg opens a still image as a 1-frame video; it is not one
        raise VideoDecodeError(path, "not_video", f"a still image ({container.format.name})")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    stream.codec_context.thread_count = threads
    return container, stream


def _frame_time(frame: av.VideoFrame, fallback: float) -> float:
    return float(frame.time) if frame.time is not None else fallback


TIE_SECONDS = 1e-6  # two timestamps this close to equally near an instant are both kept


def nearest_stamps(stamps: list[float], instants: np.ndarray) -> frozenset[float]:
    """The packet timestamps nearest to each instant (both of a tie): the only frames a sampler ever keeps."""
    times = np.asarray(stamps, np.float64)
    if len(times) < 2:
        return frozenset(times.tolist())
    at = np.clip(np.searchsorted(times, instants), 1, len(times) - 1)
    before, after = times[at - 1], times[at]
    to_before, to_after = np.abs(instants - before), np.abs(after - instants)
    return frozenset(before[to_before <= to_after + TIE_SECONDS].tolist()) | frozenset(
        after[to_after <= to_before + TIE_SECONDS].tolist())


def decode_frames(container, stream, keep: frozenset[float] | None = None) -> Iterator[av.VideoFrame]:
    """`container.decode(stream)`, except that a frame no other frame refers to is not decoded unless its packet
    timestamp is in `keep` (FFmpeg's skip_frame, set packet by packet). Sampling 8 of 24–30 frames a second
    skips about half the decoding of a film with B-frames, and gives the same frames: the kept ones are decoded
    whatever their kind, and the ones a non-kept frame would have referred to do not exist."""
    if keep is None:
        yield from container.decode(stream)
        return
    codec, base, skipping = stream.codec_context, stream.time_base, False
    try:
        for packet in container.demux(stream):
            stamp = packet.pts if packet.pts is not None else packet.dts
            skip = stamp is not None and packet.size > 0 and float(stamp * base) not in keep
            if skip != skipping:
                codec.skip_frame, skipping = ("NONREF" if skip else "DEFAULT"), skip
            yield from packet.decode()
    finally:
        codec.skip_frame = "DEFAULT"  # the container may be read again (a restart after a seek, a second pass)


def _decode_straight(container, stream, targets: np.ndarray,
                     keep: frozenset[float] | None = None) -> tuple[list, list[float], bool]:
    """Decodes every frame once (but the non-reference frames not in `keep`), keeping for each target the
    frame nearest to it."""
    best: list = [None] * len(targets)
    best_gap = [np.inf] * len(targets)
    times: list[float] = []
    ok = True
    rate = float(stream.average_rate or 25)
    try:
        for frame in decode_frames(container, stream, keep):
            t = _frame_time(frame, len(times) / rate)
            times.append(t)
            gaps = np.abs(targets - t)
            for i in np.flatnonzero(gaps < best_gap):
                best[i], best_gap[i] = frame, gaps[i]
            if t > targets[-1] and all(f is not None for f in best):
                break  # every target has its nearest frame already
    except av.FFmpegError:
        ok = False
    return best, times, ok


def _decode_seeking(container, stream, targets: np.ndarray,
                    keep: frozenset[float] | None = None) -> tuple[list, list[float], bool]:
    """Seeks to the keyframe before each target and decodes forward to it: reads a fraction of a long file."""
    chosen, times = [], []
    for target in targets:
        container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
        previous = None
        try:
            for frame in decode_frames(container, stream, keep):
                t = _frame_time(frame, target)
                if t >= target:
                    if previous is not None and target - previous[1] < t - target:
                        frame, t = previous
                    break
                previous = (frame, t)
            else:
                if previous is None:
                    return chosen, times, False
                frame, t = previous
        except av.FFmpegError:
            if previous is None:
                return chosen, times, False
            frame, t = previous
        chosen.append(frame)
        times.append(t)
    return chosen, times, True


@dataclass
class Probe:
    """What the demux pass learnt of an opened video, before any frame is decoded."""

    width: int
    height: int
    declared: float  # the container's duration
    packets: _Packets
    frame_step: float

    @property
    def start(self) -> float:
        return self.packets.times[0]

    @property
    def end(self) -> float:
        return self.packets.times[-1]

    @property
    def span(self) -> float:
        """Seconds the video lasts, its last frame included."""
        return self.end - self.start + self.frame_step

    @property
    def fps(self) -> float:
        return 1 / self.frame_step


def _frame_step(times: list[float], stream) -> float:
    """How long a frame lasts: the usual interval between timestamps (the container's average rate counts
    a gap in the timestamps as frames), else the declared rate."""
    steps = np.diff(times)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 1 / float(stream.average_rate or 25)


def probe(path: Path, container, stream, options: DecodeOptions) -> Probe:
    """Guardrails and the demux pass; raises VideoDecodeError for a video that must not be decoded."""
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > options.max_pixels:
        raise VideoDecodeError(path, "too_large", f"{width}x{height} exceeds {options.max_pixels} pixels")
    declared = float(stream.duration * stream.time_base) if stream.duration else (
        container.duration / av.time_base if container.duration else 0.0
    )
    if declared > options.max_seconds:
        raise VideoDecodeError(path, "too_long", f"{declared:.0f} s exceeds {options.max_seconds:.0f} s")
    packets = _packet_times(container, stream)
    if not packets.times:
        raise VideoDecodeError(path, "no_frames", "no video packets")
    found = Probe(width, height, declared, packets, _frame_step(packets.times, stream))
    coverage = found.span / declared if declared > 0 else 1.0
    if coverage < options.min_truncated_fraction:
        raise VideoDecodeError(path, "truncated", f"only {found.span:.2f} s of {declared:.2f} s present")
    return found


def clip_from(path: Path, container, stream, found: Probe, options: DecodeOptions, region: Region | None = None) -> Clip:
    """`decode_clip` on a video already opened and probed (the windows reader has done both); of `region` of
    the picture only, when given."""
    packets, start, end, declared = found.packets, found.start, found.end, found.declared
    width, height = found.width, found.height
    coverage = found.span / declared if declared > 0 else 1.0
    cut_short = coverage < 0.9 or not packets.complete
    many_keys = len(packets.keyframes) >= 2 * options.num_frames
    seek = (end - start) >= options.seek_min_seconds and many_keys and packets.complete
    targets = uniform_positions(start, end, options.num_frames)
    container.seek(0)
    decode = _decode_seeking if seek else _decode_straight
    frames, times, complete = decode(container, stream, targets, nearest_stamps(packets.times, targets))
    if not seek and frames and frames[0] is not None and not complete:
        # Broken part-way: decide on what came out before the break.
        decoded_end = max(times)
        span = max(end - start, declared - start, 1e-9)
        if (decoded_end - start) / span < options.min_truncated_fraction:
            raise VideoDecodeError(
                path, "truncated", f"only {decoded_end - start:.2f} s of {span:.2f} s decode"
            )
        container.seek(0)
        targets = uniform_positions(start, decoded_end, options.num_frames)
        frames, times, _ = _decode_straight(container, stream, targets, nearest_stamps(packets.times, targets))
    if not frames or any(f is None for f in frames):
        raise VideoDecodeError(path, "no_frames", "no frame could be decoded")
    picked = [_frame_time(f, t) for f, t in zip(frames, targets)]
    arrays = np.stack([to_model_frame(f, options.short_side, options.size, region) for f in frames])
    return Clip(
        path=str(path),
        frames=arrays,
        timestamps=picked,
        duration=end - start,
        width=width,
        height=height,
        truncated=cut_short or not complete,
        strategy="seek" if seek else "straight",
    )


def decode_clip(path: str | os.PathLike, options: DecodeOptions = DecodeOptions()) -> Clip:
    """`options.num_frames` frames evenly spread over the video, ready for the model.

    Raises VideoDecodeError for anything that cannot give frames: missing, empty, not a video, no video
    stream, no decodable frame, or truncated so badly that less than `min_truncated_fraction` of the
    declared duration decodes. A less damaged truncated file is used, its frames spread over the part that
    decodes, and the clip says `truncated=True`.
    """
    path = Path(path)
    container, stream = _open(path, options.threads)
    try:
        return clip_from(path, container, stream, probe(path, container, stream, options), options)
    except av.FFmpegError as e:
        raise decoder_failure(path, e) from e
    finally:
        container.close()
