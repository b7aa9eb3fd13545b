"""End-to-end latency of one search (decode + embed + search, model loaded and warm) of a 5-s 640x360 clip,
for each model runtime and precision, with the time split by stage. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/query_latency.py [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from vidsearch import Settings, VideoSearch
from vidsearch.datasets.synthetic import MOTIONS, ClipSpec, render
from vidsearch.model import Embedder
from vidsearch.video import decode_clip
from vidsearch.video.encode import write_video

CONFIGS = (("torch", "bf16"), ("openvino", "bf16"), ("openvino", "int8"))


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def measure(folder: Path, runtime: str, precision: str, repeat: int) -> dict:
    engine = VideoSearch(settings=Settings(db=str(folder / f"{runtime}-{precision}.db")),
                         embedder=Embedder(precision, runtime=runtime))
    engine.settings.ingest.workers = 0
    engine.index(folder / "library")
    query = folder / "query.mp4"
    options = engine.decode_options()
    frames = decode_clip(query, options).frames
    embedding = engine.embedder.embed(frames)
    figures = {
        "end_to_end_ms": median_ms(lambda: engine.search(query, k=10), repeat),
        "decode_ms": median_ms(lambda: decode_clip(query, options), repeat),
        "embed_ms": median_ms(lambda: engine.embedder.embed(frames), repeat),
        "search_ms": median_ms(lambda: engine.search_embedding(embedding, k=10), repeat),
    }
    engine.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = ClipSpec("orbit_cw", seed=3, width=640, height=360, fps=25, seconds=5.0, noise=2)
        write_video(folder / "query.mp4", render(spec), 25)
        for i, motion in enumerate(MOTIONS):
            clip = ClipSpec(motion, seed=i, width=320, height=240, fps=25, seconds=2.0, noise=2)
            write_video(folder / "library" / motion / f"{i}.mp4", render(clip), 25)
        results = {f"{runtime} {precision}": measure(folder, runtime, precision, args.repeat)
                   for runtime, precision in CONFIGS}
    if args.json:
        print(json.dumps({"query": "5 s 640x360 H.264", "library": len(MOTIONS), "results": results}))
        return
    print("| runtime, precision | end to end ms | decode ms | embed ms | search ms |\n|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['end_to_end_ms']:.0f} | {r['decode_ms']:.0f} | {r['embed_ms']:.0f} | {r['search_ms']:.1f} |")


if __name__ == "__main__":
    main()
