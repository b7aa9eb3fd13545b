"""Ingest: plan (skip what is indexed unchanged) → decode into windows in worker processes → embed windows
in batches here → store each video once all its windows are embedded, in bulk. Memory stays flat: the decode
pool holds a bounded number of files and windows, batches are small; a video's embeddings (4 KiB a window)
are the only thing that grows with its length.

It receives its collaborators (collection, embedder, decode options, ingest settings, failure policy,
progress events) and knows nothing of the engine that assembles them.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from ..collection import Collection, Embedded, ModelInfo
from ..config import IngestConfig
from ..model import Embedding, TimedEmbedding
from ..sources import SourceItem, fingerprint
from ..store import IndexSaveError, StoreError
from ..video import DecodeOptions, VideoDecodeError, Window
from ..video.pool import Decoded, DecodePool, decode_parts
from .report import Failure, FailurePolicy, IndexReport, failure_of

Fail = Callable[[Failure], None]
SEGMENTS_PER_INSERT = 4096  # a store write holds at most about this many segments (long videos)


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
            fail(failure_of(item.path, "open", VideoDecodeError(item.path, item.problem_reason, item.problem)))
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
            yield from decode_parts(item.id, item.path, options)
        return
    pool = DecodePool(options.with_threads(1), config.workers, config.decode_timeout, config.prefetch)
    yield from pool.run((item.id, item.path) for item, _ in todo)


def window_stream(embedder: ClipEmbedder, options: DecodeOptions | None):
    """The embedder's stream for one video's windows (each frame through the network once, `model/stream.py`),
    or None where windows are embedded one by one: a collection made that way, windows off the network's time
    grid, or a model that embeds clips only (a test's fake, the mirrored bench model)."""
    streams = getattr(embedder, "streams", None)
    if options is None or streams is None or not streams(options.num_frames, options.stride_frames):
        return None
    return embedder.window_stream(options.num_frames)


def grid_index(window: Window, options: DecodeOptions) -> int:
    """A window's first frame on the sampling grid (its start is that index over the window fps)."""
    return round(window.start * options.window_fps)


def embed_windows(embedder: ClipEmbedder, windows: list[Window], batch_size: int,
                  options: DecodeOptions | None = None) -> list[TimedEmbedding]:
    """A query's (or any list of) windows embedded: from one pass over their frames where the embedder streams
    windows cut with `options`, else in batches."""
    if (stream := window_stream(embedder, options)) is not None:
        done = {}
        for w in windows:
            done.update(stream.push(grid_index(w, options), w.frames))
        done.update(stream.finish())
        return [TimedEmbedding(w.start, w.end, done[grid_index(w, options)]) for w in windows]
    out = []
    for i in range(0, len(windows), batch_size):
        batch = windows[i : i + batch_size]
        out += [TimedEmbedding(w.start, w.end, e) for w, e in zip(batch, embedder.embed_batch([w.frames for w in batch]))]
    return out


@dataclass
class _Video:
    """A video whose windows are being embedded."""

    item: SourceItem
    fingerprint: str
    windows: list[TimedEmbedding]
    duration: float = 0.0
    decoded: bool = False  # its last window has arrived
    failed: bool = False
    stream: object = None  # the embedder's stream when its windows are embedded from one pass (`window_stream`)
    waiting: dict = field(default_factory=dict)  # grid index -> (start, end) of windows pushed, not yet embedded


def embed_stream(embedder: ClipEmbedder, todo: list[tuple[SourceItem, str]], decoded: Iterable[Decoded],
                 batch_size: int, fail: Fail, progress: Callable[[int], None],
                 options: DecodeOptions | None = None) -> Iterator[list[Embedded]]:
    """Yields videos whose every window is embedded, as their windows arrive (batches mix videos; a streaming
    embedder takes each video's windows through its own stream instead); failures go to `fail`, and a video
    that fails at any window is dropped whole."""
    by_id = {item.id: (item, fp) for item, fp in todo}
    videos: dict[object, _Video] = {}
    batch: list[tuple[_Video, Window]] = []
    for part in decoded:
        if part.key not in videos:
            videos[part.key] = _Video(*by_id[part.key], windows=[], stream=window_stream(embedder, options))
        video = videos[part.key]
        if part.error is not None:
            video.failed = True
            fail(failure_of(video.item.path, "decode", part.error))
        if video.stream is not None:
            stream_windows(video, part.windows, part.final, options, fail)
        else:
            batch += [(video, w) for w in part.windows]
        if part.final:
            video.decoded = True
            video.duration = part.info.duration if part.info else 0.0
        if len(batch) >= batch_size or part.final:  # a finished video is stored without waiting for others
            embed_batch(embedder, batch, fail)
            batch = []
        done = [v for v in videos.values() if v.decoded]
        for v in done:
            del videos[v.item.id]
        progress(len(done))
        complete = [Embedded(v.item, v.windows, v.fingerprint, v.duration) for v in done if not v.failed]
        if complete:
            yield complete


def stream_windows(video: _Video, windows: list[Window], final: bool, options: DecodeOptions, fail: Fail) -> None:
    """Pushes a part's windows through the video's stream, appending the windows it has embedded; any error
    fails the video (its stream is dropped)."""
    if video.failed:
        return
    try:
        done = []
        for window in windows:
            index = grid_index(window, options)
            video.waiting[index] = (window.start, window.end)  # not the frames: the stream keeps what it needs
            done += video.stream.push(index, window.frames)
        if final:
            done += video.stream.finish()
    except Exception as error:  # noqa: BLE001 - reported, the run goes on
        video.failed, video.stream, video.waiting = True, None, {}
        fail(failure_of(video.item.path, "embed", error))
        return
    for index, embedding in done:
        video.windows.append(TimedEmbedding(*video.waiting.pop(index), embedding))


def embed_batch(embedder: ClipEmbedder, batch: list[tuple[_Video, Window]], fail: Fail) -> None:
    """Embeds windows of several videos in one pass, appending each to its video; one bad window must not
    sink its batch: it is retried window by window, and fails its own video only."""
    batch = [(video, window) for video, window in batch if not video.failed]
    if not batch:
        return
    try:
        embeddings: list[Embedding | None] = embedder.embed_batch([w.frames for _, w in batch])
    except Exception:  # noqa: BLE001 - retried one by one below
        embeddings = []
        for video, window in batch:
            try:
                embeddings.append(None if video.failed else embedder.embed(window.frames))
            except Exception as single:  # noqa: BLE001 - reported, the run goes on
                embeddings.append(None)
                video.failed = True
                fail(failure_of(video.item.path, "embed", single))
    for (video, window), embedding in zip(batch, embeddings):
        if embedding is not None:
            video.windows.append(TimedEmbedding(window.start, window.end, embedding))


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

    A projection fitted on the library (centring, PCA) is fitted on the segments of the first `fit_size`
    videos; only those wait, then everything streams: a killed first index loses at most what had not been
    stored yet. A write holds at most `insert_batch` videos or about SEGMENTS_PER_INSERT segments.
    """
    if not collection.exists():
        batches, fit_size, pending = iter(batches), collection.fit_size(), []
        for batch in batches:
            pending.extend(batch)
            if len(pending) >= fit_size:
                break
        if not pending and fit_size:
            return
        collection.create(model, pending if fit_size else None)
        batches = itertools.chain([pending], batches)
    buffer: list[Embedded] = []
    for batch in batches:
        buffer.extend(batch)
        if len(buffer) >= insert_batch or sum(len(e.windows) for e in buffer) >= SEGMENTS_PER_INSERT:
            store_batch(collection, buffer, report, fail)
            buffer = []
    store_batch(collection, buffer, report, fail)
    try:
        collection.flush()
    except IndexSaveError as e:  # the videos are committed: a partial run, said as such
        report.problems.append(str(e))


def prune(collection: Collection, report: IndexReport) -> None:
    """Removes entries whose files no longer exist."""
    gone = [i for i, row in collection.catalogue().items() if not os.path.exists(row.path)]
    report.removed = collection.remove(gone) if gone else 0


EmbeddedStream = Callable[[list[tuple[SourceItem, str]], Fail, Callable[[int], None]], Iterator[list[Embedded]]]


def run_ingest(items: list[SourceItem], collection: Collection, embedder: ClipEmbedder | ModelInfo,
               options: DecodeOptions, config: IngestConfig, policy: FailurePolicy = FailurePolicy(),
               events: IngestEvents | None = None, prune_missing: bool = False,
               stream: EmbeddedStream | None = None) -> IndexReport:
    """Plans, embeds and stores `items`. `stream` embeds elsewhere (a Ray cluster: ingest/distributed.py):
    given the planned videos, a failure sink and a progress callback, it yields embedded videos; `embedder`
    is then only what the collection records of the model."""
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
    if stream is not None:
        batches = stream(todo, fail, events.on_progress)
    else:
        batches = embed_stream(embedder, todo, decoded_stream(todo, options, config), config.batch_size, fail,
                               events.on_progress, options)
    add_embedded(collection, embedder, batches, report, config.insert_batch, fail)
    if prune_missing:
        prune(collection, report)
    report.seconds = time.perf_counter() - start
    return report
