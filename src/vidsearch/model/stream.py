"""Each frame through the network once: a video's windows embedded from one pass over its frame stream.

Windows of 16 frames every 4 frames share 12 of them: embedded one by one, every frame goes through I3D four
times. Here the network runs once over a chunk of consecutive sampled frames and each window's vector is pooled
from the chunk's feature maps: Mixed_3 blocks step every 2 frames, Mixed_4 every 4 (a window is 4 of their
steps), Mixed_5 every 8, so its maps are computed at both phases (pooled from Mixed_4f at even and at odd
steps: Mixed_5 costs 2 % of the network) and a window starting between two steps reads the other phase.

A window then sees its neighbourhood instead of zero padding at its own edges: its vector is not the one
embedded alone (cosine about 0.82 on a real film excerpt: 16-frame windows are mostly edge), which is why a collection
records how its windows were embedded (`CONTEXTS`) and its queries are embedded the same way. A chunk is
CHUNK_FRAMES long and keeps MARGIN_FRAMES of context on each side of the windows it embeds, so a long video is
held one chunk at a time and its vectors hardly depend on where the chunks fall.

At the ends of a run of frames (a video's start and end, a gap) the network would see zero padding where the
same moment inside a longer video sees its neighbours: an excerpt's windows then differ from the library's
right where it begins and ends, and the excerpt is placed less exactly (`long`: start within 1 s 0.90
against 0.95 embedded window by window). The first and last EDGE_FRAMES frames are mirrored in time there
instead, a context like the inside's (0.975; docs/measured.md "Speed levers of 0.6").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .features import Feature

CONTEXTS = ("stream", "window")  # stream: windows pooled from a pass over the video; window: each alone
# Not yet the default: on the synthetic duplicates corpus its nearer vectors propose two clips of different
# scenes that the frame check then wrongly confirms (score 0.55, tests/server/test_browser.py); the frame check
# must be hardened first (issue 27). On real footage it holds every quality bar (docs/measured.md).
DEFAULT_CONTEXT = "window"
LEGACY_CONTEXT = "window"  # every collection made before contexts were recorded (vidsearch < 0.6)
STEP_FRAMES = {"Mixed_3": 2, "Mixed_4": 4, "Mixed_5": 8}  # frames per time step of each stage's maps
ALIGN = 8  # a chunk's length is a multiple of the Mixed_5 step: TF 'SAME' padding is then the same for all
CHUNK_FRAMES = 160  # 20 s at 8 fps: the most frames one pass holds
MARGIN_FRAMES = 16  # context kept on each side of the windows a chunk embeds (2 s)
EDGE_FRAMES = 16  # mirrored at each end of a run: the context an excerpt lacks (8 placed less exactly on `long`)


def parse_context(text: str | None) -> str:
    context = (text or DEFAULT_CONTEXT).lower()
    if context not in CONTEXTS:
        raise ValueError(f"window context must be one of {', '.join(CONTEXTS)}, not {text!r}")
    return context


def can_stream(num_frames: int, stride_frames: int) -> bool:
    """Windows can be pooled from shared maps when they cover whole Mixed_5 steps and start on Mixed_4 steps."""
    return num_frames % STEP_FRAMES["Mixed_5"] == 0 and stride_frames % STEP_FRAMES["Mixed_4"] == 0


def step_of(block: str) -> int:
    return STEP_FRAMES[block[:7]]


def output_layout(feature: Feature) -> list[tuple[str, int]]:
    """The streamed network's outputs in order: (block, phase) for each feature block (Mixed_5 blocks at
    phases 0 and 1), then ('logits', 0) and ('logits', 1). Each is 1×C×L: per time step, the spatial average."""
    layout = []
    for block in feature.blocks:
        layout += [(block, 0), (block, 1)] if step_of(block) == STEP_FRAMES["Mixed_5"] else [(block, 0)]
    return layout + [("logits", 0), ("logits", 1)]


def pool_windows(maps: dict[tuple[str, int], np.ndarray], feature: Feature, offsets: list[int],
                 window: int) -> tuple[np.ndarray, np.ndarray]:
    """Each window's block averages (side by side, as the per-window network gives them) and logits, from a
    chunk's per-step maps; `offsets` are the windows' first frames within the chunk (multiples of 4)."""
    vectors, logits = [], []
    for offset in offsets:
        parts = []
        for block in feature.blocks:
            parts.append(_mean(maps, block, step_of(block), offset, window))
        vectors.append(np.concatenate(parts))
        logits.append(_mean(maps, "logits", STEP_FRAMES["Mixed_5"], offset, window))
    return np.stack(vectors).astype(np.float32), np.stack(logits).astype(np.float32)


def _mean(maps, block: str, step: int, offset: int, window: int) -> np.ndarray:
    """The average of a block's steps inside [offset, offset + window): phase 1 of a Mixed_5 map starts one
    Mixed_4 step (4 frames) late and has lost the first step."""
    phase = (offset // STEP_FRAMES["Mixed_4"]) % 2 if step == STEP_FRAMES["Mixed_5"] else 0
    first = (offset - phase * STEP_FRAMES["Mixed_4"]) // step
    return maps[(block, phase)][0, :, first : first + window // step].mean(axis=1)


def mirrored_ends(clip: np.ndarray, before: int, after: int) -> tuple[np.ndarray, int]:
    """The clip with `before` frames mirrored in time ahead of it and `after` behind it (the edge frame itself
    not repeated; a clip shorter than that mirrors what it has, in whole Mixed_4 steps), and how many frames
    went ahead of it."""
    step = STEP_FRAMES["Mixed_4"]
    before, after = (min(n, len(clip) - 1) // step * step for n in (before, after))
    return np.concatenate([clip[1 : before + 1][::-1], clip, clip[len(clip) - 1 - after : len(clip) - 1][::-1]]), before


@dataclass
class WindowStream:
    """Embeds one video's windows as they arrive, a chunk at a time. `push(start, frames)` takes a window (its
    first frame's index on the sampling grid and its W frames); `finish()` embeds what is left. Both return
    (window start, block averages, logits) for the windows done. A window that does not continue the run of
    frames before it (a gap, or the first) starts a new run."""

    run: Callable[[np.ndarray], dict[tuple[str, int], np.ndarray]]  # N×S×S×3 uint8 -> per-step maps (N: 4k)
    feature: Feature
    window: int
    chunk: int = CHUNK_FRAMES
    margin: int = MARGIN_FRAMES
    edge: int = EDGE_FRAMES
    _frames: list[np.ndarray] = field(default_factory=list)  # the run's frames from _first on
    _first: int = 0  # grid index of _frames[0]
    _run_start: int = 0
    _pending: list[int] = field(default_factory=list)  # starts of windows not yet embedded

    def __post_init__(self):
        self.chunk = max(self.chunk, 2 * self.margin + self.window)  # a chunk always holds a window and its margins

    @property
    def _end(self) -> int:
        return self._first + len(self._frames)

    def push(self, start: int, frames: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        done = []
        continues = (self._first <= start <= self._end and start > (self._pending or [start - 1])[-1]
                     and (start - self._run_start) % STEP_FRAMES["Mixed_4"] == 0)
        if self._frames and not continues:
            done = self.finish()
        if not self._frames:
            self._first = self._run_start = start
        self._frames.extend(np.array(frames[self._end - start :]))  # a copy: the window's array is let go
        self._pending.append(start)
        while self._pending and self._end - self._chunk_start() >= self.chunk:
            done += self._embed(final=False)
        return done

    def finish(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        done = []
        while self._pending:
            done += self._embed(final=True)
        self._frames, self._pending = [], []
        return done

    def _chunk_start(self) -> int:
        return max(self._run_start, self._pending[0] - self.margin)

    def _embed(self, final: bool) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Runs one chunk from the first pending window's left margin; embeds the windows whose right margin
        it holds (all it holds, at the run's end)."""
        start = self._chunk_start()
        end = min(self._end, start + self.chunk)
        limit = end if final and end == self._end else end - self.margin
        ready = [s for s in self._pending if s + self.window <= limit]
        clip = np.stack(self._frames[start - self._first : end - self._first])
        clip, before = mirrored_ends(clip, self.edge if start == self._run_start else 0,
                                     self.edge if final and end == self._end else 0)
        vectors, logits = pool_windows(self.run(clip), self.feature, [s - start + before for s in ready], self.window)
        self._pending = self._pending[len(ready):]
        if self._pending:  # keep only what later chunks need: the next window's left margin onwards
            keep = self._chunk_start() - self._first
            del self._frames[:keep]
            self._first += keep
        return [(s, v, l) for s, v, l in zip(ready, vectors, logits)]
