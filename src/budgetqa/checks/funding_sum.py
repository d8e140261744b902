"""``funding_sum``: a row's funding columns add up to its 总计."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, column_difference, register, row_fields
from budgetqa.checks.rounding import rounding_limit
from budgetqa.findings import Cell, RelationDetails
from budgetqa.model import COLUMN_LABELS, FUNDING_COLUMNS, Document, Row, format_amount


@register
class FundingSumCheck(CheckKind):
    name = "funding_sum"
    description = (
        "财政拨款 + 财政专户拨款 + 其他资金 equals 总计 on every row (blank cells count as zero)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "tolerance": Param(
            "tolerance",
            "auto",
            "largest difference accepted, in the table's money unit; auto: half a unit of the"
            " printed precision per addend (a rounding tail, reported by AR105)",
        ),
        "levels": Param(
            "list[str]",
            ["total", "unit", "project"],
            "row levels checked",
            ("total", "unit", "project"),
        ),
    }
    fields = frozenset({"expected", "actual", "difference", "blank_funding"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        tolerance: Decimal | None = params["tolerance"]
        for row in document.rows:
            if row.level.value not in params["levels"] or row.total is None:
                continue
            values, funding = funding_of(row)
            difference = funding - row.total
            if abs(difference) <= rounding_limit(tolerance, values):
                continue
            yield funding_hit(document, row, funding)


def funding_of(row: Row) -> tuple[list[Decimal | None], Decimal]:
    """A row's funding cells (``None`` for a blank one) and their sum."""
    values = [row.amount(column) for column in FUNDING_COLUMNS]
    return values, sum((value for value in values if value is not None), Decimal(0))


def funding_hit(document: Document, row: Row, funding: Decimal) -> Hit:
    """The hit for a row whose funding columns add up to ``funding`` instead of its 总计."""
    assert row.total is not None
    difference = funding - row.total
    blank = all(row.amount(column) is None for column in FUNDING_COLUMNS)
    return Hit(
        span=row.span,
        row=row,
        key=str(row.index),
        fields={
            **row_fields(row, document),
            "expected": format_amount(row.total),
            "actual": format_amount(funding),
            "difference": format_amount(difference),
            "blank_funding": "; all its funding cells are blank" if blank else "",
        },
        expected=format_amount(row.total),
        actual=format_amount(funding),
        difference=format_amount(difference),
        facts={"kind": "funding_sum", "row": row.index, "blank_funding": blank, "total": row.total},
        details=RelationDetails(
            relation="funding",
            text="总计 = 财政拨款 + 财政专户拨款 + 其他资金",
            row=row.name,
            columns=(column_difference(COLUMN_LABELS["total"], row.total, funding),),
            cells=tuple(
                Cell(
                    row=row.name,
                    column=COLUMN_LABELS[column],
                    value=format_amount(row.amount(column)),
                    coefficient="1" if column == "total" else "-1",
                    page=row.span.page,
                    line=row.span.line,
                )
                for column in ("total", *FUNDING_COLUMNS)
            ),
        ),
    )
