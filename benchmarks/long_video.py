"""Indexing one long video: speed (video-seconds per second, decode vs model) and peak memory.

    python benchmarks/long_video.py --minutes 10 --height 720 [--json]

A one-minute clip of distinct scenes is encoded once (H.264, 30 fps, a keyframe every 2 s), then remuxed
end to end (packets copied, timestamps shifted: no re-encode) into a file of `--minutes`. That file is
indexed by `VideoSearch.index` into the in-memory store with the default windows, in a child process whose
peak RSS (decode workers included) is read from the kernel. Decode-only and model-only timings of the same
file say where the time goes.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

CHILD = """
import json, resource, sys, time
from pathlib import Path
from vidsearch import Settings, VideoSearch
from vidsearch.sources import SourceItem
if __name__ == "__main__":
    engine = VideoSearch(settings=Settings(db="memory://"))
    engine.embedder
    start = time.perf_counter()
    report = engine.index([SourceItem(1, Path(sys.argv[1]), "long")])
    seconds = time.perf_counter() - start
    assert report.indexed == 1, report.to_json()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "segments": engine.info()["segments"], "precision": engine.embedder.precision,
                      "peak_rss_mib": own / 1024, "peak_worker_rss_mib": children / 1024}))
"""


def make_long_video(path: Path, minutes: float, height: int) -> Path:
    from vidsearch.datasets.synthetic import render_long
    from vidsearch.video.encode import Encoding, write_video

    width = height * 16 // 9 // 2 * 2
    clip = path.with_name("minute.mp4")
    encoding = Encoding("libx264", options={"preset": "ultrafast", "crf": "23", "g": "60"})
    write_video(clip, render_long(1, 60.0, scene_seconds=5.0, width=width, height=height, fps=30.0), 30.0, encoding)
    with av.open(str(clip)) as source, av.open(str(path), "w") as target:
        stream_in = source.streams.video[0]
        stream_out = target.add_stream_from_template(stream_in)
        packets = [p for p in source.demux(stream_in) if p.dts is not None]
        span = max(p.pts for p in packets) - min(p.pts for p in packets) + packets[1].duration
        for copy in range(int(round(minutes))):
            for p in packets:
                p.pts += span if copy else 0
                p.dts += span if copy else 0
                p.stream = stream_out
                target.mux(p)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = make_long_video(Path(tmp) / "long.mp4", args.minutes, args.height)
        from vidsearch.model import Embedder
        from vidsearch.video import WindowReader

        start = time.perf_counter()
        windows = sum(1 for _ in WindowReader(video))
        decode_seconds = time.perf_counter() - start
        embedder = Embedder()
        sample = next(iter(WindowReader(video))).frames
        embedder.embed_batch([sample] * 4)  # warm
        start = time.perf_counter()
        for _ in range(3):
            embedder.embed_batch([sample] * 4)
        model_ms = (time.perf_counter() - start) / 12 * 1000
        child = subprocess.run([sys.executable, "-c", CHILD, str(video)], capture_output=True, text=True)
        if child.returncode:
            sys.exit(f"indexing failed: {child.stderr[-2000:]}")
        run = json.loads(child.stdout.strip().splitlines()[-1])
    video_seconds = args.minutes * 60
    figures = {
        "video_seconds": video_seconds, "height": args.height, "precision": run["precision"],
        "windows": windows, "index_seconds": round(run["seconds"], 1),
        "video_seconds_per_second": round(video_seconds / run["seconds"], 2),
        "decode_only_seconds": round(decode_seconds, 1), "model_ms_per_window": round(model_ms, 1),
        "model_only_seconds": round(windows * model_ms / 1000, 1),
        "peak_rss_mib": round(run["peak_rss_mib"]), "peak_worker_rss_mib": round(run["peak_worker_rss_mib"]),
        "this_process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
