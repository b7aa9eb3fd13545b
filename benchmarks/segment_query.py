"""A 5-s excerpt searched against 100,000 segments on Milvus Lite: search alone and end to end.

    python benchmarks/segment_query.py [--segments 100000] [--json]

Builds a Lite database of `--segments` random unit segments (1024-d, 100 per video) through the store's own
write path (`upsert`, a video written whole), then, in a fresh process (Lite searches slowly in the process
that has just inserted, until its index is built), embeds a 5-s 640×360 H.264 excerpt (its windows cut like
the library's) and runs `search.find` over the library: median of 7 runs of the segment search alone and of
decode + embed + search.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PER_VIDEO = 100

SEARCH = """
import json, statistics, sys, time
from vidsearch import Settings, VideoSearch
from vidsearch.retrieval.search import find
if __name__ == "__main__":
    with VideoSearch(settings=Settings(db=sys.argv[1])) as engine:
        windows = engine.embed(sys.argv[2])  # warm: model loaded, index loaded
        find(engine.collection, windows, 10)
        search, total = [], []
        for _ in range(7):
            start = time.perf_counter()
            find(engine.collection, windows, 10)
            search.append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.search(sys.argv[2], k=10)
            total.append(time.perf_counter() - start)
        print(json.dumps({"query_windows": len(windows), "search_ms": statistics.median(search) * 1000,
                          "end_to_end_ms": statistics.median(total) * 1000, "precision": engine.embedder.precision,
                          "segments": engine.info().segments}))
"""


def build(db: str, segments: int) -> float:
    from vidsearch import Settings, VideoSearch
    from vidsearch.collection import Embedded
    from vidsearch.config import ReduceConfig
    from vidsearch.model import Embedding, TimedEmbedding
    from vidsearch.sources import SourceItem

    class Shape:  # the model's name and size, without loading it
        name, dim, precision = "i3d-kinetics400-rgb", 1024, "int8"

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    with VideoSearch(settings=Settings(db=db, reduce=ReduceConfig(centre=False)), embedder=Shape()) as engine:
        for first in range(0, segments // PER_VIDEO, 10):
            rows = []
            for video in range(first, first + 10):
                vectors = rng.normal(size=(PER_VIDEO, 1024)).astype(np.float32)
                windows = [TimedEmbedding(i * 0.5, i * 0.5 + 2, Embedding(v, [], np.zeros(1))) for i, v in enumerate(vectors)]
                rows.append(Embedded(SourceItem(video + 1, Path(f"/videos/{video}.mp4"), "x"), windows, "fp", 51.5))
            engine.add_embeddings(rows)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from vidsearch.datasets.synthetic import render_long
    from vidsearch.video.encode import write_video

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "segments.db")
        build_seconds = build(db, args.segments)
        query = write_video(Path(tmp) / "q.mp4", render_long(3, 5.0, width=640, height=360, fps=25.0), 25.0)
        child = subprocess.run([sys.executable, "-c", SEARCH, db, str(query)], capture_output=True, text=True, check=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["build_seconds"] = round(build_seconds, 1)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>16}: {value if not isinstance(value, float) else round(value, 1)}")


if __name__ == "__main__":
    main()
