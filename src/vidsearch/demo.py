"""The README's first command: build a small library, index it in Milvus Lite, search it, show the result."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .engine import VideoSearch
from .evaluate import evaluate, query_files
from .datasets.build_synthetic import build_synthetic
from .datasets.layout import CSV_NAME


def run_demo(engine: VideoSearch, data: Path, say: Callable[[str], None] = print, per_class: int = 3) -> dict:
    if not (data / CSV_NAME).exists():
        say(f"building a synthetic demo library in {data} (20 motion classes x {per_class} clips; queries: altered copies of one clip per class) ...")
        build_synthetic(data, per_class=per_class, queries=1, seed=0, seconds=(2.0, 4.0), sizes=(160, 320),
                        copies_as_queries=True)
    say(f"indexing {data / CSV_NAME} into {engine.location} ...")
    report = engine.index(data / CSV_NAME)
    say(f"indexed {report.indexed}, skipped {report.skipped} (already there), failed {len(report.failed)}"
        + (f" in {report.seconds:.1f} s ({report.rate:.1f} clips/s)" if report.indexed else ""))
    queries = query_files(data / "test")
    for query in queries[:3]:
        result = engine.search(query, k=5)
        say(f"\nquery {query.relative_to(data)}  ({result.seconds * 1000:.0f} ms)")
        say("  tags: " + ", ".join(f"{t.label} {t.score:.2f}" for t in result.tags[:3]))
        for rank, hit in enumerate(result.results, start=1):
            mark = "*" if hit.label == query.parent.name else " "
            say(f"  {rank}. {mark} {hit.label:<18} distance {hit.distance:.4f}  {Path(hit.path).name}")
    say(f"\nevaluation on all {len(queries)} queries (vidsearch eval {data / 'test'}):")
    report = evaluate(engine, queries, k=5)
    say(report.table())
    say(f"\ntry: vidsearch search {queries[0]}   |   vidsearch info   |   vidsearch eval {data / 'test'}")
    return report.to_json()
