"""Text normalisation shared by the readers and the checks.

The raw text is always kept; these functions build the forms used for matching: amounts with
OCR noise removed, full-width forms folded (NFKC), white space inside wrapped Chinese names
removed. All matching uses the ``regex`` module so Unicode properties (``\\p{Han}``) work.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

import attrs
import regex

__all__ = [
    "AMOUNT_TEXT",
    "MAX_AMOUNT_DIGITS",
    "AmountOutOfRangeError",
    "JoinedText",
    "fold",
    "is_amount_text",
    "join_wrapped",
    "parse_amount",
    "split_lines",
    "squeeze_name",
]

# An amount as published: thousands groups, a decimal part, and the OCR noise seen in the wild
# (stray spaces around the separators: "55, 873. 15"). Possessive/atomic pieces keep it linear.
AMOUNT_TEXT = regex.compile(
    r"""
    [-−]?\s?
    (?:
        \d{1,3}(?:\s?,\s?\d{3})++   # grouped thousands, possibly with OCR spaces
      | \d++
    )
    (?:\s?\.\s?\d++)?+             # the decimal part
    """,
    regex.VERBOSE,
)
_AMOUNT_FULL = regex.compile(rf"^\s*+(?:{AMOUNT_TEXT.pattern})\s*+$", regex.VERBOSE)
_NON_DIGIT = regex.compile(r"[^\d.\-]")
_LINE_BREAK = regex.compile(r"\r\n|\r|\n")
# White space next to a Han character (or CJK punctuation) is a wrap or OCR artefact. A run of
# white space is looked past from where it starts only (from anywhere in it, it ends in the same
# place): retried at every position of a long run, the lookahead made the scan quadratic.
_SPACE_NEAR_HAN = regex.compile(
    r"(?<=[\p{Han}\p{InCJK_Symbols_and_Punctuation}\p{InHalfwidth_and_Fullwidth_Forms}])\s++"
    r"|(?<!\s)\s++(?=[\p{Han}\p{InCJK_Symbols_and_Punctuation}\p{InHalfwidth_and_Fullwidth_Forms}])"
)
# Only letters: Chinese text wraps anywhere, even inside a number ("20" + "00次" is 2000次).
_ASCII_WORD_END = regex.compile(r"[A-Za-z]$")
_ASCII_WORD_START = regex.compile(r"^[A-Za-z]")


#: The most digits an amount may have (integer and decimal places together). A published
#: budget figure has at most about 17 (trillions of 元 to the cent); longer "amounts" are
#: damage, reported as out of range rather than summed.
MAX_AMOUNT_DIGITS = 30


class AmountOutOfRangeError(ValueError):
    """A cell written as a number, with more digits than :data:`MAX_AMOUNT_DIGITS`."""


def split_lines(text: str) -> list[str]:
    """Split text into physical lines on ``\\r\\n``, ``\\r`` or ``\\n`` only.

    ``str.splitlines`` also breaks on form feeds and other separators, which would make line
    numbers disagree with what an editor shows. A final line break does not start a new line.
    """
    if not text:
        return []
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def fold(text: str) -> str:
    """Fold full-width forms and compatibility characters (NFKC) for matching."""
    return unicodedata.normalize("NFKC", text)


def is_amount_text(text: str) -> bool:
    """True when the cell holds a single amount, OCR noise allowed (``55, 873. 15``)."""
    folded = fold(text)
    return bool(folded.strip()) and _AMOUNT_FULL.match(folded) is not None


def parse_amount(text: str) -> Decimal | None:
    """Parse a published amount into an exact :class:`Decimal`; ``None`` for a blank cell.

    Full-width digits, thousands separators and stray OCR spaces are accepted.

    Raises:
        AmountOutOfRangeError: a number with more than :data:`MAX_AMOUNT_DIGITS` digits.
        ValueError: the text is not blank and not an amount.
    """
    folded = fold(text).strip()
    if not folded:
        return None
    if _AMOUNT_FULL.match(folded) is None:
        msg = f"not an amount: {text!r}"
        raise ValueError(msg)
    digits = _NON_DIGIT.sub("", folded.replace("−", "-"))
    if sum(character.isdigit() for character in digits) > MAX_AMOUNT_DIGITS:
        msg = f"amount out of range: more than {MAX_AMOUNT_DIGITS} digits"
        raise AmountOutOfRangeError(msg)
    try:
        return Decimal(digits)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        msg = f"not an amount: {text!r}"
        raise ValueError(msg) from error


def squeeze_name(text: str) -> str:
    """Remove white space that wrapping or OCR put next to Chinese characters; trim the rest."""
    return " ".join(_SPACE_NEAR_HAN.sub("", text).split())


def join_wrapped(pieces: Sequence[str]) -> str:
    """Join the pieces of a cell wrapped over several lines into one string.

    Chinese text wraps with no space, so pieces are joined directly; a space is kept only where
    two Latin words would otherwise run together. Surrounding white space of each piece is
    dropped, inner white space is kept (the checks decide what it means).
    """
    return JoinedText.build([(0, piece) for piece in pieces]).text


@attrs.frozen
class JoinedText:
    """Wrapped pieces joined into one string, remembering which line each character came from.

    Checks match on ``text`` (so a placeholder split over two lines is found) and report at the
    physical lines the match occupies (:meth:`lines_of`).
    """

    text: str
    starts: tuple[int, ...]
    lines: tuple[int, ...]

    @classmethod
    def build(cls, pieces: Sequence[tuple[int, str]]) -> JoinedText:
        # Linear in the total length however many pieces there are: only the last character
        # of the text so far is looked at, and the parts are joined once at the end.
        parts: list[str] = []
        starts: list[int] = []
        lines: list[int] = []
        length = 0
        for line, raw in pieces:
            piece = raw.strip()
            if not piece:
                continue
            if parts and _ASCII_WORD_END.match(parts[-1][-1]) and _ASCII_WORD_START.match(piece):
                parts.append(" ")
                length += 1
            starts.append(length)
            lines.append(line)
            parts.append(piece)
            length += len(piece)
        return cls(text="".join(parts), starts=tuple(starts), lines=tuple(lines))

    def line_at(self, offset: int) -> int:
        """The physical line of the character at ``offset`` (clamped to the text)."""
        if not self.lines:
            msg = "line_at() on an empty JoinedText"
            raise ValueError(msg)
        position = bisect.bisect_right(self.starts, max(offset, 0)) - 1
        return self.lines[max(position, 0)]

    def lines_of(self, start: int, end: int) -> tuple[int, int]:
        """First and last physical line of the characters ``text[start:end]``."""
        return self.line_at(start), self.line_at(max(start, end - 1))


# Characters that act rather than show, or that some output cannot hold:
# - C0 controls other than tab and line feed, DEL, and the C1 controls (NEL, U+0085, included):
#   terminal escapes, carriage returns, and what XML 1.0 forbids;
# - every Bidi_Control (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069): they reorder
#   what a reviewer reads;
# - the line and paragraph separators U+2028 and U+2029, which editors and JavaScript take for
#   line breaks;
# - lone surrogates (a DataFrame cell, a file name decoded with surrogateescape), which no UTF-8
#   output can be written with and XML forbids;
# - the noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every plane): XML forbids U+FFFE and
#   U+FFFF, and none of them is text.
_ACTING_CLASS = (
    r"\x00-\x08\x0b-\x1f\x7f-\x9f"
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    r"\u2028\u2029"
    r"\ud800-\udfff"
    r"\p{Noncharacter_Code_Point}"
)
_ACTING = regex.compile(f"[{_ACTING_CLASS}]")
# The same, and line feeds: what may not appear inside one line of a line-oriented output.
_ACTING_OR_BREAK = regex.compile(f"[\\n{_ACTING_CLASS}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def _escape(match: regex.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escape_json(match: regex.Match[str]) -> str:
    code = ord(match.group(0))
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    # JSON spells a character beyond the BMP as its UTF-16 surrogate pair.
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def visible_controls(text: str) -> str:
    """``text`` with every acting character shown as an escape (``\\x1b``, ``\\r``, ``\\u202e``).

    Reports quote table cells; a terminal escape, a carriage return or a bidi override in a cell
    must show up as what it is, not clear a reviewer's screen or reorder what they read. Tabs
    and line feeds are kept; the result is always encodable as UTF-8 and holds only characters
    XML 1.0 allows. Applying it twice changes nothing more.
    """
    return _ACTING.sub(_escape, text)


def visible_line(text: str) -> str:
    """:func:`visible_controls`, and line feeds shown as ``\\n``: the text stays on one line.

    For a field quoted inside one line of a line-oriented output (the text report, Markdown,
    GitHub annotations, an error line on standard error): a line break in a file name or a cell
    cannot start a line of its own, so it cannot pass for another finding or another error.
    """
    return _ACTING_OR_BREAK.sub(_escape, text)


def visible_lines(lines: Iterable[str]) -> str:
    """Join ``lines`` with line feeds, each made one visible line by :func:`visible_line`.

    The one way a line-oriented renderer writes its output: every item of ``lines`` is exactly
    one line of the result, whatever text was interpolated into it.
    """
    return "\n".join(visible_line(line) for line in lines)


def escape_json_controls(text: str) -> str:
    """JSON text with every acting character written as a ``\\uXXXX`` escape.

    ``json.dumps(..., ensure_ascii=False)`` leaves DEL, the C1 controls, bidi controls, line
    separators, noncharacters and lone surrogates raw; here they are escaped (beyond the BMP as
    a surrogate pair). The JSON value is unchanged, only its spelling, and the text can always be
    written as UTF-8. Applied to JSON text only: a raw acting character there is inside a string.
    """
    return _ACTING.sub(_escape_json, text)
