"""LanceDB (an embedded vector database that persists by itself) on the same vectors as `scale.py`.

    python -m venv /tmp/lance && /tmp/lance/bin/pip install lancedb numpy pyarrow pandas
    /tmp/lance/bin/python benchmarks/lancedb_candidate.py --rows 100000 --dim 1024

Not a vidsearch backend (see docs/stores.md for why): rows are (id, vector) only. Measures insert
rate, IVF_FLAT index build, single-query top-10 p50 / p99 and recall@10 against exact search, opening the
table in a new process (connect + open + first search), and disk.
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

sys.path.insert(0, str(Path(__file__).parent))
from scale import QUERIES, exact_top10, vectors  # noqa: E402

SEARCH = """
import json, sys, time
import numpy as np
start = time.perf_counter()
import lancedb
table = lancedb.connect(sys.argv[1]).open_table("scale")
queries = np.load(sys.argv[2])
table.search(queries[0]).nprobes(int(sys.argv[3])).limit(10).to_list()
opened = time.perf_counter() - start
times, found = [], []
for q in queries:
    t = time.perf_counter()
    rows = table.search(q).nprobes(int(sys.argv[3])).limit(10).select(["id"]).to_list()
    times.append(time.perf_counter() - t)
    found.append([r["id"] for r in rows])
print(json.dumps({"open_s": opened, "times": times, "found": found}))
"""


def main() -> None:
    import lancedb
    import pyarrow as pa

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--nprobes", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lance-"))
    data = vectors(args.rows, args.dim)
    db = lancedb.connect(str(folder / "db"))
    start = time.perf_counter()
    table = None
    for i in range(0, args.rows, 10_000):
        block = pa.table({"id": pa.array(np.arange(i, min(i + 10_000, args.rows)), pa.int64()),
                          "vector": pa.FixedSizeListArray.from_arrays(pa.array(data[i : i + 10_000].ravel()), args.dim)})
        table = db.create_table("scale", block) if table is None else table
        if i:
            table.add(block)
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    table.create_index(metric="l2", vector_column_name="vector", index_type="IVF_FLAT",
                       num_partitions=int(4 * np.sqrt(args.rows)))
    built = time.perf_counter() - start
    rng = np.random.default_rng(1)
    queries = data[rng.integers(0, len(data), QUERIES)] + rng.standard_normal((QUERIES, args.dim)).astype(np.float32) * (0.3 / np.sqrt(args.dim))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    np.save(folder / "queries.npy", queries)
    run = subprocess.run([sys.executable, "-c", SEARCH, str(folder / "db"), str(folder / "queries.npy"), str(args.nprobes)],
                         capture_output=True, text=True)
    if run.returncode:
        sys.exit(run.stderr[-2000:])
    searched = json.loads(run.stdout.strip().splitlines()[-1])
    truth = exact_top10(data, queries)
    recall = np.mean([len(set(f) & t) / 10 for f, t in zip(searched["found"], truth)])
    times = np.array(searched["times"]) * 1000
    disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    result = {"store": "lancedb", "rows": args.rows, "dim": args.dim, "search_p50_ms": round(float(np.percentile(times, 50)), 3),
              "search_p99_ms": round(float(np.percentile(times, 99)), 3), "recall_at_10": round(float(recall), 4),
              "open_s": round(searched["open_s"], 3), "insert_rows_per_s": round(args.rows / inserted),
              "index_build_s": round(built, 1), "disk_mb": round(disk)}
    print(json.dumps(result) if args.json else " ".join(f"{k}={v}" for k, v in result.items()))
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
