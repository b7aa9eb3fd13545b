"""The I3D Kinetics-400 network, its weights and labels. Knows nothing of stores or servers."""

from ..tags import Tag
from .embedder import MODEL_NAME, Embedder, Embedding, TimedEmbedding
from .weights import WeightsNotFoundError

__all__ = ["MODEL_NAME", "Embedder", "Embedding", "Tag", "TimedEmbedding", "WeightsNotFoundError"]
