"""Decodes videos into windows in worker processes, with a per-file timeout and bounded memory.

Each worker has its own inbox of at most `prefetch` files, so the pool always knows which file a worker is
on: a worker that has spent the timeout on one file (the whole file, not one part of it; time it waits for the
parent to take its windows does not count) is killed, its file reported as a `timeout` failure, and a fresh
worker takes its place. Windows stream back in small parts as they are cut, and a worker may have at
most CREDITS parts not yet taken by the parent: memory stays flat however long a video or large a library.

Workers are `spawn`ed (never `fork`: the parent holds gRPC threads) as direct children, and each watches its
parent: when the parent dies, even by SIGKILL, the worker exits at once (no orphans holding hundreds of MB).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .decode import DecodeOptions
from .errors import VideoDecodeError
from .windows import VideoInfo, Window, WindowReader

PART_WINDOWS = 4  # windows per message (about 2.4 MB each at 16 frames)
CREDITS = 4  # parts a worker may have in flight before it waits for the parent


@dataclass
class Decoded:
    """A part of one video's decoding: some of its windows, then (final) its info, or its error."""

    key: Any
    path: Path
    windows: list[Window] = field(default_factory=list)
    info: VideoInfo | None = None  # set on the final part of a video that decoded
    error: VideoDecodeError | None = None

    @property
    def final(self) -> bool:
        return self.info is not None or self.error is not None


def decode_parts(key: Any, path: Path, options: DecodeOptions) -> Iterator[Decoded]:
    """One video as a stream of parts, the last one final; a decoding error ends it as a final part."""
    reader = WindowReader(path, options)
    part: list[Window] = []
    try:
        for window in reader:
            part.append(window)
            if len(part) >= PART_WINDOWS:
                yield Decoded(key, Path(path), part)
                part = []
    except VideoDecodeError as e:
        yield Decoded(key, Path(path), error=e)
        return
    except Exception as e:  # noqa: BLE001 - anything a decoder throws is that file's failure
        yield Decoded(key, Path(path), error=VideoDecodeError(path, "not_video", f"{type(e).__name__}: {e}"))
        return
    yield Decoded(key, Path(path), part, info=reader.info)


def exit_with_parent() -> None:
    """A daemon thread that ends this worker when its parent process is gone (any platform, any death)."""
    parent = mp.parent_process()

    def watch():
        parent.join()  # returns when the parent's end of the sentinel pipe closes: it exited or was killed
        os._exit(1)

    if parent is not None:
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker(worker_id: int, inbox, outbox, credits, options: DecodeOptions) -> None:
    exit_with_parent()
    while (task := inbox.get()) is not None:
        key, path = task
        outbox.put(("start", worker_id, key, time.monotonic()))
        for part in decode_parts(key, path, options):
            credits.acquire()  # released by the parent when it takes the part: bounded memory
            outbox.put(("done" if part.final else "part", worker_id, key, part))


class DecodePool:
    def __init__(self, options: DecodeOptions, workers: int = 2, timeout: float = 120.0, prefetch: int = 2):
        self.options, self.workers, self.timeout, self.prefetch = options, max(1, workers), timeout, prefetch
        self._ctx = mp.get_context("spawn")  # the parent may hold gRPC threads (Milvus): never fork it

    def _start(self, worker_id: int, outbox) -> dict:
        inbox, credits = self._ctx.Queue(), self._ctx.Semaphore(CREDITS)
        process = self._ctx.Process(target=_worker, args=(worker_id, inbox, outbox, credits, self.options), daemon=True)
        process.start()
        return {"process": process, "inbox": inbox, "credits": credits, "tasks": deque(), "started": None,
                "caller_at_start": 0.0}

    def run(self, tasks: Iterable[tuple[Any, Path]]) -> Iterator[Decoded]:
        """Yields the parts of every task (a video's parts in order, videos interleaved), each video ending
        with a final part."""
        outbox = self._ctx.Queue()
        pool = {i: self._start(i, outbox) for i in range(self.workers)}
        self._consumer = 0.0  # seconds spent by the caller with a part: workers may wait for it meanwhile
        pending = iter(tasks)
        exhausted = False
        try:
            while True:
                if not exhausted:
                    exhausted = self._feed(pool, pending)
                if exhausted and not any(w["tasks"] for w in pool.values()):
                    return
                yield from self._reap_stuck(pool, outbox)  # also between steady parts: the timeout is per file
                try:
                    kind, worker_id, key, payload = outbox.get(timeout=min(0.5, self.timeout / 4))
                except queue.Empty:
                    continue
                worker = pool[worker_id]
                if not worker["tasks"] or worker["tasks"][0][0] != key:
                    continue  # a message from a worker that was replaced
                if kind == "start":
                    worker["started"], worker["caller_at_start"] = payload, self._consumer
                    continue
                worker["credits"].release()
                if kind != "part":
                    worker["tasks"].popleft()
                    worker["started"] = None
                handed = time.monotonic()
                yield payload
                self._consumer += time.monotonic() - handed
        finally:
            for worker in pool.values():
                worker["inbox"].put(None)
            for worker in pool.values():
                worker["process"].join(timeout=2)
                if worker["process"].is_alive():
                    worker["process"].kill()

    def _feed(self, pool: dict, pending: Iterator) -> bool:
        """Tops every inbox up to `prefetch` tasks; True once the tasks are exhausted."""
        for worker in pool.values():
            while len(worker["tasks"]) < self.prefetch:
                task = next(pending, None)
                if task is None:
                    return True
                worker["tasks"].append(task)
                worker["inbox"].put(task)
        return False

    def _reap_stuck(self, pool: dict, outbox) -> Iterator[Decoded]:
        now = time.monotonic()
        for worker_id, worker in list(pool.items()):
            dead = not worker["process"].is_alive()
            busy = now - worker["started"] - (self._consumer - worker["caller_at_start"]) if worker["started"] else 0.0
            stuck = busy > self.timeout
            if not (dead or stuck) or not worker["tasks"]:
                continue
            key, path = worker["tasks"].popleft()
            worker["process"].kill()
            worker["process"].join()
            reason = "timeout" if stuck else "crashed"
            cause = f"took over {self.timeout:g} s to decode" if stuck else f"decoder exited ({worker['process'].exitcode})"
            yield Decoded(key, Path(path), error=VideoDecodeError(path, reason, cause))
            requeue = list(worker["tasks"])
            pool[worker_id] = self._start(worker_id, outbox)
            for task in requeue:  # the files queued behind the stuck one go to the new worker
                pool[worker_id]["tasks"].append(task)
                pool[worker_id]["inbox"].put(task)
