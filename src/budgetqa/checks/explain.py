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
        difference = fact["difference"]
        column = fact["column"]
        parent = fact["parent"]
        assert isinstance(difference, Decimal)
        assert isinstance(column, str)
        assert isinstance(parent, int)
        causes = under.get(parent)
        candidates = [] if causes is None else causes.candidates(document, column)
        match = _exact_combination(candidates, difference)
        label = COLUMN_LABELS.get(column, column)
        if match:
            names = "; ".join(description for _, _, description in match)
            notes[fid].append(
                f"The difference of {format_amount(difference)} in {label}"
                f" is exactly accounted for by: {names}."
            )
            for other_id, share, _ in match:
                related[fid].append(other_id)
                related[other_id].append(fid)
                notes[other_id].append(
                    f"Accounts for {format_amount(share)} of the {format_amount(difference)}"
                    f" {label} difference of {by_id[fid].location.row} ({fid})."
                )
        elif abs(difference) <= _CENT * max(1, len(fact.get("children", ()) or ())):  # type: ignore[arg-type]
            notes[fid].append(
                f"A difference of {format_amount(difference)} is at most one cent per child row: "
                "most likely rounding."
            )

    return [
        attrs.evolve(
            finding,
            related=tuple(dict.fromkeys(related[finding.id])),
            explanation=" ".join(notes[finding.id]) or finding.explanation,
        )
        for finding in findings
    ]


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
