"""Spreadsheet formulas met where a value should be, and the simple forms budgetqa computes.

A workbook written by a script and never opened in Excel keeps each formula without the value
Excel would have saved beside it; a CSV export may keep the formula text itself. For money
cells the common simple forms are computed from the other cells of the grid, exactly
(:class:`~decimal.Decimal`):

- a reference: ``=B3`` (``$`` anchors allowed);
- sums and differences: ``=B3+B4-B5``, with parentheses and numbers (``=B3+0.5``);
- ``SUM`` of references, ranges and such terms: ``=SUM(B3:B5)``, ``=SUM(B3,B4,C3:C4)``.

A referenced cell counts as its amount; a blank cell as zero (as in Excel); a cell that holds
a formula itself is computed the same way first. Anything else — another function, another
sheet, a name, text in a referenced cell, a circular reference — is a :class:`FormulaError`
saying why, and the caller leaves the cell blank and reports it: budgetqa never presents a
guess as a value.

Rows are numbered from 1 and columns from 0 (``A`` is column 0): cell ``B3`` is column 1 of
row 3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

import regex

from budgetqa.model import money_context
from budgetqa.text import MAX_AMOUNT_DIGITS, AmountOutOfRangeError, parse_amount

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "FormulaError",
    "FormulaEvaluator",
    "cell_name",
    "column_name",
    "parse_cell_reference",
]

#: The largest worksheet Excel allows: rows 1..1,048,576, columns A..XFD.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

_REFERENCE = regex.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def parse_cell_reference(text: str) -> tuple[int, int] | None:
    """``(row, column)`` of an A1-style reference (``B3`` → ``(3, 1)``), or ``None``.

    ``None`` also for references outside a worksheet (row 0, column past ``XFD``).
    """
    match = _REFERENCE.match(text)
    if match is None:
        return None
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    row = int(match.group(2))
    if not (1 <= row <= MAX_ROWS and 1 <= column <= MAX_COLUMNS):
        return None
    return row, column - 1


def column_name(column: int) -> str:
    """The letters of a 0-based column: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    number = column + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The A1-style name of a cell: ``cell_name(3, 1) == "B3"``."""
    return f"{column_name(column)}{row}"


class FormulaError(Exception):
    """A formula budgetqa does not compute; ``reason`` says why, in a phrase.

    ``transient`` failures (nesting too deep from where the computation started) are not
    remembered: started from a cell further down a chain of formulas, it may succeed.
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


# Tokens of the simple forms. A function name is followed by "(", a reference is not followed by
# anything that would make it part of a longer name ("Sheet2!B3", "B3(", "LOG10"), a number has
# no exponent or percent sign. Anything else does not tokenise, and the formula is not computed.
# Matched at the end of the previous token (never inside white space), so the look-behind only
# keeps a search from restarting inside a run of blanks: linear on any text.
_TOKEN = regex.compile(
    r"""
    (?<!\s)\s*+
    (?:
        (?<![A-Za-z0-9_.$])(?P<function>[A-Za-z_][A-Za-z0-9_.]*+)\s*+\(
      | (?<![A-Za-z0-9_.$])(?P<reference>\$?[A-Za-z]{1,3}\$?[0-9]{1,7})(?![A-Za-z0-9_.!(])
      | (?<![A-Za-z0-9_.$])(?P<number>[0-9]++(?:\.[0-9]++)?+|\.[0-9]++)(?![A-Za-z0-9_.%])
      | (?P<symbol>[-+(),:])
    )
    """,
    regex.VERBOSE,
)
_TRAILING_SPACE = regex.compile(r"(?<!\s)\s*+$")
#: Longer formula text is not read at all (a simple form is short).
_LONGEST_FORMULA = 2_000
#: Levels of nesting (parentheses, SUM calls, formulas referring to formulas, all counted
#: together) beyond which a formula is not computed: the evaluation recurses, and a crafted
#: table must not exhaust the stack.
_DEEPEST = 64
#: Steps (cells read, formula tokens read) allowed for all the formulas of one grid together:
#: this many, plus :data:`STEPS_PER_ROW` for each row of the grid. Work stays linear in the
#: input, whatever the formulas; a formula reached after the budget is spent is not computed.
BASE_STEPS = 100_000
STEPS_PER_ROW = 100


def _tokens(formula: str, spend: Callable[[], None]) -> list[tuple[str, str]]:
    body = formula.strip()
    if not body.startswith("="):
        raise FormulaError("not a formula")
    body = body[1:]
    tokens: list[tuple[str, str]] = []
    position = 0
    while True:
        end = _TRAILING_SPACE.match(body, position)
        if end is not None and end.end() == len(body):
            break
        match = _TOKEN.match(body, position)
        if match is None:
            raise FormulaError(_UNSUPPORTED)
        kind = match.lastgroup
        assert kind is not None
        spend()
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise FormulaError("the formula is empty")
    return tokens


_UNSUPPORTED = "only cells of this sheet, numbers, + and -, and SUM(…) are computed"


def _digits(value: Decimal) -> int:
    """How many digits ``value`` has when written out in full (``0.05`` has 3)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # only finite values are ever computed
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits), 1 - exponent)


class FormulaEvaluator:
    """Computes the formulas of one grid of cells, each at most once.

    The grid has ``row_count`` rows; ``row_cells(row)`` gives the texts of a row's cells. A
    cell whose text starts with ``=`` is a formula. :meth:`value` computes the formula in one
    cell or raises :class:`FormulaError`; results and failures are remembered, and the steps
    taken for all formulas together are bounded (``budget``, by default :data:`BASE_STEPS`
    plus :data:`STEPS_PER_ROW` a row), so any grid costs time linear in its size.
    """

    def __init__(
        self,
        row_cells: Callable[[int], Sequence[str]],
        row_count: int,
        *,
        budget: int | None = None,
    ) -> None:
        self._row_cells = row_cells
        self._row_count = row_count
        self._limit = BASE_STEPS + STEPS_PER_ROW * row_count if budget is None else budget
        self._budget = self._limit
        self._known: dict[tuple[int, int], Decimal | FormulaError] = {}
        self._amounts: dict[tuple[int, int], Decimal | FormulaError] = {}
        self._active: list[tuple[int, int]] = []
        self._depth = 0

    def value(self, row: int, column: int) -> Decimal:
        """The value of the formula in cell ``(row, column)``.

        Raises:
            FormulaError: the formula is not one of the simple forms, or a cell it refers to
                cannot be read as an amount.
        """
        key = (row, column)
        known = self._known.get(key)
        if isinstance(known, FormulaError):
            raise FormulaError(known.reason)
        if known is not None:
            return known
        if key in self._active:
            raise FormulaError(f"circular reference through {cell_name(row, column)}")
        self._active.append(key)
        try:
            with self.level():
                result: Decimal | FormulaError = self._compute(self._text(row, column))
        except FormulaError as error:
            if error.transient:
                raise
            result = error
        finally:
            self._active.pop()
        self._known[key] = result
        if isinstance(result, FormulaError):
            raise FormulaError(result.reason)
        return result

    @contextlib.contextmanager
    def level(self) -> Iterator[None]:
        """One level deeper: a formula, parentheses or a SUM call inside another."""
        if self._depth >= _DEEPEST:
            raise FormulaError(
                f"the formulas nest more than {_DEEPEST} levels deep (parentheses, SUM(…), and"
                " formulas referring to formulas)",
                transient=True,
            )
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def _spend(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise FormulaError(
                f"computing this table's formulas took more than {self._limit:,} steps (cells"
                " and formula parts read); budgetqa stops computing them there"
            )

    def _text(self, row: int, column: int) -> str:
        self._spend()
        if not 1 <= row <= self._row_count:
            return ""
        cells = self._row_cells(row)
        return cells[column] if 0 <= column < len(cells) else ""

    def _compute(self, formula: str) -> Decimal:
        if len(formula) > _LONGEST_FORMULA:
            raise FormulaError(f"the formula is longer than {_LONGEST_FORMULA:,} characters")
        parser = _Parser(_tokens(formula, self._spend), self)
        with money_context():
            value = parser.expression()
            if not parser.done:
                raise FormulaError(_UNSUPPORTED)
        if _digits(value) > MAX_AMOUNT_DIGITS:
            raise FormulaError(f"the result has more than {MAX_AMOUNT_DIGITS} digits")
        return value

    def cell_amount(self, row: int, column: int) -> Decimal:
        """A referenced cell as an amount: blank is zero, a formula is computed first."""
        text = self._text(row, column).strip()
        if not text:
            return Decimal(0)
        name = cell_name(row, column)
        if text.startswith("="):
            try:
                return self.value(row, column)
            except FormulaError as error:
                if error.transient or error.reason.startswith("circular reference"):
                    raise
                raise FormulaError(f"{name} holds a formula that cannot be computed") from None
        known = self._amounts.get((row, column))
        if known is None:
            known = self._amounts[row, column] = _amount(text, name)
        if isinstance(known, FormulaError):
            raise FormulaError(known.reason)
        return known

    def range_sum(self, first: tuple[int, int], last: tuple[int, int]) -> Decimal:
        """The sum over a rectangle of cells, clipped to the grid (cells past it are blank)."""
        top, bottom = sorted((first[0], last[0]))
        left, right = sorted((first[1], last[1]))
        total = Decimal(0)
        for row in range(top, min(bottom, self._row_count) + 1):
            self._spend()  # an empty row costs a read too: the budget bounds every loop
            cells = self._row_cells(row)
            for column in range(left, min(right, len(cells) - 1) + 1):
                total += self.cell_amount(row, column)
        return total


def _amount(text: str, name: str) -> Decimal | FormulaError:
    """The amount a cell's text stands for, or why it stands for none."""
    try:
        amount = parse_amount(text)
    except AmountOutOfRangeError:
        return FormulaError(f"{name} holds a number too long to be an amount")
    except ValueError:
        shown = text if len(text) <= 20 else text[:19] + "…"
        return FormulaError(f"{name} holds text ({shown!r}), not an amount")
    return amount if amount is not None else Decimal(0)


class _Parser:
    """Recursive descent over the tokens, evaluating as it goes."""

    def __init__(self, tokens: list[tuple[str, str]], evaluator: FormulaEvaluator) -> None:
        self._tokens = tokens
        self._position = 0
        self._evaluator = evaluator

    @property
    def done(self) -> bool:
        return self._position == len(self._tokens)

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise FormulaError("the formula ends too early")
        self._position += 1
        return token

    def _expect(self, symbol: str) -> None:
        if self._take() != ("symbol", symbol):
            raise FormulaError(_UNSUPPORTED)

    def expression(self) -> Decimal:
        value = self._signed()
        while self._peek() in {("symbol", "+"), ("symbol", "-")}:
            _, operator = self._take()
            term = self._signed()
            value = value + term if operator == "+" else value - term
        return value

    def _signed(self) -> Decimal:
        negative = False
        while self._peek() in {("symbol", "+"), ("symbol", "-")}:
            negative ^= self._take()[1] == "-"
        value = self._atom()
        return -value if negative else value

    def _atom(self) -> Decimal:
        kind, text = self._take()
        if kind == "number":
            value = Decimal(text)
            if _digits(value) > MAX_AMOUNT_DIGITS:
                raise FormulaError(f"the number {text[:20]}… is too long to be an amount")
            return value
        if kind == "reference":
            if self._peek() == ("symbol", ":"):
                raise FormulaError("a range outside SUM(…) is not computed")
            return self._evaluator.cell_amount(*_reference(text))
        if kind == "function":
            if text.upper() != "SUM":
                raise FormulaError(f"it calls {text.upper()}(…); {_UNSUPPORTED}")
            with self._evaluator.level():
                return self._sum()
        if (kind, text) == ("symbol", "("):
            with self._evaluator.level():
                value = self.expression()
            self._expect(")")
            return value
        raise FormulaError(_UNSUPPORTED)

    def _sum(self) -> Decimal:
        total = Decimal(0)
        if self._peek() == ("symbol", ")"):
            self._take()
            return total
        while True:
            total += self._sum_argument()
            kind, text = self._take()
            if (kind, text) == ("symbol", ")"):
                return total
            if (kind, text) != ("symbol", ","):
                raise FormulaError(_UNSUPPORTED)

    def _sum_argument(self) -> Decimal:
        token = self._peek()
        following = (
            self._tokens[self._position + 1] if self._position + 1 < len(self._tokens) else None
        )
        if token is not None and token[0] == "reference" and following == ("symbol", ":"):
            self._position += 2
            kind, text = self._take()
            if kind != "reference":
                raise FormulaError(_UNSUPPORTED)
            return self._evaluator.range_sum(_reference(token[1]), _reference(text))
        return self.expression()


def _reference(text: str) -> tuple[int, int]:
    parsed = parse_cell_reference(text)
    if parsed is None:
        raise FormulaError(f"{text} is not a cell of a worksheet")
    return parsed
