"""Receive a multipart upload as a stream: the file part goes to disk in chunks and the size limit is
enforced while the bytes arrive, so an oversized upload is refused without ever being held in memory."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from triage.errors import InvalidSubmission, OutOfSpace, TooLarge, TriageError

FIELD_LIMIT = 10_000  # bytes for each ordinary form field (title, external_id, ...)
OVERHEAD = 64 * 1024  # room for multipart headers and small fields around the file (all the fields together)
Refusal = Callable[[int], TriageError]  # the error for a file over a limit of so many bytes
FULL_DISK = {errno.ENOSPC, errno.EDQUOT}


@dataclass
class Received:
    """What came in: the file on disk (not yet validated), its given name and size, and the other fields."""

    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def too_large(max_bytes: int) -> TooLarge:
    return TooLarge(f"the upload is larger than the limit of {max_bytes / 1e6:,.1f} MB")


def out_of_space() -> OutOfSpace:
    return OutOfSpace("the server is out of disk space and cannot store this upload now; try again later")


@contextlib.contextmanager
def full_disk_is_ours() -> Iterator[None]:
    """Turn a full disk (or a spent disk quota) into OutOfSpace: the client's upload was not at fault."""
    try:
        yield
    except OSError as exc:
        if exc.errno in FULL_DISK:
            raise out_of_space() from exc
        raise


class _Sink:
    """Parser callbacks: route the file part to disk and small fields to memory."""

    def __init__(self, dest: Path, max_bytes: int, over: Refusal) -> None:
        self.dest, self.max_bytes, self.over = dest, max_bytes, over
        self.headers: dict[bytes, bytes] = {}
        self._hname = self._hvalue = b""
        self.name: str | None = None
        self.filename: str | None = None
        self.file: IO[bytes] | None = None
        self.size = 0
        self.buffer = bytearray()
        self.fields: dict[str, str] = {}
        self.field_bytes = 0  # names and values of every field kept so far: they stay in memory
        self.got_file = False

    def on_part_begin(self) -> None:
        # `filename` stays: it is the file part's, and form fields may come after it (curl -F file=@a -F title=x)
        self.headers, self.name, self.buffer = {}, None, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self._hname.lower()] = self._hvalue
        self._hname = self._hvalue = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        if self.name == "file" and raw is not None:
            if self.got_file:
                raise InvalidSubmission("send one file per upload")
            self.filename = os.path.basename(raw.decode("utf-8", "replace").replace("\\", "/")) or "upload"
            self.file = open(self.dest, "wb")  # noqa: SIM115  (closed in on_part_end or by receive())
            self.got_file = True
        else:
            self._count(len(self.name))

    def _count(self, size: int) -> None:
        # Each field is small, but a body of thousands of them (or a chunked one, with no Content-Length to
        # refuse early) would otherwise pile up in memory until the server runs out.
        self.field_bytes += size
        if self.field_bytes > OVERHEAD:
            raise TooLarge(f"the form fields beside the file take more than {OVERHEAD // 1024} KB in all")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None:
            self.size += end - start
            if self.size > self.max_bytes:
                raise self.over(self.max_bytes)
            self.file.write(data[start:end])
        else:
            self.buffer += data[start:end]
            self._count(end - start)
            if len(self.buffer) > FIELD_LIMIT:
                raise InvalidSubmission(f"form field {self.name!r} is longer than {FIELD_LIMIT} bytes")

    def on_part_end(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        elif self.name:
            self.fields[self.name] = self.buffer.decode("utf-8", "replace")


def declared_length(request: Request) -> int | None:
    """The body's Content-Length, or None for a chunked body (or a header that is not a number)."""
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


async def receive(request: Request, dest: Path, max_bytes: int, over: Refusal = too_large) -> Received:
    """Stream a multipart/form-data body with one part named `file` into `dest`. Raises `over(max_bytes)` for a
    larger file (TooLarge, 413, by default), InvalidSubmission (422) with a reason, or OutOfSpace (507) when the
    disk fills; `dest` is removed on any failure."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidSubmission("send the file as multipart/form-data with a part named 'file'")
    declared = declared_length(request)
    if declared is not None and declared > max_bytes + OVERHEAD:
        raise over(max_bytes)  # refuse before reading a byte
    sink = _Sink(dest, max_bytes, over)
    callbacks = {name: getattr(sink, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
        "on_part_data", "on_part_end")}
    parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        with full_disk_is_ours():
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
    except Exception as exc:
        if sink.file is not None:
            with contextlib.suppress(OSError):  # closing flushes, which fails again on a full disk
                sink.file.close()
        dest.unlink(missing_ok=True)
        if isinstance(exc, TriageError):  # a refusal with its reason, or OutOfSpace: not a bad body
            raise
        raise InvalidSubmission(f"the upload is not valid multipart/form-data ({exc})") from exc
    if not sink.got_file or sink.filename is None:
        dest.unlink(missing_ok=True)
        raise InvalidSubmission("no file in the upload: send it as a part named 'file' with a filename")
    return Received(dest, sink.filename, sink.size, sink.fields)
