"""Calibrates the copy threshold (the `copy` flag of search results and `vidsearch duplicates`' default).

    python benchmarks/copy_calibration.py --copies data/copies --real data/real --long data/long [--work DIR]
        [--feature BLOCKS]

Datasets from `vidsearch dataset build copies|real|long`. Everything is embedded once (cached in --work),
then indexed with the default settings (as `vidsearch index` would) into these collections:

- duplicates: the `copies` library WITH its copies (originals + re-encoded, cropped, flipped, letterboxed,
  brightened, trimmed, logo'd, half-rate copies): true pairs are an original and its copies, or two copies of
  one original; two clips of one source video (bikes_s00 / bikes_s01, ...) are distinct footage of one scene and
  must not pair. And `real` (library + queries: different clips of the same scenes): every pair there is false.
- copy flag: `copies` queries against the originals, `long` excerpts against the long videos (true: the
  result the query was copied from), `real` queries against the real library (no result is a copy).

For each threshold: pair precision / recall (and recall per alteration), false pairs in `real`, and the copy
flag's precision / recall as search sets it (the normalised distance: see `vidsearch.search.background`), with
a plain distance threshold beside it for comparison. Both with and without centring.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from vidsearch import Settings, VideoSearch
from vidsearch.config import ReduceConfig
from vidsearch.bench import _embed_all
from vidsearch.evaluate import query_files, read_truth
from vidsearch.model import Embedder
from vidsearch.search import find
from vidsearch.sources import read_folder
from vidsearch.video import DecodeOptions

THRESHOLDS = (0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25, 0.30, 0.40)  # plain distance
RATIO_THRESHOLDS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)  # normalised distance (the default rule)
K = 10


def embedded(work: Path, name: str, folder: Path, queries: list[Path], embedder: Embedder):
    cache = work / f"{name}-{embedder.feature}.pickle"
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


def pair_scores(engine: VideoSearch, same: callable) -> list[dict]:
    """For each threshold: the pairs found, how many are right, and the true pairs there are."""
    labels = {v: listing.label for v, listing in engine.store.catalogue().items()}
    paths = {v: listing.path for v, listing in engine.store.catalogue().items()}
    truth = {(a, b) for a in labels for b in labels if a < b and same(paths[a], paths[b])}
    rows = []
    for threshold in RATIO_THRESHOLDS:
        report = engine.duplicates(threshold)
        found = {(p.a, p.b) for p in report.pairs}
        kinds = {}
        for a, b in truth:  # recall per alteration, for the original-copy pairs
            names = sorted((Path(paths[a]).stem, Path(paths[b]).stem), key=len)
            if names[1].startswith(names[0] + "_"):
                kind = names[1][len(names[0]) + 1 :]
                kinds.setdefault(kind, [0, 0])
                kinds[kind][0] += (a, b) in found
                kinds[kind][1] += 1
        rows.append({"threshold": threshold, "pairs": len(found), "right": len(found & truth), "truth": len(truth),
                     "seconds": round(report.seconds, 2), "blank_windows": report.blank_windows,
                     "recall_by_kind": {k: round(v[0] / v[1], 2) for k, v in sorted(kinds.items())},
                     "false": [(paths[a], paths[b]) for a, b in sorted(found - truth)][:10]})
    return rows


def copy_of(query: Path, result_path: str) -> bool:
    """A `copies` query (LABEL/LABEL_KIND.ext) is a copy of LABEL's original."""
    return Path(result_path).parent.name == query.parent.name


def flag_scores(searches: list[tuple[VideoSearch, dict, callable]]) -> dict:
    """The copy flag on the top K of every query: by plain distance, and as search sets it (the normalised
    distance) at each ratio threshold."""
    plain, flagged_at = [], {t: [] for t in RATIO_THRESHOLDS}
    for engine, queries, truth in searches:
        for query, windows in queries.items():
            for m in engine.search_embedding(windows, k=K).results:
                plain.append((m.distance, truth(query, m.path)))
            for t in RATIO_THRESHOLDS:
                found = find(engine.collection, windows, K, copy_threshold=t)
                flagged_at[t] += [truth(query, m.path) for m in found if m.copy]
    positives = sum(t for _, t in plain)

    def row(threshold: float, flagged: list[bool]) -> dict:
        right = sum(flagged)
        return {"threshold": threshold, "flagged": len(flagged), "right": right, "positives": positives,
                "precision": round(right / len(flagged), 4) if flagged else 1.0, "recall": round(right / positives, 4)}

    return {"distance": [row(t, [truth for d, truth in plain if d <= t]) for t in THRESHOLDS],
            "ratio": [row(t, flagged_at[t]) for t in RATIO_THRESHOLDS]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=Path, default=Path("data/copies"))
    parser.add_argument("--real", type=Path, default=Path("data/real"))
    parser.add_argument("--long", type=Path, default=Path("data/long"))
    parser.add_argument("--work", type=Path, default=Path("data/copy_calibration"))
    parser.add_argument("--feature", default=None, help="the I3D blocks (default: vidsearch's default feature)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(feature=args.feature)
    copies_queries = query_files(args.copies / "test")
    real_queries = query_files(args.real / "test")
    long_queries = query_files(args.long / "test")
    copies_all, _ = embedded(args.work, "copies_all", args.copies, [], embedder)
    originals, copies_cached = embedded(args.work, "copies", args.copies / "train", copies_queries, embedder)
    real_all, _ = embedded(args.work, "real_all", args.real, [], embedder)
    real_library, real_cached = embedded(args.work, "real", args.real / "train", real_queries, embedder)
    long_library, long_cached = embedded(args.work, "long", args.long / "train", long_queries, embedder)
    db = args.work / "calibration.db"
    same_original = lambda a, b: Path(a).parent.name == Path(b).parent.name  # noqa: E731
    truth = read_truth(long_queries)
    results = {}
    for centre in (True, False):  # libraries of 32 videos or more are centred by default, smaller ones are not
        out = results["centred" if centre else "uncentred"] = {}
        with collection(db, "copies_all", copies_all, embedder, centre) as engine:
            out["pairs_copies"] = pair_scores(engine, same_original)
        with collection(db, "real_all", real_all, embedder, centre) as engine:
            out["pairs_real"] = pair_scores(engine, lambda a, b: False)
        engines = [collection(db, "copies", originals, embedder, centre),
                   collection(db, "real", real_library, embedder, centre),
                   collection(db, "long", long_library, embedder, centre)]
        out["flag"] = flag_scores([
            (engines[0], copies_cached, copy_of),
            (engines[1], real_cached, lambda q, p: False),
            (engines[2], long_cached, lambda q, p: Path(truth[q.resolve()].video) == Path(p).resolve()),
        ])
        for engine in engines:
            engine.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for mode, out in results.items():
        print(f"\n## {mode} collections\n")
        report(out)


def report(out: dict) -> None:
    print("duplicates on `copies` (originals + copies) and on `real` (distinct clips of the same scenes):")
    print("| threshold | pairs found | right | true pairs | precision | recall | false pairs in real | recall by alteration (original-copy) |")
    print("|---|---|---|---|---|---|---|---|")
    for c, r in zip(out["pairs_copies"], out["pairs_real"]):
        precision = c["right"] / c["pairs"] if c["pairs"] else 1.0
        kinds = " ".join(f"{k} {v:g}" for k, v in c["recall_by_kind"].items())
        print(f"| {c['threshold']:g} | {c['pairs']} | {c['right']} | {c['truth']} | {precision:.3f} | "
              f"{c['right'] / c['truth']:.3f} | {r['pairs']} | {kinds} |")
    for kind in ("distance", "ratio"):
        print(f"\ncopy flag by {kind} (top {K} of every copies / long / real query):")
        print("| threshold | flagged | right | precision | recall |")
        print("|---|---|---|---|---|")
        for row in out["flag"][kind]:
            print(f"| {row['threshold']:g} | {row['flagged']} | {row['right']} | {row['precision']:.3f} | {row['recall']:.3f} |")


if __name__ == "__main__":
    main()
