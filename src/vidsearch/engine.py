"""VideoSearch: the one object the CLI, the web server and notebooks talk to."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .config import CENTRE_MIN_VIDEOS, Settings
from .model import Embedder, Embedding
from .reduce import Projection, ProjectionMismatchError, check_reduction, fit_projection
from .ingest import IndexReport, run_ingest
from .sources import SourceItem, read_source
from .store import CollectionSpec, Hit, StoreError, VectorStore, VideoEntry, check_k, open_store
from .video import DecodeOptions, decode_clip


@dataclass
class SearchResult:
    query: str
    results: list[Hit]
    tags: list[dict]
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"query": self.query, "results": [h.to_json() for h in self.results], "tags": self.tags}


class VideoSearch:
    """Index videos and find the most similar ones. `VideoSearch(db=...).index(source)`, `.search(path)`."""

    def __init__(self, db: str | None = None, collection: str | None = None, settings: Settings | None = None,
                 embedder: Embedder | None = None, store: VectorStore | None = None):
        settings = settings or Settings()
        overrides = {k: v for k, v in (("db", db), ("collection", collection)) if v is not None}
        self.settings = replace(settings, **overrides)
        self._embedder = embedder
        self._projection: tuple[CollectionSpec, Projection] | None = None
        self.store = store or open_store(self.settings.db, self.settings.collection, self.settings.token)

    # -- pieces ------------------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(self.settings.precision, self.settings.top_k_tags)
        return self._embedder

    def decode_options(self) -> DecodeOptions:
        """The collection's own frame count wins over the settings: queries must be decoded like the library."""
        options = self.settings.decode
        if self.store.exists():
            frames = self.store.spec().meta.get("num_frames")
            if frames and frames != options.num_frames:
                options = replace(options, num_frames=int(frames))
        return options

    def projection(self) -> Projection:
        spec = self.store.spec()
        if self._projection is None or self._projection[0] is not spec:  # decoded once per collection spec
            self._projection = (spec, Projection.from_json(spec.meta["projection"]))
        return self._projection[1]

    def embed(self, path: str | Path) -> Embedding:
        clip = decode_clip(path, self.decode_options())
        return self.embedder.embed(clip.frames)

    def new_spec(self, features: np.ndarray | None) -> CollectionSpec:
        r = self.settings.reduce
        centre = r.centre if r.centre is not None else features is not None and len(features) >= CENTRE_MIN_VIDEOS
        projection = fit_projection(features, self.embedder.dim, r.dim, r.method, centre, r.seed)
        meta = {
            "model": self.embedder.name,
            "num_frames": self.settings.decode.num_frames,
            "precision": self.embedder.precision,
            "projection": projection.to_json(),
        }
        return CollectionSpec(dim=projection.output_dim, index=self.settings.index, meta=meta)

    # -- indexing ----------------------------------------------------------------------------------------
    def check_index_settings(self) -> None:
        """Everything `index` will need, checked before any video is decoded (ValueError / StoreError)."""
        self.settings.ingest.validate()
        if not self.store.exists():  # a new collection: its index and reduction must be buildable
            self.store.check_index(self.settings.index)
            r = self.settings.reduce
            check_reduction((self._embedder or Embedder).dim, r.dim, r.method)

    def index(self, source: str | Path | list[SourceItem], progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None, strict: bool = False, prune: bool = False) -> IndexReport:
        """Adds (or updates) every video of `source`; bad videos are reported in the result, not raised.

        Unchanged videos already in the collection are skipped, changed ones replaced; `prune` also removes
        entries whose files are gone; `strict` stops at the first failure (StrictModeError).
        """
        self.check_index_settings()
        items = read_source(source) if not isinstance(source, list) else source
        return run_ingest(self, items, progress, on_plan, strict=strict, prune_missing=prune)

    # -- querying ----------------------------------------------------------------------------------------
    def search(self, path: str | Path, k: int = 10) -> SearchResult:
        start = time.perf_counter()
        check_k(k)
        self.projection()  # fails fast, before decoding, when there is no collection
        result = self.search_embedding(self.embed(path), k, query=str(path))
        result.seconds = time.perf_counter() - start
        return result

    def search_embedding(self, embedding: Embedding, k: int = 10, query: str = "") -> SearchResult:
        """Search with an already computed embedding (evaluation reuses one embedding across collections)."""
        check_k(k)
        try:
            vector = self.projection().apply(embedding.vector)
        except ProjectionMismatchError as e:
            raise StoreError(f"{e}; re-index the collection with this model") from e
        hits = self.store.search(vector[None], k)[0]
        tags = [{"label": t.label, "score": round(t.score, 6)} for t in embedding.tags]
        return SearchResult(query, hits, tags)

    def remove(self, targets: list[int | str | Path]) -> int:
        """Deletes entries by id, or by path (the path as indexed, resolved). Returns how many were removed."""
        self.store.spec()  # a clear error when there is no collection to remove from
        paths = {str(Path(t).resolve()) for t in targets if not isinstance(t, int)}
        ids = [t for t in targets if isinstance(t, int)]
        if paths:
            ids += [i for i, row in self.store.catalogue().items() if row.path in paths]
        removed = self.store.delete(ids)
        self.store.flush()
        return removed

    def get(self, video_id: int) -> VideoEntry | None:
        """One indexed video (vector included), or None."""
        entries = self.store.get([video_id]) if self.store.exists() else []
        return entries[0] if entries else None

    def labels(self) -> dict[str, set[int]]:
        """Library ids by label (evaluation's ground truth); StoreError when there is no collection."""
        self.store.spec()
        by_label: dict[str, set[int]] = {}
        for video_id, listing in self.store.catalogue().items():
            by_label.setdefault(listing.label, set()).add(video_id)
        return by_label

    def count(self) -> int:
        """How many videos the collection holds (0 when there is none yet)."""
        return self.store.count() if self.store.exists() else 0

    def info(self) -> dict:
        spec = self.store.spec()
        projection = spec.meta.get("projection", {})
        return {
            "count": self.store.count(),
            "dim": spec.dim,
            "model": spec.meta.get("model", ""),
            "index": {
                "type": spec.index.index_type, "metric": spec.index.metric,
                "nlist": spec.index.nlist, "nprobe": spec.index.nprobe,
            },
            "db": self.store.location,
            "backend": self.store.kind,
            "collection": self.settings.collection,
            "num_frames": spec.meta.get("num_frames"),
            "reduction": {"method": projection.get("method", "none"), "centred": projection.get("mean") is not None},
        }

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
