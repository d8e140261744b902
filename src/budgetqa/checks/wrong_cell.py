"""``wrong_cell``: which printed figure is most likely wrong, when relations break.

A figure typed wrong breaks every relation it takes part in: its row's equation, its parent's
sum, an identity with another table. Every relation it takes part in and no other: so the cell
that sits in all the broken relations of a group, and in none that holds, is the likeliest
culprit, and the value that would make them all hold is the figure that was meant.

For each group of broken relations that share cells, this looks for the fewest cells whose
change makes every relation of the group hold, without breaking one that holds: first one
cell, then two (a row whose 总计 and 财政拨款 were both typed wrong by the same amount). When
several single cells would do, the one whose printed figure has the shape of a slip against
the fitting value is preferred: two digits swapped, one digit misread, a digit dropped or
doubled, the decimal point moved, a 元 figure in a 万元 table (×10 000), a sign, a figure
counted twice. When still more than one would do, the finding says so and lists them.

Constraints come from :mod:`budgetqa.checks.constraints`; the search is linear in the cells of
the broken relations for one cell, and bounded (:data:`_MAX_PAIR_CELLS`) for two.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from budgetqa.checks.base import CheckKind, Hit, register, table_row_hit
from budgetqa.checks.constraints import Cell, Constraint, document_constraints
from budgetqa.model import Document, format_amount, money_context

__all__ = ["SHAPES", "Fix", "Suspect", "find_suspects", "slip_shape"]

#: The shapes of slip :func:`slip_shape` recognises, with how a reader is told.
SHAPES: dict[str, str] = {
    "swapped_digits": "two digits swapped",
    "one_digit": "one digit wrong",
    "dropped_digit": "a digit left out",
    "extra_digit": "a digit typed twice or added",
    "decimal_point": "the decimal point moved",
    "scale_10000": "a figure in 元 where 万元 is due, or the reverse (×10 000)",
    "sign": "the sign",
    "counted_twice": "counted twice",
    "left_blank": "left blank",
}

# The shapes that single one cell out among several that would fit.
_TELLING = frozenset(SHAPES) - {"left_blank"}
# Two-cell explanations are looked for among at most this many cells of a group (the ones in
# the most broken relations): 1 225 pairs at most.
_MAX_PAIR_CELLS = 50
# A group larger than this many broken relations is not searched for pairs.
_MAX_PAIR_GROUP = 64
_ALTERNATIVES = 5


@attrs.frozen
class Fix:
    """One cell to change: its printed value (``None`` when blank) and the value that fits."""

    cell: Cell
    printed: Decimal | None
    fitting: Decimal
    shape: str | None


@attrs.frozen
class Suspect:
    """The cells whose change makes the broken relations ``explains`` hold.

    ``alternatives`` are other single cells that would do as well (empty when ``fixes`` is the
    only explanation found); ``explains`` are the :attr:`Constraint.key` of the relations, in
    order.
    """

    fixes: tuple[Fix, ...]
    explains: tuple[tuple[int, str, int], ...]
    alternatives: tuple[Fix, ...] = ()


@register
class WrongCellCheck(CheckKind):
    name = "wrong_cell"
    description = (
        "Names the printed figure most likely wrong where relations break: the fewest cells "
        "(one, else two) whose change makes every broken relation of a group hold without "
        "breaking one that holds, with the value that would fit and the shape of the slip "
        "(digits swapped, one digit, ×10 000, sign, counted twice …)."
    )
    fields = frozenset(
        {"table", "title", "column", "printed", "fitting", "shape", "change", "relations", "others"}
    )

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for suspect in document_suspects(document):
            yield _hit(document, suspect)


def document_suspects(document: Document) -> list[Suspect]:
    """The suspects of every group of broken relations of ``document``'s tables."""
    constraints = list(document_constraints(document))
    return find_suspects(constraints, lambda cell: _printed(document, cell))


def _printed(document: Document, cell: Cell) -> Decimal | None:
    number, row, position = cell
    amounts = document.tables[number].rows[row].amounts
    return amounts[position] if position < len(amounts) else None


def find_suspects(
    constraints: Sequence[Constraint], printed: Callable[[Cell], Decimal | None]
) -> list[Suspect]:
    """The suspects explaining the broken ``constraints``, one per group of them that share
    cells and that one or two cells explain; ``printed(cell)`` is a cell's printed value."""
    containing: dict[Cell, list[int]] = {}
    for index, constraint in enumerate(constraints):
        for cell, _ in constraint.cells:
            containing.setdefault(cell, []).append(index)
    broken = [index for index, constraint in enumerate(constraints) if constraint.broken]
    search = _Search(constraints, containing, printed)
    suspects: list[Suspect] = []
    unexplained: list[list[int]] = []
    for group in _groups(constraints, broken, lambda cell: cell):
        suspect = search.single(group) or search.pair(group)
        if suspect is None:
            unexplained.append(group)
        else:
            suspects.append(suspect)
    # Groups in different columns of the same rows may share one cause: a row whose 总计 and
    # 财政拨款 were both typed wrong breaks its parent's sum in both columns.
    left = [index for group in unexplained for index in group]
    for group in _groups(constraints, left, lambda cell: cell[:2]):
        if any(set(group) == set(each) for each in unexplained):
            continue  # nothing merged: already tried
        suspect = search.pair(group)
        if suspect is not None:
            suspects.append(suspect)
    return suspects


def _groups(
    constraints: Sequence[Constraint],
    broken: Sequence[int],
    place: Callable[[Cell], tuple[int, ...]],
) -> list[list[int]]:
    """The broken constraints in groups that share a place of a cell (the cell itself, or its
    row): union-find over the places."""
    parent = {index: index for index in broken}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[tuple[int, ...], int] = {}
    for index in broken:
        for cell, _ in constraints[index].cells:
            at = place(cell)
            if at in owner:
                parent[root(index)] = root(owner[at])
            else:
                owner[at] = index
    groups: dict[int, list[int]] = {}
    for index in broken:
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


@attrs.define
class _Search:
    constraints: Sequence[Constraint]
    containing: Mapping[Cell, list[int]]
    printed: Callable[[Cell], Decimal | None]

    coefficients: dict[int, dict[Cell, Decimal]] = attrs.field(factory=dict)

    def _coefficient(self, index: int, cell: Cell) -> Decimal:
        """The coefficient of ``cell`` in constraint ``index`` (0 if not in it); each
        constraint's cells are indexed on first use, so a sum over many rows is read once."""
        found = self.coefficients.get(index)
        if found is None:
            found = {}
            for each, coefficient in self.constraints[index].cells:
                found[each] = found.get(each, Decimal(0)) + coefficient
            self.coefficients[index] = found
        return found.get(cell, Decimal(0))

    def _holds(self, changes: Mapping[Cell, Decimal], indices: set[int]) -> bool:
        """Whether every constraint in ``indices`` holds after adding ``changes`` to cells."""
        for index in indices:
            constraint = self.constraints[index]
            moved = constraint.difference + sum(
                (self._coefficient(index, cell) * change for cell, change in changes.items()),
                Decimal(0),
            )
            if abs(moved) > constraint.tolerance:
                return False
        return True

    def _fix(self, cell: Cell, change: Decimal) -> Fix:
        printed = self.printed(cell)
        fitting = (printed or Decimal(0)) + change
        exponent = printed.as_tuple().exponent if printed is not None else -2
        if isinstance(exponent, int):
            fitting = fitting.quantize(Decimal(1).scaleb(exponent))
        return Fix(cell, printed, fitting, slip_shape(printed, fitting))

    def _change(self, cell: Cell, index: int) -> Decimal | None:
        """The change of ``cell`` that makes constraint ``index`` hold exactly."""
        coefficient = self._coefficient(index, cell)
        if coefficient == 0:
            return None
        return -self.constraints[index].difference / coefficient

    def single(self, group: list[int]) -> Suspect | None:
        wanted = set(group)
        # the change each cell needs is the one the tightest broken relation asks for
        tightest = min(group, key=lambda i: self.constraints[i].tolerance)
        fixes: list[Fix] = []
        with money_context():
            # a cell in every broken relation of the group is in the first one
            for cell in dict.fromkeys(cell for cell, _ in self.constraints[group[0]].cells):
                touched = set(self.containing[cell])
                if not wanted <= touched:
                    continue
                change = self._change(cell, tightest)
                if change is None or not self._holds({cell: change}, touched):
                    continue
                fixes.append(self._fix(cell, change))
        if not fixes:
            return None
        # telling shapes rank first: where several cells would do, name one only when its slip
        # alone has a telling shape (a blank that "fits" says little: any blank fits one sum)
        ordered = sorted(fixes, key=_rank)
        if len(ordered) > 1 and sum(fix.shape in _TELLING for fix in ordered) != 1:
            return None
        keys = tuple(self.constraints[index].key for index in group)
        return Suspect(
            (ordered[0],), tuple(dict.fromkeys(keys)), tuple(ordered[1 : 1 + _ALTERNATIVES])
        )

    def pair(self, group: list[int]) -> Suspect | None:
        if len(group) > _MAX_PAIR_GROUP:
            return None
        wanted = set(group)
        counts: dict[Cell, int] = {}
        for index in group:
            for cell, _ in self.constraints[index].cells:
                counts[cell] = counts.get(cell, 0) + 1
        cells = sorted(counts, key=lambda cell: (-counts[cell], cell))[:_MAX_PAIR_CELLS]
        found: list[tuple[Fix, Fix]] = []
        with money_context():
            for first, second in itertools.combinations(cells, 2):
                touched = set(self.containing[first]) | set(self.containing[second])
                if not wanted <= touched:
                    continue
                changes = self._solve(first, second, touched)
                if changes is None or not self._holds(changes, touched):
                    continue
                found.append((self._fix(first, changes[first]), self._fix(second, changes[second])))
                if len(found) > 1:
                    break
        if len(found) != 1:
            return None  # none, or several: two cells cannot be named with confidence
        keys = tuple(self.constraints[index].key for index in group)
        return Suspect(found[0], tuple(dict.fromkeys(keys)))

    def _solve(self, first: Cell, second: Cell, touched: set[int]) -> dict[Cell, Decimal] | None:
        """The changes of two cells that make the constraints in ``touched`` hold: each from a
        constraint only it is in, or the second from one both are in once the first is known."""
        only_first = [i for i in touched if self._coefficient(i, second) == 0]
        only_second = [i for i in touched if self._coefficient(i, first) == 0]
        both = [i for i in touched if i not in only_first and i not in only_second]
        change_first = next(
            (c for i in only_first if (c := self._change(first, i)) is not None), None
        )
        change_second = next(
            (c for i in only_second if (c := self._change(second, i)) is not None), None
        )
        if change_first is None and change_second is None:
            return None
        for index in both:
            constraint = self.constraints[index]
            a, b = self._coefficient(index, first), self._coefficient(index, second)
            if change_first is not None and change_second is None:
                change_second = -(constraint.difference + a * change_first) / b
            elif change_second is not None and change_first is None:
                change_first = -(constraint.difference + b * change_second) / a
        if change_first is None or change_second is None or not change_first or not change_second:
            return None
        return {first: change_first, second: change_second}


def _rank(fix: Fix) -> tuple[int, Cell]:
    """Slips of a recognised shape first (the likeliest shapes first), then in cell order."""
    order = list(SHAPES)
    return (order.index(fix.shape) if fix.shape is not None else len(order), fix.cell)


def _digits(value: Decimal, places: int) -> str:
    return format(abs(value), f".{places}f").replace(".", "")


def slip_shape(printed: Decimal | None, fitting: Decimal) -> str | None:
    """The shape of the slip that turns ``fitting`` into ``printed``, or ``None``.

    >>> slip_shape(Decimal("1243.00"), Decimal("1234.00"))
    'swapped_digits'
    >>> slip_shape(Decimal("123400.00"), Decimal("12.34"))
    'scale_10000'
    """
    if printed is None:
        return "left_blank" if fitting else None
    if printed == fitting:
        return None
    if fitting and printed == -fitting:
        return "sign"
    if fitting and printed == 2 * fitting:
        return "counted_twice"
    for factor in (Decimal(10000), Decimal("0.0001")):
        # a figure in 万元 rounded to the cent is within 50 元 of the exact one
        if fitting and abs(printed - fitting * factor) <= max(factor, Decimal(1)) * Decimal(
            "0.005"
        ):
            return "scale_10000"
    for factor in (Decimal(10), Decimal(100), Decimal("0.1"), Decimal("0.01")):
        if fitting and printed == fitting * factor:
            return "decimal_point"
    if (printed < 0) != (fitting < 0):
        return None
    exponent = printed.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 2
    shown, meant = _digits(printed, places), _digits(fitting, places)
    if len(shown) == len(meant):
        wrong = [i for i, (a, b) in enumerate(zip(shown, meant, strict=True)) if a != b]
        if len(wrong) == 1:
            return "one_digit"
        if len(wrong) == 2:
            i, j = wrong
            if shown[i] == meant[j] and shown[j] == meant[i]:
                return "swapped_digits"
        return None
    longer, shorter = (shown, meant) if len(shown) > len(meant) else (meant, shown)
    if len(longer) == len(shorter) + 1 and any(
        longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer))
    ):
        return "extra_digit" if longer is shown else "dropped_digit"
    return None


def _where(document: Document, cell: Cell) -> tuple[str, str, str]:
    """(table title, or its kind where it has none; row; column header) of a cell."""
    number, row_index, position = cell
    table = document.tables[number]
    row = table.rows[row_index]
    money = table.money_columns_of(row.side)
    header = money[position].header if position < len(money) else f"column {position + 1}"
    return table.title or table.kind, row.label, header


def describe_fix(document: Document, fix: Fix) -> str:
    """``表3 … row 2080501 行政运行, 基本支出 (page 7): printed 1,243.00, 1,234.00 fits``."""
    title, name, header = _where(document, fix.cell)
    table = document.tables[fix.cell[0]]
    row = table.rows[fix.cell[1]]
    place = f"page {row.page}" if row.page is not None else f"line {row.line}"
    printed = "blank" if fix.printed is None else format_amount(fix.printed)
    shape = "" if fix.shape is None else f" ({SHAPES[fix.shape]})"
    return (
        f"{title}, {name}, {header} ({place}): printed {printed},"
        f" {format_amount(fix.fitting)} fits{shape}"
    )


def _hit(document: Document, suspect: Suspect) -> Hit:
    fix = suspect.fixes[0]
    number, row_index, _ = fix.cell
    table = document.tables[number]
    row = table.rows[row_index]
    title, _, header = _where(document, fix.cell)
    count = len(suspect.explains)
    relations = f"{count} broken relation" + ("" if count == 1 else "s")
    if len(suspect.fixes) > 1:
        others = "; together with " + "; ".join(
            describe_fix(document, other) for other in suspect.fixes[1:]
        )
    elif suspect.alternatives:
        others = "; as well explained by " + "; ".join(
            describe_fix(document, other) for other in suspect.alternatives
        )
    else:
        others = ""
    return table_row_hit(
        document,
        table,
        row,
        key=f"{number}:{row_index}:{fix.cell[2]}",
        fields={
            "title": title,
            "column": header,
            "printed": "blank" if fix.printed is None else format_amount(fix.printed),
            "fitting": format_amount(fix.fitting),
            "shape": "" if fix.shape is None else f" ({SHAPES[fix.shape]})",
            "change": "this one change" if len(suspect.fixes) == 1 else "with the next, this one",
            "relations": relations,
            "others": others,
        },
        expected=format_amount(fix.fitting),
        # a blank cell counts as zero in the sums: so it does in the difference
        actual=format_amount(fix.printed if fix.printed is not None else Decimal("0.00")),
        difference=format_amount((fix.printed or Decimal(0)) - fix.fitting),
        facts={
            "kind": "suspect",
            "explains": suspect.explains,
            "fixes": suspect.fixes,
            "alternatives": suspect.alternatives,
        },
    )


def table_column_key(document: Document, cell: Cell) -> str:
    """The profile's key of a cell's column (``total``, ``fiscal_appropriation`` …)."""
    number, row_index, position = cell
    table = document.tables[number]
    money = table.money_columns_of(table.rows[row_index].side)
    return money[position].key if position < len(money) else f"c{position}"
