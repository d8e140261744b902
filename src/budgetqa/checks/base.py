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

from budgetqa.model import Document, Indicator, Row, SourceSpan

if TYPE_CHECKING:
    from budgetqa.checks.consecutive import Consecutive

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


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ParamError(f"expected a decimal number written as a string or integer, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ParamError(f"expected a decimal number, got {value!r}") from None
    if not result.is_finite():
        raise ParamError(f"expected a finite decimal number, got {value!r}")
    return result


def _as_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"expected an integer, got {value!r}")
    return value


def _as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"expected true or false, got {value!r}")
    return value


def _as_str(value: object) -> str:
    if not isinstance(value, str):
        raise ParamError(f"expected a string, got {value!r}")
    return value


def _as_str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParamError(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _as_pattern_list(value: object) -> tuple[regex.Pattern[str], ...]:
    patterns = []
    for text in _as_str_list(value):
        try:
            patterns.append(regex.compile(text, regex.VERSION1))
        except regex.error as error:
            raise ParamError(f"invalid regular expression {text!r}: {error}") from None
    return tuple(patterns)


_CONVERTERS: dict[str, Callable[[object], Any]] = {
    "decimal": _as_decimal,
    "int": _as_int,
    "bool": _as_bool,
    "str": _as_str,
    "list[str]": _as_str_list,
    "list[regex]": _as_pattern_list,
}


@attrs.frozen
class Param:
    """One declared parameter of a check kind."""

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
                    f"{', '.join(map(repr, wrong))} not one of {', '.join(self.choices)}"
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
