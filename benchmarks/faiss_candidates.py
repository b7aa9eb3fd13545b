"""FAISS index types as candidates for the embedded store, on the same vectors and queries as `scale.py`.

    python benchmarks/faiss_candidates.py --rows 100000 --dim 1024 [--json]

Each index is built here, saved to a file, then opened in a NEW process (memory-mapped, as the embedded store
opens its indexes) and searched one query at a time for the top 10: build time, open time (read + first
search), p50 / p99, recall@10 against exact search, file size, and whether FAISS can remove a row from it in
place (the store contract's delete and replace need that; a tombstone list would be the alternative).
IVF_FLAT is what the embedded store builds (nlist = sqrt(nprobe·rows), 10 k-means iterations); HNSW32 with
efConstruction 40 and efSearch 64, FAISS' usual settings.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from scale import QUERIES, exact_top10, vectors  # noqa: E402

SEARCH = """
import json, sys, time
import faiss, numpy as np
start = time.perf_counter()
index = faiss.read_index(sys.argv[1], faiss.IO_FLAG_MMAP_IFC)
queries = np.load(sys.argv[2])
params = faiss.SearchParametersIVF(nprobe=int(sys.argv[3])) if isinstance(index, faiss.IndexIVF) else faiss.SearchParametersHNSW(efSearch=int(sys.argv[4]))
index.search(queries[:1], 10, params=params)
opened = time.perf_counter() - start
times, found = [], []
for q in queries:
    t = time.perf_counter()
    found.append(index.search(q[None], 10, params=params)[1][0].tolist())
    times.append(time.perf_counter() - t)
print(json.dumps({"open_s": opened, "times": times, "found": found}))
"""


def build(kind: str, data: np.ndarray, nprobe: int) -> faiss.Index:
    dim = data.shape[1]
    if kind == "HNSW32":
        index = faiss.IndexHNSWFlat(dim, 32)
        index.hnsw.efConstruction = 40
        index.add(data)
        return index
    nlist = min(int(math.sqrt(nprobe * len(data))), 4096)
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
    index.cp.niter = 10
    sample = np.random.default_rng(0).choice(len(data), min(len(data), nlist * 40), replace=False)
    index.train(data[np.sort(sample)])
    index.add(data)
    return index


def removable(index: faiss.Index) -> bool:
    try:
        index.remove_ids(np.array([0], np.int64))
        return True
    except RuntimeError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--nprobe", type=int, default=32)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="faiss-"))
    data = vectors(args.rows, args.dim)
    rng = np.random.default_rng(1)
    queries = data[rng.integers(0, len(data), QUERIES)] + rng.standard_normal((QUERIES, args.dim)).astype(np.float32) * (0.3 / np.sqrt(args.dim))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    np.save(folder / "queries.npy", queries)
    truth = exact_top10(data, queries)
    results = []
    for kind in ("IVF_FLAT", "HNSW32"):
        start = time.perf_counter()
        index = build(kind, data, args.nprobe)
        built = time.perf_counter() - start
        file = folder / f"{kind}.faiss"
        faiss.write_index(index, str(file))
        can_remove = removable(index)
        del index
        run = subprocess.run([sys.executable, "-c", SEARCH, str(file), str(folder / "queries.npy"), str(args.nprobe),
                              str(args.ef_search)], capture_output=True, text=True)
        if run.returncode:
            sys.exit(run.stderr[-2000:])
        searched = json.loads(run.stdout.strip().splitlines()[-1])
        times = np.array(searched["times"]) * 1000
        results.append({"index": kind, "rows": args.rows, "dim": args.dim,
                        "search_p50_ms": round(float(np.percentile(times, 50)), 3),
                        "search_p99_ms": round(float(np.percentile(times, 99)), 3),
                        "recall_at_10": round(float(np.mean([len(set(f) & t) / 10 for f, t in zip(searched["found"], truth)])), 4),
                        "build_s": round(built, 1), "open_s": round(searched["open_s"], 3),
                        "file_mb": round(file.stat().st_size / 2**20), "removes_in_place": can_remove})
        file.unlink()
    for result in results:
        print(json.dumps(result) if args.json else " ".join(f"{k}={v}" for k, v in result.items()))
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
