"""A self-contained HTML report a reviewer can open: summary, filters, source lines.

All text from the tables goes through :func:`_e`: acting characters and line breaks shown as
escapes (:func:`~budgetqa.text.visible_line`), then :func:`html.escape`. The page loads nothing
from the network and its only script is the inline filter below.
"""

from __future__ import annotations

import html
from itertools import groupby

from budgetqa.findings import Category, Report, Severity
from budgetqa.text import visible_line

__all__ = ["render_html"]

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:2rem;word-break:break-all}
.summary span{display:inline-block;margin-right:1rem}
.filters label{margin-right:.8rem}
.finding{border-left:4px solid #999;padding:.4rem .8rem;margin:.6rem 0;background:#fafafa}
.finding.error{border-color:#c62828}.finding.warning{border-color:#ef6c00}.finding.info{border-color:#1565c0}
.meta{font-size:.85rem;color:#555}.code{font-weight:600}
pre{background:#f0f0f0;padding:.4rem;overflow-x:auto;white-space:pre-wrap;margin:.3rem 0}
.figures{font-family:monospace}.explanation{font-style:italic}
"""

_SCRIPT = """
function applyFilters(){
  var shown={};
  document.querySelectorAll('.filters input').forEach(function(box){shown[box.value]=box.checked;});
  document.querySelectorAll('.finding').forEach(function(item){
    var visible=shown[item.dataset.severity]&&shown[item.dataset.category];
    item.style.display=visible?'':'none';
  });
}
document.querySelectorAll('.filters input').forEach(function(box){
  box.addEventListener('change',applyFilters);
});
"""


def _e(text: object) -> str:
    """The one way text enters the page: shown as one line, then HTML-escaped."""
    return html.escape(visible_line(str(text)), quote=True)


# Nothing may load from anywhere; only the inline style and filter script run.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _checkbox(value: str) -> str:
    return f'<label><input type="checkbox" value="{_e(value)}" checked> {_e(value)}</label>'


def render_html(report: Report) -> str:
    summary = report.summary()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-Hans"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        "<title>budgetqa audit report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>budgetqa audit report</h1>",
        '<div class="summary">',
        f"<span>{summary['findings']} finding(s)</span>",
        f"<span>{summary['documents']} document(s)</span>",
    ]
    parts += [f"<span>{_e(name)}: {count}</span>" for name, count in summary["by_severity"].items()]
    if summary["unreadable"]:
        parts.append(f"<span>unreadable: {summary['unreadable']}</span>")
    parts.append("</div>")
    parts.append('<div class="filters"><strong>show</strong> ')
    parts += [_checkbox(severity.value) for severity in Severity]
    parts.append(" | ")
    parts += [_checkbox(category.value) for category in Category]
    parts.append("</div>")
    for failure in report.failures:
        parts.append(f'<p class="unreadable">unreadable: {_e(failure.error)}</p>')
    for path, findings in groupby(report.findings, key=lambda finding: finding.location.path):
        parts.append(f"<h2>{_e(path)}</h2>")
        for finding in findings:
            location = finding.location
            lines = (
                f"line {location.line}"
                if location.end_line in (None, location.line)
                else f"lines {location.line}–{location.end_line}"
            )
            parts.append(
                f'<div class="finding {_e(finding.severity.value)}" id="{_e(finding.id)}"'
                f' data-severity="{_e(finding.severity.value)}"'
                f' data-category="{_e(finding.category.value)}">'
            )
            parts.append(
                f'<div class="meta"><span class="code">{_e(finding.code)}</span>'
                f" {_e(finding.name)} · "
                f"{_e(finding.severity.value)} · {_e(lines)}"
                + (f" · unit {_e(location.unit)}" if location.unit else "")
                + "</div>"
            )
            parts.append(f"<div>{_e(finding.message)}</div>")
            figures = [f"{label} {_e(value)}" for label, value in finding.figures()]
            if figures:
                parts.append(f'<div class="figures">{" · ".join(figures)}</div>')
            if finding.source:
                parts.append(
                    "<pre>"
                    + "\n".join(_e(line.replace("\t", " │ ")) for line in finding.source)
                    + "</pre>"
                )
            if finding.explanation:
                parts.append(f'<div class="explanation">{_e(finding.explanation)}</div>')
            if finding.related:
                links = ", ".join(
                    f'<a href="#{_e(related)}">{_e(related)}</a>' for related in finding.related
                )
                parts.append(f'<div class="meta">related: {links}</div>')
            parts.append("</div>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
