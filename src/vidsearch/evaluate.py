"""Scores a collection on labelled queries with the tutorial's metrics and the textbook ones beside them.

Ground truth for a query is every library id whose label equals the query's parent folder name (the
tutorial's `ground_truth`). The tutorial's definitions are not the textbook ones, so both are reported:

- mHR (tutorial): |set(truth) ∩ set(top_k)| / |truth|
- mAP (tutorial): (1/k) · Σ_{i=1..k} (hits among the first i results) / i
- AP (textbook): Σ over hit ranks i of precision@i, divided by min(|truth|, k)
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Callable

from .model import Embedding
from .progress import progress
from .store import check_k
from .sources import VIDEO_EXTENSIONS
from .video import VideoDecodeError


def hit_ratio(truth: set[int], ranked: list[int]) -> float:
    return len(truth & set(ranked)) / len(truth)


def tutorial_average_precision(truth: set[int], ranked: list[int], k: int) -> float:
    hits, total = 0, 0.0
    for i in range(1, k + 1):
        if i <= len(ranked) and ranked[i - 1] in truth:
            hits += 1
        total += hits / i
    return total / k


def average_precision(truth: set[int], ranked: list[int], k: int) -> float:
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in truth:
            hits += 1
            total += hits / i
    return total / min(len(truth), k)


def recall_at(truth: set[int], ranked: list[int], n: int) -> float:
    return len(truth & set(ranked[:n])) / len(truth)


def precision_at(truth: set[int], ranked: list[int], k: int) -> float:
    return len(truth & set(ranked[:k])) / k


@dataclass
class QueryScore:
    path: str
    label: str
    scores: dict[str, float]


@dataclass
class EvalReport:
    k: int
    scores: list[QueryScore] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def mean(self, metric: str, label: str | None = None) -> float:
        values = [q.scores[metric] for q in self.scores if label is None or q.label == label]
        return mean(values) if values else 0.0

    @property
    def queries_per_second(self) -> float:
        return len(self.scores) / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        labels = sorted({q.label for q in self.scores})
        return {
            "k": self.k,
            "queries": len(self.scores),
            "mHR": self.mean("mHR"),
            "mAP": self.mean("mAP"),
            "recall@1": self.mean("recall@1"),
            "top1": self.mean("top1"),
            "AP": self.mean("AP"),
            "per_label": {label: {"mHR": self.mean("mHR", label), "mAP": self.mean("mAP", label)} for label in labels},
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
        }

    def table(self) -> str:
        lines = [
            f"queries {len(self.scores)} (failed {len(self.failed)}), k = {self.k}, "
            f"{self.seconds:.1f} s ({self.queries_per_second:.2f} queries/s)",
            "| metric | value |", "|---|---|",
        ]
        names = {"mHR": "mHR (tutorial)", "mAP": "mAP (tutorial)", "AP": "mean AP (textbook)",
                 "recall@1": "recall@1", "precision@k": f"precision@{self.k}", "top1": "top-1 accuracy"}
        lines += [f"| {names[m]} | {self.mean(m):.3f} |" for m in names]
        lines += ["", "| label | queries | mHR | mAP | top-1 |", "|---|---|---|---|---|"]
        for label in sorted({q.label for q in self.scores}):
            n = sum(q.label == label for q in self.scores)
            lines.append(f"| {label} | {n} | {self.mean('mHR', label):.3f} | {self.mean('mAP', label):.3f} | "
                         f"{self.mean('top1', label):.2f} |")
        lines += [f"FAILED {f['path']}: {f['error']}" for f in self.failed]
        return "\n".join(lines)


def query_files(spec: str | Path) -> list[Path]:
    """A folder (every video below it, label = parent folder) or a glob such as 'data/test/*/*.mp4'."""
    path = Path(spec)
    if path.is_dir():
        candidates = path.rglob("*")
    else:
        candidates = (Path(p) for p in glob.glob(str(spec), recursive=True))
    files = sorted(p for p in candidates if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file())
    if not files:
        raise ValueError(f"no query videos found at {spec}")
    return files


def score_query(truth: set[int], ranked: list[int], k: int) -> dict[str, float]:
    return {
        "mHR": hit_ratio(truth, ranked),
        "mAP": tutorial_average_precision(truth, ranked, k),
        "AP": average_precision(truth, ranked, k),
        "recall@1": recall_at(truth, ranked, 1),
        "precision@k": precision_at(truth, ranked, k),
        "top1": float(bool(ranked) and ranked[0] in truth),
    }


def evaluate(engine, queries: list[Path], k: int = 10,
             embed: Callable[[Path], Embedding] | None = None) -> EvalReport:
    """Searches every query and scores the ranked ids. A query that cannot be decoded is listed as failed."""
    check_k(k)
    embed = embed or engine.embed
    truth_by_label = engine.labels()
    report = EvalReport(k)
    start = time.perf_counter()
    for query in progress(queries, desc="evaluating", unit="query"):
        label = query.parent.name
        truth = truth_by_label.get(label)
        if not truth:
            report.failed.append({"path": str(query), "error": f"no library video is labelled {label!r}"})
            continue
        try:
            result = engine.search_embedding(embed(query), k, str(query))
        except VideoDecodeError as e:
            report.failed.append({"path": str(query), "error": str(e)})
            continue
        report.scores.append(QueryScore(str(query), label, score_query(truth, [h.id for h in result.results], k)))
    report.seconds = time.perf_counter() - start
    return report
