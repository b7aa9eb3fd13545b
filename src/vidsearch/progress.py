"""One progress bar for every long step (index, dataset build, bench, eval): tqdm on a terminal's stderr,
nothing when output is piped or logged, so JSON on stdout and CI logs stay clean."""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T] | None = None, total: int | None = None, desc: str | None = None,
             unit: str = "video", quiet: bool = False) -> tqdm:
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False,
                disable=quiet or not sys.stderr.isatty())


class IndexProgress:
    """The index bar (rate and ETA), made once the plan says how many videos will be decoded."""

    def __init__(self, quiet: bool = False):
        self.bar, self.quiet = None, quiet

    def plan(self, total: int) -> None:
        self.bar = progress(total=total, desc="indexing", unit="clip", quiet=self.quiet)

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
