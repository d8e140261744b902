"""``table_relation``: the sums a table's profile declares, checked on every row.

Each relation is checked with the tolerance the printed precision allows: n addends each
rounded to 0.01 can miss their exact sum by up to n × 0.005. A difference within that bound is
a rounding tail (``what: tail``); beyond it the relation is broken (``what: break``). One
finding per broken relation per row: a row whose children miss in three columns is one
finding that lists the three differences.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from budgetqa.checks.base import CheckKind, Hit, Param, column_difference, register, table_row_hit
from budgetqa.checks.constraints import Constraint, relation_checks
from budgetqa.findings import Cell, RelationDetails
from budgetqa.model import Document, Relation, Table, format_amount


@register
class TableRelationCheck(CheckKind):
    name = "table_relation"
    description = (
        "Checks the relations a table's profile declares on every established table of a "
        "document: row equations (`total = basic + project`), hierarchy sums (a row equals "
        "the sum of the rows under it, or a total those printed above it), the balance of a "
        "paired table's halves (收入总计 = 支出总计) and identities with other tables' totals. "
        "Reports a relation broken beyond the rounding of its addends (`what: break`) or a "
        "difference within it (`what: tail`)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "relation": Param(
            "str",
            "any",
            "which relations: equation (in a row), children (a row and the rows it adds up,"
            " below it or, for totals printed below, above it), balance (the halves of a paired"
            " table), across (tables) or any",
            ("equation", "children", "balance", "across", "any"),
        ),
        "what": Param("str", "break", "broken relations or rounding tails", ("break", "tail")),
        "tolerance": Param(
            "tolerance",
            "auto",
            "largest difference within rounding, in the table's money unit; auto: half a unit"
            " of the printed precision per addend",
        ),
    }
    fields = frozenset({"table", "title", "relation", "differences", "count"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        wanted, what = params["relation"], params["what"]
        fixed: Decimal | None = params["tolerance"]
        for number, table in enumerate(document.tables):
            if not table.established or not table.rows:
                continue
            keys = frozenset(column.key for column in table.columns)
            for relation in table.relations:
                kind = relation_group(relation)
                if wanted not in ("any", kind) or not relation.applies_to(keys):
                    continue
                if number == document.rows_table and document.rows and _as_rows(relation):
                    continue  # the project-table rules (AR101–AR104) check these on its rows
                for checks in relation_checks(document, number, relation):
                    if fixed is not None:
                        checks = [attrs.evolve(check, tolerance=fixed) for check in checks]
                    broken = [check for check in checks if check.broken]
                    tails = [check for check in checks if check.difference and not check.broken]
                    chosen = broken if what == "break" else ([] if broken else tails)
                    if chosen:
                        yield _hit(document, table, relation, chosen)


def relation_group(relation: Relation) -> str:
    """Which of the ``relation`` parameter's groups ``relation`` is in: a sum of rows printed
    above their total (``totals: below``) is checked with the sums of rows under a row."""
    if relation.across:
        return "across"
    return "children" if relation.kind == "totals" else relation.kind


def _as_rows(relation: Relation) -> bool:
    """Whether the project-table rules already check ``relation`` on a table's rows: its sums
    of rows (AR102–AR104), and 总计 = 财政拨款 + 财政专户拨款 + 其他资金 (AR101)."""
    if relation.kind == "children":
        return True
    return (
        relation.left == "total"
        and sorted(term.key for term in relation.terms if term.sign > 0)
        == ["fiscal_appropriation", "other_funds", "special_account"]
        and all(term.sign > 0 for term in relation.terms)
    )


def _equation_text(relation: Relation) -> str:
    """``total = basic + project?`` as the profile wrote it (spacing normalised)."""
    right = " ".join(("- " if term.sign < 0 else "+ ") + str(term) for term in relation.terms)
    return f"{relation.left} = {right.removeprefix('+ ')}"


def _hit(document: Document, table: Table, relation: Relation, checks: list[Constraint]) -> Hit:
    first = checks[0]
    row = table.rows[first.row]
    described = {
        "children": "the sum of the rows under it",
        "totals": "the sum of the rows above it since the total before",
    }.get(relation.kind) or _equation_text(relation)
    if relation.kind == "balance":  # 收入总计 = 支出总计: the rows compared, as printed
        described = " = ".join(
            document.tables[cell[0]].rows[cell[1]].label for cell, _ in first.cells
        )
    differences = "; ".join(
        f"{check.column.header}: {format_amount(check.actual)} printed,"
        f" {format_amount(check.expected)} computed (difference {format_amount(check.difference)})"
        for check in checks
    )
    hit = table_row_hit(
        document,
        table,
        row,
        key=f"{first.table}:{relation.id}:{row.index}",
        fields={
            "title": table.title,
            "relation": described,
            "differences": differences,
            "count": len(checks),
        },
        expected=format_amount(first.expected),
        actual=format_amount(first.actual),
        difference=format_amount(first.difference),
        facts={
            "kind": "relation",
            "relation": relation.id,
            "table": first.table,
            "row": row.index,
            "columns": tuple(check.column.key for check in checks),
            "column": first.column.key,
        },
    )
    return attrs.evolve(
        hit,
        details=RelationDetails(
            relation=relation.id,
            text=described,
            table=table.kind,
            row=row.label,
            columns=tuple(
                column_difference(check.column.header, check.actual, check.expected)
                for check in checks
            ),
            cells=_cells(document, checks),
        ),
    )


def _cells(document: Document, checks: list[Constraint]) -> tuple[Cell, ...]:
    """The printed cells the ``checks`` read, each once, with its coefficient."""
    found: dict[tuple[int, int, int], Cell] = {}
    for check in checks:
        for (number, index, position), coefficient in check.cells:
            if (number, index, position) in found:
                continue
            table = document.tables[number]
            row = table.rows[index]
            value = row.amounts[position] if position < len(row.amounts) else None
            found[number, index, position] = Cell(
                row=row.label,
                column=table.money_columns_of(row.side)[position].header,
                value=None if value is None else format_amount(value),
                coefficient=format(coefficient.normalize(), "f"),
                table=table.kind,
                page=row.page,
                line=row.line if row.page is None else None,
            )
    return tuple(found.values())
