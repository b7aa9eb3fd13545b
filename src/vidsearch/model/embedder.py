"""Clips in, embeddings and Kinetics-400 tags out: the one place that runs the network."""

from __future__ import annotations

import threading

import numpy as np

from ..tags import WINDOW_CLASSES, Tag
from .embedding import MODEL_NAME, Embedding
from .features import Feature
from .labels import kinetics400_labels
from .precision import resolve_precision
from .runtime import default_runtime, make_runtime, resolve_device


def network_input(frames: np.ndarray) -> np.ndarray:
    """T×H×W×3 uint8 (or a batch B×T×H×W×3) -> B×3×T×H×W float32 in [-1, 1], contiguous."""
    x = np.asarray(frames)
    if x.ndim == 4:
        x = x[None]
    return np.ascontiguousarray(x.transpose(0, 4, 1, 2, 3), dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


def class_probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax of a window's logits: the Kinetics-400 class probabilities."""
    probs = np.exp(logits - logits.max())
    return probs / probs.sum()


class Embedder:
    """Loads the pretrained I3D once and embeds clips with the chosen precision and runtime (`runtime.py`) into
    the chosen feature (`features.py`; None: the default)."""

    name = MODEL_NAME

    def __init__(self, precision: str | None = None, top_k_tags: int = 5, threads: int | None = None,
                 runtime: str | None = None, device: str | None = None, feature: str | None = None):
        self.feature_spec = Feature.parse(feature)
        self.feature, self.dim = self.feature_spec.name, self.feature_spec.dim
        self.device = resolve_device(device)
        runtime = "torch" if self.device == "cuda" else runtime or default_runtime()
        self.precision = resolve_precision(precision, self.device, runtime)
        self.top_k_tags = max(top_k_tags, WINDOW_CLASSES)  # a window keeps enough classes for find-action
        self.runtime = make_runtime(self.precision, self.feature_spec, runtime, threads, self.device)
        self.labels = kinetics400_labels()
        self._lock = threading.Lock()  # one forward pass at a time: it uses every core already

    def embed(self, frames: np.ndarray) -> Embedding:
        return self.embed_batch([frames])[0]

    def embed_batch(self, clips: list[np.ndarray]) -> list[Embedding]:
        """Embeds clips of the same frame count in one forward pass."""
        if not clips:
            return []
        x = network_input(np.stack(clips))
        with self._lock:
            averages, logits = self.runtime(x)
        vectors = self.feature_spec.join(averages)
        return [Embedding(vector=v, tags=self.top_tags(l), logits=l) for v, l in zip(vectors, logits)]

    def top_tags(self, logits: np.ndarray) -> list[Tag]:
        probs = class_probabilities(logits)
        order = np.argsort(-probs)[: self.top_k_tags]
        return [Tag(self.labels[i], float(probs[i])) for i in order]
