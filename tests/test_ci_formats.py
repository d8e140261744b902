"""CI-native outputs, each checked by its published schema or a real parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

import budgetqa
from budgetqa.ingest import read_bytes
from budgetqa.report import render_report

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NASTY = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t9.00\t9.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "经费,100%:a::b\t5.01\t5.01\t\t\t待补充\t1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)


@pytest.fixture(scope="module")
def report():
    return budgetqa.audit(budgetqa.example_paths())


@pytest.fixture(scope="module")
def nasty_report():
    return budgetqa.audit(read_bytes(NASTY.encode("utf-8"), name="dir,1/odd:name.txt"))


def test_sarif_validates_against_the_sarif_2_1_0_schema(report, nasty_report):
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rfc3986_validator")  # jsonschema checks "uri-reference" with it
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER  # Draft 4 knows no "uri-reference"
    for current in (report, nasty_report):
        log = json.loads(render_report(current, "sarif"))
        jsonschema.Draft4Validator(schema, format_checker=checker).validate(log)
    nasty = json.loads(render_report(nasty_report, "sarif"))["runs"][0]["results"][0]
    # Percent-encoded: the ":" would otherwise read as the scheme of a URI "dir,1/odd:".
    assert nasty["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "dir%2C1/odd%3Aname.txt"
    )
    log = json.loads(render_report(report, "sarif"))
    (run,) = log["runs"]
    assert len(run["results"]) == len(report)
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == list(report.rules)
    first_error = next(r for r in run["results"] if r["ruleId"] == "DU101")
    region = first_error["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["endLine"]) == (193, 214)
    assert first_error["level"] == "error"
    assert run["tool"]["driver"]["rules"][first_error["ruleIndex"]]["id"] == "DU101"
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning", "note"}


def test_junit_parses_with_junitparser(report, tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "report.xml"
    path.write_text(render_report(report, "junit", fail_on="error"), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 5
    cases = [case for suite in suites for case in suite]
    assert len(cases) == 5 * len(report.rules)
    failed = {
        (case.classname.rsplit("/", 1)[-1], case.name.split()[0])
        for case in cases
        if not case.is_passed
    }
    assert ("004_56ad5f486115b5e1.txt", "DU101") in failed
    assert ("001_52ca15851f4e1457.txt", "AR101") not in failed
    # (增城's one-cent AR103 is a rounding tail, AR105, info: no failure at fail_on=error)
    assert {code for _, code in failed} == {"AR101", "AR102", "AR104", "DU101", "PH101"}
    relaxed = render_report(report, "junit", fail_on="never")
    assert "<failure" not in relaxed
    assert "<system-out>" in relaxed


_COMMAND = regex.compile(r"^::(?P<kind>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def _parse_annotations(text: str) -> list[dict[str, str]]:
    """Parse workflow commands the way the Actions runner does: one command per line."""
    parsed = []
    for line in text.splitlines():
        match = _COMMAND.match(line)
        assert match, line
        props = dict(item.split("=", 1) for item in match.group("props").split(","))
        parsed.append(
            {
                "kind": match.group("kind"),
                **{k: _unescape(v) for k, v in props.items()},
                "message": _unescape(match.group("message")),
            }
        )
    return parsed


def test_github_annotations_parse_back(report):
    annotations = _parse_annotations(render_report(report, "github"))
    assert len(annotations) == len(report)
    repeat = next(a for a in annotations if a["title"].startswith("DU101") and a["line"] == "193")
    assert repeat["kind"] == "error"
    assert repeat["endLine"] == "214"
    assert repeat["file"].endswith("004_56ad5f486115b5e1.txt")
    assert {a["kind"] for a in annotations} == {"error", "warning", "notice"}


def test_github_annotations_escape_separators_and_newlines(nasty_report):
    text = render_report(nasty_report, "github")
    annotations = _parse_annotations(text)
    assert len(text.splitlines()) == len(nasty_report)
    assert {a["file"] for a in annotations} == {"dir,1/odd:name.txt"}
    explained = [a for a in annotations if "\n" in a["message"]]
    assert explained, "explanations travel as escaped newlines inside one command"
    assert any("经费,100%:a::b" in a["message"] for a in annotations)


def test_unreadable_inputs_appear_in_every_ci_format(tmp_path):
    junitparser = pytest.importorskip("junitparser")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    report = budgetqa.audit([empty, *budgetqa.example_paths()[1:2]])
    path = tmp_path / "report.xml"
    path.write_text(render_report(report, "junit"), encoding="utf-8")
    unreadable = [
        suite
        for suite in junitparser.JUnitXml.fromfile(str(path))
        if suite.name == "unreadable inputs"
    ]
    assert [case.classname for suite in unreadable for case in suite] == [str(empty)]
    sarif = json.loads(render_report(report, "sarif"))
    notes = sarif["runs"][0]["invocations"][0]
    assert notes["executionSuccessful"] is False
    assert (
        notes["toolExecutionNotifications"][0]["message"]["text"] == f"{empty}: the file is empty"
    )
    (annotation,) = _parse_annotations(render_report(report, "github"))
    assert (annotation["kind"], annotation["title"]) == ("error", "unreadable")
