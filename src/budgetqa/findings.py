"""Findings and the report: what an audit found, as plain data.

A :class:`Finding` is never raised; it is returned. Its ``to_dict()`` keys are stable and form
the JSON report schema (``docs/report-schema.md``, version :data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

import enum
import html
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from budgetqa.text import visible_controls

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCHEMA_VERSION",
    "Category",
    "Cell",
    "ColumnDifference",
    "DocumentSummary",
    "Finding",
    "Location",
    "ReadFailure",
    "RelationDetails",
    "Report",
    "Severity",
    "SkippedFiles",
]

#: Version of the JSON report schema; bumped on any incompatible change.
SCHEMA_VERSION = "1.2"


class Severity(enum.StrEnum):
    """How bad a finding is. Ordered: ``error`` > ``warning`` > ``info``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


class Category(enum.StrEnum):
    """The family of problem a rule looks for."""

    ARITHMETIC = "arithmetic"
    DUPLICATE = "duplicate"
    PLACEHOLDER = "placeholder"
    INDICATOR = "indicator"
    TEXT = "text"
    STRUCTURE = "structure"


@attrs.frozen
class Location:
    """Where a finding is: file, physical lines, and the unit and row it concerns."""

    path: str
    line: int | None
    end_line: int | None
    unit: str | None = None
    row: str | None = None
    #: The PDF page (1-based) for PDF input; ``line``/``end_line`` are then ``None``.
    page: int | None = None
    #: The kind of table the finding is in (``expenditure_summary`` …), where known.
    table: str | None = None

    def __str__(self) -> str:
        if self.page is not None:
            return f"{self.path}:page {self.page}"
        if self.line is None:
            return self.path
        if self.end_line is None or self.end_line == self.line:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}-{self.end_line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "unit": self.unit,
            "row": self.row,
            "page": self.page,
            "table": self.table,
        }


@attrs.frozen(slots=True)
class Cell:
    """One printed cell a relation reads: its table, row, column, figure and place."""

    row: str
    column: str
    #: the figure as printed (a decimal string), ``None`` for a blank cell
    value: str | None
    #: how it counts in the relation: ``1`` for the figure checked, ``-1`` for an addend (times
    #: the unit factor where tables in 元 and 万元 are compared)
    coefficient: str
    table: str | None = None
    page: int | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "coefficient": self.coefficient,
            "page": self.page,
            "line": self.line,
        }


@attrs.frozen(slots=True)
class ColumnDifference:
    """One column in which a relation misses: ``difference = printed - computed``."""

    column: str
    printed: str | None
    computed: str
    difference: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "printed": self.printed,
            "computed": self.computed,
            "difference": self.difference,
        }


@attrs.frozen(slots=True)
class RelationDetails:
    """What a sum finding is about, as data: the relation, the row it was checked on, every
    column that misses (printed, computed, difference) and the cells it read. Renderers and
    explanations read these; nothing parses a message."""

    #: the relation's id in its table's profile (``columns``, ``hierarchy``, ``balance``), or
    #: for the project table's sums ``funding``, ``unit_projects``, ``total_units``,
    #: ``total_projects``
    relation: str
    #: the relation as written (``total = basic + project``, ``the sum of the rows under it``)
    text: str
    row: str
    columns: tuple[ColumnDifference, ...]
    cells: tuple[Cell, ...] = ()
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "relation",
            "relation": self.relation,
            "text": self.text,
            "table": self.table,
            "row": self.row,
            "columns": [column.to_dict() for column in self.columns],
            "cells": [cell.to_dict() for cell in self.cells],
        }


@attrs.frozen
class Finding:
    """One problem found by one rule at one place.

    ``expected``/``actual``/``difference`` are decimal strings where money is compared
    (``difference = actual - expected``), otherwise short texts or ``None``. ``related`` holds
    the ids of findings this one explains or is explained by; ``explanation`` says how.
    """

    id: str
    code: str
    name: str
    category: Category
    severity: Severity
    message: str
    location: Location
    expected: str | None = None
    actual: str | None = None
    difference: str | None = None
    related: tuple[str, ...] = ()
    explanation: str | None = None
    source: tuple[str, ...] = ()
    #: typed details of a sum finding (``None`` for other findings)
    details: RelationDetails | None = None

    def figures(self) -> list[tuple[str, str]]:
        """``(label, value)`` for whichever of expected, actual and difference are set."""
        pairs = (
            ("expected", self.expected),
            ("actual", self.actual),
            ("difference", self.difference),
        )
        return [(label, value) for label, value in pairs if value is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "category": self.category.value,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict(),
            "expected": self.expected,
            "actual": self.actual,
            "difference": self.difference,
            "related": list(self.related),
            "explanation": self.explanation,
            "source": list(self.source),
            "details": None if self.details is None else self.details.to_dict(),
        }


@attrs.frozen
class DocumentSummary:
    """What the report says about one document that was read."""

    path: str
    layout: str
    department: str | None
    stats: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "layout": self.layout,
            "department": self.department,
            "stats": dict(self.stats),
        }


@attrs.frozen
class ReadFailure:
    """An input that could not be read at all (its error message starts with ``path:line:``)."""

    path: str
    error: str
    kind: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error, "kind": self.kind}


@attrs.frozen
class SkippedFiles:
    """Files in a folder given as input that are not table files by name, so were not read.

    ``folder`` is the folder as the caller named it; ``files`` counts the files under it (at any
    depth) whose names do not end in a table suffix, and ``by_suffix`` splits that count by name
    ending, lower-cased (``""`` for a name without one), so a reader sees at a glance whether,
    say, ``.pdf`` or ``.xls`` tables were left out.
    """

    folder: str
    files: int
    by_suffix: dict[str, int] = attrs.field(factory=dict)

    def __str__(self) -> str:
        kinds = ", ".join(
            f"{count} {suffix or '(no suffix)'}" for suffix, count in self.by_suffix.items()
        )
        noun = "file" if self.files == 1 else "files"
        return f"{self.folder}: {self.files} other {noun} skipped, not table files ({kinds})"

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "files": self.files, "by_suffix": dict(self.by_suffix)}


@attrs.frozen
class Report:
    """The result of an audit: findings, the documents read, and the inputs that failed.

    ``failures`` lists every input that was not audited, with the reason: a file that could not
    be read, and a path that could not be expanded (no such path, not a regular file, a folder
    that cannot be listed or holds no table files, a dangling link, a file over the size limit).
    ``skipped`` counts the files in folders given as input that are not table files by name.
    """

    findings: tuple[Finding, ...]
    documents: tuple[DocumentSummary, ...]
    failures: tuple[ReadFailure, ...] = ()
    skipped: tuple[SkippedFiles, ...] = ()
    rules: tuple[str, ...] = ()
    tool_version: str = ""
    #: (code, name, rationale) of each rule that ran, for formats that describe rules (SARIF,
    #: JUnit); not part of the JSON report.
    rule_details: tuple[tuple[str, str, str], ...] = ()

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def by_code(self, code: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.code == code)

    def filter(
        self,
        *,
        severity: Severity | str | None = None,
        category: Category | str | None = None,
        codes: Iterable[str] | None = None,
        path: str | None = None,
    ) -> Report:
        """A report with only the findings at or above ``severity``, of ``category``, etc."""
        wanted_codes = None if codes is None else set(codes)
        minimum = None if severity is None else Severity(severity)
        kind = None if category is None else Category(category)
        kept = tuple(
            finding
            for finding in self.findings
            if (minimum is None or finding.severity.at_least(minimum))
            and (kind is None or finding.category is kind)
            and (wanted_codes is None or finding.code in wanted_codes)
            and (path is None or finding.location.path == path)
        )
        return attrs.evolve(self, findings=kept)

    def worst(self) -> Severity | None:
        """The most severe finding's severity, or ``None`` when there is none."""
        if not self.findings:
            return None
        return max(
            (finding.severity for finding in self.findings), key=lambda severity: severity.rank
        )

    def summary(self) -> dict[str, Any]:
        severities = Counter(finding.severity.value for finding in self.findings)
        categories = Counter(finding.category.value for finding in self.findings)
        codes = Counter(finding.code for finding in self.findings)
        return {
            "findings": len(self.findings),
            "documents": len(self.documents),
            "unreadable": len(self.failures),
            "skipped": sum(skipped.files for skipped in self.skipped),
            "by_severity": {
                severity.value: severities.get(severity.value, 0) for severity in Severity
            },
            "by_category": {
                category.value: categories.get(category.value, 0) for category in Category
            },
            "by_code": dict(sorted(codes.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``docs/report-schema.md``): :meth:`head`, then ``findings``."""
        return {**self.head(), "findings": [finding.to_dict() for finding in self.findings]}

    def head(self) -> dict[str, Any]:
        """The JSON report but for its last key, ``findings``: the parts whose size does not
        grow with the number of findings (a renderer writes the findings one at a time)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "budgetqa", "version": self.tool_version},
            "summary": self.summary(),
            "documents": [document.to_dict() for document in self.documents],
            "unreadable": [failure.to_dict() for failure in self.failures],
            "skipped": [skipped.to_dict() for skipped in self.skipped],
            "rules": list(self.rules),
        }

    def to_frame(self) -> pd.DataFrame:
        """The findings as a pandas DataFrame, one row per finding (needs ``budgetqa[pandas]``)."""
        import pandas as pd

        columns = [
            "id", "code", "name", "category", "severity", "path", "line", "end_line", "unit", "row",
            "message", "expected", "actual", "difference", "related", "explanation",
        ]  # fmt: skip
        records = [
            {
                **{
                    key: value
                    for key, value in finding.to_dict().items()
                    if key not in {"location", "source"}
                },
                **finding.location.to_dict(),
                "related": ",".join(finding.related),
            }
            for finding in self.findings
        ]
        return pd.DataFrame.from_records(records, columns=columns)

    def _repr_html_(self) -> str:
        """A compact summary and findings table for notebooks (all text escaped)."""
        summary = self.summary()
        counts = ", ".join(f"{count} {name}" for name, count in summary["by_severity"].items())
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    finding.severity.value,
                    finding.code,
                    str(finding.location),
                    finding.location.row or "",
                    finding.message,
                    finding.difference or "",
                )
            )
            + "</tr>"
            for finding in self.findings
        )
        return visible_controls(
            f"<div><strong>budgetqa report</strong>: {len(self.documents)} document(s), "
            f"{len(self.findings)} finding(s) ({html.escape(counts)})"
            "<table><thead><tr><th>severity</th><th>code</th><th>where</th><th>row</th>"
            f"<th>message</th><th>difference</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Findings in reading order: by file and lines, the most severe first, then by code.

    Ties keep the order the checks produced them in (row, field, position in the text), so the
    order never depends on ids, which differ between paths.
    """

    def key(finding: Finding) -> tuple[str, int, int, int, str]:
        location = finding.location
        line = location.line or 0
        end = location.end_line or line
        return (location.path, line, end, -finding.severity.rank, finding.code)

    return tuple(sorted(findings, key=key))
