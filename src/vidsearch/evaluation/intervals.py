"""Bootstrap confidence intervals over queries: which differences between configurations are real.

A benchmark's score is a mean over a few dozen queries; resampling the queries with replacement says how far
that mean could move with other queries of the same kind. Two configurations scored on the same queries are
compared by resampling the per-query differences (paired), which is much tighter than comparing two
separate intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class ConfidenceInterval:
    mean: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_json(self) -> list[float]:
        return [round(self.low, 4), round(self.high, 4)]

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap(values, resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0) -> ConfidenceInterval:
    """Percentile bootstrap interval of the mean of `values` (one number per query). Seeded: the same
    scores always give the same interval."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no values to bootstrap")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, (resamples, values.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return ConfidenceInterval(float(values.mean()), float(low), float(high))


def paired_difference(candidate, baseline, **kwargs) -> ConfidenceInterval:
    """Interval of mean(candidate - baseline) over the same queries, in the same order."""
    candidate, baseline = np.asarray(candidate, np.float64), np.asarray(baseline, np.float64)
    if candidate.shape != baseline.shape:
        raise ValueError(f"paired scores need the same queries: {candidate.shape} vs {baseline.shape}")
    return bootstrap(candidate - baseline, **kwargs)
