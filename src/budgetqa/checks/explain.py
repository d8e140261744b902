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
    """The findings with ``related`` and ``explanation`` filled in where one explains another."""
    by_id = {finding.id: finding for finding in findings}
    related: dict[str, list[str]] = {finding.id: list(finding.related) for finding in findings}
    notes: dict[str, list[str]] = {finding.id: [] for finding in findings}

    duplicates = [(fid, f) for fid, f in facts.items() if f.get("kind") == "duplicate"]
    blanks = [
        (fid, f)
        for fid, f in facts.items()
        if f.get("kind") == "funding_sum" and f.get("blank_funding")
    ]

    for fid, fact in facts.items():
        if fact.get("kind") != "children_sum":
            continue
        difference = fact["difference"]
        column = fact["column"]
        parent = fact["parent"]
        assert isinstance(difference, Decimal)
        assert isinstance(column, str)
        assert isinstance(parent, int)
        scope = {row.index for row in document.descendants(document.rows[parent])}
        # Each candidate moves the children's sum: a repeat adds its amount, a row with blank
        # funding cells leaves its 总计 out of the funding columns.
        candidates: list[tuple[str, Decimal, str]] = []
        for dup_id, dup in duplicates:
            row_index = dup["row"]
            amounts = dup["amounts"]
            assert isinstance(row_index, int)
            assert isinstance(amounts, Mapping)
            if row_index in scope and amounts.get(column) is not None:
                row = document.rows[row_index]
                candidates.append(
                    (
                        dup_id,
                        amounts[column],
                        f"{row.name} (line {row.span.line}, a repeated entry)",
                    )
                )
        if column != "total":
            for blank_id, blank in blanks:
                row_index = blank["row"]
                total = blank["total"]
                assert isinstance(row_index, int)
                assert isinstance(total, Decimal)
                if row_index in scope:
                    row = document.rows[row_index]
                    candidates.append(
                        (
                            blank_id,
                            -total,
                            f"{row.name} (line {row.span.line}, funding cells blank)",
                        )
                    )
        match = _exact_combination(candidates[:_MAX_CANDIDATES], difference)
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
