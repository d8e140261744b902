"""Parsing the performance-indicator text (绩效指标) of a row into :class:`Indicator` items.

Two shapes are seen in published tables::

    1、1-产出指标；11-数量指标；NAME；实施周期指标值:X；年度指标值:Y。2、...
    1、产出指标：NAME，年度指标值：Y。2、...

Items are found on the text with wraps removed, so an item split over lines is one item; each
keeps the physical lines it spans. Text before the first item (an OCR cut, say) stays in the
row's ``indicator_text`` and produces no item.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from budgetqa.model import Indicator, SourceSpan, TextPiece
from budgetqa.text import JoinedText

__all__ = ["INDICATOR_START", "parse_indicators"]

_SEP = r"[;；,，]"
#: Where an item starts: its number and 、, followed by a level-1 category (``1-产出指标``).
#: A full stop may come right before it (``…管理工作.1、``); a decimal number may not (``1.1、``).
INDICATOR_START = regex.compile(
    r"(?<!\d)(?<!\d\.)(?P<number>\d{1,3})\s*+、\s*+(?=(?:\d{1,2}\s*+-\s*+)?\p{Han}{1,8}?指标)"
)
_PERIOD = regex.compile(r"实施周期指标值\s*+[:：]\s*+")
_ANNUAL = regex.compile(r"年度指标值\s*+[:：]\s*+")
_CATEGORY = regex.compile(
    rf"^\s*+(?:(?P<code>\d{{1,2}})\s*+-\s*+)?(?P<name>[^;；,，:：]{{1,20}}?指标)\s*+(?:{_SEP}|[:：]|$)"
)
_SUBCATEGORY = regex.compile(
    rf"^\s*+(?:(?P<code>\d{{2,3}})\s*+-\s*+(?P<coded>[^;；,，:：]{{1,30}}?)|(?P<plain>[^;；,，:：]{{1,20}}?指标))"
    rf"\s*+(?:{_SEP}|$)"
)
_SEPARATORS = "。;；,，: \t\u3000"


def parse_indicators(pieces: Sequence[TextPiece], path: str) -> tuple[Indicator, ...]:
    """Parse a row's indicator pieces into numbered :class:`Indicator` items."""
    joined = JoinedText.build([(piece.line, piece.text) for piece in pieces])
    text = joined.text
    starts = list(INDICATOR_START.finditer(text))
    items: list[Indicator] = []
    for position, match in enumerate(starts):
        end = starts[position + 1].start() if position + 1 < len(starts) else len(text)
        body = text[match.end() : end]
        first_line, last_line = joined.lines_of(match.start(), end)
        items.append(
            _parse_item(
                int(match.group("number")),
                body,
                _clean(text[match.start() : end]),
                SourceSpan(path, first_line, last_line),
            )
        )
    return tuple(items)


# The shape nearly every published item has, matched in one go. It only matches bodies on which
# the general parse below gives the same fields (no spaces or separators inside the codes and
# categories, no second 指标值 label inside the period value); anything else goes the long way.
# tests/test_indicators.py checks the two agree.
_STANDARD_ITEM = regex.compile(
    r"(?P<code>\d{1,2})-(?P<category>[^;；,，:：\s]{1,20}?指标)；"
    r"(?P<subcode>\d{2,3})-(?P<subcategory>[^;；,，:：\s]{1,30}?)；"
    r"(?P<name>[^;；:：]*)；"
    r"实施周期指标值\s*+[:：]\s*+(?P<period>(?:(?!指标值)[^；])*)；"
    r"年度指标值\s*+[:：]\s*+(?P<annual>.*)",
    regex.DOTALL,
)


def _parse_item(number: int, body: str, raw: str, span: SourceSpan) -> Indicator:
    match = _STANDARD_ITEM.fullmatch(body)
    if match is None:
        return parse_item_general(number, body, raw, span)
    return Indicator(
        number=number,
        name=_clean(match.group("name")),
        category=match.group("category"),
        category_code=match.group("code"),
        subcategory=match.group("subcategory"),
        subcategory_code=match.group("subcode"),
        period_value=_clean_value(match.group("period")),
        annual_value=_clean_value(match.group("annual")),
        raw=raw,
        span=span,
    )


def parse_item_general(number: int, body: str, raw: str, span: SourceSpan) -> Indicator:
    """Parse one item's text after its number, whatever its shape."""
    period_match = _PERIOD.search(body)
    annual_match = _ANNUAL.search(body)
    label_starts = [m.start() for m in (period_match, annual_match) if m is not None]
    head_end = min(label_starts) if label_starts else len(body)
    head = body[:head_end]

    period_value: str | None = None
    annual_value: str | None = None
    if period_match is not None:
        stop = (
            annual_match.start()
            if annual_match and annual_match.start() > period_match.end()
            else len(body)
        )
        period_value = _clean_value(body[period_match.end() : stop])
    if annual_match is not None:
        annual_value = _clean_value(body[annual_match.end() :])

    category = category_code = subcategory = subcategory_code = None
    rest = head
    category_match = _CATEGORY.match(rest)
    if category_match is not None:
        category, category_code = category_match.group("name").strip(), category_match.group("code")
        rest = rest[category_match.end() :]
        sub_match = _SUBCATEGORY.match(rest)
        if sub_match is not None:
            subcategory = (sub_match.group("coded") or sub_match.group("plain")).strip()
            subcategory_code = sub_match.group("code")
            rest = rest[sub_match.end() :]
    return Indicator(
        number=number,
        name=_clean(rest),
        category=category,
        category_code=category_code,
        subcategory=subcategory,
        subcategory_code=subcategory_code,
        period_value=period_value,
        annual_value=annual_value,
        raw=raw,
        span=span,
    )


def _clean(text: str) -> str:
    """Drop the separators and the full stop that end a field, keep an ellipsis (``...``)."""
    cleaned = text.strip(_SEPARATORS)
    if cleaned.endswith(".") and not cleaned.endswith(".."):
        return cleaned[:-1].strip(_SEPARATORS)
    return cleaned


def _clean_value(text: str) -> str | None:
    return _clean(text) or None
