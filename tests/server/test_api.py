"""Every endpoint, its limits, and concurrent searches against a real uvicorn server."""

import glob
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from tests.conftest import api_client

from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.server.app import ServerConfig, create_app
from vidsearch.server.http import server_config

TOKEN = "s3cret"


@pytest.fixture(scope="module")
def engine(library):
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    engine.settings.ingest.workers = 0
    engine.index(library[0])
    return engine


@pytest.fixture()
def client(engine, tmp_path):
    return api_client(create_app(engine, ServerConfig(token=TOKEN, data_dir=tmp_path)))


def clip_of(library, i):
    root, specs = library
    return next((root / specs[i].motion).iterdir())


def upload(path, **data):
    return {"files": {"file": (path.name, path.read_bytes(), "video/mp4")}, "data": data}


def test_health_stats_and_page(client):
    assert client.get("/healthz").json() == {"status": "ok", "count": 20}
    stats = client.get("/api/stats").json()
    assert stats["count"] == 20 and stats["dim"] == 1024
    page = client.get("/")
    assert page.status_code == 200 and "vidsearch" in page.text and "app.js" in page.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text and "http" not in docs.text.split("<body>")[1].split("openapi.json")[0].replace("url: '", "")
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200  # served here: docs work offline
    assert "/api/search" in client.get("/openapi.json").text


def test_search_returns_the_cli_shape_plus_urls(client, library):
    query = clip_of(library, 4)
    body = client.post("/api/search", **upload(query, k="3")).json()
    assert body["query"] == query.name and len(body["results"]) == 3 and len(body["tags"]) == 5
    assert client.post("/api/search?k=2", **upload(query)).json()["results"].__len__() == 2  # k as a query parameter
    first = body["results"][0]
    assert set(first) == {"id", "path", "label", "distance", "duration", "segments", "copy", "preview_url", "file_url"}
    assert first["segments"][0]["start"] == 0.0 and first["segments"][0]["distance"] == first["distance"]
    assert first["path"] == str(query.resolve()) and first["distance"] < 1e-3
    assert first["preview_url"] == f"/api/videos/{first['id']}/preview"


def test_search_filters_are_form_fields(client, library):
    root, specs = library
    query = clip_of(library, 4)
    prefix = str((root / specs[4].motion).resolve())
    body = client.post("/api/search", **upload(query, k="5", path_prefix=prefix, label="", tag="")).json()
    assert [r["label"] for r in body["results"]] == [specs[4].motion]  # one clip per label in this library
    durations = [r["duration"] for r in client.post("/api/search", **upload(query, k="20")).json()["results"]]
    cut = sorted(durations)[len(durations) // 2]
    long_ones = client.post("/api/search", **upload(query, k="3", min_duration=str(cut))).json()["results"]
    assert len(long_ones) == 3 and all(r["duration"] >= cut - 1e-3 for r in long_ones)
    none = client.post("/api/search", **upload(query, label="no such label")).json()
    assert none["results"] == []
    for fields, detail in (({"min_duration": "soon"}, "min_duration must be a number"),
                           ({"min_duration": "5", "max_duration": "2"}, "above max_duration"),
                           ({"max_duration": "-1"}, "max_duration must be"),
                           ({"per_video": "0"}, "per_video must be")):
        response = client.post("/api/search", **upload(query, **fields))
        assert response.status_code == 422 and detail in response.json()["detail"], fields


def test_actions_by_name_with_suggestions(client):
    names = client.get("/api/actions/names").json()["actions"]
    assert names[:2] == ["fake action 0", "fake action 1"]
    body = client.get("/api/actions", params={"q": "fake action 2", "k": 3}).json()
    assert body["action"] == "fake action 2" and body["suggestions"] == [] and 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert set(first) == {"id", "path", "label", "score", "start", "end", "preview_url", "file_url"}
    assert [r["score"] for r in body["results"]] == sorted((r["score"] for r in body["results"]), reverse=True)
    misspelt = client.get("/api/actions", params={"q": "fake acton 2"}).json()
    assert misspelt["action"] == "fake action 2" and "fake action 2" in misspelt["suggestions"]
    filtered = client.get("/api/actions", params={"q": "fake action 2", "label": first["label"]}).json()
    assert {r["label"] for r in filtered["results"]} == {first["label"]}
    for params, status in (({"q": "xyzzy"}, 404), ({"q": " "}, 422), ({"q": "fake action 2", "k": "0"}, 422),
                           ({"q": "fake action 2", "min_duration": "x"}, 422), ({}, 422)):
        response = client.get("/api/actions", params=params)
        assert response.status_code == status and response.json()["detail"], params


def test_metadata_preview_and_ranged_file(client, library, tmp_path):
    video_id = client.post("/api/search", **upload(clip_of(library, 2), k="1")).json()["results"][0]["id"]
    meta = client.get(f"/api/videos/{video_id}").json()
    assert meta["id"] == video_id and meta["label"] == library[1][2].motion and meta["tags"]
    preview = client.get(f"/api/videos/{video_id}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/webp"
    assert preview.content[:4] == b"RIFF" and len(list((tmp_path / "previews").iterdir())) == 1
    assert client.get(f"/api/videos/{video_id}/preview").content == preview.content  # cached
    whole = client.get(f"/api/videos/{video_id}/file")
    assert whole.status_code == 200 and whole.content == clip_of(library, 2).read_bytes()
    part = client.get(f"/api/videos/{video_id}/file", headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == whole.content[10:110]
    assert client.get("/api/videos/12345/file").status_code == 404
    assert client.get("/api/videos/..%2F..%2Fetc%2Fpasswd/file").status_code in (404, 422)


def test_limits_and_clear_errors(engine, client, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 100)
    response = client.post("/api/search", **upload(text))
    assert response.status_code == 415 and "not a video" in response.json()["detail"]
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert client.post("/api/search", **upload(empty)).status_code == 422
    assert client.post("/api/search", **upload(text, k="0")).status_code == 422
    small = api_client(create_app(engine, ServerConfig(max_upload_bytes=1000, data_dir=tmp_path / "s")))
    assert small.post("/api/search", **upload(text)).status_code == 413
    assert glob.glob(f"{tempfile.gettempdir()}/vidsearch-upload-*") == []  # temporary files always removed


def test_empty_library_is_409(tmp_path):
    empty = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    client = api_client(create_app(empty, ServerConfig(data_dir=tmp_path)))
    query = tmp_path / "q.mp4"
    query.write_bytes(b"x")
    assert client.post("/api/search", **upload(query)).status_code == 409


def test_write_endpoints_need_the_token(client, library, tmp_path):
    from tests.conftest import make_video

    new = make_video(tmp_path / "new.mp4", motion="pulse", seed=77, width=160, height=120, seconds=1.0)
    assert client.post("/api/videos", **upload(new, label="pulse")).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert client.post("/api/videos", headers=bad, **upload(new, label="pulse")).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    added = client.post("/api/videos", headers=auth, **upload(new, label="pulse"))
    assert added.status_code == 201 and added.json()["label"] == "pulse"
    video_id = added.json()["id"]
    assert client.post("/api/search", **upload(new, k="1")).json()["results"][0]["id"] == video_id
    stored = added.json()["path"]
    assert client.delete(f"/api/videos/{video_id}").status_code == 401
    assert client.delete(f"/api/videos/{video_id}", headers=auth).json() == {"deleted": video_id}
    assert client.get(f"/api/videos/{video_id}").status_code == 404
    assert not __import__("os").path.exists(stored)
    text = tmp_path / "t.mp4"
    text.write_text("nope")
    assert client.post("/api/videos", headers=auth, **upload(text)).status_code == 415


@pytest.mark.integration
def test_eight_concurrent_searches_on_a_real_server(engine, library, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(server_config(create_app(engine, ServerConfig(data_dir=tmp_path)), host="127.0.0.1",
                                          port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)

    def one(i):
        query = clip_of(library, i)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            response = http.post("/api/search", **upload(query, k="3"))
        return i, response.status_code, response.json()

    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(8)))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    for i, status, body in results:
        assert status == 200 and body["results"][0]["label"] == library[1][i].motion
