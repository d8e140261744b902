"""Hostile table text renders inert in every report format.

Cells carry markup, Markdown and workflow-command syntax, terminal escape sequences, bidi
overrides and XML-invalid control characters; each report is parsed back the way its reader
would (browser, XML parser, JSON, GitHub's annotation syntax, a terminal) to check that the
text stayed text.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa.ingest import read_bytes
from budgetqa.report import render_report

pytestmark = pytest.mark.slow

HEADER = "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
INDICATOR = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"
PAYLOADS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "</td></tr></table><h1>",
    "]]><!--",
    "| a | b |",
    "[link](javascript:alert(1))",
    "`code` *em* _u_ # h",
    "::error file=x::owned",
    "%0A::warning::x",
    "\x1b[2J\x1b[31mred\x1b]0;title\x07",
    "\u202eevil\u202c",
    "\x0b\x0c\x1f",
    "待补充",  # so that a placeholder finding quotes the cell
]
# Characters no report may carry raw: C0/C1 controls other than line feed and tab, ESC, DEL.
FORBIDDEN = {chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


def hostile_table(name: str, goal: str) -> str:
    return "\n".join(
        [
            HEADER,
            "合计\t9.00\t9.00\t\t\t\t",
            "某区就业服务中心\t5.00\t5.00\t\t\t\t",
            f"{name}经费\t5.01\t5.01\t\t\t{goal}待补充\t{INDICATOR}<b>{goal}</b>",
            # Plain text enough that a few control characters are not taken for binary data.
            f"乙项目经费\t0.00\t0.00\t\t\t{'保障工作正常开展。' * 60}\t{INDICATOR}",
        ]
    )


cell_text = st.lists(
    st.one_of(st.sampled_from(PAYLOADS), st.text(alphabet=st.characters(), max_size=8)),
    min_size=1,
    max_size=4,
).map("".join)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


def report_for(name: str, goal: str):
    clean = "".join(ch if ch not in "\t\n\r" else " " for ch in name + goal)
    name, goal = clean[: len(name)], clean[len(name) :]
    return budgetqa.audit(read_bytes(hostile_table(name, goal).encode("utf-8"), name="h.txt"))


def _reference_tags() -> list[str]:
    parser = _Collector()
    parser.feed(render_report(report_for("甲", "乙"), "html"))
    return sorted(set(parser.tags))


REFERENCE_TAGS = _reference_tags()


@given(cell_text, cell_text)
def test_every_format_keeps_hostile_text_inert(name, goal):
    try:
        report = report_for(name, goal)
    except budgetqa.BudgetQAError:
        return  # too many control characters: refused as binary, nothing rendered
    assert report.documents, "the hostile table was read"

    for fmt in ("text", "json", "markdown", "html", "junit", "sarif", "github"):
        output = render_report(report, fmt)
        assert not (set(output) & FORBIDDEN), f"{fmt}: raw control character"

    page = render_report(report, "html")
    parser = _Collector()
    parser.feed(page)
    assert sorted(set(parser.tags)) == REFERENCE_TAGS, "table text became markup"
    assert parser.tags.count("script") == 1  # the page's own filter script only
    assert not any(key.startswith("on") for key, _ in parser.attributes)
    assert not any((value or "").startswith("javascript:") for _, value in parser.attributes)

    ElementTree.fromstring(render_report(report, "junit").encode("utf-8"))
    json.loads(render_report(report, "json"))
    json.loads(render_report(report, "sarif"))

    github = render_report(report, "github").splitlines()
    assert len(github) == len(report.findings)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in github)

    markdown = render_report(report, "markdown")
    assert not regex.search(r"(?<!\\)<(?!br>)", markdown), "an unescaped < in Markdown"
    header = next(line for line in markdown.splitlines() if line.startswith("| line |"))
    for row in (line for line in markdown.splitlines() if line.startswith("| ") and "| `" in line):
        assert row.replace("\\|", "").count(" | ") == header.count(" | ")


def test_terminal_escapes_are_shown_not_obeyed():
    report = report_for("\x1b[2J", "\u202e")
    text = render_report(report, "text")
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\\x1b[2J" in text
    assert "\\u202e" in text
    assert report.findings[0].location.row is not None
    assert any("\x1b[2J" in (finding.location.row or "") for finding in report.findings)


# --- regular expressions and input size ---------------------------------------------------------

CATASTROPHIC_RULE = """\
version: 1
rules:
  - code: ZZ901
    name: text.backtracking
    category: text
    severity: warning
    check: text_pattern
    params:
      fields: [goal]
      patterns: ['(?:a|aa)+b']
    message: "{row}: {match}"
    rationale: A pattern that backtracks catastrophically on a run of a's.
"""


def test_a_catastrophic_user_pattern_is_stopped_and_located(monkeypatch):
    from budgetqa.checks import budget
    from budgetqa.rules import load_rules_text

    monkeypatch.setattr(budget, "MATCH_TIMEOUT_SECONDS", 0.2)
    rules = load_rules_text(CATASTROPHIC_RULE, "custom.yaml")
    table = "\n".join(
        [
            HEADER,
            "合计\t5.00\t5.00\t\t\t\t",
            "某区就业服务中心\t5.00\t5.00\t\t\t\t",
            f"甲项目经费\t5.00\t5.00\t\t\t{'a' * 60}\t{INDICATOR}",
        ]
    )
    document = read_bytes(table.encode("utf-8"), name="slow.txt")
    report = budgetqa.audit(document, rules=rules)
    [finding] = report.findings
    assert str(finding.location) == "slow.txt:4"
    assert finding.severity.value == "error"
    assert "pattern '(?:a|aa)+b' took over 0.2s on one text" in finding.message


ADVERSARIAL_TEXTS = [
    "a" * 20_000,
    "<" * 20_000,
    "<a " * 7_000,
    "&#" * 10_000,
    "X" * 20_000 + "Y",
    "*" * 20_000,
    " " * 20_000,
    "待" * 20_000,
    "请在此" * 7_000,
    "实施周期指标值:" * 3_000,
    "1、" * 10_000,
    "1,234" * 5_000,
    "·" * 20_000,
]


def test_shipped_patterns_do_not_backtrack_catastrophically():
    """Every shipped pattern scans adversarial runs within the regex engine's own time limit."""
    from budgetqa.rules import load_builtin_rules

    patterns = [
        pattern
        for rule in load_builtin_rules()
        if rule.check == "text_pattern"
        for pattern in rule.params["patterns"]
    ]
    assert len(patterns) >= 10
    for pattern in patterns:
        for text in ADVERSARIAL_TEXTS:
            list(pattern.finditer(text, timeout=1.0))  # raises TimeoutError if it backtracks
