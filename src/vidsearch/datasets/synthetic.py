"""Procedurally generated labelled clips: a sprite moving one of 20 ways over a textured background.

Everything derives from a seed, so a dataset is reproducible bit for bit on one machine. Opposite motions
(left/right, rotate cw/ccw, zoom in/out, approach/separate) share every frame's content and differ only in
order: they tell an order-aware model from a frame-averaging one.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..video.encode import Encoding

MOTIONS = (
    "move_left", "move_right", "move_up", "move_down", "diagonal_down", "diagonal_up",
    "rotate_cw", "rotate_ccw", "zoom_in", "zoom_out", "bounce_horizontal", "bounce_vertical",
    "orbit_cw", "orbit_ccw", "zigzag", "approach", "separate", "camera_shake", "pulse", "spiral_in",
)
SHAPES = {"triangle": 3, "square": 4, "pentagon": 5, "bar": 4}

# (suffix, encoding): the variety of files a real library holds.
ENCODINGS: tuple[tuple[str, Encoding], ...] = (
    (".mp4", Encoding("libx264", options={"preset": "veryfast", "crf": "23", "g": "12"})),
    (".mp4", Encoding("libx264", options={"preset": "veryfast", "crf": "28", "g": "250"})),
    (".mkv", Encoding("libx264", options={"preset": "veryfast", "crf": "20", "g": "30", "bf": "0"})),
    (".avi", Encoding("mpeg4", options={"qscale": "4", "g": "25"})),
    (".webm", Encoding("libvpx-vp9", options={"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"})),
    (".avi", Encoding("mjpeg", pix_fmt="yuvj420p", options={"qscale": "5"})),
)


@dataclass(frozen=True)
class ClipSpec:
    motion: str
    seed: int
    width: int = 320
    height: int = 240
    fps: float = 25.0
    seconds: float = 3.0
    shape: str = "square"
    colour: tuple[int, int, int] = (230, 60, 40)
    size: float = 0.18  # sprite radius as a fraction of the short side
    speed: float = 1.0
    start: tuple[float, float] = (0.5, 0.5)
    jitter: float = 1.0  # camera shake in pixels
    noise: float = 3.0  # Gaussian pixel noise (std)
    blur: int = 0  # box blur radius

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))


def random_spec(motion: str, rng: np.random.Generator, seconds: tuple[float, float] = (2.0, 10.0),
                sizes: tuple[int, int] = (160, 640)) -> ClipSpec:
    """A clip of `motion` with everything else drawn at random (size, speed, colours, fps, length, ...)."""
    short = int(rng.integers(sizes[0], sizes[1] + 1))
    aspect = float(rng.choice([4 / 3, 16 / 9, 1.0, 3 / 4]))
    width, height = (round(short * aspect), short) if aspect >= 1 else (short, round(short / aspect))
    hue = rng.random()
    colour = tuple(int(c) for c in 255 * np.array(colorsys.hsv_to_rgb(hue, 0.6 + 0.4 * rng.random(), 0.7 + 0.3 * rng.random())))
    return ClipSpec(
        motion=motion,
        seed=int(rng.integers(0, 2**31)),
        width=width // 2 * 2,
        height=height // 2 * 2,
        fps=float(rng.choice([15.0, 24.0, 25.0, 29.97, 30.0])),
        seconds=float(rng.uniform(*seconds)),
        shape=str(rng.choice(list(SHAPES))),
        colour=colour,
        size=float(rng.uniform(0.10, 0.22)),
        speed=float(rng.uniform(0.7, 1.3)),
        start=(float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.35, 0.65))),
        jitter=float(rng.uniform(0, 2.5)),
        noise=float(rng.uniform(0, 8)),
        blur=int(rng.integers(0, 3)),
    )


def _background(spec: ClipSpec, rng: np.random.Generator) -> np.ndarray:
    """A smooth random texture with a colour gradient: gives every clip its own look."""
    margin = 16  # room for camera shake
    h, w = spec.height + 2 * margin, spec.width + 2 * margin
    cells = int(rng.integers(3, 12))
    coarse = rng.random((cells + 1, cells + 1, 3))
    ys, xs = np.linspace(0, cells, h), np.linspace(0, cells, w)
    y0, x0 = np.floor(ys).astype(int).clip(0, cells - 1), np.floor(xs).astype(int).clip(0, cells - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    tex = (coarse[y0][:, x0] * (1 - fy) * (1 - fx) + coarse[y0 + 1][:, x0] * fy * (1 - fx)
           + coarse[y0][:, x0 + 1] * (1 - fy) * fx + coarse[y0 + 1][:, x0 + 1] * fy * fx)
    base = rng.random(3) * 0.6
    gradient = np.linspace(0, 1, w)[None, :, None] * (rng.random(3) - 0.5) * 0.5
    return np.clip(255 * (0.35 * tex + base + gradient), 0, 255).astype(np.float32)


def _trajectory(spec: ClipSpec, u: float) -> list[tuple[float, float, float, float]]:
    """Sprites at time u in [0, 1] as (x, y, angle, scale), positions in units of the frame."""
    sx, sy = spec.start
    d = 0.6 * spec.speed
    m = spec.motion
    wave = lambda cycles: math.sin(2 * math.pi * cycles * u)  # noqa: E731
    if m in ("move_left", "move_right"):
        x = 0.5 + (0.5 - u) * d if m == "move_left" else 0.5 + (u - 0.5) * d
        return [(x, sy, 0.0, 1.0)]
    if m in ("move_up", "move_down"):
        y = 0.5 + (0.5 - u) * d if m == "move_up" else 0.5 + (u - 0.5) * d
        return [(sx, y, 0.0, 1.0)]
    if m in ("diagonal_down", "diagonal_up"):
        k = (u - 0.5) if m == "diagonal_down" else (0.5 - u)
        return [(0.5 + k * d, 0.5 + k * d * 0.8, 0.0, 1.0)]
    if m in ("rotate_cw", "rotate_ccw"):
        turn = 2 * math.pi * u * spec.speed * (1 if m == "rotate_cw" else -1)
        return [(sx, sy, turn, 1.3)]
    if m in ("zoom_in", "zoom_out"):
        k = u if m == "zoom_in" else 1 - u
        return [(sx, sy, 0.3, 0.5 + 1.6 * k)]
    if m == "bounce_horizontal":
        return [(0.5 + 0.3 * wave(1.5 * spec.speed), sy, 0.0, 1.0)]
    if m == "bounce_vertical":
        return [(sx, 0.5 + 0.3 * wave(1.5 * spec.speed), 0.0, 1.0)]
    if m in ("orbit_cw", "orbit_ccw", "spiral_in"):
        sign = -1 if m == "orbit_ccw" else 1
        radius = 0.28 * (1 - 0.8 * u if m == "spiral_in" else 1)
        a = sign * 2 * math.pi * u * spec.speed
        return [(0.5 + radius * math.cos(a), 0.5 + radius * math.sin(a), 0.0, 0.9)]
    if m == "zigzag":
        tri = 2 * abs((3 * u * spec.speed) % 1 - 0.5)  # triangle wave 0..1
        return [(0.2 + 0.6 * u, 0.25 + 0.5 * tri, 0.0, 0.9)]
    if m in ("approach", "separate"):
        gap = 0.35 * (1 - u if m == "approach" else u) + 0.08
        return [(0.5 - gap, sy, 0.0, 0.8), (0.5 + gap, sy, math.pi / 4, 0.8)]
    if m == "camera_shake":
        return [(sx, sy, 0.0, 1.0)]
    if m == "pulse":
        return [(sx, sy, 0.0, 1.0 + 0.45 * wave(2 * spec.speed))]
    raise ValueError(f"unknown motion {m!r}; choose from {', '.join(MOTIONS)}")


def _polygon_mask(spec: ClipSpec, xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, angle: float,
                  radius: float) -> np.ndarray:
    """Inside-test of a convex polygon (the shape's vertices on a circle; 'bar' is a long thin rectangle)."""
    if spec.shape == "bar":
        corners = [(1.0, 0.35), (-1.0, 0.35), (-1.0, -0.35), (1.0, -0.35)]
        verts = [(radius * (x * math.cos(angle) - y * math.sin(angle)), radius * (x * math.sin(angle) + y * math.cos(angle)))
                 for x, y in corners]
    else:
        n = SHAPES[spec.shape]
        verts = [(radius * math.cos(angle + 2 * math.pi * i / n), radius * math.sin(angle + 2 * math.pi * i / n))
                 for i in range(n)]
    inside = np.ones(xs.shape, dtype=bool)
    for (x1, y1), (x2, y2) in zip(verts, verts[1:] + verts[:1]):
        inside &= (x2 - x1) * (ys - cy - y1) - (y2 - y1) * (xs - cx - x1) >= 0
    return inside


def render(spec: ClipSpec) -> Iterator[np.ndarray]:
    """The clip's frames, H×W×3 uint8 RGB."""
    rng = np.random.default_rng(spec.seed)
    background = _background(spec, rng)
    margin = (background.shape[0] - spec.height) // 2
    short = min(spec.width, spec.height)
    ys, xs = np.mgrid[0 : spec.height, 0 : spec.width].astype(np.float32)
    colour = np.array(spec.colour, dtype=np.float32)
    second_colour = 255 - colour
    shake = spec.jitter * (5 if spec.motion == "camera_shake" else 1)
    n = spec.frame_count
    # a few noise fields reused in turn: sensor-like grain without drawing millions of normals per frame
    noise = [rng.normal(0, spec.noise, (spec.height, spec.width, 1)).astype(np.float32) for _ in range(4)] if spec.noise else []
    for i in range(n):
        u = i / max(n - 1, 1)
        dx, dy = (rng.normal(0, shake, 2) if shake else (0, 0))
        ox = int(np.clip(round(margin + dx), 0, 2 * margin))
        oy = int(np.clip(round(margin + dy), 0, 2 * margin))
        frame = background[oy : oy + spec.height, ox : ox + spec.width].copy()
        for j, (x, y, angle, scale) in enumerate(_trajectory(spec, u)):
            cx, cy, radius = x * spec.width, y * spec.height, spec.size * short * scale
            box = (slice(max(0, int(cy - radius) - 1), max(0, int(cy + radius) + 2)),
                   slice(max(0, int(cx - radius) - 1), max(0, int(cx + radius) + 2)))
            mask = _polygon_mask(spec, xs[box], ys[box], cx, cy, angle, radius)
            frame[box][mask] = colour if j == 0 else second_colour
        if spec.blur:  # separable box blur
            k = 2 * spec.blur + 1
            for axis in (0, 1):
                frame = sum(np.roll(frame, s, axis=axis) for s in range(-spec.blur, spec.blur + 1)) / k
        if spec.noise:
            frame += noise[i % len(noise)]
        yield np.clip(frame, 0, 255).astype(np.uint8)


def render_long(seed: int, seconds: float, scene_seconds: float = 5.0, width: int = 160, height: int = 120,
                fps: float = 12.0) -> Iterator[np.ndarray]:
    """An untrimmed video made of scenes of `scene_seconds`, each a different random clip: every part of it
    looks different from the others, so an excerpt has one right place (segment search tests, benchmarks)."""
    rng = np.random.default_rng(seed)
    remaining = seconds
    while remaining > 1e-9:
        length = min(scene_seconds, remaining)
        spec = random_spec(str(rng.choice(MOTIONS)), rng, seconds=(length, length), sizes=(height, height))
        spec = ClipSpec(**{**spec.__dict__, "width": width, "height": height, "fps": fps, "seconds": length})
        yield from render(spec)
        remaining -= length
