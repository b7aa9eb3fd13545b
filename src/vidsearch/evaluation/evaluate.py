"""Scores a collection on labelled queries with the tutorial's metrics and the textbook ones beside them.

Ground truth for a query is every library id whose label equals the query's parent folder name (the
tutorial's `ground_truth`). The tutorial's definitions are not the textbook ones, so both are reported:

- mHR (tutorial): |set(truth) ∩ set(top_k)| / |truth|
- mAP (tutorial): (1/k) · Σ_{i=1..k} (hits among the first i results) / i
- AP (textbook): Σ over hit ranks i of precision@i, divided by min(|truth|, k)

Where the queries are excerpts of library videos, a `truth.csv` beside them (query, video, offset: paths
relative to the file, offset in seconds) also scores where: `segment_top1` (the top result is the video the
excerpt was cut from), `within_1s` / `within_2s` (and its best interval puts the excerpt's start within that
many seconds of the truth) and `median_offset_error` (seconds, over queries whose top video is right). Such
queries are copies of their video's footage, so the copy flag is scored too (`flagged`: the top result is
the source and flagged; `flag_precision`: of all results flagged, those that are the query's source). Optional
columns: `rate` (source seconds per query second, for sped-up copies) and `edits` (`copies-hard`: the edit
kinds, joined by `+`, each scored apart in `per_edit`).
"""

from __future__ import annotations

import csv
import glob
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median
from typing import Callable

from .intervals import ConfidenceInterval, bootstrap
from ..model import TimedEmbedding
from ..progress import progress
from ..store import StoreError, check_k
from ..sources import VIDEO_EXTENSIONS
from ..video import VideoDecodeError


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


TRUTH_FILE = "truth.csv"
INTERVAL_METRICS = ("mHR", "mAP", "top1")
SEGMENT_METRICS = ("segment_top1", "within_1s", "within_2s", "flagged")


@dataclass(frozen=True)
class Excerpt:
    """Where a query was cut from: the library video's path (resolved), the second it starts at, the source
    seconds per query second and the edits it went through."""

    video: str
    offset: float
    rate: float = 1.0
    edits: tuple[str, ...] = ()


def read_truth(queries: list[Path]) -> dict[Path, Excerpt]:
    """The truth.csv files found beside the queries or in their folders' parents, by resolved query path."""
    folders = {q.parent for q in queries} | {q.parent.parent for q in queries}
    truth: dict[Path, Excerpt] = {}
    for folder in folders:
        file = folder / TRUTH_FILE
        if file.is_file():
            with file.open(newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    truth[(folder / row["query"]).resolve()] = Excerpt(
                        str((folder / row["video"]).resolve()), float(row["offset"]), float(row.get("rate") or 1.0),
                        tuple(e for e in (row.get("edits") or "").split("+") if e))
    return truth


def score_excerpt(excerpt: Excerpt, results) -> tuple[dict[str, float], float | None]:
    """Segment metrics of one query and the offset error (None when the top video is wrong)."""
    top = results[0] if results else None
    if top is None or top.path != excerpt.video or not top.segments:
        return dict.fromkeys(SEGMENT_METRICS, 0.0), None
    best = top.segments[0]
    error = abs(best.start - excerpt.rate * best.query_start - excerpt.offset)
    return {"segment_top1": 1.0, "within_1s": float(error <= 1.0), "within_2s": float(error <= 2.0),
            "flagged": float(top.copy)}, error


@dataclass
class QueryScore:
    path: str
    label: str
    scores: dict[str, float]
    offset_error: float | None = None
    edits: tuple[str, ...] = ()
    flags: list[bool] = field(default_factory=list)  # for each result flagged a copy: is it the query's source


@dataclass
class EvalReport:
    k: int
    scores: list[QueryScore] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def mean(self, metric: str, label: str | None = None) -> float:
        values = [q.scores[metric] for q in self.scores if label is None or q.label == label]
        return mean(values) if values else 0.0

    def values(self, metric: str) -> list[float]:
        """One score per query, in query order (what paired comparisons resample)."""
        return [q.scores[metric] for q in self.scores]

    def interval(self, metric: str) -> ConfidenceInterval | None:
        """95 % bootstrap interval of the mean over queries (None without queries)."""
        return bootstrap(self.values(metric)) if self.scores else None

    @property
    def has_segments(self) -> bool:
        return bool(self.scores) and all("segment_top1" in q.scores for q in self.scores)

    def flag_precision(self) -> float | None:
        """Of the results flagged a copy (excerpt queries), the share that are the query's source."""
        flags = [f for q in self.scores for f in q.flags]
        return sum(flags) / len(flags) if flags else None

    def per_edit(self) -> dict[str, dict]:
        """For each edit kind: its queries, source first, flagged, start within 1 s, flag precision."""
        kinds: dict[str, list[QueryScore]] = {}
        for q in self.scores:
            for edit in q.edits:
                kinds.setdefault(edit, []).append(q)
        out = {}
        for edit, scores in sorted(kinds.items()):
            flags = [f for q in scores for f in q.flags]
            out[edit] = {"queries": len(scores), **{m: mean(q.scores[m] for q in scores) for m in
                                                    ("segment_top1", "flagged", "within_1s")},
                         "flag_precision": sum(flags) / len(flags) if flags else None}
        return out

    def median_offset_error(self) -> float | None:
        errors = [q.offset_error for q in self.scores if q.offset_error is not None]
        return float(median(errors)) if errors else None

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
            "intervals": {m: self.interval(m).to_json() for m in INTERVAL_METRICS} if self.scores else {},
            "per_label": {label: {"mHR": self.mean("mHR", label), "mAP": self.mean("mAP", label)} for label in labels},
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            **({m: self.mean(m) for m in SEGMENT_METRICS} | {"median_offset_error": self.median_offset_error(),
                                                               "flag_precision": self.flag_precision()}
               if self.has_segments else {}),
            **({"per_edit": self.per_edit()} if any(q.edits for q in self.scores) else {}),
        }

    def table(self) -> str:
        lines = [
            f"queries {len(self.scores)} (failed {len(self.failed)}), k = {self.k}, "
            f"{self.seconds:.1f} s ({self.queries_per_second:.2f} queries/s)",
            "| metric | value | 95 % interval (bootstrap over queries) |", "|---|---|---|",
        ]
        names = {"mHR": "mHR (tutorial)", "mAP": "mAP (tutorial)", "AP": "mean AP (textbook)",
                 "recall@1": "recall@1", "precision@k": f"precision@{self.k}", "top1": "top-1 accuracy"}
        for m in names:
            interval = self.interval(m) if m in INTERVAL_METRICS else None
            lines.append(f"| {names[m]} | {self.mean(m):.3f} |"
                         + (f" {interval.low:.3f} – {interval.high:.3f} |" if interval else " |"))
        if self.has_segments:
            names = {"segment_top1": "top-1 video (excerpts)", "within_1s": "start within 1 s",
                     "within_2s": "start within 2 s", "flagged": "top-1 flagged a copy"}
            lines += [f"| {names[m]} | {self.mean(m):.3f} | |" for m in names]
            precision, error = self.flag_precision(), self.median_offset_error()
            lines.append(f"| copy flag precision | {'n/a' if precision is None else f'{precision:.3f}'} | |")
            lines.append(f"| median start error | {'n/a' if error is None else f'{error:.2f} s'} | |")
        if any(q.edits for q in self.scores):
            lines += ["", "| edit | copies | source first | flagged | start within 1 s | flag precision |",
                      "|---|---|---|---|---|---|"]
            for edit, row in self.per_edit().items():
                precision = "n/a" if row["flag_precision"] is None else f"{row['flag_precision']:.2f}"
                lines.append(f"| {edit} | {row['queries']} | {row['segment_top1']:.2f} | {row['flagged']:.2f} | "
                             f"{row['within_1s']:.2f} | {precision} |")
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
             embed: Callable[[Path], list[TimedEmbedding]] | None = None, expand: int = 0,
             alpha: float = 0.0) -> EvalReport:
    """Searches every query and scores the ranked ids (and, for excerpts with a truth file, where they
    matched). A query that cannot be decoded is listed as failed."""
    check_k(k)
    inner = embed is None  # embedded here: the query's inner picture too (engine.embed_inner)
    embed = embed or engine.embed
    truth_by_label = engine.labels()
    if not truth_by_label:
        raise StoreError(f"the collection in {engine.location} is empty: index some videos before evaluating")
    excerpts = read_truth(queries)
    report = EvalReport(k)
    start = time.perf_counter()
    for query in progress(queries, desc="evaluating", unit="query"):
        label = query.parent.name
        truth = truth_by_label.get(label)
        if not truth:
            report.failed.append({"path": str(query), "error": f"no library video is labelled {label!r}"})
            continue
        excerpt = excerpts.get(query.resolve())
        try:  # an excerpt is a copy of its source: its frames are read to flag copies
            windows = embed(query)
            result = engine.search_embedding(windows, k, str(query), expand=expand, alpha=alpha,
                                             frames_of=query if excerpt else None,
                                             inner=engine.embed_inner(query, windows) if inner else None)
        except VideoDecodeError as e:
            report.failed.append({"path": str(query), "error": str(e)})
            continue
        scores = score_query(truth, [h.id for h in result.results], k)
        score = QueryScore(str(query), label, scores)
        if excerpt:
            where, score.offset_error = score_excerpt(excerpt, result.results)
            scores.update(where)
            score.edits = excerpt.edits
            score.flags = [m.path == excerpt.video for m in result.results if m.copy]
        report.scores.append(score)
    report.seconds = time.perf_counter() - start
    return report
