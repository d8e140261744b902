"""Hostile table text and file names render inert in every output format.

Cells and file names carry markup, Markdown, bare URLs, workflow-command syntax, terminal escape
sequences, bidi controls, line breaks, characters XML forbids (U+FFFE, U+FFFF), lone surrogates
and spreadsheet formulas; each output is parsed back the way its reader would (a browser, an XML
parser, JSON, GitHub's annotation syntax, a linkifying Markdown renderer, a terminal reading
lines, a spreadsheet reading CSV) to check that the text stayed text.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import budgetqa
from budgetqa.ingest import read_bytes, read_frame
from budgetqa.model import MONEY_COLUMNS
from budgetqa.report import REPORT_FORMATS, render_report
from budgetqa.report import documents as parse_output
from budgetqa.testing import format_findings
from budgetqa.text import escape_json_controls, visible_controls, visible_line

pytestmark = pytest.mark.slow

HEADER = "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
INDICATOR = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"
# A line of the text report as a finding starts it; a forged one would be counted too.
FORGED_FINDING = f"\n  {'4':>9}  {'error':<7} AR999  forged"
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
    "\u061c\u200e\u200f\u2066\u2069",
    "\x0b\x0c\x1f",
    "\u2028\u2029\x85",
    "\ufffe\uffff\ufdd0\U0001fffe",
    "https://evil.example/x?a=1#f",
    "http://x",
    "www.evil.com",
    "evil@example.com",
    "//localhost",
    "mailto:x@y.z",
    "=1+1",
    "-SUM(A1)",
    "+1",
    "@cmd",
    FORGED_FINDING,
    "\r\nbudgetqa: error: forged",
    "\udcff",  # a byte that is not UTF-8, decoded with surrogateescape
    "\ud800",
    "待补充",  # so that a placeholder finding quotes the cell
]
# File names: line breaks, URI delimiters, what the runner's command syntax and a terminal act on.
PATH_PAYLOADS = [
    FORGED_FINDING,
    "\rbudgetqa: error: forged",
    "a b#c%d?e",
    ":",
    "dir/",
    "::error::x",
    "%0A",
    "\u202e",
    "\ufffe",
    "\udcff",
    "新建 文件",
]
# What no output may carry raw: controls other than tab and line feed, bidi controls, line and
# paragraph separators, lone surrogates and noncharacters.
ACTING = regex.compile(
    r"[[\p{Cc}\p{Bidi_Control}\p{Cs}\p{Noncharacter_Code_Point}\u2028\u2029]--[\t\n]]",
    regex.V1,
)
NOT_XML = regex.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FINDING_LINE = regex.compile(r"^  [ \d-]{9}  (?:error|warning|info) +[A-Z]{2}\d{3}  ", regex.M)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LINKIFY = MarkdownIt("gfm-like")  # GFM tables and strikethrough, linkify on


def hostile_rows(name: str, goal: str) -> list[list[str]]:
    return [
        ["合计", "9.00", "9.00", "", "", "", ""],
        ["某区就业服务中心", "5.00", "5.00", "", "", "", ""],
        [f"{name}经费", "5.01", "5.01", "", "-1.00", f"{goal}待补充", f"{INDICATOR}<b>{goal}</b>"],
        # Plain text enough that a few control characters are not taken for binary data.
        ["乙项目经费", "0.00", "0.00", "", "", "保障工作正常开展。" * 60, INDICATOR],
    ]


def hostile_table(name: str, goal: str) -> str:
    return "\n".join([HEADER, *("\t".join(row) for row in hostile_rows(name, goal))])


def _piece(payloads: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(payloads), st.text(alphabet=st.characters(), max_size=8))


cell_text = st.lists(_piece(PAYLOADS), min_size=1, max_size=4).map("".join)
path_text = st.lists(_piece(PATH_PAYLOADS), max_size=3).map("".join)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


def read_hostile(name: str, goal: str, *, path: str = "h", reader: str = "tsv"):
    """The hostile table read as tab-separated text (a cell holds no tab, line break or lone
    surrogate there) or as a DataFrame (a cell holds anything)."""
    if reader == "frame":
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(hostile_rows(name, goal), columns=HEADER.split("\t"))
        return read_frame(frame, name=f"{path}.txt")
    clean = regex.sub(r"[\t\n\r\p{Cs}]", " ", name + goal)
    name, goal = clean[: len(name)], clean[len(name) :]
    return read_bytes(hostile_table(name, goal).encode("utf-8"), name=f"{path}.txt")


def report_for(name: str, goal: str, *, path: str = "h", reader: str = "tsv"):
    return budgetqa.audit(read_hostile(name, goal, path=path, reader=reader))


def _reference_tags(reader: str) -> list[str]:
    parser = _Collector()
    parser.feed(render_report(report_for("甲", "乙", reader=reader), "html"))
    return sorted(set(parser.tags))


REFERENCE_TAGS = {reader: _reference_tags(reader) for reader in ("tsv", "frame")}


def check_text_report(report, text: str) -> None:
    """One report line per finding: no field starts a line that passes for another finding."""
    assert len(FINDING_LINE.findall(text)) == len(report.findings), "a forged finding line"
    paths = {visible_line(finding.location.path) for finding in report.findings}
    headers = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert set(headers) - {line for line in headers if line.startswith(("unreadable: ", "no "))}
    assert paths <= set(headers)


def check_markdown(report, markdown: str) -> None:
    """Escaped, one table row per finding, and no link when a linkifying renderer shows it."""
    assert not regex.search(r"(?<!\\)<(?!br>)", markdown), "an unescaped < in Markdown"
    header = next(line for line in markdown.splitlines() if line.startswith("| line |"))
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "| `" in line]
    assert len(rows) == len(report.findings), "a forged table row"
    for row in rows:
        assert row.replace("\\|", "").count(" | ") == header.count(" | ")
    rendered = LINKIFY.render(markdown)
    assert "<a " not in rendered, "table text became a link"
    assert rendered.count("<code>") == len(report.findings)


def check_github(report, github: str) -> None:
    lines = github.splitlines()
    assert len(lines) == len(report.findings) + len(report.failures)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)


def check_junit(junit: str) -> None:
    assert not NOT_XML.search(junit), "a character XML 1.0 does not allow"
    ElementTree.fromstring(junit.encode("utf-8"))


@given(cell_text, cell_text, path_text, st.sampled_from(["tsv", "frame"]))
def test_every_format_keeps_hostile_text_inert(name, goal, path, reader):
    try:
        report = report_for(name, goal, path=path, reader=reader)
    except budgetqa.BudgetQAError:
        return  # too many control characters: refused as binary, nothing rendered
    assert report.documents, "the hostile table was read"

    outputs = {fmt: render_report(report, fmt) for fmt in REPORT_FORMATS}
    for fmt, output in outputs.items():
        assert not ACTING.search(output), f"{fmt}: raw acting character"
        output.encode("utf-8")  # writable: no lone surrogate

    parser = _Collector()
    parser.feed(outputs["html"])
    assert sorted(set(parser.tags)) == REFERENCE_TAGS[reader], "table text became markup"
    assert parser.tags.count("script") == 1  # the page's own filter script only
    assert not any(key.startswith("on") for key, _ in parser.attributes)
    assert not any((value or "").startswith("javascript:") for _, value in parser.attributes)

    check_junit(outputs["junit"])
    for fmt in ("json", "sarif"):
        json.loads(outputs[fmt])
    check_github(report, outputs["github"])
    check_markdown(report, outputs["markdown"])
    check_text_report(report, outputs["text"])
    blocks = format_findings(report.findings).splitlines()
    assert len([line for line in blocks if not line.startswith("    ")]) == len(report.findings)


@given(cell_text, cell_text, path_text, st.sampled_from(["tsv", "frame"]))
def test_every_parse_format_keeps_hostile_text_inert(name, goal, path, reader):
    try:
        document = read_hostile(name, goal, path=path, reader=reader)
    except budgetqa.BudgetQAError:
        return
    rows, fragments = document.rows, document.fragments

    text = parse_output.render_text([document])
    assert not ACTING.search(text)
    assert len(text.splitlines()) == 5 + len(rows) + len(fragments), "a forged line"

    data = json.loads(parse_output.render_json([document]))
    assert not ACTING.search(parse_output.render_json([document]))
    if not regex.search(r"[\ud800-\udbff][\udc00-\udfff]", name + goal):
        # JSON cannot tell two lone surrogates side by side from a pair; anything else reads
        # back exactly as read.
        assert [row["name"] for row in data[0]["rows"]] == [row.name for row in rows]
        assert data[0]["path"] == document.path

    table = parse_output.render_csv([document])
    table.encode("utf-8")
    header, *lines = csv.reader(io.StringIO(table))
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        cells = dict(zip(header, line, strict=True))
        for column in ("path", "name", "parent", "goal", "indicator_text"):
            assert not cells[column].startswith(FORMULA_START), (column, cells[column])
        for column in MONEY_COLUMNS:
            amount = row.amount(column)
            assert cells[column] == ("" if amount is None else f"{amount:.2f}")


def test_every_acting_or_xml_forbidden_character_is_escaped():
    """Over the whole code space: nothing that acts, and nothing XML 1.0 forbids, stays raw."""
    every = "x".join(chr(code) for code in range(0x110000))
    shown = visible_controls(every)
    assert not ACTING.search(shown)
    assert not NOT_XML.search(shown)
    shown.encode("utf-8")
    assert "\n" in shown  # line feed and tab are kept, except inside one line
    assert "\t" in shown
    assert visible_line("a\nb\tc") == "a\\nb\tc"
    # In JSON the same characters are \uXXXX escapes of the same value.
    written = escape_json_controls(json.dumps(every, ensure_ascii=False))
    assert not ACTING.search(written)
    assert json.loads(written) == every
    assert visible_line("\u061c\u2028\u2029\x85\ufffe\uffff\udcff\r\n") == (
        "\\u061c\\u2028\\u2029\\x85\\ufffe\\uffff\\udcff\\r\\n"
    )


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
