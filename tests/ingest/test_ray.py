"""Ingest on a real local Ray runtime (started by vidsearch itself, as `index --ray` does): the same library
indexed with and without Ray gives the same ids and vectors; a bad file fails on a worker exactly as it fails
locally; a worker killed mid-run loses and duplicates nothing. The fake embedder travels to the workers."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time

import numpy as np
import psutil
import pytest

from tests.fakes import FakeEmbedder
from vidsearch import IngestConfig, ReduceConfig, Settings, VideoSearch

pytestmark = pytest.mark.ray


class SlowFakeEmbedder(FakeEmbedder):
    """The fake model, slow enough for a worker to be killed while it works."""

    def embed_batch(self, clips):
        time.sleep(0.15)
        return super().embed_batch(clips)


@pytest.fixture(scope="module")
def folder(library, tmp_path_factory):
    """The shared library (copied: other modules use it as it is) and a file that is not a video."""
    root = tmp_path_factory.mktemp("ray") / "library"
    shutil.copytree(library[0], root)
    (root / "broken").mkdir()
    (root / "broken" / "not_a_video.mp4").write_text("not a video")
    return root


def engine(db: str, name: str, embedder=None) -> VideoSearch:
    settings = Settings(db=db, collection=name, reduce=ReduceConfig(centre=False),
                        ingest=IngestConfig(workers=0, batch_size=4, insert_batch=4))
    return VideoSearch(settings=settings, embedder=embedder or FakeEmbedder())


def vectors(search: VideoSearch) -> dict[int, np.ndarray]:
    ids = sorted(search.store.catalogue())
    return {e.id: e.vector for e in search.store.get(ids)}


def test_ray_gives_the_same_library_and_the_same_failures_as_local(folder, db):
    """On every persistent store: the embedded one, Milvus Lite, a Milvus server."""
    with engine(db, "local") as local:
        expected = local.index(folder)
        local_vectors, local_segments = vectors(local), local.store.count_segments()
    with engine(db, "distributed") as distributed:
        report = distributed.index(folder, ray="")
        assert report.indexed == expected.indexed == 20 and distributed.store.count_segments() == local_segments
        got = vectors(distributed)
        assert set(got) == set(local_vectors)
        assert min(float(got[i] @ local_vectors[i]) for i in got) >= 0.9999
        assert [(f.stage, f.error, f.reason) for f in report.failed] == [(f.stage, f.error, f.reason) for f in expected.failed]
        assert report.failed and report.failed[0].path.endswith("not_a_video.mp4")
        again = distributed.index(folder, ray="")  # resume: nothing left to do
        assert again.indexed == 0 and again.skipped == 20


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(folder, tmp_path):
    killed = []

    def kill_a_worker(done: int) -> None:
        if killed:
            return
        for process in psutil.process_iter(["pid", "cmdline"]):
            if any("_Worker" in part for part in (process.info["cmdline"] or [])) and process.pid != os.getpid():
                os.kill(process.pid, signal.SIGKILL)
                killed.append(process.pid)
                return

    with engine(str(tmp_path / "killed.db"), "videos", SlowFakeEmbedder()) as distributed:
        report = distributed.index(folder, progress=kill_a_worker, ray="")
        assert killed, "no Ray worker process was found to kill"
        assert report.indexed == 20 and len(report.failed) == 1  # the broken file, as without the kill
        assert distributed.store.count() == 20
        with engine(str(tmp_path / "reference.db"), "videos") as local:
            local.index(folder)
            assert distributed.store.count_segments() == local.store.count_segments()
            assert set(distributed.store.catalogue()) == set(local.store.catalogue())


def test_without_ray_installed_the_error_is_one_line(folder, tmp_path, monkeypatch, capsys):
    from vidsearch.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    code = main(["index", str(folder), "--ray", "--db", str(tmp_path / "x.db"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "pip install 'vidsearch[ray]'" in err and len(err.strip().splitlines()) == 1
