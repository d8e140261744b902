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

from budgetqa.checks.base import CheckKind, Hit, Param, register
from budgetqa.checks.rounding import half_unit
from budgetqa.model import (
    Column,
    Document,
    Relation,
    SourceSpan,
    Table,
    TableRow,
    format_amount,
    money_context,
)

_ZERO = Decimal(0)


@register
class TableRelationCheck(CheckKind):
    name = "table_relation"
    description = (
        "Checks the relations a table's profile declares on every established table of a "
        "document: row equations (`total = basic + project`) and hierarchy sums (a row equals "
        "the sum of the rows under it). Reports a relation broken beyond the rounding of its "
        "addends (`what: break`) or a difference within it (`what: tail`)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "relation": Param(
            "str",
            "any",
            "which relations: equation (in a row), children, across (tables) or any",
            ("equation", "children", "across", "any"),
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
                kind = "across" if relation.across else relation.kind
                if wanted not in ("any", kind) or not relation.applies_to(keys):
                    continue
                if number == document.rows_table and document.rows and _as_rows(relation):
                    continue  # the project-table rules (AR101–AR104) check these on its rows
                if relation.across:
                    checks = _across(document, table, relation)
                elif relation.kind == "equation":
                    checks = _equation(table, relation)
                else:
                    checks = _children(table)
                for row, found in checks:
                    misses = found if fixed is None else [(*miss[:4], fixed) for miss in found]
                    broken = [miss for miss in misses if abs(miss[3]) > miss[4]]
                    tails = [miss for miss in misses if miss[3] and abs(miss[3]) <= miss[4]]
                    chosen = broken if what == "break" else ([] if broken else tails)
                    if chosen:
                        yield _hit(document, number, table, relation, row, chosen)


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


# One column's check: (column, expected = the sum, actual = printed, difference, tolerance).
_Miss = tuple[Column, Decimal, Decimal, Decimal, Decimal]


def _amount(row: TableRow, position: int) -> Decimal:
    if position >= len(row.amounts):
        return _ZERO
    value = row.amounts[position]
    return _ZERO if value is None else value


def _equation(table: Table, relation: Relation) -> Iterator[tuple[TableRow, list[_Miss]]]:
    for side in sorted({column.side for column in table.money_columns}, key=str):
        money = table.money_columns_of(side)
        position = {column.key: index for index, column in enumerate(money)}
        if relation.left not in position:
            continue
        terms = [(position[term.key], term.sign) for term in relation.terms if term.key in position]
        if not terms:
            continue
        left = money[position[relation.left]]
        for row in table.rows:
            if row.side != side and side is not None:
                continue
            values = [row.amounts[i] if i < len(row.amounts) else None for i, _ in terms]
            at = position[relation.left]
            printed = row.amounts[at] if at < len(row.amounts) else None
            if printed is None and all(value is None for value in values):
                continue
            with money_context():
                expected = sum((_amount(row, i) * sign for i, sign in terms), _ZERO)
                actual = _ZERO if printed is None else printed
                tolerance = len(terms) * half_unit([printed, *values])
                yield row, [(left, expected, actual, actual - expected, tolerance)]


def _total_row(table: Table) -> TableRow | None:
    """A table's one total row (level 0, on no side), or ``None`` if it has none or several."""
    totals = [row for row in table.rows if row.level == 0 and row.side is None]
    return totals[0] if len(totals) == 1 else None


def _across(
    document: Document, table: Table, relation: Relation
) -> Iterator[tuple[TableRow, list[_Miss]]]:
    """The identity between this table's total row and other tables' total rows; nothing when
    a table it names is not in the document (or has no single total row, or lacks the column).
    """
    row = _total_row(table)
    if row is None:
        return
    values: list[tuple[Decimal | None, int]] = []
    for term in relation.terms:
        source = table
        if term.table is not None:
            found = next(
                (t for t in document.tables if t.kind == term.table and t.established), None
            )
            if found is None:
                return
            source = found
        total = row if source is table else _total_row(source)
        money = {column.key: index for index, column in enumerate(source.money_columns_of(None))}
        if total is None or term.key not in money:
            if term.optional:
                continue
            return
        index = money[term.key]
        values.append((total.amounts[index] if index < len(total.amounts) else None, term.sign))
    own = {column.key: index for index, column in enumerate(table.money_columns_of(None))}
    if relation.left not in own:
        return
    at = own[relation.left]
    printed = row.amounts[at] if at < len(row.amounts) else None
    if printed is None and all(value is None for value, _ in values):
        return
    with money_context():
        expected = sum(((value or _ZERO) * sign for value, sign in values), _ZERO)
        actual = _ZERO if printed is None else printed
        tolerance = len(values) * half_unit([printed, *(value for value, _ in values)])
        column = table.money_columns_of(None)[at]
        yield row, [(column, expected, actual, actual - expected, tolerance)]


def _children(table: Table) -> Iterator[tuple[TableRow, list[_Miss]]]:
    """Each row with rows under it, against their sum.

    The tolerance counts the printed figures the row is ultimately built from: a total over
    30 项 rounded one by one can miss by 30 × 0.005, even though it has only three 类 under it.
    """
    children: dict[int, list[TableRow]] = {}
    for row in table.rows:
        if row.parent is not None:
            children.setdefault(row.parent, []).append(row)
    leaves: dict[int, int] = {}
    for row in reversed(table.rows):  # children come after their parent: one pass upwards
        kids_of = children.get(row.index)
        leaves[row.index] = sum(leaves.get(kid.index, 1) for kid in kids_of) if kids_of else 1
    for parent_index, kids in children.items():
        parent = table.rows[parent_index]
        money = table.money_columns_of(parent.side)
        misses: list[_Miss] = []
        for index, column in enumerate(money):
            printed = parent.amounts[index] if index < len(parent.amounts) else None
            values = [kid.amounts[index] if index < len(kid.amounts) else None for kid in kids]
            if printed is None and all(value is None for value in values):
                continue
            with money_context():
                expected = sum((_amount(kid, index) for kid in kids), _ZERO)
                actual = _ZERO if printed is None else printed
                tolerance = leaves[parent_index] * half_unit([printed, *values])
                misses.append((column, expected, actual, actual - expected, tolerance))
        yield parent, misses


def _equation_text(relation: Relation) -> str:
    """``total = basic + project?`` as the profile wrote it (spacing normalised)."""
    right = " ".join(("- " if term.sign < 0 else "+ ") + str(term) for term in relation.terms)
    return f"{relation.left} = {right.removeprefix('+ ')}"


def _hit(
    document: Document,
    number: int,
    table: Table,
    relation: Relation,
    row: TableRow,
    misses: list[_Miss],
) -> Hit:
    column, expected, actual, difference, _ = misses[0]
    described = (
        _equation_text(relation) if relation.kind == "equation" else "the sum of the rows under it"
    )
    differences = "; ".join(
        f"{miss[0].header}: {format_amount(miss[2])} printed, {format_amount(miss[1])}"
        f" computed (difference {format_amount(miss[3])})"
        for miss in misses
    )
    # a row of a text or CSV input has lines and no page
    page = row.page or (table.pages[0] if table.pages else None if table.lines else 1)
    name = row.name if row.code is None else f"{row.code} {row.name}"
    return Hit(
        span=SourceSpan(document.path, max(row.line, 1), max(row.end_line, row.line, 1), page),
        row=None,
        key=f"{number}:{relation.id}:{row.index}",
        fields={
            "row": name,
            "unit": "",
            "path": document.path,
            "line": "",
            "table": table.kind,
            "title": table.title,
            "relation": described,
            "differences": differences,
            "count": len(misses),
        },
        expected=format_amount(expected),
        actual=format_amount(actual),
        difference=format_amount(difference),
        facts={
            "kind": "relation",
            "relation": relation.id,
            "table": number,
            "row": row.index,
            "columns": tuple(miss[0].key for miss in misses),
            "column": column.key,
        },
        page=page,
        table=table.kind,
        row_name=name,
    )
