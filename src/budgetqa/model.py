"""The canonical table every reader produces and every check consumes.

All classes are frozen and slotted: a :class:`Document` is a value, safe to share between checks,
engines and threads. Money is :class:`decimal.Decimal`, or ``None`` for a blank cell (a blank is
not a zero: the published table left it empty). Line numbers are 1-based physical lines of the
input file (for a spreadsheet, its row numbers; for a DataFrame, its position plus one for the
header).
"""

from __future__ import annotations

import contextlib
import decimal
import enum
import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs

from budgetqa.text import MAX_AMOUNT_DIGITS, join_wrapped

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMN_LABELS",
    "FUNDING_COLUMNS",
    "MAX_AMOUNT_DIGITS",
    "MONEY_COLUMNS",
    "MONEY_CONTEXT",
    "PARSE_SCHEMA_VERSION",
    "Column",
    "ColumnInference",
    "ColumnRole",
    "Document",
    "DocumentStats",
    "Fragment",
    "Indicator",
    "Level",
    "LineRole",
    "NoteKind",
    "PageRole",
    "PageUse",
    "ReadNote",
    "Relation",
    "Row",
    "SourceSpan",
    "StructureProblem",
    "Table",
    "TableRow",
    "Term",
    "TextPiece",
    "format_amount",
    "in_money_context",
    "money_context",
]

#: The four money columns, in the order the published tables print them.
#: Version of the parse output (``Document.to_dict``, ``budgetqa parse --format json``):
#: 1.x keys are only ever added; a key removed or changed in meaning makes it 2.0.
#: 1.1 added ``tables``, ``rows_table``, ``pages`` and each row's ``page``.
PARSE_SCHEMA_VERSION = "1.1"

MONEY_COLUMNS: tuple[str, ...] = (
    "total",
    "fiscal_appropriation",
    "special_account",
    "other_funds",
)
#: The funding columns that should add up to ``total``.
FUNDING_COLUMNS: tuple[str, ...] = MONEY_COLUMNS[1:]
#: The printed label of each money column.
COLUMN_LABELS: dict[str, str] = {
    "total": "总计",
    "fiscal_appropriation": "财政拨款",
    "special_account": "财政专户拨款",
    "other_funds": "其他资金",
}

_CENT = Decimal("0.01")
_P = ParamSpec("_P")
_R = TypeVar("_R")

#: Decimal arithmetic for money: wide enough that sums of any number of in-range amounts are
#: exact (Python's default context keeps 28 digits, which rounds a 29-digit sum), and strict:
#: an operation that would round or overflow raises instead of giving a wrong figure.
MONEY_CONTEXT = decimal.Context(
    prec=2 * MAX_AMOUNT_DIGITS + 20,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def money_context() -> contextlib.AbstractContextManager[decimal.Context]:
    """A context manager running Decimal arithmetic in :data:`MONEY_CONTEXT`.

    Readers, checks and engines do their sums inside it; a caller's own decimal context is
    restored on the way out.
    """
    return decimal.localcontext(MONEY_CONTEXT)


def in_money_context(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator: ``function`` runs inside :func:`money_context`."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with money_context():
            return function(*args, **kwargs)

    return wrapper


def format_amount(value: Decimal | None) -> str | None:
    """Render an amount as a string with two decimals (``None`` stays ``None``)."""
    if value is None:
        return None
    if value == value.quantize(_CENT, context=MONEY_CONTEXT):
        return f"{value:.2f}"
    return str(value)  # more precision than cents was published: keep it, do not round


class Level(enum.StrEnum):
    """Where a row sits in the table's hierarchy."""

    TOTAL = "total"
    UNIT = "unit"
    PROJECT = "project"


class LineRole(enum.StrEnum):
    """What an input line was taken to be; every line gets exactly one role."""

    ROW = "row"
    TITLE = "title"
    HEADER = "header"
    PAGE_HEADER = "page_header"
    BLANK = "blank"
    FRAGMENT = "fragment"


@attrs.frozen
class SourceSpan:
    """Where something came from: a path and an inclusive range of 1-based lines.

    For PDF input ``page`` is the page (1-based) and the lines are lines on that page.
    """

    path: str
    line: int
    end_line: int
    page: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.line < 1 or self.end_line < self.line:
            msg = (
                "SourceSpan needs 1 <= line <= end_line, "
                f"got line={self.line} end_line={self.end_line}"
            )
            raise ValueError(msg)

    def __str__(self) -> str:
        if self.page is not None:
            return f"{self.path}:page {self.page}"
        if self.end_line == self.line:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}-{self.end_line}"


@attrs.frozen
class TextPiece:
    """A piece of raw text as it stood on one physical line."""

    line: int
    text: str


@attrs.frozen
class Indicator:
    """One performance indicator (绩效指标) parsed from a row's indicator text.

    ``category``/``subcategory`` are the level-1 and level-2 indicator categories
    (e.g. ``产出指标`` / ``数量指标``); their numeric codes (``1``/``11``) are kept apart.
    ``period_value`` is 实施周期指标值, ``annual_value`` 年度指标值; ``None`` where the text does
    not give one. ``raw`` is the indicator's text as published (wraps joined).
    """

    number: int
    name: str
    category: str | None
    category_code: str | None
    subcategory: str | None
    subcategory_code: str | None
    period_value: str | None
    annual_value: str | None
    raw: str
    span: SourceSpan

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": self.category,
            "category_code": self.category_code,
            "subcategory": self.subcategory,
            "subcategory_code": self.subcategory_code,
            "name": self.name,
            "period_value": self.period_value,
            "annual_value": self.annual_value,
            "line": self.span.line,
            "end_line": self.span.end_line,
        }


@attrs.frozen
class ColumnInference:
    """How the money figures of a row were placed in columns when the layout could not say.

    Layout text drops blank money cells and OCR drops empty cells, so ``10.00 10.00`` may be
    总计 and any one of the three funding columns. ``method`` is ``"sums"`` when the hierarchy's
    sums chose the placement and ``"header_order"`` when nothing in the sums could tell and the
    earliest columns in header order were taken. ``candidates`` counts the placements the
    layout allowed; ``consistent`` how many of them fit the sums equally well (more than one:
    the placement is a guess, see ``ambiguous``).
    """

    method: str
    candidates: int
    consistent: int
    columns: tuple[str, ...]
    #: Money columns whose figure differs between the placements that remain possible after a
    #: bounded search (a large unit whose sums it could not make agree): the table does not say
    #: what this row has in them, so sums over these columns are not checked.
    uncertain: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.consistent > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "candidates": self.candidates,
            "consistent": self.consistent,
            "columns": list(self.columns),
            "uncertain": list(self.uncertain),
            "ambiguous": self.ambiguous,
        }


def _join_pieces(pieces: Sequence[TextPiece]) -> str:
    return join_wrapped([piece.text for piece in pieces])


@attrs.frozen
class Row:
    """One row of the canonical table: the 合计 total, a spending unit, or a project."""

    index: int
    level: Level
    name: str
    parent: str | None
    parent_index: int | None
    total: Decimal | None
    fiscal_appropriation: Decimal | None
    special_account: Decimal | None
    other_funds: Decimal | None
    span: SourceSpan
    name_pieces: tuple[TextPiece, ...] = ()
    goal_pieces: tuple[TextPiece, ...] = ()
    indicator_pieces: tuple[TextPiece, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    raw_amounts: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)
    column_inference: ColumnInference | None = None
    missing_cells: int = 0
    goal: str = attrs.field(default="")
    indicator_text: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        # goal and indicator_text are derived from the pieces unless given explicitly.
        if not self.goal and self.goal_pieces:
            object.__setattr__(self, "goal", _join_pieces(self.goal_pieces))
        if not self.indicator_text and self.indicator_pieces:
            object.__setattr__(self, "indicator_text", _join_pieces(self.indicator_pieces))

    @property
    def raw_name(self) -> str:
        """The name as printed, its wrapped pieces joined by newlines."""
        return "\n".join(piece.text for piece in self.name_pieces) or self.name

    def amount(self, column: str) -> Decimal | None:
        """The amount in one of :data:`MONEY_COLUMNS`."""
        if column not in MONEY_COLUMNS:
            msg = f"unknown money column {column!r}; expected one of {', '.join(MONEY_COLUMNS)}"
            raise KeyError(msg)
        value: Decimal | None = getattr(self, column)
        return value

    @property
    def amounts(self) -> tuple[Decimal | None, ...]:
        return tuple(self.amount(column) for column in MONEY_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready data (money as two-decimal strings)."""
        return {
            "index": self.index,
            "level": self.level.value,
            "name": self.name,
            "raw_name": self.raw_name,
            "parent": self.parent,
            "line": self.span.line,
            "end_line": self.span.end_line,
            "page": self.span.page,
            **{column: format_amount(self.amount(column)) for column in MONEY_COLUMNS},
            "raw_amounts": list(self.raw_amounts),
            "column_inference": (
                None if self.column_inference is None else self.column_inference.to_dict()
            ),
            "missing_cells": self.missing_cells,
            "goal": self.goal,
            "indicator_text": self.indicator_text,
            "indicators": [indicator.to_dict() for indicator in self.indicators],
        }


@attrs.frozen
class Fragment:
    """Input text that belongs to no row: kept, with its place and why it was left over."""

    text: str
    span: SourceSpan
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "line": self.span.line,
            "end_line": self.span.end_line,
            "reason": self.reason,
        }


class NoteKind(enum.StrEnum):
    """What a reader could not read exactly as written, and said so (see :class:`ReadNote`)."""

    #: Bytes the file's encoding cannot decode; read as U+FFFD (the rest of the line is kept).
    UNDECODABLE_BYTES = "undecodable_bytes"
    #: The encoding was chosen on thin evidence; the text may be mojibake.
    ENCODING_GUESS = "encoding_guess"
    #: A spreadsheet formula saved without its value, computed by budgetqa from the cells.
    FORMULA_COMPUTED = "formula_computed"
    #: A spreadsheet formula saved without its value that budgetqa could not compute.
    FORMULA_WITHOUT_VALUE = "formula_without_value"
    #: A money cell whose number has more digits than any budget figure.
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"


@attrs.frozen
class ReadNote:
    """Something a reader met in the input and could not take exactly as written.

    ``text`` is what the input holds there (the bytes, the formula, the digits), ``detail``
    what the reader did with it. Notes become findings (rules with check kind ``read_note``),
    so nothing is read differently from how it was written without the report saying so.
    """

    kind: NoteKind
    span: SourceSpan
    text: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "line": self.span.line,
            "end_line": self.span.end_line,
            "text": self.text,
            "detail": self.detail,
        }


class ColumnRole(enum.StrEnum):
    """What a table column holds."""

    CODE = "code"  #: a classification code (功能分类 201/20101/2010101, 经济分类 301/30101)
    NAME = "name"  #: the row's name (项目, 科目名称, 单位名称 …)
    MONEY = "money"  #: amounts
    TEXT = "text"  #: other text (goals, indicators, notes)


@attrs.frozen
class Column:
    """One column of a :class:`Table` as printed.

    ``header`` is the printed header, both levels of a two-level header joined by ``/``
    (``财政拨款/一般公共预算``); ``key`` is the stable key the table's profile gives it
    (``total``, ``basic``, ``fiscal/general_budget`` …) or ``c<N>`` when the profile names no
    such column. ``side`` is ``income`` or ``expenditure`` for the two halves of a paired
    table (收支总表), ``None`` otherwise.
    """

    key: str
    header: str
    role: ColumnRole
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "header": self.header, "role": self.role.value, "side": self.side}


@attrs.frozen(slots=True)
class TableRow:
    """One row of a :class:`Table`: lean, a few hundred bytes.

    ``level`` is the depth in the table's hierarchy: 0 for the grand total (合计/总计), 1 for
    the first level below it (类, a spending unit, an income item), and so on. ``parent`` is
    the index of the row above it in the hierarchy (``None`` at the top). ``amounts`` follow the
    money columns of the row's side in order (:meth:`Table.money_columns_of`; ``None`` for a
    blank cell); ``texts`` its text columns.
    ``page`` is the PDF page (1-based) or ``None``; ``line``/``end_line`` the lines the row
    spans, on the page for PDF input or in the file for text input. ``side`` says which half of
    a paired table the row is in.
    """

    index: int
    level: int
    code: str | None
    name: str
    parent: int | None
    amounts: tuple[Decimal | None, ...]
    page: int | None
    line: int
    end_line: int
    texts: tuple[str, ...] = ()
    side: str | None = None

    @property
    def label(self) -> str:
        """The row as a reader names it: its code, where printed, and its name."""
        return self.name if self.code is None else f"{self.code} {self.name}"

    def to_dict(self, table: Table) -> dict[str, Any]:
        money = table.money_columns_of(self.side)
        text = tuple(column for column in table.text_columns if column.side == self.side)
        return {
            "index": self.index,
            "level": self.level,
            "code": self.code,
            "name": self.name,
            "parent": self.parent,
            "side": self.side,
            "page": self.page,
            "line": self.line,
            "end_line": self.end_line,
            "amounts": {
                column.header: format_amount(amount)
                for column, amount in zip(money, self.amounts, strict=False)
            },
            "texts": {
                column.header: value for column, value in zip(text, self.texts, strict=False)
            },
        }


class StructureProblem(enum.StrEnum):
    """Why a table's structure could not be established (see :attr:`Table.problems`)."""

    NO_HEADER = "no_header"  #: no column header was recognised
    NO_MONEY_COLUMN = "no_money_column"  #: no column of amounts
    NO_ROWS = "no_rows"  #: a grid without rows and without the note that says why
    FLAT_HIERARCHY = "flat_hierarchy"  #: the profile expects levels; every row is on one
    MISSING_COLUMNS = "missing_columns"  #: columns the profile requires were not found
    UNREAD_CELLS = "unread_cells"  #: cells whose text is neither an amount nor allowed text
    UNREAD_LINES = "unread_lines"  #: lines with figures on the table's pages outside its grid
    #: two halves side by side (two name columns, each before amounts) in a kind that has none
    UNEXPECTED_HALVES = "unexpected_halves"


@attrs.frozen
class Term:
    """One column on the right of an equation, with its sign."""

    key: str
    sign: int = 1
    optional: bool = False
    #: The kind of another table of the document whose total row this term reads
    #: (``general_budget_expenditure.basic``); ``None`` for this table's own row.
    table: str | None = None

    def __str__(self) -> str:
        name = f"{self.table}.{self.key}" if self.table else self.key
        return name + ("?" if self.optional else "")


@attrs.frozen
class Relation:
    """One sum a table's profile declares (:mod:`budgetqa.profiles.relations`).

    ``kind`` is ``equation`` (``left`` = the signed ``terms`` on every row), ``children`` (a
    row equals the sum of the rows under it), ``totals`` (a total row equals the rows printed
    above it since the previous total: the 收支总表 prints its totals below) or ``balance``
    (the closing totals of the halves of a paired table: 收入总计 = 支出总计).
    """

    id: str
    kind: str
    left: str | None = None
    terms: tuple[Term, ...] = ()
    text: str = ""

    def describe(self) -> str:
        """The relation as the docs state it, in English and Chinese."""
        if self.kind == "children":
            return "each row = the sum of the rows under it / 上级 = 下级之和"
        if self.kind == "totals":
            return (
                "each total = the first-level rows above it since the total before"
                " (totals printed below) / 合计 = 其上各项之和"
            )
        if self.kind == "balance":
            return (
                f"balance `{self.text}`: the closing totals of the two halves / 收入总计 = 支出总计"
            )
        return f"`{self.text}`"

    @property
    def across(self) -> bool:
        """True for an identity with other tables' totals (checked on the total rows only)."""
        return any(term.table for term in self.terms)

    def applies_to(self, keys: frozenset[str]) -> bool:
        """Whether a table with the column ``keys`` prints what this relation needs (the
        columns of other tables are looked up when the relation is checked)."""
        if self.kind not in ("equation", "balance"):
            return True
        own = [term for term in self.terms if term.table is None]
        return (
            self.left in keys
            and all(term.optional or term.key in keys for term in own)
            and (self.across or any(term.key in keys for term in own))
        )


@attrs.frozen
class Table:
    """One table of a document: its kind, where it is, its columns and its rows.

    ``kind`` is the key of the table profile that recognised it (``expenditure_summary`` …) or
    ``unknown``. ``pages`` is ``(first, last)`` for PDF input, ``lines`` the same for text
    input. ``problems`` lists why the structure could not be established, each with a
    detail; a table with problems is never presented as read (its rows are what could be
    taken, for the reviewer to see). ``note`` is the note printed with an empty table
    (本表无数据 …).
    """

    kind: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[TableRow, ...]
    unit_of_money: str | None = None
    pages: tuple[int, int] | None = None
    lines: tuple[int, int] | None = None
    department: str | None = None
    note: str | None = None
    problems: tuple[tuple[StructureProblem, str], ...] = ()
    #: The sums its profile says its figures satisfy.
    relations: tuple[Relation, ...] = ()
    #: The standard table it is (``T1`` … ``T11``), as its profile says, if one.
    standard: str | None = None
    #: Whether ``note`` says the table is empty (本部门无政府性基金预算…).
    note_says_empty: bool = False

    @functools.cached_property
    def money_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.role is ColumnRole.MONEY)

    def money_columns_of(self, side: str | None) -> tuple[Column, ...]:
        """The money columns a row of ``side`` has amounts for, in order (``TableRow.amounts``)."""
        return tuple(column for column in self.money_columns if column.side == side)

    @functools.cached_property
    def text_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.role is ColumnRole.TEXT)

    @property
    def established(self) -> bool:
        """True when the table's header and hierarchy were established (no problems)."""
        return not self.problems

    def rows_per_level(self) -> dict[int, int]:
        return dict(sorted(Counter(row.level for row in self.rows).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "pages": None if self.pages is None else list(self.pages),
            "lines": None if self.lines is None else list(self.lines),
            "unit_of_money": self.unit_of_money,
            "department": self.department,
            "established": self.established,
            "problems": [
                {"problem": kind.value, "detail": detail} for kind, detail in self.problems
            ],
            "note": self.note,
            "note_says_empty": self.note_says_empty,
            "standard": self.standard,
            "columns": [column.to_dict() for column in self.columns],
            "rows_per_level": {str(level): count for level, count in self.rows_per_level().items()},
            "rows": [row.to_dict(self) for row in self.rows],
        }


class PageUse(enum.StrEnum):
    """What a PDF page was taken to hold; every page gets exactly one."""

    TABLE = "table"  #: one or more tables (or their continuation)
    NARRATIVE = "narrative"  #: text that is no table: cover, contents, explanations
    BLANK = "blank"  #: nothing printed
    NO_TEXT = "no_text"  #: images but no text layer (a scan): needs OCR to be read


@attrs.frozen
class PageRole:
    """One PDF page's accounting: what it holds, and which tables (by index) are on it."""

    page: int
    use: PageUse
    tables: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "use": self.use.value, "tables": list(self.tables)}


@attrs.frozen(slots=True)
class PageText:
    """The text of one narrative page of a PDF (its lines, top to bottom, joined by newlines):
    the explanations whose stated figures are checked against the tables."""

    page: int
    text: str


@attrs.frozen
class DocumentStats:
    """Line accounting and row counts for one document.

    ``lines`` is the number of input lines; the role counts always add up to it
    (``accounted == lines``), so no line can be silently dropped.
    """

    lines: int
    row_lines: int
    title_lines: int
    header_lines: int
    page_header_lines: int
    blank_lines: int
    fragment_lines: int
    rows_total: int
    rows_unit: int
    rows_project: int
    fragments: int
    inferred_rows: int
    ambiguous_rows: int

    @property
    def accounted(self) -> int:
        return (
            self.row_lines
            + self.title_lines
            + self.header_lines
            + self.page_header_lines
            + self.blank_lines
            + self.fragment_lines
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "lines": self.lines,
            "accounted": self.accounted,
            "row_lines": self.row_lines,
            "title_lines": self.title_lines,
            "header_lines": self.header_lines,
            "page_header_lines": self.page_header_lines,
            "blank_lines": self.blank_lines,
            "fragment_lines": self.fragment_lines,
            "rows": self.rows_total + self.rows_unit + self.rows_project,
            "rows_total": self.rows_total,
            "rows_unit": self.rows_unit,
            "rows_project": self.rows_project,
            "fragments": self.fragments,
            "inferred_rows": self.inferred_rows,
            "ambiguous_rows": self.ambiguous_rows,
        }


@attrs.frozen
class Document:
    """One budget table read into the canonical form.

    ``line_roles[i]`` is the role of input line ``i + 1``. ``preamble`` holds the title and
    department lines above the column header, as printed.
    """

    path: str
    layout: str
    encoding: str | None
    department: str | None
    unit_of_money: str | None
    title: str | None
    rows: tuple[Row, ...]
    fragments: tuple[Fragment, ...]
    line_roles: tuple[LineRole, ...]
    preamble: tuple[TextPiece, ...] = ()
    raw_unit_of_money: str | None = None
    source_lines: tuple[str, ...] = ()
    notes: tuple[ReadNote, ...] = ()
    #: The tables of the document (every kind; for PDF input, every table found in it).
    tables: tuple[Table, ...] = ()
    #: For PDF input: the index in ``tables`` of the project table whose rows are ``rows``
    #: (合计 → 资金使用单位 → 项目, checked by the project-table rules), or ``None``.
    rows_table: int | None = None
    #: The text columns the rows' table has (``goal``, ``indicators``): a table printed without
    #: an indicators column has no project "missing" its indicators.
    row_texts: tuple[str, ...] = ("goal", "indicators")
    #: For PDF input, what each page holds (one entry per page, in order).
    pages: tuple[PageRole, ...] = ()
    #: For PDF input, the text of its narrative pages (see :class:`PageUse`), in page order.
    narrative: tuple[PageText, ...] = ()
    #: Data derived from the rows by the checks (child index, joined texts), built on first
    #: use and kept with the document; not part of its value.
    cache: dict[object, object] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    def children(self, parent: Row) -> tuple[Row, ...]:
        """The rows whose parent is ``parent``, in table order."""
        index = self.cache.get("children")
        if index is None:
            built: dict[int, list[int]] = {}
            for row in self.rows:
                if row.parent_index is not None:
                    built.setdefault(row.parent_index, []).append(row.index)
            index = self.cache["children"] = built
        assert isinstance(index, dict)
        return tuple(self.rows[child] for child in index.get(parent.index, ()))

    def descendants(self, parent: Row, level: Level | None = None) -> list[Row]:
        """Rows below ``parent`` (children, and theirs), of ``level`` if given, in table order.

        The walk stops at rows of ``level``: with ``level=PROJECT`` under 合计 it goes through
        the units to their projects. Linear in the rows below ``parent``.
        """
        found: list[Row] = []
        stack = list(reversed(self.children(parent)))
        while stack:
            row = stack.pop()
            if level is None or row.level is level:
                found.append(row)
            if level is None or row.level is not level:
                stack.extend(reversed(self.children(row)))
        found.sort(key=lambda row: row.index)
        return found

    def source(self, line: int, end_line: int | None = None, *, limit: int = 6) -> tuple[str, ...]:
        """Input lines ``line..end_line`` as printed (at most ``limit``; blank lines skipped)."""
        last = line if end_line is None else end_line
        picked = [
            self.source_lines[number - 1]
            for number in range(line, last + 1)
            if 0 < number <= len(self.source_lines) and self.source_lines[number - 1].strip()
        ]
        return tuple(picked[:limit])

    @property
    def stats(self) -> DocumentStats:
        roles = Counter(self.line_roles)
        levels = Counter(row.level for row in self.rows)
        inferred = [row for row in self.rows if row.column_inference is not None]
        return DocumentStats(
            lines=len(self.line_roles),
            row_lines=roles[LineRole.ROW],
            title_lines=roles[LineRole.TITLE],
            header_lines=roles[LineRole.HEADER],
            page_header_lines=roles[LineRole.PAGE_HEADER],
            blank_lines=roles[LineRole.BLANK],
            fragment_lines=roles[LineRole.FRAGMENT],
            rows_total=levels[Level.TOTAL],
            rows_unit=levels[Level.UNIT],
            rows_project=levels[Level.PROJECT],
            fragments=len(self.fragments),
            inferred_rows=len(inferred),
            ambiguous_rows=sum(
                1 for row in inferred if row.column_inference and row.column_inference.ambiguous
            ),
        )

    def rows_at(self, level: Level | str) -> tuple[Row, ...]:
        """The rows of one level, in table order."""
        wanted = Level(level)
        return tuple(row for row in self.rows if row.level is wanted)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready data: the ``budgetqa parse --format json`` object."""
        return {
            "schema_version": PARSE_SCHEMA_VERSION,
            "path": self.path,
            "department": self.department,
            "unit_of_money": self.unit_of_money,
            "raw_unit_of_money": self.raw_unit_of_money,
            "title": self.title,
            "layout": self.layout,
            "encoding": self.encoding,
            "stats": self.stats.to_dict(),
            "rows": [row.to_dict() for row in self.rows],
            "fragments": [fragment.to_dict() for fragment in self.fragments],
            "notes": [note.to_dict() for note in self.notes],
            "tables": [table.to_dict() for table in self.tables],
            "rows_table": self.rows_table,
            "pages": [page.to_dict() for page in self.pages],
        }

    def to_frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame, one row per table row (needs ``budgetqa[pandas]``).

        Money columns hold :class:`~decimal.Decimal` objects (``None`` for blank cells), so no
        float ever touches an amount.
        """
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - depends on the environment
            from budgetqa.errors import UsageError

            msg = "Document.to_frame() needs pandas: pip install 'budgetqa[pandas]'"
            raise UsageError(msg) from error
        records = [
            {
                "path": self.path,
                "index": row.index,
                "level": row.level.value,
                "name": row.name,
                "parent": row.parent,
                "parent_index": row.parent_index,
                **{column: row.amount(column) for column in MONEY_COLUMNS},
                "goal": row.goal,
                "indicator_text": row.indicator_text,
                "indicator_count": len(row.indicators),
                "line": row.span.line,
                "end_line": row.span.end_line,
                "inferred": row.column_inference is not None,
            }
            for row in self.rows
        ]
        columns = [
            "path", "index", "level", "name", "parent", "parent_index", *MONEY_COLUMNS,
            "goal", "indicator_text", "indicator_count", "line", "end_line", "inferred",
        ]  # fmt: skip
        frame = pd.DataFrame.from_records(records, columns=columns)
        for column in MONEY_COLUMNS:
            frame[column] = frame[column].astype(object)
        return frame
