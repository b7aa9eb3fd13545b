import numpy as np
import pytest

from vidsearch.reduce import Projection, ProjectionMismatchError, fit_projection, l2_normalise


def features(n=50, d=64, seed=0):
    rng = np.random.default_rng(seed)
    return np.abs(rng.normal(size=(n, d))) + 3  # positive, like averaged ReLU features


def test_identity_only_normalises():
    p = fit_projection(None, 64)
    x = features()
    assert np.allclose(p.apply(x), l2_normalise(x)) and p.output_dim == 64


def test_random_projection_is_reproducible_from_its_seed():
    a, b = fit_projection(None, 64, 16, "random", seed=3), fit_projection(None, 64, 16, "random", seed=3)
    assert np.array_equal(a.matrix, b.matrix)
    assert not np.array_equal(a.matrix, fit_projection(None, 64, 16, "random", seed=4).matrix)
    assert a.matrix.std() == pytest.approx(1 / 4, rel=0.1)  # N(0, 1/d)


def test_pca_keeps_most_variance_and_is_centred():
    x = features()
    p = fit_projection(x, 64, 8, "pca")
    assert p.mean is not None and p.apply(x).shape == (50, 8)
    assert np.allclose(np.linalg.norm(p.apply(x), axis=1), 1)


def test_centring_spreads_similar_vectors():
    x = features()
    raw = l2_normalise(x) @ l2_normalise(x).T
    centred = fit_projection(x, 64, centre=True).apply(x)
    assert (centred @ centred.T)[np.triu_indices(50, 1)].mean() < raw[np.triu_indices(50, 1)].mean() - 0.5


def test_json_round_trip_is_exact():
    p = fit_projection(features(), 64, 16, "pca")
    q = Projection.from_json(p.to_json())
    assert np.array_equal(p.matrix, q.matrix) and np.array_equal(p.mean, q.mean)
    assert np.array_equal(p.apply(features(seed=1)), q.apply(features(seed=1)))


def test_mismatch_and_bad_requests_are_clear():
    with pytest.raises(ProjectionMismatchError, match="dimension 32"):
        fit_projection(None, 64).apply(np.ones(32))
    with pytest.raises(ValueError, match="needs a reduction"):
        fit_projection(None, 64, 16)
    with pytest.raises(ValueError, match="at least 2"):
        fit_projection(None, 64, 16, "pca")
