"""The edits re-uploads carry, stacked on a copy by `copies-hard`: picture-in-picture, rotations, a vertical
reframe, captions, colour, blur, low frame rate and bitrate. Each maps a list of RGB frames to another (the
speed and excerpt edits are made when the source is read: they decide which source seconds a copy shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..video.encode import Encoding

Frames = list[np.ndarray]


@dataclass(frozen=True)
class Context:
    """What an edit may draw on besides the copy itself: unrelated footage (for a picture-in-picture's
    surroundings), the copy's frame rate and a seeded random generator."""

    background: Frames
    fps: float
    rng: np.random.Generator


def _image(frame: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(frame))


def _fit(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(_image(frame).resize((width, height), Image.BILINEAR))


def picture_in_picture(scale: float, mirrored: bool = False) -> Callable[[Frames, Context], Frames]:
    """The copy shown at `scale` of the frame in a corner (chosen at random, a small margin) over unrelated
    footage, mirrored or not."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        h, w = frames[0].shape[:2]
        ih, iw = round(h * scale) // 2 * 2, round(w * scale) // 2 * 2
        margin = round(min(h, w) * 0.04)
        top = margin if ctx.rng.random() < 0.5 else h - ih - margin
        left = margin if ctx.rng.random() < 0.5 else w - iw - margin
        out = []
        for i, frame in enumerate(frames):
            canvas = _fit(ctx.background[i % len(ctx.background)], w, h).copy()
            inset = _fit(frame[:, ::-1] if mirrored else frame, iw, ih)
            canvas[top : top + ih, left : left + iw] = inset
            out.append(canvas)
        return out
    return edit


def rotate(quarter_turns: int) -> Callable[[Frames, Context], Frames]:
    """A phone turned: the picture rotated by 90° steps (counter-clockwise), the frame's shape with it."""
    return lambda frames, ctx: [np.ascontiguousarray(np.rot90(f, quarter_turns)) for f in frames]


def tilt_and_crop(degrees: float = 7.0, keep: float = 0.75) -> Callable[[Frames, Context], Frames]:
    """A small rotation, then the centre `keep` of the frame (no black corners left)."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        return [_centre(np.asarray(_image(f).rotate(degrees, Image.BILINEAR)), keep) for f in frames]
    return edit


def _centre(frame: np.ndarray, keep: float) -> np.ndarray:
    h, w = frame.shape[:2]
    ch, cw = int(h * keep), int(w * keep)
    return frame[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]


def crop_and_mirror(keep: float = 0.6) -> Callable[[Frames, Context], Frames]:
    """`keep` of each side, at a random place, mirrored."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        h, w = frames[0].shape[:2]
        ch, cw = int(h * keep), int(w * keep)
        top, left = int(ctx.rng.integers(0, h - ch + 1)), int(ctx.rng.integers(0, w - cw + 1))
        return [np.ascontiguousarray(f[top : top + ch, left : left + cw, :][:, ::-1]) for f in frames]
    return edit


def vertical(blur: float = 12.0) -> Callable[[Frames, Context], Frames]:
    """A 9:16 reframe: the picture fitted to the width, over a blurred copy of itself filling the frame."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        h, w = frames[0].shape[:2]
        cw = round(h * 9 / 16) // 2 * 2
        fh = round(cw * h / w) // 2 * 2
        out = []
        for f in frames:
            cover = _image(f).crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
            canvas = np.asarray(cover.filter(ImageFilter.GaussianBlur(blur))).copy()
            top = (h - fh) // 2
            canvas[top : top + fh] = _fit(f, cw, fh)
            out.append(canvas)
        return out
    return edit


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size)


CAPTIONS = ("you won't believe this", "wait for it...", "the original is better", "reposting because wow",
            "day 3 of trying this", "credit to the owner")


def caption() -> Callable[[Frames, Context], Frames]:
    """A caption burnt in over a dark band at the bottom (a re-upload's text)."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        text = CAPTIONS[int(ctx.rng.integers(len(CAPTIONS)))]
        h, w = frames[0].shape[:2]
        band = max(12, h // 7)
        font = _font(max(10, band * 2 // 3))
        out = []
        for f in frames:
            image = _image(f)
            shade = Image.new("RGB", (w, band), (10, 10, 10))
            image.paste(Image.blend(image.crop((0, h - band, w, h)), shade, 0.7), (0, h - band))
            ImageDraw.Draw(image).text((w // 20, h - band + band // 8), text, fill=(255, 255, 255), font=font)
            out.append(np.asarray(image))
        return out
    return edit


def grey() -> Callable[[Frames, Context], Frames]:
    return lambda frames, ctx: [np.repeat(np.asarray(_image(f).convert("L"))[..., None], 3, axis=2) for f in frames]


def hue_and_noise(shift: int = 40, sigma: float = 8.0) -> Callable[[Frames, Context], Frames]:
    """The hue turned by `shift` (of 256) and Gaussian noise added."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        out = []
        for f in frames:
            hsv = np.asarray(_image(f).convert("HSV")).copy()
            hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
            rgb = np.asarray(Image.fromarray(hsv, "HSV").convert("RGB")).astype(np.float32)
            out.append(np.clip(rgb + ctx.rng.normal(0, sigma, rgb.shape), 0, 255).astype(np.uint8))
        return out
    return edit


def blur(radius: float = 2.5) -> Callable[[Frames, Context], Frames]:
    return lambda frames, ctx: [np.asarray(_image(f).filter(ImageFilter.GaussianBlur(radius))) for f in frames]


def border_and_logo(border: float = 0.08) -> Callable[[Frames, Context], Frames]:
    """A coloured border around the shrunk picture and a logo in a corner."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        colour = tuple(int(c) for c in ctx.rng.integers(0, 256, 3))
        h, w = frames[0].shape[:2]
        bh, bw = round(h * border), round(w * border)
        out = []
        for f in frames:
            canvas = np.empty_like(f)
            canvas[:] = colour
            canvas[bh : h - bh, bw : w - bw] = _fit(f, w - 2 * bw, h - 2 * bh)
            s = max(8, h // 8)
            canvas[bh + 4 : bh + 4 + s, w - bw - 4 - s : w - bw - 4] = (250, 250, 250)
            canvas[bh + 4 + s // 4 : bh + 4 + 3 * s // 4, w - bw - 4 - 3 * s // 4 : w - bw - 4 - s // 4] = (200, 30, 30)
            out.append(canvas)
        return out
    return edit


def low_rate_letterbox(fps: float = 15.0, bar: float = 0.12) -> Callable[[Frames, Context], Frames]:
    """`fps` frames a second (nearest frames kept: the copy's rate is set by its kind) and black bars above
    and below."""
    def edit(frames: Frames, ctx: Context) -> Frames:
        count = max(1, round(len(frames) * fps / ctx.fps))
        picks = np.minimum((np.arange(count) * ctx.fps / fps).round().astype(int), len(frames) - 1)
        h = frames[0].shape[0]
        pad = np.zeros((round(h * bar), *frames[0].shape[1:]), np.uint8)
        return [np.concatenate([pad, frames[i], pad]) for i in picks]
    return edit


@dataclass(frozen=True)
class Edit:
    """One kind of edit: its name (the truth file's and the report's), what it does to the frames (None: an
    edit of time, made when the source is read), the source seconds per copy second (speed), the copy's
    length in seconds (None: the default), the frame rate and encoding it forces."""

    name: str
    frames: Callable[[Frames, Context], Frames] | None = None
    rate: float = 1.0
    seconds: float | None = None
    fps: float | None = None
    encoding: Encoding | None = None


LOW_BITRATE = Encoding("libx264", options={"preset": "veryfast"}, bit_rate=150_000)

EDITS: dict[str, Edit] = {e.name: e for e in (
    Edit("pip_half", picture_in_picture(1 / 2)),
    Edit("pip_third", picture_in_picture(1 / 3)),
    Edit("pip_half_mirrored", picture_in_picture(1 / 2, mirrored=True)),
    Edit("speed_1.25", rate=1.25),
    Edit("speed_1.5", rate=1.5),
    Edit("speed_0.8", rate=0.8),
    Edit("speed_0.75", rate=0.75),
    Edit("rotate_90", rotate(1)),
    Edit("rotate_270", rotate(3)),
    Edit("rotate_180", rotate(2)),
    Edit("vertical", vertical()),
    Edit("caption", caption()),
    Edit("tilt_7_crop", tilt_and_crop()),
    Edit("crop_60_mirror", crop_and_mirror()),
    Edit("grey", grey()),
    Edit("hue_noise", hue_and_noise()),
    Edit("blur", blur()),
    Edit("15fps_150k_letterbox", low_rate_letterbox(), fps=15.0, encoding=LOW_BITRATE),
    Edit("border_logo", border_and_logo()),
    Edit("excerpt_3s", seconds=3.0),
)}

# The stacks a copy carries (2-3 edits each), taken in turn: every edit kind appears in several copies.
RECIPES: tuple[tuple[str, ...], ...] = (
    ("pip_half", "grey"),
    ("pip_third", "caption"),
    ("pip_half_mirrored", "blur"),
    ("speed_1.25", "caption"),
    ("speed_0.8", "grey"),
    ("speed_1.5", "border_logo"),
    ("speed_0.75", "hue_noise"),
    ("rotate_90", "caption"),
    ("rotate_270", "blur", "grey"),
    ("vertical", "caption"),
    ("tilt_7_crop", "caption", "grey"),
    ("crop_60_mirror", "hue_noise"),
    ("15fps_150k_letterbox", "caption"),
    ("border_logo", "blur", "hue_noise"),
    ("excerpt_3s", "crop_60_mirror", "caption"),
    ("excerpt_3s", "speed_1.25", "grey"),
    ("pip_third", "hue_noise", "rotate_180"),
    ("speed_1.5", "vertical"),
)
