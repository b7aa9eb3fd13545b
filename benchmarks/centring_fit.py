"""Where the centring mean comes from: the whole first index, or only its first 32 videos (what ingest does so a
first index streams its rows and a kill loses at most one batch). Prints mHR / mAP / top-1 for each.

    python benchmarks/centring_fit.py DATASET [--json]     # DATASET made by `vidsearch dataset build`
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vidsearch.evaluation.bench import _embed_all
from vidsearch.config import CENTRE_MIN_VIDEOS
from vidsearch.evaluation.evaluate import query_files, score_query
from vidsearch.ingest.pipeline import spread_first
from vidsearch.model import Embedder
from vidsearch.reduce import l2_normalise
from vidsearch.sources import read_source


def scores(library: np.ndarray, labels: list[str], queries: np.ndarray, query_labels: list[str],
           mean: np.ndarray | None, k: int) -> dict:
    centre = (lambda x: x - mean) if mean is not None else (lambda x: x)
    vectors, probes = l2_normalise(centre(library)), l2_normalise(centre(queries))
    ranked = np.argsort(((probes[:, None] - vectors[None]) ** 2).sum(-1), axis=1)[:, :k]
    rows = [score_query({i for i, l in enumerate(labels) if l == ql}, list(r), k) for r, ql in zip(ranked, query_labels)]
    return {m: round(float(np.mean([r[m] for r in rows])), 3) for m in ("mHR", "mAP", "top1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    items = read_source(args.dataset / "reverse_video_search.csv")
    library, cached = _embed_all(Embedder(), items, query_files(args.dataset / "test"), 16)
    features = np.stack([e.embedding.vector for e in library])
    labels = [e.item.label for e in library]
    queries = list(cached)
    probes = np.stack([cached[q].vector for q in queries])
    query_labels = [q.parent.name for q in queries]
    order = list(range(len(library)))
    fits = {
        "no centring": None,
        "mean of the whole library": features.mean(0),
        f"mean of the first {CENTRE_MIN_VIDEOS}, spread over the source (ingest)": features[spread_first(order, CENTRE_MIN_VIDEOS)[:CENTRE_MIN_VIDEOS]].mean(0),
        f"mean of the first {CENTRE_MIN_VIDEOS} in source order": features[:CENTRE_MIN_VIDEOS].mean(0),
    }
    result = {name: scores(features, labels, probes, query_labels, mean, args.k) for name, mean in fits.items()}
    if args.json:
        print(json.dumps({"dataset": args.dataset.name, "library": len(library), "queries": len(queries), "results": result}))
        return
    print(f"{args.dataset.name}: {len(library)} library videos, {len(queries)} queries, k={args.k}\n")
    print("| centring | mHR | mAP | top-1 |\n|---|---|---|---|")
    for name, r in result.items():
        print(f"| {name} | {r['mHR']:.3f} | {r['mAP']:.3f} | {r['top1']:.3f} |")


if __name__ == "__main__":
    main()
