"""The vector store interface every backend implements, and the records that cross it."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field

import numpy as np

from ..tags import Action, Tag


class StoreError(RuntimeError):
    """A store problem a user can act on; the message says what to do."""


class EmptyLibraryError(StoreError):
    """The collection holds no video, or does not exist yet: there is nothing to search."""

    @classmethod
    def missing(cls, collection: str, location: str) -> "EmptyLibraryError":
        return cls(f"no collection {collection!r} in {location}: index some videos first")


class StoreLockedError(StoreError):
    """An embedded database is held by another process."""


class IndexSaveError(StoreError):
    """A saved index (a cache of what is stored) could not be written; everything written is committed."""

    def __init__(self, message: str, file: str):
        super().__init__(message)
        self.file = file


class IndexConfigError(StoreError, ValueError):
    """Index parameters no backend (or not this backend) can build: refused before anything is written."""


INDEX_TYPES = ("FLAT", "IVF_FLAT", "IVF_SQ8", "HNSW", "SCANN")  # every type some backend can build and reload
METRICS = ("L2",)  # vectors are unit length; distances are documented as squared L2
MAX_NLIST = 65536
DEFAULT_NPROBE = 32


MAX_K = 16384  # Milvus' largest top-k


def check_k(k: int) -> int:
    """Raises ValueError unless 1 <= k <= MAX_K: checked before a query is decoded or embedded."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer from 1 to {MAX_K}, not {k!r}")
    return k


@dataclass
class IndexConfig:
    """The one place index parameters are decided (tutorial: IVF_FLAT, L2, nlist 400)."""

    index_type: str = "IVF_FLAT"
    metric: str = "L2"
    nlist: int = 400
    nprobe: int | None = None  # None: 32, or every list when there are fewer (IndexConfig(nlist=16) searches 16)
    m: int = 16  # HNSW graph degree
    ef_construction: int = 200  # HNSW build-time breadth
    ef: int = 64  # HNSW search-time breadth (raised to k when k is larger)

    def __post_init__(self):
        if self.nprobe is None:
            self.nprobe = min(DEFAULT_NPROBE, self.nlist) if isinstance(self.nlist, int) and self.nlist > 0 else DEFAULT_NPROBE

    def validate(self, supported: tuple[str, ...] = INDEX_TYPES) -> "IndexConfig":
        """Raises IndexConfigError for a type or parameter `supported` backends cannot build; returns self."""
        if self.index_type not in supported:
            raise IndexConfigError(f"index type {self.index_type!r} is not supported here; "
                                   f"choose one of {', '.join(supported)}")
        if self.metric not in METRICS:
            raise IndexConfigError(f"metric {self.metric!r} is not supported; choose one of {', '.join(METRICS)}")
        checks = [("nlist", self.nlist, 1, MAX_NLIST), ("nprobe", self.nprobe, 1, self.nlist),
                  ("M", self.m, 2, 2048), ("efConstruction", self.ef_construction, 1, 1 << 20),
                  ("ef", self.ef, 1, 1 << 20)]
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise IndexConfigError(f"{name} must be an integer from {low} to {high}, not {value!r}")
        return self

    def build_params(self) -> dict:
        if self.index_type in ("IVF_FLAT", "IVF_SQ8", "SCANN"):
            return {"nlist": self.nlist}
        if self.index_type == "HNSW":
            return {"M": self.m, "efConstruction": self.ef_construction}
        return {}

    def search_params(self, k: int) -> dict:
        if self.index_type in ("IVF_FLAT", "IVF_SQ8", "SCANN"):
            return {"nprobe": self.nprobe}
        if self.index_type == "HNSW":
            return {"ef": max(self.ef, k)}
        return {}


@dataclass
class Segment:
    """One window of a video as stored: where it lies (seconds) and its vector."""

    start: float
    end: float
    vector: np.ndarray


@dataclass
class VideoEntry:
    """One video as stored: its whole-video vector (the normalised mean of its segments' vectors), what
    describes it, and (when written) its segments. Reading a video back leaves `segments` empty."""

    id: int
    path: str
    label: str
    vector: np.ndarray
    tags: list[Tag] = field(default_factory=list)  # the model's top classes, best first
    fingerprint: str = ""
    duration: float = 0.0
    segments: list[Segment] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)  # each class's best window (find-action), best first


def segment_ids(video_id: int, count: int) -> list[int]:
    """Stable 63-bit ids for a video's segments: re-writing a video after a crash hits the same rows."""
    return [int.from_bytes(hashlib.blake2b(f"{video_id}:{i}".encode(), digest_size=8).digest(), "big") >> 1
            for i in range(count)]


@dataclass(frozen=True)
class VideoFilter:
    """Which videos a search may return; every condition set must hold. Backends push it into the search
    itself (a Milvus filter expression), so a filtered search still returns k results when k videos match.
    `matches` is the meaning every backend is tested against."""

    label: str | None = None
    tag: str | None = None  # a Kinetics class among the video's tags (the top classes shown with it)
    min_duration: float | None = None  # seconds
    max_duration: float | None = None
    path_prefix: str | None = None  # the path as indexed (absolute) starts with this; a relative one is from here

    def __post_init__(self):
        for name in ("min_duration", "max_duration"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0 <= value < float("inf")):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
        if self.min_duration is not None and self.max_duration is not None and self.min_duration > self.max_duration:
            raise ValueError(f"min_duration {self.min_duration:g} is above max_duration {self.max_duration:g}")
        for name in ("label", "tag", "path_prefix"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value or not value.isprintable()):
                raise ValueError(f"{name} must be a non-empty string of printable characters, not {value!r}")
        if self.path_prefix is not None and not os.path.isabs(self.path_prefix):  # indexed paths are absolute
            object.__setattr__(self, "path_prefix", os.path.join(os.getcwd(), self.path_prefix))

    def __bool__(self) -> bool:
        return any(getattr(self, name) is not None for name in self.__dataclass_fields__)

    def matches(self, entry: "VideoEntry") -> bool:
        return ((self.label is None or entry.label == self.label)
                and (self.tag is None or any(t.label == self.tag for t in entry.tags))
                and (self.min_duration is None or entry.duration >= self.min_duration)
                and (self.max_duration is None or entry.duration <= self.max_duration)
                and (self.path_prefix is None or entry.path.startswith(self.path_prefix)))

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if getattr(self, name) is not None}


@dataclass
class ActionHit:
    """A video ranked by one class: its best window's probability of that class, and where that window lies."""

    id: int
    path: str
    label: str
    score: float
    start: float
    end: float

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "label": self.label, "score": round(self.score, 6)}


@dataclass
class SegmentHit:
    """A segment found by a search: its video (not yet checked to be complete) and where it lies."""

    video_id: int
    start: float
    end: float
    distance: float


@dataclass(frozen=True)
class Listing:
    """A row without its vector: what incremental ingest, evaluation and removal by path need."""

    path: str
    label: str
    fingerprint: str


@dataclass
class CollectionSpec:
    """What a collection is made with; `meta` (model, frames, projection, ...) is stored beside it."""

    dim: int
    index: IndexConfig = field(default_factory=IndexConfig)
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"dim": self.dim, "index": asdict(self.index), "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict) -> "CollectionSpec":
        return cls(dim=int(data["dim"]), index=IndexConfig(**data.get("index", {})), meta=data.get("meta", {}))


class VectorStore(ABC):
    """A named collection of videos and their segments, both searchable by vector. Backends: `open_store`.

    Writing a video replaces it whole: its old row goes first, then its old segments, then the new segments
    are written and its row last. A video row is the mark of a complete video: segments without one (a run
    killed part-way) are never returned as a video, and the next write of that video replaces them.
    """

    kind: str
    location: str
    index_types: tuple[str, ...] = INDEX_TYPES  # what this backend can build and reload after a restart

    def check_index(self, config: IndexConfig) -> IndexConfig:
        """Refuses, before any work, an index this backend cannot build (IndexConfigError)."""
        try:
            return config.validate(self.index_types)
        except IndexConfigError as e:
            raise IndexConfigError(f"{e} (backend {self.kind})") from None

    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def create(self, spec: CollectionSpec) -> None: ...

    @abstractmethod
    def spec(self) -> CollectionSpec: ...

    @abstractmethod
    def upsert(self, entries: list[VideoEntry]) -> None:
        """Writes videos with their segments, each replacing any earlier version of it whole."""

    @abstractmethod
    def search_segments(self, vectors: np.ndarray, k: int, where: VideoFilter | None = None) -> list[list[SegmentHit]]:
        """The k nearest segments to each query vector, among the segments of the videos `where` admits (with
        no filter, their videos may be incomplete: check with `get`)."""

    @abstractmethod
    def rank_action(self, label: str, k: int, where: VideoFilter | None = None) -> list[ActionHit]:
        """The k videos whose best window gives class `label` the highest probability, best first (videos
        where no window kept the class are not ranked)."""

    @abstractmethod
    def count_segments(self) -> int: ...

    @abstractmethod
    def get(self, ids: list[int], vectors: bool = True) -> list[VideoEntry]:
        """The video rows of these ids that exist; `vectors=False` leaves `vector` empty (cheaper: search)."""

    @abstractmethod
    def segments_of(self, ids: list[int]) -> dict[int, list[Segment]]:
        """The stored segments (vectors included) of these videos, in time order: what `migrate` copies."""

    @abstractmethod
    def catalogue(self) -> dict[int, Listing]:
        """id -> Listing of every row."""

    @abstractmethod
    def delete(self, ids: list[int]) -> int:
        """Removes videos and all their segments; returns how many videos were there."""

    @abstractmethod
    def count(self) -> int: ...

    def drop(self) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Makes everything written so far durable and fully indexed (a no-op where it already is)."""

    def claim(self) -> None:
        """Reserves the database for this process's writes before it decides anything from what is stored
        (the embedded store takes its lock, creating the database); a no-op where the backend serialises
        writers itself."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
