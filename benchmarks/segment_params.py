"""Chooses the window (W frames at F fps, a window every S seconds) by measurement on the `long` dataset.

    vidsearch dataset build long data/long
    python benchmarks/segment_params.py data/long [--json]

For each (F, S) the library and the queries are cut and embedded once, indexed in the in-memory reference
store and scored with `vidsearch eval`'s metrics: top-1 video, start within 1 s / 2 s, median start error,
and the cost: windows per minute of video (the model's work at ingest) and embedding seconds per minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from vidsearch import Settings, VideoSearch
from vidsearch.collection import Embedded
from vidsearch.config import ReduceConfig
from vidsearch.evaluation.evaluate import evaluate, query_files
from vidsearch.ingest import embed_windows
from vidsearch.model import Embedder
from vidsearch.sources import read_source
from vidsearch.video import DecodeOptions, read_windows

GRID = [(16, 4.0, 2.0), (16, 4.0, 1.0), (16, 4.0, 0.5), (16, 8.0, 1.0), (16, 8.0, 0.5), (16, 4.0, 0.0)]


def measure(dataset: Path, embedder: Embedder, frames: int, fps: float, stride: float) -> dict:
    options = DecodeOptions(num_frames=frames, window_fps=fps, stride=stride)
    items = read_source(dataset / "reverse_video_search.csv")
    start = time.perf_counter()
    library, seconds_of_video = [], 0.0
    for item in items:
        windows, info = read_windows(item.path, options)
        library.append(Embedded(item, embed_windows(embedder, windows, 4), "", info.duration))
        seconds_of_video += info.duration
    cost = time.perf_counter() - start
    queries = query_files(dataset / "test")
    cached = {q: embed_windows(embedder, read_windows(q, options)[0], 4) for q in queries}
    settings = Settings(db="memory://", decode=options, reduce=ReduceConfig(centre=False))
    with VideoSearch(settings=settings, embedder=embedder) as engine:
        engine.add_embeddings(library)
        report = evaluate(engine, queries, k=10, embed=cached.__getitem__).to_json()
    windows = sum(len(e.windows) for e in library)
    return {"frames": frames, "fps": fps, "stride": stride, "top1": report["top1"], "mHR": report["mHR"],
            **{m: report.get(m) for m in ("segment_top1", "within_1s", "within_2s", "median_offset_error")},
            "windows_per_minute": round(windows / seconds_of_video * 60, 1),
            "ingest_seconds_per_minute": round(cost / seconds_of_video * 60, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--params", action="append", metavar="W,F,S",
                        help="only these windows (repeatable; S 0 = whole videos); default: the grid")
    args = parser.parse_args()
    grid = [(int(w), float(f), float(s)) for w, f, s in (p.split(",") for p in args.params)] if args.params else GRID
    embedder = Embedder()
    rows = [measure(args.dataset, embedder, *params) for params in grid]
    if args.json:
        print(json.dumps({"precision": embedder.precision, "rows": rows}, indent=2))
        return
    print(f"{args.dataset.name}, {embedder.precision}")
    print("| W | F fps | S s | top-1 video | start within 1 s | within 2 s | median error s | windows / min | "
          "ingest s / min | mHR | top-1 (label) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cell = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731 - no truth file: no where-metrics
    for r in rows:
        stride = "whole" if not r["stride"] else f"{r['stride']:g}"
        print(f"| {r['frames']} | {r['fps']:g} | {stride} | {cell(r['segment_top1'])} | {cell(r['within_1s'])} | "
              f"{cell(r['within_2s'])} | {cell(r['median_offset_error'])} | {r['windows_per_minute']} | "
              f"{r['ingest_seconds_per_minute']} | {r['mHR']:.3f} | {r['top1']:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
