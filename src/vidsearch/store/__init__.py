"""Vector stores: one interface (base.py), one file per backend, chosen by the database string."""

from __future__ import annotations

from .base import CollectionSpec, Hit, IndexConfig, Listing, StoreError, StoreLockedError, VectorStore, VideoEntry

__all__ = [
    "CollectionSpec", "Hit", "IndexConfig", "Listing", "StoreError", "StoreLockedError", "VectorStore", "VideoEntry",
    "open_store",
]


def open_store(db: str, collection: str = "videos", token: str | None = None) -> VectorStore:
    """`memory://` or `*.npz` -> numpy brute force; `http://HOST:19530` -> Milvus server; a path -> Milvus Lite."""
    if db.startswith("memory://") or db.endswith(".npz"):
        from .brute_force import BruteForceStore

        return BruteForceStore(db, collection)
    from .milvus import MilvusStore

    return MilvusStore(db, collection, token)
