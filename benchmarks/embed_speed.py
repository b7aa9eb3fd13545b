"""Decode, embed and search timings on this machine. Prints figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/embed_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vidsearch.datasets.synthetic import ClipSpec, render
from vidsearch.model import Embedder
from vidsearch.model.precision import cpu_has_native_bf16
from vidsearch.reduce import l2_normalise
from vidsearch.store import CollectionSpec, IndexConfig, VideoEntry, open_store
from vidsearch.video import DecodeOptions, decode_clip
from vidsearch.video.encode import Encoding, write_video


def timed(fn, repeat: int) -> float:
    """Median seconds of `repeat` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_decode(folder: Path, repeat: int) -> None:
    print(f"\n## decode (PyAV, {DecodeOptions().num_frames} frames, resize 256 + crop 224)")
    print("| clip | strategy | ms |\n|---|---|---|")
    cases = [
        ("2 s 640x360 h264 gop 250", 2.0, {"g": "250"}),
        ("10 s 640x360 h264 gop 250", 10.0, {"g": "250"}),
        ("60 s 640x360 h264 gop 25", 60.0, {"g": "25"}),
    ]
    for name, seconds, options in cases:
        spec = ClipSpec("orbit_cw", seed=1, width=640, height=360, fps=25, seconds=seconds, noise=2)
        path = write_video(folder / f"{seconds:.0f}.mp4", render(spec), 25,
                           Encoding("libx264", options={"preset": "ultrafast", **options}))
        for label, options_ in (("auto", DecodeOptions()), ("straight", DecodeOptions(seek_min_seconds=1e9))):
            strategy = decode_clip(path, options_).strategy
            if label == "straight" and strategy == "straight" and seconds < 20:
                continue
            ms = 1000 * timed(lambda: decode_clip(path, options_), repeat)
            print(f"| {name} | {strategy} | {ms:.0f} |")


def bench_embed(repeat: int) -> None:
    print(f"\n## embed (I3D, one 224x224 clip, {torch.get_num_threads()} threads, "
          f"native bf16: {cpu_has_native_bf16()})")
    print("| frames | fp32 ms | bf16 ms | speed-up | cosine bf16 vs fp32 |\n|---|---|---|---|---|")
    models = {p: Embedder(precision=p) for p in ("fp32", "bf16")}
    rng = np.random.default_rng(0)
    for frames in (8, 16, 32):
        clip = rng.integers(0, 256, (frames, 224, 224, 3), dtype=np.uint8)
        ms = {p: 1000 * timed(lambda: m.embed(clip), repeat) for p, m in models.items()}
        a, b = models["fp32"].embed(clip).vector, models["bf16"].embed(clip).vector
        cos = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        print(f"| {frames} | {ms['fp32']:.0f} | {ms['bf16']:.0f} | {ms['fp32'] / ms['bf16']:.2f}x | {cos:.5f} |")


def bench_search(folder: Path, rows: int, repeat: int) -> None:
    print(f"\n## search (top-10 of {rows} 1024-d vectors)")
    print("| store | index | ms per query |\n|---|---|---|")
    vectors = l2_normalise(np.random.default_rng(1).normal(size=(rows, 1024)))
    entries = [VideoEntry(i, f"/v/{i}.mp4", "x", v) for i, v in enumerate(vectors)]
    queries = vectors[:50] + 0.01
    for db, index in ((str(folder / "bench.db"), IndexConfig("IVF_FLAT", nlist=400, nprobe=32)),
                      ("memory://", IndexConfig("FLAT"))):
        store = open_store(db, "bench")
        store.drop()
        store.create(CollectionSpec(1024, index))
        for start in range(0, rows, 2000):
            store.upsert(entries[start : start + 2000])
        store.flush()
        i = iter(range(10**9))
        ms = 1000 * timed(lambda: store.search(queries[next(i) % 50][None], 10), repeat * 10)
        print(f"| {store.kind} | {index.index_type} nlist {index.nlist} nprobe {index.nprobe} | {ms:.2f} |")
        store.drop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        bench_decode(Path(tmp), repeat)
        bench_embed(repeat)
        bench_search(Path(tmp), args.rows, repeat)


if __name__ == "__main__":
    main()
