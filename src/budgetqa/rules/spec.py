"""A rule, as loaded and validated from a rule file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import regex

from budgetqa.findings import Category, Severity

__all__ = ["RuleExample", "RuleSpec"]


@attrs.frozen
class RuleExample:
    """A small table in a rule file that shows the rule failing or passing.

    ``lines`` (failing examples) are the lines where findings must start. Examples are both the
    rule's documentation and its test cases.
    """

    kind: str
    table: str
    lines: tuple[int, ...] = ()
    note: str = ""
    #: The table's ``\\xNN`` escapes stand for raw bytes (for examples of undecodable input).
    raw_bytes: bool = False
    #: The table is a sketch of PDF pages (see :mod:`budgetqa.ingest.pdf_synthetic`); ``lines``
    #: are then the pages where findings must be.
    pdf: bool = False

    @property
    def data(self) -> bytes:
        """The example as the bytes of a file (UTF-8, with ``\\xNN`` escapes as bytes)."""
        encoded = self.text.encode("utf-8")
        if not self.raw_bytes:
            return encoded
        return regex.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), encoded)

    @property
    def text(self) -> str:
        """The example as table text: ``a | b | c`` lines become tab-separated cells.

        Lines without ``|`` (title lines, or a whole example in PDF layout text) stay as written.
        """
        if not any("|" in line for line in self.table.splitlines()):
            return self.table
        converted = [
            "\t".join(cell.strip() for cell in line.split("|")) if "|" in line else line
            for line in self.table.splitlines()
        ]
        return "\n".join(converted) + "\n"


@attrs.frozen
class RuleSpec:
    """One rule: a stable code and name, what it checks with which parameters, how it reports."""

    code: str
    name: str
    category: Category
    severity: Severity
    check: str
    params: Mapping[str, Any]
    raw_params: Mapping[str, Any]
    message: str
    rationale: str
    groups: tuple[str, ...] = ()
    examples: tuple[RuleExample, ...] = ()
    source: str = ""

    def with_severity(self, severity: Severity) -> RuleSpec:
        return attrs.evolve(self, severity=severity)

    def with_param(self, name: str, value: Any, raw: Any) -> RuleSpec:  # noqa: ANN401
        """The rule with one parameter set: ``value`` as its check uses it, ``raw`` as given."""
        return attrs.evolve(
            self,
            params={**self.params, name: value},
            raw_params={**self.raw_params, name: raw},
        )

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category.value,
            "severity": self.severity.value,
            "check": self.check,
            "params": dict(self.raw_params),
            "groups": list(self.groups),
            "message": self.message,
            "rationale": self.rationale,
            "source": self.source,
        }
