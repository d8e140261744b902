"""Linking findings that explain each other.

A unit whose projects add up to more than the unit is often off by exactly a project entered
twice; a column that adds up to less is often off by a row whose funding cells were left blank.
When a sum finding's difference equals such rows' amounts exactly, both sides name each other in
``related`` and the sum finding says so in ``explanation``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from budgetqa.checks.wrong_cell import Fix, describe_fix, table_column_key
from budgetqa.findings import Finding
from budgetqa.model import COLUMN_LABELS, Document, format_amount

__all__ = ["explain"]

# Try combinations of at most this many rows when matching a difference exactly.
_MAX_COMBINATION = 4
_MAX_CANDIDATES = 16
_CENT = Decimal("0.01")


def explain(
    document: Document, findings: Sequence[Finding], facts: Mapping[str, Mapping[str, object]]
) -> list[Finding]:
    """The findings with ``related`` and ``explanation`` filled in where one explains another.

    Linear in the findings: the repeats and blank-funding rows are indexed once by the rows
    they sit under, so each sum finding looks only at those under its own parent.
    """
    by_id = {finding.id: finding for finding in findings}
    related: dict[str, list[str]] = {finding.id: list(finding.related) for finding in findings}
    notes: dict[str, list[str]] = {finding.id: [] for finding in findings}
    under = _Causes.index(document, facts)

    for fid, fact in facts.items():
        if fact.get("kind") != "children_sum":
            continue
        parent = fact["parent"]
        gaps = fact["differences"]
        assert isinstance(parent, int)
        assert isinstance(gaps, tuple)
        causes = under.get(parent)
        # columns whose differences the same rows account for are said once (总计 and 财政拨款)
        said: dict[tuple[Decimal, tuple[str, ...]], tuple[list[str], str]] = {}
        for column, difference in gaps:
            assert isinstance(column, str)
            assert isinstance(difference, Decimal)
            candidates = [] if causes is None else causes.candidates(document, column)
            match = _exact_combination(candidates, difference)
            label = COLUMN_LABELS.get(column, column)
            if match:
                key = (difference, tuple(other_id for other_id, _, _ in match))
                if key in said:
                    said[key][0].append(label)
                    continue
                said[key] = ([label], "; ".join(description for _, _, description in match))
                for other_id, share, _ in match:
                    related[fid].append(other_id)
                    related[other_id].append(fid)
                    notes[other_id].append(
                        f"Accounts for {format_amount(share)} of the {format_amount(difference)}"
                        f" {label} difference of {by_id[fid].location.row} ({fid})."
                    )
            elif abs(difference) <= _CENT * max(1, len(fact.get("children", ()) or ())):  # type: ignore[arg-type]
                notes[fid].append(
                    f"A difference of {format_amount(difference)} in {label} is at most one cent"
                    " per child row: most likely rounding."
                )
        for (difference, _), (labels, names) in said.items():
            notes[fid].append(
                f"The difference of {format_amount(difference)} in {' and '.join(labels)}"
                f" is exactly accounted for by: {names}."
            )

    _link_suspects(document, findings, facts, related, notes)
    return [
        attrs.evolve(
            finding,
            related=tuple(dict.fromkeys(related[finding.id])),
            explanation=" ".join(notes[finding.id]) or finding.explanation,
        )
        for finding in findings
    ]


def _link_suspects(
    document: Document,
    findings: Sequence[Finding],
    facts: Mapping[str, Mapping[str, object]],
    related: dict[str, list[str]],
    notes: dict[str, list[str]],
) -> None:
    """Link each likeliest-wrong-cell finding (``wrong_cell``) and the findings of the broken
    relations it explains: relation findings by table, relation and row; the project-table
    sums (AR101–AR104) by row, and for a sum over rows by the column of the cell named."""
    rows_table = document.rows_table
    kinds = {
        (number, relation.id): relation.kind
        for number, table in enumerate(document.tables)
        for relation in table.relations
    }
    for suspect_id, suspect in facts.items():
        if suspect.get("kind") != "suspect":
            continue
        explains = suspect["explains"]
        fixes = suspect["fixes"]
        assert isinstance(explains, tuple)
        assert isinstance(fixes, tuple)
        keys = set(explains)
        equations = {(t, r) for t, rid, r in keys if kinds.get((t, rid)) == "equation"}
        sums = {(t, r) for t, rid, r in keys if kinds.get((t, rid)) == "children"}
        columns = {
            table_column_key(document, fix.cell)
            for fix in fixes
            if isinstance(fix, Fix) and fix.cell[0] == rows_table
        }
        linked: list[str] = []
        for fid, fact in facts.items():
            kind = fact.get("kind")
            if kind == "relation":
                hit = (fact["table"], fact["relation"], fact["row"]) in keys
            elif kind == "funding_sum":
                hit = (rows_table, fact["row"]) in equations
            elif kind == "children_sum":
                parent, named = fact["parent"], fact["columns"]
                assert isinstance(parent, int)
                assert isinstance(named, tuple)
                hit = not columns.isdisjoint(named) and (
                    (rows_table, parent) in sums
                    or any(t == rows_table and _under(document, r, parent) for t, r in sums)
                )
            else:
                hit = False
            if hit:
                linked.append(fid)
        if not linked:
            continue
        named = "; ".join(describe_fix(document, fix) for fix in fixes if isinstance(fix, Fix))
        for fid in linked:
            related[suspect_id].append(fid)
            related[fid].append(suspect_id)
            others = len(linked) - 1
            also = f" and {others} other finding{'s' if others != 1 else ''}" if others else ""
            notes[fid].append(
                f"Likeliest wrong figure: {named}; that change makes this{also} hold"
                f" ({suspect_id})."
            )


def _under(document: Document, row: int, ancestor: int) -> bool:
    """Whether project-table row ``row`` is ``ancestor`` or below it."""
    current: int | None = row
    while current is not None:
        if current == ancestor:
            return True
        current = document.rows[current].parent_index if current < len(document.rows) else None
    return False


@attrs.define
class _Causes:
    """The findings that may explain a difference in the sums below one row, in finding order:
    rows entered twice, and rows whose funding cells are blank."""

    repeats: list[tuple[str, int, Mapping[str, object]]] = attrs.field(factory=list)
    blanks: list[tuple[str, int, Mapping[str, object]]] = attrs.field(factory=list)

    @classmethod
    def index(
        cls, document: Document, facts: Mapping[str, Mapping[str, object]]
    ) -> dict[int, _Causes]:
        """Each row's index to the causes among its descendants, built in one pass."""
        under: dict[int, _Causes] = {}
        for fid, fact in facts.items():
            kind = fact.get("kind")
            repeat = kind == "duplicate"
            if not (repeat or (kind == "funding_sum" and fact.get("blank_funding"))):
                continue
            row_index = fact["row"]
            assert isinstance(row_index, int)
            # A row sits under its parent, its parent's parent, and so on (a few levels).
            ancestor = document.rows[row_index].parent_index
            while ancestor is not None:
                causes = under.setdefault(ancestor, cls())
                (causes.repeats if repeat else causes.blanks).append((fid, row_index, fact))
                ancestor = document.rows[ancestor].parent_index
        return under

    def candidates(self, document: Document, column: str) -> list[tuple[str, Decimal, str]]:
        """Up to ``_MAX_CANDIDATES`` ``(finding id, amount, description)``: how each cause moves
        the children's sum of ``column``. A repeat adds its amount; a row with blank funding
        cells leaves its 总计 out of the funding columns."""
        found: list[tuple[str, Decimal, str]] = []
        for dup_id, row_index, dup in self.repeats:
            if len(found) == _MAX_CANDIDATES:
                return found
            amounts = dup["amounts"]
            assert isinstance(amounts, Mapping)
            if amounts.get(column) is not None:
                row = document.rows[row_index]
                found.append(
                    (
                        dup_id,
                        amounts[column],
                        f"{row.name} (line {row.span.line}, a repeated entry)",
                    )
                )
        if column == "total":
            return found
        for blank_id, row_index, blank in self.blanks:
            if len(found) == _MAX_CANDIDATES:
                return found
            total = blank["total"]
            assert isinstance(total, Decimal)
            row = document.rows[row_index]
            found.append(
                (blank_id, -total, f"{row.name} (line {row.span.line}, funding cells blank)")
            )
        return found


def _exact_combination(
    candidates: Sequence[tuple[str, Decimal, str]], difference: Decimal
) -> tuple[tuple[str, Decimal, str], ...]:
    """The smallest set of candidates whose amounts add up to ``difference`` exactly."""
    if difference == 0 or not candidates:
        return ()
    # All of them together is the common case for a total over many units (every repeat counts).
    if (
        sum((amount for _, amount, _ in candidates), Decimal(0)) == difference
        and len(candidates) > _MAX_COMBINATION
    ):
        return tuple(candidates)
    for size in range(1, min(_MAX_COMBINATION, len(candidates)) + 1):
        for combination in itertools.combinations(candidates, size):
            if sum((amount for _, amount, _ in combination), Decimal(0)) == difference:
                return combination
    return ()
