"""Clips in, embeddings and Kinetics-400 tags out: the one place that runs the network."""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from ..tags import WINDOW_CLASSES, Tag
from .embedding import MODEL_NAME, Embedding
from .features import Feature
from .labels import kinetics400_labels
from .precision import resolve_precision
from .runtime import default_runtime, make_runtime, resolve_device
from .stream import ALIGN, WindowStream, can_stream, output_layout, parse_context


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
                 runtime: str | None = None, device: str | None = None, feature: str | None = None,
                 context: str | None = None):
        self.context = parse_context(context)  # how a video's windows are embedded (`stream.py`)
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
        return self._embeddings(averages, logits)

    def _embeddings(self, averages: np.ndarray, logits: np.ndarray) -> list[Embedding]:
        vectors = self.feature_spec.join(averages)
        return [Embedding(vector=v, tags=self.top_tags(l), logits=l) for v, l in zip(vectors, logits)]

    def top_tags(self, logits: np.ndarray) -> list[Tag]:
        probs = class_probabilities(logits)
        order = np.argsort(-probs)[: self.top_k_tags]
        return [Tag(self.labels[i], float(probs[i])) for i in order]

    def stream_maps(self, frames: np.ndarray) -> dict[tuple[str, int], np.ndarray]:
        """One pass over consecutive frames (N×S×S×3 uint8, N a multiple of 4): per-step maps, padded at
        the end with zero input (what TF 'SAME' padding adds) to a multiple of 8 frames."""
        x = network_input(frames)
        if x.shape[2] % ALIGN:
            x = np.concatenate([x, np.zeros((*x.shape[:2], ALIGN - x.shape[2] % ALIGN, *x.shape[3:]), x.dtype)], 2)
        with self._lock:
            maps = self.runtime.stream(x)
        return dict(zip(output_layout(self.feature_spec), maps))

    def streams(self, num_frames: int, stride_frames: int) -> bool:
        """Whether windows of this shape are embedded from a shared pass (the context says so and they fit)."""
        return self.context == "stream" and can_stream(num_frames, stride_frames)

    def window_stream(self, num_frames: int) -> "EmbeddingStream":
        return EmbeddingStream(WindowStream(self.stream_maps, self.feature_spec, num_frames), self._embeddings)


class EmbeddingStream:
    """One video's windows in, their embeddings out as chunks complete (`stream.WindowStream`); `make` turns
    block averages and logits into embeddings."""

    def __init__(self, stream: WindowStream, make: Callable[[np.ndarray, np.ndarray], list[Embedding]]):
        self.stream, self.make = stream, make

    def push(self, start: int, frames: np.ndarray) -> list[tuple[int, Embedding]]:
        return self._embeddings(self.stream.push(start, frames))

    def finish(self) -> list[tuple[int, Embedding]]:
        return self._embeddings(self.stream.finish())

    def _embeddings(self, done) -> list[tuple[int, Embedding]]:
        if not done:
            return []
        starts, averages, logits = zip(*done)
        return list(zip(starts, self.make(np.stack(averages), np.stack(logits))))
