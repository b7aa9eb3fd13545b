"""Receives an upload into a temporary file with a size cap; the file is always removed afterwards."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from fastapi import HTTPException, UploadFile

CHUNK = 1 << 20


@contextlib.contextmanager
def received(upload: UploadFile, max_bytes: int, folder: Path | None = None):
    """Yields the path of the uploaded bytes on disk; 413 past `max_bytes`; deletes the file on exit."""
    suffix = Path(upload.filename or "upload").suffix.lower()[:10] or ".bin"
    fd, name = tempfile.mkstemp(prefix="vidsearch-upload-", suffix=suffix, dir=folder)
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise HTTPException(413, f"upload larger than the limit of {max_bytes // (1 << 20)} MiB")
                out.write(chunk)
        if size == 0:
            raise HTTPException(422, "the upload is empty")
        yield path
    finally:
        path.unlink(missing_ok=True)
