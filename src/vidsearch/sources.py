"""What to index: a tutorial-style CSV (`id,path,label`) or a folder of videos (label = parent folder)."""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts", ".mts",
    ".m2ts", ".ogv", ".gif",
}
MAX_ID = 2**63 - 1  # Milvus INT64
JSON_SAFE_ID = 2**53 - 1  # the largest integer JavaScript (the web page, most JSON readers) keeps exact
ID_TEXT = re.compile(r"[-+]?[0-9]+")  # ASCII digits only: int() would also take "1_000", "\u0663" and " 7 "


class SourceError(ValueError):
    """The source itself (not one video in it) cannot be read."""


@dataclass(frozen=True)
class SourceItem:
    id: int
    path: Path
    label: str
    problem: str = ""  # why this row cannot be used (a CSV row without a path): reported, never opened
    problem_reason: str = "missing"  # its VideoDecodeError reason: missing (no path), bad_name (not UTF-8)


def stable_id(key: str) -> int:
    """A non-negative 53-bit id from a string: the same file gets the same id on every run and machine, and
    JSON readers in any language get it exactly (1 M videos collide with probability ~6e-5). A file name
    that is not UTF-8 hashes its own bytes."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & JSON_SAFE_ID


def parse_id(text: str) -> int:
    """A video id as typed (CLI, CSV): ASCII digits within 0..2^63-1; ValueError, saying so, otherwise."""
    if not ID_TEXT.fullmatch(text):
        raise ValueError(f"{shown(text)[:40]!r} is not an integer (ids are ASCII digits)")
    if not 0 <= int(text) <= MAX_ID:
        raise ValueError(f"{shown(text)[:40]!r} is outside 0..2^63-1")
    return int(text)


def named(item_id: int, path: Path, label: str, name: str) -> SourceItem:
    """A file found by its name; a name that is not UTF-8 (a disk from another system) is that file's failure."""
    if is_utf8(name):
        return SourceItem(item_id, path, label)
    return SourceItem(item_id, path, label, "its name is not valid UTF-8 (rename it)", "bad_name")


def is_utf8(text: str) -> bool:
    """False for a name the file system gave with bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def shown(path: str | Path) -> str:
    """A path or name as it can be printed, logged and sent as JSON: bytes that are not UTF-8 as \\xNN."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_csv(csv_path: Path) -> list[SourceItem]:
    """Rows `id,path,label`; paths relative to the CSV's folder, like the tutorial's reverse_video_search.csv.
    A row that is not UTF-8 (a Latin-1 export) is that row's failure, not the whole file's."""
    with open(csv_path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        reader = csv.DictReader(f)
        missing = {"id", "path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise SourceError(f"{shown(csv_path)}: header must have id,path,label (missing {', '.join(sorted(missing))})")
        items = []
        for line, row in enumerate(reader, start=2):
            try:
                item_id = parse_id((row["id"] or "").strip())
            except ValueError as e:
                raise SourceError(f"{shown(csv_path)}:{line}: id {e}") from None
            text, label = (row["path"] or "").strip(), row["label"] or ""
            path = Path(text)
            path = path if path.is_absolute() else csv_path.parent / path
            if not is_utf8(text + label):
                items.append(SourceItem(item_id, path, label, f"{shown(csv_path.name)} line {line} is not valid UTF-8 "
                                                              f"(save the CSV as UTF-8)", "bad_name"))
            else:
                items.append(SourceItem(item_id, path, label, "" if text else f"{csv_path.name} line {line} has no path"))
        return items


def _walk(folder: Path) -> list[Path]:
    """Every file below `folder`, symlinked folders followed (each real folder once: a link cycle ends)."""
    files, seen = [], set()
    for top, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        files += [Path(top) / name for name in names if not os.path.isdir(os.path.join(top, name))]
    return files


def read_folder(folder: Path) -> list[SourceItem]:
    """Every video file below `folder`, sorted; id from the path relative to the folder."""
    items = []
    for path in sorted(p for p in _walk(folder) if p.suffix.lower() in VIDEO_EXTENSIONS):
        relative = path.relative_to(folder).as_posix()
        label = path.parent.name if path.parent != folder else ""
        items.append(named(stable_id(relative), path, label, relative))
    return items


def read_source(source: str | Path) -> list[SourceItem]:
    source = Path(source)
    if source.is_dir():
        return read_folder(source)
    if source.is_file() and source.suffix.lower() == ".csv":
        return read_csv(source)
    if source.is_file() and source.suffix.lower() in VIDEO_EXTENSIONS:
        key = source.resolve().as_posix()
        return [named(stable_id(key), source, source.parent.name, key)]
    raise SourceError(f"{shown(source)}: not a folder, a .csv file or a video file")


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
