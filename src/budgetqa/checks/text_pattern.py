"""``text_pattern``: regular expressions over a row's text, with wraps removed.

Cells wrapped over lines are joined before matching, so ``待单位`` at the end of one line and
``补充`` at the start of the next are found as ``待单位补充``; the finding spans both lines.
Patterns are matched on the text with invisible characters (zero-width spaces, soft hyphens,
word joiners, byte-order marks) and the white space between two Chinese characters removed, so
``待\u200b单位补充`` and ``待 单位补充`` are found too; findings point at the raw text.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import regex

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.checks.budget import (
    MATCH_TIMEOUT_SECONDS,
    SECONDS_PER_CHARACTER,
    PatternBudget,
    RuleStopped,
    current_budget,
)
from budgetqa.model import Document, Row, SourceSpan, TextPiece
from budgetqa.text import JoinedText

FIELD_LABELS = {
    "name": "the name",
    "goal": "the goal (绩效目标)",
    "indicators": "the indicators (绩效指标)",
    "preamble": "the lines above the header",
}

#: Characters that take no room on the page: zero-width space, non-joiner and joiner, word
#: joiner and invisible operators, soft hyphen, combining grapheme joiner, Hangul fillers,
#: Mongolian vowel separator, byte-order mark.
_INVISIBLE = regex.compile(r"[\u00ad\u034f\u115f\u1160\u180e\u200b-\u200d\u2060-\u2064\ufeff]++")
#: White space between two Chinese characters: a wrap, an OCR split or a stray key, never a word
#: break (Chinese has none). Only a run's first position passes the look-behind: linear.
_HAN_SPACE = regex.compile(r"(?<=\p{Han})[^\S\n]++(?=\p{Han})")
_NORMALISATION = {"invisible": _INVISIBLE, "han_spaces": _HAN_SPACE}


@attrs.frozen
class MatchText:
    """A text as patterns see it, and where each of its characters stood in the raw text."""

    text: str
    #: Raw offset of each character of ``text``; ``None`` when nothing was removed.
    origin: tuple[int, ...] | None = None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw text's ``[start, end)`` holding ``text[start:end]``."""
        if self.origin is None:
            return start, end
        if start >= end:
            return self.origin[start] if start < len(self.origin) else end, end
        return self.origin[start], self.origin[end - 1] + 1


def normalised(text: str, steps: Sequence[str]) -> MatchText:
    """``text`` with what ``steps`` name removed (``invisible``, ``han_spaces``), in that order."""
    current = text
    origin: list[int] | None = None
    for step in ("invisible", "han_spaces"):
        if step not in steps:
            continue
        spans = [match.span() for match in _NORMALISATION[step].finditer(current)]
        if not spans:
            continue
        parts: list[str] = []
        kept: list[int] = []
        previous = 0
        for begin, end in spans:
            parts.append(current[previous:begin])
            kept.extend(range(previous, begin))
            previous = end
        parts.append(current[previous:])
        kept.extend(range(previous, len(current)))
        origin = kept if origin is None else [origin[index] for index in kept]
        current = "".join(parts)
    return MatchText(current, None if origin is None else tuple(origin))


def _shown(raw: str) -> str:
    """Raw matched text with its invisible characters written as escapes, for the message."""
    return _INVISIBLE.sub(
        lambda match: "".join(f"\\u{ord(character):04x}" for character in match.group(0)), raw
    )


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
        "normalise": Param(
            "list[str]",
            ["invisible", "han_spaces"],
            "what is removed from the text before matching (findings still point at the raw"
            " text): invisible characters, white space between two Chinese characters",
            ("invisible", "han_spaces"),
        ),
    }
    fields = frozenset({"match", "field"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        patterns: Sequence[regex.Pattern[str]] = params["patterns"]
        steps: tuple[str, ...] = tuple(params["normalise"])
        budget = current_budget()
        wanted = [field for field in params["fields"] if field != "preamble"]
        if "preamble" in params["fields"] and document.preamble:
            joined = JoinedText.build(
                [(piece.line, piece.text.replace("\t", "")) for piece in document.preamble]
            )
            yield from self._matches(document, None, "preamble", joined, patterns, steps, budget)
        levels = params["levels"]
        candidates = {
            field: _candidate_rows(document, field, patterns, steps, budget) for field in wanted
        }
        for row in document.rows:
            if row.level.value not in levels:
                continue
            for field in wanted:
                if row.index not in candidates[field]:
                    continue
                pieces = _pieces(row, field)
                joined = JoinedText.build([(piece.line, piece.text) for piece in pieces])
                yield from self._matches(document, row, field, joined, patterns, steps, budget)

    def _matches(
        self,
        document: Document,
        row: Row | None,
        field: str,
        joined: JoinedText,
        patterns: Sequence[regex.Pattern[str]],
        steps: Sequence[str],
        budget: PatternBudget,
    ) -> Iterator[Hit]:
        # Spans reported for the patterns before, disjoint and in order. A pattern's own matches
        # do not overlap and come in order too, so one walk over ``taken`` per pattern finds
        # those that overlap a span reported before: linear in the matches, however many.
        taken: list[tuple[int, int]] = []
        seen = normalised(joined.text, steps)
        line = joined.lines[0] if joined.lines else None
        for pattern in patterns:
            matches = budget.findall(
                pattern, seen.text, line=line, row=None if row is None else row.name
            )
            reported: list[tuple[int, int]] = []
            before = 0
            for match in matches:
                start, end = match.span()
                while before < len(taken) and taken[before][1] <= start:
                    before += 1  # ends before this match, so before every later one too
                if start == end or (before < len(taken) and taken[before][0] < end):
                    continue  # empty, or overlapping a match already reported
                reported.append((start, end))
                raw_start, raw_end = seen.raw_span(start, end)
                first, last = joined.lines_of(raw_start, raw_end)
                raw = joined.text[raw_start:raw_end]
                yield Hit(
                    span=SourceSpan(document.path, first, last),
                    row=row,
                    key=f"{-1 if row is None else row.index}:{field}:{raw_start}",
                    fields={
                        **row_fields(row, document),
                        "match": _shown(raw),
                        "field": FIELD_LABELS[field],
                    },
                    actual=raw,
                    facts={"kind": "text", "row": None if row is None else row.index},
                )
            taken = list(heapq.merge(taken, reported))


# Syntax whose meaning depends on what surrounds a match or on where a scan resumes: anchors,
# word boundaries, \G and \K, lookarounds, backtracking verbs ((*SKIP), (*PRUNE), (*COMMIT)),
# conditionals, fuzzy constraints, and inline flags that change scanning (m, r, b, e, p, w).
# Conservative by design: a false "not context-free" only costs a row-by-row search.
_CONTEXT_SYNTAX = regex.compile(
    r"\\[bBAZzGmMK]|\(\?<?[=!]|(?<!\[)\^|\$|\(\*|\(\?\(|\{[^}]*[eisd]"
    r"|\(\?[a-zA-Z-]*[mrbepw][a-zA-Z-]*[:)]"
)
_SCAN_FLAGS = (
    regex.MULTILINE
    | regex.BESTMATCH
    | regex.ENHANCEMATCH
    | regex.REVERSE
    | regex.POSIX
    | regex.WORD
)


def context_free(pattern: regex.Pattern[str]) -> bool:
    """Whether ``pattern`` matches a text regardless of what surrounds it, so that one scan of
    all rows' texts joined finds (or overlaps) every match a row-by-row search would find.

    ``tests/test_text_pattern.py`` holds this against row-by-row matching on generated patterns
    (verbs, atomic groups, possessive and lazy repeats, classes that match the line feed
    joining the rows) and texts.
    """
    return pattern.flags & _SCAN_FLAGS == 0 and not _CONTEXT_SYNTAX.search(pattern.pattern)


def _match_texts(document: Document, field: str, steps: tuple[str, ...]) -> tuple[str, ...]:
    """Each row's ``field`` text as patterns see it, cached per document."""
    key = ("match", field, steps)
    cached = document.cache.get(key)
    if cached is None:
        raw = _field_texts(document, field)
        cached = document.cache[key] = tuple(normalised(text, steps).text for text in raw)
    assert isinstance(cached, tuple)
    return cached


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


def _field_blob(document: Document, field: str, steps: tuple[str, ...]) -> tuple[str, list[int]]:
    """Every row's ``field`` text (as patterns see it) joined by line feeds, and where each
    row's text starts in it (built once per document and shared by the rules)."""
    key = ("blob", field, steps)
    cached = document.cache.get(key)
    if cached is None:
        texts = _match_texts(document, field, steps)
        starts: list[int] = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text) + 1
        cached = document.cache[key] = ("\n".join(texts), starts)
    assert isinstance(cached, tuple)
    return cached


def _candidate_rows(
    document: Document,
    field: str,
    patterns: Sequence[regex.Pattern[str]],
    steps: tuple[str, ...],
    budget: PatternBudget,
) -> set[int]:
    """Indices of rows whose ``field`` may match one of ``patterns`` (a superset, never less).

    A context-free pattern is run once over every row's text joined with line feeds: any match
    inside one row's text is then inside or overlapping a match found on the whole, so the rows
    a match overlaps are the candidates. Other patterns are tried row by row. Either way, one
    scan of the document per pattern rather than one call per row keeps large tables fast.
    """
    texts = _match_texts(document, field, steps)
    found: set[int] = set()
    for pattern in patterns:
        if context_free(pattern):
            blob, starts = _field_blob(document, field, steps)
            # The whole document gets the per-text allowance plus time for its size, within the
            # rule's budget; if a catastrophic pattern runs out, the rows are searched one by
            # one so the row it hit is named.
            # (The regex engine checks its clock now and then and can overrun a limit two- or
            # threefold, so the whole-document scan gets at most a quarter of what is left.)
            allowance = min(
                MATCH_TIMEOUT_SECONDS + len(blob) * SECONDS_PER_CHARACTER, budget.remaining / 4
            )
            try:
                spans = [
                    m.span()
                    for m in budget.findall(pattern, blob, line=None, row=None, allowance=allowance)
                ]
            except RuleStopped:
                spans = None
            if spans is not None:
                for start, end in spans:
                    first = bisect.bisect_right(starts, start) - 1
                    last = bisect.bisect_right(starts, max(start, end - 1)) - 1
                    found.update(range(first, last + 1))
                continue
        for index, text in enumerate(texts):
            if text and index not in found:
                row = document.rows[index]
                if budget.search(pattern, text, line=row.span.line, row=row.name):
                    found.add(index)
    return found
