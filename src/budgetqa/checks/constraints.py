"""The relations a document's tables declare, as linear constraints on their printed cells.

Every relation of every established table (:mod:`budgetqa.profiles.relations`) is checked on
rows: a row equation on each row, a hierarchy sum on each row with rows under it (one
constraint per money column), an identity across tables on the total rows. Each check is a
:class:`Constraint`: the cells it reads, each with its coefficient, the printed and computed
value, and the rounding its printed figures allow. ``table_relation`` reports the broken ones;
``wrong_cell`` looks for the fewest cells whose change makes them all hold.

Blank cells count as zero and are cells too: a figure left out is a change of a blank cell.
Money in 元 and 万元 is compared after conversion (the coefficient of a term read from a table
printed in another unit carries the factor).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import attrs

from budgetqa.checks.rounding import half_unit
from budgetqa.model import Column, Document, Relation, Table, TableRow, money_context

__all__ = ["UNIT_SCALE", "Cell", "Constraint", "document_constraints", "relation_checks"]

#: A printed cell: (table number in the document, row index, position among the money columns
#: of the row's side).
Cell = tuple[int, int, int]

#: How many 元 one unit of money is.
UNIT_SCALE: dict[str, Decimal] = {
    "元": Decimal(1),
    "千元": Decimal(1000),
    "万元": Decimal(10000),
    "亿元": Decimal(100000000),
}

_ZERO = Decimal(0)


@attrs.frozen(slots=True)
class Constraint:
    """One relation on one row (and, for a hierarchy sum, one column).

    ``cells`` pairs each cell read with its coefficient: +1 for the checked cell (the
    equation's left side, the parent's figure), minus the term's sign (times a unit factor)
    for each addend, so that ``difference = Σ coefficient × value``. ``difference`` is
    ``actual - expected``: the printed figure less the sum computed from its addends.
    """

    table: int
    relation: Relation
    row: int
    column: Column
    cells: tuple[tuple[Cell, Decimal], ...]
    expected: Decimal
    actual: Decimal
    tolerance: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.expected

    @property
    def key(self) -> tuple[int, str, int]:
        """(table number, relation id, row index): the relation checked on one row."""
        return (self.table, self.relation.id, self.row)

    @property
    def broken(self) -> bool:
        return abs(self.difference) > self.tolerance


def document_constraints(document: Document) -> Iterator[Constraint]:
    """Every constraint of every relation of every established table of ``document``."""
    for number, table in enumerate(document.tables):
        if not table.established or not table.rows:
            continue
        keys = frozenset(column.key for column in table.columns)
        for relation in table.relations:
            if relation.applies_to(keys):
                for checks in relation_checks(document, number, relation):
                    yield from checks


def relation_checks(
    document: Document, number: int, relation: Relation
) -> Iterator[list[Constraint]]:
    """The constraints of ``relation`` on table ``number``, one list per row checked (a
    hierarchy sum has one constraint per money column of the row)."""
    table = document.tables[number]
    if relation.across:
        yield from _across(document, number, relation)
    elif relation.kind == "balance":
        yield from _balance(number, table, relation)
    elif relation.kind == "totals":
        yield from _totals_below(number, table, relation)
    elif relation.kind == "equation":
        for constraint in _equation(number, table, relation):
            yield [constraint]
    else:
        yield from _children(number, table, relation)


def _value(row: TableRow, position: int) -> Decimal | None:
    return row.amounts[position] if position < len(row.amounts) else None


def _equation(number: int, table: Table, relation: Relation) -> Iterator[Constraint]:
    for side in sorted({column.side for column in table.money_columns}, key=str):
        money = table.money_columns_of(side)
        position = {column.key: index for index, column in enumerate(money)}
        if relation.left not in position:
            continue
        terms = [(position[term.key], term.sign) for term in relation.terms if term.key in position]
        if not terms:
            continue
        at = position[relation.left]
        for row in table.rows:
            if row.side != side and side is not None:
                continue
            values = [_value(row, i) for i, _ in terms]
            printed = _value(row, at)
            if printed is None and all(value is None for value in values):
                continue
            with money_context():
                expected = sum(
                    (
                        (value or _ZERO) * sign
                        for value, (_, sign) in zip(values, terms, strict=True)
                    ),
                    _ZERO,
                )
                cells = (
                    ((number, row.index, at), Decimal(1)),
                    *(((number, row.index, i), Decimal(-sign)) for i, sign in terms),
                )
                yield Constraint(
                    number,
                    relation,
                    row.index,
                    money[at],
                    cells,
                    expected,
                    printed or _ZERO,
                    len(terms) * half_unit([printed, *values]),
                )


def total_row(table: Table, side: str | None = None) -> TableRow | None:
    """A table's one total row (level 0, on no side), or ``None`` if it has none or several.

    For one half of a paired table (``side``: the 收支总表's income or expenditure), the first
    total printed on that side: this year's (本年收入合计), before what is carried over is
    added (收入总计); the only one where the half prints one.
    """
    totals = [row for row in table.rows if row.level == 0 and row.side == side]
    if side is not None:
        return totals[0] if totals else None
    return totals[0] if len(totals) == 1 else None


def closing_total(table: Table, side: str | None) -> TableRow | None:
    """The last total row printed on ``side`` (收入总计, 支出总计), or ``None``."""
    totals = [row for row in table.rows if row.level == 0 and row.side == side]
    return totals[-1] if totals else None


def _column(table: Table, key: str) -> tuple[str | None, int] | None:
    """(side, position among the money columns of its side) of column ``key``."""
    for column in table.money_columns:
        if column.key == key:
            return column.side, table.money_columns_of(column.side).index(column)
    return None


def _balance(number: int, table: Table, relation: Relation) -> Iterator[list[Constraint]]:
    """The closing total of one half against the closing totals of the others (收入总计 =
    支出总计): each column is read on the last total row of its own side."""
    assert relation.left is not None
    left = _column(table, relation.left)
    if left is None:
        return
    row = closing_total(table, left[0])
    if row is None:
        return
    addends: list[tuple[Cell, Decimal | None, int]] = []
    for term in relation.terms:
        found = _column(table, term.key)
        total = None if found is None else closing_total(table, found[0])
        if found is None or total is None:
            if term.optional:
                continue
            return
        addends.append(((number, total.index, found[1]), _value(total, found[1]), term.sign))
    printed = _value(row, left[1])
    if printed is None and all(value is None for _, value, _ in addends):
        return
    with money_context():
        expected = sum(((value or _ZERO) * sign for _, value, sign in addends), _ZERO)
        cells = (
            ((number, row.index, left[1]), Decimal(1)),
            *((cell, Decimal(-sign)) for cell, _, sign in addends),
        )
        # each closing total is within half a unit of the amount it stands for
        tolerance = (1 + len(addends)) * half_unit([printed, *(value for _, value, _ in addends)])
    column = table.money_columns_of(left[0])[left[1]]
    yield [
        Constraint(
            number, relation, row.index, column, cells, expected, printed or _ZERO, tolerance
        )
    ]


def _totals_below(number: int, table: Table, relation: Relation) -> Iterator[list[Constraint]]:
    """Totals printed below the rows they add up (收支总表): on each side, a total row equals the
    first-level rows printed above it since the previous total, plus that total (本年收入合计 =
    一、… + 二、…; 收入总计 = 本年收入合计 + 上年结转结余). Rows of deeper levels are parts of
    the first-level row above them and are not counted again. One constraint per column."""
    leaves = _leaves(table, _kids(table))
    for side in sorted({row.side for row in table.rows}, key=str):
        pending: list[TableRow] = []
        previous: TableRow | None = None
        for row in table.rows:
            if row.side != side:
                continue
            if row.level != 0:
                if row.level == 1:
                    pending.append(row)
                continue
            parts = [*([] if previous is None else [previous]), *pending]
            previous, pending = row, []
            if not parts:
                continue
            # a total is built from every printed figure under it, each rounded on its own
            leaves[row.index] = sum(leaves[part.index] for part in parts)
            found = _sum_of_rows(number, relation, table, row, parts, leaves[row.index])
            if found:
                yield found


def _across(document: Document, number: int, relation: Relation) -> Iterator[list[Constraint]]:
    """The identity between this table's total row and other tables' total rows; nothing when
    a table it names is not in the document (or has no single total row, or lacks the column).
    Figures of a table printed in another unit of money are converted to this table's."""
    table = document.tables[number]
    row = total_row(table)
    if row is None:
        return
    own_scale = UNIT_SCALE.get(table.unit_of_money or "")
    addends: list[tuple[Cell, Decimal | None, Decimal]] = []  # cell, value, coefficient
    for term in relation.terms:
        source, source_number = table, number
        if term.table is not None:
            found = next(
                (
                    (i, t)
                    for i, t in enumerate(document.tables)
                    if t.kind == term.table and t.established
                ),
                None,
            )
            if found is None:
                return
            source_number, source = found
        located = _column(source, term.key)
        total = None
        if located is not None:
            total = row if source is table else total_row(source, located[0])
        if total is None or located is None:
            if term.optional:
                continue
            return
        index = located[1]
        their_scale = UNIT_SCALE.get(source.unit_of_money or "")
        factor = (
            their_scale / own_scale
            if own_scale is not None and their_scale is not None
            else Decimal(1)
        )
        addends.append(
            ((source_number, total.index, index), _value(total, index), term.sign * factor)
        )
    own = {column.key: index for index, column in enumerate(table.money_columns_of(None))}
    if relation.left not in own:
        return
    at = own[relation.left]
    printed = _value(row, at)
    if printed is None and all(value is None for _, value, _ in addends):
        return
    with money_context():
        expected = sum(((value or _ZERO) * factor for _, value, factor in addends), _ZERO)
        # each addend is within half its own printed unit, converted to this table's unit, and
        # no closer than this table's own printed unit
        own_half = half_unit([printed])
        tolerance = sum(
            (max(half_unit([value]) * abs(factor), own_half) for _, value, factor in addends),
            _ZERO,
        )
        cells = (
            ((number, row.index, at), Decimal(1)),
            *((cell, -factor) for cell, _, factor in addends),
        )
        column = table.money_columns_of(None)[at]
        yield [
            Constraint(
                number, relation, row.index, column, cells, expected, printed or _ZERO, tolerance
            )
        ]


def _kids(table: Table) -> dict[int, list[TableRow]]:
    """The rows under each row that has any, by its index."""
    children: dict[int, list[TableRow]] = {}
    for row in table.rows:
        if row.parent is not None:
            children.setdefault(row.parent, []).append(row)
    return children


def _leaves(table: Table, children: dict[int, list[TableRow]]) -> dict[int, int]:
    """How many rows without rows under them each row is built from (1 for such a row), with
    ``children`` the rows under each (:func:`_kids`)."""
    leaves: dict[int, int] = {}
    for row in reversed(table.rows):  # children come after their parent: one pass upwards
        kids_of = children.get(row.index)
        leaves[row.index] = sum(leaves.get(kid.index, 1) for kid in kids_of) if kids_of else 1
    return leaves


def _children(number: int, table: Table, relation: Relation) -> Iterator[list[Constraint]]:
    """Each row with rows under it, against their sum, one constraint per money column.

    The tolerance counts the printed figures the row is ultimately built from: a total over
    30 项 rounded one by one can miss by 30 × 0.005, even though it has only three 类 under it.
    """
    children = _kids(table)
    leaves = _leaves(table, children)
    for parent_index, kids in children.items():
        parent = table.rows[parent_index]
        yield _sum_of_rows(number, relation, table, parent, kids, leaves[parent_index])


def _sum_of_rows(
    number: int,
    relation: Relation,
    table: Table,
    row: TableRow,
    parts: Sequence[TableRow],
    leaves: int,
) -> list[Constraint]:
    """``row`` against the sum of ``parts``, one constraint per money column of its side (none
    where every figure is blank); ``leaves`` printed figures, each rounded, lie behind ``row``."""
    found: list[Constraint] = []
    for index, column in enumerate(table.money_columns_of(row.side)):
        printed = _value(row, index)
        values = [_value(part, index) for part in parts]
        if printed is None and all(value is None for value in values):
            continue
        with money_context():
            expected = sum((value or _ZERO for value in values), _ZERO)
            cells = (
                ((number, row.index, index), Decimal(1)),
                *(((number, part.index, index), Decimal(-1)) for part in parts),
            )
            found.append(
                Constraint(
                    number,
                    relation,
                    row.index,
                    column,
                    cells,
                    expected,
                    printed or _ZERO,
                    leaves * half_unit([printed, *values]),
                )
            )
    return found
