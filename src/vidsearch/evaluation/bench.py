"""`vidsearch bench DATASET`: the tutorial's comparison, one collection per configuration.

Each video is decoded and embedded once per frame count, mode (whole video: one window spread over it, the
tutorial's way; segments: windows every `stride` seconds) and mirroring; every configuration then builds its
own collection from those features and is scored with `evaluate`. Every score comes with its 95 % bootstrap
interval over queries, and every configuration with the paired interval of its difference to the first
(the baseline): a difference whose interval holds 0 is noise. Outputs a markdown table, JSON and a PNG of
quality against dimension.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..config import ReduceConfig, Settings
from ..engine import VideoSearch
from ..collection import Embedded
from .evaluate import EvalReport, evaluate, query_files
from ..ingest import embed_windows
from .intervals import paired_difference
from ..model import Embedder, Embedding, TimedEmbedding
from ..model.embedder import class_probabilities
from ..model.features import DEFAULT_FEATURE, LEGACY_FEATURE, Feature
from ..model.stream import CONTEXTS, DEFAULT_CONTEXT, LEGACY_CONTEXT
from ..model.blocks import INCEPTION_BLOCKS
from ..model.mirror import MirroredEmbedder
from ..reduce import l2_normalise
from ..progress import progress
from ..sources import read_source
from ..video import DecodeOptions, VideoDecodeError, read_windows
from ..video.transform import short_side


DEFAULT_FRAMES = DecodeOptions().num_frames


@dataclass(frozen=True)
class BenchConfig:
    frames: int = DEFAULT_FRAMES
    dim: int | None = None
    method: str = "none"
    centre: bool = False  # explicit in every configuration, so the table compares like with like
    segments: bool = False  # False: one vector per whole video (the tutorial's); True: the default windows
    mirror: bool = False  # mirrored-frame averaging, library and queries
    expand: int = 0  # query expansion with this many nearest segments
    alpha: float = 0.0  # ... weighted by similarity ** alpha (0: average QE)
    scores: float = 0.0  # > 0: the 400 class probabilities, times this, appended to the unit feature
    augment: int = 0  # database-side augmentation: each library window averaged with this many nearest
    feature: str = DEFAULT_FEATURE  # the I3D blocks (model/features.py)
    context: str = DEFAULT_CONTEXT  # windows from one pass over the video, or each alone (model/stream.py)
    size: int = DecodeOptions.size  # the centre crop the network sees (the short side resized in proportion)

    @property
    def name(self) -> str:
        reduce = f"full {Feature.parse(self.feature).dim}" if self.method == "none" else f"{self.method} {self.dim}"
        return (f"{self.feature}, {'segments' if self.segments else 'whole'}, {reduce}, {self.frames} frames"
                + (", centred" if self.centre else "") + (", mirrored" if self.mirror else "")
                + (f", {'alpha-' if self.alpha else ''}QE {self.expand}" + (f" a={self.alpha:g}" if self.alpha else "")
                   if self.expand else "")
                + (f", class scores x{self.scores:g}" if self.scores else "")
                + (f", DBA {self.augment}" if self.augment else "")
                + (", each window alone" if self.context == "window" else "")
                + (f", {self.size}² crop" if self.size != DecodeOptions.size else ""))

    def decode(self) -> DecodeOptions:
        return DecodeOptions(num_frames=self.frames, stride=DecodeOptions.stride if self.segments else 0.0,
                             size=self.size, short_side=short_side(self.size))


def default_configs(dims: tuple[int, ...] = (256, 128, 64), frames: tuple[int, ...] = (8, 16, 32)) -> list[BenchConfig]:
    configs = [BenchConfig(), BenchConfig(segments=True), BenchConfig(feature=LEGACY_FEATURE)]
    configs += [BenchConfig(dim=d, method=m) for m in ("random", "pca") for d in dims]
    configs += [BenchConfig(frames=f) for f in frames if f != DEFAULT_FRAMES]
    configs += [BenchConfig(centre=True), BenchConfig(centre=True, segments=True),
                BenchConfig(dim=128, method="random", centre=True),
                BenchConfig(dim=128, method="random", centre=True, segments=True)]
    return configs


TODAY = dict(centre=True, segments=True)  # the search defaults as a bench configuration (16 frames)
PER_WINDOW = dict(TODAY, context=LEGACY_CONTEXT, size=224)  # the defaults before windows were streamed (0.5)
BEFORE = dict(PER_WINDOW, feature=LEGACY_FEATURE)  # the defaults before the feature was re-decided (issue 14)


def defaults_configs() -> list[BenchConfig]:
    """What the search defaults are decided on (issue: a dev benchmark big enough to decide defaults): the
    previous default first (segments, centred, 16 frames, Mixed_5c), today's, other features, then each other
    switch on top of today's default, one at a time."""
    return [BenchConfig(**BEFORE), BenchConfig(**TODAY),
            *(BenchConfig(**dict(TODAY, feature=f)) for f in ("Mixed_4d", "Mixed_4e")),
            BenchConfig(segments=True), BenchConfig(centre=True),
            BenchConfig(**TODAY, mirror=True), BenchConfig(**TODAY, expand=1), BenchConfig(**TODAY, expand=3),
            BenchConfig(**TODAY, expand=3, alpha=3.0), BenchConfig(**TODAY, scores=0.3),
            BenchConfig(**TODAY, augment=1), BenchConfig(frames=8, **TODAY)]


def candidates_configs() -> list[BenchConfig]:
    """The previous default against today's, on the sets the defaults were not decided on (`copies`, `long`,
    `real`): no regression beyond the noise allowed."""
    return [BenchConfig(**BEFORE), BenchConfig(**TODAY)]


def features_configs() -> list[BenchConfig]:
    """Which I3D block makes the best vector: the previous default (Mixed_5c), then each middle block alone, then
    today's pair (a forward pass per feature: ~1.5 min each on `dev` here)."""
    middle = [name for name, _ in INCEPTION_BLOCKS[1:-1]]  # Mixed_3c .. Mixed_5b (3b: too early to be worth it)
    return [BenchConfig(**BEFORE), *(BenchConfig(**dict(TODAY, feature=f)) for f in middle), BenchConfig(**TODAY)]


def context_configs() -> list[BenchConfig]:
    """Windows embedded each alone (the defaults of 0.5) against windows pooled from one pass over the video
    (issue 29: each frame through the network once), at I3D's own 224² crop and at today's."""
    return [BenchConfig(**PER_WINDOW), BenchConfig(**dict(PER_WINDOW, context="stream")),
            *(BenchConfig(**dict(TODAY, context=context)) for context in CONTEXTS)]


def size_configs() -> list[BenchConfig]:
    """The network's input (issue 29, lever 3: FLOPs follow the pixels): I3D's own 224² crop, then smaller ones
    of the same field of view (sizes that keep I3D's padding: multiples of 32)."""
    return [BenchConfig(**dict(TODAY, size=size)) for size in (224, 192, 160)]


SUITES = {"reduction": default_configs, "defaults": defaults_configs, "candidates": candidates_configs,
          "features": features_configs, "context": context_configs, "size": size_configs}


class _Widened:
    """The embedder as a collection sees it when its features carry more than the model's dimensions."""

    def __init__(self, embedder, dim: int):
        self.embedder, self.dim = embedder, dim
        self.name, self.precision, self.labels = f"{embedder.name}+{dim}", embedder.precision, embedder.labels
        self.feature = getattr(embedder, "feature", None)
        self.context = getattr(embedder, "context", None)

    def embed_batch(self, clips):
        raise RuntimeError("bench features are embedded before the collection is made")


def _with_vectors(windows: list[TimedEmbedding], vectors) -> list[TimedEmbedding]:
    return [TimedEmbedding(w.start, w.end, Embedding(np.asarray(v, np.float32), w.embedding.tags, w.embedding.logits))
            for w, v in zip(windows, vectors)]


def with_class_scores(windows: list[TimedEmbedding], weight: float) -> list[TimedEmbedding]:
    """The unit feature with the class probabilities (softmax of the logits) times `weight` appended."""
    def combined(w: TimedEmbedding) -> np.ndarray:
        probs = class_probabilities(np.asarray(w.embedding.logits, np.float64))
        return np.concatenate([l2_normalise(w.embedding.vector), weight * probs])

    return _with_vectors(windows, [combined(w) for w in windows])


def augment_database(library: list[Embedded], n: int) -> list[Embedded]:
    """Database-side augmentation: every library window's unit feature averaged with its n nearest library
    windows' (of other videos or its own), so near-duplicates pull each other together."""
    flat = l2_normalise(np.stack([w.embedding.vector for e in library for w in e.windows]))
    nearest = np.argsort(-(flat @ flat.T), axis=1)[:, : n + 1]  # itself first
    augmented = flat[nearest].sum(axis=1)
    out, i = [], 0
    for e in library:
        out.append(Embedded(e.item, _with_vectors(e.windows, augmented[i : i + len(e.windows)]), e.fingerprint,
                            e.duration))
        i += len(e.windows)
    return out


@dataclass
class BenchRow:
    config: BenchConfig
    metrics: dict | None  # evaluate's JSON, None when the configuration cannot be built
    bytes_per_vector: int
    index_mib: float
    note: str = ""
    report: EvalReport | None = None  # per-query scores, for paired intervals (not written to JSON)


def _embed_all(embedder: Embedder, items, queries: list[Path], options: DecodeOptions):
    """Raw features of the library and the queries cut one way; undecodable files are left out."""

    def embed(path: Path) -> tuple[list[TimedEmbedding], float]:
        windows, info = read_windows(path, options)
        return embed_windows(embedder, windows, 4, options), info.duration

    library = []
    for item in progress(items, desc=f"embedding ({options.num_frames} frames, stride {options.stride:g} s)"):
        try:
            windows, duration = embed(item.path)
        except VideoDecodeError:
            continue
        library.append(Embedded(item, windows, "", duration))
    cached: dict[Path, list[TimedEmbedding]] = {}
    for q in queries:
        try:
            cached[q] = embed(q)[0]
        except VideoDecodeError:
            pass
    return library, cached


def run_bench(dataset: Path, configs: list[BenchConfig], k: int = 10, say=print,
              precision: str | None = None, embedder=None) -> list[BenchRow]:
    dataset = Path(dataset)
    items = read_source(dataset / "reverse_video_search.csv")
    queries = query_files(dataset / "test")
    models: dict[str, object] = {}

    def model_for(feature: str, context: str):
        """`embedder` when given (a test's fake: it has one feature), else the real model for that feature."""
        if embedder is not None:
            return embedder
        if (feature, context) not in models:
            models[(feature, context)] = Embedder(precision, feature=feature, context=context)
        return models[(feature, context)]

    features: dict[tuple, tuple] = {}
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, config in enumerate(progress(configs, desc="configurations", unit="config")):
            key = (config.frames, config.segments, config.mirror, config.feature, config.context, config.size)
            model = model_for(config.feature, config.context)
            if key not in features:
                say(f"embedding {len(items)} library videos and {len(queries)} queries ({config.name}) ...")
                features[key] = _embed_all(MirroredEmbedder(model) if config.mirror else model, items, queries,
                                           config.decode())
            library, cached = features[key]
            if config.scores:
                library = [Embedded(e.item, with_class_scores(e.windows, config.scores), e.fingerprint, e.duration)
                           for e in library]
                cached = {q: with_class_scores(w, config.scores) for q, w in cached.items()}
            if config.augment:
                library = augment_database(library, config.augment)
            settings = Settings(db=str(Path(tmp) / "bench.db"), collection=f"bench_{n}", decode=config.decode(),
                                reduce=ReduceConfig(config.dim, config.method, config.centre))
            width = len(library[0].windows[0].embedding.vector)
            dim = config.dim or width
            with VideoSearch(settings=settings, embedder=model if width == model.dim else _Widened(model, width)) as engine:
                try:
                    engine.add_embeddings(library)
                except ValueError as e:  # e.g. PCA to more dimensions than the library has videos
                    rows.append(BenchRow(config, None, dim * 4, 0.0, str(e)))
                    say(f"  {config.name}: skipped ({e})")
                    continue
                report = evaluate(engine, [q for q in queries if q in cached], k, embed=cached.__getitem__,
                                  expand=config.expand, alpha=config.alpha)
                engine.drop()
            vectors = sum(len(e.windows) for e in library) + len(library)  # segments + one per video
            nlist = min(settings.index.nlist, vectors)
            rows.append(BenchRow(config, report.to_json(), dim * 4, (vectors + nlist) * dim * 4 / 2**20, report=report))
            say(f"  {config.name}: mHR {report.interval('mHR')} mAP {report.interval('mAP')} "
                f"top-1 {report.mean('top1'):.3f}")
    baseline = next((r.report for r in rows if r.report), None)
    for row in rows:
        if row.report and baseline and row.report is not baseline:
            row.metrics["vs_baseline"] = differences(row.report, baseline)
    return rows


def differences(report: EvalReport, baseline: EvalReport) -> dict:
    """Paired 95 % intervals of this configuration's score minus the baseline's, per metric, on the queries
    both answered."""
    theirs = {q.path: q.scores for q in baseline.scores}
    shared = [q for q in report.scores if q.path in theirs]
    out = {}
    for metric in ("mHR", "mAP", "top1"):
        interval = paired_difference([q.scores[metric] for q in shared], [theirs[q.path][metric] for q in shared])
        out[metric] = {"mean": round(interval.mean, 4), "interval": interval.to_json()}
    return out


def _with_interval(m: dict, metric: str) -> str:
    low, high = m.get("intervals", {}).get(metric, (None, None))
    return f"{m[metric]:.3f}" + (f" ({low:.2f}–{high:.2f})" if low is not None else "")


def _difference(m: dict, metric: str) -> str:
    d = m.get("vs_baseline", {}).get(metric)
    if d is None:
        return "baseline"
    low, high = d["interval"]
    marker = " **" if low > 0 or high < 0 else ""  # the interval excludes 0: a real difference
    return f"{d['mean']:+.3f} ({low:+.2f}, {high:+.2f}){marker}"


def markdown(rows: list[BenchRow]) -> str:
    """The comparison table with 95 % intervals (bootstrap over queries) and each row's paired difference to
    the first row (** where that interval excludes 0); with excerpt truth (the `long` set), the where-metrics too."""
    where = any(r.metrics and "within_1s" in r.metrics for r in rows)
    extra = " start within 1 s | within 2 s | median error s |" if where else ""
    lines = ["| configuration | mHR (95 % CI) | mAP (95 % CI) | Δ mHR vs first | Δ mAP vs first | top-1 | "
             "bytes/vector | index MiB |" + extra, "|---|---|---|---|---|---|---|---|" + "---|" * (3 if where else 0)]
    for r in rows:
        if r.metrics is None:
            lines.append(f"| {r.config.name} | n/a | n/a | – | – | n/a | {r.bytes_per_vector} | – |" + " – |" * (3 if where else 0))
            continue
        m = r.metrics
        error = m.get("median_offset_error")
        cells = (f" {m['within_1s']:.3f} | {m['within_2s']:.3f} | {'n/a' if error is None else f'{error:.2f}'} |"
                 if where else "")
        lines.append(f"| {r.config.name} | {_with_interval(m, 'mHR')} | {_with_interval(m, 'mAP')} | "
                     f"{_difference(m, 'mHR')} | {_difference(m, 'mAP')} | {m['top1']:.3f} | "
                     f"{r.bytes_per_vector} | {r.index_mib:.3f} |" + cells)
    return "\n".join(lines)


def plot(rows: list[BenchRow], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    full = next((r for r in rows if r.config == BenchConfig() and r.metrics), None)
    for ax, metric in zip(axes, ("mHR", "mAP")):
        for method, style in (("random", "o-"), ("pca", "s--")):
            points = sorted((r.config.dim, r.metrics[metric]) for r in rows
                            if r.config.method == method and not r.config.centre and r.config.frames == DEFAULT_FRAMES
                            and not r.config.segments and r.metrics)
            if full:
                points.append((1024, full.metrics[metric]))
            if points:
                ax.plot(*zip(*sorted(points)), style, label=method)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dimension")
        ax.set_ylabel(metric)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_outputs(rows: list[BenchRow], out: Path, title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(markdown(rows) + "\n", encoding="utf-8")
    (out / "bench.json").write_text(json.dumps(
        [{"config": asdict(r.config), "name": r.config.name, "metrics": r.metrics, "bytes_per_vector": r.bytes_per_vector,
          "index_mib": r.index_mib, "note": r.note} for r in rows], indent=2) + "\n", encoding="utf-8")
    plot(rows, out / "bench.png", title)
