"""Resumable and incremental: a SIGKILLed run finishes on re-run with every video once; changes are upserted."""

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import VIDSEARCH, make_video, run_cli
from vidsearch import Settings, VideoSearch
from vidsearch.sources import read_source
from vidsearch.store import open_store

pytestmark = pytest.mark.model  # runs the real I3D (in `vidsearch` processes)


COUNT = 60  # the first 32 are stored together (the centring is fitted on them), then batches of 4 stream in


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    for i in range(COUNT):
        make_video(root / f"class{i % 4}" / f"v{i:02d}.mp4", motion="orbit_cw", seed=i, width=128, height=96, seconds=1.0)
    return root


def index(folder, db, *extra):
    return run_cli("index", folder, "--db", db, "--collection", "resume", "--json", "--insert-batch", "4", *extra,
                   timeout=900)


def rows_stored(db: str) -> bool:
    """Seen from outside the indexing process: a server answers queries; a Lite database is locked by its
    writer, so its write-ahead log is looked at instead; an embedded one is read as the SQLite file it is (WAL:
    a reader beside the writer)."""
    if db.startswith("http"):
        store = open_store(db, "resume")
        try:
            return store.exists() and store.count() > 0
        finally:
            store.close()
    if db.startswith("milvus-lite:"):
        return any(Path(db.removeprefix("milvus-lite:")).glob("collections/resume/wal/wal_data_*"))
    file = Path(db) / "vidsearch.sqlite3"
    if not file.exists():
        return False
    with contextlib.closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=5)) as sql:
        try:
            return sql.execute("SELECT count(*) FROM videos WHERE collection = 'resume'").fetchone()[0] > 0
        except sqlite3.OperationalError:  # tables not made yet
            return False


def test_sigkill_of_a_first_index_with_default_settings_keeps_what_was_stored(folder, db):
    """Default settings (centring on): the kill lands after rows were stored and before the end; the re-run
    skips what was stored, adds the rest, and every video is there exactly once."""
    process = subprocess.Popen([*VIDSEARCH, "index", str(folder), "--db", db,
                                "--collection", "resume", "--insert-batch", "4"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not rows_stored(db):
        assert process.poll() is None, "the run ended before the test saw rows stored"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)  # pull the plug
    process.wait()
    assert process.returncode == -signal.SIGKILL
    result = index(folder, db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0 < report["skipped"] < COUNT, report  # the kill landed part-way, and what was stored was kept
    assert report["indexed"] + report["skipped"] == COUNT and report["failed"] == []
    with VideoSearch(settings=Settings(db=db, collection="resume")) as engine:
        catalogue = engine.store.catalogue()
        assert engine.info().centred is True
    assert sorted(catalogue) == sorted(item.id for item in read_source(folder))  # each id once, none missing
    again = json.loads(index(folder, db).stdout)
    assert (again["indexed"], again["skipped"]) == (0, COUNT)


def test_changed_files_are_replaced_removed_ones_pruned(folder, db, tmp_path, embedder):
    library = tmp_path / "lib"
    for i in range(5):
        make_video(library / "a" / f"v{i}.mp4", motion="move_left", seed=i, width=128, height=96, seconds=1.0)
    engine = VideoSearch(settings=Settings(db=db, collection="resume"), embedder=embedder)
    engine.settings.ingest.workers = 1
    assert engine.index(library).indexed == 5
    changed = library / "a" / "v0.mp4"
    changed_id = next(i.id for i in read_source(library) if i.path == changed)
    before = engine.store.get([changed_id])[0].vector
    make_video(changed, motion="zoom_out", seed=50, width=128, height=96, seconds=1.0)  # replaced in place
    (library / "a" / "v4.mp4").unlink()
    report = engine.index(library, prune=True)
    assert (report.indexed, report.skipped, report.removed) == (1, 3, 1)
    assert engine.store.count() == 4
    assert not np.allclose(engine.store.get([changed_id])[0].vector, before)
    assert engine.remove([str(library / "a" / "v1.mp4"), changed_id]) == 2
    assert engine.store.count() == 2
    engine.close()


def test_sigkill_while_indexing_long_videos_leaves_each_complete_exactly_once(db, tmp_path):
    """Long videos, one stored at a time: the kill lands with some videos stored and others part-way; the
    re-run re-does the unfinished ones whole (their stray segments replaced), and every video has exactly
    its own segments."""
    from vidsearch.datasets.synthetic import render_long
    from vidsearch.video.encode import write_video

    library = tmp_path / "long"
    for i in range(5):
        write_video(library / "films" / f"film{i}.mp4", render_long(100 + i, 30.0, width=96, height=72, fps=10.0), 10.0)
    options = ["--insert-batch", "1", "--no-centre", "--stride", "2"]  # a 2-s stride: the same path, 4x less model
    command = [*VIDSEARCH, "index", str(library), "--db", db, "--collection", "resume", *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not rows_stored(db):
        assert process.poll() is None, "the run ended before the test saw rows stored"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    result = index(library, db, *options)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0 < report["skipped"] < 5 and report["indexed"] + report["skipped"] == 5, report
    with VideoSearch(settings=Settings(db=db, collection="resume")) as engine:
        assert engine.count() == 5
        assert engine.info().segments == 5 * 15  # 30 s: windows at 0, 2, ..., 28 s; none twice, none stray
