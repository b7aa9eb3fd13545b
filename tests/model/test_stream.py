"""Windows pooled from chunk maps (`model/stream.py`), checked with a stand-in network whose per-step maps are
exact averages of frame values: a window's vector must then be the average of its own frames' values, however
the chunks fall, at both Mixed_5 phases, across gaps and at the end of a run."""

import numpy as np
import pytest

from vidsearch.model.features import Feature
from vidsearch.model.stream import (ALIGN, CHUNK_FRAMES, DEFAULT_CONTEXT, EDGE_FRAMES, MARGIN_FRAMES, STEP_FRAMES,
                                    WindowStream, can_stream, mirrored_ends, output_layout, parse_context, step_of)

FEATURE = Feature.parse("Mixed_5c+Mixed_4d+Mixed_3c")


class StepAverages:
    """What a network's per-step spatial averages would be if each step averaged its frames' values: Mixed_3
    steps are 2 frames, Mixed_4 4, Mixed_5 8 at phase 0 and, at phase 1, 8 starting 4 frames in."""

    def __init__(self):
        self.lengths: list[int] = []

    def __call__(self, clip: np.ndarray) -> dict:
        assert clip.dtype == np.uint8 and len(clip) % STEP_FRAMES["Mixed_4"] == 0
        self.lengths.append(len(clip))
        values = clip[:, 0, 0, 0].astype(np.float64)
        values = np.concatenate([values, np.zeros((-len(values)) % ALIGN)])  # the embedder pads with zeros
        maps = {}
        for block, phase in output_layout(FEATURE):
            step = STEP_FRAMES["Mixed_5"] if block == "logits" else step_of(block)
            shifted = values[4:-4] if phase else values
            steps = shifted[: len(shifted) // step * step].reshape(-1, step).mean(1)
            width = 400 if block == "logits" else 3
            maps[(block, phase)] = np.repeat(steps[None, None, :], width, axis=1)
        return maps


def frames_of(values) -> np.ndarray:
    return np.asarray(values, np.uint8)[:, None, None, None].repeat(2, 1).repeat(2, 2).repeat(3, 3)


def run(stream: WindowStream, video: np.ndarray, starts: list[int], window: int = 16) -> dict:
    done = []
    for s in starts:
        done += stream.push(s, video[s : s + window])
    done += stream.finish()
    assert [s for s, _, _ in done] == starts  # each window once, in order
    return {s: (v, l) for s, v, l in done}


@pytest.mark.parametrize("frames", [16, 20, 36, 160, 161 // 4 * 4, 400, 1003 // 4 * 4])
def test_each_window_is_the_average_of_its_own_frames_however_the_chunks_fall(frames):
    rng = np.random.default_rng(frames)
    video = frames_of(rng.integers(0, 250, frames))
    starts = list(range(0, frames - 16 + 1, 4))
    network = StepAverages()
    got = run(WindowStream(network, FEATURE, 16), video, starts)
    for s in starts:
        expected = video[s : s + 16, 0, 0, 0].mean()
        vector, logits = got[s]
        assert np.allclose(vector, expected) and np.allclose(logits, expected), s
    assert max(network.lengths) <= CHUNK_FRAMES + 2 * EDGE_FRAMES
    # every frame through the network about once: a chunk moves on by all it holds but its margins and the
    # frames the next window shares with the last one done; the run's two ends are mirrored
    advance = CHUNK_FRAMES - 2 * MARGIN_FRAMES - (16 - 4)
    assert sum(network.lengths) <= frames * CHUNK_FRAMES / advance + 2 * EDGE_FRAMES + ALIGN


def test_a_gap_starts_a_new_run_and_windows_off_the_grid_never_share_a_pass():
    rng = np.random.default_rng(1)
    video = frames_of(rng.integers(0, 250, 200))
    starts = [0, 4, 8, 60, 64, 120]  # two gaps: 8 -> 60 (no frame in common), 64 -> 120
    network = StepAverages()
    got = run(WindowStream(network, FEATURE, 16), video, starts)
    for s in starts:
        assert np.allclose(got[s][0], video[s : s + 16, 0, 0, 0].mean())
    # each run alone, its ends mirrored: nothing decoded in a gap is made up
    assert network.lengths == [len(mirrored_ends(np.zeros(n), EDGE_FRAMES, EDGE_FRAMES)[0]) for n in (24, 20, 16)]


def test_memory_stays_one_chunk_on_a_long_video():
    video = frames_of(np.arange(20_000) % 251)
    stream = WindowStream(StepAverages(), FEATURE, 16)
    held = 0
    for s in range(0, 20_000 - 16 + 1, 4):
        stream.push(s, video[s : s + 16])
        held = max(held, len(stream._frames))
    stream.finish()
    assert held <= CHUNK_FRAMES + 16


def test_a_window_alone_is_one_pass_over_its_frames_and_their_mirror_images():
    """A video shorter than one window (one window spread over it): one pass, its frames mirrored at both ends."""
    network = StepAverages()
    video = frames_of(np.arange(16) * 3)
    got = run(WindowStream(network, FEATURE, 16), video, [0])
    edge = min(EDGE_FRAMES, 15) // 4 * 4
    assert network.lengths == [16 + 2 * edge] and np.allclose(got[0][0], video[:, 0, 0, 0].mean())


def test_mirrored_ends():
    clip = np.arange(10)
    assert [(c.tolist(), n) for c, n in [mirrored_ends(clip, 4, 4)]] == [([4, 3, 2, 1, *range(10), 8, 7, 6, 5], 4)]
    mirrored, before = mirrored_ends(clip, 16, 0)  # what there is, in whole steps
    assert mirrored.tolist() == [8, 7, 6, 5, 4, 3, 2, 1, *range(10)] and before == 8
    assert mirrored_ends(clip, 0, 0)[0].tolist() == list(range(10))


def test_which_windows_can_stream_and_context_names():
    assert can_stream(16, 4) and can_stream(32, 8) and can_stream(16, 0)
    assert not can_stream(12, 4) and not can_stream(16, 2) and not can_stream(16, 6)
    assert parse_context(None) == DEFAULT_CONTEXT and parse_context("Window") == "window"
    with pytest.raises(ValueError, match="stream, window"):
        parse_context("frames")
