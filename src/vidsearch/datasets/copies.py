"""`copies`: near-duplicate detection. Library = distinct real clips, each its own label; queries = altered
copies of them (re-encode, downscale, crop, flip, letterbox, brightness, frame rate, trim, logo)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..progress import progress
from ..video.encode import write_video
from .layout import DatasetSummary, write_csv
from .real import NOT_DISTINCT, build_real, read_segment
from .transforms import COPY_KINDS


def build_copies(out: str | Path, kinds_per_clip: int = 3, cache: Path | None = None) -> DatasetSummary:
    """Every library clip gets `kinds_per_clip` copies, the kinds taken in turn so all are used evenly."""
    out = Path(out)
    staging = out / ".real"
    real = build_real(staging, cache) if not (staging / "reverse_video_search.csv").exists() else None
    clips = [c for c in sorted((staging / "train").glob("*/*.mp4")) if c.stem.rsplit("_s", 1)[0] not in NOT_DISTINCT]
    turn = 0
    for clip in progress(clips, desc="altered copies", unit="clip"):
        label = clip.stem
        target = out / "train" / label / clip.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip, target)
        frames, fps = read_segment(clip, 0.0, 1e9)
        for _ in range(kinds_per_clip):
            kind = COPY_KINDS[turn % len(COPY_KINDS)]
            turn += 1
            copied, copy_fps = kind.transform(iter(frames), fps)
            write_video(out / "test" / label / f"{label}_{kind.name}{kind.suffix}", copied, copy_fps, kind.encoding)
    shutil.rmtree(staging)
    del real
    return write_csv(out)
