"""Every bad input to the CLI is one line on stderr with the exit code of docs/usage.md, and loses no data.

Most run `main()` in this process (validation happens before any model or video work); the ones about
processes, ports and permissions run the real command.
"""

import json
import os
import shutil
import socket
import subprocess

import pytest

from tests.conftest import VIDSEARCH, make_video, run_cli
from vidsearch.cli import main
from vidsearch.store import open_store


def run_main(capsys, *argv) -> tuple[int, str, str]:
    try:
        rc = main(list(argv))
    except SystemExit as e:  # argparse: usage errors (2), --version and --help (0)
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "error:" in err and "Traceback" not in err


@pytest.fixture()
def clip(tmp_path):
    return make_video(tmp_path / "clip.mp4", motion="pulse", seed=3, width=128, height=96, seconds=1.0)


@pytest.mark.parametrize("argv, fragment", [
    (["search", "q.mp4", "-k", "0"], "-k"),
    (["search", "q.mp4", "-k", "-1"], "-k"),
    (["eval", "queries", "-k", "0"], "-k"),
    (["info", "--collection", ""], "collection name"),
    (["search", "q.mp4", "--device", "tpu"], "--device"),
    (["search", "q.mp4", "--precision", "int4"], "--precision"),
    (["index", "x", "--feature", "Mixed_9z"], "unknown I3D feature"),
    (["search", "q.mp4", "--feature", "mixed5c+Mixed_5c"], "twice"),
    (["info", "--collection", "no spaces"], "collection name"),
    (["serve", "--port", "99999"], "--port"),
    (["serve", "--max-upload-mb", "0"], "--max-upload-mb"),
    (["serve", "--max-upload-mb", "-1"], "--max-upload-mb"),
    (["index", "x", "--frames", "-1"], "--frames"),
    (["index", "x", "--frames", "0"], "--frames"),
    (["index", "x", "--workers", "-1"], "--workers"),
    (["index", "x", "--dim", "0"], "--dim"),
    (["index", "x", "--index-type", "BOGUS"], "--index-type"),
    (["index", "x", "--nlist", "0"], "--nlist"),
    (["index", "x", "--decode-timeout", "nan"], "--decode-timeout"),
    (["index", "x", "--report", "/no/such/folder/report.json"], "--report"),
    (["dataset", "build", "synthetic", "out", "--per-class", "0"], "--per-class"),
])
def test_bad_options_are_one_line_usage_errors_before_any_work(capsys, tmp_path, argv, fragment):
    rc, out, err = run_main(capsys, *argv, *([] if argv[0] == "dataset" else ["--db", str(tmp_path / "x.db")]))
    assert rc == 2 and one_line_error(err) and fragment in err, err
    assert not (tmp_path / "x.db").exists()


def test_index_type_the_backend_cannot_build_is_refused_before_embedding(capsys, tmp_path, clip):
    db = str(tmp_path / "lib.db")
    rc, _, err = run_main(capsys, "index", str(clip), "--db", db, "--index-type", "SCANN")
    assert rc == 1 and one_line_error(err) and "'SCANN' is not supported here" in err
    rc, _, err = run_main(capsys, "index", str(clip), "--db", db, "--dim", "2000")
    assert rc == 1 and one_line_error(err) and "--dim must be" in err
    rc, _, err = run_main(capsys, "index", str(clip), "--db", db, "--nlist", "16", "--nprobe", "32")
    assert rc == 1 and one_line_error(err) and "nprobe" in err
    store = open_store(db)
    assert not store.exists()  # nothing was created on the way
    store.close()


def test_mistyped_or_foreign_databases_are_never_created_or_written(capsys, tmp_path):
    rc, _, err = run_main(capsys, "info", "--db", str(tmp_path / "typo.db"))
    assert rc == 1 and one_line_error(err) and "index some videos first" in err
    rc, _, err = run_main(capsys, "search", str(tmp_path / "q.mp4"), "--db", str(tmp_path / "typo.db"))
    assert rc == 1 and one_line_error(err)
    assert not (tmp_path / "typo.db").exists()
    foreign = tmp_path / "photos.db"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"jpeg")
    rc, _, err = run_main(capsys, "info", "--db", str(foreign))
    assert rc == 1 and one_line_error(err) and "not a vidsearch database" in err
    assert sorted(p.name for p in foreign.iterdir()) == ["holiday.jpg"]
    rc, _, err = run_main(capsys, "info", "--db", str(tmp_path / "lib.sqlite"))
    assert rc == 1 and one_line_error(err) and "ending in .db" in err


@pytest.mark.model  # indexes a real clip with the real model
def test_remove_without_a_collection_and_remove_json(capsys, tmp_path, clip, monkeypatch):
    db = str(tmp_path / "lib.db")
    rc, _, err = run_main(capsys, "remove", "12", "--db", db)
    assert rc == 1 and one_line_error(err) and "index some videos first" in err
    rc, _, err = run_main(capsys, "index", str(clip), "--db", db, "--workers", "0", "--quiet")
    assert rc == 0, err
    rc, out, err = run_main(capsys, "remove", str(clip), "404", "--db", db, "--json")
    assert rc == 3 and json.loads(out) == {"requested": 2, "removed": 1}


@pytest.mark.model  # indexes a real clip with the real model
def test_csv_row_without_a_path_is_reported_as_that_row(capsys, tmp_path, clip):
    (tmp_path / "lib.csv").write_text(f"id,path,label\n1,{clip.name},a\n2,,b\n")
    rc, out, err = run_main(capsys, "index", str(tmp_path / "lib.csv"), "--db", str(tmp_path / "c.db"),
                            "--json", "--workers", "0")
    report = json.loads(out)
    assert rc == 3 and report["indexed"] == 1
    assert [(f["stage"], f["reason"]) for f in report["failed"]] == [("open", "missing")]
    assert "line 3 has no path" in report["failed"][0]["message"]


def test_version_and_help_tell_the_truth(capsys):
    rc, out, _ = run_main(capsys, "--version")
    assert rc == 0 and out.startswith("vidsearch 0.")
    rc, out, _ = run_main(capsys, "index", "--help")
    assert rc == 0 and "(default 16)" in " ".join(out.split())


def test_serve_on_a_busy_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("serve", "--port", str(busy.getsockname()[1]), "--db", str(tmp_path / "s.db"),
                           "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1 and one_line_error(result.stderr), result.stderr
    assert "serving" not in result.stderr and "--port" in result.stderr


def test_report_folder_is_checked_before_the_run(tmp_path, clip):
    result = run_cli("index", str(clip), "--db", str(tmp_path / "r.db"), "--report", str(tmp_path / "no" / "r.json"))
    assert result.returncode == 2 and one_line_error(result.stderr) and not (tmp_path / "r.db").exists()


@pytest.mark.model  # indexes a real clip with the real model
def test_read_only_database_is_explained(tmp_path, clip):
    db = tmp_path / "ro.db"
    assert run_cli("index", str(clip), "--db", str(db), "--workers", "0", "--no-centre").returncode == 0
    command = [*VIDSEARCH, "info", "--db", str(db)]
    if os.getuid() == 0:  # permissions do not stop root: mount the database read-only in a private namespace
        if not shutil.which("unshare"):
            pytest.skip("needs unshare (util-linux) to make a read-only mount as root")
        command = ["unshare", "-m", "sh", "-c", f'mount --bind -o ro "{db}" "{db}" && exec "$@"', "sh", *command]
    else:
        for path in [db, *db.rglob("*")]:
            os.chmod(path, 0o555 if path.is_dir() else 0o444)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and one_line_error(result.stderr), result.stderr
    assert "read-only" in result.stderr


def test_serve_beyond_loopback_protects_writes_with_a_generated_token(tmp_path):
    import re
    import time

    import httpx

    server = subprocess.Popen([*VIDSEARCH, "serve", "--host", "0.0.0.0", "--port", "0",
                               "--db", str(tmp_path / "s.db"), "--data-dir", str(tmp_path / "data")],
                              stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stderr.readline()
        match = re.search(r":(\d+) \(write endpoints need the token: (\S+)\)", banner)
        assert match, banner
        url, token = f"http://127.0.0.1:{match.group(1)}", match.group(2)
        for _ in range(100):
            try:
                health = httpx.head(f"{url}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health.status_code == 200 and health.headers["x-content-type-options"] == "nosniff"
        files = {"file": ("v.mp4", b"\0" * 100)}
        assert httpx.post(f"{url}/api/videos", files=files).status_code == 401
        authorised = httpx.post(f"{url}/api/videos", files=files, headers={"Authorization": f"Bearer {token}"})
        assert authorised.status_code == 415  # past the guard: this upload is simply not a video
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_messages_name_the_option_and_the_file(capsys, tmp_path):
    rc, _, err = run_main(capsys, "--db", str(tmp_path / "a.db"), "migrate", "--to", f"{tmp_path}/m1.db/")
    assert rc == 1 and one_line_error(err) and "--to" in err and "--db" not in err
    rc, _, err = run_main(capsys, "index", "x", "--report", "~no_such_user_here/r.json")
    assert rc == 2 and one_line_error(err) and "no such user" in err


def test_eval_on_an_empty_collection_fails(capsys, tmp_path):
    from tests.fakes import FakeEmbedder
    from vidsearch import Settings, VideoSearch

    db = tmp_path / "lib.db"
    clip = make_video(tmp_path / "lib" / "a" / "one.mp4", motion="pulse", seed=1, width=96, height=64, seconds=0.5)
    with VideoSearch(settings=Settings(db=str(db)), embedder=FakeEmbedder()) as engine:
        engine.settings.ingest.workers = 0
        engine.index(tmp_path / "lib")
        engine.remove([clip])
    queries = tmp_path / "test" / "a"
    queries.mkdir(parents=True)
    shutil.copy(clip, queries / "q.mp4")
    rc, _, err = run_main(capsys, "--db", str(db), "eval", str(tmp_path / "test"))
    assert rc == 1 and one_line_error(err) and "empty" in err


def test_odd_file_names_are_one_failure_each_and_the_run_goes_on(tmp_path):
    from tests.fakes import FakeEmbedder
    from vidsearch import Settings, VideoSearch

    library = tmp_path / "lib"
    good = make_video(library / "a" / "one.mp4", motion="pulse", seed=1, width=96, height=64, seconds=0.5)
    shutil.copy(good, os.fsdecode(bytes(library / "a") + b"/bad\xff\xfe.mp4"))
    shutil.copy(good, library / "a" / "two\nlines.mp4")
    linked = tmp_path / "elsewhere"
    make_video(linked / "three.mp4", motion="orbit_cw", seed=3, width=96, height=64, seconds=0.5)
    (library / "linked").symlink_to(linked, target_is_directory=True)
    (linked / "loop").symlink_to(library, target_is_directory=True)  # a cycle ends
    (tmp_path / "latin1.csv").write_bytes(b"id,path,label\n1,lib/a/one.mp4,caf\xe9\n2,lib/a/one.mp4,x\n")
    with VideoSearch(settings=Settings(db=str(tmp_path / "lib.db")), embedder=FakeEmbedder()) as engine:
        engine.settings.ingest.workers = 0
        report = engine.index(library)
        assert report.indexed == 3 and [f.reason for f in report.failed] == ["bad_name"]  # the link followed
        assert "\\xff\\xfe" in report.failed[0].path
        assert [f.reason for f in engine.index(tmp_path / "latin1.csv").failed] == ["bad_name"]
    from vidsearch.cli import _printable  # what every table row and error goes through

    assert _printable("two\nlines.mp4") == "two\\nlines.mp4"
    assert _printable(os.fsdecode(b"bad\xff.mp4")) == "bad\\xff.mp4"
