"""A collection's lifecycle: what it is made with (its spec: model, frame count, projection, index), creating
it (fitting the projection when it needs the library), adding rows and reading them back.

It knows stores and the reduction; nothing of ingest, the engine or the CLI. The spec is stored with the
collection, so every process decodes and projects queries exactly as the library was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from . import config
from .config import ReduceConfig
from .model import Embedding
from .reduce import Projection, ProjectionMismatchError, check_reduction, fit_projection
from .sources import SourceItem
from .store import CollectionSpec, Hit, IndexConfig, Listing, StoreError, VectorStore, VideoEntry
from .video import DecodeOptions


class ModelInfo(Protocol):
    """What a collection records of the model that embeds it (an Embedder has these)."""

    name: str
    dim: int
    precision: str


@dataclass
class Embedded:
    """A video embedded and ready to be stored."""

    item: SourceItem
    embedding: Embedding
    fingerprint: str


class Collection:
    """One named collection of a store, with the settings a NEW collection is made with (an existing one keeps
    its own: its spec wins)."""

    def __init__(self, store: VectorStore, index: IndexConfig, reduce: ReduceConfig, decode: DecodeOptions):
        self.store, self.index, self.reduce, self.decode = store, index, reduce, decode
        self._projection: tuple[CollectionSpec, Projection] | None = None

    @property
    def name(self) -> str:
        return self.store.collection

    @property
    def location(self) -> str:
        return self.store.location

    # -- what it is made with ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.store.exists()

    def spec(self) -> CollectionSpec:
        return self.store.spec()

    def projection(self) -> Projection:
        spec = self.spec()
        if self._projection is None or self._projection[0] is not spec:  # decoded once per collection spec
            self._projection = (spec, Projection.from_json(spec.meta["projection"]))
        return self._projection[1]

    def project(self, features: np.ndarray) -> np.ndarray:
        try:
            return self.projection().apply(features)
        except ProjectionMismatchError as e:
            raise StoreError(f"{e}; re-index the collection with this model") from e

    def decode_options(self) -> DecodeOptions:
        """The collection's own frame count wins over the settings: queries must be decoded like the library."""
        if self.exists():
            frames = self.spec().meta.get("num_frames")
            if frames and frames != self.decode.num_frames:
                return replace(self.decode, num_frames=int(frames))
        return self.decode

    # -- creating it ---------------------------------------------------------------------------------------
    def check_new(self, model_dim: int) -> None:
        """For a collection still to be made: refuses an index or reduction it could not be made with."""
        if not self.exists():
            self.store.check_index(self.index)
            check_reduction(model_dim, self.reduce.dim, self.reduce.method)

    def fit_size(self) -> int:
        """How many videos creating it waits for (0: created at once, rows stream in)."""
        return 0 if self.exists() else self.reduce.fit_size()

    def min_first_index(self) -> int:
        """The fewest videos a first index may have (PCA needs its dimension, explicit centring 2)."""
        if self.reduce.method == "pca":
            return max(self.reduce.dim or 0, 2)
        return 2 if self.reduce.centre else 0

    def create(self, model: ModelInfo, features: np.ndarray | None) -> CollectionSpec:
        """Makes the collection, fitting the projection on `features` (the first videos) where it needs them.
        Centring by default only when they are at least CENTRE_MIN_VIDEOS (fewer give too noisy a mean)."""
        r = self.reduce
        centre = r.centre if r.centre is not None else features is not None and len(features) >= config.CENTRE_MIN_VIDEOS
        projection = fit_projection(features, model.dim, r.dim, r.method, centre, r.seed)
        meta = {"model": model.name, "num_frames": self.decode.num_frames, "precision": model.precision,
                "projection": projection.to_json()}
        spec = CollectionSpec(dim=projection.output_dim, index=self.index, meta=meta)
        self.store.create(spec)
        return spec

    # -- rows ----------------------------------------------------------------------------------------------
    def add(self, rows: list[Embedded]) -> list[VideoEntry]:
        """Projects and upserts rows (replacing any with the same id); returns what was stored."""
        if not rows:
            return []
        vectors = self.project(np.stack([r.embedding.vector for r in rows]))
        entries = [VideoEntry(r.item.id, str(r.item.path.resolve()), r.item.label, v, list(r.embedding.tags),
                              r.fingerprint) for r, v in zip(rows, vectors)]
        self.store.upsert(entries)
        return entries

    def search(self, features: np.ndarray, k: int) -> list[Hit]:
        return self.store.search(self.project(features)[None], k)[0]

    def flush(self) -> None:
        self.store.flush()

    def get(self, video_id: int) -> VideoEntry | None:
        entries = self.store.get([video_id]) if self.exists() else []
        return entries[0] if entries else None

    def count(self) -> int:
        return self.store.count() if self.exists() else 0

    def catalogue(self) -> dict[int, Listing]:
        return self.store.catalogue() if self.exists() else {}

    def labels(self) -> dict[str, set[int]]:
        """Library ids by label (evaluation's ground truth); StoreError when there is no collection."""
        self.spec()
        by_label: dict[str, set[int]] = {}
        for video_id, listing in self.store.catalogue().items():
            by_label.setdefault(listing.label, set()).add(video_id)
        return by_label

    def remove(self, targets: list[int | str | Path]) -> int:
        """Deletes by id, or by path (as indexed, resolved); StoreError when there is no collection."""
        self.spec()
        paths = {str(Path(t).resolve()) for t in targets if not isinstance(t, int)}
        ids = [t for t in targets if isinstance(t, int)]
        if paths:
            ids += [i for i, row in self.store.catalogue().items() if row.path in paths]
        removed = self.store.delete(ids)
        self.store.flush()
        return removed

    def drop(self) -> None:
        self.store.drop()
        self._projection = None

    def info(self) -> dict:
        spec = self.spec()
        projection = spec.meta.get("projection", {})
        return {
            "count": self.store.count(),
            "dim": spec.dim,
            "model": spec.meta.get("model", ""),
            "index": {"type": spec.index.index_type, "metric": spec.index.metric,
                      "nlist": spec.index.nlist, "nprobe": spec.index.nprobe},
            "db": self.store.location,
            "backend": self.store.kind,
            "collection": self.name,
            "num_frames": spec.meta.get("num_frames"),
            "reduction": {"method": projection.get("method", "none"), "centred": projection.get("mean") is not None},
        }

    def close(self) -> None:
        self.store.close()
