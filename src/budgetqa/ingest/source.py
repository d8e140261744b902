"""Getting text out of bytes: encoding detection, binary and empty input."""

from __future__ import annotations

import codecs
from pathlib import Path

import attrs
import regex

from budgetqa.errors import BinaryInputError, EmptyInputError, EncodingError
from budgetqa.inputs import read_capped
from budgetqa.text import split_lines

__all__ = ["SourceText", "decode_bytes", "read_source"]

# Share of control characters above which decoded "text" is taken for binary data.
_CONTROL_SHARE = 0.01
# Control characters other than tab, line feed, carriage return and form feed.
_CONTROL = regex.compile(r"[\p{Cc}--[\t\n\r\f]]", regex.VERSION1)


@attrs.frozen
class SourceText:
    """Decoded input text with its physical lines and the encoding it was read with."""

    path: str
    text: str
    lines: tuple[str, ...]
    encoding: str


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_bytes(data: bytes, path: str) -> SourceText:
    """Decode a budget table's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK.

    Raises:
        EmptyInputError: nothing but white space.
        BinaryInputError: NUL bytes or control characters: not a text file.
        EncodingError: neither UTF-8 nor GB18030 decodes the bytes.
    """
    if not data.strip():
        raise EmptyInputError("the file is empty", path=path)
    text: str
    encoding: str
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = (
            _strict(data[len(codecs.BOM_UTF8) :], "utf-8", path, data_offset=3),
            "utf-8-sig",
        )
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = _strict(data, "utf-16", path), "utf-16"
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise BinaryInputError(
                "binary data (a NUL byte), not a text table", path=path, line=_line_of(data, nul)
            )
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text, encoding = data.decode("gb18030"), "gb18030"
            except UnicodeDecodeError:
                line = _line_of(data, utf8_error.start)
                byte = data[utf8_error.start]
                raise EncodingError(
                    f"unknown encoding: byte 0x{byte:02x} is neither UTF-8 nor GB18030/GBK",
                    path=path,
                    line=line,
                ) from None
    _reject_control_characters(text, path)
    if not text.strip():
        raise EmptyInputError("the file is empty", path=path)
    return SourceText(path=path, text=text, lines=tuple(split_lines(text)), encoding=encoding)


def _strict(data: bytes, encoding: str, path: str, data_offset: int = 0) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start)
        raise EncodingError(
            f"the file starts with a {encoding.upper()} byte-order mark but is not valid"
            f" {encoding.upper()} (byte offset {error.start + data_offset})",
            path=path,
            line=line,
        ) from None


def _reject_control_characters(text: str, path: str) -> None:
    controls = [match.start() for match in _CONTROL.finditer(text)]
    if not controls:
        return
    if "\x00" in text or len(controls) > max(1, int(len(text) * _CONTROL_SHARE)):
        line = text.count("\n", 0, controls[0]) + 1
        raise BinaryInputError(
            "binary data (control characters), not a text table", path=path, line=line
        )


def read_source(path: Path, *, max_bytes: int | None = None) -> SourceText:
    """Read and decode a text file of at most ``max_bytes`` bytes.

    The default limit is :func:`budgetqa.inputs.read_limit` (256 MiB unless an audit sets
    another). Nothing but a regular file is opened: a FIFO or a device is refused by ``stat``
    first, and at most the limit plus one byte is read (see :func:`budgetqa.inputs.read_capped`).

    Raises:
        InputError: no such file, a directory, not a regular file, over the limit, unreadable;
            or the decoding errors of :func:`decode_bytes`.
    """
    return decode_bytes(read_capped(path, max_bytes), str(path))
