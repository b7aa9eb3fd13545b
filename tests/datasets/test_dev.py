import pytest

from vidsearch.datasets import dev


def test_library_and_query_blocks_alternate_and_never_overlap():
    library, queries = dev.alternate_blocks(2.0, 12.0)
    pieces = sorted([(a, b, "L") for a, b in library] + [(a, b, "Q") for a, b in queries])
    assert pieces[0] == (2.0, 2.0 + dev.LIBRARY_SECONDS, "L")
    assert all(p[2] != q[2] and p[1] == pytest.approx(q[0]) for p, q in zip(pieces, pieces[1:]))
    assert pieces[-1][1] <= 12.0 and 12.0 - pieces[-1][1] < dev.SHORTEST
    assert len(queries) >= 3


def test_a_short_shot_is_split_in_half_and_a_tiny_one_has_no_query():
    assert dev.alternate_blocks(0.0, 1.67) == ([(0.0, 0.835)], [(0.835, 1.67)])
    assert dev.alternate_blocks(0.0, 1.0) == ([(0.0, 0.5)], [])


def test_shots_are_pinned_and_give_enough_scenes():
    assert all("==" in shot.requirement for shot in dev.SHOTS)
    assert len({shot.scene for shot in dev.SHOTS}) >= 20
    keys = [(shot.requirement, shot.member, shot.start) for shot in dev.SHOTS]
    assert len(keys) == len(set(keys))
