"""Text normalisation shared by the readers and the checks.

The raw text is always kept; these functions build the forms used for matching: amounts with
OCR noise removed, full-width forms folded (NFKC), white space inside wrapped Chinese names
removed. All matching uses the ``regex`` module so Unicode properties (``\\p{Han}``) work.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import attrs
import regex

__all__ = [
    "AMOUNT_TEXT",
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
        ValueError: the text is not blank and not an amount.
    """
    folded = fold(text).strip()
    if not folded:
        return None
    if _AMOUNT_FULL.match(folded) is None:
        msg = f"not an amount: {text!r}"
        raise ValueError(msg)
    digits = _NON_DIGIT.sub("", folded.replace("−", "-"))
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


# Characters that act rather than show: C0 and C1 controls other than tab and line feed, DEL,
# and the bidirectional marks, overrides and isolates that reorder displayed text.
_ACTING = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Of those, the ones json.dumps leaves raw (it escapes the C0 controls itself).
_RAW_IN_JSON = regex.compile(r"[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: regex.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """``text`` with every acting character shown as an escape (``\\x1b``, ``\\u202e``).

    Reports quote table cells; a terminal escape, a carriage return or a bidi override in a cell
    must show up as what it is, not clear a reviewer's screen or reorder what they read.
    """
    return _ACTING.sub(_escape, text)


def escape_json_controls(text: str) -> str:
    """JSON text with the acting characters json.dumps leaves raw written as ``\\uXXXX``.

    The JSON value is unchanged; only its spelling is.
    """
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)
