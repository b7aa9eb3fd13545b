"""One typed configuration object, passed down from the CLI, the server or a notebook."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .store.base import IndexConfig
from .video.decode import DecodeOptions

DB_ENV, TOKEN_ENV = "VIDSEARCH_DB", "VIDSEARCH_MILVUS_TOKEN"
DEFAULT_DB = "./vidsearch.db"


def default_db() -> str:
    return os.environ.get(DB_ENV) or DEFAULT_DB


CENTRE_MIN_VIDEOS = 32  # below this the library mean is too noisy an estimate to subtract


@dataclass
class ReduceConfig:
    """How a NEW collection turns features into vectors (an existing one keeps what it was built with).

    Centring is on by default: on real footage it lifts mHR from 0.93 to 0.98 and leaves copy detection as it
    was (README, `vidsearch bench`). It is fitted on the first index, so that one is embedded in full before
    anything is stored; with fewer than CENTRE_MIN_VIDEOS videos it is left out.
    """

    dim: int | None = None  # None: keep the model's 1024 dimensions
    method: str = "none"  # none | random | pca
    centre: bool | None = None  # None: centre when the first index holds >= CENTRE_MIN_VIDEOS (measured better)
    seed: int = 0


@dataclass
class IngestConfig:
    """How `index` runs: decode workers (processes), inference batch, insert batch, per-file timeout."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # 0: decode in this process
    batch_size: int = 4  # clips per forward pass
    insert_batch: int = 32  # rows per insert: a killed run loses at most this many embeddings
    decode_timeout: float = 120.0  # seconds one file may take to decode
    prefetch: int = 2  # files queued per worker


@dataclass
class Settings:
    db: str = field(default_factory=default_db)
    collection: str = "videos"
    token: str | None = field(default_factory=lambda: os.environ.get(TOKEN_ENV))
    decode: DecodeOptions = field(default_factory=DecodeOptions)
    precision: str | None = None  # None/auto: bf16 where the CPU has it natively, else fp32
    index: IndexConfig = field(default_factory=IndexConfig)
    reduce: ReduceConfig = field(default_factory=ReduceConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    top_k_tags: int = 5
