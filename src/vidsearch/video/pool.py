"""Decodes videos in worker processes, with a per-file timeout and bounded memory.

Each worker has its own inbox of at most `prefetch` files, so the pool always knows which file a worker is
on: a worker stuck past the timeout is killed, its file reported as a `timeout` failure, and a fresh worker
takes its place. At most workers × prefetch files are in flight, whatever the library's size.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .decode import DecodeOptions, decode_clip
from .errors import VideoDecodeError


@dataclass
class Decoded:
    key: Any
    path: Path
    frames: Any = None  # T×224×224×3 uint8 when decoding worked
    error: VideoDecodeError | None = None


def exit_with_parent() -> None:
    """A daemon thread that ends this worker when its parent process is gone (any platform, any death)."""
    parent = mp.parent_process()

    def watch():
        parent.join()  # returns when the parent's end of the sentinel pipe closes: it exited or was killed
        os._exit(1)

    if parent is not None:
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker(worker_id: int, inbox, outbox, options: DecodeOptions) -> None:
    exit_with_parent()
    while (task := inbox.get()) is not None:
        key, path = task
        outbox.put(("start", worker_id, key, time.monotonic()))
        try:
            frames, error = decode_clip(path, options).frames, None
        except VideoDecodeError as e:
            frames, error = None, e
        except Exception as e:  # noqa: BLE001 - anything a decoder throws is that file's failure
            frames, error = None, VideoDecodeError(path, "not_video", f"{type(e).__name__}: {e}")
        outbox.put(("done", worker_id, key, Decoded(key, Path(path), frames, error)))


class DecodePool:
    def __init__(self, options: DecodeOptions, workers: int = 2, timeout: float = 120.0, prefetch: int = 2):
        self.options, self.workers, self.timeout, self.prefetch = options, max(1, workers), timeout, prefetch
        self._ctx = mp.get_context("spawn")  # the parent may hold gRPC threads (Milvus): never fork it

    def _start(self, worker_id: int, outbox) -> dict:
        inbox = self._ctx.Queue()
        process = self._ctx.Process(target=_worker, args=(worker_id, inbox, outbox, self.options), daemon=True)
        process.start()
        return {"process": process, "inbox": inbox, "tasks": deque(), "started": None}

    def run(self, tasks: Iterable[tuple[Any, Path]]) -> Iterator[Decoded]:
        """Yields one Decoded per task, in completion order."""
        outbox = self._ctx.Queue()
        pool = {i: self._start(i, outbox) for i in range(self.workers)}
        pending = iter(tasks)
        exhausted = False
        try:
            while True:
                if not exhausted:
                    exhausted = self._feed(pool, pending)
                if exhausted and not any(w["tasks"] for w in pool.values()):
                    return
                try:
                    kind, worker_id, key, payload = outbox.get(timeout=min(0.5, self.timeout / 4))
                except queue.Empty:
                    yield from self._reap_stuck(pool, outbox)
                    continue
                worker = pool[worker_id]
                if not worker["tasks"] or worker["tasks"][0][0] != key:
                    continue  # a message from a worker that was replaced
                if kind == "start":
                    worker["started"] = payload
                    continue
                worker["tasks"].popleft()
                worker["started"] = None
                yield payload
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
            stuck = worker["started"] is not None and now - worker["started"] > self.timeout
            if not (dead or stuck) or not worker["tasks"]:
                continue
            key, path = worker["tasks"].popleft()
            worker["process"].kill()
            worker["process"].join()
            reason = "timeout" if stuck else "crashed"
            cause = f"decoding took over {self.timeout:g} s" if stuck else f"decoder exited ({worker['process'].exitcode})"
            yield Decoded(key, Path(path), error=VideoDecodeError(path, reason, cause))
            requeue = list(worker["tasks"])
            pool[worker_id] = self._start(worker_id, outbox)
            for task in requeue:  # the files queued behind the stuck one go to the new worker
                pool[worker_id]["tasks"].append(task)
                pool[worker_id]["inbox"].put(task)
