"""Every awkward or broken input gets its documented outcome, and every good file in the run is indexed."""

import json

import numpy as np
import pytest

from tests.conftest import run_cli
from tests.ingest.corpus import build_corpus
from vidsearch import Settings, VideoSearch
from vidsearch.sources import read_source
from vidsearch.video import DecodeOptions, decode_clip

pytestmark = pytest.mark.model  # runs the real I3D (in `vidsearch` processes)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def outcome_of(report, expected):
    failures = {f["path"].split("/videos/")[-1]: f for f in report["failed"] if f["error"] != "DuplicateId"}
    return failures, {name for name, want in expected.items() if want == "indexed"}


def test_each_input_gets_its_documented_outcome(corpus, db, tmp_path):
    csv, expected = corpus
    result = run_cli("index", csv, "--db", db, "--collection", "corpus", "--report", tmp_path / "report.json",
                     "--workers", "2", timeout=900)
    assert result.returncode == 3, result.stderr  # documented: 3 = some videos failed, the rest are in
    report = json.loads((tmp_path / "report.json").read_text())
    failures, good = outcome_of(report, expected)
    for name, want in expected.items():
        if want == "indexed":
            assert name not in failures, failures.get(name)
        else:
            stage, reason = want.split(":")
            assert failures[name]["stage"] == stage, (name, failures[name])
            assert failures[name]["reason"] == reason, (name, failures[name])
    duplicate = [f for f in report["failed"] if f["error"] == "DuplicateId"]
    assert len(duplicate) == 1 and duplicate[0]["stage"] == "open"
    assert report["indexed"] == len(good) and len(report["failed"]) == len(expected) - len(good) + 1
    assert "FAILED [decode]" in result.stdout and "empty.mp4" in result.stdout
    with VideoSearch(settings=Settings(db=db, collection="corpus")) as engine:
        labels = {row.label for row in engine.store.catalogue().values()}
        assert labels == {name.split(".")[0] for name in good}
        engine.store.drop()


def test_portrait_video_is_turned_upright(tmp_path):
    from tests.ingest.corpus import set_mp4_rotation
    from vidsearch.video.encode import write_video

    landscape = np.zeros((180, 320, 3), np.uint8)
    landscape[:, :160] = 230  # stored: bright left half; shown upright (rotated 90°): bright top or bottom half
    path = write_video(tmp_path / "portrait.mp4", [landscape] * 5, 25)
    set_mp4_rotation(path, 90)
    frame = decode_clip(path).frames[0].astype(float)
    rows, columns = frame.mean(axis=(1, 2)), frame.mean(axis=(0, 2))
    edge = len(rows) * 4 // 9  # a band at each side, clear of the middle
    assert abs(rows[:edge].mean() - rows[-edge:].mean()) > 150  # the split now runs across
    assert abs(columns[:edge].mean() - columns[-edge:].mean()) < 10


def test_guardrail_refuses_huge_frames_before_decoding(corpus, tmp_path):
    csv, _ = corpus
    engine = VideoSearch(settings=Settings(db="memory://", decode=DecodeOptions(max_pixels=1920 * 1080)))
    engine.settings.ingest.workers = 0
    report = engine.index([i for i in read_source(csv) if i.path.name == "uhd 3840x2160.mp4"])
    assert [f.reason for f in report.failed] == ["too_large"]


def test_strict_mode_stops_at_the_first_failure(corpus, tmp_path):
    csv, _ = corpus
    result = run_cli("index", csv, "--db", tmp_path / "s.db", "--strict")
    assert result.returncode == 1 and "stopped at the first failure" in result.stderr
