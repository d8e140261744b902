"""Hits of one rule on consecutive lines, reported as one finding.

Junk can fill thousands of lines, and one finding per line makes a report many times the size
of the junk. A check kind opts in by setting ``CheckKind.consecutive`` to a
:class:`Consecutive`: hits that follow each other on adjacent lines (only blank lines between)
and agree on the fields it names become one hit spanning them all. The engine reports it as one
finding whose message quotes the first hit and says how many there were.

Opt in only where one finding stands for the run as well as many would: a kind whose facts
feed the explanations (repeats, blank funding) must report each hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from budgetqa.checks.base import Hit
from budgetqa.model import Document, LineRole, SourceSpan

__all__ = ["Consecutive", "merge_consecutive"]


@attrs.frozen
class Consecutive:
    """How a check kind's hits on consecutive lines merge: those agreeing on ``same`` fields."""

    same: tuple[str, ...] = ()

    def note(self, count: int, span: SourceSpan) -> str:
        """What the merged finding's message adds to the first hit's."""
        return f" (the first of {count:,} alike on lines {span.line}–{span.end_line})"


def merge_consecutive(
    hits: Iterable[Hit], policy: Consecutive | None, document: Document
) -> Iterator[tuple[Hit, str]]:
    """``(hit, note)`` for each run of hits that ``policy`` merges into ``hit``; ``note`` ends
    the finding's message (empty for a run of one).

    Without a policy every hit is its own run. Hits are taken in the order the check yields
    them and only the current run is held, so a run of any length costs the same memory.
    """
    if policy is None:
        for hit in hits:
            yield hit, ""
        return
    first: Hit | None = None
    end_line = count = 0
    for hit in hits:
        if first is not None and _continues(first, end_line, hit, policy, document):
            end_line = max(end_line, hit.span.end_line)
            count += 1
            continue
        if first is not None:
            yield _merged(first, end_line, count, policy)
        first, end_line, count = hit, hit.span.end_line, 1
    if first is not None:
        yield _merged(first, end_line, count, policy)


def _continues(
    first: Hit, end_line: int, hit: Hit, policy: Consecutive, document: Document
) -> bool:
    if hit.span.path != first.span.path or hit.span.line <= end_line:
        return False
    if any(hit.fields.get(name) != first.fields.get(name) for name in policy.same):
        return False
    # Only blank lines may stand between (each gap is looked at once: linear in the lines).
    roles = document.line_roles
    return all(roles[number - 1] is LineRole.BLANK for number in range(end_line + 1, hit.span.line))


def _merged(first: Hit, end_line: int, count: int, policy: Consecutive) -> tuple[Hit, str]:
    if count == 1:
        return first, ""
    span = SourceSpan(first.span.path, first.span.line, end_line)
    return attrs.evolve(first, span=span), policy.note(count, span)
