"""The three faces decide nothing of their own: the same call through the CLI, the HTTP API and a notebook's
`VideoSearch` gives the same answer, or the same error. Fake embedder, embedded store."""

from __future__ import annotations

import json

import pytest

from tests.conftest import api_client, make_video
from tests.fakes import FakeEmbedder
from vidsearch import IngestConfig, ReduceConfig, Settings, VideoSearch
from vidsearch.cli import main
from vidsearch.server.app import ServerConfig, create_app
from vidsearch.store import EmptyLibraryError, IndexConfig, VideoFilter

CLIPS = {"a": ("move_right", "pulse"), "b": ("orbit_cw", "zoom_in")}


@pytest.fixture()
def here(tmp_path, monkeypatch):
    """A folder of six short clips (two labels) as the current folder; the CLI's model is the fake."""
    for label, motions in CLIPS.items():
        for n, motion in enumerate(motions):
            make_video(tmp_path / "lib" / label / f"{motion}.mp4", motion=motion, seed=n, width=96, height=64,
                       seconds=2.5)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("vidsearch.model.Embedder", lambda *args, **kwargs: FakeEmbedder())
    return tmp_path


def notebook(db: str, **settings) -> VideoSearch:
    return VideoSearch(settings=Settings(db=db, ingest=IngestConfig(workers=0), **settings), embedder=FakeEmbedder())


def cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        rc = main(list(argv))
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_relative_path_prefix_means_the_same_everywhere(here, capsys):
    with notebook("lib.db") as engine:
        assert engine.index("lib").indexed == 4
        query = here / "lib" / "b" / "orbit_cw.mp4"
        mine = [r.id for r in engine.search(query, k=4, where=VideoFilter(path_prefix="lib/a")).results]
        client = api_client(create_app(engine, ServerConfig(data_dir=here / "server")))
        body = client.post("/api/search", files={"file": (query.name, query.read_bytes(), "video/mp4")},
                           data={"k": "4", "path_prefix": "lib/a"}).json()
    rc, out, _ = cli(capsys, "--db", "lib.db", "search", str(query), "-k", "4", "--path-prefix", "lib/a", "--json")
    assert rc == 0
    assert len(mine) == 2 and [r["id"] for r in body["results"]] == mine == [r["id"] for r in json.loads(out)["results"]]


def test_an_empty_library_is_the_same_error_everywhere(here, capsys):
    query = here / "lib" / "a" / "pulse.mp4"
    with notebook("empty.db") as engine:
        with pytest.raises(EmptyLibraryError) as raised:
            engine.search(query)
        message = str(raised.value)
        client = api_client(create_app(engine, ServerConfig(data_dir=here / "server")))
        answer = client.post("/api/search", files={"file": (query.name, query.read_bytes(), "video/mp4")})
        actions = client.get("/api/actions", params={"q": "fake action 1"})
    rc, _, err = cli(capsys, "--db", "empty.db", "search", str(query))
    assert "index some videos first" in message
    assert answer.status_code == actions.status_code == 409 and answer.json()["detail"] == message
    assert rc == 1 and err.strip() == f"vidsearch: error: {message}"


def test_index_settings_given_in_part_are_completed_the_same_way(here, capsys):
    """IndexConfig(nlist=16) and --nlist 16 search 16 lists; ReduceConfig(dim=64) and --dim 64 project at random."""
    with notebook("mine.db", index=IndexConfig(nlist=16), reduce=ReduceConfig(dim=64)) as engine:
        engine.index("lib")
        mine = engine.info().to_json()
    rc, _, _ = cli(capsys, "--db", "cli.db", "index", "lib", "--nlist", "16", "--dim", "64", "--workers", "0")
    assert rc == 0
    rc, out, _ = cli(capsys, "--db", "cli.db", "info", "--json")
    theirs = json.loads(out)
    for info in (mine, theirs):
        assert info["index"]["nlist"] == 16 and info["index"]["nprobe"] == 16
        assert info["dim"] == 64 and info["reduction"]["method"] == "random"
    assert {k: v for k, v in mine.items() if k not in ("db", "created")} == \
           {k: v for k, v in theirs.items() if k not in ("db", "created")}


def test_a_service_beyond_loopback_guards_writes_however_it_is_started(here, monkeypatch):
    monkeypatch.delenv("VIDSEARCH_API_TOKEN", raising=False)
    config = ServerConfig(host="0.0.0.0", data_dir=here / "server")
    assert config.token_generated and len(config.token) >= 24
    assert ServerConfig(data_dir=here / "server").token is None  # loopback: open, as before
    monkeypatch.setenv("VIDSEARCH_API_TOKEN", "from-the-environment")
    assert ServerConfig(host="0.0.0.0").token == "from-the-environment"
    with notebook("lib.db") as engine:
        client = api_client(create_app(engine, config))
        clip = here / "lib" / "a" / "pulse.mp4"
        refused = client.post("/api/videos", files={"file": (clip.name, clip.read_bytes(), "video/mp4")})
    assert refused.status_code == 401


def test_a_collection_moves_the_same_from_a_notebook_and_the_cli(here, capsys):
    with notebook("lib.db") as engine:
        engine.index("lib")
        report = engine.migrate_to("notebook.db")
    rc, out, _ = cli(capsys, "--db", "lib.db", "migrate", "--to", "cli.db", "--json")
    assert rc == 0 and (report.videos, report.segments) == (json.loads(out)["videos"], json.loads(out)["segments"]) == (4, 8)  # 2.5-s clips: two 2-s windows each
    infos = [VideoSearch(db=db).info().to_json() for db in ("notebook.db", "cli.db")]
    assert [{k: v for k, v in info.items() if k != "db"} for info in infos] == [{k: v for k, v in infos[0].items() if k != "db"}] * 2
