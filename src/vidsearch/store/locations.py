"""What a database string names, decided without loading any backend: a Milvus server URI, a folder Milvus Lite
made, or the embedded store's folder (its SQLite file's name is decided here too)."""

from __future__ import annotations

import os

DATABASE_FILE = "vidsearch.sqlite3"  # the embedded store's source of truth, inside its folder


def is_server_uri(db: str) -> bool:
    return db.startswith(("http://", "https://", "tcp://", "grpc://"))


def is_lite_database(db: str) -> bool:
    """A folder Milvus Lite made (its lock file, and none of the embedded store's)."""
    return os.path.isfile(os.path.join(db, "LOCK")) and not os.path.isfile(os.path.join(db, DATABASE_FILE))
