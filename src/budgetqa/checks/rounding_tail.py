"""Rounding tails of the project table's sums: differences its printed figures explain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, column_difference, register, row_fields
from budgetqa.checks.children_sum import undetermined_columns
from budgetqa.checks.funding_sum import funding_of
from budgetqa.checks.rounding import rounding_limit
from budgetqa.findings import Cell, RelationDetails
from budgetqa.model import (
    COLUMN_LABELS,
    FUNDING_COLUMNS,
    MONEY_COLUMNS,
    Document,
    Level,
    Row,
    format_amount,
)

# The sums of a project table, as the arithmetic rules check them (AR101–AR104).
_SUMS = (
    ("unit", "project", "its projects", "unit_projects"),
    ("total", "unit", "its units", "total_units"),
    ("total", "project", "all its projects", "total_projects"),
)


@register
class RoundingTailCheck(CheckKind):
    name = "rounding_tail"
    description = (
        "The sums of a project table (funding columns = 总计 on every row; a unit = its projects; "
        "合计 = its units, = all projects) that miss by no more than the rounding of their "
        "printed addends allows: n figures each rounded to 0.01 may miss by up to n × 0.005. "
        "One finding per row and sum, with every column's difference."
    )
    parameters: ClassVar[Mapping[str, Param]] = {}
    fields = frozenset({"relation", "differences", "count"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            if row.total is None:
                continue
            values, funding = funding_of(row)
            difference = funding - row.total
            if difference and abs(difference) <= rounding_limit(None, values):
                yield _hit(
                    document,
                    row,
                    "its funding columns",
                    [("total", funding, difference)],
                    "funding",
                    (),
                )
        for parent_level, child_level, described, relation in _SUMS:
            for parent in document.rows_at(Level(parent_level)):
                children = document.descendants(parent, Level(child_level))
                if not children:
                    continue
                undetermined = undetermined_columns(children)
                tails: list[tuple[str, Decimal, Decimal]] = []
                for column in MONEY_COLUMNS:
                    own = parent.amount(column)
                    addends = [child.amount(column) for child in children]
                    if column in undetermined or (
                        own is None and all(value is None for value in addends)
                    ):
                        continue
                    total = sum((value for value in addends if value is not None), Decimal(0))
                    difference = total - (own or Decimal(0))
                    if difference and abs(difference) <= rounding_limit(None, addends):
                        tails.append((column, total, difference))
                if tails:
                    yield _hit(document, parent, described, tails, relation, children)


def _hit(
    document: Document,
    row: Row,
    described: str,
    tails: list[tuple[str, Decimal, Decimal]],
    relation: str,
    children: Sequence[Row],
) -> Hit:
    column, total, difference = tails[0]
    printed = row.amount(column)
    differences = "; ".join(
        f"{COLUMN_LABELS[name]}: {format_amount(row.amount(name)) or '0.00'} printed,"
        f" {format_amount(added)} added up (difference {format_amount(gap)})"
        for name, added, gap in tails
    )
    return Hit(
        span=row.span,
        row=row,
        key=f"{row.index}:{described}",
        fields={
            **row_fields(row, document),
            "relation": described,
            "differences": differences,
            "count": len(tails),
        },
        expected=format_amount(printed),
        actual=format_amount(total),
        difference=format_amount(difference),
        details=RelationDetails(
            relation=relation,
            text=f"{row.name}: {described}",
            row=row.name,
            columns=tuple(
                column_difference(COLUMN_LABELS[name], row.amount(name), added)
                for name, added, _ in tails
            ),
            cells=_cells(row, [name for name, _, _ in tails], children),
        ),
        facts={
            "kind": "rounding_tail",
            "row": row.index,
            "columns": tuple(name for name, _, _ in tails),
            "column": column,
        },
    )


def _cells(row: Row, columns: Sequence[str], children: Sequence[Row]) -> tuple[Cell, ...]:
    """The cells a tail's sum reads: the row and its children in each column, or for the
    funding equation the row's 总计 and its funding cells."""
    if not children:
        placed = [(row, "total", "1"), *((row, name, "-1") for name in FUNDING_COLUMNS)]
    else:
        placed = [
            (each, name, "1" if each is row else "-1")
            for name in columns
            for each in (row, *children)
        ]
    return tuple(
        Cell(
            row=each.name,
            column=COLUMN_LABELS[name],
            value=format_amount(each.amount(name)),
            coefficient=coefficient,
            page=each.span.page,
            line=each.span.line,
        )
        for each, name, coefficient in placed
    )
