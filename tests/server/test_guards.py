"""Limits, guards and hostile inputs of the API, driven at the ASGI level so what the app READ is counted."""

import asyncio
import json

import pytest

from tests.conftest import api_client, make_video
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch
from vidsearch.server.app import ServerConfig, create_app

TOKEN = "s3cret"
MiB = 1 << 20
BOUNDARY = "vidsearchboundary"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("guards")
    for i, motion in enumerate(["move_left", "pulse", "orbit_cw"]):
        make_video(root / motion / f"v{i}.mp4", motion=motion, seed=i, width=128, height=96, seconds=1.0)
    engine = VideoSearch(settings=Settings(db="memory://"), embedder=FakeEmbedder())
    engine.settings.ingest.workers = 0
    engine.index(root)
    engine.root = root
    return engine


def app_for(engine, tmp_path, **config):
    return create_app(engine, ServerConfig(data_dir=tmp_path, **config))


def multipart_head(fields: dict | None = None, filename: str = "big.mp4") -> bytes:
    parts = b"".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in (fields or {}).items())
    return parts + (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                    f"Content-Type: video/mp4\r\n\r\n").encode()


def call(app, method: str, path: str, chunks, headers: dict | None = None, query: str = "") -> tuple[int, dict, int]:
    """One request through the ASGI app; returns (status, JSON body, bytes of the request body it read)."""
    chunks, read = iter(chunks), 0

    async def receive():
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    headers = {"host": "localhost", "content-type": f"multipart/form-data; boundary={BOUNDARY}", **(headers or {})}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode(), "query_string": query.encode(), "root_path": "", "scheme": "http",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "server": ("localhost", 80), "client": ("127.0.0.1", 5000)}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), read


def endless(head: bytes, total: int = 100 * MiB):
    """A 100 MB upload, produced lazily: only what the app pulls is ever made."""
    yield head
    for _ in range(total // MiB):
        yield b"\0" * MiB


def test_declared_oversize_body_is_refused_unread(engine, tmp_path):
    app = app_for(engine, tmp_path, max_upload_bytes=MiB)
    status, body, read = call(app, "POST", "/api/search", endless(multipart_head()),
                              {"content-length": str(100 * MiB)})
    assert (status, read) == (413, 0) and "limit of 1 MiB" in body["detail"]


def test_chunked_oversize_body_stops_being_read_at_the_limit(engine, tmp_path):
    app = app_for(engine, tmp_path, max_upload_bytes=MiB)
    status, body, read = call(app, "POST", "/api/search", endless(multipart_head()))  # no Content-Length
    assert status == 413 and read <= 3 * MiB  # the limit plus the chunk in flight, not 100 MB
    assert not list(tmp_path.rglob("*.part"))


def test_auth_and_parameters_are_checked_before_the_body(engine, tmp_path):
    app = app_for(engine, tmp_path, token=TOKEN)
    status, body, read = call(app, "POST", "/api/videos", endless(multipart_head()))
    assert (status, read) == (401, 0) and "token" in body["detail"]
    status, body, read = call(app, "POST", "/api/search", endless(multipart_head()), query="k=0")
    assert (status, read) == (422, 0) and "k must be" in body["detail"]
    # k as a form field before the file: refused as soon as that field has arrived
    status, body, read = call(app, "POST", "/api/search", endless(multipart_head({"k": "abc"})))
    assert status == 422 and read <= 2 * MiB and "k must be" in body["detail"]
    # so is a filter field
    status, body, read = call(app, "POST", "/api/search", endless(multipart_head({"min_duration": "soon"})))
    assert status == 422 and read <= 2 * MiB and "min_duration must be" in body["detail"]


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "null"},
    {"sec-fetch-site": "cross-site"},
    {"referer": "http://evil.example/page.html"},
])
def test_cross_origin_writes_are_refused(engine, tmp_path, headers):
    app = app_for(engine, tmp_path)  # no token: the default on loopback
    status, body, read = call(app, "POST", "/api/videos", endless(multipart_head()), headers)
    assert (status, read) == (403, 0) and "cross-" in body["detail"]
    status, body, _ = call(app, "DELETE", f"/api/videos/{engine.store.catalogue().popitem()[0]}", [], headers)
    assert status == 403
    assert engine.count() == 3


REBOUND = {"host": "evil.example:8799", "origin": "http://evil.example:8799"}  # a page whose DNS now says 127.0.0.1


def test_dns_rebinding_is_refused_on_every_route(engine, tmp_path):
    app = app_for(engine, tmp_path)  # loopback, no token: the default
    video_id = next(iter(engine.store.catalogue()))
    status, body, _ = call(app, "DELETE", f"/api/videos/{video_id}", [], REBOUND)
    assert status == 421 and "--allowed-host" in body["detail"]
    status, _, read = call(app, "POST", "/api/videos", endless(multipart_head()), REBOUND)
    assert (status, read) == (421, 0)
    for path in ("/", "/index.html", "/healthz", f"/api/videos/{video_id}", f"/api/videos/{video_id}/file",
                 "/api/stats", "/api/actions?q=x", "/docs", "/openapi.json", "/api/nowhere"):
        for method in ("GET", "HEAD"):
            assert call(app, method, path, [], REBOUND)[0] == 421, (method, path)
    for header in ("", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "localhost:abc", "[::1"):
        assert call(app, "GET", "/healthz", [], {"host": header})[0] == 421, header
    assert engine.count() == 3


@pytest.mark.parametrize("bound, allowed, hosts, refused", [
    ("127.0.0.1", (), ["localhost:8799", "127.0.0.1:8799", "[::1]:8799", "LOCALHOST.", "localhost"], ["10.0.0.5"]),
    ("::1", (), ["[::1]:80", "localhost"], ["search.example.org"]),
    ("127.0.0.1", ("search.example.org",), ["search.example.org", "search.example.org:443"], ["example.org"]),
    ("0.0.0.0", (), ["10.0.0.5:8799", "[fe80::1]:8799", "localhost"], ["evil.example:8799"]),
    ("192.0.2.7", (), ["192.0.2.7:8799", "127.0.0.1"], ["198.51.100.1", "evil.example"]),
])
def test_the_hosts_a_server_answers_for(engine, tmp_path, bound, allowed, hosts, refused):
    app = app_for(engine, tmp_path, host=bound, allowed_hosts=allowed)
    for host in hosts:
        assert call(app, "GET", "/healthz", [], {"host": host})[0] == 200, host
    for host in refused:
        assert call(app, "GET", "/healthz", [], {"host": host})[0] == 421, host


def test_a_bad_allowed_host_is_refused():
    for name in ("", "a b", "x:y", "evil\n.example"):
        with pytest.raises(ValueError, match="allowed-host"):
            ServerConfig(allowed_hosts=(name,))


def test_same_origin_writes_work_without_a_token_on_loopback(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    video = make_video(tmp_path / "new.mp4", motion="zoom_out", seed=5, width=128, height=96, seconds=1.0)
    added = client.post("/api/videos", headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
                        files={"file": ("new.mp4", video.read_bytes())}, data={"label": "zoom"})
    assert added.status_code == 201, added.text
    assert client.delete(f"/api/videos/{added.json()['id']}").json() == {"deleted": added.json()["id"]}


def test_uploads_never_come_back_as_active_content(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path, token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    video = make_video(tmp_path / "v.mp4", motion="zoom_in", seed=9, width=128, height=96, seconds=1.0)
    added = client.post("/api/videos", headers=auth, files={"file": ("x.html", video.read_bytes(), "text/html")})
    assert added.status_code == 201, added.text
    assert added.json()["path"].endswith(".video")  # the client's extension is not kept
    served = client.get(added.json()["file_url"])
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-content-type-options"] == "nosniff" and served.headers["content-security-policy"] == "sandbox"
    client.delete(f"/api/videos/{added.json()['id']}", headers=auth)


def test_errors_never_leak_server_paths_and_odd_names_are_safe(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path, token=TOKEN))
    for status, data in ((415, b"this is text, not a video\n" * 50), (422, b"")):
        response = client.post("/api/search", files={"file": ("q.mp4", data)})
        assert response.status_code == status
        assert "vidsearch-upload" not in response.text and "/tmp" not in response.text
    query = next(engine.root.rglob("*.mp4"))
    raw = multipart_head(filename="../../a\x00b\x07.mp4") + query.read_bytes() + f"\r\n--{BOUNDARY}--\r\n".encode()
    status, body, _ = call(app_for(engine, tmp_path), "POST", "/api/search", [raw])  # a NUL byte, sent as is
    assert status == 200 and body["query"] == "ab.mp4"
    added = client.post("/api/videos", headers={"Authorization": f"Bearer {TOKEN}"},
                        files={"file": ("notes.mp4", b"text " * 100)})
    assert added.status_code == 415 and str(tmp_path) not in added.text and "notes.mp4" in added.text


def test_head_works_where_get_does(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    video_id = next(iter(engine.store.catalogue()))
    for path in ("/healthz", "/api/stats", f"/api/videos/{video_id}", f"/api/videos/{video_id}/file"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b"", path
    assert client.head("/api/videos/1/file").status_code == 404


def test_malformed_requests_get_json_details(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    for response in (
        client.post("/api/search", content=b"plain body", headers={"content-type": "text/plain"}),
        client.post("/api/search", data={"k": "3"}),  # no file
        client.post("/api/search", content=b"--x\r\ngarbage", headers={"content-type": "multipart/form-data; boundary=x"}),
        client.get("/api/videos/-1"),
        client.get(f"/api/videos/{2**70}"),
        client.get("/api/videos/abc/file"),
    ):
        assert 400 <= response.status_code < 500 and response.json()["detail"], response.text


def test_methods_are_answered_as_http_says(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    for path in ("/docs", "/duplicates"):
        assert client.head(path).status_code == 200, path
    wrong = client.post("/api/stats")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD, OPTIONS" and wrong.json()["detail"]
    assert client.get("/api/search").headers["allow"] == "POST, OPTIONS"
    options = client.options("/api/search")
    assert options.status_code == 204 and options.headers["allow"] == "POST, OPTIONS"
    assert client.options("/api/videos/1").headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    assert client.get("/api/nowhere").status_code == 404


def test_search_reads_every_query_parameter_or_refuses_it(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    query = next(engine.root.rglob("*.mp4"))
    upload = {"file": ("q.mp4", query.read_bytes())}
    label = query.parent.name
    found = client.post("/api/search", params={"label": label, "per_video": "1", "k": "5"}, files=upload).json()
    assert found["results"] and {r["label"] for r in found["results"]} == {label}
    for params in ({"per_video": "abc"}, {"copies_only": "maybe"}, {"min_duration": "soon"}, {"colour": "red"}):
        refused = client.post("/api/search", params=params, files=upload)
        assert refused.status_code == 422 and refused.json()["detail"], params


def test_oversized_query_parameters_are_refused_without_an_echo(engine, tmp_path):
    client = api_client(app_for(engine, tmp_path))
    for params in ({"q": "x" * 60_000}, {"q": "kick", "label": "x" * 60_000}):
        refused = client.get("/api/actions", params=params)
        assert refused.status_code == 422 and len(refused.content) < 4000


def test_a_client_that_disconnects_mid_upload_gets_an_answer_not_a_traceback(engine, tmp_path, caplog):
    app = app_for(engine, tmp_path)
    head = multipart_head() + b"\0" * 1000
    messages = iter([{"type": "http.request", "body": head, "more_body": True}, {"type": "http.disconnect"}])
    sent = []

    async def receive():
        return next(messages, {"type": "http.disconnect"})

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/api/search", "raw_path": b"/api/search", "query_string": b"", "root_path": "", "scheme": "http",
             "headers": [(b"host", b"localhost"), (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())],
             "server": ("localhost", 80), "client": ("127.0.0.1", 5000)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400 and b"disconnected" in sent[1]["body"]
    assert not [r for r in caplog.records if r.exc_info] and not list(tmp_path.rglob("*.part"))


def test_a_request_the_http_parser_refuses_is_answered_in_json(engine, tmp_path):
    """A bad Content-Length never reaches the app: the protocol itself answers, in JSON like the API."""
    import socket
    import threading
    import time

    import uvicorn

    from vidsearch.server.http import server_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(server_config(app_for(engine, tmp_path), host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        for request in (b"POST /api/search HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
                        b"POST /api/search HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n",
                        b"GARBAGE\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(request)
                answer = b""
                while chunk := client.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head.lower(), answer
            assert json.loads(body)["detail"].startswith("malformed HTTP request"), answer
    finally:
        server.should_exit = True
        thread.join(timeout=10)
