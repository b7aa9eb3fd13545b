"""Stores at scale: segments written through the store contract, then searched from a new process.

    python benchmarks/scale.py --store default --rows 100000 --dim 1024 [--json]
    python benchmarks/scale.py --store milvus-lite --rows 100000 --dim 128
    python benchmarks/scale.py --store milvus-server --uri http://127.0.0.1:19530 --rows 1000000 --dim 1024
    python benchmarks/scale.py --store milvus-server --start-server --index HNSW --rows 1000000 --dim 1024 \
        --server-set dataCoord.segment.maxSize=2048

`--also-nprobe 8,16` searches the same index again with other nprobe values (Milvus: a search-time parameter).
`--start-server` starts a Milvus 2.3.5 standalone (PyPI `milvus`) in a temporary folder for the run, with
`--server-set KEY=VALUE` written into its milvus.yaml (segment size, compaction, index-build settings).

Vectors with structure (2,000 cluster centres on the unit sphere, each row a centre plus noise of the same norm, normalised),
written as videos of 100 segments each with `upsert` in batches of 100 videos, then `flush` (index built):
insert rate and build time. The first segment search right after, in the writing process. Then a NEW process
opens the library (`open_s`: open + first search) and runs single-vector top-10 segment searches (queries: rows
plus noise): p50 / p99, and recall@10 against the exact top-10 computed here with numpy. `--store default` is
what `--db PATH` opens by default. `--json` prints exactly
{"store", "rows", "dim", "search_p50_ms", "search_p99_ms", "recall_at_10", "first_search_after_ingest_ms", "open_s"}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PER_VIDEO = 100
BATCH_VIDEOS = 100
CENTRES = 2000
QUERIES = 200
STORES = {"default": "{path}", "embedded": "embedded:{path}", "milvus-lite": "milvus-lite:{path}",
          "brute-force": "{path}.npz"}

SEARCH = """
import json, sys, time
import numpy as np
start = time.perf_counter()
from vidsearch.store import open_store
store = open_store(sys.argv[1], "scale")
queries = np.load(sys.argv[2])
store.search_segments(queries[:1], 10)
opened = time.perf_counter() - start

def measure():
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        hits = store.search_segments(q[None], 10)[0]
        times.append(time.perf_counter() - t)
        found.append([(h.video_id, h.start) for h in hits])
    return times, found

times, found = measure()
others = {}
for nprobe in [int(n) for n in sys.argv[3].split(",") if n]:  # the same index searched with another nprobe
    store.spec().index.nprobe = nprobe
    others[nprobe] = measure()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))  # not ru_maxrss: a child inherits the parent's
print(json.dumps({"open_s": opened, "times": times, "found": found, "kind": store.kind, "others": others,
                  "rss_mb": int(status["VmHWM"].split()[0]) / 1024,
                  "anon_mb": int(status.get("RssAnon", "0 kB").split()[0]) / 1024}))
store.close()
"""


def vectors(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((rows, dim), np.float32)
    for i in range(0, rows, 100_000):
        n = min(100_000, rows - i)
        block = centres[rng.integers(0, CENTRES, n)] + rng.standard_normal((n, dim)).astype(np.float32) * (1.0 / np.sqrt(dim))
        out[i : i + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top10(data: np.ndarray, queries: np.ndarray) -> list[set[int]]:
    distances = np.full((len(queries), len(data)), np.inf, np.float32)
    for i in range(0, len(data), 200_000):
        block = data[i : i + 200_000]
        distances[:, i : i + len(block)] = (block ** 2).sum(1)[None] - 2 * queries @ block.T
    return [set(np.argpartition(row, 10)[:10].tolist()) for row in distances]


def start_server(settings: list[str]):
    """A Milvus standalone of our own for this run, in a temporary folder; returns (server, uri)."""
    from milvus import MilvusServer

    server = MilvusServer()
    server.set_base_dir(tempfile.mkdtemp(prefix="scale-milvus-"))
    for setting in settings:
        key, _, value = setting.partition("=")
        server.config.set(key.strip(), value.strip())
    server.start()
    return server, f"http://127.0.0.1:{server.listen_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="default", choices=[*STORES, "milvus-server"])
    parser.add_argument("--uri", default="http://127.0.0.1:19530", help="the server, for --store milvus-server")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--start-server", action="store_true", help="start a Milvus server for this run")
    parser.add_argument("--server-set", action="append", default=[], metavar="KEY=VALUE",
                        help="a milvus.yaml setting for --start-server (repeatable)")
    parser.add_argument("--index", default="IVF_FLAT")
    parser.add_argument("--nlist", type=int, default=400)
    parser.add_argument("--nprobe", type=int, default=32)
    parser.add_argument("--also-nprobe", default="", metavar="N,N",
                        help="then search the same index with these nprobe values too (Milvus stores)")
    parser.add_argument("--m", type=int, default=16, help="HNSW graph degree")
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", type=int, default=64, help="HNSW search breadth")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = None
    if args.start_server:
        server, args.uri = start_server(args.server_set)
    try:
        run(args, server)
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.config.base_data_dir, ignore_errors=True)


def run(args: argparse.Namespace, server) -> None:
    from vidsearch.store import CollectionSpec, IndexConfig, Segment, VideoEntry, open_store

    folder = Path(tempfile.mkdtemp(prefix="scale-"))
    db = args.uri if args.store == "milvus-server" else STORES[args.store].format(path=folder / "scale.db")
    data = vectors(args.rows, args.dim)
    store = open_store(db, "scale")
    store.drop()
    index = IndexConfig(args.index, nlist=args.nlist, nprobe=args.nprobe, m=args.m, ef_construction=args.ef_construction,
                        ef=args.ef)
    store.create(CollectionSpec(args.dim, index, {"model": "scale"}))
    start = time.perf_counter()
    videos = args.rows // PER_VIDEO
    for first in range(0, videos, BATCH_VIDEOS):
        store.upsert([VideoEntry(v, f"/videos/{v}.mp4", "scale", data[v * PER_VIDEO],
                                 segments=[Segment(float(j), float(j) + 2.0, data[v * PER_VIDEO + j]) for j in range(PER_VIDEO)])
                      for v in range(first, min(first + BATCH_VIDEOS, videos))])
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    store.flush()
    built = time.perf_counter() - start
    rng = np.random.default_rng(1)
    queries = data[rng.integers(0, len(data), QUERIES)] + rng.standard_normal((QUERIES, args.dim)).astype(np.float32) * (0.3 / np.sqrt(args.dim))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    start = time.perf_counter()
    store.search_segments(queries[:1], 10)
    first_search = time.perf_counter() - start
    store.close()
    np.save(folder / "queries.npy", queries)
    run = subprocess.run([sys.executable, "-c", SEARCH, db, str(folder / "queries.npy"), args.also_nprobe],
                         capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"search process failed: {run.stderr[-2000:]}")
    searched = json.loads(run.stdout.strip().splitlines()[-1])
    truth = exact_top10(data, queries)

    def recall_of(found_lists) -> float:
        return float(np.mean([len({v * PER_VIDEO + int(s) for v, s in found} & t) / 10 for found, t in zip(found_lists, truth)]))

    recall = recall_of(searched["found"])
    times = np.array(searched["times"]) * 1000
    disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    result = {"store": searched["kind"] if args.store == "default" else args.store, "rows": args.rows, "dim": args.dim,
              "search_p50_ms": round(float(np.percentile(times, 50)), 3),
              "search_p99_ms": round(float(np.percentile(times, 99)), 3), "recall_at_10": round(float(recall), 4),
              "first_search_after_ingest_ms": round(first_search * 1000, 3), "open_s": round(searched["open_s"], 3)}
    if args.json:
        print(json.dumps(result))
    else:
        print(" ".join(f"{k}={v}" for k, v in result.items())
              + f" insert_rows_per_s={args.rows / inserted:.0f} index_build_s={built:.1f} disk_mb={disk:.0f}"
              f" search_process_peak_rss_mb={searched['rss_mb']:.0f} anon_mb={searched['anon_mb']:.0f} index={args.index}"
              + (f" M={args.m} efConstruction={args.ef_construction} ef={args.ef}" if args.index == "HNSW"
                 else f" nlist={args.nlist} nprobe={args.nprobe}"))
        for nprobe, (other_times, found) in searched["others"].items():
            other = np.array(other_times) * 1000
            print(f"  same index, nprobe={nprobe}: search_p50_ms={np.percentile(other, 50):.3f} "
                  f"search_p99_ms={np.percentile(other, 99):.3f} recall_at_10={recall_of(found):.4f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
