"""Moving a collection between any two stores (embedded, Milvus Lite, a Milvus server, the .npz reference):
spec, videos, segments and class scores are copied as stored, never re-embedded."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from .store import IndexConfig, IndexConfigError, StoreError, VectorStore

BATCH_VIDEOS = 100


@dataclass
class MigrationReport:
    videos: int
    segments: int
    seconds: float
    index_note: str = ""  # set when the target cannot build the source's index type

    def to_json(self) -> dict:
        return {"videos": self.videos, "segments": self.segments, "seconds": round(self.seconds, 3),
                "index_note": self.index_note}


def migrate(source: VectorStore, target: VectorStore, progress: Callable[[int], None] = lambda n: None) -> MigrationReport:
    """Copies `source`'s collection into `target` (which must not exist yet), video by video (each whole)."""
    import time

    start = time.perf_counter()
    spec = source.spec()
    if target.exists():
        raise StoreError(f"{target.location} already has a collection {target.collection!r}: choose another "
                         f"(--to-collection NEW) or remove it first")
    note = ""
    try:
        target.check_index(spec.index)
    except IndexConfigError:
        fallback = IndexConfig(nlist=spec.index.nlist, nprobe=spec.index.nprobe)
        note = (f"{target.kind} cannot build {spec.index.index_type}: the copy uses {fallback.index_type} "
                f"(nlist {fallback.nlist}, nprobe {fallback.nprobe})")
        spec = replace(spec, index=fallback)
    target.create(spec)
    ids = sorted(source.catalogue())
    segments = 0
    for i in range(0, len(ids), BATCH_VIDEOS):
        chunk = ids[i : i + BATCH_VIDEOS]
        stored = source.segments_of(chunk)
        entries = [replace(e, segments=stored.get(e.id, [])) for e in source.get(chunk, vectors=True)]
        target.upsert(entries)
        segments += sum(len(e.segments) for e in entries)
        progress(len(entries))
    target.flush()
    return MigrationReport(len(ids), segments, time.perf_counter() - start, note)
