"""Copies inside a library: each video's segments searched against the rest, aligned in time → pairs of videos
that share footage (the matched intervals in both) and groups of videos that copy one another.

A segment pair is a match when its distance is under the threshold times the segment's background: the
distance of the BACKGROUND_RANK-th nearest other video (the same rule marks a search result as a copy; the
threshold is calibrated by `benchmarks/copy_calibration.py`). A pair of videos keeps the
matches that agree on one time offset (a copy, a re-encode, a crop, a trim), and a compilation keeps one
offset per part: the matches are taken offset by offset, best supported first, and each offset's matches that
follow one another become an interval. Windows with little information (black, white, fades, plain cards)
match each other in any two videos: they are checked on the frames and left out.

With a frame comparison (`same_footage`), the vectors only propose (the engine's default threshold is then
PROPOSAL_RATIO: beyond the background) and each interval is kept when its frames show
the same footage (video/footage.py: another moment of the same scene is near in the vectors, not in the
frames); where the frames cannot tell (a file gone), an interval is kept when one of its matches is under
COPY_THRESHOLD too, the vectors' own calibrated rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from . import alignment
from .search import COPY_THRESHOLD, background, is_copy
from ..store import MAX_K, SegmentHit, VectorStore
from ..video.footage import MIN_PIECE, FootageMatch

DEFAULT_MIN_OVERLAP = 1.0  # seconds of footage two videos must share
# What the vectors propose when the frames decide: matches under this many times their background. 1.0 (what
# search proposes) found 218 of the 231 true pairs of the calibration, 1.5 all of them, for 2.6 times the frame
# checks (benchmarks/copy_calibration.py, docs/copies.md). MAX_RATIO bounds what a user may ask for.
PROPOSAL_RATIO = 1.5
MAX_RATIO = 2.0
NEIGHBOURS = 32  # segments fetched per segment at first; more while they hold too few other videos
BATCH_VIDEOS = 64  # videos whose segments are searched together

Informative = Callable[[str, list[tuple[float, float]]], list[bool]]  # (video path, windows) -> keep each?
# (path a, a_start, a_end, path b, b_start, duration a, duration b) -> how the frames agree (None: cannot tell)
SameFootage = Callable[[str, float, float, str, float, float | None, float | None], FootageMatch | None]


@dataclass
class MatchedSpan:
    """Footage two videos share: [a_start, a_end] of the first is [b_start, b_end] of the second."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    distance: float  # mean over the matched segments

    def to_json(self) -> dict:
        return {"a_start": round(self.a_start, 3), "a_end": round(self.a_end, 3), "b_start": round(self.b_start, 3),
                "b_end": round(self.b_end, 3), "distance": round(self.distance, 6)}


@dataclass
class DuplicatePair:
    """Two videos (a < b, library ids) that share footage: the best interval's distance, the seconds of a
    they share, and every interval."""

    a: int
    b: int
    distance: float
    overlap: float
    segments: list[MatchedSpan]

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "distance": round(self.distance, 6), "overlap": round(self.overlap, 3),
                "segments": [s.to_json() for s in self.segments]}


@dataclass
class DuplicateReport:
    threshold: float
    min_overlap: float
    pairs: list[DuplicatePair] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)
    seconds: float = 0.0
    segments_searched: int = 0
    blank_windows: int = 0  # windows left out as low-information
    paths: dict[int, str] = field(default_factory=dict)  # every library video's path, for reports (not in JSON)

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "pairs": [p.to_json() for p in self.pairs], "groups": self.groups,
                "seconds": round(self.seconds, 3)}


@dataclass
class _Match:
    a_start: float
    a_end: float
    b_start: float
    b_end: float
    distance: float
    under_threshold: bool = True  # the normalised distance is under COPY_THRESHOLD too (not only proposed)


def find_duplicates(store: VectorStore, stride: float, threshold: float = COPY_THRESHOLD,
                    min_overlap: float = DEFAULT_MIN_OVERLAP, informative: Informative | None = None,
                    batches: Callable[[Iterable], Iterable] = lambda it: it,
                    same_footage: SameFootage | None = None) -> DuplicateReport:
    """Every pair of the store's videos sharing at least `min_overlap` seconds of footage under `threshold` (a
    normalised distance, see the module). `stride` is the collection's window stride (0: one vector per video);
    `informative` says which windows carry information (None: all do); `batches` wraps the batch loop;
    `same_footage` compares the frames of a proposed interval (None: the threshold decides alone)."""
    started = time.perf_counter()
    report = DuplicateReport(threshold, min_overlap)
    report.paths = {video: listing.path for video, listing in store.catalogue().items()}
    ids = sorted(report.paths)
    strict = min(threshold, COPY_THRESHOLD) if same_footage else threshold  # without frames: all proposed count
    matches: dict[tuple[int, int], dict[tuple[float, float], _Match]] = {}
    for first in batches(range(0, len(ids), BATCH_VIDEOS)):
        segments = store.segments_of(ids[first : first + BATCH_VIDEOS])
        owners = [(video, s.start, s.end) for video, found in segments.items() for s in found]
        if not owners:
            continue
        vectors = np.stack([s.vector for found in segments.values() for s in found])
        report.segments_searched += len(owners)
        proposed = _neighbours(store, vectors, [o[0] for o in owners], threshold, strict)
        for (video, start, end), hits in zip(owners, proposed):
            for hit, under in hits:
                a, b = sorted((video, hit.video_id))
                m = (_Match(start, end, hit.start, hit.end, hit.distance, under) if a == video
                     else _Match(hit.start, hit.end, start, end, hit.distance, under))
                found = matches.setdefault((a, b), {})
                key = (round(m.a_start, 3), round(m.b_start, 3))
                if key not in found or m.distance < found[key].distance:
                    m.under_threshold |= key in found and found[key].under_threshold
                    found[key] = m
    if informative is not None:
        report.blank_windows = _drop_blank(matches, informative, report.paths)
    durations = {e.id: e.duration for e in store.get(sorted({v for pair in matches for v in pair}), vectors=False)}
    for (a, b), found in sorted(matches.items()):
        if not found or a not in durations or b not in durations:  # no row: a video being written
            continue
        spans = _align(list(found.values()), stride, lambda span, under: _kept(
            span, under, same_footage, report.paths[a], report.paths[b], durations[a], durations[b]))
        overlap = _covered([(s.a_start, min(s.a_end, durations[a] or s.a_end)) for s in spans])
        if spans and overlap >= min_overlap - 1e-9:
            best = min(spans, key=lambda s: s.distance)
            report.pairs.append(DuplicatePair(a, b, best.distance, overlap, spans))
    report.pairs.sort(key=lambda p: (p.distance, p.a, p.b))
    report.groups = _groups(report.pairs)
    report.seconds = time.perf_counter() - started
    return report


def _kept(span: MatchedSpan, under: bool, same_footage: SameFootage | None, path_a: str, path_b: str,
          duration_a: float, duration_b: float) -> bool:
    """An interval stays when its frames show the same footage, or, where they cannot tell, when one of its
    matches is under COPY_THRESHOLD (`under`); b's interval is then where the frames place it."""
    if same_footage is None:
        return under
    verdict = same_footage(path_a, span.a_start, span.a_end, path_b, span.b_start, duration_a or None, duration_b or None)
    if verdict is None:
        return under
    if verdict.same:  # where the frames place it (to within a frame, at its speed)
        start, end = verdict.placed(span.a_start, span.a_end, span.b_start)
        span.b_start, span.b_end = max(start, 0.0), min(end, duration_b or end)
    return verdict.same


def _neighbours(store: VectorStore, vectors: np.ndarray, owners: list[int], threshold: float,
                strict: float) -> list[list[tuple[SegmentHit, bool]]]:
    """Each vector's segments of other videos under the `threshold` ratio, each with whether it is under
    `strict` too. NEIGHBOURS segments are fetched at first, four times more (up to MAX_K) while they hold too
    few other videos to give a background and there may be more (a long static shot has many segments near
    itself): every segment nearer than the background is then among those fetched."""
    k = NEIGHBOURS
    result: list[list[tuple[SegmentHit, bool]]] = [[] for _ in owners]
    pending = list(range(len(owners)))
    while pending:
        found = store.search_segments(vectors[pending], k)
        again = []
        for i, hits in zip(pending, found):
            others = [h for h in hits if h.video_id != owners[i]]
            scale = background(_per_video(others))
            if scale is None and len(hits) == k and k < MAX_K:
                again.append(i)
                continue
            result[i] = [(h, is_copy(h.distance, scale, strict)) for h in others if is_copy(h.distance, scale, threshold)]
        pending, k = again, min(k * 4, MAX_K)
    return result


def _per_video(hits: list[SegmentHit]) -> list[float]:
    """Each video's nearest distance among the hits (nearest first), nearest video first."""
    seen: set[int] = set()
    nearest = []
    for h in hits:
        if h.video_id not in seen:
            seen.add(h.video_id)
            nearest.append(h.distance)
    return nearest


def _drop_blank(matches: dict, informative: Informative, paths: dict[int, str]) -> int:
    """Removes the matches that rest on a low-information window of either video; returns how many windows
    were found low-information."""
    wanted: dict[int, set[tuple[float, float]]] = {}
    for (a, b), found in matches.items():
        for m in found.values():
            wanted.setdefault(a, set()).add((m.a_start, m.a_end))
            wanted.setdefault(b, set()).add((m.b_start, m.b_end))
    blank: set[tuple[int, float, float]] = set()
    for video, windows in wanted.items():
        windows_in_order = sorted(windows)
        blank |= {(video, *w) for w, keep in zip(windows_in_order, informative(paths[video], windows_in_order)) if not keep}
    for (a, b), found in matches.items():
        for key in [key for key, m in found.items() if (a, m.a_start, m.a_end) in blank or (b, m.b_start, m.b_end) in blank]:
            del found[key]
    return len(blank)


def _align(found: list[_Match], stride: float,
           keep: Callable[[MatchedSpan, bool], bool] = lambda span, under: under) -> list[MatchedSpan]:
    """The matches grouped by time offset (b − a), the best supported offset first, each offset's matches
    split where they stop following one another: one span per run, kept when `keep(span, one of its matches
    is under COPY_THRESHOLD)` says so (the frame check), or else the halves it keeps. A span whose footage is
    already matched (half of it, in either video) by a better supported kept one is left out: it is a
    look-alike moment of the same videos, not more shared footage."""
    if stride <= 0:  # one vector per video: the match is the whole of both
        best = min(found, key=lambda m: m.distance)
        span = MatchedSpan(best.a_start, best.a_end, best.b_start, best.b_end, best.distance)
        return [span] if keep(span, any(m.under_threshold for m in found)) else []
    tolerance = alignment.tolerance(stride)
    a_start = np.array([m.a_start for m in found])
    offsets = np.array([m.b_start - m.a_start for m in found])
    distance = np.array([m.distance for m in found])
    remaining = np.ones(len(found), bool)
    runs: list[list[_Match]] = []
    while remaining.any():
        anchor = alignment.best_supported(offsets[remaining], distance[remaining], stride)
        taken = np.flatnonzero(remaining & alignment.agreeing(offsets, anchor, stride))
        remaining[taken] = False
        taken = taken[np.argsort(a_start[taken])]
        run = [found[taken[0]]]
        for i in taken[1:]:
            if found[i].a_start > max(m.a_end for m in run) + tolerance:  # a gap: a separate interval
                runs.append(run)
                run = []
            run.append(found[i])
        runs.append(run)
    kept: list[MatchedSpan] = []

    def agreeing(span: MatchedSpan, run: list[_Match]) -> None:
        """Keeps the span (of the run's matches) if it is new footage and agrees; a refused span is tried again
        in halves (a compilation's part can run on, at the same offset, into a look-alike next part)."""
        if kept and (_inside(span.a_start, span.a_end, [(k.a_start, k.a_end) for k in kept]) >= 0.5
                     or _inside(span.b_start, span.b_end, [(k.b_start, k.b_end) for k in kept]) >= 0.5):
            return
        if keep(span, any(m.under_threshold for m in run)):
            kept.append(span)
        elif span.a_end - span.a_start >= 2 * MIN_PIECE:
            middle, offset = (span.a_start + span.a_end) / 2, span.b_start - span.a_start
            for start, end in ((span.a_start, middle), (middle, span.a_end)):
                part = [m for m in run if m.a_start < end and m.a_end > start]
                agreeing(MatchedSpan(start, end, start + offset, end + offset,
                                     float(np.mean([m.distance for m in part]))), part)

    for run in sorted(runs, key=lambda r: (-len(r), np.mean([m.distance for m in r]))):
        agreeing(_span(run), run)
    kept.sort(key=lambda s: s.a_start)
    return kept


def _inside(start: float, end: float, intervals: list[tuple[float, float]]) -> float:
    """The share of [start, end] that the intervals cover."""
    if end <= start:
        return 1.0
    clipped = [(max(start, a), min(end, b)) for a, b in intervals if b > start and a < end]
    return _covered(clipped) / (end - start)


def _span(run: list[_Match]) -> MatchedSpan:
    return MatchedSpan(min(m.a_start for m in run), max(m.a_end for m in run), min(m.b_start for m in run),
                       max(m.b_end for m in run), float(np.mean([m.distance for m in run])))


def _covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of the intervals."""
    total, end = 0.0, -np.inf
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def _groups(pairs: list[DuplicatePair]) -> list[list[int]]:
    """Connected components of the pairs: videos that are copies of one another, directly or through others."""
    parent: dict[int, int] = {}

    def root(v: int) -> int:
        while parent.setdefault(v, v) != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for p in pairs:
        parent[root(p.a)] = root(p.b)
    members: dict[int, list[int]] = {}
    for v in parent:
        members.setdefault(root(v), []).append(v)
    return sorted((sorted(g) for g in members.values()), key=lambda g: (-len(g), g))
