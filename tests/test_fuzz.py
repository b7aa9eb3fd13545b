"""Property tests over the CLI's options and the API's parameters: whatever comes in, the answer is a clean
one-line error (CLI, with the exit codes of docs/usage.md) or JSON with a `detail` (API), never a traceback or a 500.
Bounded in time: a fixed number of examples, no model weights (fake embedder), no server."""

import os
import string
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import api_client, make_video
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.cli import main
from vidsearch.server.app import ServerConfig, create_app

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

odd_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)
numbers = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(["nan", "inf", "-inf", "1e999", "0x10", "", " 3",
                                                                    "1_000", "\u0663", "99999999999999999999999999"]))
values = st.one_of(numbers.map(str), odd_text)


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """Paths a user might point the CLI at: missing, a folder of non-videos, a text file named .mp4, a CSV."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "folder").mkdir()
    (root / "folder" / "notes.mp4").write_text("not a video\n")
    (root / "text.mp4").write_text("hello\n")
    (root / "lib.csv").write_text("id,path,label\nx,,\n1,text.mp4,a\n")
    (root / "bad.csv").write_text("no,header\n")
    (root / "foreign.db").mkdir()
    (root / "foreign.db" / "file").write_text("x")
    (root / "names").mkdir()  # a file name that is not UTF-8, as a disk from another system has them
    (root / "names" / "ok.mp4").write_text("not a video\n")
    Path(os.fsdecode(bytes(root / "names") + b"/bad\xff\xfe.mp4")).write_bytes(b"x")
    (root / "latin1.csv").write_bytes(b"id,path,label\n1,text.mp4,caf\xe9\n2,folder/notes.mp4,b\n")
    (root / "ids.csv").write_text("id,path,label\n1_000,text.mp4,a\n")
    (root / "arabic.csv").write_text("id,path,label\n\u0663,text.mp4,a\n")
    (root / "line\nbreak.mp4").write_text("x")
    make_video(root / "clips" / "a" / "one.mp4", motion="pulse", seed=1, width=96, height=64, seconds=0.5)
    with VideoSearch(settings=Settings(db=str(root / "lib.db")), embedder=FakeEmbedder()) as engine:
        engine.settings.ingest.workers = 0
        engine.index(root / "clips")  # a database with a collection: ids and removals reach the store
    return root


FILTERS = ["--label", "--tag", "--min-duration", "--max-duration", "--path-prefix"]


def argv_strategy(places):
    paths = st.sampled_from([*(str(places / p) for p in ("missing.mp4", "folder", "text.mp4", "lib.csv", "bad.csv", "",
                                                            "names", "latin1.csv", "ids.csv", "arabic.csv",
                                                            "line\nbreak.mp4")),
                             "~no_such_user_here/x.mp4", "~0", os.fsdecode(bytes(places) + b"/names/bad\xff\xfe.mp4")])
    dbs = st.sampled_from(["memory://", str(places / "fz.db"), str(places / "foreign.db"), str(places / "x.npz"),
                           str(places / "no.sqlite"), "", str(places / "lib.db")])
    options = {
        "index": ["--frames", "--dim", "--reduce", "--seed", "--index-type", "--nlist", "--nprobe", "--insert-batch",
                  "--decode-timeout", "--max-pixels", "--max-seconds", "--report", "--window-fps", "--stride"],
        "search": ["-k", "--per-video", *FILTERS], "eval": ["-k"], "info": [], "remove": [],
        "find-action": ["-k", *FILTERS],
    }

    @st.composite
    def argv(draw):
        command = draw(st.sampled_from(sorted(options)))
        args = [command]
        if command in ("index", "search", "eval"):
            args.append(draw(paths))
        if command == "find-action":
            args.append(draw(st.one_of(odd_text, st.sampled_from(["cricket", "playing cricket", "kick"]))))
        if command == "remove":
            args += draw(st.lists(st.one_of(paths, numbers.map(str)), min_size=1, max_size=3))
        for option in draw(st.lists(st.sampled_from(options[command]), max_size=4, unique=True)) if options[command] else []:
            args += [option, draw(st.one_of(values, paths))]
        if command == "index":
            args += ["--workers", draw(st.sampled_from(["0", "-1", "x", "5000"])), "--quiet"]
        args += ["--db", draw(dbs)]
        args += draw(st.sampled_from([[], ["--json"], ["--collection", draw(odd_text)], ["--precision", "fp64"]]))
        return args

    return argv()


def test_cli_never_tracebacks(places, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a generated `--report 0` writes ./0: here, not in the checkout
    db = ["--db", str(places / "lib.db")]

    @FUZZ
    @given(argv=argv_strategy(places))
    @example(argv=["remove", "99999999999999999999999999", *db])  # each found a crash the generator had missed
    @example(argv=["remove", "\u0663", "1_000", *db])
    @example(argv=["index", str(places / "names"), "--quiet", *db])
    @example(argv=["index", str(places / "latin1.csv"), "--quiet", *db])
    @example(argv=["index", str(places / "text.mp4"), "--report", "~0", "--quiet", *db])
    @example(argv=["eval", str(places / "folder"), "--db", "memory://"])
    def check(argv):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code
        out, err = capsys.readouterr()
        assert rc in (0, 1, 2, 3), (argv, rc, err)
        assert "Traceback" not in err and "Traceback" not in out, (argv, err)
        assert "unexpected" not in err, (argv, err)  # main() names what it did not foresee: a crash all the same
        if rc in (1, 2):
            assert len(err.strip().splitlines()) == 1 and "error:" in err, (argv, err)

    check()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-fuzz")
    for i, motion in enumerate(["move_left", "pulse"]):
        make_video(root / motion / f"v{i}.mp4", motion=motion, seed=i, width=96, height=64, seconds=0.5)
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    engine.settings.ingest.workers = 0
    engine.index(root)
    app = create_app(engine, ServerConfig(token="t0ken", max_upload_bytes=4096, data_dir=root / "data"))
    return api_client(app, raise_server_exceptions=False), next(iter(engine.store.catalogue()))


ids = st.one_of(st.integers(-(2**70), 2**70).map(str), odd_text.map(lambda t: quote(t, safe="")))
headers = st.dictionaries(st.sampled_from(["Origin", "Authorization", "Content-Type", "Referer", "Sec-Fetch-Site",
                                           "Range", "Content-Length"]),
                          st.text(string.printable.strip("\r\n\x0b\x0c"), max_size=40), max_size=3)


@st.composite
def requests(draw, known_id):
    video_id = draw(st.one_of(st.just(str(known_id)), ids))
    method, path = draw(st.sampled_from([
        ("GET", "/healthz"), ("HEAD", "/healthz"), ("GET", "/api/stats"), ("POST", "/api/search"),
        ("GET", f"/api/videos/{video_id}"), ("HEAD", f"/api/videos/{video_id}"),
        ("GET", f"/api/videos/{video_id}/preview"), ("GET", f"/api/videos/{video_id}/file"),
        ("POST", "/api/videos"), ("DELETE", f"/api/videos/{video_id}"), ("PUT", "/api/search"),
        ("GET", f"/api/{video_id}"), ("GET", "/api/actions"), ("GET", "/api/actions/names"),
    ]))
    fields = ["k", "label", "tag", "min_duration", "max_duration", "path_prefix", "per_video"]
    params = draw(st.dictionaries(st.sampled_from([*fields, "q", "x"]), values, max_size=3))
    data = draw(st.dictionaries(st.sampled_from([*fields, "file"]), values, max_size=3))
    payload = draw(st.one_of(st.none(), st.binary(max_size=6000), st.just(b"")))
    name = draw(st.one_of(odd_text, st.just("clip.mp4")))
    return method, path, params, data, payload, name, draw(headers)


def test_api_never_500s_and_always_explains(client):
    http, known_id = client

    @FUZZ
    @given(request=requests(known_id))
    def check(request):
        method, path, params, data, payload, name, extra = request
        kwargs = {"params": params, "headers": extra}
        if method in ("POST", "PUT"):
            kwargs["data"] = data
            if payload is not None:
                kwargs["files"] = {"file": (name, payload)}
        try:
            response = http.request(method, path, **kwargs)
        except UnicodeEncodeError:
            return  # httpx itself refuses to send such a header or name: nothing reaches the server
        assert response.status_code < 500, (request, response.status_code, response.text[:300])
        if response.status_code >= 400 and method != "HEAD" and path.startswith("/api"):
            assert response.headers["content-type"].startswith("application/json"), (request, response.text[:200])
            assert response.json()["detail"], request

    check()
