"""A collection's lifecycle: what it is made with (its spec: model, windows, projection, index), creating
it (fitting the projection when it needs the library), adding videos (their segments and their row, as one)
and reading them back.

It knows stores and the reduction; nothing of ingest, the engine or the CLI. The spec is stored with the
collection, so every process decodes and projects queries exactly as the library was.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from . import config
from .config import ReduceConfig
from .model import TimedEmbedding
from .model.features import LEGACY_FEATURE
from .model.stream import LEGACY_CONTEXT
from .reduce import Projection, ProjectionMismatchError, check_reduction, fit_projection, l2_normalise
from .sources import SourceItem
from .store import CollectionSpec, IndexConfig, IndexSaveError, Listing, Segment, StoreError, VectorStore, VideoEntry, VideoFilter
from .tags import WINDOW_CLASSES, Action, Tag, best_moments, merge_tags
from .video import DecodeOptions

log = logging.getLogger("vidsearch.collection")
LAYOUT = 2  # 1: one vector per video (vidsearch 0.1); 2: segments + videos
LEGACY_CROP = {"size": 224, "short_side": 256}  # the network's input in every collection made before it was recorded


@dataclass(frozen=True)
class CollectionMeta:
    """What a collection records of how it was made: the JSON of `CollectionSpec.meta`, read and written here
    only. A field that a collection made by an older vidsearch lacks reads as what that version did."""

    model: str
    frames: int  # per window
    fps: float  # frames a second inside a window
    stride: float  # seconds between windows (0: one vector per video)
    projection_json: dict  # parsed when first asked for (`projection`): a matrix can be megabytes
    crop: int = LEGACY_CROP["size"]
    short_side: int = LEGACY_CROP["short_side"]
    feature: str = LEGACY_FEATURE
    context: str = LEGACY_CONTEXT
    precision: str | None = None  # what the library was embedded with (queries may differ)
    action_classes: int | None = None  # class scores stored per window (None: before 0.3, no find-action)
    layout: int = LAYOUT

    @classmethod
    def from_json(cls, meta: dict) -> "CollectionMeta":
        windows, crop = meta["segments"], meta.get("crop", LEGACY_CROP)
        return cls(model=meta.get("model", ""), frames=int(windows["frames"]), fps=float(windows["fps"]),
                   stride=float(windows["stride"]), projection_json=meta["projection"],
                   crop=int(crop["size"]), short_side=int(crop["short_side"]),
                   feature=meta.get("feature", LEGACY_FEATURE), context=meta.get("context", LEGACY_CONTEXT),
                   precision=meta.get("precision"), action_classes=meta.get("actions"), layout=meta.get("layout"))

    def to_json(self) -> dict:
        meta = {"model": self.model, "layout": self.layout, "num_frames": self.frames,
                "segments": {"frames": self.frames, "fps": self.fps, "stride": self.stride},
                "precision": self.precision, "crop": {"size": self.crop, "short_side": self.short_side},
                "projection": self.projection_json, "feature": self.feature, "context": self.context}
        if self.action_classes is not None:
            meta["actions"] = self.action_classes
        return meta

    @functools.cached_property
    def projection(self) -> Projection:
        return Projection.from_json(self.projection_json)

    def decode_options(self, base: DecodeOptions) -> DecodeOptions:
        """`base` with this collection's windows and crop: queries are cut like the library."""
        return replace(base, num_frames=self.frames, window_fps=self.fps, stride=self.stride, size=self.crop,
                       short_side=self.short_side)


@dataclass(frozen=True)
class CollectionInfo:
    """What a collection holds and how it was made (`vidsearch info`, GET /api/stats); `to_json` is the JSON."""

    collection: str
    db: str
    backend: str
    count: int  # videos
    segments: int  # windows, one vector each
    dim: int
    model: str
    feature: str  # the I3D blocks a vector is made of
    context: str  # how windows were embedded: window | stream
    frames: int  # per window
    fps: float  # frames a second inside a window
    stride: float  # seconds between windows (0: one vector per video)
    crop: int  # the network's input side, pixels
    short_side: int  # frames resized to this before the crop
    index: IndexConfig
    reduction: str  # none | random | pca
    centred: bool

    def to_json(self) -> dict:
        return {
            "count": self.count, "segments": self.segments,
            "segment_params": {"frames": self.frames, "fps": self.fps, "stride": self.stride},
            "crop": {"size": self.crop, "short_side": self.short_side},
            "dim": self.dim, "model": self.model, "feature": self.feature, "context": self.context,
            "index": {"type": self.index.index_type, "metric": self.index.metric, "nlist": self.index.nlist,
                      "nprobe": self.index.nprobe},
            "db": self.db, "backend": self.backend, "collection": self.collection, "num_frames": self.frames,
            "reduction": {"method": self.reduction, "centred": self.centred},
        }


class ModelInfo(Protocol):
    """What a collection records of the model that embeds it (an Embedder has these)."""

    name: str
    dim: int
    precision: str


@dataclass
class Embedded:
    """A video embedded window by window, ready to be stored."""

    item: SourceItem
    windows: list[TimedEmbedding]
    fingerprint: str
    duration: float = 0.0

    @property
    def tags(self) -> list[Tag]:
        return merge_tags([w.embedding.tags for w in self.windows])

    @property
    def actions(self) -> list[Action]:
        return best_moments([(w.start, w.end, w.embedding.tags) for w in self.windows])

    def features(self) -> np.ndarray:
        return np.stack([w.embedding.vector for w in self.windows])


class Collection:
    """One named collection of a store, with the settings a NEW collection is made with (an existing one keeps
    its own: its spec wins)."""

    def __init__(self, store: VectorStore, index: IndexConfig, reduce: ReduceConfig, decode: DecodeOptions):
        self.store, self.index, self.reduce, self.decode = store, index, reduce, decode
        self._meta: tuple[CollectionSpec, CollectionMeta] | None = None

    @property
    def name(self) -> str:
        return self.store.collection

    @property
    def location(self) -> str:
        return self.store.location

    # -- what it is made with ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.store.exists()

    def spec(self) -> CollectionSpec:
        """The stored spec; a collection made by an older vidsearch (one vector per video) is refused."""
        spec = self.store.spec()
        if spec.meta.get("layout") != LAYOUT:
            raise StoreError(f"collection {self.name!r} in {self.location} was made by an older vidsearch (one "
                             f"vector per video, no segments): index the videos again into a new collection "
                             f"(vidsearch --collection NEW index SOURCE), or into a new --db")
        return spec

    def meta(self) -> CollectionMeta:
        """How the collection was made, typed (decoded once per stored spec)."""
        spec = self.spec()
        if self._meta is None or self._meta[0] is not spec:
            self._meta = (spec, CollectionMeta.from_json(spec.meta))
        return self._meta[1]

    def check_filter(self, where: VideoFilter | None) -> None:
        """A tag filter needs class scores stored with every video (vidsearch 0.3 and later)."""
        if where is not None and where.tag is not None:
            self.check_actions()

    def check_actions(self) -> None:
        if self.meta().action_classes is None:
            raise StoreError(f"collection {self.name!r} in {self.location} was indexed before vidsearch stored class "
                             f"scores (0.3): tag filters and find-action need them; index the videos again into a "
                             f"new collection (vidsearch --collection NEW index SOURCE)")

    def projection(self) -> Projection:
        return self.meta().projection

    def project(self, features: np.ndarray) -> np.ndarray:
        try:
            return self.projection().apply(features)
        except ProjectionMismatchError as e:
            raise StoreError(f"{e}; re-index the collection with this model") from e

    def decode_options(self) -> DecodeOptions:
        """The collection's own windows win over the settings: queries must be cut like the library."""
        return self.meta().decode_options(self.decode) if self.exists() else self.decode

    def feature(self, default: str | None) -> str | None:
        """The I3D feature the collection's vectors hold (queries must be embedded the same way); `default`
        for a collection still to be made. One made before features were recorded holds Mixed_5c."""
        return self.meta().feature if self.exists() else default

    def context(self, default: str | None) -> str | None:
        """How the collection's windows were embedded (`model/stream.py`): 'stream' (from one pass over the
        video) or 'window' (each alone: every collection made before 0.6); `default` for one still to be made."""
        return self.meta().context if self.exists() else default

    def check_model(self, model: ModelInfo) -> None:
        """A model that embeds another feature, or windows another way, than the collection holds would make
        its searches meaningless."""
        for what, option, ours, theirs in (("the I3D feature", "--feature", self.feature(None), getattr(model, "feature", None)),
                                           ("windows embedded with context", "--context", self.context(None),
                                            getattr(model, "context", None))):
            if None not in (ours, theirs) and ours != theirs:
                raise StoreError(f"collection {self.name!r} in {self.location} holds {what} {ours}, this model "
                                 f"embeds {theirs}: use {option} {ours} (or leave {option} out)")

    # -- creating it ---------------------------------------------------------------------------------------
    def check_new(self, model_dim: int) -> None:
        """For a collection still to be made: refuses an index or reduction it could not be made with."""
        if not self.exists():
            self.store.check_index(self.index)
            check_reduction(model_dim, self.reduce.dim, self.reduce.method)

    def fit_size(self) -> int:
        """How many videos creating it waits for (0: created at once, rows stream in)."""
        return 0 if self.exists() else self.reduce.fit_size()

    def min_first_index(self) -> int:
        """The fewest videos a first index may have (PCA needs its dimension, explicit centring 2)."""
        if self.reduce.method == "pca":
            return max(self.reduce.dim or 0, 2)
        return 2 if self.reduce.centre else 0

    def create(self, model: ModelInfo, first: list[Embedded] | None) -> CollectionSpec:
        """Makes the collection, fitting the projection on the segments of `first` (the first videos) where it
        needs them. Centring by default only when they are at least CENTRE_MIN_VIDEOS videos (fewer give too
        noisy a mean)."""
        r = self.reduce
        centre = r.centre if r.centre is not None else bool(first) and len(first) >= config.CENTRE_MIN_VIDEOS
        features = np.concatenate([e.features() for e in first]) if first else None
        projection = fit_projection(features, model.dim, r.dim, r.method, centre, r.seed)
        d = self.decode
        meta = CollectionMeta(model=model.name, frames=d.num_frames, fps=d.window_fps, stride=d.stride,
                              projection_json=projection.to_json(), crop=d.size, short_side=d.short_side,
                              feature=getattr(model, "feature", None) or LEGACY_FEATURE,
                              context=getattr(model, "context", None) or LEGACY_CONTEXT, precision=model.precision,
                              action_classes=WINDOW_CLASSES)
        spec = CollectionSpec(dim=projection.output_dim, index=self.index, meta=meta.to_json())
        self.store.create(spec)
        return spec

    # -- rows ----------------------------------------------------------------------------------------------
    def add(self, rows: list[Embedded]) -> list[VideoEntry]:
        """Projects and writes videos with their segments, each replacing any earlier version of it whole;
        a video's own vector is the normalised mean of its segments'. Returns what was stored."""
        if not rows:
            return []
        entries = []
        for r in rows:
            vectors = self.project(r.features())
            segments = [Segment(w.start, w.end, v) for w, v in zip(r.windows, vectors)]
            entries.append(VideoEntry(r.item.id, str(r.item.path.resolve()), r.item.label,
                                      l2_normalise(vectors.mean(0)), r.tags, r.fingerprint, r.duration, segments,
                                      r.actions))
        self.store.upsert(entries)
        return entries

    def flush(self) -> None:
        self.store.flush()

    def get(self, video_id: int) -> VideoEntry | None:
        entries = self.store.get([video_id]) if self.exists() else []
        return entries[0] if entries else None

    def count(self) -> int:
        return self.store.count() if self.exists() else 0

    def catalogue(self) -> dict[int, Listing]:
        return self.store.catalogue() if self.exists() else {}

    def labels(self) -> dict[str, set[int]]:
        """Library ids by label (evaluation's ground truth); StoreError when there is no collection."""
        self.spec()
        by_label: dict[str, set[int]] = {}
        for video_id, listing in self.store.catalogue().items():
            by_label.setdefault(listing.label, set()).add(video_id)
        return by_label

    def remove(self, targets: list[int | str | Path]) -> int:
        """Deletes by id, or by path (as indexed, resolved); StoreError when there is no collection."""
        self.spec()
        paths = {str(Path(t).resolve()) for t in targets if not isinstance(t, int)}
        ids = [t for t in targets if isinstance(t, int)]
        if paths:
            ids += [i for i, row in self.store.catalogue().items() if row.path in paths]
        removed = self.store.delete(ids)
        try:
            self.store.flush()
        except IndexSaveError as e:  # the rows are gone for good; the index is rebuilt from them next time
            log.warning("%s", e)
        return removed

    def drop(self) -> None:
        self.store.drop()
        self._meta = None

    def info(self) -> CollectionInfo:
        spec, meta = self.spec(), self.meta()
        return CollectionInfo(
            collection=self.name, db=self.store.location, backend=self.store.kind, count=self.store.count(),
            segments=self.store.count_segments(), dim=spec.dim, model=meta.model, feature=meta.feature,
            context=meta.context, frames=meta.frames, fps=meta.fps, stride=meta.stride, crop=meta.crop,
            short_side=meta.short_side, index=spec.index, reduction=meta.projection_json.get("method", "none"),
            centred=meta.projection_json.get("mean") is not None)

    def close(self) -> None:
        self.store.close()
