"""Rendering parsed documents: the output of ``budgetqa parse``.

Each format has one place where table text is made safe for its reader: the text summary is
written through :func:`~budgetqa.text.visible_lines` (one line per row, acting characters and
line breaks shown as escapes), JSON through :func:`~budgetqa.text.escape_json_controls` (the
same values, acting characters spelt ``\\uXXXX``), and every CSV cell through :func:`_csv_cell`
(text a spreadsheet would run as a formula is prefixed with ``'``; amounts are never touched).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

import regex

from budgetqa.model import MONEY_COLUMNS, Document, PageUse, format_amount
from budgetqa.report import json_text
from budgetqa.text import escape_json_controls, visible_line, visible_lines

__all__ = ["CSV_COLUMNS", "iter_json", "render_csv", "render_json", "render_text"]

#: Columns of ``budgetqa parse --format csv``, one line per table row.
CSV_COLUMNS: tuple[str, ...] = (
    "path",
    "index",
    "level",
    "name",
    "parent",
    "line",
    "end_line",
    *MONEY_COLUMNS,
    "inferred_columns",
    "goal",
    "indicator_count",
    "indicator_text",
)


def iter_json(documents: Iterable[Document]) -> Iterator[str]:
    """:func:`render_json` in pieces, a document at a time (its data is made when written)."""
    for piece in json_text.iter_json(document.to_dict() for document in documents):
        yield escape_json_controls(piece)  # one acting character is one character: piecewise
    yield "\n"


def render_json(documents: Iterable[Document]) -> str:
    """A JSON array with one object per document (see ``docs/parse.md``)."""
    return "".join(iter_json(documents))


# What Excel and LibreOffice take for the start of a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")


def _csv_cell(value: str | int | Decimal | None) -> str:
    """One CSV cell: numbers as numbers, text as read but never a formula.

    Text starting like a formula gets a leading ``'`` (the spreadsheet convention for "this is
    text"), so ``=1+1`` or ``-SUM(A1)`` in a name shows as written instead of running. Amounts
    and counts are numbers, written as such: ``-12.00`` stays ``-12.00``. A lone surrogate (a
    file name decoded with surrogateescape) cannot be written as UTF-8 and is spelt ``\\udcff``.
    """
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_amount(value) or ""
    if isinstance(value, int):
        return str(value)
    text = _SURROGATE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_record(cells: Sequence[str]) -> str:
    """One CSV record ending in a line feed, every field holding a CR or an LF quoted.

    csv.writer quotes a field holding a character of its line terminator: with ``"\\n"`` it
    would leave a lone CR unquoted, and a reader would end the record there.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + "\n"


def render_csv(documents: Sequence[Document]) -> str:
    """CSV with one record per table row of every document (cells as :func:`_csv_cell` writes)."""
    records = [_csv_record(CSV_COLUMNS)]
    for document in documents:
        for row in document.rows:
            inference = row.column_inference
            cells: list[str | int | Decimal | None] = [
                document.path,
                row.index,
                row.level.value,
                row.name,
                row.parent or "",
                row.span.line,
                row.span.end_line,
                *(row.amount(column) for column in MONEY_COLUMNS),
                "" if inference is None else inference.method,
                row.goal,
                len(row.indicators),
                row.indicator_text,
            ]
            records.append(_csv_record([_csv_cell(cell) for cell in cells]))
    return "".join(records)


def _cell(text: str, width: int) -> str:
    """Pad or cut ``text``, shown as one line, to ``width`` terminal columns (CJK count two)."""
    out = ""
    used = 0
    for char in visible_line(text):
        size = 2 if char >= "\u2e80" else 1
        if used + size > width:
            break
        out += char
        used += size
    return out + " " * max(0, width - used)


def _right(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` terminal columns (CJK characters count two)."""
    used = sum(2 if char >= "\u2e80" else 1 for char in text)
    return " " * max(0, width - used) + text


def render_text(documents: Sequence[Document]) -> str:
    """A readable summary per document: layout, line accounting, and the rows with their lines."""
    out: list[str] = []
    for document in documents:
        if document.layout == "pdf" or (
            document.tables and (len(document.tables) > 1 or document.rows_table is None)
        ):
            out.extend(_pdf_text(document))
            continue
        stats = document.stats
        out.append(f"{document.path}")
        out.append(
            f"  layout {document.layout}"
            f" · department {document.department or '(not given)'}"
            f" · amounts in {document.unit_of_money or '(unit not given)'}"
            + (f" · encoding {document.encoding}" if document.encoding else "")
        )
        out.append(
            f"  rows: {stats.rows_total} total, {stats.rows_unit} units,"
            f" {stats.rows_project} projects · columns inferred for {stats.inferred_rows} rows"
            f" ({stats.ambiguous_rows} ambiguous)"
        )
        out.append(
            f"  lines: {stats.lines} read, {stats.accounted} accounted for"
            f" ({stats.row_lines} in rows, {stats.title_lines} title, {stats.header_lines} header,"
            f" {stats.page_header_lines} page header, {stats.blank_lines} blank,"
            f" {stats.fragment_lines} in fragments)"
        )
        out.append(
            "  "
            + _cell("lines", 11)
            + _cell("level", 8)
            + _cell("name", 40)
            + "".join(
                _right(label, 14) for label in ("总计", "财政拨款", "财政专户拨款", "其他资金")
            )
        )
        for row in document.rows:
            indent = {"total": "", "unit": "", "project": "  "}[row.level.value]
            lines = (
                f"{row.span.line}"
                if row.span.line == row.span.end_line
                else f"{row.span.line}-{row.span.end_line}"
            )
            amounts = "".join(
                f"{format_amount(row.amount(column)) or '—':>14}" for column in MONEY_COLUMNS
            )
            marker = ""
            if row.column_inference is not None and row.column_inference.ambiguous:
                marker = "  ? columns ambiguous"
            out.append(
                "  "
                + _cell(lines, 11)
                + _cell(row.level.value, 8)
                + _cell(indent + row.name, 40)
                + amounts
                + marker
            )
        for fragment in document.fragments:
            out.append(f"  fragment {fragment.span}: {fragment.reason}: {fragment.text[:60]!r}")
        out.append("")
    return visible_lines(out)


def _page_list(pages: Sequence[int]) -> str:
    ranges: list[tuple[int, int]] = []
    for page in pages:
        if ranges and ranges[-1][1] == page - 1:
            ranges[-1] = (ranges[-1][0], page)
        else:
            ranges.append((page, page))
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges) or "none"


def _pdf_text(document: Document) -> list[str]:
    """A whole budget (PDF, or its tables exported as cells): the page or line accounting,
    then each table with its rows."""
    out = [
        document.path,
        f"  layout {document.layout} · department {document.department or '(not given)'}"
        + (f" · {len(document.pages)} pages" if document.pages else "")
        + f" · {len(document.tables)} tables",
    ]
    if document.line_roles:
        stats = document.stats
        out.append(
            f"  lines: {stats.lines} read, {stats.accounted} accounted for"
            f" ({stats.row_lines} in rows, {stats.title_lines} title, {stats.header_lines} header,"
            f" {stats.page_header_lines} page header, {stats.blank_lines} blank)"
        )
    for use in PageUse:
        pages = [role.page for role in document.pages if role.use is use]
        if pages:
            out.append(f"  {use.value} pages: {_page_list(pages)}")
    for number, table in enumerate(document.tables, start=1):
        first, last = table.pages or table.lines or (0, 0)
        noun = "page" if table.pages else "line"
        where = f"{noun} {first}" if first == last else f"{noun}s {first}–{last}"
        verdict = (
            "read"
            if table.established
            else "NOT ESTABLISHED: " + "; ".join(detail for _, detail in table.problems)
        )
        out.append("")
        out.append(
            f"  table {number}: {visible_line(table.title) or '(untitled)'} · {table.kind}"
            f" · {where} · {table.unit_of_money or '(unit not given)'} · {len(table.rows)} rows"
            f" · {verdict}"
        )
        if table.note:
            out.append(f"    note: {visible_line(table.note)}")
        money = table.money_columns
        out.append(
            "    "
            + _cell("page" if document.pages else "line", 6)
            + _cell("code", 9)
            + _cell("name", 34)
            + "".join(_right(visible_line(column.header)[-12:], 14) for column in money)
        )
        for row in table.rows:
            pad = (
                " "
                * 14
                * sum(
                    1
                    for column in money
                    if row.side is not None
                    and column.side != row.side
                    and money.index(column) < len(money)
                    and column.side == "income"
                )
            )
            amounts = pad + "".join(f"{format_amount(amount) or '—':>14}" for amount in row.amounts)
            out.append(
                "    "
                + _cell(str(row.page or row.line), 6)
                + _cell(row.code or "", 9)
                + _cell("  " * max(row.level, 0) + visible_line(row.name), 34)
                + amounts
            )
    out.append("")
    return out
