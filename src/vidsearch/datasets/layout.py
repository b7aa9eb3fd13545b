"""The tutorial's dataset layout: OUT/train/<label>/*, OUT/test/<label>/*, OUT/reverse_video_search.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CSV_NAME = "reverse_video_search.csv"


@dataclass
class DatasetSummary:
    root: Path
    train: int
    test: int
    labels: list[str]

    @property
    def csv(self) -> Path:
        return self.root / CSV_NAME

    @property
    def queries(self) -> Path:
        return self.root / "test"


def write_csv(root: Path) -> DatasetSummary:
    """Lists OUT/train as `id,path,label` (ids 0.., paths relative to OUT) and counts OUT/test."""
    train = sorted(p for p in (root / "train").glob("*/*") if p.is_file())
    with open(root / CSV_NAME, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "path", "label"])
        for i, path in enumerate(train):
            writer.writerow([i, "./" + path.relative_to(root).as_posix(), path.parent.name])
    test = [p for p in (root / "test").glob("*/*") if p.is_file()]
    return DatasetSummary(root, len(train), len(test), sorted({p.parent.name for p in train}))
