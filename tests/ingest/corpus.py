"""A corpus of awkward and broken inputs, made with PyAV, and the outcome each one must get."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np

from tests.conftest import make_video
from vidsearch.video.encode import Encoding

SMALL = dict(width=160, height=120, seconds=1.0)


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Writes a display matrix into the MP4's track header (what phones do for portrait video)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    matrix_at = at + 4 + 4 + (12 if version == 0 else 24) + 4 + 8 + (4 if version == 0 else 8) + 8
    one, minus = 0x00010000, 0xFFFF0000
    a, b, c, d = {90: (0, one, minus, 0), 270: (0, minus, one, 0), 180: (minus, 0, 0, minus)}[degrees]
    data[matrix_at : matrix_at + 36] = struct.pack(">9I", a, b, 0, c, d, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


def write_vfr(path: Path) -> None:
    """Variable frame rate: frames 20-120 ms apart."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.codec_context.time_base = stream.time_base = __import__("fractions").Fraction(1, 1000)
        t = 0
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), i * 8, np.uint8), format="rgb24")
            frame.pts, frame.time_base = t, stream.time_base
            t += int(rng.integers(20, 120))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def write_audio_only(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000, layout="mono")
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def build_corpus(root: Path) -> tuple[Path, dict[str, str]]:
    """Writes the corpus and its CSV; returns (csv, {file name: expected outcome}).

    Outcomes: 'indexed', or 'stage:reason' of the failure ('open:missing', 'decode:not_video', ...).
    """
    v = root / "videos"
    v.mkdir(parents=True)
    expected: dict[str, str] = {}

    def good(name: str, **kwargs) -> None:
        make_video(v / name, **{"motion": "orbit_cw", "seed": len(expected), **SMALL, **kwargs})
        expected[name] = "indexed"

    good("h264.mp4")
    good("mpeg4.avi", encoding=Encoding("mpeg4", options={"qscale": "5"}))
    good("mjpeg.avi", encoding=Encoding("mjpeg", pix_fmt="yuvj420p"))
    good("vp9.webm", encoding=Encoding("libvpx-vp9", options={"deadline": "realtime", "cpu-used": "8"}))
    good("hevc.mkv", encoding=Encoding("libx265", options={"preset": "ultrafast", "x265-params": "log-level=none"}))
    good("one frame.mp4", seconds=0.04)
    good("short 0.2s.mp4", seconds=0.2)
    good("uhd 3840x2160.mp4", width=3840, height=2160, seconds=0.2, encoding=Encoding("libx264", options={"preset": "ultrafast"}))
    good("ünïcödé 视频.mp4")
    good("portrait.mp4", width=320, height=180)
    set_mp4_rotation(v / "portrait.mp4", 90)
    write_vfr(v / "vfr.mkv")
    expected["vfr.mkv"] = "indexed"

    (v / "empty.mp4").write_bytes(b"")
    expected["empty.mp4"] = "decode:empty"
    (v / "text.mp4").write_text("just some text\n" * 100)
    expected["text.mp4"] = "decode:not_video"
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(v / "image.png")
    (v / "image.mp4").write_bytes((v / "image.png").read_bytes())
    (v / "image.png").unlink()
    expected["image.mp4"] = "decode:not_video"
    write_audio_only(v / "audio.m4a")
    expected["audio.m4a"] = "decode:no_video_stream"
    full = make_video(v / "full.mp4", motion="zoom_in", seed=99, **{**SMALL, "seconds": 2.0})
    (v / "truncated.mp4").write_bytes(full.read_bytes()[: full.stat().st_size // 2])  # index (moov) is at the end
    full.unlink()
    expected["truncated.mp4"] = "decode:not_video"
    (v / "folder.mp4").mkdir()
    expected["folder.mp4"] = "open:not_video"
    expected["missing.mp4"] = "open:missing"

    rows = ["id,path,label"] + [f"{i},videos/{name},{name.split('.')[0]}" for i, name in enumerate(expected)]
    rows.append("0,videos/h264.mp4,duplicate-id")  # the same id again: reported, the first one is kept
    (root / "corpus.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root / "corpus.csv", expected
