"""`long`: segment search. Library = untrimmed real videos (whole source files, one source split in two, the
four cameras of each pose2sim scene joined into one video: look-alikes that share scene, palette and people);
queries = excerpts of 3 to 4.5 s cut at random offsets, plain or altered like `copies`, with `test/truth.csv`
saying which video and which second each came from. Label = library video, so the tutorial's metrics apply.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..progress import progress
from ..video.encode import H264, write_video
from .layout import DatasetSummary, write_csv
from .real import duration_of, fetch_sources, footage_of, read_segment
from .transforms import COPY_KINDS_BY_NAME

# library video -> the source files (by short name) it is made of, in order, and the seconds taken of each
VIDEOS: dict[str, list[tuple[str, float, float]]] = {
    "wolfgang_part1": [("wolfganglanger_pexels", 0.0, 9.8)],
    "wolfgang_part2": [("wolfganglanger_pexels", 9.8, 1e9)],
    "bikes": [("bikes", 0.0, 1e9)],
    "sports2d": [("sports2d_demo", 0.0, 1e9)],
    "face_noface": [("face_noface", 0.0, 1e9)],
    "noface_face": [("face_room_noface_face", 0.0, 1e9)],
    "bigbuckbunny": [("bigbuckbunny", 0.0, 1e9)],
    "carphone": [("carphone_pristine", 0.0, 1e9)],
    "pose2sim_single": [(f"pose2sim_single_cam0{i}", 0.0, 1e9) for i in range(1, 5)],
    "pose2sim_multi": [(f"pose2sim_multi_cam0{i}", 0.0, 1e9) for i in range(1, 5)],
}
FPS = 25.0  # every library video is written at one rate, so joined parts keep their timing
EXCERPTS_PER_VIDEO = 4
ALTERATIONS = ("plain", "reencode", "crop", "flip", "logo", "brightness", "plain", "downscale")
EXCERPT_SECONDS = (3.0, 4.5)


def _resample(frames: list[np.ndarray], fps: float) -> list[np.ndarray]:
    """Frames at FPS (nearest frame in time), sized to the first part's shape."""
    count = max(1, round(len(frames) / fps * FPS))
    picks = np.minimum((np.arange(count) * fps / FPS).round().astype(int), len(frames) - 1)
    return [frames[i] for i in picks]


def _fit(frame: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Letterboxes a frame into `shape` (joined cameras may differ by a few pixels)."""
    h, w = shape
    out = np.zeros((h, w, 3), np.uint8)
    fh, fw = min(h, frame.shape[0]), min(w, frame.shape[1])
    out[:fh, :fw] = frame[:fh, :fw]
    return out


def build_long(out: str | Path, cache: Path | None = None, seed: int = 0) -> DatasetSummary:
    out = Path(out)
    sources = {s.name: s for s in fetch_sources(cache)}
    rng = np.random.default_rng(seed)
    truth_rows = []
    for name, parts in progress(list(VIDEOS.items()), desc="long videos and excerpts", unit="video"):
        frames: list[np.ndarray] = []
        for source, start, end in parts:
            part, fps = read_segment(sources[source].path, start, end)
            frames += _resample(part, fps)
        shape = frames[0].shape[:2]
        frames = [_fit(f, shape) for f in frames]
        video = out / "train" / name / f"{name}.mp4"
        write_video(video, frames, FPS, H264)
        duration = len(frames) / FPS
        for n in range(EXCERPTS_PER_VIDEO):
            length = float(rng.uniform(*EXCERPT_SECONDS))
            offset = round(float(rng.uniform(0, max(duration - length, 0.0))), 2)
            first = round(offset * FPS)
            excerpt = frames[first : first + round(length * FPS)]
            alteration = ALTERATIONS[(n + len(truth_rows)) % len(ALTERATIONS)]
            query = out / "test" / name / f"{name}_at{offset:05.2f}_{alteration}.mp4"
            if alteration == "plain":
                write_video(query, excerpt, FPS, H264)
            else:
                kind = COPY_KINDS_BY_NAME[alteration]
                altered, altered_fps = kind.transform(iter(excerpt), FPS)
                query = query.with_suffix(kind.suffix)
                write_video(query, altered, altered_fps, kind.encoding)
            truth_rows.append([query.relative_to(out / "test").as_posix(), f"../train/{name}/{video.name}", offset])
    with open(out / "test" / "truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["query", "video", "offset"])
        writer.writerows(truth_rows)
    return write_csv(out)


def video_parts(sources: dict) -> dict[str, list[tuple[float, float, str, float]]]:
    """Where each library video's seconds come from: [(video start, video end, source short name, source
    start)] (parts are joined end to end; resampling keeps their timing)."""
    videos = {}
    for name, parts in VIDEOS.items():
        at, spans = 0.0, []
        for source, start, end in parts:
            length = min(end, duration_of(sources[source].path)) - start
            spans.append((at, at + length, source, start))
            at += length
        videos[name] = spans
    return videos


def footage_between(parts: list[tuple[float, float, str, float]], start: float, end: float) -> list[tuple[str, float, float]]:
    """The footage seconds [start, end) of a library video show (`real.footage_of`, through its parts): the
    truth a copy detector is scored against."""
    shown = []
    for lo, hi, source, source_start in parts:
        if min(end, hi) > max(start, lo):
            shown += footage_of(source, source_start + max(start, lo) - lo, source_start + min(end, hi) - lo)
    return shown
