"""``text_pattern``: regular expressions over a row's text, with wraps removed.

Cells wrapped over lines are joined before matching, so ``待单位`` at the end of one line and
``补充`` at the start of the next are found as ``待单位补充``; the finding spans both lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import regex

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.errors import BudgetQAError
from budgetqa.model import Document, Row, SourceSpan, TextPiece
from budgetqa.text import JoinedText

# A rule's pattern may take at most this long on one text: a guard against catastrophic
# backtracking in user-written expressions.
MATCH_TIMEOUT_SECONDS = 2.0

FIELD_LABELS = {
    "name": "the name",
    "goal": "the goal (绩效目标)",
    "indicators": "the indicators (绩效指标)",
    "preamble": "the lines above the header",
}


def _pieces(row: Row, field: str) -> Sequence[TextPiece]:
    if field == "name":
        return row.name_pieces
    if field == "goal":
        return row.goal_pieces
    return row.indicator_pieces


@register
class TextPatternCheck(CheckKind):
    name = "text_pattern"
    description = (
        "Finds text matching any of the rule's regular expressions in the chosen fields, on the "
        "text with line wraps removed, and reports each match at the lines it occupies."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "patterns": Param(
            "list[regex]", [], "regular expressions (the `regex` module's syntax, VERSION1)"
        ),
        "fields": Param(
            "list[str]",
            ["name", "goal", "indicators"],
            "where to look",
            ("name", "goal", "indicators", "preamble"),
        ),
        "levels": Param(
            "list[str]",
            ["total", "unit", "project"],
            "row levels searched",
            ("total", "unit", "project"),
        ),
    }
    fields = frozenset({"match", "field"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        patterns: Sequence[regex.Pattern[str]] = params["patterns"]
        wanted = params["fields"]
        if "preamble" in wanted and document.preamble:
            joined = JoinedText.build(
                [(piece.line, piece.text.replace("\t", "")) for piece in document.preamble]
            )
            yield from self._matches(document, None, "preamble", joined, patterns)
        for row in document.rows:
            if row.level.value not in params["levels"]:
                continue
            for field in wanted:
                if field == "preamble":
                    continue
                pieces = _pieces(row, field)
                if pieces:
                    joined = JoinedText.build([(piece.line, piece.text) for piece in pieces])
                    yield from self._matches(document, row, field, joined, patterns)

    def _matches(
        self,
        document: Document,
        row: Row | None,
        field: str,
        joined: JoinedText,
        patterns: Sequence[regex.Pattern[str]],
    ) -> Iterator[Hit]:
        taken: list[tuple[int, int]] = []
        for pattern in patterns:
            try:
                matches = list(pattern.finditer(joined.text, timeout=MATCH_TIMEOUT_SECONDS))
            except TimeoutError:
                raise BudgetQAError(
                    f"pattern {pattern.pattern!r} took over {MATCH_TIMEOUT_SECONDS}s on one text; "
                    "simplify it (nested repetition backtracks catastrophically)",
                    path=document.path,
                    line=joined.lines[0] if joined.lines else None,
                ) from None
            for match in matches:
                start, end = match.span()
                if start == end or any(start < stop and end > begin for begin, stop in taken):
                    continue  # empty, or overlapping a match already reported
                taken.append((start, end))
                first, last = joined.lines_of(start, end)
                yield Hit(
                    span=SourceSpan(document.path, first, last),
                    row=row,
                    key=f"{-1 if row is None else row.index}:{field}:{start}",
                    fields={
                        **row_fields(row, document),
                        "match": match.group(0),
                        "field": FIELD_LABELS[field],
                    },
                    actual=match.group(0),
                    facts={"kind": "text", "row": None if row is None else row.index},
                )
