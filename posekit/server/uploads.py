"""Reading form bodies as a stream: the uploaded file goes straight to disk, within limits.

A body is refused as soon as it is known to be too large: from ``Content-Length`` before a byte
is read, else while counting the bytes as they arrive. Memory use stays at one network chunk
whatever the client sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from posekit.server.frontend import SlowClientError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["FIELDS_MAX_BYTES", "ApiError", "Form", "read_form"]

#: Bytes a body may carry beyond the file: the form fields and the multipart framing.
FIELDS_MAX_BYTES = 64 * 1024
_MAX_FIELDS = 32
# Refused bodies are read to their end (and dropped) up to this many bytes so that ordinary
# clients, which send the whole body before reading the answer, see the answer; beyond it the
# connection is closed instead.
_DRAIN_MAX_BYTES = 256 * 1024 * 1024


class ApiError(Exception):
    """An error answer in Kakao's shape: HTTP ``status`` and body ``{"code", "msg"}``.

    Parameters
    ----------
    code
        Kakao's error code (-1 internal, -2 bad parameter, -10 quota, -401 wrong key).
    msg
        What was wrong, for the client.
    status
        The HTTP status of the answer.
    headers
        Extra answer headers (``Retry-After``).

    Examples
    --------
    >>> from posekit.server.uploads import ApiError
    >>> err = ApiError(-10, "the job queue is full; retry later", 429, {"Retry-After": "10"})
    >>> err.status, err.code, err.headers["Retry-After"], str(err)
    (429, -10, '10', 'the job queue is full; retry later')
    """

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}


@dataclass
class Form:
    """The fields of a form and, for multipart bodies, the one file stored on disk.

    Made by :func:`read_form`.

    Parameters
    ----------
    fields
        Field name -> value (text).
    file_path
        Where the part named ``file`` was written; None when there was none.
    file_size
        Its size in bytes.
    filename
        The file name the client gave, if any.

    Examples
    --------
    >>> from posekit.server.uploads import Form
    >>> form = Form(fields={"video_url": "https://example.com/clip.mp4"})
    >>> form.file_path is None, form.fields["video_url"]
    (True, 'https://example.com/clip.mp4')
    """

    fields: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None
    file_size: int = 0
    filename: str | None = None


def _too_large(what: str, limit: int) -> ApiError:
    return ApiError(-2, f"{what} is larger than the limit of {limit} bytes", status=413)


async def _drain(stream: AsyncIterator[bytes], already: int) -> None:
    n = already
    async for chunk in stream:
        n += len(chunk)
        if n > _DRAIN_MAX_BYTES:
            return


async def read_form(
    headers: dict[str, str],
    stream: AsyncIterator[bytes],
    *,
    dest: Path,
    max_file_bytes: int,
    what: str = "file",
) -> Form:
    """Parse a ``multipart/form-data`` or ``application/x-www-form-urlencoded`` body.

    The part named ``file`` is written to ``dest`` (created only if such a part arrives); other
    file parts are refused. ``headers`` must have lower-case names.

    Parameters
    ----------
    headers
        The request's headers, names in lower case (``content-type``, ``content-length``).
    stream
        The body, as it arrives.
    dest
        Where to write the file part.
    max_file_bytes
        The largest file accepted, in bytes; the whole body may carry
        :data:`FIELDS_MAX_BYTES` more.
    what
        The file in words, for the error message (``"the video"``).

    Returns
    -------
    Form
        The fields, and the file's path, size and name.

    Raises
    ------
    ApiError
        -2 / 400 for a malformed body or unsupported content type; -2 / 413 when the body or
        the file is larger than allowed.

    Examples
    --------
    A multipart body as ``requests`` encodes it, arriving in two chunks:

    >>> import asyncio
    >>> import tempfile
    >>> import requests
    >>> from pathlib import Path
    >>> from posekit.server.uploads import read_form
    >>> request = requests.Request("POST", "http://server/pose/job", data={"smoothing": "false"},
    ...                            files={"file": ("clip.mp4", b"0123456789")}).prepare()
    >>> headers = {k.lower(): v for k, v in request.headers.items()}
    >>> async def body():
    ...     yield request.body[:50]
    ...     yield request.body[50:]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     form = asyncio.run(read_form(headers, body(), dest=Path(folder, "upload"),
    ...                                  max_file_bytes=1000))
    ...     stored = form.file_path.read_bytes()
    >>> form.fields, form.filename, form.file_size, stored
    ({'smoothing': 'false'}, 'clip.mp4', 10, b'0123456789')
    """
    ctype, params = parse_options_header(headers.get("content-type", ""))
    max_body = max_file_bytes + FIELDS_MAX_BYTES
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > max_body:
        if int(length) <= _DRAIN_MAX_BYTES:
            await _drain(stream, 0)
        raise _too_large(what, max_file_bytes)

    if ctype == b"application/x-www-form-urlencoded":
        body = bytearray()
        async for chunk in stream:
            body += chunk
            if len(body) > FIELDS_MAX_BYTES:
                await _drain(stream, len(body))
                raise ApiError(-2, f"form fields are larger than {FIELDS_MAX_BYTES} bytes", 413)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(-2, "the form body is not valid UTF-8 form data") from None
        if len(pairs) > _MAX_FIELDS:
            raise ApiError(-2, f"more than {_MAX_FIELDS} form fields")
        return Form(fields=dict(pairs))
    if ctype != b"multipart/form-data":
        if ctype == b"" and length in (None, "0"):
            return Form()
        raise ApiError(
            -2,
            "send the parameters as multipart/form-data (file) or "
            "application/x-www-form-urlencoded (URLs)",
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(-2, "multipart body without a boundary")
    return await _read_multipart(boundary, stream, dest, max_file_bytes, max_body, what)


class _Parts:
    """The multipart parser's callbacks: fields into ``form.fields``, the one file to ``dest``.

    A callback that refuses the body records why in ``errors`` and raises ``ValueError`` (the
    parser passes it on).
    """

    def __init__(self, form: Form, dest: Path, max_file_bytes: int, what: str) -> None:
        self.form, self.dest, self.max_file_bytes, self.what = form, dest, max_file_bytes, what
        self.name = self.value = self.disp = b""
        self.field: Any = None
        self.is_file = False
        self.data = bytearray()
        self.errors: list[ApiError] = []
        self.fh: BinaryIO | None = None

    def callbacks(self) -> MultipartCallbacks:
        """The callbacks, by the names ``MultipartParser`` calls them."""
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        """A new part: forget the previous one's headers and data."""
        self.disp, self.field, self.is_file = b"", None, False
        self.data.clear()

    def on_header_field(self, b: bytes, start: int, end: int) -> None:
        """Part of a header's name."""
        self.name += b[start:end]

    def on_header_value(self, b: bytes, start: int, end: int) -> None:
        """Part of a header's value."""
        self.value += b[start:end]

    def on_header_end(self) -> None:
        """A header is complete: keep it if it is the Content-Disposition."""
        if self.name.lower() == b"content-disposition":
            self.disp = self.value
        self.name = self.value = b""

    def on_headers_finished(self) -> None:
        """The part's headers are read: a form field, or the file (opened for writing)."""
        _, opts = parse_options_header(self.disp)
        name = opts.get(b"name")
        if name is None:
            raise ValueError("a part without a name")
        self.field = name.decode("utf-8", "replace")
        if b"filename" in opts or self.field == "file":
            if self.field != "file":
                self.errors.append(ApiError(-2, f"unexpected file field {self.field!r}"))
                raise ValueError("unexpected file")
            if self.form.file_path is not None:
                self.errors.append(ApiError(-2, "more than one file sent"))
                raise ValueError("two files")
            self.is_file = True
            self.form.filename = opts.get(b"filename", b"").decode("utf-8", "replace") or None
            self.fh = open(self.dest, "wb")
            self.form.file_path = self.dest
        elif len(self.form.fields) >= _MAX_FIELDS:
            self.errors.append(ApiError(-2, f"more than {_MAX_FIELDS} form fields"))
            raise ValueError("too many fields")

    def on_part_data(self, b: bytes, start: int, end: int) -> None:
        """Part of the part's body: to the file, or kept for the field (within limits)."""
        if self.is_file:
            self.form.file_size += end - start
            if self.form.file_size > self.max_file_bytes:
                self.errors.append(_too_large(self.what, self.max_file_bytes))
                raise ValueError("too large")
            assert self.fh is not None
            self.fh.write(b[start:end])
        else:
            self.data.extend(b[start:end])
            if len(self.data) > FIELDS_MAX_BYTES:
                self.errors.append(ApiError(-2, f"field {self.field!r} is too long", 413))
                raise ValueError("field too long")

    def on_part_end(self) -> None:
        """The part is complete: a field's value must be UTF-8 text."""
        if not self.is_file:
            try:
                self.form.fields[self.field] = self.data.decode("utf-8")
            except UnicodeDecodeError:
                self.errors.append(ApiError(-2, f"field {self.field!r} is not UTF-8 text"))
                raise ValueError("not utf-8") from None


async def _read_multipart(
    boundary: bytes,
    stream: AsyncIterator[bytes],
    dest: Path,
    max_file_bytes: int,
    max_body: int,
    what: str,
) -> Form:
    form = Form()
    parts = _Parts(form, dest, max_file_bytes, what)
    errors = parts.errors
    parser = MultipartParser(boundary, parts.callbacks())
    total = 0
    try:
        try:
            async for chunk in stream:
                total += len(chunk)
                if total > max_body:
                    errors.append(_too_large(what, max_file_bytes))
                    raise ValueError("body too large")
                parser.write(chunk)
            parser.finalize()
        except SlowClientError:
            raise
        except Exception as exc:
            if not errors:
                errors.append(ApiError(-2, f"invalid multipart body: {exc}"))
            if errors[0].status == 413:
                await _drain(stream, total)
            raise errors[0] from None
        finally:
            if parts.fh is not None:
                parts.fh.close()
    except ApiError:
        dest.unlink(missing_ok=True)
        raise
    return form
