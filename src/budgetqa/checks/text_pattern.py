"""``text_pattern``: regular expressions over a row's text, with wraps removed.

Cells wrapped over lines are joined before matching, so ``待单位`` at the end of one line and
``补充`` at the start of the next are found as ``待单位补充``; the finding spans both lines.
"""

from __future__ import annotations

import bisect
import heapq
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
# Extra time a scan of a whole document gets per character (one second per million).
_SECONDS_PER_CHARACTER = 1e-6

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
        wanted = [field for field in params["fields"] if field != "preamble"]
        if "preamble" in params["fields"] and document.preamble:
            joined = JoinedText.build(
                [(piece.line, piece.text.replace("\t", "")) for piece in document.preamble]
            )
            yield from self._matches(document, None, "preamble", joined, patterns)
        levels = params["levels"]
        candidates = {field: _candidate_rows(document, field, patterns) for field in wanted}
        for row in document.rows:
            if row.level.value not in levels:
                continue
            for field in wanted:
                if row.index not in candidates[field]:
                    continue
                pieces = _pieces(row, field)
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
        # Spans reported for the patterns before, disjoint and in order. A pattern's own matches
        # do not overlap and come in order too, so one walk over ``taken`` per pattern finds
        # those that overlap a span reported before: linear in the matches, however many.
        taken: list[tuple[int, int]] = []
        for pattern in patterns:
            try:
                matches = list(pattern.finditer(joined.text, timeout=MATCH_TIMEOUT_SECONDS))
            except TimeoutError:
                raise _timeout(
                    pattern, document, joined.lines[0] if joined.lines else None
                ) from None
            reported: list[tuple[int, int]] = []
            before = 0
            for match in matches:
                start, end = match.span()
                while before < len(taken) and taken[before][1] <= start:
                    before += 1  # ends before this match, so before every later one too
                if start == end or (before < len(taken) and taken[before][0] < end):
                    continue  # empty, or overlapping a match already reported
                reported.append((start, end))
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
            taken = list(heapq.merge(taken, reported))


# Anchors, word boundaries and lookarounds look at the text around a match; a pattern without
# them matches the same inside one field as inside all fields joined.
_CONTEXT_SYNTAX = regex.compile(r"\\[bBAZzGmMK]|\(\?<?[=!]|(?<!\[)\^|\$")


def context_free(pattern: regex.Pattern[str]) -> bool:
    """Whether ``pattern`` matches a text regardless of what surrounds it."""
    return pattern.flags & regex.MULTILINE == 0 and not _CONTEXT_SYNTAX.search(pattern.pattern)


def _field_texts(document: Document, field: str) -> tuple[str, ...]:
    """Each row's joined text of ``field`` (as JoinedText.build joins it), cached per document."""
    cached = document.cache.get(("text", field))
    if cached is None:
        cached = tuple(
            JoinedText.build([(piece.line, piece.text) for piece in _pieces(row, field)]).text
            if field == "name"
            else (row.goal if field == "goal" else row.indicator_text)
            for row in document.rows
        )
        document.cache[("text", field)] = cached
    assert isinstance(cached, tuple)
    return cached


def _field_blob(document: Document, field: str) -> tuple[str, list[int]]:
    """Every row's ``field`` text joined by line feeds, and where each row's text starts in it
    (built once per document and shared by the rules)."""
    cached = document.cache.get(("blob", field))
    if cached is None:
        texts = _field_texts(document, field)
        starts: list[int] = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text) + 1
        cached = document.cache[("blob", field)] = ("\n".join(texts), starts)
    assert isinstance(cached, tuple)
    return cached


def _candidate_rows(
    document: Document, field: str, patterns: Sequence[regex.Pattern[str]]
) -> set[int]:
    """Indices of rows whose ``field`` may match one of ``patterns`` (a superset, never less).

    A context-free pattern is run once over every row's text joined with line feeds: any match
    inside one row's text is then inside or overlapping a match found on the whole, so the rows
    a match overlaps are the candidates. Other patterns are tried row by row. Either way, one
    scan of the document per pattern rather than one call per row keeps large tables fast.
    """
    texts = _field_texts(document, field)
    found: set[int] = set()
    for pattern in patterns:
        spans: list[tuple[int, int]] | None = None
        if context_free(pattern):
            blob, starts = _field_blob(document, field)
            # The whole document gets the per-text allowance plus time for its size; if that
            # runs out, the rows are searched one by one, each within the per-text allowance,
            # so a pattern that backtracks catastrophically is reported at the row it hit.
            allowance = MATCH_TIMEOUT_SECONDS + len(blob) * _SECONDS_PER_CHARACTER
            try:
                spans = [m.span() for m in pattern.finditer(blob, timeout=allowance)]
            except TimeoutError:
                spans = None
        if spans is None:
            found.update(
                index
                for index, text in enumerate(texts)
                if text and index not in found and _search(document, pattern, text, index)
            )
            continue
        for start, end in spans:
            first = bisect.bisect_right(starts, start) - 1
            last = bisect.bisect_right(starts, max(start, end - 1)) - 1
            found.update(range(first, last + 1))
    return found


def _search(document: Document, pattern: regex.Pattern[str], text: str, index: int) -> bool:
    try:
        return pattern.search(text, timeout=MATCH_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        raise _timeout(pattern, document, document.rows[index].span.line) from None


def _timeout(pattern: regex.Pattern[str], document: Document, line: int | None) -> BudgetQAError:
    return BudgetQAError(
        f"pattern {pattern.pattern!r} took over {MATCH_TIMEOUT_SECONDS}s on one text; "
        "simplify it (nested repetition backtracks catastrophically)",
        path=document.path,
        line=line,
    )
