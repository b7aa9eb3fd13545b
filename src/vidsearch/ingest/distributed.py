"""Ingest on Ray: each video is decoded and embedded by a Ray actor that holds one model; the embedded videos
stream back to this process as they finish and are stored by the local pipeline's own code, so planning,
skipping, failure reports, exit codes and resuming are exactly the local ones.

Plain actors rather than Ray Data's `map_batches`: the unit of work here is a video (its windows are cut,
embedded and returned together, and a video fails or is stored whole), the model loads once per actor, and
`ray.wait` hands back each video the moment it is done. Ray Data would batch rows across videos and
re-assemble them, losing the per-video failure and the write-when-complete order that resuming relies on.
A worker that dies (killed, out of memory) takes only its in-flight videos with it: its actor is replaced
and those videos are given to the new one; a video is written only once it is complete, so nothing is
written twice or half.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..collection import Embedded
from ..sources import SourceItem
from ..video import DecodeOptions
from ..video.pool import decode_parts
from .pipeline import ClipEmbedder, Fail, embed_stream
from .report import Failure

CPUS_PER_ACTOR = 2  # per model, where every node has that many: decode and embed overlap on them
IN_FLIGHT_PER_ACTOR = 2  # videos queued at each actor: it never waits for the next one
MAX_ATTEMPTS = 3  # a video whose worker died is given to a new one this many times at most
START_ATTEMPTS = 3  # a local runtime whose node did not register in Ray's fixed 30 s (a loaded machine) is restarted


class RayUnavailableError(ValueError):
    """Ray is not installed: `pip install vidsearch[ray]`."""


class RayStartError(RuntimeError):
    """A local Ray runtime could not be started."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailableError("--ray needs Ray: pip install 'vidsearch[ray]'") from None
    return ray


@dataclass
class ModelDescription:
    """What the collection records of the model (ModelInfo), asked of a worker: the driver loads no model."""

    name: str
    dim: int
    precision: str
    feature: str | None = None  # the I3D blocks (a custom model may have none)
    context: str | None = None  # how windows are embedded (`model/stream.py`)


@dataclass
class VideoResult:
    embedded: list[Embedded]
    failures: list[Failure]


class Given:
    """A model made already (a test's fake, a custom one): each worker gets its own copy."""

    def __init__(self, embedder: ClipEmbedder):
        self.embedder = embedder

    def __call__(self) -> ClipEmbedder:
        return self.embedder


class _Worker:
    """A Ray actor: one model, videos in, embedded videos (or their failures) out."""

    def __init__(self, make_embedder: Callable[[], ClipEmbedder], options: DecodeOptions, batch_size: int):
        self.embedder = make_embedder()
        self.options = options.with_threads(1)
        self.batch_size = batch_size

    def describe(self) -> ModelDescription:
        return ModelDescription(self.embedder.name, self.embedder.dim, self.embedder.precision,
                                getattr(self.embedder, "feature", None), getattr(self.embedder, "context", None))

    def embed_video(self, item: SourceItem, fingerprint: str) -> VideoResult:
        failures: list[Failure] = []
        parts = decode_parts(item.id, item.path, self.options)
        embedded = [e for batch in embed_stream(self.embedder, [(item, fingerprint)], parts, self.batch_size,
                                                failures.append, lambda done: None, self.options) for e in batch]
        return VideoResult(embedded, failures)


def start_local_runtime(ray, options: dict[str, Any]) -> None:
    """`ray.init()` for a runtime of our own. Ray gives its new node fixed times to start (30 s to register, a
    wait for the GCS to write its port) and, when a machine busy with other work misses one, raises ("The
    current node timed out during startup", "Timed out waiting for file .../gcs_server_port_...") and leaves the
    started processes running: those are stopped and the start tried again."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            ray.init(**options)
            return
        except Exception as error:  # Ray raises a bare Exception or a RuntimeError for these
            if "timed out" not in str(error).lower():
                raise
            _stop_half_started_runtime(ray)
            if attempt == START_ATTEMPTS:
                raise RayStartError(f"could not start a local Ray runtime ({START_ATTEMPTS} tries): {error}") from None


def _stop_half_started_runtime(ray) -> None:
    """Ray's own processes among this process's children (GCS, raylet, monitors), not other children (Milvus Lite)."""
    import psutil  # shipped with Ray (ray/thirdparty_files)

    ray.shutdown()
    package = os.path.dirname(ray.__file__)
    children = [c for c in psutil.Process().children(recursive=True) if _cmdline_mentions(c, package)]
    for child in children:
        child.kill()
    psutil.wait_procs(children, timeout=10)


def _cmdline_mentions(process, text: str) -> bool:
    import psutil

    try:
        return any(text in part for part in process.cmdline())
    except psutil.Error:
        return False


class RayIngest:
    """A Ray runtime (started here, or joined at `address`; one per process) and a pool of embedding actors."""

    def __init__(self, make_embedder: Callable[[], ClipEmbedder], options: DecodeOptions, batch_size: int,
                 address: str | None = None, actors: int | None = None):
        ray = self.ray = import_ray()
        if not ray.is_initialized():
            # workers import what this process imports (the package, and a test's fake model)
            paths = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
            settings = dict(include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                            runtime_env={"env_vars": {"PYTHONPATH": paths}})
            if address:
                ray.init(address=address, **settings)
            else:
                start_local_runtime(ray, settings)
        nodes = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")] or [1]
        per_actor = max(1, min(CPUS_PER_ACTOR, min(c for c in nodes if c) if any(nodes) else 1))  # fits every node
        self.actor_count = actors or max(1, sum(c // per_actor for c in nodes))
        self.worker = ray.remote(num_cpus=per_actor, max_restarts=0)(_Worker)
        self.args = (make_embedder, options, batch_size)
        self.actors = [self.worker.remote(*self.args) for _ in range(self.actor_count)]

    def describe(self) -> ModelDescription:
        return self.ray.get(self.actors[0].describe.remote())

    def stream(self, todo: list[tuple[SourceItem, str]], fail: Fail, progress: Callable[[int], None]) -> Iterator[list[Embedded]]:
        """Yields each video as soon as it is embedded (failures go to `fail`), in the order they finish."""
        ray = self.ray
        queue = list(reversed(todo))
        attempts: dict[int, int] = {}
        running: dict[Any, tuple[int, SourceItem, str]] = {}  # object ref -> (actor index, item, fingerprint)

        def submit(actor: int) -> None:
            while queue and sum(1 for a, _, _ in running.values() if a == actor) < IN_FLIGHT_PER_ACTOR:
                item, fp = queue.pop()
                attempts[item.id] = attempts.get(item.id, 0) + 1
                running[self.actors[actor].embed_video.remote(item, fp)] = (actor, item, fp)

        for actor in range(len(self.actors)):
            submit(actor)
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, item, fp = running.pop(ref)
            try:
                result: VideoResult = ray.get(ref)
            except ray.exceptions.RayActorError as e:
                self._replace(actor, running, queue, attempts, fail, progress, item, fp, e)
                submit(actor)
                continue
            for failure in result.failures:
                fail(failure)
            progress(1)
            if result.embedded:
                yield result.embedded
            submit(actor)

    def _replace(self, actor: int, running: dict, queue: list, attempts: dict, fail: Fail,
                 progress: Callable[[int], None], item: SourceItem, fp: str, error: Exception) -> None:
        """The actor died: a new one takes its place, and its videos (this one and those queued at it) go back
        to the queue, unless they have had MAX_ATTEMPTS already."""
        lost = [(item, fp)] + [(i, f) for r, (a, i, f) in list(running.items()) if a == actor]
        for ref in [r for r, (a, _, _) in running.items() if a == actor]:
            del running[ref]
        self.actors[actor] = self.worker.remote(*self.args)
        for lost_item, lost_fp in lost:
            if attempts.get(lost_item.id, 0) >= MAX_ATTEMPTS:
                fail(Failure(str(lost_item.path), "embed", "WorkerDied",
                             f"its Ray worker died {MAX_ATTEMPTS} times: {str(error).splitlines()[0][:200]}"))
                progress(1)
            else:
                queue.append((lost_item, lost_fp))

    def close(self) -> None:
        """Stops the actors. A runtime started here stays up until the process exits (Ray shuts it down then):
        a second `index` in the same process reuses it, and starting a runtime again right after a shutdown
        timed out under load ("the current node timed out during startup")."""
        for actor in self.actors:
            self.ray.kill(actor)
