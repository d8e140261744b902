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
=============  =====================================================================
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from budgetqa.errors import BinaryInputError, InputError, NotABudgetTableError, UsageError
from budgetqa.ingest.grid import GridRow, read_grid
from budgetqa.ingest.header import header_columns
from budgetqa.ingest.layout_text import looks_like_layout_text, read_layout_text
from budgetqa.ingest.source import SourceText, decode_bytes, read_source
from budgetqa.inputs import check_xlsx_size
from budgetqa.model import Document

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LAYOUTS",
    "is_dataframe",
    "read",
    "read_bytes",
    "read_csv",
    "read_frame",
    "read_layout_text",
    "read_text",
    "read_xlsx",
]

LAYOUTS: tuple[str, ...] = ("tsv", "tsv-ocr", "pdf-text", "csv", "xlsx", "dataframe")
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_CSV_SUFFIXES = frozenset({".csv"})
# A line with this many tabs is a row of cells, not wrapped layout text.
_MIN_TABS = 3


def read(source: str | Path | pd.DataFrame, *, name: str | None = None) -> Document:
    """Read one budget table into a :class:`Document`.

    ``source`` is a path (text, CSV or XLSX, detected) or a pandas DataFrame (``name`` labels
    it in findings; default ``<dataframe>``).

    Raises:
        budgetqa.errors.InputError: the input cannot be read as a budget table; the message
            starts with ``path:line:``.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in _XLSX_SUFFIXES:
            return read_xlsx(path)
        if suffix in _CSV_SUFFIXES:
            return read_csv(path)
        return read_text(read_source(path))
    if is_dataframe(source):
        return read_frame(source, name=name or "<dataframe>")
    msg = f"read() takes a path or a pandas DataFrame, not {type(source).__name__}"
    raise UsageError(msg)


def is_dataframe(value: object) -> bool:
    """True for a pandas DataFrame (checked without importing pandas)."""
    cls = type(value)
    return cls.__name__ == "DataFrame" and cls.__module__.startswith("pandas")


def read_text(source: SourceText) -> Document:
    """Read decoded text: tab-separated rows if the header is tab-separated, else layout text."""
    tabbed = [line for line in source.lines if line.count("\t") >= _MIN_TABS]
    if tabbed and any(_tab_header(line) for line in source.lines):
        rows = [
            GridRow(number, number, tuple(line.split("\t")))
            for number, line in enumerate(source.lines, start=1)
        ]
        return read_grid(
            path=source.path,
            rows=rows,
            total_lines=len(source.lines),
            layout="tsv",
            encoding=source.encoding,
            ocr_layout="tsv-ocr",
            source_lines=source.lines,
        )
    if any(_csv_header(line) for line in source.lines[:_CSV_HEADER_WITHIN]):
        return _read_csv_source(source)  # CSV under another name (.txt, say)
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


def _csv_header(line: str) -> bool:
    if "," not in line:
        return False
    cells = next(csv.reader([line]), [])
    return len(cells) >= _MIN_TABS and header_columns(cells) is not None


def _tab_header(line: str) -> bool:
    return "\t" in line and header_columns(line.split("\t")) is not None


def read_csv(path: Path) -> Document:
    """Read a CSV file (UTF-8 or GB18030) whose columns are the table's."""
    return _read_csv_source(read_source(path))


def _read_csv_source(source: SourceText) -> Document:
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
    return read_grid(
        path=str(path),
        rows=rows,
        total_lines=len(source.lines),
        layout="csv",
        encoding=source.encoding,
    )


def read_xlsx(path: Path) -> Document:
    """Read the first worksheet holding a budget-table header from an XLSX workbook."""
    check_xlsx_size(path)  # a regular file within the byte limit, also unpacked (no zip bomb)
    try:
        from openpyxl import load_workbook
    except ImportError as error:  # pragma: no cover - openpyxl is a core dependency
        raise UsageError("reading XLSX needs openpyxl: pip install openpyxl") from error
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise BinaryInputError(f"not a readable XLSX workbook ({error})", path=str(path)) from None
    try:
        last_error: NotABudgetTableError | None = None
        for sheet in workbook.worksheets:
            rows = [
                GridRow(number, number, tuple(_cell_text(value) for value in values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            try:
                return read_grid(
                    path=f"{path}" if len(workbook.worksheets) == 1 else f"{path}[{sheet.title}]",
                    rows=rows,
                    total_lines=len(rows),
                    layout="xlsx",
                    encoding=None,
                )
            except NotABudgetTableError as error:
                last_error = error
        raise last_error or NotABudgetTableError("the workbook has no worksheet", path=str(path))
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A spreadsheet or DataFrame cell as text; floats go through ``repr`` to stay exact."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: a blank cell in pandas
            return ""
        return format(Decimal(repr(value)), "f")
    return str(value)


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


def read_bytes(data: bytes, *, name: str = "<bytes>") -> Document:
    """Read a text or CSV table given as bytes (encoding detected; CSV when ``name`` ends .csv)."""
    source = decode_bytes(data, name)
    if Path(name).suffix.lower() in _CSV_SUFFIXES:
        return _read_csv_source(source)
    return read_text(source)
