"""VideoSearch: the one object the CLI, the web server and notebooks talk to."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .config import Settings
from .model import Embedder, Embedding
from .reduce import Projection, ProjectionMismatchError, fit_projection
from .sources import SourceItem, fingerprint, read_source
from .store import CollectionSpec, Hit, StoreError, VectorStore, VideoEntry, open_store
from .video import DecodeOptions, VideoDecodeError, decode_clip


@dataclass
class Failure:
    path: str
    stage: str  # open | decode | embed | store
    error: str
    message: str

    def to_json(self) -> dict:
        return {"path": self.path, "stage": self.stage, "error": self.error, "message": self.message}


@dataclass
class IndexReport:
    indexed: int = 0
    skipped: int = 0  # already in the collection, unchanged
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.indexed / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {
            "total": self.total, "indexed": self.indexed, "skipped": self.skipped,
            "failed": [f.to_json() for f in self.failed], "seconds": round(self.seconds, 3),
            "clips_per_second": round(self.rate, 3),
        }


@dataclass
class SearchResult:
    query: str
    results: list[Hit]
    tags: list[dict]
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"query": self.query, "results": [h.to_json() for h in self.results], "tags": self.tags}


@dataclass
class Embedded:
    item: SourceItem
    embedding: Embedding
    fingerprint: str


def failure_of(path: Path | str, stage: str, error: BaseException) -> Failure:
    return Failure(str(path), stage, type(error).__name__, str(error))


class VideoSearch:
    """Index videos and find the most similar ones. `VideoSearch(db=...).index(source)`, `.search(path)`."""

    def __init__(self, db: str | None = None, collection: str | None = None, settings: Settings | None = None,
                 embedder: Embedder | None = None, store: VectorStore | None = None):
        settings = settings or Settings()
        overrides = {k: v for k, v in (("db", db), ("collection", collection)) if v is not None}
        self.settings = replace(settings, **overrides)
        self._embedder = embedder
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
        return Projection.from_json(self.store.spec().meta["projection"])

    def embed(self, path: str | Path) -> Embedding:
        clip = decode_clip(path, self.decode_options())
        return self.embedder.embed(clip.frames)

    def _new_spec(self, features: np.ndarray) -> CollectionSpec:
        r = self.settings.reduce
        projection = fit_projection(features, self.embedder.dim, r.dim, r.method, r.centre, r.seed)
        meta = {
            "model": self.embedder.name,
            "num_frames": self.settings.decode.num_frames,
            "precision": self.embedder.precision,
            "projection": projection.to_json(),
        }
        return CollectionSpec(dim=projection.output_dim, index=self.settings.index, meta=meta)

    # -- indexing ----------------------------------------------------------------------------------------
    def plan(self, items: list[SourceItem], report: IndexReport) -> list[tuple[SourceItem, str]]:
        """Drops what is already indexed unchanged (same id, same fingerprint); reports unreadable files."""
        known = {i: row.fingerprint for i, row in self.store.catalogue().items()} if self.store.exists() else {}
        todo, seen = [], set()
        for item in items:
            if item.id in seen:
                report.failed.append(Failure(str(item.path), "open", "DuplicateId", f"id {item.id} appears twice in the source"))
                continue
            seen.add(item.id)
            try:
                fp = fingerprint(item.path)
            except OSError as e:
                reason = VideoDecodeError(item.path, "missing" if not item.path.exists() else "not_video", str(e))
                report.failed.append(failure_of(item.path, "open", reason))
                continue
            if known.get(item.id) == fp:
                report.skipped += 1
            else:
                todo.append((item, fp))
        return todo

    def embed_items(self, todo: list[tuple[SourceItem, str]], report: IndexReport,
                    progress: Callable[[int], None] | None = None):
        """Yields batches of Embedded, decoding one file at a time (issue #4 makes this parallel)."""
        options, batch = self.decode_options(), []
        for item, fp in todo:
            try:
                clip = decode_clip(item.path, options)
            except VideoDecodeError as e:
                report.failed.append(failure_of(item.path, "decode", e))
                if progress:
                    progress(1)
                continue
            batch.append((item, fp, clip.frames))
            if len(batch) >= self.settings.batch_size:
                yield self._embed_batch(batch, report, progress)
                batch = []
        if batch:
            yield self._embed_batch(batch, report, progress)

    def _embed_batch(self, batch, report: IndexReport, progress) -> list[Embedded]:
        try:
            embeddings = self.embedder.embed_batch([frames for _, _, frames in batch])
        except Exception:  # noqa: BLE001 - one bad clip must not sink its batch: retry clip by clip
            embeddings = []
            for item, _, frames in batch:
                try:
                    embeddings.append(self.embedder.embed(frames))
                except Exception as single:  # noqa: BLE001 - reported, the run goes on
                    report.failed.append(failure_of(item.path, "embed", single))
                    embeddings.append(None)
        if progress:
            progress(len(batch))
        return [Embedded(item, emb, fp) for (item, fp, _), emb in zip(batch, embeddings) if emb is not None]

    def _store(self, embedded: list[Embedded], report: IndexReport) -> None:
        if not embedded:
            return
        projection = self.projection()
        vectors = projection.apply(np.stack([e.embedding.vector for e in embedded]))
        entries = [
            VideoEntry(e.item.id, str(e.item.path.resolve()), e.item.label, v,
                       [{"label": t.label, "score": round(t.score, 6)} for t in e.embedding.tags], e.fingerprint)
            for e, v in zip(embedded, vectors)
        ]
        try:
            self.store.upsert(entries)
            report.indexed += len(entries)
        except StoreError:
            raise
        except Exception as e:  # noqa: BLE001 - a rejected batch is reported, the run goes on
            report.failed.extend(failure_of(x.path, "store", e) for x in entries)

    def index(self, source: str | Path | list[SourceItem], progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None) -> IndexReport:
        """Adds (or updates) every video of `source`; bad videos are reported in the result, not raised."""
        start = time.perf_counter()
        items = read_source(source) if not isinstance(source, list) else source
        report = IndexReport(total=len(items))
        todo = self.plan(items, report)
        if on_plan:
            on_plan(len(todo))
        self.add_embedded(self.embed_items(todo, report, progress), report)
        report.seconds = time.perf_counter() - start
        return report

    def add_embedded(self, batches: Iterable[list[Embedded]], report: IndexReport) -> None:
        """Stores embedded videos; a new collection first fits its projection on all of them."""
        if not self.store.exists():
            pending = [e for batch in batches for e in batch]
            if not pending:
                return
            self.store.create(self._new_spec(np.stack([e.embedding.vector for e in pending])))
            batches = [pending]
        for batch in batches:
            self._store(batch, report)
        self.store.flush()

    # -- querying ----------------------------------------------------------------------------------------
    def search(self, path: str | Path, k: int = 10) -> SearchResult:
        start = time.perf_counter()
        self.projection()  # fails fast, before decoding, when there is no collection
        result = self.search_embedding(self.embed(path), k, query=str(path))
        result.seconds = time.perf_counter() - start
        return result

    def search_embedding(self, embedding: Embedding, k: int = 10, query: str = "") -> SearchResult:
        """Search with an already computed embedding (evaluation reuses one embedding across collections)."""
        try:
            vector = self.projection().apply(embedding.vector)
        except ProjectionMismatchError as e:
            raise StoreError(f"{e}; re-index the collection with this model") from e
        hits = self.store.search(vector[None], k)[0]
        tags = [{"label": t.label, "score": round(t.score, 6)} for t in embedding.tags]
        return SearchResult(query, hits, tags)

    def remove(self, ids: list[int]) -> int:
        removed = self.store.delete(ids)
        self.store.flush()
        return removed

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
