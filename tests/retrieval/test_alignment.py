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
