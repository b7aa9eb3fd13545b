"""The one alignment rule search and duplicates share."""

import numpy as np
import pytest

from vidsearch.retrieval.alignment import agreeing, best_supported, sub_stride_shift, tolerance


def test_offsets_agree_within_three_quarters_of_a_stride():
    assert tolerance(0.5) == pytest.approx(0.375)
    assert agreeing(np.array([10.0, 10.3, 10.4, 9.6]), 10.0, 0.5).tolist() == [True, True, False, False]


def test_the_offset_most_matches_agree_on_wins_and_distance_breaks_ties():
    offsets = np.array([5.0, 5.2, 4.9, 12.0, 12.1])
    assert best_supported(offsets, np.array([0.3, 0.3, 0.3, 0.01, 0.01]), 0.5) in (4.9, 5.0, 5.2)
    tie = np.array([1.0, 1.1, 8.0, 8.1])
    assert best_supported(tie, np.array([0.5, 0.5, 0.1, 0.1]), 0.5) in (8.0, 8.1)


def test_the_sub_stride_shift_is_the_vertex_of_the_parabola():
    stride, true_shift = 0.5, 0.12
    distance = lambda x: 0.2 + 3 * (x - true_shift) ** 2  # noqa: E731 - a parabola with its vertex at the shift
    assert sub_stride_shift(distance(-stride), distance(0.0), distance(stride), stride) == pytest.approx(true_shift)
    assert sub_stride_shift(None, 0.2, 0.3, stride) == 0.0  # a neighbour missing: no evidence
    assert sub_stride_shift(0.1, 0.2, 0.1, stride) == 0.0  # a peak, not a valley


def test_a_confirmed_match_places_the_interval_at_its_speed():
    """FootageMatch.placed: the middles aligned (and shifted), each side scaled by the speed."""
    from vidsearch.video.footage import FootageMatch

    match = FootageMatch(0.9, 0.9, (1.0, 1.0), False, shift=0.25, rate=1.5)
    start, end = match.placed(2.0, 6.0, 12.0)  # asked: a's 2-6 s at b's 12-16 s, middles 4 and 14
    assert (start, end) == pytest.approx((14.25 - 3.0, 14.25 + 3.0))
    assert FootageMatch(0.9, 0.9, (1.0, 1.0), False, 0.0).placed(2.0, 6.0, 12.0) == (12.0, 16.0)


def test_searches_of_one_query_merge_each_video_once():
    """merge_matches: a video found by both searches keeps the copy (else the nearer); copies first, then
    nearest first."""
    from vidsearch.retrieval.search import VideoMatch, merge_matches

    whole = [VideoMatch(1, "a", "a", 0.30), VideoMatch(2, "b", "b", 0.20)]
    inner = [VideoMatch(1, "a", "a", 0.35, copy=True), VideoMatch(3, "c", "c", 0.10), VideoMatch(2, "b", "b", 0.25)]
    merged = merge_matches([whole, inner], k=10)
    assert [(m.id, m.distance, m.copy) for m in merged] == [(1, 0.35, True), (3, 0.10, False), (2, 0.20, False)]
    assert [m.id for m in merge_matches([whole, inner], k=2)] == [1, 3]


def test_the_frames_check_tries_a_refused_interval_in_halves_and_places_the_whole():
    """frames_check: thorough, a 6-s interval refused whole is tried in halves, with b's frames moved to
    register; the confirmed half's verdict places the whole interval (at its speed), and that interval becomes
    the best; a 4-s interval is never halved. Not thorough: each interval once, at the one place."""
    from vidsearch.retrieval.search import Interval, VideoMatch, frames_check
    from vidsearch.video.footage import FootageMatch

    asked = []

    def compare(query, a_start, a_end, path, b_start, duration, b_duration, lags):
        asked.append((a_start, a_end, b_start, len(lags)))
        same = (a_start, a_end) == (3.0, 6.0)
        return FootageMatch(0.9 if same else 0.1, 0.9, (1.0, 1.0), False, 0.25 if same else 0.0, 1.5 if same else 1.0)

    far, near = Interval(20.0, 24.0, 0.0, 4.0, 0.3), Interval(10.0, 16.0, 0.0, 6.0, 0.4)
    m = VideoMatch(1, "v.mp4", "v", 0.3, 60.0, [far, near])
    assert not frames_check("q.mp4", 6.0, compare)(m).same
    assert asked == [(0.0, 4.0, 20.0, 1), (0.0, 6.0, 10.0, 1)]
    asked.clear()
    verdict = frames_check("q.mp4", 6.0, compare)(m, True)
    assert asked == [(0.0, 4.0, 20.0, 5), (0.0, 6.0, 10.0, 5), (0.0, 3.0, 10.0, 5), (3.0, 6.0, 13.0, 5)]
    assert verdict.same and m.segments[0] is near
    # the half's middle (4.5 s) lies at 13 + 1.5 + 0.25 = 14.75 s; at 1.5x, the whole's middle (3 s) at
    # 14.75 - 1.5 * 1.5 = 12.5 s, so the whole runs from 12.5 - 1.5 * 3 = 8 s to 12.5 + 1.5 * 3 = 17 s
    assert verdict.placed(0.0, 6.0, 10.0) == pytest.approx((8.0, 17.0))
