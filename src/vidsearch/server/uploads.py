"""Receives a multipart upload by streaming it, under a byte limit, into a temporary file that is always removed.

Nothing is read before the route's guards ran (the endpoints declare no body parameters, so FastAPI leaves
the body alone): a declared Content-Length over the limit is refused unread, a chunked body stops being read
the moment it passes the limit, and each form field is checked as soon as it has arrived.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Callable

from fastapi import HTTPException, Request
from starlette.requests import ClientDisconnect
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

FORM_OVERHEAD = 64 << 10  # form fields and part headers beside the file
MAX_FIELD_BYTES = 4096
FILE_FIELD = "file"


@dataclass
class Upload:
    path: Path  # the file part's bytes on disk
    filename: str  # the client's file name, made safe to echo (no path, no control characters)
    fields: dict[str, str] = field(default_factory=dict)


def safe_filename(name: str | None) -> str:
    """The last path component, printable characters only, at most 200 of them; never empty."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")[:200].strip()
    return name or "upload"


def _too_large(max_bytes: int) -> HTTPException:
    return HTTPException(413, f"upload larger than the limit of {max_bytes / (1 << 20):g} MiB")


class _FormReader:
    """python-multipart callbacks: the file part goes to `out`, fields are collected and checked on arrival."""

    def __init__(self, out, max_bytes: int, check_field: Callable[[str, str], None]):
        self.out, self.max_bytes, self.check_field = out, max_bytes, check_field
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file_bytes = 0
        self._header, self._value, self._disposition = b"", b"", b""
        self._name, self._is_file, self._data = "", False, bytearray()

    def callbacks(self) -> dict:
        return {name: getattr(self, name) for name in (
            "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value",
            "on_header_end", "on_headers_finished")}

    def on_part_begin(self) -> None:
        self._disposition, self._data = b"", bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = b"filename" in options
        if self._is_file:
            if self._name != FILE_FIELD or self.filename is not None:
                raise HTTPException(422, f"send exactly one file, in the form field {FILE_FIELD!r}")
            self.filename = safe_filename(options[b"filename"].decode("utf-8", "replace"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.file_bytes += end - start
            if self.file_bytes > self.max_bytes:
                raise _too_large(self.max_bytes)
            self.out.write(data[start:end])
        else:
            self._data += data[start:end]
            if len(self._data) > MAX_FIELD_BYTES:
                raise HTTPException(422, f"form field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if not self._is_file:
            value = self._data.decode("utf-8", "replace")
            self.check_field(self._name, value)  # may refuse the request before the rest is read
            self.fields[self._name] = value


@contextlib.asynccontextmanager
async def received(request: Request, max_bytes: int, folder: Path | None = None,
                   check_field: Callable[[str, str], None] = lambda name, value: None) -> AsyncIterator[Upload]:
    """Yields the upload (file on disk + fields); 413 past `max_bytes`; the file is deleted on exit."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise HTTPException(415, f"send the video as multipart/form-data, in the form field {FILE_FIELD!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise _too_large(max_bytes)  # refused before a byte of the body is read
    fd, name = tempfile.mkstemp(prefix="vidsearch-upload-", suffix=".part", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            reader = _FormReader(out, max_bytes, check_field)
            parser = MultipartParser(options[b"boundary"], reader.callbacks())
            body = 0
            try:
                async for chunk in request.stream():
                    body += len(chunk)
                    if body > max_bytes + FORM_OVERHEAD:
                        raise _too_large(max_bytes)  # a chunked body: stop reading here
                    parser.write(chunk)
                parser.finalize()
            except FormParserError as e:
                raise HTTPException(422, f"malformed multipart body: {e}") from None
            except ClientDisconnect:  # gone, or half-closed: answered (if it still reads), never a traceback
                raise HTTPException(400, "the client disconnected before the upload was complete") from None
        if reader.filename is None:
            raise HTTPException(422, f"no file: send the video in the form field {FILE_FIELD!r}")
        if reader.file_bytes == 0:
            raise HTTPException(422, "the upload is empty")
        yield Upload(path, reader.filename, reader.fields)
    finally:
        path.unlink(missing_ok=True)
