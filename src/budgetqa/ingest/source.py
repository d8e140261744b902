"""Getting text out of bytes: encoding detection, binary and empty input."""

from __future__ import annotations

import codecs
from pathlib import Path

import attrs
import regex

from budgetqa.errors import BinaryInputError, EmptyInputError, EncodingError
from budgetqa.inputs import read_capped
from budgetqa.model import NoteKind, ReadNote, SourceSpan
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
    #: What decoding could not take as written: undecodable bytes, or a guessed encoding.
    notes: tuple[ReadNote, ...] = ()


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
            decoded = _mostly_utf8(data, path)
            if decoded is not None:
                text, notes = decoded
                return _source(path, text, "utf-8", notes)
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
            return _source(path, text, encoding, _gb18030_doubt(data, text, path))
    return _source(path, text, encoding, ())


def _source(path: str, text: str, encoding: str, notes: tuple[ReadNote, ...]) -> SourceText:
    _reject_control_characters(text, path)
    if not text.strip():
        raise EmptyInputError("the file is empty", path=path)
    return SourceText(
        path=path, text=text, lines=tuple(split_lines(text)), encoding=encoding, notes=notes
    )


# A file is UTF-8 with damaged bytes, not another encoding, when its valid multi-byte UTF-8
# characters outnumber its invalid bytes by this much: text in another encoding (GBK, say)
# rarely forms valid UTF-8 sequences, and then only short ones.
_UTF8_EVIDENCE = 8
# At most this many damaged lines are noted one by one; the rest are counted in the last note.
_MAX_BYTE_NOTES = 50


def _mostly_utf8(data: bytes, path: str) -> tuple[str, tuple[ReadNote, ...]] | None:
    """The text, with each run of invalid bytes read as U+FFFD and noted, when the bytes are
    UTF-8 with a few damaged bytes; ``None`` when they look like another encoding."""
    escaped = data.decode("utf-8", errors="surrogateescape")  # one pass: bad byte -> U+DCxx
    runs = list(_ESCAPED_BYTES.finditer(escaped))
    damaged = sum(len(run.group(0)) for run in runs)
    valid_multibyte = len(_NON_ASCII.findall(escaped)) - damaged
    if valid_multibyte < _UTF8_EVIDENCE * damaged:
        return None
    by_line: dict[int, list[str]] = {}
    line, counted = 1, 0
    for run in runs:
        line += escaped.count("\n", counted, run.start())
        counted = run.start()
        by_line.setdefault(line, []).append(
            " ".join(f"0x{ord(character) - 0xDC00:02x}" for character in run.group(0))
        )
    notes = [
        ReadNote(
            kind=NoteKind.UNDECODABLE_BYTES,
            span=SourceSpan(path, number, number),
            text=" ".join(shown),
            detail="bytes that are not UTF-8 in a UTF-8 file, each run read as U+FFFD",
        )
        for number, shown in sorted(by_line.items())
    ]
    if len(notes) > _MAX_BYTE_NOTES:
        rest = len(notes) - _MAX_BYTE_NOTES
        notes = notes[:_MAX_BYTE_NOTES]
        notes[-1] = attrs.evolve(
            notes[-1], detail=f"{notes[-1].detail}; the same on {rest} more lines after this one"
        )
    return _ESCAPED_BYTES.sub("\ufffd", escaped), tuple(notes)


_ESCAPED_BYTES = regex.compile(r"[\udc80-\udcff]++")


# GB18030 decodes almost any bytes, so decoding without an error proves little: the text is
# taken for Chinese when it reads as Chinese (common Han characters, CJK punctuation,
# full-width forms), and the guess is noted otherwise.
_COMMON_CJK = regex.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_NON_ASCII = regex.compile(r"[^\x00-\x7f]")
_MIN_CHINESE = 8
_CHINESE_SHARE = 0.95


def _gb18030_doubt(data: bytes, text: str, path: str) -> tuple[ReadNote, ...]:
    foreign = [match.start() for match in _NON_ASCII.finditer(text)]
    chinese = len(_COMMON_CJK.findall(text))
    if len(foreign) >= _MIN_CHINESE and chinese >= _CHINESE_SHARE * len(foreign):
        return ()
    odd = next(
        (offset for offset in foreign if not _COMMON_CJK.match(text, offset)),
        foreign[0] if foreign else 0,
    )
    line = text.count("\n", 0, odd) + 1
    sample = text[odd : odd + 8].split("\n")[0]
    raw = sample.encode("gb18030", errors="replace")[:12]
    return (
        ReadNote(
            kind=NoteKind.ENCODING_GUESS,
            span=SourceSpan(path, line, line),
            text=" ".join(f"0x{byte:02x}" for byte in raw),
            detail=(
                f"the file is not UTF-8 and was read as GB18030, a guess: {chinese} of"
                f" {len(foreign)} non-ASCII characters read as common Chinese text (here: "
                f"{sample!r}); if the text looks garbled, convert the file to UTF-8"
            ),
        ),
    )


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
