"""Ingest throughput on generated 10-s 360p H.264 clips, three ways in one run (figures, no assertions):

1. model-only bound: the clips decoded beforehand (untimed), then only embedded, in batches;
2. naive sequential loop: decode → embed → insert one video at a time (how the tutorial's pipeline runs);
3. vidsearch's pipeline: `VideoSearch.index` (decode workers, batched inference, bulk inserts).

    .venv/bin/python benchmarks/ingest_throughput.py [--clips 200] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from vidsearch import Settings, VideoSearch
from vidsearch.datasets.synthetic import MOTIONS, random_spec, render
from vidsearch.model import Embedder
from vidsearch.sources import read_source
from vidsearch.collection import Embedded
from vidsearch.video import decode_clip
from vidsearch.video.encode import Encoding, write_video

ENCODING = Encoding("libx264", options={"preset": "veryfast", "crf": "23"})


def _make(job: tuple[Path, int]) -> None:
    path, seed = job
    import numpy as np

    spec = random_spec(MOTIONS[seed % len(MOTIONS)], np.random.default_rng(seed), seconds=(10.0, 10.0), sizes=(360, 360))
    spec = spec.__class__(**{**spec.__dict__, "width": 640, "height": 360, "fps": 25.0, "noise": 0.0, "blur": 0})
    write_video(path, render(spec), spec.fps, ENCODING)


def make_clips(folder: Path, count: int) -> list[Path]:
    paths = [folder / f"c{i % 10}" / f"clip{i:04d}.mp4" for i in range(count)]
    todo = [(p, i) for i, p in enumerate(paths) if not p.exists()]
    if todo:
        print(f"generating {len(todo)} clips in {folder} (cached for the next run) ...", flush=True)
        with ProcessPoolExecutor() as pool:
            list(pool.map(_make, todo))
    return paths


def model_only(embedder: Embedder, paths: list[Path], batch: int) -> float:
    clips = [decode_clip(p).frames for p in paths]  # untimed
    start = time.perf_counter()
    for i in range(0, len(clips), batch):
        embedder.embed_batch(clips[i : i + batch])
    return len(clips) / (time.perf_counter() - start)


def tutorial_decode(path: Path, frames: int):
    """The tutorial's decoder: every frame to an RGB array, then uniform_temporal_subsample, then resize."""
    import av
    import numpy as np

    from vidsearch.video.transform import centre_crop, resized_shape

    with av.open(str(path)) as container:
        images = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    picked = [images[i] for i in np.linspace(0, len(images) - 1, frames).round().astype(int)]
    h, w = picked[0].shape[:2]
    new_w, new_h = resized_shape(w, h, 256)
    resized = [np.asarray(av.VideoFrame.from_ndarray(im, format="rgb24").to_ndarray(width=new_w, height=new_h, format="rgb24"))
               for im in picked]
    return np.stack([centre_crop(im, 224) for im in resized])


def naive_sequential(embedder: Embedder, folder: Path, db: str, decode=None) -> float:
    engine = VideoSearch(settings=Settings(db=db, collection="naive"), embedder=embedder)
    items = read_source(folder)
    collection = engine.collection
    collection.create(embedder, None)

    start = time.perf_counter()
    for item in items:
        frames = decode(item.path) if decode else decode_clip(item.path).frames
        collection.add([Embedded(item, embedder.embed(frames), "")])
    collection.flush()
    rate = len(items) / (time.perf_counter() - start)
    engine.drop()
    engine.close()
    return rate


def pipeline(embedder: Embedder, folder: Path, db: str) -> float:
    engine = VideoSearch(settings=Settings(db=db, collection="pipeline"), embedder=embedder)
    report = engine.index(folder)
    assert report.indexed == len(read_source(folder)) and not report.failed, report.to_json()
    engine.drop()
    engine.close()
    return report.indexed / report.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "vidsearch-bench-clips"))
    args = parser.parse_args()
    folder = Path(args.cache) / f"n{args.clips}"
    paths = make_clips(folder, args.clips)
    embedder = Embedder()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        print(f"{args.clips} clips, 10 s 640x360 H.264, {settings.decode.num_frames} frames each, "
              f"precision {embedder.precision}, {os.cpu_count()} cores, {settings.ingest.workers} decode workers", flush=True)
        bound = model_only(embedder, paths, settings.ingest.batch_size)
        print(f"model-only bound   {bound:6.2f} clips/s", flush=True)
        naive = naive_sequential(embedder, folder, db)
        print(f"naive sequential   {naive:6.2f} clips/s  (vidsearch's decoder)", flush=True)
        frames = settings.decode.num_frames
        tutorial = naive_sequential(embedder, folder, db, decode=lambda p: tutorial_decode(p, frames))
        print(f"naive sequential   {tutorial:6.2f} clips/s  (tutorial-style decoder: all frames to RGB)", flush=True)
        ours = pipeline(embedder, folder, db)
        print(f"vidsearch pipeline {ours:6.2f} clips/s", flush=True)
        print(f"\npipeline / model-only bound = {ours / bound:.2f} (target >= 0.9)")
        print(f"pipeline / naive sequential = {ours / naive:.2f} with our decoder, "
              f"{ours / tutorial:.2f} with the tutorial's (target >= 1.5)")


if __name__ == "__main__":
    main()
