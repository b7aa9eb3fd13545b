"""What to index: a tutorial-style CSV (`id,path,label`) or a folder of videos (label = parent folder)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts", ".mts",
    ".m2ts", ".ogv", ".gif",
}
MAX_ID = 2**63 - 1  # Milvus INT64
JSON_SAFE_ID = 2**53 - 1  # the largest integer JavaScript (the web page, most JSON readers) keeps exact


class SourceError(ValueError):
    """The source itself (not one video in it) cannot be read."""


@dataclass(frozen=True)
class SourceItem:
    id: int
    path: Path
    label: str
    problem: str = ""  # why this row cannot be used (a CSV row without a path): reported, never opened


def stable_id(key: str) -> int:
    """A non-negative 53-bit id from a string: the same file gets the same id on every run and machine, and
    JSON readers in any language get it exactly (1 M videos collide with probability ~6e-5)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") & JSON_SAFE_ID


def read_csv(csv_path: Path) -> list[SourceItem]:
    """Rows `id,path,label`; paths relative to the CSV's folder, like the tutorial's reverse_video_search.csv."""
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"id", "path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise SourceError(f"{csv_path}: header must have id,path,label (missing {', '.join(sorted(missing))})")
        items = []
        for line, row in enumerate(reader, start=2):
            try:
                item_id = int(row["id"])
            except (TypeError, ValueError):
                raise SourceError(f"{csv_path}:{line}: id {row['id']!r} is not an integer") from None
            if not 0 <= item_id <= MAX_ID:
                raise SourceError(f"{csv_path}:{line}: id {item_id} is outside 0..2^63-1")
            text = (row["path"] or "").strip()
            path = Path(text)
            items.append(SourceItem(item_id, path if path.is_absolute() else csv_path.parent / path, row["label"] or "",
                                    "" if text else f"{csv_path.name} line {line} has no path"))
        return items


def read_folder(folder: Path) -> list[SourceItem]:
    """Every video file below `folder`, sorted; id from the path relative to the folder."""
    items = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and not p.is_dir()):
        relative = path.relative_to(folder).as_posix()
        label = path.parent.name if path.parent != folder else ""
        items.append(SourceItem(stable_id(relative), path, label))
    return items


def read_source(source: str | Path) -> list[SourceItem]:
    source = Path(source)
    if source.is_dir():
        return read_folder(source)
    if source.is_file() and source.suffix.lower() == ".csv":
        return read_csv(source)
    if source.is_file() and source.suffix.lower() in VIDEO_EXTENSIONS:
        return [SourceItem(stable_id(source.resolve().as_posix()), source, source.parent.name)]
    raise SourceError(f"{source}: not a folder, a .csv file or a video file")


def fingerprint(path: Path, chunk: int = 1 << 16) -> str:
    """Size plus hashes of the first and last 64 KiB: changes when a file is replaced, costs two reads."""
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with open(path, "rb") as f:
        digest.update(f.read(chunk))
        if size > chunk:
            f.seek(max(chunk, size - chunk))
            digest.update(f.read(chunk))
    return digest.hexdigest()
