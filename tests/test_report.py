"""The report renderers: stable JSON, escaped Markdown and HTML, notebook display, DataFrame."""

from __future__ import annotations

import json
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa import cli
from budgetqa.findings import SCHEMA_VERSION, Severity
from budgetqa.ingest import read_bytes
from budgetqa.report import iter_report, render_report
from budgetqa.report.json_text import iter_json
from budgetqa.report.markdown import escape_markdown
from budgetqa.text import escape_json_controls

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "docs" / "report.schema.json").read_text("utf-8")
)

HOSTILE = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        '<script>alert("x")</script>经费\t6.00\t6.00\t\t\t<img src=x onerror=alert(1)> | **待补充** [link](http://x)\t'
        "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)


@pytest.fixture(scope="module")
def hostile_report():
    return budgetqa.audit(read_bytes(HOSTILE.encode("utf-8"), name="hostile.txt"))


@pytest.fixture(scope="module")
def examples_report():
    return budgetqa.audit(budgetqa.example_paths())


def test_json_report_matches_the_published_schema(examples_report):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(render_report(examples_report, "json"))
    jsonschema.validate(data, SCHEMA)
    assert data["schema_version"] == SCHEMA_VERSION
    # (the one-cent differences of 越秀 and 增城: four rounding tails, AR105, not eight errors)
    assert data["summary"]["by_severity"] == {"error": 20, "warning": 41, "info": 91}
    finding = next(f for f in data["findings"] if f["code"] == "AR102" and f["related"])
    assert set(finding) == {
        "id", "code", "name", "category", "severity", "message", "location",
        "expected", "actual", "difference", "related", "explanation", "source", "details",
    }  # fmt: skip
    assert set(finding["location"]) == {"path", "line", "end_line", "unit", "row", "page", "table"}
    # every sum finding carries its typed details, the others none
    sums = {"AR101", "AR102", "AR103", "AR104", "AR105"}
    assert all((f["details"] is not None) == (f["code"] in sums) for f in data["findings"])
    assert finding["details"]["kind"] == "relation"
    # (details say printed - computed; AR102's difference is its projects' sum less the unit's)
    first = finding["details"]["columns"][0]
    assert Decimal(first["difference"]) == -Decimal(finding["difference"])
    assert Decimal(first["printed"]) == Decimal(finding["expected"])


def _as_json_dumps_writes(value) -> str:
    """What the JSON outputs were before they were written a finding at a time: the text of
    ``json.dumps(..., indent=2)``, acting characters escaped."""
    return escape_json_controls(json.dumps(value, ensure_ascii=False, indent=2)) + "\n"


@pytest.fixture(scope="module")
def acting_report(hostile_report):
    """The hostile report with acting characters, a lone surrogate and an emoji in a finding."""
    finding = hostile_report.findings[0]
    text = "\x1b[31m\u202e\u2028\ud800\ufffe\x7f\U0001f600 <b>"
    odd = attrs.evolve(finding, message=text, source=(text, ""), related=("x", text))
    return attrs.evolve(hostile_report, findings=(odd, *hostile_report.findings))


@pytest.mark.parametrize("which", ["examples_report", "hostile_report", "acting_report"])
def test_json_and_sarif_reports_are_the_text_json_dumps_writes(which, request):
    report = request.getfixturevalue(which)
    assert render_report(report, "json") == _as_json_dumps_writes(report.to_dict())
    sarif = render_report(report, "sarif")
    assert sarif == _as_json_dumps_writes(json.loads(sarif))
    for format in ("json", "sarif"):
        assert "".join(iter_report(report, format)) == render_report(report, format)


def test_the_cli_writes_json_as_json_dumps_writes_it(tmp_path, capsys):
    output = tmp_path / "report.json"
    assert cli.main(["audit", "--examples", "--format", "json", "-o", str(output)]) == 1
    bundled = [*budgetqa.example_paths(), *budgetqa.example_budget_paths()]
    expected = _as_json_dumps_writes(budgetqa.audit(bundled).to_dict())
    assert output.read_text("utf-8") == expected
    assert cli.main(["audit", "--examples", "--format", "json"]) == 1
    assert capsys.readouterr().out == expected

    assert cli.main(["parse", "--examples", "--format", "json", "-o", str(output)]) == 0
    documents = [budgetqa.read(path).to_dict() for path in bundled]
    assert output.read_text("utf-8") == _as_json_dumps_writes(documents)


_JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none(), inner)
    ),
    max_leaves=40,
)


def _lazy(value):
    """``value`` with every list an iterator, as a renderer passes the findings."""
    if isinstance(value, dict):
        return {key: _lazy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return iter([_lazy(item) for item in value])
    return value


@given(_JSON_VALUES, st.booleans())
def test_json_written_in_pieces_is_the_text_json_dumps_writes(value, lazy):
    text = "".join(iter_json(_lazy(value) if lazy else value))
    assert text == json.dumps(value, ensure_ascii=False, indent=2)


def test_finding_ids_are_stable_across_runs(examples_report):
    again = budgetqa.audit(budgetqa.example_paths())
    assert [f.id for f in again] == [f.id for f in examples_report]
    assert len({f.id for f in again}) == len(again)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_html_renders_table_text_inert(hostile_report):
    page = render_report(hostile_report, "html")
    parser = _Collector()
    parser.feed(page)
    assert parser.tags.count("script") == 1  # only the page's own filter script
    assert "img" not in parser.tags
    assert all("alert" not in script for script in parser.scripts)
    assert any('<script>alert("x")</script>' in text for text in parser.text)
    assert "Content-Security-Policy" in page


def test_html_has_filters_sources_and_links(examples_report):
    page = render_report(examples_report, "html")
    assert 'value="error" checked' in page
    assert 'value="arithmetic" checked' in page
    assert "<pre>" in page
    assert 'href="#DU101-' in page


def test_markdown_escapes_table_text(hostile_report):
    markdown = render_report(hostile_report, "markdown")
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| line |"))
    finding_rows = [line for line in lines if line.startswith("| ") and "| `" in line]
    assert len(finding_rows) == len(hostile_report)
    # Escaped pipes inside cells do not add columns.
    assert all(row.replace("\\|", "").count(" | ") == header.count(" | ") for row in finding_rows)
    assert "<script>" not in markdown
    assert "\\<script\\>" in markdown
    assert escape_markdown("a|b*c_[d](e)") == "a\\|b\\*c\\_\\[d\\]\\(e\\)"
    # What autolinkers key on: a scheme's ":", "www." and domains' ".", an address's "@", "//".
    assert escape_markdown("https://x.org a@b.cn") == "https\\:\\/\\/x\\.org a\\@b\\.cn"


def test_markdown_keeps_a_line_break_in_a_cell_on_its_row(hostile_report):
    finding = hostile_report.findings[0]
    row = "甲\n| 1 | x |"
    moved = attrs.evolve(finding, location=attrs.evolve(finding.location, row=row))
    markdown = render_report(attrs.evolve(hostile_report, findings=(moved,)), "markdown")
    (line,) = [line for line in markdown.splitlines() if line.startswith("| ") and "| `" in line]
    assert "| 甲\\n\\| 1 \\| x \\| |" in line


def test_text_report_quotes_source_and_explanations(examples_report):
    text = render_report(examples_report, "text")
    assert "│ 合计 │ 55, 873. 15" in text
    assert "= The difference of 281.40 in 总计 and 财政拨款 is exactly accounted for by" in text
    summary, clean = text.rstrip().splitlines()[-2:]
    assert summary == "152 finding(s): 20 error, 41 warning, 91 info in 5 document(s)"
    assert clean.startswith("no findings in: ")
    assert clean.endswith("001_52ca15851f4e1457.txt")


def test_report_filter_and_frame(examples_report):
    errors = examples_report.filter(severity=Severity.ERROR)
    assert {f.severity for f in errors} == {Severity.ERROR}
    frame = examples_report.to_frame()
    assert len(frame) == len(examples_report)
    assert {"code", "severity", "path", "line", "difference", "related"} <= set(frame.columns)
    arithmetic = frame[frame["category"] == "arithmetic"]
    assert (arithmetic["difference"].notna()).all()


def test_notebook_display_is_escaped_html(hostile_report):
    shown = hostile_report._repr_html_()
    assert shown.startswith("<div><strong>budgetqa report</strong>")
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown
