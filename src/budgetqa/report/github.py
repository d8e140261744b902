"""GitHub Actions workflow commands: one annotation per finding, on the table's lines.

Messages and properties are escaped as the runner expects (:func:`escape_data`,
:func:`escape_property`); the output is written through :func:`~budgetqa.text.visible_lines`,
so whatever a cell or a file name holds, one finding is one command line and no acting
character reaches the log.
"""

from __future__ import annotations

from budgetqa.findings import Report, Severity
from budgetqa.report.paths import workspace_path
from budgetqa.text import visible_lines

__all__ = ["escape_data", "escape_property", "render_github"]

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message as the Actions runner expects (%, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property's value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines: list[str] = []
    for finding in report.findings:
        properties = [f"file={escape_property(workspace_path(finding.location.path))}"]
        if finding.location.line is not None:
            properties.append(f"line={finding.location.line}")
            properties.append(f"endLine={finding.location.end_line or finding.location.line}")
        properties.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
        message = finding.message
        if finding.explanation:
            message += "\n" + finding.explanation
        lines.append(
            f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"
        )
    for failure in report.failures:
        where = escape_property(workspace_path(failure.path))
        lines.append(f"::error file={where},title=unreadable::{escape_data(failure.error)}")
    return visible_lines(lines) + ("\n" if lines else "")
