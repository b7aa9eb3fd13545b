"""Indexing one long video: speed (video-seconds per second, decode vs model) and peak memory.

    python benchmarks/long_video.py --minutes 2 --height 720 [--json] [--source FILE] [--context window]
        [--precision fp32] [--device cuda]

A one-minute clip of distinct scenes is encoded once (H.264, 30 fps, a keyframe every 2 s), then remuxed
end to end (packets copied, timestamps shifted: no re-encode) into a file of `--minutes`; `--source FILE`
times that file instead. It is indexed by `VideoSearch.index` into the in-memory store with the default
settings, in a child process whose peak RSS (decode workers included) is read from the kernel. Decode-only
and model-only timings of the same file say where the time goes; `cpu` names the processor and the flags the
precision was chosen on.
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
    settings = Settings(db="memory://", context=sys.argv[2] or None, device=sys.argv[3] or None,
                        precision=sys.argv[4] or None)
    engine = VideoSearch(settings=settings)
    engine.embedder
    start = time.perf_counter()
    report = engine.index([SourceItem(1, Path(sys.argv[1]), "long")])
    seconds = time.perf_counter() - start
    assert report.indexed == 1, report.to_json()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "segments": engine.info().segments, "precision": engine.embedder.precision,
                      "context": engine.context(), "peak_rss_mib": own / 1024, "peak_worker_rss_mib": children / 1024}))
"""
MODEL_SECONDS = 30.0  # the model is timed on the windows of the first half minute (held in memory)


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


def model_ms_per_window(video: Path, context: str | None, device: str | None, precision: str | None) -> float:
    """Milliseconds of model time per window, the way ingest embeds them (streamed or one by one), warm."""
    from vidsearch.ingest import embed_windows
    from vidsearch.model import Embedder
    from vidsearch.video import DecodeOptions, WindowReader

    options = DecodeOptions()
    windows = []
    for window in WindowReader(video, options):
        if window.start >= MODEL_SECONDS:
            break
        windows.append(window)
    embedder = Embedder(precision, device=device, context=context)
    embed_windows(embedder, windows[:8], 4, options)  # warm: compiled, caches filled
    start = time.perf_counter()
    embed_windows(embedder, windows, 4, options)
    return (time.perf_counter() - start) / len(windows) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--source", type=Path, help="time this video file instead of a generated one")
    parser.add_argument("--context", choices=["stream", "window"], help="how windows are embedded (default: vidsearch's)")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="where the model runs (default: auto)")
    parser.add_argument("--precision", choices=["fp32", "bf16", "int8"],
                        help="the model's arithmetic (default: auto; fp32 is what a CPU without VNNI or bf16 gets)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from vidsearch.model.precision import cpu_summary
    from vidsearch.video import WindowReader

    with tempfile.TemporaryDirectory() as tmp:
        video = args.source or make_long_video(Path(tmp) / "long.mp4", args.minutes, args.height)
        start = time.perf_counter()
        reader = WindowReader(video)
        windows = sum(1 for _ in reader)
        decode_seconds = time.perf_counter() - start
        model_ms = model_ms_per_window(video, args.context, args.device, args.precision)
        child = subprocess.run([sys.executable, "-c", CHILD, str(video), args.context or "", args.device or "",
                                args.precision or ""],
                               capture_output=True, text=True)
        if child.returncode:
            sys.exit(f"indexing failed: {child.stderr[-2000:]}")
        run = json.loads(child.stdout.strip().splitlines()[-1])
    video_seconds = reader.info.duration
    figures = {
        "source": str(args.source) if args.source else f"generated, {args.minutes:g} min",
        "video_seconds": round(video_seconds, 1), "height": reader.info.height, "fps": round(reader.info.fps, 2),
        "cpu": cpu_summary(), "precision": run["precision"], "context": run["context"],
        "windows": windows, "index_seconds": round(run["seconds"], 1),
        "video_seconds_per_second": round(video_seconds / run["seconds"], 2),
        "decode_only_seconds": round(decode_seconds, 1),
        "decode_only_video_seconds_per_second": round(video_seconds / decode_seconds, 1),
        "model_ms_per_window": round(model_ms, 1), "model_only_seconds": round(windows * model_ms / 1000, 1),
        "peak_rss_mib": round(run["peak_rss_mib"]), "peak_worker_rss_mib": round(run["peak_worker_rss_mib"]),
        "this_process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>36}: {value}")


if __name__ == "__main__":
    main()
