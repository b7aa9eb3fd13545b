"""One typed configuration object, passed down from the CLI, the server or a notebook."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import environment
from .store.base import IndexConfig
from .video.decode import DecodeOptions

DEFAULT_DB = "./vidsearch.db"


def default_db() -> str:
    return environment.read(environment.DB) or DEFAULT_DB


CENTRE_MIN_VIDEOS = 32  # below this the library mean is too noisy an estimate to subtract


@dataclass
class ReduceConfig:
    """How a NEW collection turns features into vectors (an existing one keeps what it was built with).

    Centring is on by default: on real footage it lifts mHR from 0.95 to 0.99 and leaves copy detection as it
    was (docs/measured.md, `vidsearch bench`). The mean is fitted on the first CENTRE_MIN_VIDEOS videos of the first
    index (taken evenly across it), then rows stream to the store: a killed first index keeps what it stored.
    A first index of fewer videos is not centred.
    """

    dim: int | None = None  # None: keep the model's dimensions
    method: str | None = None  # none | random | pca; None: random when `dim` is given (the tutorial's), else none
    centre: bool | None = None  # None: centre when the first index holds >= CENTRE_MIN_VIDEOS (measured better)
    seed: int = 0

    def __post_init__(self):
        if self.method is None:
            self.method = "random" if self.dim else "none"

    def fit_size(self) -> int:
        """How many videos a new collection waits for before it is created (0: none, rows stream at once)."""
        if self.method == "pca":
            return max(CENTRE_MIN_VIDEOS, self.dim or 0)
        return 0 if self.centre is False else CENTRE_MIN_VIDEOS


@dataclass
class IngestConfig:
    """How `index` runs: decode workers (processes), inference batch, insert batch, per-file timeout."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # 0: decode in this process
    batch_size: int = 4  # clips per forward pass
    insert_batch: int = 32  # rows per insert: a killed run loses at most this many embeddings
    decode_timeout: float = 120.0  # seconds one file may take to decode
    prefetch: int = 2  # files queued per worker

    def validate(self) -> "IngestConfig":
        """Raises ValueError for settings that cannot run, before anything is decoded."""
        for name, value, low in (("workers", self.workers, 0), ("batch_size", self.batch_size, 1),
                                 ("insert_batch", self.insert_batch, 1), ("prefetch", self.prefetch, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 1024 * 1024:
                raise ValueError(f"{name} must be an integer from {low}, not {value!r}")
        if not 0 < self.decode_timeout < float("inf"):
            raise ValueError(f"decode_timeout must be a positive number of seconds, not {self.decode_timeout!r}")
        return self


@dataclass
class Settings:
    db: str = field(default_factory=default_db)
    collection: str = "videos"
    token: str | None = field(default_factory=lambda: environment.read(environment.MILVUS_TOKEN))
    decode: DecodeOptions = field(default_factory=DecodeOptions)
    precision: str | None = None  # None/auto: int8 with VNNI, else bf16 where native (and on a GPU), else fp32
    device: str | None = None  # None/auto: CUDA when PyTorch sees a GPU, else the CPU (OpenVINO)
    feature: str | None = None  # I3D blocks a NEW collection's vectors are made of (None: model.features' default)
    context: str | None = None  # how a NEW collection's windows are embedded (None: model.stream's default)
    index: IndexConfig = field(default_factory=IndexConfig)
    reduce: ReduceConfig = field(default_factory=ReduceConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    top_k_tags: int = 5
