"""VideoSearch: the one object the CLI, the web server and notebooks talk to. It assembles the pieces
(store → collection, embedder, ingest) and is the only facade they use."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .collection import Collection, CollectionInfo, Embedded
from .config import IngestConfig, Settings
from .ingest import FailurePolicy, IndexReport, IngestEvents, add_embedded, embed_windows, run_ingest
from .ingest.distributed import Given, RayIngest
from .migrate import MigrationReport, migrate
from .model import TimedEmbedding
from .model.features import Feature
from .model.stream import parse_context
from .model.labels import kinetics400_labels
from .retrieval.actions import ActionResult, resolve_action
from .retrieval.duplicates import DEFAULT_MIN_OVERLAP, MAX_RATIO, PROPOSAL_RATIO, DuplicateReport, find_duplicates
from .retrieval.search import COPY_THRESHOLD, VideoMatch, check_per_video, find, frames_check, merge_matches
from .sources import SourceItem, read_source, shown
from .store import EmptyLibraryError, VectorStore, VideoEntry, VideoFilter, check_k, open_store
from .tags import Tag, merge_tags
from .video import DecodeOptions, read_windows
from .video.footage import FootageReader, compare
from .video.inner_picture import inner_picture
from .video.transform import Region
from .video.information import informative_windows

if TYPE_CHECKING:  # the network (PyTorch) is loaded when a command first embeds, not on import
    from .model import Embedder


@dataclass
class SearchResult:
    query: str
    results: list[VideoMatch]
    tags: list[Tag]
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"query": self.query, "results": [h.to_json() for h in self.results],
                "tags": [t.to_json() for t in self.tags]}


GPU_BATCH = 16  # clips per forward pass on a GPU; the CPU is saturated by 4


class VideoSearch:
    """Index videos and find the most similar ones. `VideoSearch(db=...).index(source)`, `.search(path)`."""

    def __init__(self, db: str | None = None, collection: str | None = None, settings: Settings | None = None,
                 embedder: Embedder | None = None, store: VectorStore | None = None):
        settings = settings or Settings()
        overrides = {k: v for k, v in (("db", db), ("collection", collection)) if v is not None}
        self.settings = replace(settings, **overrides)
        self._embedder, self._model_checked = embedder, False
        store = store or open_store(self.settings.db, self.settings.collection, self.settings.token)
        self.collection = Collection(store, self.settings.index, self.settings.reduce, self.settings.decode)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from .model import Embedder

            self._embedder = Embedder(self.settings.precision, self.settings.top_k_tags, device=self.settings.device,
                                      feature=self.feature(), context=self.context())
        elif not self._model_checked and self.collection.exists():  # a model handed in must fit the collection
            self.collection.check_model(self._embedder)
            self._model_checked = True
        return self._embedder

    def feature(self) -> str:
        """The I3D feature videos and queries are embedded into: the collection's own once it exists (queries
        must match the library), else the settings' (`model/features.py`)."""
        return self.collection.feature(Feature.parse(self.settings.feature).name)

    def context(self) -> str:
        """How windows are embedded: the collection's own way once it exists, else the settings'
        (`model/stream.py`)."""
        return self.collection.context(parse_context(self.settings.context))

    @property
    def store(self) -> VectorStore:
        """The backend itself, for tests and tools; everything else goes through this facade."""
        return self.collection.store

    @property
    def location(self) -> str:
        return self.collection.location

    def decode_options(self) -> DecodeOptions:
        return self.collection.decode_options()

    def ingest_config(self) -> IngestConfig:
        """The settings' ingest config, with batches of at least GPU_BATCH clips where the model runs on a GPU
        (the settings themselves are left as given)."""
        config = self.settings.ingest
        if getattr(self.embedder, "device", "cpu") == "cuda" and config.batch_size < GPU_BATCH:
            return replace(config, batch_size=GPU_BATCH)
        return config

    def embed(self, path: str | Path, region: Region | None = None) -> list[TimedEmbedding]:
        """A query's windows, cut like the library's (of `region` of its picture only, when given), embedded."""
        options = self.decode_options()
        windows, _ = read_windows(path, options, region)
        return embed_windows(self.embedder, windows, self.ingest_config().batch_size, options)

    def embed_inner(self, path: str | Path, windows: list[TimedEmbedding]) -> list[TimedEmbedding] | None:
        """The windows of the picture shown inside the query's frame (a picture-in-picture, a 9:16 reframe:
        video/inner_picture.py), embedded; None when it shows none. `windows`: the query's own."""
        region = inner_picture(str(path), max(w.end for w in windows)) if windows else None
        return None if region is None else self.embed(path, region)

    # -- indexing ----------------------------------------------------------------------------------------
    def claim(self) -> None:
        """Holds the database for this process's writes from now on (creating it if needed): `index` does it
        before it looks at what is stored, the web server when it starts. A second process that wants to write
        an embedded database is then refused at once, in one line, instead of both writing."""
        self.store.claim()

    def check_index_settings(self) -> None:
        """Everything `index` will need, checked before any video is decoded (ValueError / StoreError)."""
        self.settings.ingest.validate()
        self.collection.check_new(self._embedder.dim if self._embedder else Feature.parse(self.feature()).dim)

    def index(self, source: str | Path | list[SourceItem], progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None, strict: bool = False, prune: bool = False,
              ray: str | None = None, ray_actors: int | None = None) -> IndexReport:
        """Adds (or updates) every video of `source`; bad videos are reported in the result, not raised.

        Unchanged videos already in the collection are skipped, changed ones replaced; `prune` also removes
        entries whose files are gone; `strict` stops at the first failure (StrictModeError). `ray`: decode and
        embed on Ray ("" starts a local runtime, an address joins a cluster), `ray_actors` models at once
        (default: the cluster's CPUs / 2); everything else is the same.
        """
        self.check_index_settings()
        self.claim()
        items = read_source(source) if not isinstance(source, list) else source
        events = IngestEvents(**{name: f for name, f in (("on_plan", on_plan), ("on_progress", progress)) if f})
        if ray is None:
            return run_ingest(items, self.collection, self.embedder, self.decode_options(), self.ingest_config(),
                              FailurePolicy(strict), events, prune_missing=prune)
        from .model import Embedder

        make = Given(self._embedder) if self._embedder is not None else functools.partial(
            Embedder, self.settings.precision, self.settings.top_k_tags, device="cpu", feature=self.feature(),
            context=self.context())
        cluster = RayIngest(make, self.decode_options(), self.settings.ingest.batch_size, ray or None, ray_actors)
        try:
            return run_ingest(items, self.collection, cluster.describe(), self.decode_options(), self.settings.ingest,
                              FailurePolicy(strict), events, prune_missing=prune, stream=cluster.stream)
        finally:
            cluster.close()

    def add_embeddings(self, rows: list[Embedded]) -> IndexReport:
        """Stores already embedded videos (evaluation and benchmarks embed once, index many ways)."""
        self.check_index_settings()
        self.claim()
        report = IndexReport(total=len(rows))
        add_embedded(self.collection, self.embedder, [rows], report, self.settings.ingest.insert_batch,
                     report.failed.append)
        return report

    # -- querying ----------------------------------------------------------------------------------------
    def search(self, path: str | Path, k: int = 10, per_video: int = 3, where: VideoFilter | None = None,
               copies_only: bool = False, expand: int = 0, alpha: float = 0.0) -> SearchResult:
        """The k most similar videos, each with up to `per_video` intervals where the query matches it, among
        the videos `where` admits (label, tag, duration, path prefix); each says whether the query is a copy of
        its footage (decided on the frames: `search_embedding`), and `copies_only` keeps only those.
        `expand`/`alpha`: query expansion (`search_embedding`)."""
        start = time.perf_counter()
        check_k(k)
        check_per_video(per_video)
        self.collection.projection()  # fails fast, before decoding: no collection, or one of an older vidsearch
        self.require_videos()
        self.collection.check_filter(where)
        windows = self.embed(path)
        result = self.search_embedding(windows, k, query=shown(path), per_video=per_video, where=where,
                                       copies_only=copies_only, expand=expand, alpha=alpha, frames_of=path,
                                       inner=self.embed_inner(path, windows))
        result.seconds = time.perf_counter() - start
        return result

    def search_embedding(self, windows: list[TimedEmbedding], k: int = 10, query: str = "",
                         per_video: int = 3, where: VideoFilter | None = None, copies_only: bool = False,
                         expand: int = 0, alpha: float = 0.0, frames_of: str | Path | None = None,
                         inner: list[TimedEmbedding] | None = None) -> SearchResult:
        """Search with an already embedded query (evaluation reuses one embedding across collections);
        `expand`: query expansion with that many nearest segments, weighted by similarity**`alpha` (off by
        default: no gain beyond the noise on the dev benchmark, docs/measured.md "Quality"). `frames_of`: the query's
        file, whose frames are compared with a result's to decide whether it is a copy (without it, or where
        a result's file is gone, the vectors decide alone: docs/copies.md). `inner`: the windows of the picture
        inside the query's frame (`embed_inner`), searched too; each video is kept as the search that found it
        a copy, or nearer, found it."""
        check_k(k)
        check_per_video(per_video)
        self.collection.check_filter(where)
        tags = merge_tags([w.embedding.tags for w in windows], self.settings.top_k_tags)
        check = None
        if frames_of is not None and windows:  # one reader: the query's frames read once for all the results
            check = frames_check(str(frames_of), max(w.end for w in windows),
                                 functools.partial(compare, reader=FootageReader()))
        searches = [windows] + ([inner] if inner else [])
        return SearchResult(query, merge_matches([find(self.collection, w, k, per_video, where, copies_only=copies_only,
                                                       expand=expand, alpha=alpha, same_footage=check)
                                                  for w in searches], k), tags)

    def duplicates(self, threshold: float | None = None, min_overlap: float = DEFAULT_MIN_OVERLAP,
                   check_frames: bool = True, batches: Callable | None = None) -> DuplicateReport:
        """Pairs of library videos that share footage, with where, and the groups they form (see
        `duplicates.find_duplicates`). `check_frames` reads the matched windows' frames to leave out black,
        white, fades and plain cards, and to tell copied footage from another moment of the same scene (videos
        whose files are gone are matched on their vectors alone). `threshold`: the normalised distance under
        which the vectors propose a match (default: PROPOSAL_RATIO when the frames decide, else COPY_THRESHOLD)."""
        if threshold is None:
            threshold = PROPOSAL_RATIO if check_frames else COPY_THRESHOLD
        if not 0 < threshold <= MAX_RATIO or min_overlap < 0:
            raise ValueError(f"threshold must be in (0, {MAX_RATIO:g}] and min_overlap >= 0, not {threshold!r}, "
                             f"{min_overlap!r}")
        self.require_videos()
        stride = self.decode_options().stride
        reader = FootageReader()  # each file is compared with many others: decoded once
        return find_duplicates(self.store, stride, threshold, min_overlap,
                               informative_windows if check_frames else None, **({"batches": batches} if batches else {}),
                               same_footage=functools.partial(compare, reader=reader) if check_frames else None)

    def action_names(self) -> tuple[str, ...]:
        """The classes find-action knows: the model's (Kinetics-400), or a test embedder's own."""
        labels = getattr(self._embedder, "labels", None)
        return tuple(labels) if labels else kinetics400_labels()

    def find_action(self, action: str, k: int = 10, where: VideoFilter | None = None) -> ActionResult:
        """The k videos whose best window gives the action named (or the closest class name: see
        `suggestions`) the highest probability. Needs no model: the class scores were stored at ingest."""
        start = time.perf_counter()
        check_k(k)
        self.collection.check_actions()  # an old collection says how to get class scores, empty or not
        self.require_videos()
        label, suggestions = resolve_action(action, self.action_names())
        results = self.collection.store.rank_action(label, k, where)
        return ActionResult(label, results, suggestions, time.perf_counter() - start)

    def get(self, video_id: int) -> VideoEntry | None:
        """One indexed video (vector included), or None."""
        return self.collection.get(video_id)

    def count(self) -> int:
        """How many videos the collection holds (0 when there is none yet)."""
        return self.collection.count()

    def require_videos(self) -> None:
        """Raises EmptyLibraryError when there is nothing to search: what every face says (the API: 409)."""
        if not self.collection.exists():
            raise EmptyLibraryError.missing(self.collection.name, self.location)
        if not self.count():
            raise EmptyLibraryError(f"collection {self.collection.name!r} in {self.location} holds no video: "
                                    f"index some videos first")

    def labels(self) -> dict[str, set[int]]:
        """Library ids by label (evaluation's ground truth)."""
        return self.collection.labels()

    def remove(self, targets: list[int | str | Path]) -> int:
        """Deletes entries by id, or by path (the path as indexed, resolved). Returns how many were removed."""
        return self.collection.remove(targets)

    def drop(self) -> None:
        """Deletes the whole collection."""
        self.collection.drop()

    def info(self) -> CollectionInfo:
        return self.collection.info()

    def migrate_to(self, db: str, collection: str | None = None, progress: Callable[[int], None] | None = None,
                   option: str = "db") -> MigrationReport:
        """Copies this collection, as stored (never re-embedded), into `collection` (default: the same name) of
        another database: embedded, Milvus Lite, a Milvus server (the settings' token) or a .npz reference.
        `progress(n)` after each batch of n videos; `option` names the target in errors (the CLI's `--to`)."""
        with open_store(db, collection or self.collection.name, self.settings.token, option=option) as target:
            return migrate(self.store, target, progress or (lambda n: None))

    def close(self) -> None:
        self.collection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
