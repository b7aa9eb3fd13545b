import numpy as np

from tests.fakes import FakeEmbedder
from vidsearch.model.mirror import MirroredEmbedder


def test_a_clip_and_its_mirror_image_get_the_same_vector():
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 255, (8, 32, 48, 3), dtype=np.uint8)
    mirrored = MirroredEmbedder(FakeEmbedder())
    a, b = mirrored.embed_batch([clip, clip[:, :, ::-1]])
    assert np.allclose(a.vector, b.vector, atol=1e-4)
    plain = FakeEmbedder().embed(clip)
    assert not np.allclose(plain.vector, a.vector, atol=1e-2)  # the plain feature does depend on the side
    assert mirrored.dim == 1024 and len(a.logits) == len(plain.logits)
