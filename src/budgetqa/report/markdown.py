"""The Markdown report: a summary and a table of findings per file.

Every piece of table text goes through :func:`escape_markdown`, so a cell holding ``|``, ``*``,
``<script>``, a link or a bare URL cannot change the report's structure or become a link; the
report is written through :func:`~budgetqa.text.visible_lines`, so a line break in a file name
or a cell cannot start a row or a heading of its own.
"""

from __future__ import annotations

from itertools import groupby

import regex

from budgetqa.findings import Report
from budgetqa.text import visible_lines

__all__ = ["escape_markdown", "render_markdown"]

# Markdown syntax and inline HTML, and what autolinking keys on: ``:`` after a scheme
# (``https:``, ``mailto:``), ``.`` in ``www.`` and domain names, ``@`` in an address and ``//``
# before a host. GFM and markdown-it both end a run of text at a backslash escape, so no
# autolinker sees the URL or address whole.
_SPECIAL = regex.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&:@/])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown and inline HTML syntax and what autolinks a URL or address.

    Rendered by any CommonMark or GFM renderer (linkify included), the text reads as given and
    adds no markup, column or link. Line breaks are left to the report's writer, which shows
    them as ``\\n`` so the text stays in its table row.
    """
    return _SPECIAL.sub(r"\\\1", text)


def render_markdown(report: Report) -> str:
    summary = report.summary()
    out = ["# budgetqa audit report", ""]
    out.append(
        f"{summary['findings']} finding(s) in {summary['documents']} document(s)"
        + (f", {summary['unreadable']} unreadable" if summary["unreadable"] else "")
        + "."
    )
    out += ["", "| severity | count |", "| --- | ---: |"]
    out += [f"| {name} | {count} |" for name, count in summary["by_severity"].items()]
    out += ["", "| category | count |", "| --- | ---: |"]
    out += [f"| {name} | {count} |" for name, count in summary["by_category"].items() if count]
    for failure in report.failures:
        out += ["", f"- **unreadable**: {escape_markdown(failure.error)}"]
    for path, findings in groupby(report.findings, key=lambda finding: finding.location.path):
        out += ["", f"## {escape_markdown(path)}", ""]
        out += ["| line | severity | code | row | message | expected | actual | difference |"]
        out += ["| ---: | --- | --- | --- | --- | ---: | ---: | ---: |"]
        for finding in findings:
            location = finding.location
            lines = (
                f"{location.line}"
                if location.end_line in (None, location.line)
                else f"{location.line}–{location.end_line}"
            )
            message = escape_markdown(finding.message)
            if finding.explanation:
                message += f" <br>*{escape_markdown(finding.explanation)}*"
            cells = [
                lines,
                finding.severity.value,
                f"`{finding.code}`",
                escape_markdown(location.row or ""),
                message,
                escape_markdown(finding.expected or ""),
                escape_markdown(finding.actual or ""),
                escape_markdown(finding.difference or ""),
            ]
            out.append("| " + " | ".join(cells) + " |")
    return visible_lines(out) + "\n"
