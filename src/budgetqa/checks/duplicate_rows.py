"""``duplicate_rows``: the same row entered twice under the same parent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.model import MONEY_COLUMNS, Document, Row, format_amount
from budgetqa.text import fold, squeeze_name


def printed_figures(amounts: Sequence[Decimal | None]) -> tuple[Decimal | None, ...]:
    """总计 and the funding figures as printed, blanks left out.

    Where layout text or OCR lost the blank cells, the reader places a row's figures by the
    sums, and two printings of one entry can end up in different columns (the sums are off
    because of the repeat). The figures themselves are what was printed twice.
    """
    return (amounts[0], *(value for value in amounts[1:] if value is not None))


def row_identity(row: Row) -> tuple[object, ...]:
    """What makes two rows the same entry: parent, name, figures, goal and indicators."""
    return (
        row.parent_index,
        row.level,
        fold(squeeze_name(row.name)),
        printed_figures(row.amounts),
        fold(squeeze_name(row.goal)),
        fold(squeeze_name(row.indicator_text)),
    )


@register
class DuplicateRowsCheck(CheckKind):
    name = "duplicate_rows"
    description = (
        "Rows under the same parent with the same name, amounts, goal and indicators: the same "
        "entry printed twice. Each repeat after the first is reported, pointing at the first."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "levels": Param(
            "list[str]", ["unit", "project"], "row levels checked", ("unit", "project")
        ),
    }
    fields = frozenset({"first_line", "copies", "amount"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        # Rows are first grouped by parent and amounts, which is cheap; the texts are folded
        # only for rows that share them, so the cost stays linear in the table's size.
        candidates: dict[tuple[object, ...], list[Row]] = {}
        for row in document.rows:
            if row.level.value in params["levels"]:
                key = (row.parent_index, row.level, printed_figures(row.amounts))
                candidates.setdefault(key, []).append(row)
        groups: dict[tuple[object, ...], list[Row]] = {}
        for rows in candidates.values():
            if len(rows) > 1:
                for row in rows:
                    groups.setdefault(row_identity(row), []).append(row)
        for rows in sorted(groups.values(), key=lambda rows: rows[0].index):
            first = rows[0]
            for repeat in rows[1:]:
                yield duplicate_hit(document, repeat, first, len(rows))


def duplicate_hit(document: Document, repeat: Row, first: Row, copies: int) -> Hit:
    """The hit for ``repeat``, the same entry as ``first`` (``copies`` entries in all)."""
    return Hit(
        span=repeat.span,
        row=repeat,
        key=str(repeat.index),
        fields={
            **row_fields(repeat, document),
            "first_line": first.span.line,
            "copies": copies,
            "amount": format_amount(repeat.total) or "blank",
        },
        actual=format_amount(repeat.total),
        facts={
            "kind": "duplicate",
            "row": repeat.index,
            "first": first.index,
            "parent": repeat.parent_index,
            "amounts": {column: repeat.amount(column) for column in MONEY_COLUMNS},
        },
    )
