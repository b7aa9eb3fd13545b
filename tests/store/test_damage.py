"""A damaged embedded database: SQLite (the source of truth) damaged is said in one line and never served or
re-initialised; a damaged index file (a cache) is rebuilt from SQLite, said once, and saved again. Every command
of the CLI that needs no model, and search and index through the facade, are tried on each kind of damage."""

import shutil

import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder
from tests.test_cli_errors import one_line_error, run_main
from vidsearch import Settings, VideoSearch
from vidsearch.store import StoreError
from vidsearch.store.embedded import DATABASE_FILE

CLIPS = {"move_left": 1, "pulse": 2, "orbit_cw": 3}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A database of three clips, and a fourth clip to index later."""
    root = tmp_path_factory.mktemp("damage")
    for motion, seed in CLIPS.items():
        make_video(root / "lib" / motion / f"{motion}.mp4", motion=motion, seed=seed, width=128, height=96, seconds=1.5)
    extra = make_video(root / "more" / "zoom.mp4", motion="zoom_in", seed=4, width=128, height=96, seconds=1.5)
    with facade(root / "lib.db") as engine:
        assert engine.index(root / "lib").indexed == 3
    return root, extra


def facade(db):
    engine = VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder())
    engine.settings.ingest.workers = 0
    return engine


def truncate(file):
    file.write_bytes(file.read_bytes()[:10])


def zero(file):
    file.write_bytes(b"\0" * file.stat().st_size)


def garbage_header(file):
    data = bytearray(file.read_bytes())
    data[:16] = b"not a database!!"
    file.write_bytes(bytes(data))


def empty(file):
    file.write_bytes(b"")


def folder(file):
    file.unlink()
    file.mkdir()


DAMAGES = {"truncated": truncate, "zeroed": zero, "header": garbage_header, "emptied": empty,
           "deleted": lambda f: f.unlink(), "folder": folder}


@pytest.fixture
def library(pristine, tmp_path):
    root, extra = pristine
    shutil.copytree(root / "lib.db", tmp_path / "lib.db")
    return tmp_path / "lib.db", root, extra


def cli_works_or_says_one_line(capsys, db, expect_ok: bool) -> list[str]:
    """info, remove (of an unknown id), find-action and duplicates: each exit 0, or 1 with one line naming the
    damage and what to do. Returns what they printed on stderr."""
    said = []
    for argv in (["info"], ["find-action", "playing cricket"], ["duplicates", "--no-frame-check"],
                 ["remove", "12345"]):
        rc, out, err = run_main(capsys, "--db", str(db), *argv)
        said.append(err)
        assert "Traceback" not in err and "unexpected" not in err, (argv, err)
        if expect_ok:
            assert rc in (0, 3), (argv, err)  # remove of an unknown id: 3 (removed 0 of 1)
        else:
            assert rc == 1 and one_line_error(err) and "damaged" in err and "new --db" in err, (argv, err)
    return said


@pytest.mark.parametrize("damage", ["truncated", "zeroed", "header", "emptied", "deleted"])
def test_a_damaged_sqlite_file_is_reported_never_served_or_rewritten(capsys, library, damage):
    db, root, extra = library
    DAMAGES[damage](db / DATABASE_FILE)
    before = (db / DATABASE_FILE).read_bytes() if (db / DATABASE_FILE).exists() else None
    for err in cli_works_or_says_one_line(capsys, db, expect_ok=False):
        assert "damaged" in err or DATABASE_FILE in err
    with pytest.raises(StoreError, match="damaged|vidsearch.sqlite3"):
        with facade(db) as engine:
            engine.search(next((root / "lib").rglob("*.mp4")))
    with pytest.raises(StoreError, match="damaged|vidsearch.sqlite3"):
        with facade(db) as engine:
            engine.index(extra.parent)
    after = (db / DATABASE_FILE).read_bytes() if (db / DATABASE_FILE).exists() else None
    assert after == before  # never re-initialised, not even by a read


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_index_file_is_rebuilt_said_once_and_saved_again(capsys, caplog, library, damage):
    db, root, extra = library
    index_file = db / "index" / "videos.segments.faiss"
    DAMAGES[damage](index_file)
    said = cli_works_or_says_one_line(capsys, db, expect_ok=True)
    if damage == "folder":  # it cannot be saved over: each command says what to remove
        assert any("remove the folder" in e for e in said)
    else:
        assert sum("rebuilt from the database" in e for e in said) == 1  # said once: then it is saved again
    caplog.clear()
    with facade(db) as engine:
        for motion in CLIPS:
            query = root / "lib" / motion / f"{motion}.mp4"
            assert engine.search(query, k=3).results[0].path == str(query.resolve())
        report = engine.index(extra.parent)
    if damage == "folder":  # cannot be saved over: the run says so (exit 3), the videos are stored all the same
        assert report.indexed == 1 and report.problems and "remove the folder" in report.problems[0]
        return
    assert report.complete and report.indexed == 1
    assert not [r for r in caplog.records if "damaged" in r.getMessage()]  # repaired by the first command
    caplog.clear()
    with facade(db) as engine:  # repaired: loaded, not rebuilt, and the new video found
        assert engine.store.count() == 4
        assert engine.search(extra, k=1).results[0].path == str(extra.resolve())
    assert not [r for r in caplog.records if "rebuilt" in r.getMessage()]


def test_stale_index_files_of_another_write_are_never_trusted(library):
    """A saved index covers the write it was saved after, whatever the counter says: another process's write
    (or a restored SQLite file) makes it stale, and it is rebuilt."""
    db, root, extra = library
    copy = db.parent / "copy.db"
    shutil.copytree(db, copy)
    with facade(copy) as engine:
        engine.index(extra.parent)
    shutil.copytree(copy / "index", db / "index", dirs_exist_ok=True)  # index files of another history
    with facade(db) as engine:
        assert engine.store.count() == 3
        found = engine.search(extra, k=5).results
        assert all(r.path != str(extra.resolve()) for r in found)
        assert len(found) == 3
