"""Chooses how many Kinetics-400 classes are kept per window for `find-action`, by measurement.

    vidsearch dataset build real data/real && vidsearch dataset build long data/long
    python benchmarks/action_scores.py data/real data/long [--json]

Every library window is embedded once (all 400 probabilities kept). A video's score for a class is its best
window's probability of it. Keeping only each window's top K classes (the rest count 0) changes the score of a
class in a video only where no window ranks it in its top K; the question is whether the ranking a user sees
changes. For each class that is some window's top-1 (the classes anyone would search for here), the top-10
videos by the full scores (those scoring >= 0.01) are compared with the top-10 by the top-K scores: recall@10,
and the largest score error among them. Cost: bytes of the stored JSON per video, and per window if kept there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from vidsearch.ingest import embed_windows
from vidsearch.model import Embedder
from vidsearch.sources import read_source
from vidsearch.video import DecodeOptions, read_windows

KS = (1, 3, 5, 10, 20, 400)
MEANINGFUL = 0.01


def window_probabilities(datasets: list[Path], embedder: Embedder) -> list[np.ndarray]:
    """One (windows x 400) probability matrix per library video."""
    videos = []
    for dataset in datasets:
        for item in read_source(dataset / "reverse_video_search.csv"):
            windows, _ = read_windows(item.path, DecodeOptions())
            logits = np.stack([e.embedding.logits for e in embed_windows(embedder, windows, 4)]).astype(np.float64)
            probs = np.exp(logits - logits.max(1, keepdims=True))
            videos.append(probs / probs.sum(1, keepdims=True))
    return videos


def sparse(probs: np.ndarray, k: int) -> np.ndarray:
    """The probabilities with all but each window's top k classes set to 0."""
    kept = np.zeros_like(probs)
    top = np.argsort(-probs, axis=1)[:, :k]
    np.put_along_axis(kept, top, np.take_along_axis(probs, top, 1), 1)
    return kept


def compare(videos: list[np.ndarray], k: int) -> dict:
    full = np.stack([p.max(0) for p in videos])  # videos x 400: best window per class
    kept = np.stack([sparse(p, k).max(0) for p in videos])
    classes = sorted({int(c) for p in videos for c in p.argmax(1)})
    recalls, errors = [], []
    for c in classes:
        truth = [v for v in np.argsort(-full[:, c], kind="stable")[:10] if full[v, c] >= MEANINGFUL]
        got = set(np.argsort(-kept[:, c], kind="stable")[:10])
        recalls.append(len(got.intersection(truth)) / max(len(truth), 1))
        errors.append(float(np.abs(full[truth, c] - kept[truth, c]).max()) if truth else 0.0)
    per_video = [json.dumps({str(c): [round(float(row[c]), 4), 0.0, 0.0] for c in np.flatnonzero(row)}) for row in kept]
    return {"k": k, "classes": len(classes), "recall_at_10": round(float(np.mean(recalls)), 4),
            "min_recall_at_10": round(float(np.min(recalls)), 4), "max_score_error": round(max(errors), 4),
            "json_bytes_per_video": round(float(np.mean([len(s) for s in per_video])), 1),
            "classes_per_video": round(float(np.mean([np.count_nonzero(r) for r in kept])), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    videos = window_probabilities(args.datasets, Embedder())
    print(f"{len(videos)} videos, {sum(len(v) for v in videos)} windows", file=sys.stderr)
    rows = [compare(videos, k) for k in KS]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| classes kept per window | recall@10 (mean / min) | largest score error | classes per video | JSON bytes per video |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['k']} | {r['recall_at_10']:.3f} / {r['min_recall_at_10']:.3f} | {r['max_score_error']:.4f} "
              f"| {r['classes_per_video']} | {r['json_bytes_per_video']:.0f} |")


if __name__ == "__main__":
    main()
