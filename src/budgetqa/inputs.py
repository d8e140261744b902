"""What the paths a user names stand for, and reading their bytes within a limit.

Every front door (:func:`budgetqa.audit`, ``budgetqa audit``/``parse``, the pytest plugin) turns
the paths it is given into table files with :func:`expand_inputs`, so they agree on what a folder
holds and on what is not audited and why:

- A folder stands for the files under it whose names end in one of :data:`TABLE_SUFFIXES`,
  depth first, sorted by name at each level (the order of ``sorted(folder.rglob("*"))``).
  Symbolic links to folders are followed; a folder reached again (a link cycle, a link to a
  folder already walked, a folder named twice) is walked once. A file reached by more than one
  name (a link, a hard link, named twice) is read once, under the first name.
- A file named directly is read whatever its name ends in (the readers recognise the content).
- Files under a folder that are not table files by name are not errors; they are counted per
  folder as :class:`~budgetqa.findings.SkippedFiles`.
- Everything else is listed as not audited, with the reason, as a
  :class:`~budgetqa.findings.ReadFailure` whose message starts with the path: a path that does
  not exist, a dangling link or link loop, a folder that cannot be listed, a folder named with no
  table file under it, a FIFO, socket or device (named, or under a folder with a table suffix),
  and a file larger than the byte limit. The rest is still audited.

Nothing here opens a file that is not a regular file: the type is checked by ``stat`` before any
``open``, and the file is then opened without blocking and checked again, so a FIFO put in a
file's place cannot hang a run. :func:`read_capped` reads at most the limit plus one byte.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct
from collections import Counter
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO

import attrs
import regex

from budgetqa.errors import InputError, UsageError
from budgetqa.findings import ReadFailure, SkippedFiles

__all__ = [
    "DEFAULT_MAX_BYTES",
    "TABLE_SUFFIXES",
    "XLSX_UNPACKED_FACTOR",
    "Expansion",
    "check_xlsx_size",
    "expand_inputs",
    "format_size",
    "parse_size",
    "read_capped",
    "read_limit",
    "reading_limit",
]

#: Name endings (compared lower-cased) of the files a folder stands for.
TABLE_SUFFIXES: tuple[str, ...] = (".txt", ".tsv", ".csv", ".xlsx", ".xlsm", ".pdf")

#: Bytes read from one input at most, unless the caller sets another limit.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

#: A workbook whose parts declare more than this many times the byte limit, unpacked, is refused.
XLSX_UNPACKED_FACTOR = 4

_LIMIT_HINT = "--max-bytes"
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = regex.compile(r"\s*([0-9]+)\s*(?:([kmgt])(?:i?b)?|b)?\s*", regex.IGNORECASE)
# Growth beyond the size stat reported is read in pieces of this size.
_CHUNK = 1024 * 1024
# The limit readers apply when their caller gives none; audit() sets it for the files it reads.
_READ_LIMIT: ContextVar[int] = ContextVar("budgetqa_read_limit", default=DEFAULT_MAX_BYTES)


# Sizes ------------------------------------------------------------------------------------------


def parse_size(text: object) -> int:
    """A byte count from ``268435456``, ``"64K"``, ``"64M"``, ``"1G"`` (also ``64MiB``, ``64MB``).

    The units are binary (``1M`` is 1,048,576 bytes). Raises :class:`ValueError` for anything
    else and for sizes below one byte.
    """
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif match is not None:
        value = int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    else:
        raise ValueError(f"expected a size such as 268435456 or 256M, not {text!r}")
    if value < 1:
        raise ValueError(f"a size must be at least 1 byte, not {text!r}")
    return value


def format_size(size: int) -> str:
    """``268435456`` as ``256 MiB``; sizes that are not a whole number of KiB in bytes."""
    for unit, name in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes" if size != 1 else "1 byte"


def read_limit() -> int:
    """The byte limit readers apply when their caller gives none (see :func:`reading_limit`)."""
    return _READ_LIMIT.get()


@contextlib.contextmanager
def reading_limit(max_bytes: int) -> Iterator[None]:
    """Within the block, readers called without a limit read at most ``max_bytes`` per input.

    The setting follows the calling thread and the worker processes it forks; other threads and
    spawned processes keep their own.
    """
    token = _READ_LIMIT.set(max_bytes)
    try:
        yield
    finally:
        _READ_LIMIT.reset(token)


# One file ---------------------------------------------------------------------------------------

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "neither a file nor a folder")
    return f"not a regular file ({kind})"


def _too_large(size: int | None, limit: int) -> str:
    of = "" if size is None else f" ({format_size(size)})"
    return f"the file{of} is larger than the {format_size(limit)} limit ({_LIMIT_HINT})"


def _missing(path: Path) -> str:
    """Why ``stat`` found nothing at ``path``: no such path, or a link to nothing."""
    try:
        target = os.readlink(path)
    except OSError:
        return "no such file or folder"
    return f"a dangling symbolic link (to {target}, which does not exist)"


def _stat_error(path: Path, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return _missing(path)
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    return f"cannot read: {error.strerror or error}"


def _stat_file(path: Path, limit: int) -> os.stat_result:
    """``stat`` of a file that may be opened: it exists, is regular and within ``limit`` bytes."""
    try:
        status = os.stat(path)
    except OSError as error:
        raise InputError(_stat_error(path, error), path=str(path)) from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError("is a directory, not a table file", path=str(path))
    if not stat.S_ISREG(status.st_mode):
        raise InputError(_not_regular(status.st_mode), path=str(path))
    if status.st_size > limit:
        raise InputError(_too_large(status.st_size, limit), path=str(path))
    return status


@contextlib.contextmanager
def _open_regular(path: Path, limit: int) -> Iterator[tuple[IO[bytes], os.stat_result]]:
    """Open a regular file for reading, never blocking on a FIFO swapped in after the check."""
    _stat_file(path, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(_stat_error(path, error), path=str(path)) from None
    with open(descriptor, "rb") as handle:
        # What was opened is what counts: the path may have changed since the stat above.
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise InputError(_not_regular(status.st_mode), path=str(path))
        if status.st_size > limit:
            raise InputError(_too_large(status.st_size, limit), path=str(path))
        yield handle, status


def read_capped(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``: at most ``max_bytes`` (default: the read limit).

    The file's type and size are checked by ``stat`` before it is opened, and it is opened
    without blocking, so a FIFO or a device is refused rather than read. A file that grows past
    the limit while it is read is refused after reading the limit plus one byte.

    Raises:
        InputError: no such file, a directory, not a regular file, larger than the limit, or an
            operating-system error while reading; the message starts with the path.
    """
    limit = read_limit() if max_bytes is None else max_bytes
    with _open_regular(path, limit) as (handle, status):
        try:
            # One read of the size stat gave (plus one byte to notice growth): no copying for
            # the usual file; a file that grew, or reports no size (/proc), is read on in chunks.
            wanted = min(status.st_size + 1, limit + 1)
            data = handle.read(wanted)
            if len(data) == wanted <= limit:
                parts = [data]
                total = len(data)
                while total <= limit:
                    chunk = handle.read(min(_CHUNK, limit + 1 - total))
                    if not chunk:
                        break
                    parts.append(chunk)
                    total += len(chunk)
                data = b"".join(parts)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", path=str(path)) from None
    if len(data) > limit:
        raise InputError(_too_large(None, limit), path=str(path))
    return data


def check_xlsx_size(path: Path, max_bytes: int | None = None) -> None:
    """Refuse a workbook too large to read: by file size, or unpacked (a zip bomb).

    The file must be a regular file within ``max_bytes`` (default: :func:`read_limit`), and the
    uncompressed sizes its parts declare must add up to at most :data:`XLSX_UNPACKED_FACTOR`
    times that. Python's zip reader never unpacks more than a part declares, so the declared
    sizes bound what reading the workbook can unpack. A file that is not a zip archive passes:
    the XLSX reader says what is wrong with it.

    Raises:
        InputError: the file is missing, not a regular file, or too large; the message starts
            with the path.
    """
    import zipfile  # here: only workbooks need it

    limit = read_limit() if max_bytes is None else max_bytes
    with _open_regular(path, limit) as (handle, _status):
        try:
            with zipfile.ZipFile(handle) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
            return
    if unpacked > XLSX_UNPACKED_FACTOR * limit:
        raise InputError(
            f"the workbook unpacks to {format_size(unpacked)}, more than"
            f" {XLSX_UNPACKED_FACTOR} times the {format_size(limit)} limit ({_LIMIT_HINT})",
            path=str(path),
        )


# Many paths -------------------------------------------------------------------------------------


@attrs.frozen
class Expansion:
    """What a list of inputs stands for.

    ``items`` holds the inputs to read in order: each folder replaced by its table files, each
    path as a :class:`~pathlib.Path`, anything that is not a path (a Document, a DataFrame) as
    given. ``not_audited`` says why each other named path, or path found in a folder, is not
    among them; ``skipped`` counts the files in folders that are not table files by name.
    """

    items: tuple[object, ...]
    not_audited: tuple[ReadFailure, ...] = ()
    skipped: tuple[SkippedFiles, ...] = ()

    @property
    def paths(self) -> list[Path]:
        """The files to read (the items that are paths)."""
        return [item for item in self.items if isinstance(item, Path)]


_Key = tuple[int, int]


def _key(status: os.stat_result) -> _Key:
    return (status.st_dev, status.st_ino)


def _is_table(name: str) -> bool:
    return name.lower().endswith(TABLE_SUFFIXES)


@attrs.define
class _Folder:
    """A folder being walked: its entries still to look at, and the table files found under it."""

    path: Path
    key: _Key
    entries: Iterator[os.DirEntry[str]]
    tables: int = 0


@attrs.define
class _Walk:
    """The state of one expansion: what was found, refused and counted, and what was seen."""

    max_bytes: int
    items: list[object] = attrs.field(factory=list)
    not_audited: list[ReadFailure] = attrs.field(factory=list)
    skipped: list[SkippedFiles] = attrs.field(factory=list)
    refused: set[ReadFailure] = attrs.field(factory=set)
    files_seen: set[_Key] = attrs.field(factory=set)
    # Table files found under each folder walked (at any depth), to answer "is it empty?" for a
    # folder named after it was walked under another name.
    folders_seen: dict[_Key, int] = attrs.field(factory=dict)

    def refuse(self, path: Path, reason: str) -> None:
        error = InputError(reason, path=str(path))
        failure = ReadFailure(path=str(path), error=str(error), kind=type(error).__name__)
        if failure not in self.refused:  # found in a folder and named as well: once
            self.refused.add(failure)
            self.not_audited.append(failure)

    def add_file(self, path: Path, status: os.stat_result) -> None:
        if status.st_size > self.max_bytes:
            self.refuse(path, _too_large(status.st_size, self.max_bytes))
        elif _key(status) not in self.files_seen:
            self.files_seen.add(_key(status))
            self.items.append(path)

    def named(self, given: Path) -> None:
        try:
            status = os.stat(given)
        except OSError as error:
            self.refuse(given, _stat_error(given, error))
            return
        if stat.S_ISREG(status.st_mode):
            self.add_file(given, status)
        elif not stat.S_ISDIR(status.st_mode):
            self.refuse(given, _not_regular(status.st_mode))
        elif _key(status) in self.folders_seen:
            if self.folders_seen[_key(status)] == 0:
                self.refuse(given, _no_tables(0))
        else:
            refused = len(self.not_audited)
            other: Counter[str] = Counter()
            tables = self.walk(given, _key(status), other)
            if other:
                by_suffix = dict(sorted(other.items(), key=lambda pair: (-pair[1], pair[0])))
                self.skipped.append(SkippedFiles(str(given), other.total(), by_suffix))
            # A folder whose every problem is listed already is not also called empty.
            if tables == 0 and len(self.not_audited) == refused:
                self.refuse(given, _no_tables(other.total()))

    def walk(self, root: Path, key: _Key, other: Counter[str]) -> int:
        """Walk ``root`` depth first in name order; return how many table files are under it.

        An explicit stack, not recursion: folders may nest deeper than Python's recursion limit.
        """
        stack: list[_Folder] = []
        opened = self.open_folder(root, key)
        if opened is None:
            return 0
        stack.append(opened)
        while stack:
            folder = stack[-1]
            entry = next(folder.entries, None)
            if entry is None:
                stack.pop()
                self.folders_seen[folder.key] = folder.tables
                if stack:
                    stack[-1].tables += folder.tables
                continue
            path = folder.path / entry.name
            try:
                status = entry.stat()  # follows a symbolic link
            except OSError as error:
                self.refuse(path, _stat_error(path, error))
                continue
            if stat.S_ISDIR(status.st_mode):
                seen = self.folders_seen.get(_key(status))
                if seen is not None:  # a cycle (still being walked: 0) or walked already
                    folder.tables += seen
                    continue
                inner = self.open_folder(path, _key(status))
                if inner is not None:
                    stack.append(inner)
            elif _is_table(entry.name):
                folder.tables += 1
                if stat.S_ISREG(status.st_mode):
                    self.add_file(path, status)
                else:
                    self.refuse(path, _not_regular(status.st_mode))
            else:
                other[Path(entry.name).suffix.lower()] += 1
        return self.folders_seen[key]

    def open_folder(self, path: Path, key: _Key) -> _Folder | None:
        self.folders_seen[key] = 0  # being walked: a link back to it adds nothing
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self.refuse(path, f"cannot read the folder: {error.strerror or error}")
            return None
        return _Folder(path=path, key=key, entries=iter(entries))


def _no_tables(others: int) -> str:
    found = f"; {others} other file{'s' if others != 1 else ''} skipped" if others else ""
    return f"no table files ({', '.join(TABLE_SUFFIXES)}) in this folder{found}"


def expand_inputs(sources: Iterable[object], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Expansion:
    """Expand the inputs a user named: folders into table files, and why anything is left out.

    ``sources`` are paths (``str`` or path-like) and other inputs (Documents, DataFrames), which
    pass through as they are. See the module's docstring for what a folder stands for and what
    is listed as not audited. Files larger than ``max_bytes`` are listed as not audited here,
    by ``stat``, before anything is opened.
    """
    if max_bytes < 1:
        raise UsageError(f"max_bytes must be at least 1, not {max_bytes}")
    walk = _Walk(max_bytes=max_bytes)
    for source in sources:
        if isinstance(source, str | os.PathLike):
            walk.named(Path(source))
        else:
            walk.items.append(source)
    return Expansion(
        items=tuple(walk.items), not_audited=tuple(walk.not_audited), skipped=tuple(walk.skipped)
    )
