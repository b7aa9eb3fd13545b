"""End to end on real encoded videos: index a library, query altered copies, on the embedded store, Milvus Lite and a real server."""

import numpy as np
import pytest

from tests.conftest import make_video
from vidsearch import Settings, VideoSearch
from vidsearch.video.encode import Encoding

MPEG4_LOW = Encoding("mpeg4", options={"qscale": "12"})


@pytest.fixture
def engine(db, embedder):
    search = VideoSearch(settings=Settings(db=db, collection="e2e"), embedder=embedder)
    yield search
    search.close()


def crop(frame):
    h, w = frame.shape[:2]
    return frame[h // 10 : h - h // 10, w // 8 : w - w // 8]


def test_altered_copies_find_their_original(engine, library, tmp_path):
    root, specs = library
    report = engine.index(root)
    assert (report.indexed, report.failed, report.skipped) == (20, [], 0)
    assert engine.info().count == 20
    queries = {
        3: make_video(tmp_path / "q_crop.mp4", specs[3], transform=crop),
        11: make_video(tmp_path / "q_mpeg4.avi", specs[11], MPEG4_LOW),
        16: make_video(tmp_path / "q_crop2.mkv", specs[16], transform=crop),
    }
    for i, query in queries.items():
        result = engine.search(query, k=5)
        assert result.results[0].label == specs[i].motion, (i, [h.label for h in result.results])
        assert len(result.results) == 5 and result.results[0].distance < result.results[1].distance
        assert len(result.tags) == 5 and result.tags[0].score >= result.tags[-1].score


def test_reindexing_adds_nothing_twice_and_bad_files_are_reported(engine, library, tmp_path):
    root, _ = library
    engine.index(root)
    again = engine.index(root)
    assert (again.indexed, again.skipped) == (0, 20)
    folder = tmp_path / "mixed"
    make_video(folder / "good" / "a.mp4", motion="pulse", seed=5, width=160, height=120, seconds=1.0)
    (folder / "bad").mkdir()
    (folder / "bad" / "broken.mp4").write_text("not a video")
    report = engine.index(folder)
    assert report.indexed == 1
    assert [(f.stage, f.error) for f in report.failed] == [("decode", "VideoDecodeError")]
    assert "broken.mp4" in report.failed[0].path
    assert engine.info().count == 21


def test_info_describes_the_collection(engine, library):
    engine.index(library[0])
    info = engine.info().to_json()
    assert info["dim"] == 1536 and info["model"] == "i3d-kinetics400-rgb" and info["num_frames"] == 16
    assert info["feature"] == "Mixed_5c+Mixed_4d"
    assert info["index"] == {"type": "IVF_FLAT", "metric": "L2", "nlist": 400, "nprobe": 32}
    assert info["db"] == engine.settings.db.removeprefix("milvus-lite:")  # the path itself: it opens as Lite again


def test_stored_vectors_are_unit_length(engine, library):
    engine.index(library[0])
    ids = list(engine.store.catalogue())[:5]
    for entry in engine.store.get(ids):
        assert np.linalg.norm(entry.vector) == pytest.approx(1.0, abs=1e-5)
