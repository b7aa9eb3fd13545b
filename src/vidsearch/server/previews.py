"""Animated previews (WebP) of indexed videos: a few sampled frames, made once, cached on disk."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image

from ..video import DecodeOptions, decode_clip

PREVIEW_FRAMES = 8
PREVIEW_SIZE = 224


class PreviewCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def path_for(self, video_id: int, fingerprint: str) -> Path:
        return self.folder / f"{video_id}-{fingerprint[:16] or 'x'}.webp"

    def get(self, video_id: int, source: str, fingerprint: str) -> Path:
        """The preview file, made from `source` on first use (a changed file gets a new fingerprint, a new one)."""
        target = self.path_for(video_id, fingerprint)
        if target.exists():
            return target
        clip = decode_clip(source, DecodeOptions(num_frames=PREVIEW_FRAMES, short_side=PREVIEW_SIZE, size=PREVIEW_SIZE))
        frames = [Image.fromarray(f) for f in clip.frames]
        with self._lock:
            tmp = target.with_suffix(".tmp")
            frames[0].save(tmp, format="WEBP", save_all=True, append_images=frames[1:], duration=250, loop=0, quality=70)
            tmp.replace(target)
        return target
