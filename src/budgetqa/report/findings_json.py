"""The JSON report (schema in ``docs/report-schema.md``)."""

from __future__ import annotations

from collections.abc import Iterator

from budgetqa.findings import Report
from budgetqa.report.json_text import iter_json
from budgetqa.text import escape_json_controls

__all__ = ["iter_json_report", "render_json"]


def iter_json_report(report: Report) -> Iterator[str]:
    """:func:`render_json` in pieces, the findings one at a time: writing them costs the
    memory of one finding beside the report's fixed parts, whatever their number."""
    value = {**report.head(), "findings": (finding.to_dict() for finding in report.findings)}
    for piece in iter_json(value):
        # An acting character is one character inside a string: escaping piece by piece is
        # escaping the whole.
        yield escape_json_controls(piece)
    yield "\n"


def render_json(report: Report) -> str:
    """The report as JSON: table text exactly as read, acting characters as ``\\uXXXX``."""
    return "".join(iter_json_report(report))
