"""Ingest: plan (skip what is indexed unchanged) → decode in worker processes → embed in batches here →
insert in bulk. Memory stays flat: the decode pool holds a bounded number of files, batches are small."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from ..model import Embedding
from ..sources import SourceItem, fingerprint
from ..store import StoreError, VideoEntry
from ..video import VideoDecodeError, decode_clip
from ..video.pool import Decoded, DecodePool
from .report import Failure, IndexReport, failure_of

if TYPE_CHECKING:
    from ..engine import VideoSearch


@dataclass
class Embedded:
    item: SourceItem
    embedding: Embedding
    fingerprint: str


def plan(engine: "VideoSearch", items: list[SourceItem], report: IndexReport) -> list[tuple[SourceItem, str]]:
    """Drops what is already indexed unchanged (same id, same fingerprint); reports unreadable files.

    A file whose fingerprint changed is planned again and its row replaced (upsert).
    """
    store = engine.store
    known = {i: row.fingerprint for i, row in store.catalogue().items()} if store.exists() else {}
    todo, seen = [], set()
    for item in items:
        if item.id in seen:
            report.fail(Failure(str(item.path), "open", "DuplicateId", f"id {item.id} appears more than once in the source"))
            continue
        seen.add(item.id)
        if item.problem:
            report.fail(failure_of(item.path, "open", VideoDecodeError(item.path, "missing", item.problem)))
            continue
        if item.path.exists() and not item.path.is_file():  # a directory, a FIFO, a device: never opened
            kind = "is a directory" if item.path.is_dir() else "not a regular file"
            report.fail(failure_of(item.path, "open", VideoDecodeError(item.path, "not_video", kind)))
            continue
        try:
            fp = fingerprint(item.path)
        except OSError as e:
            reason = "missing" if not item.path.exists() else "unreadable"
            report.fail(failure_of(item.path, "open", VideoDecodeError(item.path, reason, e.strerror or str(e))))
            continue
        if known.get(item.id) == fp:
            report.skipped += 1
        else:
            todo.append((item, fp))
    return todo


def decoded_stream(engine: "VideoSearch", todo: list[tuple[SourceItem, str]]) -> Iterator[Decoded]:
    options, config = engine.decode_options(), engine.settings.ingest
    if config.workers == 0:  # in this process, one by one: notebooks, debugging
        for item, _ in todo:
            try:
                yield Decoded(item.id, item.path, decode_clip(item.path, options).frames)
            except VideoDecodeError as e:
                yield Decoded(item.id, item.path, error=e)
        return
    pool = DecodePool(options.with_threads(1), config.workers, config.decode_timeout, config.prefetch)
    yield from pool.run((item.id, item.path) for item, _ in todo)


def embed_stream(engine: "VideoSearch", todo: list[tuple[SourceItem, str]], report: IndexReport,
                 progress: Callable[[int], None] | None = None) -> Iterator[list[Embedded]]:
    """Yields batches of Embedded as decoded clips arrive; failures go to the report."""
    by_id = {item.id: (item, fp) for item, fp in todo}
    batch: list[tuple[SourceItem, str, np.ndarray]] = []
    for decoded in decoded_stream(engine, todo):
        item, fp = by_id[decoded.key]
        if decoded.error is not None:
            if progress:
                progress(1)
            report.fail(failure_of(item.path, "decode", decoded.error))
            continue
        batch.append((item, fp, decoded.frames))
        if len(batch) >= engine.settings.ingest.batch_size:
            yield _embed_batch(engine, batch, report, progress)
            batch = []
    if batch:
        yield _embed_batch(engine, batch, report, progress)


def _embed_batch(engine: "VideoSearch", batch, report: IndexReport, progress) -> list[Embedded]:
    embedder = engine.embedder
    try:
        embeddings = embedder.embed_batch([frames for _, _, frames in batch])
    except Exception:  # noqa: BLE001 - one bad clip must not sink its batch: retry clip by clip
        embeddings = []
        for item, _, frames in batch:
            try:
                embeddings.append(embedder.embed(frames))
            except Exception as single:  # noqa: BLE001 - reported, the run goes on
                embeddings.append(None)
                report.fail(failure_of(item.path, "embed", single))
    if progress:
        progress(len(batch))
    return [Embedded(item, emb, fp) for (item, fp, _), emb in zip(batch, embeddings) if emb is not None]


def store_batch(engine: "VideoSearch", embedded: list[Embedded], report: IndexReport) -> None:
    if not embedded:
        return
    vectors = engine.projection().apply(np.stack([e.embedding.vector for e in embedded]))
    entries = [
        VideoEntry(e.item.id, str(e.item.path.resolve()), e.item.label, v,
                   [{"label": t.label, "score": round(t.score, 6)} for t in e.embedding.tags], e.fingerprint)
        for e, v in zip(embedded, vectors)
    ]
    try:
        engine.store.upsert(entries)
    except StoreError:
        raise  # the database itself is unusable: no point going on
    except Exception as e:  # noqa: BLE001 - a rejected batch is reported, the run goes on
        for entry in entries:
            report.fail(failure_of(entry.path, "store", e))
        return
    report.indexed += len(entries)


def add_embedded(engine: "VideoSearch", batches: Iterable[list[Embedded]], report: IndexReport) -> None:
    """Stores embedded videos in bulk, creating the collection (and fitting its projection) if needed.

    A projection fitted on the library (centring, PCA) is fitted on the first `fit_size` videos; only those
    wait, then everything streams: a killed first index loses at most one insert batch.
    """
    store, insert_batch = engine.store, engine.settings.ingest.insert_batch
    if not store.exists():
        batches = iter(batches)
        fit_size, pending = engine.settings.reduce.fit_size(), []
        for batch in batches:
            pending.extend(batch)
            if len(pending) >= fit_size:
                break
        if not pending and fit_size:
            return
        store.create(engine.new_spec(np.stack([e.embedding.vector for e in pending]) if fit_size else None))
        batches = itertools.chain([pending], batches)
    buffer: list[Embedded] = []
    for batch in batches:
        buffer.extend(batch)
        if len(buffer) >= insert_batch:
            store_batch(engine, buffer, report)
            buffer = []
    store_batch(engine, buffer, report)
    store.flush()


def spread_first(todo: list, n: int) -> list:
    """Puts n items taken evenly across `todo` first: what a projection is fitted on covers the library
    (a folder lists its videos label by label)."""
    if len(todo) <= n:
        return todo
    first = set(np.linspace(0, len(todo) - 1, n).round().astype(int).tolist())
    return [todo[i] for i in sorted(first)] + [t for i, t in enumerate(todo) if i not in first]


def prune(engine: "VideoSearch", report: IndexReport) -> None:
    """Removes entries whose files no longer exist."""
    if not engine.store.exists():
        return
    gone = [i for i, row in engine.store.catalogue().items() if not os.path.exists(row.path)]
    report.removed = engine.store.delete(gone) if gone else 0


def run_ingest(engine: "VideoSearch", items: list[SourceItem], progress: Callable[[int], None] | None = None,
               on_plan: Callable[[int], None] | None = None, strict: bool = False,
               prune_missing: bool = False) -> IndexReport:
    start = time.perf_counter()
    report = IndexReport(total=len(items), strict=strict)
    todo = plan(engine, items, report)
    if not engine.store.exists():
        reduce = engine.settings.reduce
        needed = max(reduce.dim or 0, 2) if reduce.method == "pca" else 2 if reduce.centre else 0
        if len(todo) < needed:
            raise ValueError(f"{'PCA' if reduce.method == 'pca' else 'centring'} is fitted on the first index: it "
                             f"needs at least {needed} videos (this one has {len(todo)})")
        todo = spread_first(todo, reduce.fit_size())
    if on_plan:
        on_plan(len(todo))
    add_embedded(engine, embed_stream(engine, todo, report, progress), report)
    if prune_missing:
        prune(engine, report)
        engine.store.flush()
    report.seconds = time.perf_counter() - start
    return report
