"""Vector stores: one interface (base.py), one file per backend, chosen by the database string."""

from __future__ import annotations

import re

from .base import (
    INDEX_TYPES, MAX_K, ActionHit, CollectionSpec, EmptyLibraryError, IndexConfig, IndexConfigError, IndexSaveError, Listing, Segment,
    SegmentHit, StoreError, StoreLockedError, VectorStore, VideoEntry, VideoFilter, check_k, segment_ids,
)
from .locations import is_lite_database, is_server_uri

__all__ = [
    "INDEX_TYPES", "MAX_K", "ActionHit", "CollectionSpec", "EmptyLibraryError", "IndexConfig", "IndexConfigError", "IndexSaveError", "Listing", "Segment", "SegmentHit",
    "StoreError", "StoreLockedError", "VectorStore", "VideoEntry", "VideoFilter", "check_collection_name", "check_k", "open_store",
    "segment_ids",
]

EMBEDDED_PREFIX, LITE_PREFIX = "embedded:", "milvus-lite:"
COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,229}")  # + "__segments" stays within Milvus' 255


def check_collection_name(name: str) -> str:
    """Milvus' rule for collection names (letters, digits, underscores; not starting with a digit), for all."""
    if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
        raise StoreError(f"collection name {name!r}: use 1-230 letters, digits and underscores, "
                         f"not starting with a digit")
    return name


def open_store(db: str, collection: str = "videos", token: str | None = None, option: str = "--db") -> VectorStore:
    """Which backend a database string means:
    - `memory://` or `*.npz`: numpy brute force (the reference);
    - `http://HOST:19530` (or https, tcp, grpc): a Milvus server;
    - `milvus-lite:PATH`: Milvus Lite;
    - `embedded:PATH`, or a plain `PATH.db`: the embedded store (SQLite + FAISS), except a folder that already
      is a Milvus Lite database, which keeps opening with Milvus Lite (libraries made before 0.3).
    `option`: what the user called this database, for the error that refuses it.
    """
    check_collection_name(collection)
    if db.startswith("memory://") or db.endswith(".npz"):
        from .brute_force import BruteForceStore

        return BruteForceStore(db, collection)
    milvus = is_server_uri(db) or db.startswith(LITE_PREFIX) or (
        not db.startswith(EMBEDDED_PREFIX) and is_lite_database(_path(db, option)))
    if not milvus:  # each backend is imported only when used: pymilvus alone costs half a second
        from .embedded import EmbeddedStore

        return EmbeddedStore(_path(db.removeprefix(EMBEDDED_PREFIX), option), collection)
    from .milvus import MilvusStore

    location = _path(db.removeprefix(LITE_PREFIX), option) if db.startswith(LITE_PREFIX) else db
    return MilvusStore(location, collection, token)


def _path(db: str, option: str = "--db") -> str:
    if not db.endswith(".db"):
        raise StoreError(f"{option} {db!r}: give a path ending in .db (the embedded store; milvus-lite:PATH.db for Milvus "
                         f"Lite), a Milvus server URI (http://HOST:19530), a .npz file or memory://")
    return db
