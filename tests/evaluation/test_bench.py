"""`vidsearch bench`'s wiring on a tiny synthetic set with the fake embedder: every kind of configuration is
built and scored, with intervals and paired differences to the first."""

import json

import pytest

from tests.fakes import FakeEmbedder
from vidsearch.evaluation.bench import BenchConfig, markdown, run_bench, write_outputs
from vidsearch.datasets.build_synthetic import build_synthetic


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    build_synthetic(root, per_class=3, queries=2, seed=1, seconds=(0.8, 1.2), sizes=(96, 128),
                    classes=("move_left", "move_right", "zoom_in"), workers=1)
    return root


def test_every_kind_of_configuration_is_scored_against_the_first(dataset, tmp_path):
    configs = [BenchConfig(segments=True), BenchConfig(segments=True, mirror=True), BenchConfig(segments=True, expand=1),
               BenchConfig(segments=True, scores=0.5), BenchConfig(segments=True, augment=1)]
    rows = run_bench(dataset, configs, k=5, say=lambda line: None, embedder=FakeEmbedder())
    assert [r.config for r in rows] == configs and all(r.metrics for r in rows)
    first = rows[0].metrics
    assert first["queries"] == 6 and "vs_baseline" not in first
    low, high = first["intervals"]["mHR"]
    assert low <= first["mHR"] <= high
    for row in rows[1:]:
        d = row.metrics["vs_baseline"]["mHR"]
        assert d["interval"][0] <= d["mean"] <= d["interval"][1]
        assert d["mean"] == pytest.approx(row.metrics["mHR"] - first["mHR"], abs=1e-3)
    assert rows[3].bytes_per_vector == (1024 + 16) * 4  # the fake's 16 class scores appended
    table = markdown(rows)
    assert "baseline" in table and "class scores x0.5" in table and "DBA 1" in table
    write_outputs(rows, tmp_path, "t")
    assert "vs_baseline" in json.loads((tmp_path / "bench.json").read_text())[1]["metrics"]
