"""`vidsearch dataset build synthetic OUT`: labelled motion clips in the tutorial's layout."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..progress import progress
from ..video.encode import write_video
from ..video.pool import exit_with_parent
from .layout import DatasetSummary, write_csv
from .synthetic import ENCODINGS, MOTIONS, random_spec, render
from .transforms import COPY_KINDS, COPY_KINDS_BY_NAME


def _write(job: tuple) -> None:
    path, spec, encoding, copy_kind = job  # the kind by name: its transform is a closure, not picklable
    frames, fps = render(spec), spec.fps
    if copy_kind is not None:
        frames, fps = COPY_KINDS_BY_NAME[copy_kind].transform(frames, fps)
    write_video(path, frames, fps, encoding)


def build_synthetic(out: str | Path, per_class: int = 10, queries: int = 1, seed: int = 0,
                    seconds: tuple[float, float] = (2.0, 10.0), sizes: tuple[int, int] = (160, 640),
                    classes: tuple[str, ...] = MOTIONS, copies_as_queries: bool = False,
                    workers: int | None = None) -> DatasetSummary:
    """per_class library clips and `queries` query clips of every motion; deterministic for a seed.

    With copies_as_queries, a query is an altered copy (crop, flip, re-encode, ...) of one of its class's
    library clips instead of a new clip: the reverse-search task of finding a video's source.
    """
    out = Path(out)
    rng = np.random.default_rng(seed)
    jobs = []
    for c, motion in enumerate(classes):
        library = []
        for i in range(per_class):
            spec = random_spec(motion, rng, seconds, sizes)
            suffix, encoding = ENCODINGS[int(rng.integers(len(ENCODINGS)))]
            jobs.append((out / "train" / motion / f"{motion}_{i:03d}{suffix}", spec, encoding, None))
            library.append(spec)
        for q in range(queries):
            if copies_as_queries:
                kind = COPY_KINDS[(c * queries + q) % len(COPY_KINDS)]
                spec = library[q % per_class]
                jobs.append((out / "test" / motion / f"{motion}_{kind.name}{kind.suffix}", spec, kind.encoding, kind.name))
            else:
                spec = random_spec(motion, rng, seconds, sizes)
                suffix, encoding = ENCODINGS[int(rng.integers(len(ENCODINGS)))]
                jobs.append((out / "test" / motion / f"{motion}_q{q:03d}{suffix}", spec, encoding, None))
    # spawn: the caller may hold gRPC (Milvus) threads, which must not be forked; workers die with this process
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=exit_with_parent) as pool:
        list(progress(pool.map(_write, jobs, chunksize=2), total=len(jobs), desc="writing clips", unit="clip"))
    return write_csv(out)
