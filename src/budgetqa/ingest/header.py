"""Recognising the column header and the title lines above it."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs
import regex

from budgetqa.model import TextPiece
from budgetqa.text import fold

__all__ = [
    "COLUMN_KEYS",
    "Preamble",
    "column_key",
    "header_columns",
    "is_layout_header_start",
    "parse_preamble",
]

#: Canonical column keys, in the order the published header prints them.
COLUMN_KEYS: tuple[str, ...] = (
    "name",
    "total",
    "fiscal_appropriation",
    "special_account",
    "other_funds",
    "goal",
    "indicators",
)

_SPACES = regex.compile(r"\s+")
# Header labels as printed (after NFKC folding and removing spaces), plus the canonical keys
# themselves so CSV/XLSX files written by budgetqa or by hand in English read too.
_LABELS: tuple[tuple[str, regex.Pattern[str]], ...] = (
    ("name", regex.compile(r"^(?:项目名称.*|项目|name|project)$", regex.IGNORECASE)),
    ("total", regex.compile(r"^(?:总计|合计金额|total)$", regex.IGNORECASE)),
    (
        "fiscal_appropriation",
        regex.compile(r"^(?:财政拨款|fiscal_appropriation)$", regex.IGNORECASE),
    ),
    (
        "special_account",
        regex.compile(r"^(?:财政专户拨款|财政专户|special_account)$", regex.IGNORECASE),
    ),
    ("other_funds", regex.compile(r"^(?:其他资金|other_funds)$", regex.IGNORECASE)),
    ("goal", regex.compile(r"^(?:绩效目标|goal)$", regex.IGNORECASE)),
    ("indicators", regex.compile(r"^(?:绩效指标|indicators|indicator_text)$", regex.IGNORECASE)),
    ("level", regex.compile(r"^(?:level|层级|级次)$", regex.IGNORECASE)),
)


def column_key(cell: str) -> str | None:
    """The canonical key of a header cell, or ``None`` when it is not a known column label."""
    if len(cell) > _LONGEST_LABEL:
        return None  # every row is asked: long cells (goals, indicators) are not labels
    return _column_key(cell)


@functools.lru_cache(maxsize=4096)
def _column_key(cell: str) -> str | None:
    label = _SPACES.sub("", fold(cell))
    for key, pattern in _LABELS:
        if pattern.match(label):
            return key
    return None


# Labels are short; allow for spaces OCR or layout put between their characters.
_LONGEST_LABEL = 40


def header_columns(cells: Sequence[str]) -> dict[str, int] | None:
    """Map column keys to cell positions when ``cells`` is a header row, else ``None``.

    A header must name the project column and 总计 and at least two more known columns.
    """
    found: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = column_key(cell)
        if key is not None and key not in found:
            found[key] = position
    if "name" in found and "total" in found and len(found) >= 4:
        return found
    return None


_LAYOUT_HEADER_START = regex.compile(r"^\s*项目名称.*总计")


def is_layout_header_start(line: str) -> bool:
    """True for the first line of a column header in PDF layout text."""
    return _LAYOUT_HEADER_START.match(fold(line)) is not None


# The name is the shortest that the money unit's label or the end of the line follows, blanks
# between. It grows by a non-blank character and the blanks before it: grown by one character
# at a time (``.+?``), it looked from each blank of a long run over the rest of the run, which
# was quadratic. tests/test_growth.py holds it to the old pattern.
_DEPARTMENT = regex.compile(
    r"(?:部门名称|单位名称|部门)\s*+[:：]\s*+(?P<name>\S(?:[^\S\n]*+\S)*?)"
    r"\s*+(?=(?:单位|単位)\s*+[:：]|$)"
)
# The longest prefix that ends like an organisation: OCR leaves debris after the name
# ("…社会保障局\t引(部[])").
_ORGANISATION = regex.compile(r"^.*(?:局|委员会|办公室|中心|院|所)(?:\s*[(（]本级[)）])?")
_MONEY_UNIT = regex.compile(r"(?:^|\s|\t)(?:单位|単位)\s*+[:：]\s*+(?P<unit>\S+)")
#: OCR confusions seen in the money unit (力元 for 万元).
_MONEY_UNIT_READINGS = {
    "万元": "万元",
    "力元": "万元",
    "万兀": "万元",
    "元": "元",
    "千元": "千元",
    "亿元": "亿元",
}
_TITLE = regex.compile(r"绩效目标表|预算|项目支出")


@attrs.frozen
class Preamble:
    """What the lines above the header say about the table."""

    title: str | None
    department: str | None
    unit_of_money: str | None
    raw_unit_of_money: str | None


def parse_preamble(pieces: Sequence[TextPiece]) -> Preamble:
    """Read the title, department and money unit from the lines above the header.

    Tab-separated cells on one line are joined without a separator, since OCR splits one
    printed line into cells anywhere.
    """
    title: str | None = None
    department: str | None = None
    raw_unit: str | None = None
    for piece in pieces:
        text = piece.text.strip()
        if not text:
            continue
        unit_match = _MONEY_UNIT.search(text) or _MONEY_UNIT.search(" " + text)
        if unit_match is not None and raw_unit is None:
            raw_unit = unit_match.group("unit")
        flat = "".join(cell.strip() for cell in text.split("\t"))
        department_match = _DEPARTMENT.search(flat)
        if department_match is not None and department is None:
            named = department_match.group("name").strip()
            organisation = _ORGANISATION.match(named)
            department = organisation.group(0) if organisation else named
            continue
        if unit_match is not None and unit_match.start() <= 1:
            continue
        if title is None and _TITLE.search(text):
            title = flat
    unit = None if raw_unit is None else _MONEY_UNIT_READINGS.get(fold(raw_unit), fold(raw_unit))
    return Preamble(
        title=title, department=department, unit_of_money=unit, raw_unit_of_money=raw_unit
    )
