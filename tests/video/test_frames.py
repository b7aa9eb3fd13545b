"""Single frames at given times (video/frames.py): in a long file they are reached by seeking, once per cluster
of nearby times (the frame check asks for hundreds of instants within a few seconds), and the frames are the
same as those found by decoding straight through."""

from __future__ import annotations

import numpy as np

import vidsearch.video.frames as frames_module
from vidsearch.datasets.synthetic import render_long
from vidsearch.video.encode import Encoding, write_video
from vidsearch.video.frames import all_frames, frames_at, nearest_frames


def test_seeking_in_clusters_finds_the_frames_decoding_straight_finds(tmp_path, monkeypatch):
    frames = list(render_long(3, 45.0, width=160, height=120, fps=12.0))
    path = write_video(tmp_path / "long.mp4", frames, 12.0, Encoding("libx264", options={"preset": "veryfast", "g": "48"}))
    times = [31.0 + i / 16 for i in range(40)] + [44.9, 5.0, 12.3, 40.2]  # a cluster, then scattered, any order
    seeking = frames_at(path, times, 96, grey=True)
    monkeypatch.setattr(frames_module, "SEEK_AFTER_SECONDS", 1e9)
    straight = frames_at(path, times, 96, grey=True)
    assert len(seeking) == len(times) and all(np.array_equal(a, b) for a, b in zip(seeking, straight))
    assert not np.array_equal(seeking[0], seeking[-1])


def test_a_whole_short_file_gives_the_frames_decoding_to_the_times_finds(tmp_path):
    frames = list(render_long(4, 6.0, width=160, height=120, fps=12.0))
    path = write_video(tmp_path / "short.mp4", frames, 12.0, Encoding("libx264", options={"preset": "veryfast"}))
    times = [0.0, 5.99, 2.5, 2.52, 1 / 24, 3.3, 9.0]  # any order, between two frames, past the end
    stamps, images = all_frames(path, 96, grey=True)
    assert len(images) == 72 and np.all(np.diff(stamps) > 0)
    whole = [images[i] for i in nearest_frames(stamps, times)]
    assert all(np.array_equal(a, b) for a, b in zip(whole, frames_at(path, times, 96, grey=True)))
