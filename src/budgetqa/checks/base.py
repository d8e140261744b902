"""What a check kind is, and the registry of them by name.

A check kind is the code behind rules: it declares its parameters (so rule files can be
validated before anything runs) and the fields its message templates may use, and it *yields*
:class:`Hit` values, one per problem. The engine turns hits into findings with the rule's code,
severity and message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import regex

from budgetqa.model import Document, Indicator, Row, SourceSpan, Table, TableRow, format_amount

if TYPE_CHECKING:
    from budgetqa.checks.consecutive import Consecutive
    from budgetqa.findings import ColumnDifference, RelationDetails

__all__ = [
    "CHECKS",
    "CheckKind",
    "Hit",
    "Param",
    "ParamError",
    "register",
]


class ParamError(ValueError):
    """A rule's parameter value does not fit the check kind's declaration."""


def _brief(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to about ``limit`` characters for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Amounts and percentages a rule compares with; larger ones only overflow the engines' arithmetic.
_DECIMAL_BOUND = Decimal(10) ** 15
_DECIMAL_PLACES = 12


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ParamError(
            f"expected a decimal number written as a string or integer, got {_brief(value)}"
        )
    text = str(value)
    bounds = f"below 10^15 with at most {_DECIMAL_PLACES} decimal places"
    if len(text) > 40:  # checked before parsing: Decimal reads any number of digits
        raise ParamError(f"expected a decimal number {bounds}, got {_brief(value)}")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ParamError(f"expected a decimal number, got {_brief(value)}") from None
    if not result.is_finite():
        raise ParamError(f"expected a finite decimal number, got {_brief(value)}")
    exponent = result.as_tuple().exponent
    if abs(result) >= _DECIMAL_BOUND or (isinstance(exponent, int) and exponent < -_DECIMAL_PLACES):
        raise ParamError(f"expected a decimal number {bounds}, got {_brief(value)}")
    return result


def _as_tolerance(value: object) -> Decimal | None:
    """``auto`` (``None``: the printed precision decides) or a non-negative amount."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    amount = _as_decimal(value)
    if amount < 0:
        raise ParamError(f"expected auto or an amount of at least 0, got {_brief(value)}")
    return amount


def _as_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"expected an integer, got {_brief(value)}")
    return value


def _as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"expected true or false, got {_brief(value)}")
    return value


def _as_str(value: object) -> str:
    if not isinstance(value, str):
        raise ParamError(f"expected a string, got {_brief(value)}")
    return value


def _as_str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParamError(f"expected a list of strings, got {_brief(value)}")
    return tuple(value)


#: The longest regular expression a rule may give, in characters (the shipped ones are under 150).
MAX_PATTERN_LENGTH = 2_000
#: How deep a pattern's groups and character sets may nest (the regex module's parser recurses).
MAX_PATTERN_NESTING = 32
#: The most items a pattern may stand for once counted repeats are spelt out: the regex module
#: spells out ``a{1000}`` as 1,000 items, so ``(?:a{1000}){1000}`` would take a quarter of a
#: gigabyte to compile and ``x{4294967294}`` all the memory there is.
MAX_PATTERN_SIZE = 100_000

_COUNTED = regex.compile(r"\{(\d*)(?:,(\d*))?\}")


def _pattern_shape(text: str) -> tuple[int, int]:
    """How deep ``text``'s groups and sets nest, and a bound on its size with repeats spelt out.

    A conservative reading of the syntax: it never says less than the regex module will
    build, and may say more (the digits of ``\\x{41}`` are read as a count).
    """
    # sizes[-1]: the size of the group being read so far; last: the size of its last item.
    sizes: list[int] = [0]
    lasts: list[int] = [0]
    deepest = set_depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if set_depth:
            if char == "\\":
                index += 1
            elif char == "[":
                set_depth += 1
                deepest = max(deepest, len(sizes) - 1 + set_depth)
            elif char == "]":
                set_depth -= 1
                if not set_depth:
                    sizes[-1] += 1
                    lasts[-1] = 1
            index += 1
            continue
        counted = _COUNTED.match(text, index) if char == "{" else None
        if counted and (counted.group(1) or counted.group(2)):
            count = max(int(group) for group in counted.groups("0") if group)
            sizes[-1] += lasts[-1] * max(count - 1, 0)
            lasts[-1] *= max(count, 1)
            index = counted.end()
            continue
        if char == "(":
            sizes.append(0)
            lasts.append(0)
            deepest = max(deepest, len(sizes) - 1)
        elif char == ")" and len(sizes) > 1:
            inner = sizes.pop()
            lasts.pop()
            sizes[-1] += inner
            lasts[-1] = inner
        elif char == "[":
            set_depth = 1
            deepest = max(deepest, len(sizes))
        else:
            sizes[-1] += 1
            lasts[-1] = 1
            if char == "\\":
                index += 1
        index += 1
    return deepest, sum(sizes)


def _as_pattern(value: object) -> regex.Pattern[str]:
    """A regular expression (the regex module's VERSION1 syntax), compiled within bounds."""
    text = _as_str(value)
    if len(text) > MAX_PATTERN_LENGTH:
        raise ParamError(
            f"regular expression of {len(text):,} characters is too long"
            f" (at most {MAX_PATTERN_LENGTH:,})"
        )
    depth, size = _pattern_shape(text)
    if depth > MAX_PATTERN_NESTING:
        raise ParamError(
            f"regular expression {_brief(text)} nests groups or sets more than"
            f" {MAX_PATTERN_NESTING} deep"
        )
    if size > MAX_PATTERN_SIZE:
        raise ParamError(
            f"regular expression {_brief(text)} repeats too much: spelt out it has over"
            f" {MAX_PATTERN_SIZE:,} items; use * or + instead of large counts"
        )
    try:
        return regex.compile(text, regex.VERSION1)
    except regex.error as error:
        raise ParamError(f"invalid regular expression {_brief(text)}: {error}") from None


def _as_pattern_list(value: object) -> tuple[regex.Pattern[str], ...]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of regular expressions, got {_brief(value)}")
    return tuple(_as_pattern(item) for item in value)


_CONVERTERS: dict[str, Callable[[object], Any]] = {
    "decimal": _as_decimal,
    "tolerance": _as_tolerance,
    "int": _as_int,
    "bool": _as_bool,
    "str": _as_str,
    "list[str]": _as_str_list,
    "regex": _as_pattern,
    "list[regex]": _as_pattern_list,
}


@attrs.frozen
class Param:
    """One declared parameter of a check kind.

    ``kind`` is one of ``decimal``, ``tolerance`` (``auto`` or a non-negative decimal),
    ``int``, ``bool``, ``str``, ``list[str]``, ``regex`` (one regular expression, compiled)
    and ``list[regex]``. :meth:`convert` raises
    :class:`ParamError`, and nothing else, for any value a rule file can hold.
    """

    kind: str
    default: object
    help: str
    choices: tuple[str, ...] = ()

    def convert(self, value: object) -> Any:  # noqa: ANN401 - the type depends on `kind`
        converted = _CONVERTERS[self.kind](value)
        if self.choices:
            values = converted if isinstance(converted, tuple) else (converted,)
            wrong = [item for item in values if item not in self.choices]
            if wrong:
                raise ParamError(
                    f"{', '.join(map(_brief, wrong))} not one of {', '.join(self.choices)}"
                )
        return converted


@attrs.frozen
class Hit:
    """One problem a check found.

    ``fields`` fill the rule's message template. ``key`` tells hits of one rule at the same
    place apart (it feeds the finding's stable id). ``facts`` carry what the cross-finding
    explanations need (the column, the rows involved, the amounts).
    """

    span: SourceSpan
    row: Row | None
    key: str
    fields: Mapping[str, object] = attrs.field(factory=dict)
    expected: str | None = None
    actual: str | None = None
    difference: str | None = None
    facts: Mapping[str, object] = attrs.field(factory=dict)
    #: For PDF input: the page of the problem (then ``span`` is not shown), the table's kind
    #: and the name of the table row concerned.
    page: int | None = None
    table: str | None = None
    row_name: str | None = None
    #: typed details of a sum finding (the relation, columns and cells), carried to the finding
    details: RelationDetails | None = None


class CheckKind:
    """Base class of check kinds. Subclasses set the class variables and implement ``run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[Mapping[str, Param]] = {}
    fields: ClassVar[frozenset[str]] = frozenset()
    #: Set to merge hits on consecutive lines into one finding (see checks/consecutive.py).
    consecutive: ClassVar[Consecutive | None] = None

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        raise NotImplementedError


#: Every registered check kind, by name.
CHECKS: dict[str, type[CheckKind]] = {}

# Fields every check provides to message templates.
COMMON_FIELDS = frozenset({"row", "unit", "line", "path"})


def register(kind: type[CheckKind]) -> type[CheckKind]:
    """Class decorator: make a check kind available to rule files under ``kind.name``."""
    if not regex.fullmatch(r"[a-z][a-z0-9_]*", kind.name):
        raise ValueError(f"check kind name {kind.name!r} must be lower_snake_case")
    if kind.name in CHECKS and CHECKS[kind.name] is not kind:
        raise ValueError(f"check kind {kind.name!r} is registered twice")
    CHECKS[kind.name] = kind
    return kind


def row_fields(row: Row | None, document: Document) -> dict[str, object]:
    """The common message fields for a row."""
    if row is None:
        return {"row": "", "unit": "", "path": document.path}
    unit = row.name if row.level.value == "unit" else (row.parent or "")
    return {"row": row.name, "unit": unit, "line": row.span.line, "path": document.path}


def indicator_hit(
    document: Document,
    row: Row,
    indicator: Indicator,
    fields: Mapping[str, object] | None = None,
    *,
    expected: str | None = None,
    actual: str | None = None,
) -> Hit:
    """A hit on one indicator of a row, at the lines the indicator occupies."""
    return Hit(
        span=indicator.span,
        row=row,
        key=f"{row.index}:{indicator.span.line}:{indicator.number}",
        fields={
            **row_fields(row, document),
            "number": indicator.number,
            "indicator": indicator.name,
            **(fields or {}),
        },
        expected=expected,
        actual=actual,
        facts={"kind": "indicator", "row": row.index},
    )


def page_hit(
    document: Document,
    page: int | None,
    *,
    key: str,
    fields: Mapping[str, object],
    facts: Mapping[str, object],
    table: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
    difference: str | None = None,
    line: int = 1,
) -> Hit:
    """A hit on a document, a page or a table as a whole rather than on one row: at ``page`` for
    PDF input, else at ``line``; ``fields`` add to the blank row fields of the message."""
    return Hit(
        span=SourceSpan(document.path, line, line),
        row=None,
        key=key,
        fields={"row": "", "unit": "", "path": document.path, "line": "", **fields},
        expected=expected,
        actual=actual,
        difference=difference,
        facts=facts,
        page=page,
        table=table,
    )


def table_row_hit(
    document: Document,
    table: Table,
    row: TableRow,
    *,
    key: str,
    fields: Mapping[str, object],
    expected: str | None,
    actual: str | None,
    difference: str | None,
    facts: Mapping[str, object],
) -> Hit:
    """A hit on one row of one of the document's tables: at its page for PDF input, at its
    lines for text and CSV input; ``fields`` add to the row's name and the table's kind."""
    # a row of a text or CSV input has lines and no page
    page = row.page or (table.pages[0] if table.pages else None if table.lines else 1)
    name = row.label
    return Hit(
        span=SourceSpan(document.path, max(row.line, 1), max(row.end_line, row.line, 1), page),
        row=None,
        key=key,
        fields={
            "row": name,
            "unit": "",
            "path": document.path,
            "line": "",
            "table": table.kind,
            **fields,
        },
        expected=expected,
        actual=actual,
        difference=difference,
        facts=facts,
        page=page,
        table=table.kind,
        row_name=name,
    )


def column_difference(column: str, printed: Decimal | None, computed: Decimal) -> ColumnDifference:
    """One column of a sum finding's details: the figures as decimal strings, ``difference =
    printed - computed`` (a blank printed cell counts as zero)."""
    from budgetqa.findings import ColumnDifference

    counted = printed if printed is not None else Decimal(0)
    return ColumnDifference(
        column,
        format_amount(printed),
        format_amount(computed) or "0.00",
        format_amount(counted - computed) or "0.00",
    )
