"""Ingest throughput: the local pipeline, then Ray on one node, then Ray on two nodes of this one machine.

    python benchmarks/ray_ingest.py DATASET_FOLDER [--json]

Each run indexes the folder into a fresh embedded database with the real model (`vidsearch index`, a new
process each time, model load included). The Ray runs start their cluster with `ray start`: one head node
with every CPU, then a head and a second node that split the CPUs between them (each node gets its own
raylet and object store, as two machines would). Prints clips/s and windows/s, and the same per CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PORT = 6390
# Ray 2.59+ authenticates clients of a cluster with a token: one for the nodes and vidsearch alike
ENV = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16), "RAY_USAGE_STATS_ENABLED": "0"}


def ray_cli() -> str:
    return str(Path(sys.executable).with_name("ray"))


def index(folder: Path, work: Path, name: str, extra: list[str]) -> dict:
    db = work / f"{name}.db"
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "vidsearch", "index", str(folder), "--db", str(db), "--quiet",
                          "--json", *extra], capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 3):
        sys.exit(f"{name}: {run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    info = json.loads(subprocess.run([sys.executable, "-m", "vidsearch", "info", "--db", str(db), "--json"],
                                     capture_output=True, text=True).stdout)
    return {"run": name, "clips": report["indexed"], "windows": info["segments"], "seconds": round(seconds, 1)}


def cluster(cpus: list[int]) -> str:
    """Starts a head node and further nodes with these CPU counts; returns the address."""
    subprocess.run([ray_cli(), "start", "--head", f"--port={PORT}", f"--num-cpus={cpus[0]}", "--include-dashboard=false",
                    "--disable-usage-stats"], check=True, capture_output=True, env=ENV)
    address = f"127.0.0.1:{PORT}"
    for n in cpus[1:]:
        subprocess.run([ray_cli(), "start", f"--address={address}", f"--num-cpus={n}"], check=True, capture_output=True,
                       env=ENV)
    return address


def stop() -> None:
    subprocess.run([ray_cli(), "stop", "--force"], capture_output=True, env=ENV)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cpus = os.cpu_count() or 2
    work = Path(tempfile.mkdtemp(prefix="ray-ingest-"))
    rows = [{**index(args.folder, work, "local", []), "cpus": cpus}]
    for layout in ([cpus], [cpus // 2, cpus - cpus // 2]):
        stop()
        try:
            address = cluster(layout)
            rows.append({**index(args.folder, work, f"ray, {len(layout)} node{'s' if len(layout) > 1 else ''}",
                                 ["--ray", address]), "cpus": sum(layout)})
        finally:
            stop()
    for row in rows:
        row["clips_per_s"] = round(row["clips"] / row["seconds"], 3)
        row["windows_per_s"] = round(row["windows"] / row["seconds"], 2)
        row["windows_per_s_per_cpu"] = round(row["windows_per_s"] / row["cpus"], 2)
        row["vs_local"] = round(row["windows_per_s"] / rows[0]["windows_per_s"], 3)
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(rows))
        return
    print("| run | CPUs | clips | windows | seconds | windows/s | windows/s per CPU | vs local |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['cpus']} | {r['clips']} | {r['windows']} | {r['seconds']} | {r['windows_per_s']} | "
              f"{r['windows_per_s_per_cpu']} | {r['vs_local']} |")


if __name__ == "__main__":
    main()
