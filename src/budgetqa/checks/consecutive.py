"""Hits of one rule on consecutive lines, reported as one finding.

Junk can fill thousands of lines, and one finding per line makes a report many times the size
of the junk. A check kind opts in by setting ``CheckKind.consecutive`` to a
:class:`Consecutive`: hits that follow each other on adjacent lines (only blank lines between)
and agree on the fields it names make a run; a run longer than the policy's ``longest_listed``
becomes one hit spanning it all. The engine reports it as one finding whose message quotes the
first hit and says how many there were and on which lines, so every line is still accounted
for. A run no longer than that is reported hit by hit.

Opt in only where one finding stands for the run as well as many would: a kind whose facts
feed the explanations (repeats, blank funding) must report each hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from budgetqa.checks.base import Hit
from budgetqa.checks.budget import RuleStopped
from budgetqa.model import Document, LineRole, SourceSpan

__all__ = [
    "ROWS_LISTED",
    "Consecutive",
    "consecutive_rows",
    "merge_consecutive",
]

#: How many alike hits on consecutive rows are still listed one by one. A reviewer fixes a few
#: rows that each lack their goal row by row; a longer run of rows that all lack the same thing
#: in the same way has one cause (a column lost over pages, junk lines read as rows, a template
#: left blank) and is one finding. The longest such runs in the five bundled tables are 12 and
#: 11 rows (ST103 in example 000): they are listed row by row.
ROWS_LISTED = 20


@attrs.frozen
class Consecutive:
    """How a check kind's hits on consecutive lines merge.

    Hits agreeing on the ``same`` fields make a run: the fields that say why a line was
    reported, not what it holds (the text quoted, a count), which the merged finding quotes
    from the first hit. A run of more than ``longest_listed`` hits is merged into one, a
    shorter one is reported hit by hit.
    """

    same: tuple[str, ...] = ()
    longest_listed: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    def describe(self) -> str:
        """The policy in a sentence, for the documentation of the rules that use it."""
        fields = " and ".join(f"`{{{name}}}`" for name in self.same)
        alike = f" that agree on {fields}" if fields else ""
        many = self.longest_listed > 1
        return (
            (f"More than {self.longest_listed} findings" if many else "Findings")
            + f" of this rule on consecutive lines (only blank lines between){alike} are one"
            " finding, which quotes the first and ends with how many there are and where:"
            " `(the first of 32,000 alike on lines 5–32004)`"
            + (f"; {self.longest_listed} or fewer are listed one by one." if many else ".")
        )

    def note(self, count: int, span: SourceSpan) -> str:
        """What the merged finding's message adds to the first hit's."""
        return f" (the first of {count:,} alike on lines {span.line}–{span.end_line})"


def consecutive_rows(*same: str) -> Consecutive:
    """The policy of a per-row check kind: alike hits on more than :data:`ROWS_LISTED`
    consecutive rows are one finding (alike: agreeing on the ``same`` fields)."""
    return Consecutive(same=same, longest_listed=ROWS_LISTED)


def merge_consecutive(
    hits: Iterable[Hit], policy: Consecutive | None, document: Document
) -> Iterator[tuple[Hit, str]]:
    """``(hit, note)`` for each hit to report: a run that ``policy`` merges is one ``hit`` and
    its ``note`` ends the finding's message; any other hit comes with an empty note.

    Without a policy every hit is reported. Hits are taken in the order the check yields them
    and at most ``policy.longest_listed`` hits of the current run are held, so a run of any
    length costs the same memory. When the check stops (:class:`RuleStopped`) the run so far
    is reported before the stop is raised on.
    """
    if policy is None:
        for hit in hits:
            yield hit, ""
        return
    run: list[Hit] = []  # the current run's hits while it may still be listed; then its first
    end_line = count = 0
    try:
        for hit in hits:
            if run and _continues(run[0], end_line, hit, policy, document):
                end_line = max(end_line, hit.span.end_line)
                count += 1
                if count <= policy.longest_listed:
                    run.append(hit)
                else:
                    del run[1:]
                continue
            yield from _reported(run, end_line, count, policy)
            run, end_line, count = [hit], hit.span.end_line, 1
    except RuleStopped:
        # The hits found before the rule stopped are reported, then the stop.
        yield from _reported(run, end_line, count, policy)
        raise
    yield from _reported(run, end_line, count, policy)


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


def _reported(
    run: list[Hit], end_line: int, count: int, policy: Consecutive
) -> Iterator[tuple[Hit, str]]:
    if count <= policy.longest_listed:
        for hit in run:
            yield hit, ""
        return
    first = run[0]
    span = SourceSpan(first.span.path, first.span.line, end_line)
    yield attrs.evolve(first, span=span), policy.note(count, span)
