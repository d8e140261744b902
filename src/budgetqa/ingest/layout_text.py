"""Reading text pulled out of PDFs, where the table's cells wrap over many lines.

What the layout tells, and what this reader relies on:

* a column header (``项目名称（资金使用单位） 总计 财政拨款 …``) starts the table and repeats at
  each page break, itself wrapped over several lines; the first is the header, the others are
  page headers;
* a row's figures stand together on one line (``1,366.63 1,366.63``), at the end of its name's
  last line or on a line of their own, and its goal text may follow on the same line; blank
  money cells vanish;
* project names are indented, unit names and 合计 are not;
* after the figures come the goal text (绩效目标) and the indicators (绩效指标), the latter
  starting with ``1、1-产出指标`` or ``1、产出指标``.

A unit's name is found by walking back from its figures over lines that read like a name (not
the end of a sentence, not indicator text). An indented line with no figures after it is a name
whose amounts are missing: it becomes a fragment, or, at the end of the file, a truncated table.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs
import regex

from budgetqa.errors import NotABudgetTableError, TruncatedTableError
from budgetqa.ingest.assemble import TOTAL_NAMES, Figure, RawRecord, assemble_document
from budgetqa.ingest.header import is_layout_header_start, parse_preamble
from budgetqa.ingest.indicators import INDICATOR_START
from budgetqa.ingest.source import SourceText
from budgetqa.model import Document, Fragment, Level, LineRole, SourceSpan, TextPiece
from budgetqa.text import JoinedText, fold, squeeze_name

__all__ = ["LAYOUT", "read_layout_text"]

LAYOUT = "pdf-text"

_FIGURE = r"-?\d{1,3}(?:,\d{3})++\.\d{2}|-?\d++\.\d{2}"
# A line holding a row's figures: indent, a prefix (a name, or nothing), figures parted by
# spaces or tabs, then goal text after a space or only blanks. The prefix is the shortest that
# fits, so the figures are the first run of figures whose tail fits. As one pattern with a lazy
# prefix (as it once was), a long line of figures whose tail does not fit was scanned again
# from each figure: quadratic. Each maximal run is found once instead (a possessive scan that
# resumes after it) and its tail looked at once: from any figure inside a run, the run ends in
# the same place. tests/test_growth.py holds this to the old pattern.
_FIGURE_RUN = regex.compile(rf"(?<!\S)(?:{_FIGURE})(?:[ \t]++(?:{_FIGURE}))*+")
# The tail: a space or tab and goal text up to the trailing blanks, or only blanks. It is
# matched where a run of figures ends; the lookbehind keeps a scan from restarting inside a
# run of blanks (which would make it quadratic, though this reader never scans with it).
_RUN_TAIL = regex.compile(
    r"(?<![ \t\u3000])"
    r"(?:[ \t]++(?P<suffix>\S(?:.*[^ \t\u3000])?)[ \t\u3000]*+$|[ \t\u3000]*+$)"
)
_INDENT_CHARACTERS = " \t\u3000"
# Goal text never starts with a unit of measure; a figure followed by one is prose, not money.
_PROSE_AFTER_FIGURE = regex.compile(r"^(?:万|元|亿|%|％|个|人|次|年|月|日|倍)")
_HEADER_END = regex.compile(r"绩效指标")
_HEADER_LINES = 8
_INDENT = 2
_NAME_LINES = 6
# A line that ends a sentence or holds indicator text is not part of a unit's name.
_NOT_NAME = regex.compile(r"[。.;；:：]\s*$|指标|值\s*[:：]|^\s*\d+\s*、")


@attrs.frozen
class _Line:
    number: int
    text: str

    @property
    def indent(self) -> int:
        expanded = self.text.replace("\t", "  ").replace("\u3000", "  ")
        return len(expanded) - len(expanded.lstrip(" "))


@attrs.frozen
class _Anchor:
    """A content line holding a row's figures."""

    position: int
    indent: int
    prefix: str
    figures: tuple[str, ...]
    suffix: str


def looks_like_layout_text(lines: Sequence[str]) -> bool:
    """True when some line starts a layout-text column header."""
    return any(is_layout_header_start(line) for line in lines)


def read_layout_text(source: SourceText) -> Document:
    """Read PDF layout text into a :class:`Document`.

    Raises:
        NotABudgetTableError: no column header.
        TruncatedTableError: the file ends with a row name whose amounts never come.
    """
    path = source.path
    lines = source.lines
    roles: list[LineRole] = [LineRole.BLANK] * len(lines)
    blocks = _header_blocks(lines)
    if not blocks:
        first = next((i + 1 for i, line in enumerate(lines) if line.strip()), 1)
        raise NotABudgetTableError(
            "no budget-table column header (项目名称 … 总计 …) found", path=path, line=first
        )
    header_lines: set[int] = set()
    for position, block in enumerate(blocks):
        role = LineRole.HEADER if position == 0 else LineRole.PAGE_HEADER
        for number in block:
            header_lines.add(number)
            roles[number - 1] = role
    first_header = blocks[0][0]
    first_block_end = blocks[0][-1]

    preamble_pieces: list[TextPiece] = []
    for number in range(1, first_header):
        if lines[number - 1].strip():
            roles[number - 1] = LineRole.TITLE
            preamble_pieces.append(TextPiece(number, lines[number - 1]))

    content = [
        _Line(number, lines[number - 1])
        for number in range(first_block_end + 1, len(lines) + 1)
        if lines[number - 1].strip() and number not in header_lines
    ]
    anchors = [
        anchor for position, line in enumerate(content) if (anchor := _anchor(position, line))
    ]

    records: list[RawRecord] = []
    fragments: list[Fragment] = []
    starts = [_name_start(content, anchors, k) for k in range(len(anchors))]
    # Text before the first row's name belongs to no row.
    first_start = starts[0] if starts else len(content)
    _fragment(content[:first_start], path, "text before the first row", fragments, roles)

    for k, anchor in enumerate(anchors):
        start = starts[k]
        stop = starts[k + 1] if k + 1 < len(anchors) else len(content)
        body = content[anchor.position + 1 : stop]
        # An indented line in a row's text is a project name that lost its figures.
        orphan = next((i for i, line in enumerate(body) if line.indent >= _INDENT), None)
        if orphan is not None:
            if k + 1 == len(anchors):
                name = squeeze_name(body[orphan].text)
                raise TruncatedTableError(
                    f"the table ends inside a row: {name!r} has no amounts",
                    path=path,
                    line=body[orphan].number,
                )
            _fragment(body[orphan:], path, "row name with no amounts", fragments, roles)
            body = body[:orphan]
        name_lines = content[start : anchor.position]
        name_pieces = [TextPiece(line.number, line.text) for line in name_lines]
        if anchor.prefix.strip():
            name_pieces.append(TextPiece(content[anchor.position].number, anchor.prefix))
        text_pieces = [TextPiece(line.number, line.text) for line in body]
        if anchor.suffix:
            text_pieces.insert(0, TextPiece(content[anchor.position].number, anchor.suffix))
        goal_pieces, indicator_pieces = _split_goal(text_pieces)
        first_line = content[start].number
        last_line = body[-1].number if body else content[anchor.position].number
        row_lines = [content[start + i] for i in range(anchor.position - start + 1)] + list(body)
        if not name_pieces:
            _fragment(row_lines, path, "amounts with no row name", fragments, roles)
            continue
        for line in row_lines:
            roles[line.number - 1] = LineRole.ROW
        level = _level(content[start], name_pieces)
        records.append(
            RawRecord(
                name_pieces=tuple(name_pieces),
                figures=tuple(
                    Figure(position, Decimal(text.replace(",", "")), text)
                    for position, text in enumerate(anchor.figures)
                ),
                dropped=None,
                goal_pieces=tuple(goal_pieces),
                indicator_pieces=tuple(indicator_pieces),
                line=first_line,
                end_line=last_line,
                level=level,
            )
        )
    if not anchors and content:
        raise TruncatedTableError(
            "the table has a header but no row with amounts", path=path, line=content[0].number
        )
    return assemble_document(
        path=path,
        layout=LAYOUT,
        encoding=source.encoding,
        preamble=parse_preamble(preamble_pieces),
        preamble_pieces=preamble_pieces,
        records=records,
        fragments=fragments,
        line_roles=roles,
        source_lines=lines,
        notes=source.notes,
    )


def _header_blocks(lines: Sequence[str]) -> list[list[int]]:
    """Line numbers of each column-header block: the first header, then page headers."""
    blocks: list[list[int]] = []
    index = 0
    while index < len(lines):
        if not is_layout_header_start(lines[index]):
            index += 1
            continue
        end = index
        if not _HEADER_END.search(fold(lines[index])):
            for ahead in range(index + 1, min(len(lines), index + _HEADER_LINES)):
                if _HEADER_END.search(fold(lines[ahead])):
                    end = ahead
                    break
        blocks.append([number + 1 for number in range(index, end + 1) if lines[number].strip()])
        index = end + 1
    return blocks


def amount_line(text: str) -> tuple[str, str, str | None] | None:
    """``(prefix, figures, suffix)`` of a line holding a row's figures, else ``None``.

    ``prefix`` is the text between the indent and the figures, ``figures`` the figures as
    printed with their separators, ``suffix`` the text after them without trailing blanks
    (``None`` when there is none). Linear in the length of the line.
    """
    if text.endswith("\n"):
        text = text[:-1]  # as ``$`` would: a final line feed ends the line
    if "\n" in text:
        return None  # a line feed inside is no physical line
    indent_end = len(text) - len(text.lstrip(_INDENT_CHARACTERS))
    for run in _FIGURE_RUN.finditer(text, indent_end):
        tail = _RUN_TAIL.match(text, run.end())
        if tail is not None:
            return text[indent_end : run.start()], run.group(), tail.group("suffix")
    return None


def _anchor(position: int, line: _Line) -> _Anchor | None:
    found = amount_line(line.text)
    if found is None:
        return None
    prefix, printed, suffix_or_none = found
    figures = tuple(printed.split())  # figures separated by spaces and tabs
    suffix = suffix_or_none or ""
    if len(figures) > 4 or (suffix and _PROSE_AFTER_FIGURE.match(suffix)):
        return None
    if len(figures) == 1 and (
        suffix or (prefix.strip() and squeeze_name(prefix) not in TOTAL_NAMES)
    ):
        return None  # a lone figure inside prose
    values = [Decimal(text.replace(",", "")) for text in figures]
    if len(values) > 1 and all(value >= 0 for value in values) and values[0] < max(values[1:]):
        return None  # the first figure is the 总计: no funding column can exceed it
    if prefix.strip() and _NOT_NAME.search(prefix):
        return None
    return _Anchor(position, line.indent, prefix, figures, suffix.strip())


def _name_start(content: Sequence[_Line], anchors: Sequence[_Anchor], k: int) -> int:
    """The content position where row ``k``'s name begins."""
    anchor = anchors[k]
    floor = anchors[k - 1].position + 1 if k > 0 else 0
    if anchor.prefix.strip() and anchor.indent >= _INDENT:
        return anchor.position
    if not anchor.prefix.strip():
        # Figures on a line of their own: the name above starts at an indented line (project).
        for position in range(anchor.position - 1, floor - 1, -1):
            if content[position].indent >= _INDENT:
                return position
    # A unit or 合计: its name starts on the figures' line (never indented) or a few
    # non-indented lines above that read like a name.
    start = anchor.position
    for position in range(anchor.position - 1, max(floor, anchor.position - _NAME_LINES) - 1, -1):
        line = content[position]
        if line.indent >= _INDENT or _NOT_NAME.search(line.text):
            break
        start = position
    return start


def _level(first: _Line, name_pieces: Sequence[TextPiece]) -> Level:
    name = squeeze_name("".join(piece.text.strip() for piece in name_pieces))
    if name in TOTAL_NAMES:
        return Level.TOTAL
    return Level.PROJECT if first.indent >= _INDENT else Level.UNIT


def _split_goal(pieces: Sequence[TextPiece]) -> tuple[list[TextPiece], list[TextPiece]]:
    """Split a row's text into goal pieces and indicator pieces at the first indicator."""
    joined = JoinedText.build([(piece.line, piece.text) for piece in pieces])
    match = INDICATOR_START.search(joined.text)
    if match is None:
        return list(pieces), []
    split_at = match.start()
    goal: list[TextPiece] = []
    indicators: list[TextPiece] = []
    kept = [piece for piece in pieces if piece.text.strip()]
    for start, piece in zip(joined.starts, kept, strict=True):
        text = piece.text.strip()
        end = start + len(text)
        if end <= split_at:
            goal.append(TextPiece(piece.line, text))
        elif start >= split_at:
            indicators.append(TextPiece(piece.line, text))
        else:
            goal.append(TextPiece(piece.line, text[: split_at - start]))
            indicators.append(TextPiece(piece.line, text[split_at - start :]))
    return goal, indicators


def _fragment(
    lines: Sequence[_Line], path: str, reason: str, fragments: list[Fragment], roles: list[LineRole]
) -> None:
    if not lines:
        return
    for line in lines:
        roles[line.number - 1] = LineRole.FRAGMENT
    fragments.append(
        Fragment(
            text="\n".join(line.text.strip() for line in lines),
            span=SourceSpan(path, lines[0].number, lines[-1].number),
            reason=reason,
        )
    )
