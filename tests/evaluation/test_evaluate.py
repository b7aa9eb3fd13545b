import pytest

from tests.conftest import make_video
from vidsearch import Settings, VideoSearch
from vidsearch.evaluation.evaluate import (
    average_precision, evaluate, hit_ratio, precision_at, query_files, recall_at, score_query,
    tutorial_average_precision,
)

TRUTH, RANKED, K = {1, 2, 3}, [1, 9, 2, 8, 7], 5


def test_worked_example_by_hand():
    assert hit_ratio(TRUTH, RANKED) == pytest.approx(2 / 3)
    # tutorial mAP: (1/1 + 1/2 + 2/3 + 2/4 + 2/5) / 5
    assert tutorial_average_precision(TRUTH, RANKED, K) == pytest.approx((1 + 0.5 + 2 / 3 + 0.5 + 0.4) / 5)
    # textbook AP: precision at the hit ranks 1 and 3, over min(|truth|, k) = 3
    assert average_precision(TRUTH, RANKED, K) == pytest.approx((1 + 2 / 3) / 3)
    assert recall_at(TRUTH, RANKED, 1) == pytest.approx(1 / 3)
    assert precision_at(TRUTH, RANKED, K) == pytest.approx(2 / 5)
    assert score_query(TRUTH, RANKED, K)["top1"] == 1.0


def test_tutorial_map_differs_from_textbook_ap():
    # a perfect ranking of 1 relevant item: textbook AP is 1, the tutorial's mAP keeps counting 1/i
    assert average_precision({5}, [5, 1, 2, 3], 4) == 1.0
    assert tutorial_average_precision({5}, [5, 1, 2, 3], 4) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)


def test_short_result_lists_count_missing_ranks_as_misses():
    assert tutorial_average_precision({1}, [1], 3) == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert average_precision({1, 2}, [], 3) == 0.0 and score_query({1}, [], 3)["top1"] == 0.0


def test_evaluate_end_to_end_with_failures(tmp_path, library, embedder):
    root, specs = library
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=embedder)
    engine.index(root)
    tests = tmp_path / "test"
    make_video(tests / specs[2].motion / "q.mp4", specs[2], transform=lambda f: f[6:-6, 6:-6])
    make_video(tests / "unknown_label" / "q.mp4", specs[3])
    (tests / specs[4].motion).mkdir()
    (tests / specs[4].motion / "broken.mp4").write_text("nope")
    report = evaluate(engine, query_files(tests), k=5)
    out = report.to_json()
    assert set(out) == {"k", "queries", "mHR", "mAP", "recall@1", "top1", "AP", "intervals", "per_label", "failed", "seconds"}
    assert out["queries"] == 1 and out["top1"] == 1.0 and out["mHR"] == 1.0  # one library clip per label
    assert out["intervals"]["mHR"] == [1.0, 1.0]  # one query: nothing to resample
    assert out["per_label"] == {specs[2].motion: {"mHR": 1.0, "mAP": pytest.approx(tutorial_average_precision({0}, [0], 5))}}
    assert sorted(f["path"].split("/")[-2] for f in out["failed"]) == sorted([specs[4].motion, "unknown_label"])
    assert "mHR (tutorial)" in report.table()


def test_query_files_accepts_a_glob(tmp_path):
    for name in ["a/x.mp4", "b/y.mkv", "b/notes.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in query_files(str(tmp_path / "*" / "*.mp4"))] == ["x.mp4"]
    assert [p.name for p in query_files(tmp_path)] == ["x.mp4", "y.mkv"]
    with pytest.raises(ValueError):
        query_files(tmp_path / "nothing")


def test_excerpts_score_the_copy_flag_and_each_edit_kind(tmp_path):
    """truth.csv with a rate and edits: the start is placed through the rate, the flag is scored on the top
    result and on every flagged one, and each edit kind gets its own row."""
    from vidsearch.evaluation.evaluate import EvalReport, QueryScore, read_truth, score_excerpt
    from vidsearch.retrieval.search import Interval, VideoMatch

    (tmp_path / "test" / "v").mkdir(parents=True)
    query = tmp_path / "test" / "v" / "q.mp4"
    query.write_bytes(b"x")
    (tmp_path / "test" / "truth.csv").write_text("query,video,offset,rate,source_seconds,edits\n"
                                                 "v/q.mp4,../train/v/v.mp4,10.0,1.5,9.0,pip_half+grey\n")
    excerpt = read_truth([query])[query.resolve()]
    assert excerpt.rate == 1.5 and excerpt.edits == ("pip_half", "grey")
    source = str((tmp_path / "train" / "v" / "v.mp4").resolve())
    placed = VideoMatch(1, source, "v", 0.1, 20.0, [Interval(13.0, 16.0, 2.0, 4.0, 0.1)], copy=True)  # 10 + 1.5 * 2
    scores, error = score_excerpt(excerpt, [placed])
    assert error == pytest.approx(0.0) and scores["within_1s"] == 1.0 and scores["flagged"] == 1.0
    report = EvalReport(10, [QueryScore(str(query), "v", {**score_query({1}, [1], 10), **scores}, error, excerpt.edits,
                                        [True, False])])
    assert report.flag_precision() == 0.5
    assert report.per_edit()["grey"] == {"queries": 1, "segment_top1": 1.0, "flagged": 1.0, "within_1s": 1.0,
                                         "flag_precision": 0.5}
    assert "| pip_half | 1 | 1.00 | 1.00 | 1.00 | 0.50 |" in report.table()
