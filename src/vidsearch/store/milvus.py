"""Milvus through pymilvus' MilvusClient: Milvus Lite (a local path) and a real server (a URI), one code path.

Traps handled here, each measured on this project's machines:
- index parameters must be nested (`params={'params': {...}}`) or Milvus Lite silently drops them;
- Milvus Lite accepts any index type (even "BOGUS") and fails only when it builds or reloads it, after the
  rows were written: only types each backend can build and reload after a restart are allowed, checked
  before any work (`index_types`, tested on both backends);
- a server's 'Strong' read waits for its next time tick: 200 ms on every search and every `get` (measured:
  p50 200 ms Strong, 5 ms Session on 50,000 rows). Reads use 'Session': this process sees its own writes at
  once, another process's within a tick. Writes end with `flush`, which waits until the index covers every
  row (a server indexes lazily and meanwhile searches by brute force);
- Milvus Lite locks its database directory to one process: reported as StoreLockedError, not a traceback;
- Milvus 2.3's JSON field takes objects only, so tags are stored as {"top": [...], "labels": [...], "actions":
  {class: [score, start, end]}} (labels and actions for the filter expressions of `--tag` and find-action);
- a path prefix is a string range, not LIKE (whose wildcards the two treat differently);
- an IVF or HNSW search with a filter looks only at the clusters it probes, so it can return fewer than k
  results while k videos match: such a search is repeated exhaustively (nprobe = nlist);
- Milvus 2.3 keeps a collection's properties across a restart only when they were given at creation
  (altered ones are lost): the spec is passed to `create_collection`.

Two collections per library: NAME (one row per video: its metadata and whole-video vector) and
NAME__segments (one row per window: video id, start, end, vector), written in the order the store contract
gives so that a video is searchable only once complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import time

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from ..tags import Action, Tag
from .locations import is_server_uri
from .base import (
    INDEX_TYPES, ActionHit, CollectionSpec, EmptyLibraryError, Listing, Segment, SegmentHit, StoreError, StoreLockedError, VectorStore,
    VideoEntry, VideoFilter, segment_ids,
)

LITE_INDEX_TYPES = ("FLAT", "IVF_FLAT", "IVF_SQ8", "HNSW")  # what milvus-lite 3.2.2 builds (faiss)
SERVER_INDEX_TYPES = INDEX_TYPES  # Milvus 2.3 also builds SCANN; IVF_PQ and DISKANN need settings we do not expose
META_PROPERTY = "vidsearch.spec"
READ = {"consistency_level": "Session"}  # not Strong: see the module's docstring
PATH_MAX, LABEL_MAX = 4096, 512
OUTPUT_FIELDS = ["id", "path", "label", "tags", "fingerprint", "duration"]
SEGMENTS_SUFFIX = "__segments"
WRITE_ROWS = 1000  # rows per insert request: 4 MB of 1024-d vectors, far below gRPC's message limit
LITE_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": False}

# (after importing pymilvus, whose logging config would reset these levels)
# Lite's query iterator asks for a timestamp Lite does not implement; both sides log it, harmlessly.
# pymilvus also logs every failed call with a traceback; each becomes a StoreError with one clear message here.
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
# Lite's servicer logs a failed load at ERROR; `_reload` retries that load and reports what finally fails
logging.getLogger("milvus_lite.adapter.grpc.servicer").setLevel(logging.CRITICAL)


NATIVE_LOG = logging.getLogger("vidsearch.milvus_lite")


@contextlib.contextmanager
def native_output_captured():
    """Milvus Lite's index builder (faiss) prints warnings on the process' own stderr (stdout in some
    versions), e.g. "WARNING clustering 35 points to 35 centroids: please provide at least 1365 training
    points" for a collection smaller than its nlist: harmless (nlist is clamped to the row count: single-point
    clusters, the nprobe nearest of which are searched exactly), but they clutter the terminal and would corrupt `--json` on stdout. Both descriptors go
    to a temporary file while Lite works; its lines are logged at DEBUG (VIDSEARCH_DEBUG=1 shows them).
    Lite's real failures still arrive as exceptions."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as capture:
        try:
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            yield
        finally:
            for fd, original in zip((1, 2), saved):
                os.dup2(original, fd)
                os.close(original)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines():
                NATIVE_LOG.debug("milvus-lite: %s", line)


def quote(text: str) -> str:
    """A string literal of Milvus' expression language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_expr(where: VideoFilter | None) -> str:
    """The filter expression (on the videos collection) that admits what `where` admits ("" for all)."""
    if not where:
        return ""
    parts = []
    if where.label is not None:
        parts.append(f"label == {quote(where.label)}")
    if where.tag is not None:
        parts.append(f'json_contains(tags["labels"], {quote(where.tag)})')
    if where.min_duration is not None:
        parts.append(f"duration >= {where.min_duration:.6f}")
    if where.max_duration is not None:
        parts.append(f"duration <= {where.max_duration:.6f}")
    if where.path_prefix is not None:
        # a range, not LIKE: Milvus 2.3 and Lite treat LIKE's wildcards differently, and paths hold % and _.
        # The strings starting with P are exactly those in [P, P with its last character incremented).
        prefix = where.path_prefix
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1 + (ord(prefix[-1]) == 0xD7FF) * 0x800)  # skips surrogates
        parts.append(f"path >= {quote(prefix)} and path < {quote(after)}")
    return " and ".join(f"({p})" for p in parts)  # parenthesised: Milvus 2.3 binds `exists` loosely


def lite_lock_held(db: str) -> bool:
    """True when another process holds Milvus Lite's advisory lock on the database directory."""
    import fcntl

    lock = os.path.join(db, "LOCK")
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:  # missing or not writable: nobody can be holding it through this file
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def check_lite_path(db: str) -> None:
    """Refuses paths Milvus Lite would misuse: a file, a folder of something else, a read-only database."""
    if not os.path.exists(db):
        return
    if not os.path.isdir(db):
        raise StoreError(f"{db} is a file, not a Milvus Lite database (a folder): choose another --db path")
    lock = os.path.join(db, "LOCK")
    if os.listdir(db) and not os.path.exists(lock):
        raise StoreError(f"{db} is a folder that is not a Milvus Lite database: choose another --db path")
    if not os.access(db, os.W_OK) or (os.path.exists(lock) and not os.access(lock, os.W_OK)):
        raise StoreError(f"the database {db} is read-only: Milvus Lite needs write access to its folder even to "
                         f"read it (copy it somewhere writable)")


_lite_users: dict[str, int] = {}  # open MilvusStores per Lite database in this process


def _release_lite(db: str) -> None:
    """The last store of a Lite database closes: stop its in-process server, which frees the directory lock
    for other processes (pymilvus would keep it until this process exits)."""
    path = os.path.abspath(db)
    _lite_users[path] = _lite_users.get(path, 1) - 1
    if _lite_users[path] <= 0:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(path)


def _connect(db: str, token: str | None):
    if not is_server_uri(db):
        check_lite_path(db)
    lite_log = logging.getLogger("milvus_lite.server_manager")
    level = lite_log.level
    lite_log.setLevel(logging.CRITICAL)  # it logs a traceback for a held lock; we explain it instead
    try:
        # dedicated: closed with the store. A shared connection outlives its clients, keeps pinging, and
        # Milvus Lite answers an idle pinger with GOAWAY "too_many_pings": the next open then fails.
        # Lite: a loopback server in this process, so no keepalive pings (its gRPC server answers an idle
        # pinger with GOAWAY "too_many_pings", logged on the terminal of an idle `vidsearch serve`).
        options = {} if is_server_uri(db) else LITE_GRPC_OPTIONS
        return MilvusClient(db, token=token or "", dedicated=True, grpc_options=options)
    except PermissionError as e:
        raise StoreError(f"cannot open {db}: permission denied ({e.filename or db})") from None
    except Exception as e:
        if not is_server_uri(db) and lite_lock_held(db):
            raise StoreLockedError(
                f"The database {db} is in use by another process (Milvus Lite allows one process per "
                f"database). Stop that process (e.g. `vidsearch serve`), or use a Milvus server URI "
                f"(--db http://HOST:19530) to share one database between processes."
            ) from None
        raise StoreError(f"cannot open Milvus database {db}: {e}") from e
    finally:
        lite_log.setLevel(level)


class MilvusStore(VectorStore):
    """A collection in Milvus. A Lite database that does not exist yet is not created (nor its folder)
    until something is written: `search` or `info` with a mistyped path says so and leaves no trace."""

    def __init__(self, db: str, collection: str = "videos", token: str | None = None):
        self.location, self.collection, self._token = db, collection, token
        self.segments = collection + SEGMENTS_SUFFIX
        self.kind = "milvus-server" if is_server_uri(db) else "milvus-lite"
        self.index_types = SERVER_INDEX_TYPES if self.kind == "milvus-server" else LITE_INDEX_TYPES
        self._client: MilvusClient | None = None
        self._loaded = False
        self._spec: CollectionSpec | None = None
        self._quiet = contextlib.nullcontext if self.kind == "milvus-server" else native_output_captured
        self._closed = False
        self._written = False  # rows written or deleted since the last flush
        if self.kind == "milvus-server" or os.path.exists(db):
            self.client  # connect now: a server must answer, a Lite database is locked for as long as we run

    @property
    def client(self) -> MilvusClient:
        if self._client is None:
            if self._closed:
                raise StoreError(f"the store for {self.location} is closed")
            self._client = _connect(self.location, self._token)
            if self.kind == "milvus-lite":
                path = os.path.abspath(self.location)
                _lite_users[path] = _lite_users.get(path, 0) + 1
            self._load()
        return self._client

    def _load(self) -> None:
        """Loads both collections once they exist (another process may create them after we connected)."""
        if not self._loaded and self._client.has_collection(self.collection):
            with self._quiet():
                for name in (self.segments, self.collection):
                    if self._client.has_collection(name):
                        self._client.load_collection(name)
            self._loaded = True

    # -- lifecycle ---------------------------------------------------------------------------------------
    def exists(self) -> bool:
        if self._client is None and self.kind == "milvus-lite" and not os.path.exists(self.location):
            return False
        found = self.client.has_collection(self.collection)
        if found:
            self._load()
        return found

    def _index_params(self, index):
        params = self.client.prepare_index_params()
        params.add_index(
            field_name="embedding",
            index_type=index.index_type,
            metric_type=index.metric,
            params={"params": index.build_params()},  # nested: Lite drops them otherwise
        )
        return params

    def create(self, spec: CollectionSpec) -> None:
        index = self.check_index(spec.index)
        segments = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        segments.add_field("id", DataType.INT64, is_primary=True)
        segments.add_field("embedding", DataType.FLOAT_VECTOR, dim=spec.dim)
        segments.add_field("video_id", DataType.INT64)
        segments.add_field("start", DataType.FLOAT)
        segments.add_field("end", DataType.FLOAT)
        videos = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        videos.add_field("id", DataType.INT64, is_primary=True)
        videos.add_field("embedding", DataType.FLOAT_VECTOR, dim=spec.dim)
        videos.add_field("path", DataType.VARCHAR, max_length=PATH_MAX)
        videos.add_field("label", DataType.VARCHAR, max_length=LABEL_MAX)
        videos.add_field("tags", DataType.JSON)
        videos.add_field("fingerprint", DataType.VARCHAR, max_length=128)
        videos.add_field("duration", DataType.FLOAT)
        with self._quiet():
            self.client.create_collection(self.segments, schema=segments, index_params=self._index_params(index),
                                          consistency_level="Strong")
            # the spec goes in at creation: Milvus 2.3 forgets properties altered later when it restarts;
            # the videos collection is made last: it is what `exists` asks for
            self.client.create_collection(
                self.collection, schema=videos, index_params=self._index_params(index), consistency_level="Strong",
                properties={META_PROPERTY: json.dumps(spec.to_json())},
            )
        self._spec, self._loaded = spec, True

    def drop(self) -> None:
        if self._client is None and self.kind == "milvus-lite" and not os.path.exists(self.location):
            return
        for name in (self.collection, self.segments):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
        self._spec, self._loaded = None, False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._client is None:
            return
        self._client.close()
        if self.kind == "milvus-lite":
            _release_lite(self.location)

    def spec(self) -> CollectionSpec:
        if self._spec is None:
            if not self.exists():
                raise EmptyLibraryError.missing(self.collection, self.location)
            props = self.client.describe_collection(self.collection).get("properties", {})
            if META_PROPERTY not in props:
                raise StoreError(f"collection {self.collection!r} in {self.location} was not made by vidsearch")
            self._spec = CollectionSpec.from_json(json.loads(props[META_PROPERTY]))
        return self._spec

    # -- rows ----------------------------------------------------------------------------------------------
    def _write(self, collection: str, rows: list[dict]) -> None:
        self._written = True
        with self._quiet():
            for i in range(0, len(rows), WRITE_ROWS):
                self.client.upsert(collection, rows[i : i + WRITE_ROWS])

    def upsert(self, entries: list[VideoEntry]) -> None:
        if not entries:
            return
        ids = [int(e.id) for e in entries]
        with self._quiet():
            self.client.delete(self.collection, ids=ids)  # no longer complete: never searchable half-written
            self.client.delete(self.segments, filter=f"video_id in {ids}")
        self._write(self.segments, [
            {"id": sid, "embedding": np.asarray(s.vector, dtype=np.float32).tolist(), "video_id": int(e.id),
             "start": float(s.start), "end": float(s.end)}
            for e in entries for sid, s in zip(segment_ids(e.id, len(e.segments)), e.segments)
        ])
        self._write(self.collection, [
            {
                "id": int(e.id),
                "embedding": np.asarray(e.vector, dtype=np.float32).tolist(),
                "path": e.path[:PATH_MAX],
                "label": e.label[:LABEL_MAX],
                "tags": {"top": [t.to_json() for t in e.tags], "labels": [t.label for t in e.tags],
                         "actions": {a.label: [round(a.score, 6), round(a.start, 3), round(a.end, 3)] for a in e.actions}},
                "fingerprint": e.fingerprint,
                "duration": float(e.duration),
            }
            for e in entries
        ])

    def flush(self, timeout: float | None = None) -> None:
        """Seals what was written and waits until the index covers every row (a server indexes lazily, and
        searches what it has not indexed yet by brute force: seconds per query at a million rows). The wait
        allows 2 minutes plus 1 s per 1,000 rows unless `timeout` says otherwise (1M x 1024: 8-13 min here).
        Once every row is indexed, rows still pending are segments compaction rewrote (re-indexed for over
        20 minutes at a million rows here): past the allowance the wait ends there, without an error."""
        for name, total in ((self.segments, self.count_segments), (self.collection, self.count)):
            with self._quiet():
                self.client.flush(name)
            total = total()
            allowed = timeout if timeout is not None else 120.0 + total / 1000
            deadline = time.monotonic() + allowed
            while True:
                info = self.client.describe_index(name, "embedding")
                covered = info.get("indexed_rows", 0) >= total
                if covered and info.get("pending_index_rows", 0) == 0:
                    break
                if time.monotonic() > deadline:
                    if covered:
                        break
                    raise StoreError(f"index of {name!r} did not cover all {total} rows within {allowed:.0f} s")
                time.sleep(0.5)
        if self.kind == "milvus-lite" and self._written:
            # Lite reports its index finished at once but keeps searching the new rows by brute force for
            # seconds (20,000 x 1024: 220-550 ms a search for ~10 s, then 24 ms): a reload serves the index now
            for name in (self.segments, self.collection):
                self._reload(name)
        self._written = False

    def _reload(self, name: str, patience: float = 120.0) -> None:
        """Releases and loads a Lite collection. Lite may still be writing an index file in the background,
        and then fails the load ("read error ... Resource temporarily unavailable"): tried again until it
        loads, for up to `patience` seconds."""
        deadline = time.monotonic() + patience
        with self._quiet():
            self.client.release_collection(name)
            while True:
                try:
                    self.client.load_collection(name)
                    return
                except MilvusException as e:
                    if time.monotonic() > deadline:
                        raise StoreError(f"Milvus Lite could not reload {name!r}: {e}") from None
                    time.sleep(0.5)

    def _search(self, collection: str, vectors: np.ndarray, k: int, fields: list[str], expr: str = "") -> list[list[dict]]:
        spec = self.spec()
        params = spec.index.search_params(k)

        def run(params: dict) -> list[list[dict]]:
            return self.client.search(
                collection, data=np.asarray(vectors, dtype=np.float32).tolist(), limit=k, anns_field="embedding",
                output_fields=fields, filter=expr, search_params={"metric_type": spec.index.metric, "params": params},
                **READ,
            )

        found = run(params)
        if expr and params and any(len(hits) < k for hits in found):  # the probed clusters held too few matches
            found = run({"nprobe": spec.index.nlist} if "nprobe" in params else {"ef": max(params["ef"], 4 * k)})
        return found

    def _admitted_ids(self, where: VideoFilter) -> list[int]:
        return [r["id"] for r in self._query(self.collection, filter_expr(where), ["id"])]

    def _query(self, collection: str, expr: str, fields: list[str]) -> list[dict]:
        """Every row the expression admits (a query iterator: no limit on how many)."""
        rows: list[dict] = []
        iterator = self.client.query_iterator(collection, batch_size=4096, filter=expr, output_fields=fields, **READ)
        try:
            while batch := iterator.next():
                rows += batch
        finally:
            iterator.close()
        return rows

    def search_segments(self, vectors: np.ndarray, k: int, where: VideoFilter | None = None) -> list[list[SegmentHit]]:
        expr = ""
        if where:  # segments carry only their video's id: the videos the filter admits, then their segments
            ids = self._admitted_ids(where)
            if not ids:
                return [[] for _ in vectors]
            expr = f"video_id in {ids}"
        return [[SegmentHit(int(h["entity"]["video_id"]), float(h["entity"]["start"]), float(h["entity"]["end"]),
                            float(h["distance"])) for h in hits]
                for hits in self._search(self.segments, vectors, k, ["video_id", "start", "end"], expr)]

    def rank_action(self, label: str, k: int, where: VideoFilter | None = None) -> list[ActionHit]:
        action = f'tags["actions"][{quote(label)}]'
        expr = " and ".join(f"({e})" for e in (f"exists {action}", filter_expr(where)) if e)
        found = []
        for r in self._query(self.collection, expr, ["id", "path", "label", "tags"]):
            score, start, end = r["tags"]["actions"][label]
            found.append(ActionHit(int(r["id"]), r["path"], r["label"], float(score), float(start), float(end)))
        return sorted(found, key=lambda h: (-h.score, h.id))[:k]

    def get(self, ids: list[int], vectors: bool = True) -> list[VideoEntry]:
        if not ids:
            return []
        fields = OUTPUT_FIELDS + (["embedding"] if vectors else [])
        rows = self.client.get(self.collection, ids=[int(i) for i in ids], output_fields=fields, **READ)
        return [
            VideoEntry(
                id=int(r["id"]),
                path=r["path"],
                label=r["label"],
                vector=np.asarray(r.get("embedding", ()), dtype=np.float32),
                tags=[Tag.from_json(t) for t in (r.get("tags") or {}).get("top", [])],
                actions=[Action(label, *moment) for label, moment in (r.get("tags") or {}).get("actions", {}).items()],
                fingerprint=r.get("fingerprint", ""),
                duration=float(r.get("duration") or 0.0),
            )
            for r in rows
        ]

    def segments_of(self, ids: list[int]) -> dict[int, list[Segment]]:
        found: dict[int, list[Segment]] = {}
        for i in range(0, len(ids), 100):
            rows = self._query(self.segments, f"video_id in {[int(v) for v in ids[i : i + 100]]}",
                               ["video_id", "start", "end", "embedding"])
            for r in rows:
                found.setdefault(int(r["video_id"]), []).append(
                    Segment(float(r["start"]), float(r["end"]), np.asarray(r["embedding"], np.float32)))
        return {v: sorted(segments, key=lambda s: s.start) for v, segments in found.items()}

    def catalogue(self) -> dict[int, Listing]:
        if not self.exists():
            return {}
        return {int(r["id"]): Listing(r["path"], r["label"], r["fingerprint"])
                for r in self._query(self.collection, "id >= 0", ["path", "label", "fingerprint"])}

    def delete(self, ids: list[int]) -> int:
        ids = [int(i) for i in ids]
        present = [e.id for e in self.get(ids)]
        if ids:
            self._written = True
            self.client.delete(self.collection, ids=ids)
            self.client.delete(self.segments, filter=f"video_id in {ids}")  # and any left by a killed run
        return len(present)

    def _count(self, collection: str) -> int:
        if not self.exists():
            return 0
        rows = self.client.query(collection, filter="", output_fields=["count(*)"], **READ)
        return int(rows[0]["count(*)"])

    def count(self) -> int:
        return self._count(self.collection)

    def count_segments(self) -> int:
        return self._count(self.segments) if self.client.has_collection(self.segments) else 0
