"""The vector store interface every backend implements, and the records that cross it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field

import numpy as np


class StoreError(RuntimeError):
    """A store problem a user can act on; the message says what to do."""


class StoreLockedError(StoreError):
    """An embedded database is held by another process."""


@dataclass
class IndexConfig:
    """The one place index parameters are decided (tutorial: IVF_FLAT, L2, nlist 400)."""

    index_type: str = "IVF_FLAT"
    metric: str = "L2"
    nlist: int = 400
    nprobe: int = 32

    def build_params(self) -> dict:
        return {"nlist": self.nlist} if self.index_type.startswith("IVF") else {}


@dataclass
class VideoEntry:
    """One video as stored: its vector (already reduced and normalised) and what describes it."""

    id: int
    path: str
    label: str
    vector: np.ndarray
    tags: list[dict] = field(default_factory=list)  # [{"label": str, "score": float}], best first
    fingerprint: str = ""


@dataclass(frozen=True)
class Listing:
    """A row without its vector: what incremental ingest, evaluation and removal by path need."""

    path: str
    label: str
    fingerprint: str


@dataclass
class Hit:
    id: int
    path: str
    label: str
    distance: float  # squared L2 between normalised vectors (= 2 - 2·cosine)
    tags: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "label": self.label, "distance": self.distance}


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
    """A named collection of VideoEntry rows searchable by vector. Backends: see `store.open_store`."""

    kind: str
    location: str

    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def create(self, spec: CollectionSpec) -> None: ...

    @abstractmethod
    def spec(self) -> CollectionSpec: ...

    @abstractmethod
    def upsert(self, entries: list[VideoEntry]) -> None: ...

    @abstractmethod
    def search(self, vectors: np.ndarray, k: int) -> list[list[Hit]]: ...

    @abstractmethod
    def get(self, ids: list[int]) -> list[VideoEntry]: ...

    @abstractmethod
    def catalogue(self) -> dict[int, Listing]:
        """id -> Listing of every row."""

    @abstractmethod
    def delete(self, ids: list[int]) -> int: ...

    @abstractmethod
    def count(self) -> int: ...

    def drop(self) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Makes everything written so far durable and fully indexed (a no-op where it already is)."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
