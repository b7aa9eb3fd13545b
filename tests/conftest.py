"""Shared fixtures: real encoded videos made with PyAV, the real model, a real Milvus server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidsearch.datasets.synthetic import ENCODINGS, MOTIONS, ClipSpec, random_spec, render
from vidsearch.video.encode import H264, Encoding, write_video

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # CI: shared/ beside the clone
    SHARED_DATA = Path(os.environ.get("VIDSEARCH_SHARED_DATA", "../shared/data")).resolve()


def make_video(path: Path, spec: ClipSpec | None = None, encoding: Encoding = H264, transform=None, **spec_fields) -> Path:
    """Writes a synthetic clip; `transform(frame)` alters each frame (crop, flip, ...) for copies."""
    spec = spec or ClipSpec(**{"motion": "move_right", "seed": 1, **spec_fields})
    frames = render(spec) if transform is None else (transform(f) for f in render(spec))
    return write_video(path, frames, spec.fps, encoding)


@pytest.fixture(scope="session")
def embedder():
    from vidsearch.model import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> tuple[Path, list[ClipSpec]]:
    """20 short clips, one per motion, in varied codecs and containers, folder = label."""
    root = tmp_path_factory.mktemp("library")
    rng = np.random.default_rng(7)
    specs = []
    for i, motion in enumerate(MOTIONS):
        spec = random_spec(motion, rng, seconds=(1.5, 3.0), sizes=(144, 240))
        suffix, encoding = ENCODINGS[i % len(ENCODINGS)]
        make_video(root / motion / f"clip{i:02d}{suffix}", spec, encoding)
        specs.append(spec)
    return root, specs


def pytest_collection_modifyitems(items):
    """Layers by what a test needs (docs/tests.md); `make test-fast` holds the expression that leaves them out."""
    for item in items:
        for fixture, marker in (("embedder", "model"), ("milvus_server", "milvus_server")):
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "milvus-server" in params.values():  # backends parametrised by name, the server asked for inside
            item.add_marker("milvus_server")
        if "milvus-lite" in params.values():  # Milvus Lite starts a server process per database
            item.add_marker("integration")


VIDSEARCH = [sys.executable, "-m", "vidsearch"]  # the command as a user runs it, in its own process


def run_cli(*args, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """`vidsearch ARGS` in its own process; stdout and stderr captured as text."""
    return subprocess.run([*VIDSEARCH, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(params=["embedded", "milvus-lite", "milvus-server"])
def db(request, tmp_path):
    """A database on each persistent backend: a fresh embedded or Lite folder, or the session's server (emptied
    afterwards)."""
    if request.param == "embedded":
        yield str(tmp_path / "lib.db")
        return
    if request.param == "milvus-lite":
        yield "milvus-lite:" + str(tmp_path / "lib.db")
        return
    uri = request.getfixturevalue("milvus_server")
    yield uri
    from pymilvus import MilvusClient

    client = MilvusClient(uri)
    for name in client.list_collections():
        client.drop_collection(name)
    client.close()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _port_bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def restart_milvus_server() -> None:
    """Stops and starts the session's server on the SAME port (left alone, the `milvus` package would pick
    the next free port while the old one is still held, and every later test would knock on a closed door)."""
    import time

    from milvus import default_server

    port = default_server.listen_port
    default_server.stop()
    deadline = time.monotonic() + 120
    while not _port_bindable(port):
        assert time.monotonic() < deadline, f"port {port} still held after the server stopped"
        time.sleep(0.5)
    default_server.listen_port = port
    default_server.start()
    assert default_server.listen_port == port


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A real Milvus 2.3.5 standalone (PyPI `milvus`), started once per test session."""
    from milvus import default_server

    if not _port_free(default_server.listen_port):
        pytest.fail(f"port {default_server.listen_port} is busy: stop the other Milvus first")
    default_server.set_base_dir(str(tmp_path_factory.mktemp("milvus-server")))
    default_server.start()
    try:
        yield f"http://127.0.0.1:{default_server.listen_port}"
    finally:
        default_server.stop()


def api_client(app, **options):
    """A TestClient addressed as a browser on this machine would (`Host: localhost`): the app refuses hosts it
    does not answer for (DNS rebinding), TestClient's own `testserver` among them."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="http://localhost", **options)
