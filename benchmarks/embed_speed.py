"""Decode, embed and search timings on this machine. Prints figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/embed_speed.py [--quick] [--frames 16] [--json]
"""

from __future__ import annotations

import argparse
import json
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
from vidsearch.store import CollectionSpec, IndexConfig, Segment, VideoEntry, open_store
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


def bench_embed(repeat: int, frames: int = 16) -> dict:
    """ms per clip and cosine to PyTorch fp32 (the reference port) for every runtime and precision, one run."""
    specs = [ClipSpec(motion, seed=i, width=320, height=240, fps=25, seconds=2.0, noise=2)
             for i, motion in enumerate(("orbit_cw", "zoom_in", "move_left", "pulse"))]
    with tempfile.TemporaryDirectory() as tmp:
        clips = [decode_clip(write_video(Path(tmp) / f"{i}.mp4", render(spec), 25), DecodeOptions(num_frames=frames)).frames
                 for i, spec in enumerate(specs)]
    reference = Embedder(precision="fp32", runtime="torch")
    expected = [reference.embed(c).vector for c in clips]
    results = {}
    for runtime, precision in (("torch", "fp32"), ("torch", "bf16"), ("openvino", "fp32"), ("openvino", "bf16"),
                               ("openvino", "int8")):
        model = reference if (runtime, precision) == ("torch", "fp32") else Embedder(precision, runtime=runtime)
        vectors = [model.embed(c).vector for c in clips]  # also builds (and caches) a converted model
        cosine = min(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(vectors, expected))
        ms = 1000 * timed(lambda: model.embed(clips[0]), repeat)
        results[(runtime, precision)] = {"ms_per_clip": round(ms, 1), "cosine_to_fp32": round(cosine, 5),
                                         "build_seconds": round(getattr(model.runtime, "build_seconds", 0.0), 1)}
    return {
        "precisions": {p: results[("openvino", p)] for p in ("fp32", "bf16", "int8")},
        "pytorch": {p: results[("torch", p)] for p in ("fp32", "bf16")},
        "frames": frames, "threads": torch.get_num_threads(), "native_bf16": cpu_has_native_bf16(),
    }


def print_embed(figures: dict) -> None:
    print(f"\n## embed (I3D, one {figures['frames']}-frame clip, {figures['threads']} threads, "
          f"native bf16: {figures['native_bf16']})")
    print("| runtime | precision | ms per clip | clips/s | vs PyTorch bf16 | cosine to fp32 | first build s |")
    print("|---|---|---|---|---|---|---|")
    base = figures["pytorch"]["bf16"]["ms_per_clip"]
    rows = [("PyTorch", p, r) for p, r in figures["pytorch"].items()]
    rows += [("OpenVINO", p, r) for p, r in figures["precisions"].items()]
    for runtime, precision, r in rows:
        print(f"| {runtime} | {precision} | {r['ms_per_clip']:.0f} | {1000 / r['ms_per_clip']:.1f} | "
              f"{base / r['ms_per_clip']:.2f}x | {r['cosine_to_fp32']:.5f} | {r['build_seconds']:.0f} |")


def bench_search(folder: Path, rows: int, repeat: int) -> None:
    print(f"\n## search (top-10 of {rows} 1024-d segment vectors, one a video)")
    print("| store | index | ms per query |\n|---|---|---|")
    vectors = l2_normalise(np.random.default_rng(1).normal(size=(rows, 1024)))
    entries = [VideoEntry(i, f"/v/{i}.mp4", "x", v, segments=[Segment(0.0, 2.0, v)]) for i, v in enumerate(vectors)]
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
        ms = 1000 * timed(lambda: store.search_segments(queries[next(i) % 50][None], 10), repeat * 10)
        print(f"| {store.kind} | {index.index_type} nlist {index.nlist} nprobe {index.nprobe} | {ms:.2f} |")
        store.drop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="only the embedding figures, as JSON")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    if args.json:
        print(json.dumps(bench_embed(repeat, args.frames)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench_decode(Path(tmp), repeat)
        print_embed(bench_embed(repeat, args.frames))
        bench_search(Path(tmp), args.rows, repeat)


if __name__ == "__main__":
    main()
