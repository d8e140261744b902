"""The reading stage: any supported input in, one canonical :class:`~budgetqa.model.Document` out.

:func:`read` picks the reader from the file's suffix and content:

=============  =====================================================================
layout         input
=============  =====================================================================
``tsv``        clean tab-separated rows (one table row per line)
``tsv-ocr``    tab-separated rows from OCR: cells missing, stray spaces in numbers
``pdf-text``   text pulled out of a PDF: cells wrapped over lines, page headers
``csv``        a CSV file with the table's columns
``xlsx``       the first worksheet of an Excel workbook holding the table's columns
``dataframe``  a pandas DataFrame with the table's columns
``pdf``        a whole budget PDF with a text layer: every table in it (``Document.tables``)
=============  =====================================================================
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from budgetqa.errors import InputError, NotABudgetTableError, UsageError
from budgetqa.ingest.grid import GridRow, has_header, read_grid
from budgetqa.ingest.header import header_columns
from budgetqa.ingest.layout_text import looks_like_layout_text, read_layout_text
from budgetqa.ingest.source import SourceText, decode_bytes, read_source
from budgetqa.ingest.xlsx import _cell_text, read_xlsx
from budgetqa.inputs import read_capped
from budgetqa.model import Document, NoteKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pandas as pd

    from budgetqa.profiles import Profiles

__all__ = [
    "LAYOUTS",
    "is_dataframe",
    "read",
    "read_bytes",
    "read_csv",
    "read_frame",
    "read_layout_text",
    "read_pdf_file",
    "read_text",
    "read_xlsx",
]

LAYOUTS: tuple[str, ...] = ("tsv", "tsv-ocr", "pdf-text", "csv", "xlsx", "dataframe", "pdf")
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_CSV_SUFFIXES = frozenset({".csv"})
_PDF_SUFFIXES = frozenset({".pdf"})
# A line with this many tabs is a row of cells, not wrapped layout text.
_MIN_TABS = 3


def read(
    source: str | Path | pd.DataFrame,
    *,
    name: str | None = None,
    profiles: Profiles | Iterable[str | Path] | None = None,
) -> Document:
    """Read one budget table into a :class:`Document`.

    ``source`` is a path (text, CSV or XLSX, detected) or a pandas DataFrame (``name`` labels
    it in findings; default ``<dataframe>``). ``profiles`` recognise the tables of a PDF (see
    :func:`budgetqa.profiles.resolve_profiles`; by default the shipped ones).

    Raises:
        budgetqa.errors.InputError: the input cannot be read as a budget table; the message
            starts with ``path:line:``.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in _XLSX_SUFFIXES:
            return read_xlsx(path, profiles)
        if suffix in _CSV_SUFFIXES:
            return read_csv(path, profiles)
        if suffix in _PDF_SUFFIXES:
            return read_pdf_file(path, profiles)
        return read_text(read_source(path), profiles)
    if is_dataframe(source):
        return read_frame(source, name=name or "<dataframe>")
    msg = f"read() takes a path or a pandas DataFrame, not {type(source).__name__}"
    raise UsageError(msg)


def read_pdf_file(path: Path, profiles: Profiles | Iterable[str | Path] | None = None) -> Document:
    """Read every table of a budget PDF (bytes capped like every input).

    Raises:
        budgetqa.ingest.pdf_geometry.PdfError: damaged, encrypted or empty PDF, or no page
            with a text layer (scanned: run OCR first).
    """
    from budgetqa.ingest.pdf_geometry import read_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages
    from budgetqa.profiles import resolve_profiles

    chosen = resolve_profiles(profiles)  # a bad profile file is misuse: before any reading
    return read_pdf_pages(str(path), read_pages(path, read_capped(path)), chosen)


def is_dataframe(value: object) -> bool:
    """True for a pandas DataFrame (checked without importing pandas)."""
    cls = type(value)
    return cls.__name__ == "DataFrame" and cls.__module__.startswith("pandas")


def read_text(
    source: SourceText, profiles: Profiles | Iterable[str | Path] | None = None
) -> Document:
    """Read decoded text: tab-separated rows if the header is tab-separated, else layout text.

    Raises:
        NotABudgetTableError: no column header; when the encoding was a guess, the message
            says so (a header garbled by the wrong encoding is never read as "no table").
    """
    try:
        return _read_decoded(source, profiles)
    except NotABudgetTableError as error:
        guess = next((note for note in source.notes if note.kind is NoteKind.ENCODING_GUESS), None)
        if guess is None:
            raise
        raise NotABudgetTableError(
            f"{error.reason}; note: {guess.detail}", path=error.path, line=error.line
        ) from None


def _read_decoded(source: SourceText, profiles: Profiles | Iterable[str | Path] | None) -> Document:
    tabbed = any(line.count("\t") >= _MIN_TABS for line in source.lines)
    # a standard table may have as few as three columns (科目编码, 科目名称, 合计)
    cells = tabbed or any(line.count("\t") >= _MIN_TABS - 1 for line in source.lines)
    rows = (
        [
            GridRow(number, number, tuple(line.split("\t")))
            for number, line in enumerate(source.lines, start=1)
        ]
        if cells
        else []
    )
    if has_header(rows):  # a header row, or two (a group label over funding columns)
        return read_grid(
            path=source.path,
            rows=rows,
            total_lines=len(source.lines),
            layout="tsv",
            encoding=source.encoding,
            ocr_layout="tsv-ocr",
            source_lines=source.lines,
            notes=source.notes,
        )
    if cells and (tables := _standard_tables(source, rows, "tsv", profiles)) is not None:
        return tables
    if any(_csv_header(line) for line in source.lines[:_CSV_HEADER_WITHIN]):
        return _read_csv_source(source, profiles)  # CSV under another name (.txt, say)
    if looks_like_layout_text(source.lines):
        return read_layout_text(source)
    first = next((i for i, line in enumerate(source.lines, start=1) if line.strip()), 1)
    raise NotABudgetTableError(
        "not a budget table: no column header (项目名称 … 总计 … 财政拨款 …) found",
        path=source.path,
        line=first,
    )


# A CSV file named otherwise is recognised by a comma-separated header near its top.
_CSV_HEADER_WITHIN = 30


# A header line is short; a longer line is not parsed as a possible CSV header at all.
_LONGEST_HEADER_LINE = 2_000


def _csv_header(line: str) -> bool:
    if "," not in line or len(line) > _LONGEST_HEADER_LINE:
        return False
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        return False
    return len(cells) >= _MIN_TABS and header_columns(cells) is not None


def read_csv(path: Path, profiles: Profiles | Iterable[str | Path] | None = None) -> Document:
    """Read a CSV file (UTF-8 or GB18030): a project table whose columns are the table's, or
    the standard tables of a budget (see :mod:`budgetqa.ingest.cell_tables`)."""
    return _read_csv_source(read_source(path), profiles)


def _read_csv_source(
    source: SourceText, profiles: Profiles | Iterable[str | Path] | None = None
) -> Document:
    path = source.path
    reader = csv.reader(io.StringIO(source.text, newline=""))
    rows: list[GridRow] = []
    previous_end = 0
    try:
        for cells in reader:
            end = reader.line_num
            rows.append(GridRow(previous_end + 1, max(end, previous_end + 1), tuple(cells)))
            previous_end = end
    except csv.Error as error:
        raise InputError(f"malformed CSV: {error}", path=str(path), line=reader.line_num) from None
    try:
        return read_grid(
            path=str(path),
            rows=rows,
            total_lines=len(source.lines),
            layout="csv",
            encoding=source.encoding,
            notes=source.notes,
        )
    except NotABudgetTableError:
        tables = _standard_tables(source, rows, "csv", profiles)
        if tables is None:
            raise
        return tables


def _standard_tables(
    source: SourceText,
    rows: Sequence[GridRow],
    layout: str,
    profiles: Profiles | Iterable[str | Path] | None,
) -> Document | None:
    """The standard tables (收支总表, 支出总表 …) in the rows of a CSV or TSV file, or ``None``."""
    from budgetqa.ingest.cell_tables import Sheet, read_cell_tables
    from budgetqa.profiles import resolve_profiles

    return read_cell_tables(
        source.path,
        [Sheet(1, None, tuple(rows))],
        layout=layout,
        encoding=source.encoding,
        total_lines=len(source.lines),
        source_lines=source.lines,
        notes=source.notes,
        profiles=resolve_profiles(profiles),
    )


def read_frame(frame: pd.DataFrame, *, name: str = "<dataframe>") -> Document:
    """Read a pandas DataFrame whose columns are the table's (Chinese labels or canonical keys).

    Line numbers are the frame's row positions plus one (line 1 is the header).
    """
    header = GridRow(1, 1, tuple(str(column) for column in frame.columns))
    rows = [header]
    for position, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        rows.append(GridRow(position, position, tuple(_frame_cell(value) for value in values)))
    return read_grid(path=name, rows=rows, total_lines=len(rows), layout="dataframe", encoding=None)


def _frame_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return _cell_text(value)
    if type(value).__name__ in {"NAType", "NaTType"}:
        return ""
    return str(value)


def read_bytes(
    data: bytes,
    *,
    name: str = "<bytes>",
    profiles: Profiles | Iterable[str | Path] | None = None,
) -> Document:
    """Read a text or CSV table given as bytes (encoding detected; CSV when ``name`` ends .csv)."""
    source = decode_bytes(data, name)
    if Path(name).suffix.lower() in _CSV_SUFFIXES:
        return _read_csv_source(source, profiles)
    return read_text(source, profiles)
