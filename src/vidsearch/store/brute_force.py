"""Exact search with numpy: the reference the Milvus backends are tested against.

Kept in memory; `db` ending in `.npz` also saves it there on flush and loads it on open, which makes it a
dependency-free store for small libraries and notebooks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..tags import Tag
from .base import CollectionSpec, Hit, Listing, StoreError, VectorStore, VideoEntry


class BruteForceStore(VectorStore):
    kind = "brute-force"

    def __init__(self, db: str = "memory://", collection: str = "videos"):
        self.location, self.collection = db, collection
        self.file = None if db.startswith("memory://") else Path(db)
        self._spec: CollectionSpec | None = None
        self.rows: dict[int, VideoEntry] = {}
        self._cache: tuple | None = None
        if self.file and self.file.exists():
            self._load()

    def _load(self) -> None:
        with np.load(self.file, allow_pickle=False) as data:
            if f"{self.collection}.spec" not in data:
                return
            self._spec = CollectionSpec.from_json(json.loads(str(data[f"{self.collection}.spec"])))
            records = json.loads(str(data[f"{self.collection}.rows"]))
            vectors = data[f"{self.collection}.vectors"]
        self.rows = {r["id"]: VideoEntry(vector=v, **{**r, "tags": [Tag.from_json(t) for t in r["tags"]]})
                     for r, v in zip(records, vectors)}
        self._cache = None

    def flush(self) -> None:
        if self.file is None or self._spec is None:
            return
        rows = list(self.rows.values())
        records = [{"id": e.id, "path": e.path, "label": e.label, "tags": [t.to_json() for t in e.tags], "fingerprint": e.fingerprint} for e in rows]
        vectors = np.stack([e.vector for e in rows]) if rows else np.zeros((0, self._spec.dim), np.float32)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            **{
                f"{self.collection}.spec": json.dumps(self._spec.to_json()),
                f"{self.collection}.rows": json.dumps(records),
                f"{self.collection}.vectors": vectors,
            },
        )
        tmp.replace(self.file)

    def exists(self) -> bool:
        return self._spec is not None

    def create(self, spec: CollectionSpec) -> None:
        self._spec, self.rows, self._cache = spec, {}, None

    def drop(self) -> None:
        self._spec, self.rows, self._cache = None, {}, None
        if self.file and self.file.exists():
            self.file.unlink()

    def spec(self) -> CollectionSpec:
        if self._spec is None:
            raise StoreError(f"no collection {self.collection!r} in {self.location}: index some videos first")
        return self._spec

    def upsert(self, entries: list[VideoEntry]) -> None:
        dim = self.spec().dim
        for e in entries:
            vector = np.asarray(e.vector, dtype=np.float32)
            if vector.shape != (dim,):
                raise StoreError(f"vector of shape {vector.shape} for a collection of dimension {dim}")
            self.rows[int(e.id)] = VideoEntry(int(e.id), e.path, e.label, vector, list(e.tags), e.fingerprint)
        self._cache = None

    def _matrix(self) -> tuple[list[VideoEntry], np.ndarray]:
        if self._cache is None:  # rebuilt after writes only: stacking 20k rows per query would dominate
            rows = list(self.rows.values())
            matrix = np.stack([e.vector for e in rows]) if rows else np.zeros((0, self.spec().dim), np.float32)
            self._cache = (rows, matrix, (matrix.astype(np.float64) ** 2).sum(1))
        return self._cache[:2]

    def search(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        rows, matrix = self._matrix()
        queries = np.asarray(vectors, dtype=np.float32)
        if not rows:
            return [[] for _ in queries]
        # |q - m|^2 = |q|^2 + |m|^2 - 2 q.m, in float64 so near-ties order the same as an exact search
        distances = (queries.astype(np.float64) ** 2).sum(1)[:, None] + self._cache[2][None] - 2.0 * (
            queries.astype(np.float64) @ matrix.T.astype(np.float64))
        distances = np.maximum(distances, 0.0)
        results = []
        for row in distances:
            top = np.argpartition(row, min(k, len(row) - 1))[:k] if len(row) > k else np.arange(len(row))
            order = top[np.lexsort((top, row[top]))]
            results.append([Hit(rows[i].id, rows[i].path, rows[i].label, float(row[i])) for i in order])
        return results

    def get(self, ids: list[int]) -> list[VideoEntry]:
        return [self.rows[int(i)] for i in ids if int(i) in self.rows]

    def catalogue(self) -> dict[int, Listing]:
        return {i: Listing(e.path, e.label, e.fingerprint) for i, e in self.rows.items()}

    def delete(self, ids: list[int]) -> int:
        self._cache = None
        return sum(self.rows.pop(int(i), None) is not None for i in ids)

    def count(self) -> int:
        return len(self.rows)
