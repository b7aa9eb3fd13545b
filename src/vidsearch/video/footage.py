"""Do two stretches of video show the same footage? A check on the frames, after the action vectors have
proposed a match.

The action model maps a different moment of the same scene (a fixed camera on one room, two clips of one
shot) about as near as a cropped or mirrored copy, so its distance cannot tell them apart. The frames can:
a copy repeats the same *changes* at the same times — who moved where between two instants — while another
moment of the same scene shows the same background with different changes. So both stretches are sampled at
aligned instants, each sample paired with the frame DELTA seconds later, and the frame-to-frame differences
are compared (normalised cross-correlation of small grey thumbnails: blind to brightness and contrast, to
re-encoding noise, to a small logo that does not move). Letterbox bars are cut off first; crops and mirroring
are tried as hypotheses (one side cropped to SCALES of itself, the other mirrored or not), and the time
offset is refined around the proposed one (the vectors place it only to within a stride): the best
hypothesis gives the score. Even small changes correlate (a fixed camera on a slow scene: 0.87-0.99 between
copies); footage with no change at all (a still shot) cannot be told from another moment of the same shot, and
is not reported as a copy.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .errors import VideoDecodeError
from .frames import all_frames, frames_at, nearest_frames
from .registration import Registration, covered_box, describe, drawn_over, register

SAME_FOOTAGE = 0.5  # the score from which two stretches are the same footage (benchmarks/copy_calibration.py)
SAMPLES = 8  # aligned instants per stretch
DELTA = 0.5  # seconds between a sample and the frame it is differenced with (at most half the stretch)
OFFSET_STEP = 1 / 16  # refinement of the proposed time offset, seconds ...
OFFSET_STEPS = 8  # ... this many steps either way (± half a second: a stride, or a trim of a one-window clip)
REFINED = OFFSET_STEP * OFFSET_STEPS  # seconds either way the refinement covers
# Speeds a copy may have been played at (b's seconds per a's second), tried once the pictures are registered:
# 1 first, so a tie keeps it.
RATES = (1.0, 0.5, 2 / 3, 0.75, 0.8, 1.25, 4 / 3, 1.5, 2.0)
SCALES = ((1.0, 1.0), (0.9, 1.0), (1.0, 0.9), (0.8, 1.0), (1.0, 0.8), (0.7, 1.0), (1.0, 0.7), (0.6, 1.0), (1.0, 0.6))
SEARCH_LAGS = (0.0, -0.25, 0.25, -0.5, 0.5)  # seconds b's frames are moved by to register, a thorough check
REALIGN = 3  # other places in b tried for registered pictures that disagree where the vectors placed them
EDGE_SLACK = 0.04  # seconds an instant may fall outside b (about a frame) for a speed other than 1 to stand
MIN_STRETCH = 0.5  # seconds of footage both videos hold, below which nothing can be told
MIN_PIECE = 3.0  # seconds: a refused interval this long twice over is checked again in halves, down to this
THUMB = 24  # thumbnail side, pixels
REGISTER_WIDTH = 320  # frames are read at this width, for the keypoints that register two pictures ...
READ_WIDTH = 160  # ... and halved for the changes
KEPT_KEYPOINTS = 4096  # frames whose keypoints a reader keeps
REGISTER_SPREAD = 1.0  # seconds either side of the stretch's middle where the frames registered are read
BAR_LEVEL, BAR_SPREAD = 16.0, 6.0  # a border row or column this dark and this even is a letterbox bar
# A reader decodes a file once, whole, when it is this short, or this short and asked for again (decoding a
# file whole costs about what reading it at the instants of one comparison costs when it is under half a minute).
SHORT_FILE_SECONDS, WHOLE_FILE_SECONDS = 30.0, 120.0
READER_BYTES = 1024 * 2**20  # frames a reader keeps (least recently read files dropped), and thumbnails as much


@dataclass(frozen=True)
class FootageMatch:
    """How well two stretches agree: `score`, the correlation of their changes in [-1, 1], held out from the
    choice of hypothesis (`look`: of the frames themselves, for reports), and the hypothesis that gave it:
    crop scales (1, 1 where the pictures were registered), mirrored, offset refinement, speed (b's seconds
    per a's second) and whether keypoints placed a's picture in b's (`registered`)."""

    score: float
    look: float
    scales: tuple[float, float]
    mirrored: bool
    shift: float  # seconds added to the proposed offset, at the stretch's middle
    rate: float = 1.0
    registered: bool = False
    threshold: float = 0.0  # the score from which the stretches are the same footage (SAME_FOOTAGE unless set)

    @property
    def same(self) -> bool:
        """Whether the stretches are the same footage."""
        return self.score >= (self.threshold or SAME_FOOTAGE)

    def placed(self, a_start: float, a_end: float, b_start: float) -> tuple[float, float]:
        """Where a's [a_start, a_end] lies in b by this match, `b_start` being where the comparison was asked
        to align a_start (at the same speed): a sped-up copy's interval in its source is longer than its own."""
        a_middle = (a_start + a_end) / 2
        b_middle = b_start + (a_middle - a_start) + self.shift
        return b_middle - self.rate * (a_middle - a_start), b_middle + self.rate * (a_end - a_middle)


def sample_times(a_start: float, length: float) -> list[float]:
    """SAMPLES instants over [a_start, a_start + length]."""
    return [a_start + length * (i + 0.5) / SAMPLES for i in range(SAMPLES)]


def compare(path_a: str, a_start: float, a_end: float, path_b: str, b_start: float,
            a_duration: float | None = None, b_duration: float | None = None,
            reader: FootageReader | None = None, lags: tuple[float, ...] = (0.0,)) -> FootageMatch | None:
    """The footage of `path_a` over [a_start, a_end] against `path_b` from `b_start` on, within the videos'
    durations when known. The whole pictures are compared first (`match_frames`: crop SCALES, mirrored or not,
    at the same speed); where they do not agree, the pictures are registered (registration.py: where a's
    picture lies in b's, scaled, turned, mirrored) and a's changes compared with b's over the region both
    show, at every speed in RATES and offset refinement; the better of the two scores. None when nothing can
    be told: either file cannot give the frames (gone, unreadable), or the stretch both videos hold is shorter
    than MIN_STRETCH. `reader`: one shared by many comparisons (None: the frames are read for this one only).
    `lags`: seconds b's frames are moved by to register the pictures, tried in turn until one registers
    (keypoints of moving footage match only between nearly the same instants, and the vectors place a stretch
    only to within a stride): a search checks its nearest result with SEARCH_LAGS; `duplicates`, with
    thousands of intervals, with none.

    Registered pictures that do not agree where the vectors placed them (a turned or heavily edited copy's
    vectors may place it wrongly) are compared again where b's changes agree best with a's (REALIGN places,
    for a b read whole), and once more where the best of those placed it (registered there)."""
    reader = reader or FootageReader(0)
    try:
        found = _compare_at(path_a, a_start, a_end, path_b, b_start, a_duration, b_duration, reader, lags)
    finally:
        reader.asked.update((path_a, path_b))  # a file asked for again is decoded whole (FootageReader)
    if found is None:
        return None
    match = found.match
    moved = 0.0  # seconds from where the vectors placed it to where the changes did
    if not match.same and found.registration is not None:
        try:
            anchors = _places_by_changes(reader, path_b, b_duration, found)
        except VideoDecodeError:
            anchors = []
        for anchor in anchors:
            again = _compare_at(path_a, a_start, a_end, path_b, b_start + anchor - found.b_middle, a_duration,
                                b_duration, reader, lags)
            if again is not None and again.match.score > match.score:
                moved = anchor - found.b_middle
                match = replace(again.match, shift=again.match.shift + moved)
    if match.registered and abs(match.shift - moved) > (OFFSET_STEP if moved else REFINED / 2):
        # registered again where the refinement placed it, when the keypoints were matched between instants far
        # apart (a place found by the changes was itself registered seconds away); its verdict replaces the
        # first, so a look-alike gets no second chance
        again = _compare_at(path_a, a_start, a_end, path_b, b_start + match.shift, a_duration, b_duration, reader,
                            lags)
        if again is not None:
            match = replace(again.match, shift=again.match.shift + match.shift)
    return match


@dataclass(frozen=True)
class _Compared:
    """One comparison where the stretch was placed: its match, the registration (None: none found or none
    needed), a's sample instants, their frames then their later frames, the delta of those changes, the middles
    of a's stretch and of b's."""

    match: FootageMatch
    registration: Registration | None
    times_a: list[float]
    frames_a: list[np.ndarray]
    delta: float
    a_middle: float
    b_middle: float


def _compare_at(path_a: str, a_start: float, a_end: float, path_b: str, b_start: float, a_duration: float | None,
                b_duration: float | None, reader: FootageReader, lags: tuple[float, ...] = (0.0,)
                ) -> _Compared | None:
    """`compare` where the vectors placed the stretch."""
    end = min(a_end, a_duration or math.inf, a_start + (b_duration - b_start if b_duration else math.inf))
    if end - a_start < MIN_STRETCH:
        return None
    delta = min(DELTA, (end - a_start) / 2)
    times_a = sample_times(a_start, end - a_start - delta)
    a_middle, b_middle = (a_start + end) / 2, b_start + (end - a_start) / 2
    shifts = [OFFSET_STEP * s for s in range(-OFFSET_STEPS, OFFSET_STEPS + 1)]
    last = b_duration if b_duration else math.inf
    try:
        frames_a = reader.frames(path_a, times_a + [t + delta for t in times_a], a_duration)
        times_b, _ = _instants_b(b_middle, a_middle, times_a, (1.0,), shifts, delta, last)
        match = match_frames(frames_a, reader.frames(path_b, times_b, b_duration), shifts, reader.thumbs)
        registration = None if match.same else _register(reader, path_a, a_start, end, a_duration, path_b, b_middle,
                                                         b_duration, lags)  # whole pictures that agree need none
        if registration is None:
            return _Compared(match, None, times_a, frames_a, delta, a_middle, b_middle)
        times_b, inside = _instants_b(b_middle, a_middle, times_a, RATES, shifts, delta, last)
        frames_b = reader.frames(path_b, times_b, b_duration)
    except VideoDecodeError:
        return None
    registered = _registered_match(frames_a, frames_b, registration, RATES, shifts, inside)
    return _Compared(registered if registered.score > match.score else match, registration, times_a, frames_a,
                     delta, a_middle, b_middle)


def _instants_b(b_middle: float, a_middle: float, times_a: list[float], rates: tuple[float, ...], shifts: list[float],
                delta: float, last: float) -> tuple[list[float], np.ndarray]:
    """b's instants for every (rate, shift) hypothesis in turn, a's samples aligned at the middles, then their
    later frames in the same order; and whether each hypothesis lies inside b. Another speed must find all
    its instants inside b: clamped to b's ends, the samples of a speed that runs out would pile onto b's
    first or last frames (the same shot just before or after looks alike)."""
    wanted = [[b_middle + rate * (t - a_middle) + s for t in times_a] for rate in rates for s in shifts]
    speed = [rates[h // len(shifts)] for h in range(len(wanted))]
    inside = np.array([rate == 1.0 or (ts[0] >= -EDGE_SLACK and ts[-1] + rate * delta <= last + EDGE_SLACK)
                       for rate, ts in zip(speed, wanted)])
    now = [min(max(t, 0.0), last) for ts in wanted for t in ts]
    later = [min(max(t, 0.0) + rate * delta, last) for rate, ts in zip(speed, wanted) for t in ts]
    return now + later, inside


def _places_by_changes(reader: FootageReader, path_b: str, b_duration: float | None, found: _Compared
                       ) -> list[float]:
    """Up to REALIGN instants of b (a second apart, and beyond the refinement around where `found` placed
    it) where a's middle lies when b's changes, drawn in a's coordinates by `found`'s registration, agree best
    with a's at its sample instants, at the same speed: every frame of b is tried as the place of a's first
    sample. None unless the reader holds b whole (a file it decodes whole). Changes, not looks: a fixed camera
    looks alike all along, and only the changes place it."""
    whole = reader.whole(path_b, b_duration)
    if whole is None or found.registration is None:
        return []
    stamps, images = whole
    times_a, frames_a, delta, registration = found.times_a, found.frames_a, found.delta, found.registration
    n = len(times_a)
    box = covered_box(registration, frames_a[0].shape, images[0].shape)
    offsets = np.asarray(times_a) - times_a[0]
    starts = stamps[stamps + offsets[-1] + delta <= stamps[-1] + EDGE_SLACK]
    if box is None or not len(starts):
        return []
    thumbs_a = np.stack([_thumb(f[box], 1.0) for f in frames_a])
    width = frames_a[0].shape[1]
    drawn = np.stack([drawn_over(f, registration, width, box, THUMB) for f in images]).reshape(len(images), -1)
    now = nearest_frames(stamps, (starts[:, None] + offsets).ravel())
    later = nearest_frames(stamps, (starts[:, None] + offsets + delta).ravel())
    changes_b = (drawn[later] - drawn[now]).reshape(len(starts), n, -1)
    agree = _ncc_samples((thumbs_a[n:] - thumbs_a[:n]).reshape(1, n, -1), changes_b).mean(1)
    places: list[float] = []
    for i in np.argsort(-agree):
        t = float(starts[i]) + found.a_middle - times_a[0]
        if abs(t - found.b_middle) > REFINED and all(abs(t - p) >= 1.0 for p in places):
            places.append(t)
            if len(places) == REALIGN:
                break
    return places


def _register(reader: FootageReader, path_a: str, a_start: float, a_end: float, a_duration: float | None,
              path_b: str, b_middle: float, b_duration: float | None, lags: tuple[float, ...] = (0.0,)
              ) -> Registration | None:
    """Where a's picture lies in b's (matrix for READ_WIDTH frames), from REGISTER_WIDTH frames around the
    stretches' middles (a copy's geometry holds along it; near the middle, a speed change has moved the
    footage least), b's moved by each of `lags` in turn until one registers."""
    spread = min(REGISTER_SPREAD, (a_end - a_start) / 2)
    offsets = (-spread, 0.0, spread)
    frames_a = reader.frames(path_a, [(a_start + a_end) / 2 + o for o in offsets], a_duration, REGISTER_WIDTH)
    for lag in lags:
        times_b = [min(max(b_middle + lag + o, 0.0), b_duration or math.inf) for o in offsets]
        found = register(frames_a, reader.frames(path_b, times_b, b_duration, REGISTER_WIDTH), reader.described)
        if found is not None:
            return found.at_width(READ_WIDTH / REGISTER_WIDTH)
    return None


def _registered_match(frames_a: list[np.ndarray], frames_b: list[np.ndarray], registration: Registration,
                      rates: tuple[float, ...], shifts: list[float], allowed: np.ndarray) -> FootageMatch:
    """The best speed and offset for registered pictures, among the `allowed` (rate, shift) hypotheses: b's
    frames drawn in a's coordinates, both cut to the region both show and compared as thumbnails (frames as
    `compare` reads them)."""
    n = len(frames_a) // 2
    shape = frames_a[0].shape
    box = covered_box(registration, shape, frames_b[0].shape)
    if box is None:
        return FootageMatch(0.0, 0.0, (1.0, 1.0), registration.mirrored, 0.0, 1.0, True)
    thumbs_a = np.stack([_thumb(f[box], 1.0) for f in frames_a])
    drawn: dict[int, np.ndarray] = {}
    for f in frames_b:
        if id(f) not in drawn:
            drawn[id(f)] = drawn_over(f, registration, shape[1], box, THUMB)
    thumbs_b = np.stack([drawn[id(f)] for f in frames_b])
    half = len(frames_b) // 2
    now = thumbs_b[:half].reshape(-1, n, THUMB * THUMB)
    per_sample = _ncc_samples((thumbs_a[n:] - thumbs_a[:n]).reshape(1, n, -1), thumbs_b[half:].reshape(-1, n, THUMB * THUMB) - now)
    per_sample[~allowed] = -1.0
    same_speed = np.repeat(np.asarray(rates) == 1.0, len(shifts))
    changes_b = thumbs_b[half:].reshape(-1, n, THUMB * THUMB) - now
    # registered pictures must show changes of their own (`_alike_elsewhere`): the best at the same speed, and
    # the best at another, each held out
    score, j = -1.0, 0
    for chosen in (same_speed, ~same_speed):
        if chosen.any():
            k = int(np.argmax(np.where(chosen, per_sample.mean(1), -np.inf)))
            found = _held_out(per_sample[chosen]) - max(_alike_elsewhere(thumbs_a[n:] - thumbs_a[:n], changes_b[k]), 0.0)
            if found > score:
                score, j = found, k
    look = float(_ncc_samples(thumbs_a[:n].reshape(1, n, -1), now[j : j + 1]).mean())
    return FootageMatch(score, look, (1.0, 1.0), registration.mirrored, shifts[j % len(shifts)],
                        rates[j // len(shifts)], True)


def _alike_elsewhere(change_a: np.ndarray, change_b: np.ndarray) -> float:
    """How well a's changes match b's at OTHER samples (two or more apart) under the chosen hypothesis: high
    where the footage changes the same way all along (a slow zoom, a steady pan, a face barely moving), so that
    some speed and offset fits another moment of the same shot; about 0 for copies of footage whose changes
    are its own. Subtracted from the score of registered pictures (two moments of a pan or a zoom register
    as a shift or a scale): whole pictures at the same speed, compared first, need no such discount
    (benchmarks/copy_calibration.py)."""
    n = len(change_a)
    grid = _ncc_samples(np.repeat(change_a[:, None], n, 1).reshape(n * n, 1, -1),
                        np.tile(change_b, (n, 1)).reshape(n * n, 1, -1)).reshape(n, n)
    apart = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= 2
    return float(grid[apart].mean())


def _held_out(per_sample: np.ndarray) -> float:
    """The score of the hypotheses (rows) judged on samples (columns) they were not chosen on: the best on the
    even samples scored on the odd ones and the other way round, averaged. Choosing among many hypotheses
    lifts the best chance correlation; scoring on other samples does not."""
    even, odd = per_sample[:, 0::2].mean(1), per_sample[:, 1::2].mean(1)
    return float((odd[int(np.argmax(even))] + even[int(np.argmax(odd))]) / 2)


def match_frames(frames_a: list[np.ndarray], frames_b: list[np.ndarray], shifts: list[float],
                 thumbs: _Thumbnails | None = None) -> FootageMatch:
    """The best hypothesis for unregistered pictures, frames read as `compare` reads them: a's samples then
    their later frames (DELTA on); b's samples for each shift in turn, then all their later frames in the same
    order (the first best in the order scales, mirrored, shift); its score held out (`_held_out`)."""
    n = len(frames_a) // 2
    half = len(frames_b) // 2
    thumbs = thumbs or _Thumbnails()
    rows, hypotheses, seen = [], [], []
    for scale_a, scale_b in SCALES:
        thumbs_a = thumbs.of(frames_a, scale_a)
        change_a = thumbs_a[n:] - thumbs_a[:n]
        thumbs_b_all = thumbs.of(frames_b, scale_b)
        for mirrored in (False, True):
            tb = thumbs_b_all[..., ::-1] if mirrored else thumbs_b_all
            now = tb[:half].reshape(len(shifts), n, -1)
            rows.append(_ncc_samples(change_a.reshape(1, n, -1), tb[half:].reshape(len(shifts), n, -1) - now))
            hypotheses += [((scale_a, scale_b), mirrored, j) for j in range(len(shifts))]
            seen += [(thumbs_a[:n], now[j]) for j in range(len(shifts))]
    per_sample = np.concatenate(rows)
    best = int(np.argmax(per_sample.mean(1)))
    scales, mirrored, j = hypotheses[best]
    seen_a, seen_b = seen[best]
    look = float(_ncc_samples(seen_a.reshape(1, n, -1), seen_b.reshape(1, n, -1)).mean())
    return FootageMatch(_held_out(per_sample), look, scales, mirrored, shifts[j])


def _ncc_samples(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each hypothesis h and sample i, the normalised cross-correlation of x[h, i] and y[h, i] (x
    broadcast over the hypotheses); arrays of (hypotheses, samples, pixels) -> (hypotheses, samples)."""
    x = x - x.mean(-1, keepdims=True)
    y = y - y.mean(-1, keepdims=True)
    norms = np.sqrt((x * x).sum(-1) * (y * y).sum(-1))
    return np.where(norms > 1e-6, (x * y).sum(-1) / np.maximum(norms, 1e-6), 0.0)


class FootageReader:
    """Frames, keypoints and thumbnails for many comparisons (`duplicates` checks each file against many
    others): a file of up to SHORT_FILE_SECONDS, or up to WHOLE_FILE_SECONDS asked for a second time (durations
    known), is decoded once, whole, and its frames kept within `budget` bytes (the least recently read dropped
    first); otherwise a file is read at the instants asked. Frames are read REGISTER_WIDTH wide, those for the
    changes halved from them (the same pixels however a frame was read). A budget of 0 keeps nothing (one
    comparison)."""

    def __init__(self, budget: int = READER_BYTES) -> None:
        self.budget = budget
        self.files: OrderedDict[str, tuple[np.ndarray, list[np.ndarray], int]] = OrderedDict()
        self.asked: set[str] = set()
        self.held = 0
        self.thumbs = _Thumbnails(budget)
        self.halves: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(large) -> (large, READ_WIDTH frame)
        self.keypoints: dict[tuple[int, bool], tuple[np.ndarray, tuple]] = {}  # (id(frame), mirrored) -> ...

    def frames(self, path: str, times: list[float], duration: float | None, width: int = READ_WIDTH) -> list[np.ndarray]:
        """The frames nearest to `times`, grey, READ_WIDTH or REGISTER_WIDTH wide; raises VideoDecodeError."""
        if self._decodes_whole(path, duration):
            stamps, large = self._whole(path)
            large = [large[i] for i in nearest_frames(stamps, times)]
        else:
            large = frames_at(path, times, REGISTER_WIDTH, grey=True)
        return large if width == REGISTER_WIDTH else [self._half(f) for f in large]

    def whole(self, path: str, duration: float | None) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """Every frame of a file this reader decodes whole (see the class), READ_WIDTH wide, with its time;
        None for others."""
        if not self._decodes_whole(path, duration):
            return None
        stamps, large = self._whole(path)
        return stamps, [self._half(f) for f in large]

    def described(self, frame: np.ndarray, mirrored: bool) -> tuple:
        """`registration.describe`, once per frame kept (a kept file's frames come back as the same arrays)."""
        key = (id(frame), mirrored)
        if key not in self.keypoints:
            if len(self.keypoints) >= KEPT_KEYPOINTS:
                self.keypoints.clear()
            self.keypoints[key] = (frame, describe(frame, mirrored))  # the frame held: its id stays its own
        return self.keypoints[key][1]

    def _half(self, frame: np.ndarray) -> np.ndarray:
        if id(frame) not in self.halves:
            if self.budget and len(self.halves) * frame.nbytes // 4 > self.budget:
                self.halves.clear()
            h, w = frame.shape
            self.halves[id(frame)] = (frame, cv2.resize(frame, (w // 2, max(2, h // 2)), interpolation=cv2.INTER_AREA))
        return self.halves[id(frame)][1]

    def _decodes_whole(self, path: str, duration: float | None) -> bool:
        return path in self.files or bool(self.budget and duration is not None and (
            duration <= SHORT_FILE_SECONDS or (duration <= WHOLE_FILE_SECONDS and path in self.asked)))

    def _whole(self, path: str) -> tuple[np.ndarray, list[np.ndarray]]:
        if path not in self.files:
            stamps, images = all_frames(path, REGISTER_WIDTH, grey=True)
            size = sum(i.nbytes for i in images) * 5 // 4  # with the halved frames
            self.files[path] = (stamps, images, size)
            self.held += size
            while self.held > self.budget and len(self.files) > 1:
                self.held -= self.files.popitem(last=False)[1][2]
        self.files.move_to_end(path)
        stamps, images, _ = self.files[path]
        return stamps, images


class _Thumbnails:
    """Thumbnails of frames at crop scales, each made once: a decoded frame is asked for at many instants
    (it is handed back as the same array each time), and at many hypotheses. Each entry holds its frame, so
    no other array can take its id while it is kept; past `budget` bytes, all are dropped (0: no bound)."""

    def __init__(self, budget: int = 0) -> None:
        self.budget = budget
        self.unbarred: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.made: dict[tuple[int, float], np.ndarray] = {}

    def of(self, frames: list[np.ndarray], scale: float) -> np.ndarray:
        if self.budget and len(self.made) * THUMB * THUMB * 4 > self.budget:
            self.unbarred.clear()
            self.made.clear()
        out = []
        for frame in frames:
            key = (id(frame), scale)
            if key not in self.made:
                if id(frame) not in self.unbarred:
                    self.unbarred[id(frame)] = (frame, _unbar(frame))
                self.made[key] = _thumb(self.unbarred[id(frame)][1], scale)
            out.append(self.made[key])
        return np.stack(out)


def _unbar(frame: np.ndarray) -> np.ndarray:
    """The frame (grey levels) without letterbox or pillarbox bars (dark, even rows or columns at its borders)."""
    f = frame.astype(np.float32)
    rows = (f.mean(1) < BAR_LEVEL) & (f.std(1) < BAR_SPREAD)
    cols = (f.mean(0) < BAR_LEVEL) & (f.std(0) < BAR_SPREAD)
    keep_rows, keep_cols = np.flatnonzero(~rows), np.flatnonzero(~cols)
    if len(keep_rows) < 8 or len(keep_cols) < 8:  # a dark frame, not bars
        return frame
    return frame[keep_rows[0] : keep_rows[-1] + 1, keep_cols[0] : keep_cols[-1] + 1]


def _thumb(frame: np.ndarray, scale: float) -> np.ndarray:
    """The centre `scale` of the frame, as a THUMB x THUMB thumbnail (float grey levels)."""
    h, w = frame.shape
    ch, cw = max(2, round(h * scale)), max(2, round(w * scale))
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = np.ascontiguousarray(frame[top : top + ch, left : left + cw])
    return cv2.resize(crop, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32)


def same_footage(path_a: str, a_start: float, a_end: float, path_b: str, b_start: float,
                 a_duration: float | None = None, b_duration: float | None = None,
                 reader: FootageReader | None = None) -> bool | None:
    """Whether the stretches are the same footage (see `compare`); None when nothing can be told."""
    match = compare(path_a, a_start, a_end, path_b, b_start, a_duration, b_duration, reader)
    return None if match is None else match.same
