"""Raw model features -> the vectors a collection stores: optional centring and projection, then L2 norm.

The projection is part of the collection (saved in its spec), so every process that searches it projects
queries with exactly the matrix its library was indexed with.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

METHODS = ("none", "random", "pca")


class ProjectionMismatchError(ValueError):
    """A vector does not fit the collection's projection (wrong model or dimension)."""


def _encode(array: np.ndarray | None) -> str | None:
    return None if array is None else base64.b64encode(np.asarray(array, "<f4").tobytes()).decode("ascii")


def _decode(text: str | None, shape: tuple[int, ...]) -> np.ndarray | None:
    return None if text is None else np.frombuffer(base64.b64decode(text), "<f4").reshape(shape).copy()


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@dataclass
class Projection:
    """x -> normalise((x - mean) @ matrix). `matrix` None means no projection, `mean` None no centring."""

    input_dim: int
    output_dim: int
    method: str = "none"
    seed: int | None = None
    matrix: np.ndarray | None = None  # input_dim × output_dim
    mean: np.ndarray | None = None  # input_dim

    def apply(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=np.float32)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.shape[1] != self.input_dim:
            raise ProjectionMismatchError(
                f"features of dimension {x.shape[1]}, but this collection was built from {self.input_dim}-d features"
            )
        if self.mean is not None:
            x = x - self.mean
        if self.matrix is not None:
            x = x @ self.matrix
        x = l2_normalise(x)
        return x[0] if single else x

    def to_json(self) -> dict:
        return {
            "input_dim": self.input_dim, "output_dim": self.output_dim, "method": self.method, "seed": self.seed,
            "matrix": _encode(self.matrix), "mean": _encode(self.mean),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Projection":
        i, o = int(data["input_dim"]), int(data["output_dim"])
        return cls(i, o, data.get("method", "none"), data.get("seed"),
                   _decode(data.get("matrix"), (i, o)), _decode(data.get("mean"), (i,)))


def check_reduction(input_dim: int, output_dim: int | None, method: str) -> int:
    """Raises ValueError for a reduction that cannot be built (before any video is embedded); the output dim."""
    if method not in METHODS:
        raise ValueError(f"reduction must be one of {METHODS}, not {method!r}")
    output_dim = input_dim if output_dim is None else output_dim
    if isinstance(output_dim, bool) or not isinstance(output_dim, int) or not 1 <= output_dim <= input_dim:
        raise ValueError(f"--dim must be an integer from 1 to {input_dim} (the model's dimension), not {output_dim!r}")
    if method == "none" and output_dim != input_dim:
        raise ValueError(f"--dim {output_dim} needs a reduction method (random or pca)")
    return output_dim


def fit_projection(
    features: np.ndarray | None, input_dim: int, output_dim: int | None = None, method: str = "none",
    centre: bool = False, seed: int = 0,
) -> Projection:
    """Builds the projection a new collection will keep.

    random: Gaussian random projection (the tutorial's sklearn GaussianRandomProjection: N(0, 1/d) entries),
    reproducible from `seed`. pca: the top principal axes of `features` (the library), centred. centre: subtract the
    library mean first; raw I3D vectors of unrelated clips have cosine 0.8-0.9, centring spreads them out.
    """
    output_dim = check_reduction(input_dim, output_dim, method)
    needs_data = centre or method == "pca"
    if needs_data and (features is None or len(features) < 2):
        raise ValueError("centring and PCA are fitted on the library: give at least 2 videos")
    data = None if features is None else np.asarray(features, dtype=np.float64)
    mean = data.mean(axis=0) if needs_data else None
    matrix = None
    if method == "random":
        rng = np.random.RandomState(seed)  # the legacy generator's stream is frozen across numpy versions
        matrix = rng.standard_normal((input_dim, output_dim)) / np.sqrt(output_dim)
    elif method == "pca":
        if output_dim > min(data.shape):
            raise ValueError(f"PCA to {output_dim} dimensions needs at least {output_dim} videos (have {len(data)})")
        _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
        matrix = vt[:output_dim].T
    return Projection(
        input_dim, output_dim, method, seed if method == "random" else None,
        # C order, like the copy a new process decodes: the same BLAS path gives bit-identical vectors
        None if matrix is None else np.ascontiguousarray(matrix, dtype=np.float32),
        None if mean is None else mean.astype(np.float32),
    )
