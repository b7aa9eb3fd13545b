from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import make_video
from vidsearch.datasets.synthetic import ENCODINGS, ClipSpec
from vidsearch.video import DecodeOptions, VideoDecodeError, decode_clip, uniform_positions
from vidsearch.video.decode import decode_frames, nearest_stamps
from vidsearch.video.encode import Encoding

WEBM = dict(ENCODINGS)[".webm"]
N = DecodeOptions().num_frames


def test_uniform_positions_include_both_ends():
    assert uniform_positions(0.0, 7.0, 8).tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert uniform_positions(2.0, 4.0, 1).tolist() == [3.0]


@pytest.mark.parametrize("suffix,encoding", ENCODINGS, ids=[f"{s}-{e.codec}" for s, e in ENCODINGS])
def test_every_container_gives_evenly_spread_frames(tmp_path, suffix, encoding):
    spec = ClipSpec("move_right", seed=3, width=200, height=150, fps=25, seconds=2.0)
    clip = decode_clip(make_video(tmp_path / f"v{suffix}", spec, encoding))
    assert clip.frames.shape == (N, DecodeOptions().size, DecodeOptions().size, 3) and clip.frames.dtype == np.uint8
    assert clip.timestamps[0] == pytest.approx(0.0, abs=0.05)
    assert clip.timestamps[-1] == pytest.approx(2.0 - 1 / 25, abs=0.05)
    steps = np.diff(clip.timestamps)
    assert steps.min() > 0 and steps.max() - steps.min() <= 1 / 25 + 1e-6
    assert not clip.truncated


def test_webm_reports_zero_frames_but_decodes(tmp_path):
    path = make_video(tmp_path / "v.webm", ClipSpec("zoom_in", seed=1, width=160, height=120, seconds=1.0), WEBM)
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 0  # the container's count lies
    assert decode_clip(path).frames.shape[0] == N


def test_frames_are_upright_rgb_centre_crops(tmp_path):
    spec = ClipSpec("camera_shake", seed=2, width=320, height=180, seconds=0.5, jitter=0, noise=0)
    frames = [f for f in __import__("vidsearch.datasets.synthetic", fromlist=["render"]).render(spec)]
    options = DecodeOptions(size=224, short_side=256)  # I3D's own recipe, the numbers below
    clip = decode_clip(make_video(tmp_path / "v.mp4", spec, Encoding("libx264", options={"crf": "10"})), options)
    # short side 180 -> 256 (scale 1.422), width 455, centre crop 224: compare with the source's centre
    source = frames[0][:, (320 - 158) // 2 : (320 - 158) // 2 + 158]  # 224 / 1.422 = 158 source columns
    expected = np.asarray(__import__("PIL.Image", fromlist=["Image"]).fromarray(source[11:169]).resize((224, 224)))
    assert np.abs(clip.frames[0].astype(int) - expected.astype(int)).mean() < 12


def test_long_file_with_many_keyframes_is_seeked_and_matches_straight_decode(tmp_path):
    spec = ClipSpec("orbit_cw", seed=4, width=96, height=64, fps=10, seconds=40.0, noise=0)
    path = make_video(tmp_path / "long.mp4", spec, Encoding("libx264", options={"g": "10", "preset": "ultrafast"}))
    seeked = decode_clip(path)
    straight = decode_clip(path, DecodeOptions(seek_min_seconds=1e9))
    assert (seeked.strategy, straight.strategy) == ("seek", "straight")
    assert seeked.timestamps == pytest.approx(straight.timestamps)
    assert np.abs(seeked.frames.astype(int) - straight.frames.astype(int)).max() <= 2


def test_short_file_decodes_straight(tmp_path):
    path = make_video(tmp_path / "short.mp4", ClipSpec("move_up", seed=1, width=96, height=64, seconds=2.0))
    assert decode_clip(path).strategy == "straight"


def test_one_frame_video_repeats_its_frame(tmp_path):
    path = make_video(tmp_path / "one.mp4", ClipSpec("move_up", seed=1, width=96, height=64, fps=25, seconds=0.04))
    clip = decode_clip(path)
    assert clip.frames.shape[0] == N and all((f == clip.frames[0]).all() for f in clip.frames)


def _expect(path: Path, reason: str, options: DecodeOptions = DecodeOptions()):
    with pytest.raises(VideoDecodeError) as info:
        decode_clip(path, options)
    assert info.value.reason == reason and info.value.path == str(path)
    return info.value


def test_errors_are_one_typed_exception_with_a_reason(tmp_path):
    _expect(tmp_path / "missing.mp4", "missing")
    (tmp_path / "empty.mp4").write_bytes(b"")
    _expect(tmp_path / "empty.mp4", "empty")
    (tmp_path / "text.mp4").write_text("this is not a video\n" * 50)
    assert "Invalid data" in _expect(tmp_path / "text.mp4", "not_video").cause
    (tmp_path / "folder.mp4").mkdir()
    _expect(tmp_path / "folder.mp4", "not_video")


def test_still_image_renamed_to_mp4_is_not_a_video(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(tmp_path / "image.png")
    (tmp_path / "image.mp4").write_bytes((tmp_path / "image.png").read_bytes())
    _expect(tmp_path / "image.mp4", "not_video")


def test_audio_only_file_has_no_video_stream(tmp_path):
    from tests.ingest.corpus import write_audio_only

    write_audio_only(tmp_path / "audio.m4a")
    _expect(tmp_path / "audio.m4a", "no_video_stream")


def _truncated_copy(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def test_truncated_file_is_used_when_most_of_it_decodes(tmp_path):
    mkv = dict(ENCODINGS)[".mkv"]
    spec = ClipSpec("move_left", seed=5, width=160, height=120, fps=25, seconds=4.0, noise=6)
    full = make_video(tmp_path / "full.mkv", spec, mkv)
    clip = decode_clip(_truncated_copy(full, tmp_path / "cut80.mkv", 0.8))
    assert clip.truncated and clip.frames.shape[0] == N
    assert 0.5 * 4.0 < clip.timestamps[-1] < 4.0 - 0.1  # spread over the part that decodes
    error = _expect(_truncated_copy(full, tmp_path / "cut20.mkv", 0.2), "truncated")
    assert "of 4.00 s" in error.cause


def test_guardrails_refuse_before_decoding(tmp_path):
    path = make_video(tmp_path / "v.mp4", ClipSpec("move_up", seed=1, width=320, height=240, seconds=1.0))
    _expect(path, "too_large", DecodeOptions(max_pixels=320 * 240 - 1))
    _expect(path, "too_long", DecodeOptions(max_seconds=0.5))


def test_sampling_skips_unreferenced_frames_and_keeps_the_same_pixels(tmp_path):
    """8 of 30 frames a second are kept: B-frames nothing refers to are not decoded, the kept frames unchanged."""
    spec = ClipSpec("move_right", seed=5, width=320, height=180, fps=30, seconds=4.0)
    path = make_video(tmp_path / "b.mp4", spec, Encoding("libx264", options={"x264-params": "bframes=3:b-adapt=0"}))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stamps = sorted(float(p.pts * stream.time_base) for p in container.demux(stream) if p.size)
    keep = nearest_stamps(stamps, np.arange(0, 4, 1 / 8))
    assert 32 <= len(keep) < len(stamps) / 2  # one per instant, two at a tie

    def decoded(keep):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return {round(f.time, 6): f.to_ndarray(format="rgb24") for f in decode_frames(container, stream, keep)}

    everything, sampled = decoded(None), decoded(keep)
    assert len(everything) == len(stamps) and len(sampled) < 0.8 * len(everything)
    assert all(np.array_equal(sampled[round(t, 6)], everything[round(t, 6)]) for t in keep)
