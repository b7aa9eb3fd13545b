"""The CLI as a user runs it: separate processes, JSON shapes other tools rely on."""

import json

import pytest

from tests.conftest import make_video, run_cli
from vidsearch.store import CollectionSpec, open_store

pytestmark = pytest.mark.model  # runs the real I3D (in `vidsearch` processes)


def run(*args, check=True):
    result = run_cli(*args)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def indexed(library, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("cli") / "cli.db")
    root, specs = library
    result = run("index", str(root), "--db", db, "--json")
    assert json.loads(result.stdout)["indexed"] == 20
    return db, root, specs


def test_search_json_shape(indexed, tmp_path):
    db, root, specs = indexed
    query = make_video(tmp_path / "q.mp4", specs[8], transform=lambda f: f[8:-8, 8:-8])
    out = json.loads(run("--db", db, "search", str(query), "-k", "3", "--json").stdout)
    assert set(out) == {"query", "results", "tags"} and out["query"] == str(query)
    assert len(out["results"]) == 3
    assert all(set(r) == {"id", "path", "label", "distance", "duration", "segments", "copy"} for r in out["results"])
    assert all(set(s) == {"start", "end", "query_start", "query_end", "distance"}
               for r in out["results"] for s in r["segments"])
    assert out["results"][0]["label"] == specs[8].motion
    assert all(set(t) == {"label", "score"} for t in out["tags"])


def test_search_with_query_expansion(indexed, tmp_path):
    db, root, specs = indexed
    query = make_video(tmp_path / "q.mp4", specs[8], transform=lambda f: f[8:-8, 8:-8])
    plain = json.loads(run("--db", db, "search", str(query), "-k", "3", "--json").stdout)["results"]
    expanded = json.loads(run("--db", db, "search", str(query), "-k", "3", "--expand", "2", "--alpha", "3",
                              "--json").stdout)["results"]
    assert expanded[0]["label"] == specs[8].motion
    assert [r["distance"] for r in expanded] != [r["distance"] for r in plain]  # it searched with other vectors
    bad = run("--db", db, "search", str(query), "--expand", "-1", check=False)
    assert bad.returncode == 2 and "out of range" in bad.stderr


def test_info_json_shape(indexed):
    out = json.loads(run("info", "--db", indexed[0], "--json").stdout)
    assert {"count", "dim", "model", "index", "db", "segments", "segment_params"} <= set(out)
    assert (out["count"], out["dim"], out["db"], out["feature"]) == (20, 1536, indexed[0], "Mixed_5c+Mixed_4d")
    assert out["segments"] >= 20 and out["segment_params"] == {"frames": 16, "fps": 8.0, "stride": 0.5}


def test_human_output(indexed):
    db, root, specs = indexed
    out = run("search", str(next((root / specs[0].motion).iterdir())), "--db", db, "-k", "2").stdout
    assert "rank" in out and specs[0].motion in out.splitlines()[3]
    assert "0:00:00.0-0:00:0" in out.splitlines()[3]  # where it matched, h:mm:ss


def test_csv_source_and_partial_failure_exit_code(tmp_path):
    make_video(tmp_path / "videos" / "a.mp4", motion="move_left", seed=1, width=128, height=96, seconds=1.0)
    (tmp_path / "lib.csv").write_text("id,path,label\n1,videos/a.mp4,left\n2,videos/missing.mp4,gone\n")
    result = run("index", str(tmp_path / "lib.csv"), "--db", str(tmp_path / "c.db"), "--report", str(tmp_path / "r.json"), check=False)
    assert result.returncode == 3, result.stderr
    assert "indexed 1" in result.stdout and "missing.mp4" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["failed"][0]["stage"] == "open" and "missing" in report["failed"][0]["message"]


def test_errors_are_one_line_not_tracebacks(tmp_path):
    result = run("search", str(tmp_path / "nope.mp4"), "--db", str(tmp_path / "empty.db"), check=False)
    assert result.returncode == 1 and "index some videos first" in result.stderr and "Traceback" not in result.stderr
    result = run("index", str(tmp_path / "nothing-here"), "--db", str(tmp_path / "x.db"), check=False)
    assert result.returncode == 1 and "not a folder" in result.stderr


def test_locked_database_is_explained(tmp_path):
    db = str(tmp_path / "held.db")
    holder = open_store(db)
    holder.create(CollectionSpec(8))  # creates the database and takes its lock
    try:
        result = run("info", "--db", db, check=False)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "in use by another process" in result.stderr and "Traceback" not in result.stderr


def test_eval_json_shape(indexed):
    db, root, specs = indexed
    out = json.loads(run("eval", str(root), "--db", db, "-k", "5", "--json").stdout)
    assert set(out) == {"k", "queries", "mHR", "mAP", "recall@1", "top1", "AP", "intervals", "per_label", "failed",
                        "seconds"}
    assert out["queries"] == 20 and out["top1"] == 1.0 and out["failed"] == []  # every clip finds itself
    assert out["intervals"]["top1"] == [1.0, 1.0] and set(out["intervals"]) == {"mHR", "mAP", "top1"}
    assert set(out["per_label"]) == {s.motion for s in specs}
