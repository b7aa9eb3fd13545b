"""Ingest: plan (skip what is indexed unchanged) → decode in worker processes → embed in batches here →
insert in bulk. Memory stays flat: the decode pool holds a bounded number of files, batches are small.

It receives its collaborators (collection, embedder, decode options, ingest settings, failure policy,
progress events) and knows nothing of the engine that assembles them.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from ..collection import Collection, Embedded, ModelInfo
from ..config import IngestConfig
from ..model import Embedding
from ..sources import SourceItem, fingerprint
from ..store import StoreError
from ..video import DecodeOptions, VideoDecodeError, decode_clip
from ..video.pool import Decoded, DecodePool
from .report import Failure, FailurePolicy, IndexReport, failure_of

Fail = Callable[[Failure], None]


class ClipEmbedder(ModelInfo, Protocol):
    """What ingest needs of a model: clips in, embeddings out (the I3D Embedder, or a fake in tests)."""

    def embed(self, frames: np.ndarray) -> Embedding: ...

    def embed_batch(self, clips: list[np.ndarray]) -> list[Embedding]: ...


@dataclass
class IngestEvents:
    """Progress callbacks: how many videos will be decoded, then each video done (indexed or failed)."""

    on_plan: Callable[[int], None] = lambda total: None
    on_progress: Callable[[int], None] = lambda done: None


def plan(collection: Collection, items: list[SourceItem], report: IndexReport, fail: Fail) -> list[tuple[SourceItem, str]]:
    """Drops what is already indexed unchanged (same id, same fingerprint); reports unusable rows and files.

    A file whose fingerprint changed is planned again and its row replaced (upsert).
    """
    known = {i: row.fingerprint for i, row in collection.catalogue().items()}
    todo, seen = [], set()
    for item in items:
        if item.id in seen:
            fail(Failure(str(item.path), "open", "DuplicateId", f"id {item.id} appears more than once in the source"))
            continue
        seen.add(item.id)
        if item.problem:
            fail(failure_of(item.path, "open", VideoDecodeError(item.path, "missing", item.problem)))
            continue
        if item.path.exists() and not item.path.is_file():  # a directory, a FIFO, a device: never opened
            kind = "is a directory" if item.path.is_dir() else "not a regular file"
            fail(failure_of(item.path, "open", VideoDecodeError(item.path, "not_video", kind)))
            continue
        try:
            fp = fingerprint(item.path)
        except OSError as e:
            reason = "missing" if not item.path.exists() else "unreadable"
            fail(failure_of(item.path, "open", VideoDecodeError(item.path, reason, e.strerror or str(e))))
            continue
        if known.get(item.id) == fp:
            report.skipped += 1
        else:
            todo.append((item, fp))
    return todo


def spread_first(todo: list, n: int) -> list:
    """Puts n items taken evenly across `todo` first: what a projection is fitted on covers the library
    (a folder lists its videos label by label)."""
    if len(todo) <= n:
        return todo
    first = set(np.linspace(0, len(todo) - 1, n).round().astype(int).tolist())
    return [todo[i] for i in sorted(first)] + [t for i, t in enumerate(todo) if i not in first]


def decoded_stream(todo: list[tuple[SourceItem, str]], options: DecodeOptions, config: IngestConfig) -> Iterator[Decoded]:
    if config.workers == 0:  # in this process, one by one: notebooks, debugging
        for item, _ in todo:
            try:
                yield Decoded(item.id, item.path, decode_clip(item.path, options).frames)
            except VideoDecodeError as e:
                yield Decoded(item.id, item.path, error=e)
        return
    pool = DecodePool(options.with_threads(1), config.workers, config.decode_timeout, config.prefetch)
    yield from pool.run((item.id, item.path) for item, _ in todo)


def embed_stream(embedder: ClipEmbedder, todo: list[tuple[SourceItem, str]], decoded: Iterable[Decoded],
                 batch_size: int, fail: Fail, progress: Callable[[int], None]) -> Iterator[list[Embedded]]:
    """Yields batches of Embedded as decoded clips arrive; failures go to `fail`."""
    by_id = {item.id: (item, fp) for item, fp in todo}
    batch: list[tuple[SourceItem, str, np.ndarray]] = []
    for clip in decoded:
        item, fp = by_id[clip.key]
        if clip.error is not None:
            progress(1)
            fail(failure_of(item.path, "decode", clip.error))
            continue
        batch.append((item, fp, clip.frames))
        if len(batch) >= batch_size:
            yield embed_batch(embedder, batch, fail, progress)
            batch = []
    if batch:
        yield embed_batch(embedder, batch, fail, progress)


def embed_batch(embedder: ClipEmbedder, batch, fail: Fail, progress: Callable[[int], None]) -> list[Embedded]:
    try:
        embeddings = embedder.embed_batch([frames for _, _, frames in batch])
    except Exception:  # noqa: BLE001 - one bad clip must not sink its batch: retry clip by clip
        embeddings = []
        for item, _, frames in batch:
            try:
                embeddings.append(embedder.embed(frames))
            except Exception as single:  # noqa: BLE001 - reported, the run goes on
                embeddings.append(None)
                fail(failure_of(item.path, "embed", single))
    progress(len(batch))
    return [Embedded(item, emb, fp) for (item, fp, _), emb in zip(batch, embeddings) if emb is not None]


def store_batch(collection: Collection, rows: list[Embedded], report: IndexReport, fail: Fail) -> None:
    if not rows:
        return
    try:
        collection.add(rows)
    except StoreError:
        raise  # the database itself is unusable: no point going on
    except Exception as e:  # noqa: BLE001 - a rejected batch is reported, the run goes on
        for row in rows:
            fail(failure_of(row.item.path.resolve(), "store", e))
        return
    report.indexed += len(rows)


def add_embedded(collection: Collection, model: ModelInfo, batches: Iterable[list[Embedded]], report: IndexReport,
                 insert_batch: int, fail: Fail) -> None:
    """Stores embedded videos in bulk, creating the collection (and fitting its projection) if needed.

    A projection fitted on the library (centring, PCA) is fitted on the first `fit_size` videos; only those
    wait, then everything streams: a killed first index loses at most what had not been stored yet.
    """
    if not collection.exists():
        batches, fit_size, pending = iter(batches), collection.fit_size(), []
        for batch in batches:
            pending.extend(batch)
            if len(pending) >= fit_size:
                break
        if not pending and fit_size:
            return
        collection.create(model, np.stack([e.embedding.vector for e in pending]) if fit_size else None)
        batches = itertools.chain([pending], batches)
    buffer: list[Embedded] = []
    for batch in batches:
        buffer.extend(batch)
        if len(buffer) >= insert_batch:
            store_batch(collection, buffer, report, fail)
            buffer = []
    store_batch(collection, buffer, report, fail)
    collection.flush()


def prune(collection: Collection, report: IndexReport) -> None:
    """Removes entries whose files no longer exist."""
    gone = [i for i, row in collection.catalogue().items() if not os.path.exists(row.path)]
    report.removed = collection.remove(gone) if gone else 0


def run_ingest(items: list[SourceItem], collection: Collection, embedder: ClipEmbedder, options: DecodeOptions,
               config: IngestConfig, policy: FailurePolicy = FailurePolicy(), events: IngestEvents | None = None,
               prune_missing: bool = False) -> IndexReport:
    events = events or IngestEvents()
    start = time.perf_counter()
    report = IndexReport(total=len(items))

    def fail(failure: Failure) -> None:
        report.failed.append(failure)
        policy.handle(failure)

    todo = plan(collection, items, report, fail)
    if not collection.exists():
        needed = collection.min_first_index()
        if len(todo) < needed:
            method = "PCA" if collection.reduce.method == "pca" else "centring"
            raise ValueError(f"{method} is fitted on the first index: it needs at least {needed} videos "
                             f"(this one has {len(todo)})")
        todo = spread_first(todo, collection.fit_size())
    events.on_plan(len(todo))
    decoded = decoded_stream(todo, options, config)
    batches = embed_stream(embedder, todo, decoded, config.batch_size, fail, events.on_progress)
    add_embedded(collection, embedder, batches, report, config.insert_batch, fail)
    if prune_missing:
        prune(collection, report)
    report.seconds = time.perf_counter() - start
    return report
