"""Streaming a multipart upload to disk with a size limit (the service's only way in for files).

The body is parsed as it arrives (python-multipart's streaming parser): the bytes of the `file`
field go to a file the service names itself, in batches written off the event loop, counted and
hashed on the way; small text fields (a reference `id`) are kept in memory up to
`MAX_FIELD_BYTES`. The client's file name is kept only as text (for reports and errors), never
used as a path. A body over the limit stops at once with `UploadTooLarge` (HTTP 413) and the
partial file is deleted; a body that is not a complete multipart form with a file gives
`BadUpload` (HTTP 422).
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

MAX_FIELD_BYTES = 4096  # a text field (the reference id) longer than this is refused
FLUSH_BYTES = 1 << 20  # file bytes are written in batches of about this size
FORM_SLACK = 64 * 1024  # multipart framing and text fields allowed beyond the file limit
FILE_FIELD = "file"


class UploadTooLarge(Exception):
    """The upload is larger than the limit."""


class BadUpload(Exception):
    """The request body is not a multipart form with a file field."""


@dataclass
class Upload:
    """A received file: where it was written, the name the client gave (text only), its size
    in bytes and sha256 (hex), and the text fields sent with it."""

    path: Path
    filename: str
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)


class _Form:
    """Callbacks of the multipart parser: routes part data to the file buffer or to fields."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = bytearray()
        self.size = 0
        self.hash = hashlib.sha256()
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._is_file = False
        self._text = bytearray()

    def callbacks(self) -> Any:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self._part_end, "on_end": self._end}

    def _part_begin(self) -> None:
        self._headers, self._text, self._name, self._is_file = {}, bytearray(), None, False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._name = name
        if name == FILE_FIELD:
            if self.filename is not None:
                raise BadUpload("send one file field, not several")
            self._is_file = True
            self.filename = params.get(b"filename", b"").decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            self.size += len(chunk)
            if self.size > self.limit:
                raise UploadTooLarge
            self.hash.update(chunk)
            self.buffer += chunk
        else:
            self._text += chunk
            if len(self._text) > MAX_FIELD_BYTES:
                raise BadUpload(f"field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            try:
                self.fields[self._name] = self._text.decode("utf-8")
            except UnicodeDecodeError as e:
                raise BadUpload(f"field {self._name!r} is not UTF-8 text") from e

    def _end(self) -> None:
        self.ended = True


def _form_boundary(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise BadUpload("send the file as multipart/form-data with a field named 'file'")
    return params[b"boundary"]


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as e:
        raise BadUpload("Content-Length is not a number") from e


async def receive_upload(request: Request, dest: Path, limit: int) -> Upload:
    """Stream the multipart body of `request` into `dest` (created, or replaced), its `file`
    field at most `limit` bytes. Raises UploadTooLarge or BadUpload, after deleting `dest`."""
    boundary = _form_boundary(request)
    length = _declared_length(request)
    if length is not None and length > limit + FORM_SLACK:
        raise UploadTooLarge
    form = _Form(limit)
    parser = MultipartParser(boundary, form.callbacks())
    received = 0
    try:
        async with await anyio.open_file(dest, "wb") as out:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit + FORM_SLACK:
                    raise UploadTooLarge
                parser.write(chunk)
                if len(form.buffer) >= FLUSH_BYTES:
                    await out.write(bytes(form.buffer))
                    form.buffer.clear()
            parser.finalize()
            await out.write(bytes(form.buffer))
        if not form.ended:
            raise BadUpload("the multipart body is incomplete")
        if form.filename is None:
            raise BadUpload("the form has no field named 'file'")
        if form.size == 0:
            raise BadUpload("the uploaded file is empty")
    except MultipartParseError as e:
        dest.unlink(missing_ok=True)
        raise BadUpload(f"the multipart body cannot be parsed ({e})") from e
    except (UploadTooLarge, BadUpload, ClientDisconnect, OSError):
        dest.unlink(missing_ok=True)
        raise
    return Upload(dest, form.filename, form.size, form.hash.hexdigest(), form.fields)
