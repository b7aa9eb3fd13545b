"""A weight-free stand-in for the I3D embedder: fast unit tests of ingest, engine, evaluation and the API."""

from __future__ import annotations

import numpy as np

from vidsearch.model import Embedding, Tag
from vidsearch.model.embedder import EmbeddingStream
from vidsearch.model.features import Feature
from vidsearch.model.stream import ALIGN, WindowStream, can_stream

FAKE_LABELS = [f"fake action {i}" for i in range(16)]
STEPS = 8


class FakeEmbedder:
    """Deterministic 1024-d vectors from a clip's coarse colour layout over time (a 4×4 grid in 8 time steps):
    the same clip always gives the same vector, an altered copy a near one, different clips (and different
    moments of one video) different ones. Counts what it embedded."""

    name = "fake-embedder"
    labels = FAKE_LABELS
    dim = 1024
    precision = "fp32"

    def __init__(self, fail_on: set[int] | None = None):
        self.matrix = np.random.RandomState(0).standard_normal((STEPS * 4 * 4 * 3, self.dim)).astype(np.float32)
        self.fail_on = fail_on or set()  # clips whose first pixel value is in here raise (failure paths)
        self.calls = 0

    def _features(self, frames: np.ndarray) -> np.ndarray:
        t, h, w, _ = frames.shape
        grid = frames[:, : h // 4 * 4, : w // 4 * 4].reshape(t, 4, h // 4, 4, w // 4, 3).mean(axis=(2, 4)) / 255.0
        steps = grid[np.linspace(0, t - 1, STEPS).round().astype(int)]
        return (steps - grid.mean(0)).ravel() * 2 + np.tile(grid.mean(0).ravel(), STEPS)

    def embed_batch(self, clips: list[np.ndarray]) -> list[Embedding]:
        self.calls += 1
        out = []
        for frames in clips:
            if int(frames[0, 0, 0, 0]) in self.fail_on:
                raise RuntimeError("fake embedder refuses this clip")
            vector = self._features(np.asarray(frames, np.float32)) @ self.matrix
            out.append(self._embedding(vector))
        return out

    @staticmethod
    def _embedding(vector: np.ndarray) -> Embedding:
        logits = vector[: len(FAKE_LABELS)].astype(np.float64)
        order = np.argsort(-logits)[:5]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        return Embedding(vector, [Tag(FAKE_LABELS[i], float(probs[i])) for i in order], logits)

    def embed(self, frames: np.ndarray) -> Embedding:
        return self.embed_batch([frames])[0]


class StreamingFakeEmbedder(FakeEmbedder):
    """The fake, streaming its windows like the I3D embedder (`model/stream.py`): one pass per chunk, whose
    per-step maps are the frames' coarse colour layouts (projected to 1024-d) averaged over 8-frame steps, at
    both phases. Records each pass's frame count."""

    context = "stream"
    feature = "Mixed_5c"

    def __init__(self, fail_on: set[int] | None = None):
        super().__init__(fail_on)
        self.frame_matrix = np.random.RandomState(1).standard_normal((4 * 4 * 3, self.dim)).astype(np.float32)
        self.passes: list[int] = []

    def streams(self, num_frames: int, stride_frames: int) -> bool:
        return can_stream(num_frames, stride_frames)

    def window_stream(self, num_frames: int) -> EmbeddingStream:
        return EmbeddingStream(WindowStream(self._maps, Feature.parse(self.feature), num_frames),
                               lambda vectors, _: [self._embedding(v) for v in vectors])

    def _maps(self, clip: np.ndarray) -> dict:
        self.passes.append(len(clip))
        if self.fail_on & set(clip[:, 0, 0, 0].tolist()):
            raise RuntimeError("fake embedder refuses this chunk")
        t, h, w, _ = clip.shape
        grid = clip[:, : h // 4 * 4, : w // 4 * 4].astype(np.float32).reshape(t, 4, h // 4, 4, w // 4, 3).mean(axis=(2, 4))
        per_frame = grid.reshape(t, -1) / 255.0 @ self.frame_matrix
        per_frame = np.concatenate([per_frame, np.zeros(((-t) % ALIGN, self.dim), np.float32)])
        maps = {}
        for phase, part in enumerate((per_frame, per_frame[4:-4])):
            steps = part.reshape(-1, 8, self.dim).mean(1).T[None]
            maps[("Mixed_5c", phase)], maps[("logits", phase)] = steps, steps[:, : len(FAKE_LABELS)]
        return maps
