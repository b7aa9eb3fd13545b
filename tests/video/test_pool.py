import os

import numpy as np
import pytest

from tests.conftest import make_video
from vidsearch.video import DecodeOptions
from vidsearch.video.pool import DecodePool

pytestmark = pytest.mark.integration  # real encoded videos through the whole path: the middle layer (docs/tests.md)


def test_pool_decodes_everything_once_in_any_order(tmp_path):
    paths = [make_video(tmp_path / f"v{i}.mp4", motion="move_up", seed=i, width=96, height=64, seconds=0.5) for i in range(7)]
    (tmp_path / "bad.mp4").write_text("not a video")
    results = list(DecodePool(DecodeOptions(num_frames=4), workers=2, timeout=60).run(
        [(i, p) for i, p in enumerate(paths)] + [(99, tmp_path / "bad.mp4")]))
    assert sorted(r.key for r in results) == [0, 1, 2, 3, 4, 5, 6, 99]
    by_key = {r.key: r for r in results}
    assert all(by_key[i].final and [w.frames.shape for w in by_key[i].windows] == [(4, DecodeOptions().size, DecodeOptions().size, 3)] for i in range(7))
    assert by_key[99].windows == [] and by_key[99].error.reason == "not_video"


def test_a_file_over_the_time_limit_is_killed_and_the_rest_still_decode(tmp_path):
    slow = make_video(tmp_path / "slow.mp4", motion="zoom_in", seed=1, width=1920, height=1080, seconds=6.0, noise=0)
    good = [make_video(tmp_path / f"g{i}.mp4", motion="zoom_in", seed=i, width=96, height=64, seconds=0.3) for i in range(3)]
    pool = DecodePool(DecodeOptions(num_frames=4, stride=0, seek_min_seconds=1e9), workers=1, timeout=0.1, prefetch=3)  # the slow file decodes in ~0.25 s, the others in ~25 ms
    results = list(pool.run([(0, slow)] + [(i + 1, p) for i, p in enumerate(good)]))
    by_key = {r.key: r for r in results}
    assert by_key[0].error.reason == "timeout" and "over 0 s" not in str(by_key[0].error)
    assert by_key[0].windows == []
    assert all(isinstance(by_key[i].windows[0].frames, np.ndarray) for i in (1, 2, 3))  # queued behind it: not lost


def test_fifo_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp4")
    [result] = DecodePool(DecodeOptions(num_frames=4), workers=1, timeout=30).run([(0, tmp_path / "pipe.mp4")])
    assert result.error.reason == "not_video" and "regular file" in result.error.cause


def test_sigkill_of_the_parent_leaves_no_worker_behind(tmp_path):
    """kill -9 of an ingest must not leave decode workers (hundreds of MB each), a resource tracker or
    /tmp/pymp-* folders: the workers watch their parent and exit with it."""
    import glob
    import signal
    import subprocess
    import sys
    import time

    import psutil

    paths = [make_video(tmp_path / f"v{i}.mp4", motion="move_up", seed=i, width=96, height=64, seconds=0.5) for i in range(6)]
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom vidsearch.video import DecodeOptions\n"
        "from vidsearch.video.pool import DecodePool\n"
        f"paths = [Path(p) for p in {[str(p) for p in paths]!r}] * 50\n"
        "for decoded in DecodePool(DecodeOptions(num_frames=4), workers=2).run(enumerate(paths)):\n"
        "    print('decoded', flush=True); time.sleep(1)\n"
    )
    before = set(glob.glob("/tmp/pymp-*"))
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "decoded"  # the pool is up and working
    children = psutil.Process(parent.pid).children(recursive=True)
    assert len(children) >= 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children):
        time.sleep(0.2)
    survivors = [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], f"orphans: {survivors}"
    assert set(glob.glob("/tmp/pymp-*")) - before == set()
