"""What the model gives for a clip, as plain numpy: everything downstream (ingest, stores, search) uses these
without loading the network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tags import Tag

MODEL_NAME = "i3d-kinetics400-rgb"


@dataclass
class Embedding:
    """The raw feature (block averages over time and space, `features.py`) and the top Kinetics classes."""

    vector: np.ndarray
    tags: list[Tag]
    logits: np.ndarray


@dataclass
class TimedEmbedding:
    """The embedding of one window of a video and where the window lies (seconds from the video's start)."""

    start: float
    end: float
    embedding: Embedding
