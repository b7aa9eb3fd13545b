"""Segment search: the query's windows → nearest library segments → grouped by video → aligned in time.

For each video, every segment hit proposes an offset (library time − query time). The offset chosen is the
one that the query's windows agree on best: for each query window, the nearest of its hits within a
tolerance of that offset, and when none is, the farthest distance retrieved for that window (a lower bound
of its true distance). The mean over the query's windows is the video's distance: for a one-window query it
is simply the best segment's distance; a video shorter than the query is compared on the windows that overlap
it at that offset. Consecutive query windows matching consecutive library windows at
one offset is the temporal alignment of VCSL's temporal network, reduced to the one path a short excerpt has.
The offset is then refined below the stride by fitting a parabola to the distances of the neighbouring
windows. A video holding the excerpt several times yields several intervals, best first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from . import alignment
from ..collection import Collection
from ..model import TimedEmbedding
from ..reduce import l2_normalise
from ..store import MAX_K, SegmentHit, VideoEntry, VideoFilter
from ..video.footage import MIN_PIECE, SEARCH_LAGS, FootageMatch

MIN_CANDIDATES = 100  # segments fetched per query window, at least
CANDIDATES_PER_RESULT = 10  # ... and this many per result asked for
MISSING = 4.0  # the largest squared L2 distance between unit vectors
MAX_PER_VIDEO = 100
# Copies are decided on a normalised distance: the distance divided by a background, the distance of the
# BACKGROUND_RANK-th nearest video (for a search, to the query; for duplicates, to the segment) after the
# group of copies (see `background`). A fixed threshold on the plain distance does not carry from one library
# to another (centring alone spreads distances 3-5 times) and mixes up generic footage, where everything is
# near, with copies; the ratio does neither. Calibrated by benchmarks/copy_calibration.py (docs/copies.md).
COPY_THRESHOLD = 0.35
BACKGROUND_RANK = 5
GROUP_JUMP = 2.0  # a group of copies ends where the next video is at least this many times farther
MAX_GROUP = 64  # ... looked for among this many nearest videos
COPY_DISTANCE_SMALL_LIBRARY = 0.12  # plain distance, for a library too small to have a background
# When the frames can be compared (video/footage.py), the vectors only propose: every match nearer than the
# background is a candidate, and the frames decide; the threshold above decides only where they cannot.
CANDIDATE_RATIO = 1.0
THOROUGH = 1  # results checked thoroughly (frames_check), nearest first: where a copy most likely is


def background(distances: list[float]) -> float | None:
    """The background of a query (or segment) from its distances to the nearest videos, one per video,
    nearest first: the BACKGROUND_RANK-th video after its group of copies. A clip copied many times has its
    copies as nearest videos, all about equally near, then a jump to unrelated footage: the largest jump (at
    least GROUP_JUMP times) among the MAX_GROUP nearest ends the group, and the background is counted from
    there. None when there are too few videos."""
    near = np.maximum(np.asarray(distances[: MAX_GROUP + 1], float), 1e-6)
    group = 0
    if len(near) > 1:
        jumps = near[1:] / near[:-1]
        if jumps.max() >= GROUP_JUMP:
            group = int(jumps.argmax()) + 1
    rank = group + BACKGROUND_RANK
    return float(distances[rank - 1]) if len(distances) >= rank else None


def is_copy(distance: float, background: float | None, threshold: float = COPY_THRESHOLD) -> bool:
    """A match at `distance` is a copy: under `threshold` times the background distance (None: the library is
    too small to have one, and the plain distance decides)."""
    if background is None:
        return distance <= COPY_DISTANCE_SMALL_LIBRARY
    return distance <= threshold * background


def check_per_video(per_video: int) -> int:
    """Raises ValueError unless 1 <= per_video <= MAX_PER_VIDEO: checked before a query is decoded."""
    if isinstance(per_video, bool) or not isinstance(per_video, int) or not 1 <= per_video <= MAX_PER_VIDEO:
        raise ValueError(f"per_video must be an integer from 1 to {MAX_PER_VIDEO}, not {per_video!r}")
    return per_video


@dataclass
class Interval:
    """Where a match lies: seconds in the library video, seconds in the query, and how close it is."""

    start: float
    end: float
    query_start: float
    query_end: float
    distance: float

    def to_json(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "query_start": round(self.query_start, 3),
                "query_end": round(self.query_end, 3), "distance": self.distance}


@dataclass
class VideoMatch:
    """One result: a library video, its distance to the query and where the query matches it."""

    id: int
    path: str
    label: str
    distance: float
    duration: float = 0.0
    segments: list[Interval] = field(default_factory=list)
    copy: bool = False  # the query is a copy of footage of this video (distance under the copy threshold)

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "label": self.label, "distance": self.distance,
                "duration": round(self.duration, 3), "segments": [s.to_json() for s in self.segments],
                "copy": self.copy}


@dataclass
class _Hits:
    """One video's segment hits as arrays: query window index, library start and end, distance."""

    window: np.ndarray
    start: np.ndarray
    end: np.ndarray
    distance: np.ndarray


def expand_query(collection: Collection, vectors: np.ndarray, n: int, where: VideoFilter | None = None,
                 alpha: float = 0.0) -> np.ndarray:
    """Query expansion: each window's vector plus its n nearest library segments' vectors, each weighted by
    its cosine similarity to the window to the power `alpha` (0: plain average QE; larger: alpha-QE, near
    neighbours count more), back to unit length; a second search then also finds what those resemble."""
    hits = collection.store.search_segments(vectors, n, where)
    stored = collection.store.segments_of(sorted({h.video_id for window in hits for h in window}))
    by_key = {(v, round(s.start, 3)): s.vector for v, segments in stored.items() for s in segments}
    expanded = np.array(vectors, np.float64)
    for total, window in zip(expanded, hits):
        for h in window:
            neighbour = by_key.get((h.video_id, round(h.start, 3)))
            if neighbour is not None:  # the distance is squared L2 between unit vectors: 2 - 2 cos
                total += max(1.0 - h.distance / 2, 0.0) ** alpha * neighbour
    return l2_normalise(expanded)


def frames_check(query: str, duration: float, compare: Callable[..., FootageMatch | None]
                 ) -> Callable[[VideoMatch, bool], FootageMatch | None]:
    """The check `find` takes: a result's intervals against the query's, best first, by `compare(path a,
    a_start, a_end, path b, b_start, duration a, duration b, lags=...)` (video/footage.py; `duration`: the
    query's), until one is the same footage (the vectors of a turned or blurred copy may place it better
    elsewhere). A `thorough` check (the nearest results) also registers the pictures with b's frames moved
    (SEARCH_LAGS), and tries an interval refused whole again in halves when it is MIN_PIECE long twice over (a
    caption, a reframe's blurred surroundings can keep one half of it from registering). The first interval
    so confirmed becomes the best, the verdict placing the whole of it. The last comparison that could tell,
    or None."""

    def check(m: VideoMatch, thorough: bool = False) -> FootageMatch | None:
        verdict = None
        for i, interval in enumerate(m.segments):
            for a_start, a_end in _pieces(interval.query_start, interval.query_end, halves=thorough):
                match = compare(query, a_start, a_end, m.path, interval.start + a_start - interval.query_start,
                                duration, m.duration, lags=SEARCH_LAGS if thorough else (0.0,))
                verdict = match or verdict
                if match is not None and match.same:
                    m.segments.insert(0, m.segments.pop(i))
                    # the piece's middle placed at its speed: the interval's middle lies rate x as far from it
                    moved = (a_start + a_end - interval.query_start - interval.query_end) / 2
                    return replace(match, shift=match.shift + (1.0 - match.rate) * moved)
        return verdict

    return check


def _pieces(start: float, end: float, halves: bool) -> list[tuple[float, float]]:
    """The interval, then (`halves`) its halves when it is MIN_PIECE long twice over."""
    middle = (start + end) / 2
    return [(start, end)] + ([(start, middle), (middle, end)] if halves and end - start >= 2 * MIN_PIECE else [])


def find(collection: Collection, query: list[TimedEmbedding], k: int, per_video: int = 3,
         where: VideoFilter | None = None, copy_threshold: float = COPY_THRESHOLD,
         copies_only: bool = False, expand: int = 0, alpha: float = 0.0,
         same_footage: Callable[[VideoMatch, bool], FootageMatch | None] | None = None) -> list[VideoMatch]:
    """The k videos nearest to the query (its windows embedded), each with up to `per_video` intervals, among
    the videos `where` admits (the filter goes into the store's search, not onto its results); each marked a
    copy when its distance is under `copy_threshold` times the BACKGROUND_RANK-th video's, and only those
    returned with `copies_only`. With `same_footage` (the frames of a result's best interval compared with
    the query's: a FootageMatch, or None for cannot tell), every result nearer than the background (in a library
    too small to have one: every result shown) is checked and the frames decide (the THOROUGH nearest
    thoroughly: `frames_check`); a confirmed copy's best interval is where the frames place it (to within a
    frame; a copy played at another speed gets its true length in the video). Copies come first, then the
    others, each nearest first: a copy the frames confirmed is the answer even where another video's vectors
    lie nearer (a third-size inset's surroundings pull the query's vectors away from its source). `expand` > 0:
    query expansion with that many neighbours, `alpha` their weighting (`expand_query`)."""
    vectors = collection.project(np.stack([w.embedding.vector for w in query]))
    if expand:
        vectors = expand_query(collection, vectors, expand, where, alpha)
    stride = collection.decode_options().stride
    candidates = max(MIN_CANDIDATES, k * CANDIDATES_PER_RESULT)
    while True:
        hits = collection.store.search_segments(vectors, min(candidates, MAX_K), where)
        by_video: dict[int, list[tuple[int, SegmentHit]]] = {}
        for j, window_hits in enumerate(hits):
            for hit in window_hits:
                by_video.setdefault(hit.video_id, []).append((j, hit))
        videos = {e.id: e for e in collection.store.get(list(by_video), vectors=False)}  # no row: incomplete
        exhausted = candidates >= MAX_K or all(len(h) < min(candidates, MAX_K) for h in hits)
        if len(videos) >= max(k, BACKGROUND_RANK) or exhausted:
            break
        candidates *= 4
    floor = np.array([h[-1].distance if h else MISSING for h in hits])  # for windows a video did not match
    starts = np.array([w.start for w in query])
    ends = np.array([w.end for w in query])
    matches = [_match(videos[v], _arrays(found), starts, ends, floor, stride, per_video)
               for v, found in by_video.items() if v in videos]
    matches.sort(key=lambda m: (m.distance, m.id))
    scale = background([m.distance for m in matches])
    shown = checked = 0
    for m in matches:
        m.copy = is_copy(m.distance, scale, copy_threshold)
        if same_footage is not None and shown < k and (scale is None or is_copy(m.distance, scale, CANDIDATE_RATIO)):
            verdict = same_footage(m, checked < THOROUGH)
            checked += 1
            m.copy = m.copy if verdict is None else verdict.same
            if verdict is not None and verdict.same:  # the frames place it to a frame, and at its speed
                best = m.segments[0]
                start, end = verdict.placed(best.query_start, best.query_end, best.start)
                best.start, best.end = max(start, 0.0), min(end, m.duration or end)
        shown += m.copy or not copies_only
    kept = [m for m in matches if m.copy or not copies_only]
    kept.sort(key=lambda m: not m.copy)  # copies first (the frames confirmed them), each part nearest first
    return kept[:k]


def merge_matches(searches: list[list[VideoMatch]], k: int) -> list[VideoMatch]:
    """The results of several searches for one query (its whole picture, the picture inside it): each video
    once, as the search that found it a copy, or else nearest, found it; copies first, then nearest first."""
    best: dict[int, VideoMatch] = {}
    for m in (m for found in searches for m in found):
        kept = best.get(m.id)
        if kept is None or (m.copy, -m.distance) > (kept.copy, -kept.distance):
            best[m.id] = m
    return sorted(best.values(), key=lambda m: (not m.copy, m.distance, m.id))[:k]


def _arrays(found: list[tuple[int, SegmentHit]]) -> _Hits:
    return _Hits(np.array([j for j, _ in found]), np.array([h.start for _, h in found]),
                 np.array([h.end for _, h in found]), np.array([h.distance for _, h in found]))


def _match(video: VideoEntry, hits: _Hits, starts: np.ndarray, ends: np.ndarray, floor: np.ndarray,
           stride: float, per_video: int) -> VideoMatch:
    intervals: list[Interval] = []
    remaining = np.ones(len(hits.distance), bool)
    while remaining.any() and len(intervals) < per_video:
        interval, used = _best_offset(video, hits, remaining, starts, ends, floor, stride)
        intervals.append(interval)
        remaining &= ~used
    return VideoMatch(video.id, video.path, video.label, intervals[0].distance, video.duration, intervals)


def _best_offset(video: VideoEntry, hits: _Hits, remaining: np.ndarray, starts, ends, floor, stride: float):
    """The offset the query's windows agree on best among the remaining hits: (Interval, hits it used)."""
    n = len(starts)
    if stride <= 0:  # whole-video mode: one segment per video, the match is the whole video
        i = int(np.flatnonzero(remaining)[np.argmin(hits.distance[remaining])])
        score = float(np.mean([min(floor[j], hits.distance[i]) if j == hits.window[i] else floor[j] for j in range(n)]))
        return Interval(float(hits.start[i]), float(hits.end[i]), float(starts[0]), float(ends[-1]), score), remaining.copy()
    tolerance = alignment.tolerance(stride)
    offsets = hits.start - starts[hits.window]
    shorter = video.duration + tolerance < ends[-1] - starts[0]  # the query cannot lie wholly inside this video
    best = None
    for anchor in np.unique(offsets[remaining]):
        near = remaining & alignment.agreeing(offsets, anchor, stride)
        per_window = floor.copy()
        np.minimum.at(per_window, hits.window[near], hits.distance[near])
        if shorter:  # compared on the part of the query that overlaps the video at this offset
            inside = (anchor + starts >= -tolerance) & (anchor + ends <= video.duration + tolerance)
            inside[hits.window[near]] = True
            per_window = per_window[inside]
        score = float(per_window.mean())
        if best is None or score < best[0] - 1e-9:
            best = (score, anchor, near)
    score, anchor, near = best
    matched = np.unique(hits.window[near])
    offset = anchor + _refine(hits, near, offsets, anchor, stride)
    first, last = int(matched.min()), int(matched.max())
    start = float(np.clip(offset + starts[first], 0.0, max(video.duration, 0.0) or None))
    end = float(min(offset + ends[last], video.duration or np.inf))
    # every hit of an overlapping placement goes with it: a further interval is a separate match, not a shift
    used = remaining & (np.abs(offsets - anchor) < max(ends[-1] - starts[0], 2 * stride))
    return Interval(start, max(end, start), float(starts[first]), float(ends[last]), score), used


def _refine(hits: _Hits, near: np.ndarray, offsets: np.ndarray, anchor: float, stride: float) -> float:
    """Sub-stride correction of an offset: a parabola through the distances at anchor − stride, anchor and
    anchor + stride, for the query window that matched best (none when a neighbour is missing)."""
    i = int(np.flatnonzero(near)[np.argmin(hits.distance[near])])
    j, centre = hits.window[i], hits.distance[i]
    same = hits.window == j

    def at(delta: float) -> float | None:
        close = same & (np.abs(offsets - (offsets[i] + delta)) < stride / 4)
        return float(hits.distance[close].min()) if close.any() else None

    return float(offsets[i] - anchor) + alignment.sub_stride_shift(at(-stride), centre, at(stride), stride)
