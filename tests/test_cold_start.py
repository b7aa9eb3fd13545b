"""Commands that embed nothing start without the network: no PyTorch, no OpenVINO, and no pymilvus for an
embedded database (each costs a second or more of CPU at every start). Checked in a new process per command."""

import subprocess
import sys

import pytest

from tests.conftest import make_video
from tests.fakes import FakeEmbedder
from vidsearch import Settings, VideoSearch

HEAVY = ("torch", "openvino", "pymilvus")
RUN = """
import sys
from vidsearch.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", *(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = tmp_path_factory.mktemp("cold")
    make_video(root / "lib" / "a" / "one.mp4", motion="pulse", seed=1, width=96, height=64, seconds=0.5)
    make_video(root / "lib" / "b" / "two.mp4", motion="orbit_cw", seed=2, width=96, height=64, seconds=0.5)
    with VideoSearch(settings=Settings(db=str(root / "lib.db")), embedder=FakeEmbedder()) as engine:
        engine.settings.ingest.workers = 0
        engine.index(root / "lib")
    return root / "lib.db"


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["info"], ["info", "--json"], ["remove", "12345"],
                                  ["find-action", "playing cricket"], ["duplicates", "--no-frame-check"],
                                  ["migrate", "--to", "MIGRATED"]])
def test_commands_that_embed_nothing_load_no_network(db, tmp_path, argv):
    argv = [str(tmp_path / "m.db") if a == "MIGRATED" else a for a in argv]
    done = subprocess.run([sys.executable, "-c", RUN.format(heavy=HEAVY), "--db", str(db), *argv],
                          capture_output=True, text=True, timeout=120)
    assert done.stderr.splitlines()[-1] == "loaded:", (argv, done.stderr[-500:])


def test_a_search_runs_the_converted_model_without_pytorch(embedder, tmp_path):
    """Once OpenVINO's model is converted and cached (the `embedder` fixture did it), a new `search` process
    reads it from the cache: PyTorch is never imported."""
    if embedder.runtime.name != "openvino":
        pytest.skip("PyTorch is the runtime here (no OpenVINO, or a GPU)")
    video = make_video(tmp_path / "lib" / "a" / "one.mp4", motion="pulse", seed=1, width=128, height=96, seconds=2.5)
    with VideoSearch(settings=Settings(db=str(tmp_path / "lib.db")), embedder=embedder) as engine:
        engine.index(tmp_path / "lib")
    done = subprocess.run([sys.executable, "-c", RUN.format(heavy=("torch",)), "--db", str(tmp_path / "lib.db"),
                           "search", str(video)], capture_output=True, text=True, timeout=300)
    assert str(video.resolve()) in done.stdout, done.stdout + done.stderr[-500:]
    assert done.stderr.splitlines()[-1] == "loaded:", done.stderr[-500:]
