"""The embedded store: SQLite as the durable source of truth, FAISS as the search index.

A database is a folder holding `vidsearch.sqlite3` (every collection: spec, videos, segments, class scores,
vectors as float32 blobs; WAL journal, so a write is durable once `upsert` returns, whatever kills the process
next) and `index/` (each collection's FAISS index of segments, saved at `flush` with the write generation it covers).
The generation is a random number drawn at every write, so two processes can never write the same one; opening
loads a saved index only when its generation is SQLite's, its file has the size saved with it and it holds as
many rows as SQLite, and otherwise rebuilds it from SQLite (the index is a cache): a process killed between a
write and a flush, or a damaged index file, loses nothing, it only costs the rebuild. A damaged SQLite file is
reported, never re-initialised or served.

Each index is exact (a flat scan) while small and becomes IVF once it holds enough rows to train (at `flush`):
nlist grows with the rows (sqrt(nprobe·n), at least the spec's), nprobe is the spec's. Writes update the in-memory
index at once: the first search after an ingest is as fast as any other. One process per database (an advisory
lock), like Milvus Lite; a second gets StoreLockedError with what to do. A process that may write takes the
lock before its first decision (`claim`), creating the database if needed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import threading
import json
import logging
import math
import os
import secrets
import sqlite3
from pathlib import Path

import faiss
import numpy as np

from ..tags import Action, Tag
from .locations import DATABASE_FILE
from .base import (
    ActionHit, CollectionSpec, EmptyLibraryError, IndexConfig, IndexSaveError, Listing, Segment, SegmentHit, StoreError, StoreLockedError,
    VectorStore, VideoEntry, VideoFilter, segment_ids,
)

LOCK_FILE = "vidsearch.lock"
SQLITE_HEADER = b"SQLite format 3\x00"
DAMAGED_SQLITE = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
log = logging.getLogger("vidsearch.store")
EMBEDDED_INDEX_TYPES = ("FLAT", "IVF_FLAT", "IVF_SQ8")  # the ones FAISS can remove rows from in place
TRAIN_MIN_ROWS = 20_000  # below this a flat scan is both exact and about as fast as IVF
INDEXED = "segments"  # the one table with a vector index: searches are of segments, videos are read by id
MAX_LISTS = 4096
TRAIN_SAMPLE_PER_LIST = 40  # faiss asks for at least 39 points per cluster
TRAIN_ITERATIONS = 10  # k-means iterations (faiss' default 25 takes 2.5x as long); recall: benchmarks/scale.py

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, spec TEXT NOT NULL, generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS videos (collection TEXT NOT NULL, id INTEGER NOT NULL, path TEXT NOT NULL,
    label TEXT NOT NULL, tags TEXT NOT NULL, fingerprint TEXT NOT NULL, duration REAL NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (collection, id));
CREATE TABLE IF NOT EXISTS segments (collection TEXT NOT NULL, id INTEGER NOT NULL, video_id INTEGER NOT NULL,
    start REAL NOT NULL, "end" REAL NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (collection, id));
CREATE INDEX IF NOT EXISTS segments_of_video ON segments (collection, video_id);
CREATE TABLE IF NOT EXISTS actions (collection TEXT NOT NULL, video_id INTEGER NOT NULL, label TEXT NOT NULL,
    score REAL NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL, PRIMARY KEY (collection, label, video_id));
"""


def is_embedded_database(path: str) -> bool:
    """A folder vidsearch made: its SQLite file, or its lock alone (a database being created right now)."""
    return any(os.path.isfile(os.path.join(path, name)) for name in (DATABASE_FILE, LOCK_FILE))


class DamagedDatabaseError(StoreError):
    """The SQLite file, the library's source of truth, is not a database any more."""


def damaged(location: str, what: str) -> DamagedDatabaseError:
    return DamagedDatabaseError(
        f"the database {location} is damaged ({what}): restore {DATABASE_FILE} from a backup, or index the videos "
        f"again into a new --db")


def database_error(location: str, error: sqlite3.DatabaseError) -> StoreError:
    """SQLite's error as the store's: damage (a corrupt file, not a database) says how to recover."""
    if getattr(error, "sqlite_errorname", "") in DAMAGED_SQLITE:
        return damaged(location, str(error))
    return StoreError(f"the database {location} cannot be used: {error}")


def new_generation() -> int:
    return secrets.randbits(63)


def where_sql(collection: str, where: VideoFilter | None) -> tuple[str, list]:
    """An SQL condition on the videos table (alias v) that admits the collection's videos `where` admits, and
    its parameters."""
    clauses, params = ["v.collection = ?"], [collection]
    if where:
        if where.label is not None:
            clauses.append("v.label = ?")
            params.append(where.label)
        if where.tag is not None:
            clauses.append("EXISTS (SELECT 1 FROM json_each(v.tags) t WHERE json_extract(t.value, '$.label') = ?)")
            params.append(where.tag)
        if where.min_duration is not None:
            clauses.append("v.duration >= ?")
            params.append(float(where.min_duration))
        if where.max_duration is not None:
            clauses.append("v.duration <= ?")
            params.append(float(where.max_duration))
        if where.path_prefix is not None:  # a plain comparison: no wildcard of LIKE or GLOB to escape
            clauses.append("substr(v.path, 1, ?) = ?")
            params += [len(where.path_prefix), where.path_prefix]
    return " AND ".join(clauses), params


class _Index:
    """One FAISS index over (id, vector) rows: exact while small, IVF once trained."""

    def __init__(self, dim: int, config: IndexConfig, index=None, mapped_from: Path | None = None):
        self.dim, self.config = dim, config
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatL2(dim))
        self.mapped_from = mapped_from  # the file whose pages the index views (read-only) until its first write

    @classmethod
    def load(cls, file: Path, dim: int, config: IndexConfig) -> "_Index":
        """The saved index, its rows viewed in the file's pages (mmap) rather than copied: opening a million
        1024-d rows costs a few milliseconds instead of reading 4 GB, and searches touch only the lists they
        probe. The first write reads it into memory (`writable`)."""
        return cls(dim, config, faiss.read_index(str(file), faiss.IO_FLAG_MMAP_IFC), mapped_from=file)

    def writable(self) -> None:
        """A viewed index cannot grow or shrink (faiss aborts the process): read into memory before a write."""
        if self.mapped_from is not None:
            self.index = faiss.read_index(str(self.mapped_from))
            self.mapped_from = None

    @property
    def trained_ivf(self) -> bool:
        return isinstance(self.index, faiss.IndexIVF)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.writable()
            self.index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64))

    def remove(self, ids) -> None:
        if len(ids):
            self.writable()
            self.index.remove_ids(np.asarray(list(ids), np.int64))

    def wants_training(self) -> bool:
        return self.config.index_type != "FLAT" and not self.trained_ivf and self.index.ntotal >= TRAIN_MIN_ROWS

    def train(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Becomes IVF over these rows (all of the collection's). A search compares the query with every list's
        centroid and with the rows of nprobe lists: nlist = sqrt(nprobe·n) makes the two equal and their sum
        smallest (capped at MAX_LISTS, where training time grows faster than search time falls)."""
        nlist = max(self.config.nlist, min(int(math.sqrt(self.config.nprobe * len(ids))), MAX_LISTS))
        quantizer = faiss.IndexFlatL2(self.dim)
        if self.config.index_type == "IVF_SQ8":
            index = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_8bit)
        else:
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist)
        index.cp.niter = TRAIN_ITERATIONS
        sample = np.random.default_rng(0).choice(len(ids), min(len(ids), nlist * TRAIN_SAMPLE_PER_LIST), replace=False)
        index.train(np.ascontiguousarray(vectors[np.sort(sample)], np.float32))
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64))
        self.index, self.mapped_from = index, None

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None,
               exhaustive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, np.float32)
        k = max(1, min(k, self.index.ntotal))
        selector = faiss.IDSelectorBatch(np.asarray(allowed, np.int64)) if allowed is not None else None
        if self.trained_ivf:
            # one query: its lists are scanned in parallel; several: one query per core
            self.index.parallel_mode = 1 if len(queries) == 1 else 0
            nprobe = self.index.nlist if exhaustive else min(self.config.nprobe, self.index.nlist)
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe) if selector else faiss.SearchParametersIVF(nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        distances, ids = self.index.search(queries, k, params=params)
        return distances, ids


_locks: dict[str, list[int]] = {}  # database folder -> [lock file descriptor, stores of this process using it]
_locks_guard = threading.Lock()


def _take_lock(folder: str, fd: int) -> None:
    """The database's lock, for this process: the first store takes it (OSError when another process holds it),
    later stores of the same process share it (a demo, a test or a notebook may open two collections)."""
    with _locks_guard:
        if folder in _locks:
            os.close(fd)
            _locks[folder][1] += 1
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        _locks[folder] = [fd, 1]


def _release_lock(folder: str) -> None:
    with _locks_guard:
        held = _locks.get(folder)
        if held is None:
            return
        held[1] -= 1
        if held[1] <= 0:
            os.close(held[0])  # closing the descriptor releases the flock
            del _locks[folder]


def _serialised(method):
    """One call at a time per store: the web server's threads share it, and neither a SQLite transaction nor a
    FAISS index may be used by a second thread while one writes."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as e:
                raise database_error(self.location, e) from None

    return call


class EmbeddedStore(VectorStore):
    """A collection in an embedded database folder (SQLite + FAISS)."""

    kind = "embedded"
    index_types = EMBEDDED_INDEX_TYPES

    def __init__(self, db: str, collection: str = "videos"):
        self.location, self.collection = db, collection
        self.folder = Path(db)
        self._lock = threading.RLock()
        self._sql: sqlite3.Connection | None = None
        self._locked = False
        self._spec: CollectionSpec | None = None
        self._segments: _Index | None = None
        self._check_folder()
        if is_embedded_database(str(self.folder)):
            self._open()

    # -- connection, lock, indexes -------------------------------------------------------------------------
    def _open(self, create: bool = False) -> sqlite3.Connection:
        """Connects, holding the database's lock first. Only `create` (a process that may write) makes a missing
        database; an existing SQLite file is checked before anything touches it: damage is reported, never
        re-initialised."""
        if self._sql is not None:
            return self._sql
        self._check_folder()
        try:
            if create:
                self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and self.folder.is_dir():
                raise StoreError(f"the database {self.location} is read-only: the embedded store needs write access "
                                 f"to its folder even to read it (copy it somewhere writable)") from None
            raise StoreError(f"cannot open {self.location}: {e.strerror} ({e.filename or self.location})") from None
        try:
            _take_lock(str(self.folder.resolve()), fd)
        except OSError:
            raise StoreLockedError(
                f"The database {self.location} is in use by another process (an embedded database allows one "
                f"process at a time). Stop that process (e.g. `vidsearch serve`), or use a Milvus server URI "
                f"(--db http://HOST:19530) to share one library between processes.") from None
        self._locked = True
        try:
            self._check_database_file(create)
            sql = sqlite3.connect(self.folder / DATABASE_FILE, isolation_level=None, check_same_thread=False,
                                  timeout=60)  # two stores of one process: the second writer waits its turn
            sql.execute("PRAGMA journal_mode=WAL")
            sql.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against a killed process
            sql.executescript(SCHEMA)
        except BaseException as e:
            self._unlock()
            if isinstance(e, sqlite3.DatabaseError):
                raise database_error(self.location, e) from None
            raise
        self._sql = sql
        self._remove_unfinished_saves()
        return sql

    def _check_folder(self) -> None:
        """Never opens (or writes into) something that is not a vidsearch database."""
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreError(f"{self.location} is a file, not a vidsearch database (a folder): choose another --db path")
        if self.folder.is_dir() and any(self.folder.iterdir()) and not is_embedded_database(str(self.folder)):
            raise StoreError(f"{self.location} is a folder that is not a vidsearch database: choose another --db path")

    def _check_database_file(self, create: bool) -> None:
        """An existing SQLite file must start as one: SQLite would silently take an empty (truncated) file for
        a new database and a reader would write a fresh schema over what was lost."""
        file = self.folder / DATABASE_FILE
        if not file.exists():
            if any((self.folder / "index").glob("*.faiss")):  # it had a database: indexes of what is gone
                raise damaged(self.location, f"{DATABASE_FILE} is missing")
            if not create:
                raise EmptyLibraryError.missing(self.collection, self.location)
            return
        if not file.is_file():
            raise damaged(self.location, f"{DATABASE_FILE} is not a file")
        with open(file, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise damaged(self.location, f"{DATABASE_FILE} is empty" if not header else
                          f"{DATABASE_FILE} does not start as an SQLite file")

    def _remove_unfinished_saves(self) -> None:
        """Index saves a killed process left half-written (never read: a save is renamed into place whole)."""
        for leftover in (self.folder / "index").glob(".*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def claim(self) -> None:
        """Holds the database's lock from now on, creating the database if needed: a process that may write
        calls this before deciding anything from what is stored (two first `index` runs at once must not both
        see an empty library)."""
        with self._lock:
            self._open(create=True)

    @property
    def sql(self) -> sqlite3.Connection:
        return self._open()

    def _unlock(self) -> None:
        if self._locked:
            _release_lock(str(self.folder.resolve()))
            self._locked = False

    def _generation(self) -> int:
        row = self.sql.execute("SELECT generation FROM collections WHERE name = ?", (self.collection,)).fetchone()
        return int(row[0]) if row else 0

    def _index_file(self, part: str) -> Path:
        return self.folder / "index" / f"{self.collection}.{part}.faiss"

    def _index(self) -> _Index:
        """The collection's segment index (searches are of segments; a video's row is found by id): the saved
        one where it provably matches SQLite, else rebuilt from it."""
        if self._segments is None:
            spec = self.spec()
            index = self._load_saved(INDEXED, spec)
            if index is None:
                index = _Index(spec.dim, spec.index)
                ids, vectors = self._all_vectors(INDEXED, spec.dim)
                if index.config.index_type != "FLAT" and len(ids) >= TRAIN_MIN_ROWS:
                    index.train(ids, vectors)
                else:
                    index.add(ids, vectors)
                if len(ids):  # saved at once: the next process (a search) loads it instead of rebuilding
                    try:
                        self._save(INDEXED, index, self._generation())
                    except IndexSaveError as e:
                        log.warning("%s", e)
            self._segments = index
        return self._segments

    def _load_saved(self, part: str, spec: CollectionSpec) -> _Index | None:
        """The saved index of `part` when it was saved at SQLite's generation, its file is whole (the size saved
        with it) and it holds SQLite's rows; None when there is none to trust. A damaged one is said once (the
        caller rebuilds it and saves it again at once)."""
        file, saved = self._index_file(part), self._saved(part)
        if saved is None or saved.get("generation") != self._generation() or "bytes" not in saved:
            return None  # not saved since the last write (or by a vidsearch before 0.5.1): rebuilt quietly
        try:
            if not file.is_file() or file.stat().st_size != saved.get("bytes"):
                raise ValueError("its file is missing or not the size it was saved with")
            index = _Index.load(file, spec.dim, spec.index)
            rows = self._count(part)
            if index.index.ntotal != rows or index.index.d != spec.dim:
                raise ValueError(f"it holds {index.index.ntotal} rows, the database {rows}")
        except (OSError, RuntimeError, ValueError) as e:
            log.warning("the saved %s index of %s was damaged (%s): rebuilt from the database",
                        part, self.location, " ".join(str(e).split())[:200])
            return None
        return index

    def _saved(self, part: str) -> dict | None:
        """What was recorded when the index of this part was saved (None: not saved, or unreadable)."""
        try:
            saved = json.loads(self._index_file(part).with_suffix(".json").read_text())
            return saved if isinstance(saved, dict) else None
        except (OSError, ValueError):
            return None

    def _count(self, table: str) -> int:
        return self.sql.execute(f"SELECT count(*) FROM {table} WHERE collection = ?", (self.collection,)).fetchone()[0]

    def _all_vectors(self, table: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) of the collection's table, read straight into preallocated arrays (a million
        1024-d rows are 4 GB: never held twice)."""
        count = self._count(table)
        ids, vectors = np.empty(count, np.int64), np.empty((count, dim), np.float32)
        cursor = self.sql.execute(f"SELECT id, vector FROM {table} WHERE collection = ?", (self.collection,))
        for n, (row_id, blob) in enumerate(cursor):
            ids[n], vectors[n] = row_id, np.frombuffer(blob, np.float32)
        return ids, vectors

    # -- lifecycle ---------------------------------------------------------------------------------------
    @_serialised
    def exists(self) -> bool:
        if not is_embedded_database(str(self.folder)):
            return False
        return self.sql.execute("SELECT 1 FROM collections WHERE name = ?", (self.collection,)).fetchone() is not None

    @_serialised
    def create(self, spec: CollectionSpec) -> None:
        """Makes the collection; one that exists already (made by another process since this one looked) is
        never replaced: its videos would stay in SQLite under a spec they were not made with."""
        self.check_index(spec.index)
        self._open(create=True)
        with self._transaction():
            if self.sql.execute("SELECT 1 FROM collections WHERE name = ?", (self.collection,)).fetchone():
                raise StoreError(f"collection {self.collection!r} in {self.location} was created by another process "
                                 f"meanwhile: run the command again")
            self.sql.execute("INSERT INTO collections VALUES (?, ?, ?)",
                             (self.collection, json.dumps(spec.to_json()), new_generation()))
        self._spec = spec
        self._segments = _Index(spec.dim, spec.index)

    @_serialised
    def spec(self) -> CollectionSpec:
        if self._spec is None:
            row = None
            if is_embedded_database(str(self.folder)):
                row = self.sql.execute("SELECT spec FROM collections WHERE name = ?", (self.collection,)).fetchone()
            if row is None:
                raise EmptyLibraryError.missing(self.collection, self.location)
            self._spec = CollectionSpec.from_json(json.loads(row[0]))
        return self._spec

    @_serialised
    def drop(self) -> None:
        if not is_embedded_database(str(self.folder)):
            return
        with self._transaction():
            for table in ("videos", "segments", "actions"):
                self.sql.execute(f"DELETE FROM {table} WHERE collection = ?", (self.collection,))
            self.sql.execute("DELETE FROM collections WHERE name = ?", (self.collection,))
        for part in ("videos", INDEXED):  # the videos' own index: written by vidsearch before 0.6.1
            self._index_file(part).unlink(missing_ok=True)
            self._index_file(part).with_suffix(".json").unlink(missing_ok=True)
        self._spec = self._segments = None

    @_serialised
    def close(self) -> None:
        if self._sql is not None:
            self._sql.close()
            self._sql = None
        self._unlock()

    # -- writes ----------------------------------------------------------------------------------------------
    def _vector(self, vector) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (self.spec().dim,):
            raise StoreError(f"vector of shape {vector.shape} for a collection of dimension {self.spec().dim}")
        return vector

    @_serialised
    def upsert(self, entries: list[VideoEntry]) -> None:
        """One transaction for all the entries: each video is replaced whole, or (killed) not at all."""
        if not entries:
            return
        segments = self._index()
        rows, segment_rows, action_rows = [], [], []
        for e in entries:  # checked first: a bad vector writes nothing
            tags = json.dumps([t.to_json() for t in e.tags])
            rows.append((self.collection, int(e.id), e.path, e.label, tags, e.fingerprint, float(e.duration),
                         self._vector(e.vector).tobytes()))
            segment_rows += [(self.collection, sid, int(e.id), float(s.start), float(s.end), self._vector(s.vector).tobytes())
                             for sid, s in zip(segment_ids(e.id, len(e.segments)), e.segments)]
            action_rows += [(self.collection, int(e.id), a.label, float(a.score), float(a.start), float(a.end))
                            for a in e.actions]
        ids = [int(e.id) for e in entries]
        old = self._segment_ids_of(ids)
        with self._transaction():  # committed (durable) when this block ends, or not at all
            self._delete_rows(ids)
            self.sql.executemany("INSERT INTO videos VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.sql.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?)", segment_rows)
            self.sql.executemany("INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?)", action_rows)
            self._bump()
        segments.remove(old)
        if segment_rows:
            segments.add(np.array([r[1] for r in segment_rows]), np.stack([np.frombuffer(r[-1], np.float32) for r in segment_rows]))

    def _segment_ids_of(self, video_ids: list[int]) -> list[int]:
        found = []
        for i in range(0, len(video_ids), 500):
            chunk = video_ids[i : i + 500]
            found += [r[0] for r in self.sql.execute(
                f"SELECT id FROM segments WHERE collection = ? AND video_id IN ({','.join('?' * len(chunk))})",
                (self.collection, *chunk))]
        return found

    def _delete_rows(self, ids: list[int]) -> None:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            self.sql.execute(f"DELETE FROM videos WHERE collection = ? AND id IN ({marks})", (self.collection, *chunk))
            for table in ("segments", "actions"):
                self.sql.execute(f"DELETE FROM {table} WHERE collection = ? AND video_id IN ({marks})",
                                 (self.collection, *chunk))

    @contextlib.contextmanager
    def _transaction(self):
        self.sql.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.sql.execute("ROLLBACK")
            raise
        self.sql.execute("COMMIT")

    def _bump(self) -> None:
        self.sql.execute("UPDATE collections SET generation = ? WHERE name = ?", (new_generation(), self.collection))

    @_serialised
    def delete(self, ids: list[int]) -> int:
        ids = [int(i) for i in ids]
        if not ids or not self.exists():
            return 0
        segments = self._index()
        present = [e.id for e in self.get(ids, vectors=False)]
        old = self._segment_ids_of(ids)
        with self._transaction():
            self._delete_rows(ids)
            self._bump()
        segments.remove(old)
        return len(present)

    @_serialised
    def flush(self) -> None:
        """Trains what has grown enough for IVF, and saves the indexes with the generation they cover (IndexSaveError
        names the file when a save fails: what SQLite holds is committed all the same)."""
        if not self.exists():
            return
        generation, index = self._generation(), self._index()
        if index.wants_training():
            index.train(*self._all_vectors(INDEXED, self.spec().dim))
        elif (self._saved(INDEXED) or {}).get("generation") == generation:
            return  # saved as it is (a search-only session, or a second flush): not rewritten
        self._save(INDEXED, index, generation)

    def _save(self, part: str, index: _Index, generation: int) -> None:
        file = self._index_file(part)
        temporary = file.with_name(f".{file.name}.tmp")
        try:
            file.parent.mkdir(exist_ok=True)
            faiss.write_index(index.index, str(temporary))
            temporary.replace(file)
            file.with_suffix(".json").write_text(json.dumps(
                {"generation": generation, "rows": index.index.ntotal, "bytes": file.stat().st_size}))
        except (OSError, RuntimeError) as e:
            with contextlib.suppress(OSError):
                temporary.unlink()
            cause = e.strerror if isinstance(e, OSError) and e.strerror else " ".join(str(e).split())[:200]
            fix = f"remove the folder {file}" if file.is_dir() else f"make {file.parent} writable"
            raise IndexSaveError(
                f"the videos are stored, but their search index could not be saved to {file} ({cause}); it is "
                f"rebuilt from the database on the next start: {fix}", str(file)) from None

    # -- reads -----------------------------------------------------------------------------------------------
    def _admitted(self, where: VideoFilter | None) -> np.ndarray | None:
        """The ids of the segments of the videos `where` admits (None: no filter)."""
        if not where:
            return None
        condition, params = where_sql(self.collection, where)
        query = (f"SELECT s.id FROM segments s JOIN videos v ON v.collection = s.collection AND v.id = s.video_id "
                 f"WHERE {condition}")
        return np.array([r[0] for r in self.sql.execute(query, params)], np.int64)

    def _search(self, index: _Index, queries: np.ndarray, k: int, allowed: np.ndarray | None):
        queries = np.asarray(queries, np.float32).reshape(-1, self.spec().dim)
        if index.index.ntotal == 0 or (allowed is not None and not len(allowed)):
            return [[] for _ in queries]
        distances, ids = index.search(queries, k, allowed)
        if allowed is not None and index.trained_ivf and (ids == -1).any() and len(allowed) > (ids != -1).sum(1).min():
            distances, ids = index.search(queries, k, allowed, exhaustive=True)  # the probed lists held too few
        return [[(int(i), float(d)) for i, d in zip(row_ids, row_d) if i != -1] for row_ids, row_d in zip(ids, distances)]

    @_serialised
    def search_segments(self, vectors: np.ndarray, k: int, where: VideoFilter | None = None) -> list[list[SegmentHit]]:
        found = self._search(self._index(), vectors, k, self._admitted(where))
        wanted = sorted({i for hits in found for i, _ in hits})
        spans = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            spans.update({r[0]: r[1:] for r in self.sql.execute(
                f'SELECT id, video_id, start, "end" FROM segments WHERE collection = ? AND id IN ({",".join("?" * len(chunk))})',
                (self.collection, *chunk))})
        return [[SegmentHit(spans[i][0], spans[i][1], spans[i][2], d) for i, d in hits if i in spans] for hits in found]

    @_serialised
    def rank_action(self, label: str, k: int, where: VideoFilter | None = None) -> list[ActionHit]:
        condition, params = where_sql(self.collection, where)
        rows = self.sql.execute(
            f'SELECT v.id, v.path, v.label, a.score, a.start, a."end" FROM actions a JOIN videos v '
            f"ON v.collection = a.collection AND v.id = a.video_id WHERE a.label = ? AND {condition} "
            f"ORDER BY a.score DESC, v.id LIMIT ?", (label, *params, int(k)))
        return [ActionHit(*r) for r in rows]

    @_serialised
    def get(self, ids: list[int], vectors: bool = True) -> list[VideoEntry]:
        if not ids or not self.exists():
            return []
        found = []
        ids = [int(i) for i in ids]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.sql.execute(
                f"SELECT id, path, label, tags, fingerprint, duration{', vector' if vectors else ''} FROM videos "
                f"WHERE collection = ? AND id IN ({','.join('?' * len(chunk))})", (self.collection, *chunk)).fetchall()
            actions: dict[int, list[Action]] = {}
            for video_id, *action in self.sql.execute(
                    f'SELECT video_id, label, score, start, "end" FROM actions WHERE collection = ? '
                    f"AND video_id IN ({','.join('?' * len(chunk))}) ORDER BY score DESC", (self.collection, *chunk)):
                actions.setdefault(video_id, []).append(Action(*action))
            for r in rows:
                vector = np.frombuffer(r[6], np.float32).copy() if vectors else np.zeros(0, np.float32)
                found.append(VideoEntry(r[0], r[1], r[2], vector, [Tag.from_json(t) for t in json.loads(r[3])], r[4],
                                        r[5], actions=actions.get(r[0], [])))
        order = {v: n for n, v in enumerate(ids)}
        return sorted(found, key=lambda e: order[e.id])

    @_serialised
    def segments_of(self, ids: list[int]) -> dict[int, list[Segment]]:
        found: dict[int, list[Segment]] = {}
        for i in range(0, len(ids), 500):
            chunk = [int(v) for v in ids[i : i + 500]]
            for video_id, start, end, vector in self.sql.execute(
                    f'SELECT video_id, start, "end", vector FROM segments WHERE collection = ? '
                    f"AND video_id IN ({','.join('?' * len(chunk))}) ORDER BY video_id, start", (self.collection, *chunk)):
                found.setdefault(video_id, []).append(Segment(start, end, np.frombuffer(vector, np.float32).copy()))
        return found

    @_serialised
    def catalogue(self) -> dict[int, Listing]:
        if not self.exists():
            return {}
        rows = self.sql.execute("SELECT id, path, label, fingerprint FROM videos WHERE collection = ?", (self.collection,))
        return {r[0]: Listing(r[1], r[2], r[3]) for r in rows}

    @_serialised
    def count(self) -> int:
        if not self.exists():
            return 0
        return self.sql.execute("SELECT count(*) FROM videos WHERE collection = ?", (self.collection,)).fetchone()[0]

    @_serialised
    def count_segments(self) -> int:
        if not self.exists():
            return 0
        return self.sql.execute("SELECT count(*) FROM segments WHERE collection = ?", (self.collection,)).fetchone()[0]

