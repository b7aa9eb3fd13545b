"""End-to-end latency of one search of a 5-s 640x360 excerpt (its windows decoded, embedded and searched): warm
(the model loaded, as in the web server) and cold (a new `vidsearch search` process), for windows embedded
each alone and from one pass over the excerpt, at the precision `auto` picks here and at fp32 (what a CPU
without VNNI or bf16 runs). What the inner picture adds (video/inner_picture.py): looking for one (every
search pays it) and, for a picture-in-picture copy of the excerpt, the search end to end (its inner picture
embedded and searched too). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/query_latency.py [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vidsearch import Settings, VideoSearch
from vidsearch.datasets.edits import EDITS, Context
from vidsearch.datasets.synthetic import MOTIONS, ClipSpec, render
from vidsearch.model.precision import cpu_summary, resolve_precision
from vidsearch.video.encode import write_video
from vidsearch.video.inner_picture import inner_picture

CONTEXTS = ("window", "stream")


def _busy_footage(count: int, height: int, width: int) -> list[np.ndarray]:
    """Other footage for the picture-in-picture's surroundings: a block texture drifting (an inset over
    flat rendered colours of about its own grey has no border to find)."""
    rng = np.random.default_rng(1)
    blocks = np.kron(rng.integers(0, 256, (height // 24 + 2, width // 24 + 2, 3)), np.ones((24, 24, 1))).astype(np.uint8)
    return [np.ascontiguousarray(np.roll(blocks, (2 * t, 3 * t), axis=(0, 1))[:height, :width]) for t in range(count)]


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def cold_seconds(db: Path, query: Path, precision: str) -> float:
    """Wall time of a new `vidsearch search` process, the second of two (the first fills the OS file cache)."""
    command = [sys.executable, "-m", "vidsearch", "--db", str(db), "--precision", precision, "search", str(query)]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return round(times[-1], 2)


def measure(folder: Path, context: str, precision: str, repeat: int) -> dict:
    db = folder / f"{context}-{precision}.db"
    engine = VideoSearch(settings=Settings(db=str(db), context=context, precision=precision))
    engine.settings.ingest.workers = 0
    engine.index(folder / "library")
    query = folder / "query.mp4"
    windows = engine.embed(query)
    pip = folder / "pip.mp4"
    figures = {
        "windows": len(windows),
        "warm_end_to_end_ms": median_ms(lambda: engine.search(query, k=10), repeat),
        "warm_inner_picture_lookup_ms": median_ms(lambda: inner_picture(str(query), 5.0), repeat),
        "inner_picture_found_in_pip": inner_picture(str(pip), 5.0) is not None,
        "warm_end_to_end_pip_ms": median_ms(lambda: engine.search(pip, k=10), repeat),
        "warm_decode_and_embed_ms": median_ms(lambda: engine.embed(query), repeat),
        "warm_search_ms": median_ms(lambda: engine.search_embedding(windows, k=10), repeat),
    }
    engine.close()
    figures["cold_process_s"] = cold_seconds(db, query, precision)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    precisions = sorted({resolve_precision(), "fp32"}, key=["int8", "bf16", "fp32"].index)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = ClipSpec("orbit_cw", seed=3, width=640, height=360, fps=25, seconds=5.0, noise=2)
        write_video(folder / "query.mp4", render(spec), 25)
        frames = list(render(spec))
        inset = EDITS["pip_half"].frames(frames, Context(_busy_footage(len(frames), 360, 640), 25, np.random.default_rng(0)))
        write_video(folder / "pip.mp4", inset, 25)
        for i, motion in enumerate(MOTIONS):
            clip = ClipSpec(motion, seed=i, width=320, height=240, fps=25, seconds=4.0, noise=2)
            write_video(folder / "library" / motion / f"{i}.mp4", render(clip), 25)
        results = {f"{context}, {precision}": measure(folder, context, precision, args.repeat)
                   for precision in precisions for context in CONTEXTS}
    if args.json:
        print(json.dumps({"query": "5 s 640x360 H.264", "library": len(MOTIONS), "cpu": cpu_summary(),
                          "results": results}, indent=2))
        return
    print("| context, precision | windows | warm end to end ms | decode + embed ms | search ms | cold process s | "
          "inner picture lookup ms | picture-in-picture end to end ms |\n|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['windows']} | {r['warm_end_to_end_ms']:.0f} | {r['warm_decode_and_embed_ms']:.0f} "
              f"| {r['warm_search_ms']:.1f} | {r['cold_process_s']:.2f} | {r['warm_inner_picture_lookup_ms']:.0f} | "
              f"{r['warm_end_to_end_pip_ms']:.0f}{'' if r['inner_picture_found_in_pip'] else ' (not found)'} |")


if __name__ == "__main__":
    main()
