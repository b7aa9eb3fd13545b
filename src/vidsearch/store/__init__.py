"""Vector stores: one interface (base.py), one file per backend, chosen by the database string."""

from __future__ import annotations

import re

from .base import (
    INDEX_TYPES, MAX_K, ActionHit, CollectionSpec, Hit, IndexConfig, IndexConfigError, Listing, Segment, SegmentHit,
    StoreError, StoreLockedError, VectorStore, VideoEntry, VideoFilter, check_k, segment_ids,
)

__all__ = [
    "INDEX_TYPES", "MAX_K", "ActionHit", "CollectionSpec", "Hit", "IndexConfig", "IndexConfigError", "Listing", "Segment", "SegmentHit",
    "StoreError", "StoreLockedError", "VectorStore", "VideoEntry", "VideoFilter", "check_collection_name", "check_k", "open_store",
    "segment_ids",
]


COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,229}")  # + "__segments" stays within Milvus' 255


def check_collection_name(name: str) -> str:
    """Milvus' rule for collection names (letters, digits, underscores; not starting with a digit), for all."""
    if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
        raise StoreError(f"collection name {name!r}: use 1-230 letters, digits and underscores, "
                         f"not starting with a digit")
    return name


def open_store(db: str, collection: str = "videos", token: str | None = None) -> VectorStore:
    """`memory://` or `*.npz` -> numpy brute force; `http://HOST:19530` -> Milvus server; a path -> Milvus Lite."""
    check_collection_name(collection)
    if db.startswith("memory://") or db.endswith(".npz"):
        from .brute_force import BruteForceStore

        return BruteForceStore(db, collection)
    from .milvus import MilvusStore, is_server_uri

    if not is_server_uri(db) and not db.endswith(".db"):
        raise StoreError(f"--db {db!r}: give a Milvus Lite path ending in .db, a Milvus server URI "
                         f"(http://HOST:19530), a .npz file or memory://")

    return MilvusStore(db, collection, token)
