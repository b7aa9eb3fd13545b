"""Temporal alignment, one rule for search (a query against a library video) and duplicates (two library videos).

Each pair of matching windows proposes a time offset (the other video's time − this one's). Matches whose
offsets lie within TOLERANCE_STRIDES strides of one offset agree on it: the same footage, shifted by at most
the sampling of the windows. The offset is refined below the stride by a parabola through the distances one
stride before and after (windows are a stride apart, so the best match may lie between two of them).
"""

from __future__ import annotations

import numpy as np

TOLERANCE_STRIDES = 0.75  # windows a stride apart: a true offset is within half a stride of a sampled one, plus slack


def tolerance(stride: float) -> float:
    """How far (seconds) two offsets may differ and still be one alignment."""
    return TOLERANCE_STRIDES * stride


def agreeing(offsets: np.ndarray, anchor: float, stride: float) -> np.ndarray:
    """Which offsets agree with `anchor`."""
    return np.abs(offsets - anchor) <= tolerance(stride)


def best_supported(offsets: np.ndarray, distance: np.ndarray, stride: float) -> float:
    """The offset with the most others agreeing with it (ties: the lowest mean distance among them)."""
    order = np.argsort(offsets)
    ordered, cumulative = offsets[order], np.concatenate([[0.0], np.cumsum(distance[order])])
    low = np.searchsorted(ordered, ordered - tolerance(stride), "left")
    high = np.searchsorted(ordered, ordered + tolerance(stride), "right")
    count = high - low
    mean = (cumulative[high] - cumulative[low]) / count
    best = np.lexsort((mean, -count))[0]
    return float(ordered[best])


def sub_stride_shift(before: float | None, centre: float, after: float | None, stride: float) -> float:
    """Where between the neighbouring windows the best match lies (seconds from the centre one): the vertex of
    the parabola through the three distances; 0 when a neighbour is missing (no evidence) or the distances
    do not curve upwards."""
    if before is None or after is None:
        return 0.0
    curvature = before - 2 * centre + after
    if curvature <= 1e-12:
        return 0.0
    return float(np.clip(0.5 * stride * (before - after) / curvature, -stride / 2, stride / 2))
