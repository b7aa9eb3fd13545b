"""The I3D Kinetics-400 network, its weights and labels. Knows nothing of stores or servers.

Importing it loads no PyTorch: `Embedder` (the network) is imported when first asked for, so commands that embed
nothing (`--version`, `info`, `remove`, `find-action`, ...) start without it."""

from ..tags import Tag
from .checkpoint import WeightsNotFoundError
from .embedding import MODEL_NAME, Embedding, TimedEmbedding

__all__ = ["MODEL_NAME", "Embedder", "Embedding", "Tag", "TimedEmbedding", "WeightsNotFoundError"]


def __getattr__(name: str):
    if name == "Embedder":
        from .embedder import Embedder

        return Embedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
