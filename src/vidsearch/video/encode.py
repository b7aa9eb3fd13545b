"""Writes frames to a video file with PyAV: test fixtures, benchmark datasets and transformed copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np


@dataclass(frozen=True)
class Encoding:
    """A codec and its settings; `container` is implied by the file's suffix."""

    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    options: dict = field(default_factory=dict)  # e.g. {"g": "12", "crf": "23"}
    bit_rate: int | None = None


H264 = Encoding("libx264", options={"preset": "veryfast", "crf": "23"})


def _fps_fraction(fps: float) -> Fraction:
    return Fraction(30000, 1001) if abs(fps - 29.97) < 0.01 else Fraction(fps).limit_denominator(1001)


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float = 25.0, encoding: Encoding = H264,
                rotation: int = 0) -> Path:
    """Encodes H×W×3 uint8 RGB frames. Sizes are rounded down to even numbers (4:2:0 needs them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = None
        for frame in frames:
            if stream is None:
                h, w = frame.shape[0] // 2 * 2, frame.shape[1] // 2 * 2
                stream = container.add_stream(encoding.codec, rate=_fps_fraction(fps), options=dict(encoding.options))
                stream.width, stream.height, stream.pix_fmt = w, h, encoding.pix_fmt
                if encoding.bit_rate:
                    stream.bit_rate = encoding.bit_rate
                if rotation:
                    stream.metadata["rotate"] = str(rotation)
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:h, :w]), format="rgb24")
            container.mux(stream.encode(video_frame))
        if stream is None:
            raise ValueError("no frames to write")
        container.mux(stream.encode())
    return path
