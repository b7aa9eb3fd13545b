"""How long `vidsearch duplicates` takes on a large library, and whether it still finds planted copies.

    python benchmarks/duplicates_scale.py --segments 100000 [--dim 1024] [--store default] [--json]

Videos of 100 segments (2-s windows every 0.5 s), vectors as in `scale.py` (cluster centres plus noise); a
copy of every 50th video is planted as another video (its segments plus small noise, shifted by 10 s inside a
longer video), and video 1 is copied 7 times (a clip re-uploaded often: its 5th-nearest video, the background
of the copy rule, is then itself a copy). Then the duplicate search over every segment (no frame check: the files do not exist), timed,
with its peak memory, and the planted pairs it finds.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from scale import STORES, vectors  # noqa: E402

PER_VIDEO = 100
STRIDE = 0.5
EVERY = 50  # one video in EVERY is copied
POPULAR = 7  # copies of video 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--store", default="default", choices=list(STORES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from vidsearch.retrieval.duplicates import find_duplicates
    from vidsearch.store import CollectionSpec, IndexConfig, Segment, VideoEntry, open_store

    folder = Path(tempfile.mkdtemp(prefix="dups-"))
    originals = args.segments // PER_VIDEO
    copies = originals // EVERY
    data = vectors(originals * PER_VIDEO, args.dim)
    rng = np.random.default_rng(2)
    store = open_store(STORES[args.store].format(path=folder / "dups.db"), "dups")
    store.create(CollectionSpec(args.dim, IndexConfig("IVF_FLAT", nlist=400, nprobe=32), {"model": "scale"}))

    def entry(video: int, rows: np.ndarray, offset: float = 0.0) -> VideoEntry:
        segments = [Segment(offset + j * STRIDE, offset + j * STRIDE + 2.0, rows[j]) for j in range(len(rows))]
        return VideoEntry(video, f"/videos/{video}.mp4", "scale", rows.mean(0) / np.linalg.norm(rows.mean(0)),
                          segments=segments, duration=offset + len(rows) * STRIDE + 1.5)

    batch = []
    for v in range(originals):
        batch.append(entry(v, data[v * PER_VIDEO : (v + 1) * PER_VIDEO]))
        if v % EVERY == 0:  # its copy: the same footage with noise, 10 s into another video
            rows = data[v * PER_VIDEO : (v + 1) * PER_VIDEO]
            noisy = rows + rng.standard_normal(rows.shape).astype(np.float32) * (0.15 / np.sqrt(args.dim))
            batch.append(entry(originals + v, noisy / np.linalg.norm(noisy, axis=1, keepdims=True), offset=10.0))
        if v == 1:
            rows = data[PER_VIDEO : 2 * PER_VIDEO]
            for c in range(POPULAR):
                noisy = rows + rng.standard_normal(rows.shape).astype(np.float32) * (0.15 / np.sqrt(args.dim))
                batch.append(entry(2 * originals + c, noisy / np.linalg.norm(noisy, axis=1, keepdims=True)))
        if len(batch) >= 100:
            store.upsert(batch)
            batch = []
    store.upsert(batch)
    store.flush()
    start = time.perf_counter()
    report = find_duplicates(store, STRIDE)
    seconds = time.perf_counter() - start
    planted = {(v, originals + v) for v in range(0, originals, EVERY)}
    found = {(p.a, p.b) for p in report.pairs}
    popular = {1, *range(2 * originals, 2 * originals + POPULAR)}
    group = max((set(g) for g in report.groups if 1 in g), key=len, default=set())
    popular_pairs = {(a, b) for a in popular for b in popular if a < b}
    shifted = [p for p in report.pairs if (p.a, p.b) in planted and abs(p.segments[0].b_start - p.segments[0].a_start - 10.0) < 0.5]
    result = {"store": store.kind, "segments": report.segments_searched, "dim": args.dim, "seconds": round(seconds, 1),
              "segments_per_s": round(report.segments_searched / seconds), "planted_pairs": len(planted),
              "planted_found": len(found & planted), "at_the_right_offset": len(shifted),
              "popular_group_found": f"{len(group & popular)}/{len(popular)}",
              "popular_pairs_found": f"{len(found & popular_pairs)}/{len(popular_pairs)}",
              "other_pairs": len(found - planted - popular_pairs), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    store.close()
    print(json.dumps(result) if args.json else " ".join(f"{k}={v}" for k, v in result.items()))
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
