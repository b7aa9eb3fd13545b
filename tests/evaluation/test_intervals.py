import numpy as np
import pytest

from vidsearch.evaluation.intervals import bootstrap, paired_difference


def test_interval_of_a_constant_is_that_constant():
    interval = bootstrap([0.7] * 40)
    assert (interval.mean, interval.low, interval.high) == pytest.approx((0.7, 0.7, 0.7))


def test_interval_width_matches_the_binomial_standard_error():
    hits = [1.0] * 50 + [0.0] * 50  # mean 0.5, standard error 0.05: a 95 % interval about +-0.1
    interval = bootstrap(hits)
    assert interval.low < 0.5 < interval.high
    assert 0.16 < interval.high - interval.low < 0.24
    assert bootstrap(hits) == interval  # seeded: the same scores give the same interval


def test_paired_difference_sees_a_consistent_gain_that_separate_intervals_hide():
    rng = np.random.default_rng(3)
    baseline = rng.uniform(0.2, 1.0, 60)
    candidate = np.minimum(baseline + 0.03, 1.0)  # every query a little better
    separate = bootstrap(baseline), bootstrap(candidate)
    assert separate[0].high > separate[1].low  # the two intervals overlap ...
    assert paired_difference(candidate, baseline).excludes_zero()  # ... the paired one does not
    assert not paired_difference(baseline, baseline).excludes_zero()


def test_paired_difference_needs_the_same_queries():
    with pytest.raises(ValueError, match="same queries"):
        paired_difference([1.0, 0.0], [1.0])
    with pytest.raises(ValueError):
        bootstrap([])
