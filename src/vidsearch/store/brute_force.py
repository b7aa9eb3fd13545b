"""Exact search with numpy: the reference the Milvus backends are tested against.

Kept in memory; `db` ending in `.npz` also saves it there on flush and loads it on open, which makes it a
dependency-free store for small libraries and notebooks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..tags import Action, Tag
from .base import (
    ActionHit, CollectionSpec, EmptyLibraryError, Listing, Segment, SegmentHit, StoreError, VectorStore, VideoEntry, VideoFilter,
)


def nearest(matrix: np.ndarray, norms: np.ndarray, queries: np.ndarray, k: int,
            allowed: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row indices, squared L2 distances) of the k nearest rows to each query, ties broken by row order;
    `allowed` (a boolean mask over the rows) limits the search to those rows."""
    queries = np.asarray(queries, dtype=np.float64)
    rows = np.arange(len(matrix)) if allowed is None else np.flatnonzero(allowed)
    if not len(rows):
        return [(np.zeros(0, int), np.zeros(0)) for _ in queries]
    # |q - m|^2 = |q|^2 + |m|^2 - 2 q.m, in float64 so near-ties order the same as an exact search
    distances = np.maximum((queries ** 2).sum(1)[:, None] + norms[rows][None] - 2.0 * (queries @ matrix[rows].T), 0.0)
    found = []
    for row in distances:
        top = np.argpartition(row, min(k, len(row) - 1))[:k] if len(row) > k else np.arange(len(row))
        order = top[np.lexsort((top, row[top]))]
        found.append((rows[order], row[order]))
    return found


class _Matrix:
    """Rows stacked for search, rebuilt after writes only (stacking 20k rows per query would dominate)."""

    def __init__(self, vectors: list[np.ndarray], dim: int):
        self.matrix = np.stack(vectors).astype(np.float64) if vectors else np.zeros((0, dim))
        self.norms = (self.matrix ** 2).sum(1)


class BruteForceStore(VectorStore):
    kind = "brute-force"

    def __init__(self, db: str = "memory://", collection: str = "videos"):
        self.location, self.collection = db, collection
        self.file = None if db.startswith("memory://") else Path(db)
        self._spec: CollectionSpec | None = None
        self.rows: dict[int, VideoEntry] = {}  # id -> video row (segments kept apart, below)
        self.segments: dict[int, list] = {}  # video id -> its Segments (also for videos without a row yet)
        self._segments: tuple[list[tuple[int, object]], _Matrix] | None = None
        if self.file and self.file.exists():
            self._load()

    def _load(self) -> None:
        with np.load(self.file, allow_pickle=False) as data:
            if f"{self.collection}.spec" not in data:
                return
            self._spec = CollectionSpec.from_json(json.loads(str(data[f"{self.collection}.spec"])))
            records = json.loads(str(data[f"{self.collection}.rows"]))
            vectors = data[f"{self.collection}.vectors"]
            spans = json.loads(str(data[f"{self.collection}.segment_rows"]))
            segment_vectors = data[f"{self.collection}.segment_vectors"]
        self.rows = {r["id"]: VideoEntry(vector=v, **{**r, "tags": [Tag.from_json(t) for t in r["tags"]],
                                                       "actions": [Action(*a) for a in r.get("actions", [])]})
                     for r, v in zip(records, vectors)}
        self.segments = {}
        for (video_id, start, end), v in zip(spans, segment_vectors):
            self.segments.setdefault(video_id, []).append(Segment(start, end, v))
        self._changed()

    def _changed(self) -> None:
        self._segments = None

    def flush(self) -> None:
        if self.file is None or self._spec is None:
            return
        rows = list(self.rows.values())
        records = [{"id": e.id, "path": e.path, "label": e.label, "tags": [t.to_json() for t in e.tags],
                    "fingerprint": e.fingerprint, "duration": e.duration,
                    "actions": [[a.label, a.score, a.start, a.end] for a in e.actions]} for e in rows]
        spans = [(i, s.start, s.end) for i, segments in self.segments.items() for s in segments]
        dim = self._spec.dim
        stack = lambda vs: np.stack(vs).astype(np.float32) if vs else np.zeros((0, dim), np.float32)  # noqa: E731
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp.npz")
        np.savez(tmp, **{
            f"{self.collection}.spec": json.dumps(self._spec.to_json()),
            f"{self.collection}.rows": json.dumps(records),
            f"{self.collection}.vectors": stack([e.vector for e in rows]),
            f"{self.collection}.segment_rows": json.dumps(spans),
            f"{self.collection}.segment_vectors": stack([s.vector for ss in self.segments.values() for s in ss]),
        })
        tmp.replace(self.file)

    def exists(self) -> bool:
        return self._spec is not None

    def create(self, spec: CollectionSpec) -> None:
        self._spec, self.rows, self.segments = spec, {}, {}
        self._changed()

    def drop(self) -> None:
        self._spec, self.rows, self.segments = None, {}, {}
        self._changed()
        if self.file and self.file.exists():
            self.file.unlink()

    def spec(self) -> CollectionSpec:
        if self._spec is None:
            raise EmptyLibraryError.missing(self.collection, self.location)
        return self._spec

    def _vector(self, vector) -> np.ndarray:
        dim = self.spec().dim
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (dim,):
            raise StoreError(f"vector of shape {vector.shape} for a collection of dimension {dim}")
        return vector

    def upsert(self, entries: list[VideoEntry]) -> None:
        for e in entries:  # checked first: a bad vector writes nothing
            self._vector(e.vector)
            for s in e.segments:
                self._vector(s.vector)
        for e in entries:
            video_id = int(e.id)
            self.segments[video_id] = [replace(s, vector=self._vector(s.vector)) for s in e.segments]
            self.rows[video_id] = replace(e, id=video_id, vector=self._vector(e.vector), tags=list(e.tags), segments=[])
        self._changed()

    def _segment_matrix(self):
        if self._segments is None:
            spans = [(i, s) for i, segments in self.segments.items() for s in segments]
            self._segments = (spans, _Matrix([s.vector for _, s in spans], self.spec().dim))
        return self._segments

    def _admitted(self, where: VideoFilter | None) -> set[int] | None:
        return None if not where else {i for i, e in self.rows.items() if where.matches(e)}

    def search_segments(self, vectors: np.ndarray, k: int, where: VideoFilter | None = None) -> list[list[SegmentHit]]:
        spans, m = self._segment_matrix()
        admitted = self._admitted(where)
        allowed = None if admitted is None else np.array([video_id in admitted for video_id, _ in spans], bool)
        return [[SegmentHit(spans[i][0], spans[i][1].start, spans[i][1].end, float(d)) for i, d in zip(order, dist)]
                for order, dist in nearest(m.matrix, m.norms, vectors, k, allowed)]

    def rank_action(self, label: str, k: int, where: VideoFilter | None = None) -> list[ActionHit]:
        found = [ActionHit(e.id, e.path, e.label, a.score, a.start, a.end)
                 for e in self.rows.values() if not where or where.matches(e) for a in e.actions if a.label == label]
        return sorted(found, key=lambda h: (-h.score, h.id))[:k]

    def get(self, ids: list[int], vectors: bool = True) -> list[VideoEntry]:
        return [self.rows[int(i)] for i in ids if int(i) in self.rows]  # the vectors are at hand anyway

    def segments_of(self, ids: list[int]) -> dict[int, list[Segment]]:
        return {int(i): sorted(self.segments[int(i)], key=lambda s: s.start) for i in ids if int(i) in self.rows}

    def catalogue(self) -> dict[int, Listing]:
        return {i: Listing(e.path, e.label, e.fingerprint) for i, e in self.rows.items()}

    def delete(self, ids: list[int]) -> int:
        self._changed()
        for i in ids:
            self.segments.pop(int(i), None)
        return sum(self.rows.pop(int(i), None) is not None for i in ids)

    def count(self) -> int:
        return len(self.rows)

    def count_segments(self) -> int:
        return sum(len(s) for s in self.segments.values())
