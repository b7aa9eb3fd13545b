"""Starting a local Ray runtime on a busy machine: Ray gives its node a fixed 30 s to register, then raises and
leaves the processes it started running. Here a stand-in for `ray` starts real processes and times out."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from vidsearch.ingest.distributed import START_ATTEMPTS, RayStartError, start_local_runtime


# What Ray raises when a busy machine misses one of its start-up deadlines (the second seen in a fresh-clone run)
TIMEOUTS = [Exception("The current node timed out during startup. This could happen because ..."),
            RuntimeError("Timed out waiting for file /tmp/ray/session_2026-12-07_12-06-14_670587_9678/"
                         "gcs_server_port_4e3fec7abc06e8db")]


class SlowToStartRay:
    """Each `init` starts a real process that names the package (as Ray's GCS and raylet do) and fails
    `failures` times with one of Ray's start-up timeouts."""

    def __init__(self, package_dir, failures: int, timeout: Exception = TIMEOUTS[0]):
        self.__file__ = str(package_dir / "__init__.py")
        self.failures, self.started, self.shutdowns, self.inits = failures, [], 0, 0
        self.timeout = timeout

    def init(self, **options):
        self.inits += 1
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", str(self.__file__)])
        self.started.append(process)
        # Ray raises 30 s after its processes started: by then they run their own program (a process still
        # between fork and exec shows this one's command line, which a loaded machine made visible here)
        deadline = time.monotonic() + 15
        while str(self.__file__) not in " ".join(psutil.Process(process.pid).cmdline()) and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.inits <= self.failures:
            raise self.timeout

    def shutdown(self):
        self.shutdowns += 1


def exits(process: subprocess.Popen, deadline: float = 15.0) -> bool:
    """Whether the process has ended, waiting for it up to the deadline: a killed process takes a moment to
    exit on a loaded machine, and asserting at once made this test flaky."""
    try:
        process.wait(timeout=deadline)
        return True
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture
def other_child():
    """A child process that is not Ray's (as Milvus Lite's server is): it must survive the clean-up."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("timeout", TIMEOUTS, ids=["registration", "gcs-port"])
def test_a_start_that_timed_out_is_cleaned_up_and_tried_again(tmp_path, other_child, timeout):
    ray = SlowToStartRay(tmp_path / "ray", failures=START_ATTEMPTS - 1, timeout=timeout)
    try:
        start_local_runtime(ray, {"include_dashboard": False})
        assert ray.inits == START_ATTEMPTS and ray.shutdowns == START_ATTEMPTS - 1
        assert [exits(p) for p in ray.started[:-1]] == [True] * (START_ATTEMPTS - 1)
        assert ray.started[-1].poll() is None
        assert other_child.poll() is None
    finally:
        for process in ray.started:
            process.kill()
            process.wait()


def test_a_start_that_keeps_timing_out_says_so_in_one_line(tmp_path, other_child):
    ray = SlowToStartRay(tmp_path / "ray", failures=START_ATTEMPTS)
    with pytest.raises(RayStartError, match=f"could not start a local Ray runtime \\({START_ATTEMPTS} tries\\)"):
        start_local_runtime(ray, {})
    assert all(exits(p) for p in ray.started) and other_child.poll() is None


def test_other_failures_are_not_retried(tmp_path):
    class BrokenRay(SlowToStartRay):
        def init(self, **options):
            self.inits += 1
            raise ValueError("bad option")

    ray = BrokenRay(tmp_path / "ray", failures=0)
    with pytest.raises(ValueError, match="bad option"):
        start_local_runtime(ray, {})
    assert ray.inits == 1 and ray.shutdowns == 0
