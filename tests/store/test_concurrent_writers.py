"""Several processes writing one new embedded database at once: each video ends up searchable, or the late
process is refused in one line before it does any work; never both succeed with a video left invisible."""

import subprocess
import sys

import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.server.app import ServerConfig, create_app

pytestmark = pytest.mark.integration  # processes racing for one new database

INDEX = """
import sys, time
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.store import StoreError

class Slow(FakeEmbedder):  # a model takes its time: a later writer's first write comes after the first run ended
    def embed_batch(self, clips):
        time.sleep(float(sys.argv[3]))
        return super().embed_batch(clips)

try:
    engine = VideoSearch(settings=Settings(db=sys.argv[1]), embedder=Slow())
    engine.settings.ingest.workers = 0
    report = engine.index(sys.argv[2])
except StoreError as e:
    print(f"vidsearch: error: {e}", file=sys.stderr)
    sys.exit(1)
print(report.indexed)
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("writers")
    motions = [["move_left"], ["pulse", "orbit_cw"], ["zoom_in", "move_up"]]
    for n, group in enumerate(motions):
        for i, motion in enumerate(group):
            make_video(root / f"part{n}" / f"{motion}.mp4", motion=motion, seed=10 * n + i, width=128, height=96,
                       seconds=1.5)
    return [root / f"part{n}" for n in range(len(motions))]


def start_index(db, folder, seconds_a_batch: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", INDEX, str(db), str(folder), str(seconds_a_batch)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_searchable_or_refused(db, folders, runs) -> None:
    engine = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    try:
        for folder, (rc, err) in zip(folders, runs):
            if rc != 0:  # refused: in one line, saying why, and it stored nothing of its own
                assert rc == 1 and len(err.strip().splitlines()) == 1 and "in use by another process" in err, err
                continue
            for video in folder.glob("*.mp4"):
                assert engine.search(video, k=1).results[0].path == str(video.resolve()), video
        assert engine.count() == sum(len(list(f.glob("*.mp4"))) for f, (rc, _) in zip(folders, runs) if rc == 0)
    finally:
        engine.close()


@pytest.mark.parametrize("writers", [2, 3])
def test_first_index_runs_at_once_on_a_new_database(tmp_path, folders, writers):
    db = tmp_path / "new.db"
    processes = [start_index(db, folder, 1.5 * n) for n, folder in enumerate(folders[:writers])]
    runs = [(p.wait(timeout=300), p.communicate()[1]) for p in processes]
    assert any(rc == 0 for rc, _ in runs), runs
    check_searchable_or_refused(db, folders[:writers], runs)


def test_a_server_started_before_its_database_existed_holds_it(tmp_path, folders):
    db = tmp_path / "served.db"
    engine = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    create_app(engine, ServerConfig(data_dir=tmp_path / "server"))  # serving: the database is its own
    try:
        late = start_index(db, folders[1])
        rc, err = late.wait(timeout=300), late.communicate()[1]
        assert rc == 1 and "in use by another process" in err, err
    finally:
        engine.close()
    check_searchable_or_refused(db, folders[1:2], [(start_index(db, folders[1]).wait(timeout=300), "")])


def test_a_collection_made_meanwhile_is_never_replaced(tmp_path, folders):
    """A process that looked before another created the collection (a notebook holding the store unopened)
    does not replace it when it creates its own: it is told to run again."""
    db = tmp_path / "race.db"
    late = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    late.settings.ingest.workers = 0
    assert not late.collection.exists()  # looked: nothing there yet
    first = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    first.settings.ingest.workers = 0
    first.index(folders[0])
    first.close()
    from vidsearch.store import StoreError

    with pytest.raises(StoreError, match="created by another process meanwhile"):
        late.store.create(first_spec(db))
    late.close()
    check_searchable_or_refused(db, folders[:1], [(0, "")])


def first_spec(db):
    engine = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    try:
        return engine.collection.spec()
    finally:
        engine.close()
