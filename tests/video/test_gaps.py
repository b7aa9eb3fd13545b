"""Timestamp gaps: windows follow the frames a file holds (a gap costs nothing), and the decode timeout bounds
a whole file, however steadily it makes progress."""

from fractions import Fraction

import av
import pytest

from tests.conftest import make_video
from vidsearch.datasets.synthetic import ClipSpec, render
from vidsearch.video import DecodeOptions, read_windows
from vidsearch.video.pool import DecodePool

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)

FPS = 25


def write_with_gap(path, before: float, gap: float, after: float) -> tuple:
    """`before` seconds of frames, nothing for `gap` seconds, then `after` seconds: the timestamps jump."""
    frames = list(render(ClipSpec(motion="move_right", seed=4, seconds=before + after, width=128, height=96)))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "g": "25"})
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for n, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = n + (round(gap * FPS) if n >= before * FPS else 0)
            frame.time_base = Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


@pytest.mark.parametrize("gap", [30.0, 60.0, 10800.0])
def test_a_gap_is_not_cut_into_windows(tmp_path, gap):
    plain, _ = read_windows(make_video(tmp_path / "plain.mp4", motion="move_right", seed=4, seconds=7.0,
                                       width=128, height=96))
    windows, info = read_windows(write_with_gap(tmp_path / "gap.mp4", 6.0, gap, 1.0))
    assert info.duration > gap  # the file says it lasts that long
    assert len(windows) <= len(plain) + 2  # but only its 7 s of frames are cut into windows (and their edges)
    assert all(w.end <= 7.5 or w.start >= 6.0 + gap - 1.0 for w in windows), [(w.start, w.end) for w in windows]
    assert [w.start for w in windows[:3]] == [0.0, 0.5, 1.0]


def test_frames_only_around_gaps_still_give_one_window(tmp_path):
    windows, _ = read_windows(write_with_gap(tmp_path / "islands.mp4", 0.4, 20.0, 0.4))
    assert len(windows) == 1 and windows[0].frames.shape[0] == DecodeOptions().num_frames


def test_a_slideshow_is_not_a_gap(tmp_path):
    """One frame every 2.5 s is how a slideshow is made, not a hole in it: it is windowed throughout."""
    path = tmp_path / "slides.mp4"
    make_video(path, motion="pulse", seed=2, seconds=30.0, width=128, height=96, fps=0.4)
    windows, info = read_windows(path)
    assert len(windows) > 20 and windows[-1].end > info.duration - 3


def test_the_timeout_bounds_the_whole_file_not_each_part(tmp_path):
    video = make_video(tmp_path / "long.mp4", motion="orbit_cw", seed=1, seconds=40.0, width=320, height=240)
    parts = list(DecodePool(DecodeOptions(), workers=1, timeout=0.5).run([(1, video)]))
    assert parts[-1].error is not None and parts[-1].error.reason == "timeout", parts[-1]
    assert sum(len(p.windows) for p in parts) < 77  # stopped part-way, though every part came quickly
