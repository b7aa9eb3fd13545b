"""Mirrored-frame averaging: a clip and its left-right mirror image embedded together, features averaged.

Footage and its horizontally flipped copy then get (nearly) the same vector, and the feature loses some of
its dependence on which way things move across the screen. Twice the model's work per clip.
"""

from __future__ import annotations

import numpy as np

from .embedding import Embedding


class MirroredEmbedder:
    """Wraps any embedder with `embed_batch(clips) -> [Embedding]` (clips T×H×W×3) and `top_tags(logits)`."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.name, self.dim = f"{embedder.name}+mirror", embedder.dim
        self.feature = getattr(embedder, "feature", None)

    def embed(self, frames: np.ndarray) -> Embedding:
        return self.embed_batch([frames])[0]

    def embed_batch(self, clips: list[np.ndarray]) -> list[Embedding]:
        both = self.embedder.embed_batch([*clips, *(np.ascontiguousarray(c[:, :, ::-1]) for c in clips)])
        out = []
        for plain, mirrored in zip(both[: len(clips)], both[len(clips):]):
            logits = (plain.logits + mirrored.logits) / 2
            tags = self.embedder.top_tags(logits) if hasattr(self.embedder, "top_tags") else plain.tags
            out.append(Embedding((plain.vector + mirrored.vector) / 2, tags, logits))
        return out
