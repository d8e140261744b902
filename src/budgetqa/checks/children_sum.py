"""``children_sum``: a parent's amounts equal the sums of its children's, column by column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, column_difference, register, row_fields
from budgetqa.checks.rounding import rounding_limit
from budgetqa.findings import Cell, RelationDetails
from budgetqa.model import COLUMN_LABELS, MONEY_COLUMNS, Document, Level, Row, format_amount

# The project table's sums by the levels they relate, as the typed details name them.
_RELATION = {
    (Level.UNIT, Level.PROJECT): "unit_projects",
    (Level.TOTAL, Level.UNIT): "total_units",
    (Level.TOTAL, Level.PROJECT): "total_projects",
}


@register
class ChildrenSumCheck(CheckKind):
    name = "children_sum"
    description = (
        "Every money column of a parent row (a unit, or 合计) equals the sum of that column over "
        "its child rows (its projects, or its units, or all projects under it)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "parent_level": Param("str", "unit", "level of the parent rows", ("total", "unit")),
        "child_level": Param("str", "project", "level of the rows summed", ("unit", "project")),
        "columns": Param("list[str]", list(MONEY_COLUMNS), "money columns compared", MONEY_COLUMNS),
        "tolerance": Param(
            "tolerance",
            "auto",
            "largest difference accepted, in the table's money unit; auto: half a unit of the"
            " printed precision per addend (a rounding tail, reported by AR105)",
        ),
    }
    fields = frozenset(
        {
            "column",
            "expected",
            "actual",
            "difference",
            "differences",
            "count",
            "children",
            "parent_level",
            "child_level",
        }
    )

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        parent_level = Level(params["parent_level"])
        child_level = Level(params["child_level"])
        tolerance: Decimal | None = params["tolerance"]
        for parent in document.rows_at(parent_level):
            children = document.descendants(parent, child_level)
            if not children:
                continue
            undetermined = undetermined_columns(children)
            misses: list[tuple[str, Decimal]] = []
            for column in params["columns"]:
                if column in undetermined:
                    continue
                own = parent.amount(column)
                values = [child.amount(column) for child in children]
                if own is None and all(value is None for value in values):
                    continue
                total = sum((value for value in values if value is not None), Decimal(0))
                expected = own if own is not None else Decimal(0)
                if abs(total - expected) <= rounding_limit(tolerance, values):
                    continue
                misses.append((column, total))
            if misses:
                yield children_hit(
                    document,
                    parent,
                    misses,
                    tuple(child.index for child in children),
                    parent_level,
                    child_level,
                )


def undetermined_columns(children: Iterable[Row]) -> set[str]:
    """The columns in which the table does not determine some child's figure (blank cells
    lost; ambiguous_columns reports the row): they cannot be summed."""
    return {
        column
        for child in children
        if child.column_inference is not None
        for column in child.column_inference.uncertain
    }


def children_hit(
    document: Document,
    parent: Row,
    misses: Sequence[tuple[str, Decimal]],
    children: tuple[int, ...],
    parent_level: Level,
    child_level: Level,
) -> Hit:
    """The one hit for a parent whose columns differ from its children's sums: ``misses``
    pairs each such column with the sum of the children, in column order (one finding per
    broken sum, listing every column that misses)."""
    gaps: list[tuple[str, Decimal | None, Decimal, Decimal]] = []  # column, own, total, gap
    for column, total in misses:
        own = parent.amount(column)
        gaps.append((column, own, total, total - (own if own is not None else Decimal(0))))
    column, own, total, difference = gaps[0]
    below = [document.rows[index] for index in children]
    details = RelationDetails(
        relation=_RELATION[parent_level, child_level],
        text=f"{parent_level.value} = the sum of its {child_level.value} rows",
        row=parent.name,
        columns=tuple(
            column_difference(COLUMN_LABELS[name], printed, added)
            for name, printed, added, _ in gaps
        ),
        cells=tuple(
            Cell(
                row=row.name,
                column=COLUMN_LABELS[name],
                value=format_amount(row.amount(name)),
                coefficient="1" if row is parent else "-1",
                page=row.span.page,
                line=row.span.line,
            )
            for name, _, _, _ in gaps
            for row in (parent, *below)
        ),
    )
    differences = "; ".join(
        f"{COLUMN_LABELS[name]} {format_amount(added)} added up,"
        f" {format_amount(printed) or 'blank'} printed (difference {format_amount(gap)})"
        for name, printed, added, gap in gaps
    )
    return Hit(
        span=parent.span,
        row=parent,
        key=f"{parent.index}",
        fields={
            **row_fields(parent, document),
            "column": "、".join(COLUMN_LABELS[name] for name, _, _, _ in gaps),
            "expected": format_amount(own) or "blank",
            "actual": format_amount(total),
            "difference": format_amount(difference),
            "differences": differences,
            "count": len(gaps),
            "children": len(children),
            "parent_level": parent_level.value,
            "child_level": child_level.value,
        },
        expected=format_amount(own if own is not None else Decimal(0)),
        actual=format_amount(total),
        difference=format_amount(difference),
        details=details,
        facts={
            "kind": "children_sum",
            "parent": parent.index,
            "column": column,
            "columns": tuple(name for name, _, _, _ in gaps),
            "difference": difference,
            "differences": tuple((name, gap) for name, _, _, gap in gaps),
            "children": children,
        },
    )
