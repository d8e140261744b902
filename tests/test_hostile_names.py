"""Hostile file names and cells, met the way a user meets them: real files on disk, the
``budgetqa`` command, its standard error and the files it writes.

The report keeps every finding on its own line, error lines stay one per unreadable file, every
output can be written as UTF-8, JUnit stays XML, Markdown grows no links, SARIF names files with
valid URIs and the ``parse`` CSV runs no formula.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import budgetqa
from budgetqa.cli import main
from budgetqa.ingest import read_frame
from budgetqa.report import REPORT_FORMATS, render_report
from budgetqa.report import documents as parse_output
from budgetqa.text import visible_line
from tests.test_hostile import (
    ACTING,
    FINDING_LINE,
    FORGED_FINDING,
    HEADER,
    LINKIFY,
    check_github,
    check_junit,
    check_markdown,
    check_text_report,
    hostile_rows,
    hostile_table,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FORGED_ERROR = "\nbudgetqa: error: forged.txt: the file is empty"


def _audit_cli(capsys, *arguments: str | Path) -> tuple[int, str, str]:
    code = main(["audit", *(str(argument) for argument in arguments)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write_table(path: Path, name: str = "甲", goal: str = "乙") -> Path:
    path.write_text(hostile_table(name, goal), encoding="utf-8")
    return path


def _named(tmp_path: Path, name: str) -> Path:
    """A file in ``tmp_path`` with ``name``, or a skip where the file system refuses the name."""
    try:
        path = tmp_path / name
        path.write_bytes(b"")
    except (OSError, UnicodeEncodeError):
        pytest.skip(f"this file system does not allow the name {name!r}")
    return path


# --- line breaks in file names and cells ----------------------------------------------------------


def test_a_line_break_in_a_file_name_does_not_forge_a_finding(tmp_path, capsys):
    table = _write_table(_named(tmp_path, f"甲{FORGED_FINDING}.txt"))
    report = budgetqa.audit(table)
    assert report.findings

    code, text, _ = _audit_cli(capsys, table)
    assert code == 1
    check_text_report(report, text)
    assert visible_line(str(table)) in text.splitlines()  # the file's heading, on one line
    for fmt, check in [("markdown", check_markdown), ("github", check_github)]:
        _, output, _ = _audit_cli(capsys, table, "--format", fmt)
        check(report, output)

    assert main(["parse", str(table)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == visible_line(str(table))
    assert not any(FINDING_LINE.match(line) for line in shown)


def test_a_line_break_in_a_file_name_does_not_forge_an_error_line(tmp_path, capsys):
    empty = _named(tmp_path, f"empty{FORGED_ERROR}")
    good = _write_table(tmp_path / "good.txt")

    code, _, err = _audit_cli(capsys, empty, good)
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("budgetqa: error: ")
    assert "\\nbudgetqa: error: forged" in line

    assert main(["parse", str(empty), str(good)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("budgetqa: error: ")

    rules = _named(tmp_path, "rules\nbudgetqa: error: forged.yaml")
    rules.write_text("version: [", encoding="utf-8")
    code, _, err = _audit_cli(capsys, good, "--rules", rules)
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("budgetqa: error: ")


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split("\t"))
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_a_line_break_in_an_xlsx_cell_stays_on_its_line(tmp_path, capsys):
    rows = hostile_rows(f"甲{FORGED_FINDING}\n", f"x\r\nbudgetqa: error: forged{FORGED_FINDING}")
    table = _xlsx(tmp_path / "cells.xlsx", rows)
    report = budgetqa.audit(table)
    assert any("\n" in line for finding in report.findings for line in finding.source)

    for fmt, check in [
        ("text", check_text_report),
        ("markdown", check_markdown),
        ("github", check_github),
    ]:
        _, output, _ = _audit_cli(capsys, table, "--format", fmt)
        check(report, output)
    _, junit, _ = _audit_cli(capsys, table, "--format", "junit")
    check_junit(junit)

    assert main(["parse", str(table)]) == 0
    document = budgetqa.read(table)
    shown = capsys.readouterr().out
    assert len(shown.splitlines()) == 5 + len(document.rows) + len(document.fragments)


def test_a_multi_line_csv_cell_stays_on_its_line_in_the_report(tmp_path, capsys):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.split("\t"))
    writer.writerows(hostile_rows("甲", f"第一行{FORGED_FINDING}\n第三行"))
    table = tmp_path / "cells.csv"
    table.write_text(buffer.getvalue(), encoding="utf-8")
    report = budgetqa.audit(table)
    assert any("\n" in line for finding in report.findings for line in finding.source)

    _, text, _ = _audit_cli(capsys, table)
    check_text_report(report, text)

    # The parse CSV is data: the multi-line cell may stay multi-line, quoted, and reads back.
    out = tmp_path / "rows.csv"
    assert main(["parse", str(table), "--format", "csv", "-o", str(out)]) == 0
    header, *records = csv.reader(io.StringIO(out.read_text(encoding="utf-8")))
    goals = [dict(zip(header, record, strict=True))["goal"] for record in records]
    assert goals == [row.goal for row in budgetqa.read(table).rows]


# --- characters no output may carry raw -----------------------------------------------------------


def test_junit_stays_xml_with_noncharacters_in_a_cell(tmp_path, capsys):
    junitparser = pytest.importorskip("junitparser")
    table = _write_table(tmp_path / "t.txt", "甲\ufffe\uffff", "乙\ufffe")
    out = tmp_path / "report.xml"
    code, _, _ = _audit_cli(capsys, table, "--format", "junit", "-o", out)
    assert code == 1
    check_junit(out.read_text(encoding="utf-8"))
    cases = [case for suite in junitparser.JUnitXml.fromfile(str(out)) for case in suite]
    assert any(not case.is_passed for case in cases)
    assert "\\ufffe" in out.read_text(encoding="utf-8")


def test_every_output_is_written_for_a_file_name_that_is_not_utf8(tmp_path, capsys):
    name = os.fsdecode(b"\xff\xfe-\xe7\x94\xb2.txt")  # undecodable bytes: \udcff\udcfe-甲.txt
    table = _write_table(_named(tmp_path, name))
    for fmt in REPORT_FORMATS:
        out = tmp_path / f"report.{fmt}"
        code, _, err = _audit_cli(capsys, table, "--format", fmt, "-o", out)
        assert (code, err) == (1, ""), fmt
        written = out.read_bytes().decode("utf-8")  # strict: no lone surrogate got through
        assert "\\udcff" in written or "%FF" in written, fmt
    for fmt in ("text", "json", "csv"):
        out = tmp_path / f"rows.{fmt}"
        assert main(["parse", str(table), "--format", fmt, "-o", str(out)]) == 0, fmt
        out.read_bytes().decode("utf-8")


def test_every_output_is_written_with_a_lone_surrogate_in_a_cell(tmp_path):
    pd = pytest.importorskip("pandas")
    rows = hostile_rows("甲\ud800\n", "乙\udcff\u2028")
    document = read_frame(pd.DataFrame(rows, columns=HEADER.split("\t")), name="p\udcff.txt")
    report = budgetqa.audit(document)
    for fmt in REPORT_FORMATS:
        out = tmp_path / f"report.{fmt}"
        out.write_text(render_report(report, fmt), encoding="utf-8")
        assert not ACTING.search(out.read_text(encoding="utf-8")), fmt
    for fmt, render in [
        ("text", parse_output.render_text),
        ("json", parse_output.render_json),
        ("csv", parse_output.render_csv),
    ]:
        (tmp_path / f"rows.{fmt}").write_text(render([document]), encoding="utf-8")
    data = json.loads(parse_output.render_json([document]))
    assert data[0]["rows"][2]["goal"] == document.rows[2].goal  # JSON keeps the value


# --- Markdown links, SARIF URIs, CSV formulas -------------------------------------------------------

URLS = "https://evil.example/a?b=1#c www.evil.com evil@example.com mailto:x@y.z //localhost"


def test_bare_urls_in_cells_are_not_linked_in_markdown(tmp_path, capsys):
    table = _write_table(tmp_path / "t.txt", f"{URLS} 甲", URLS)
    _, markdown, _ = _audit_cli(capsys, table, "--format", "markdown")
    rendered = LINKIFY.render(markdown)
    assert "<a " not in rendered
    assert "https://evil.example/a?b=1#c www.evil.com evil@example.com" in rendered  # shown as is


SARIF_NAMES = ["a b#c%d?e.txt", "新 建.txt", "x:y.txt", "line\nbreak.txt", "100%.txt"]


def test_sarif_artifact_uris_are_valid_and_read_back(
    tmp_path, tmp_path_factory, monkeypatch, capsys
):
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rfc3986_validator")  # jsonschema checks "uri-reference" with it
    (tmp_path / "sub").mkdir()
    tables = [_write_table(_named(tmp_path / "sub", name)) for name in SARIF_NAMES]
    outside = _write_table(tmp_path_factory.mktemp("elsewhere") / "外 #1.txt")
    monkeypatch.chdir(tmp_path)
    relative = [Path("sub", table.name) for table in tables]
    out = tmp_path / "report.sarif"
    code, _, _ = _audit_cli(capsys, *relative, outside, "--format", "sarif", "-o", out)
    assert code == 1

    log = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER  # Draft 4 knows no "uri-reference"
    jsonschema.Draft4Validator(schema, format_checker=checker).validate(log)
    uris = {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["runs"][0]["results"]
    }
    read_back = set()
    for uri in uris:
        parts = urlsplit(uri)
        assert (parts.query, parts.fragment) == ("", ""), uri
        if parts.scheme:
            assert (parts.scheme, parts.netloc) == ("file", ""), uri
        read_back.add(unquote(parts.path))
    assert read_back == {path.as_posix() for path in relative} | {outside.as_posix()}


def test_parse_csv_runs_no_formula_and_keeps_amounts(tmp_path):
    lines = [
        HEADER,
        "合计\t9.00\t9.00\t\t\t\t",
        "某区就业服务中心\t9.00\t9.00\t\t\t\t",
        "=1+1经费\t5.00\t5.00\t\t\t@SUM(A1)\t-SUM(A1)",
        '+86项目经费\t4.00\t16.00\t\t-12.00\t=HYPERLINK("http://x")\t',
    ]
    table = tmp_path / "t.txt"
    table.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "rows.csv"
    assert main(["parse", str(table), "--format", "csv", "-o", str(out)]) == 0
    records = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    first, second = records[2], records[3]
    assert (first["name"], first["goal"], first["indicator_text"]) == (
        "'=1+1经费",
        "'@SUM(A1)",
        "'-SUM(A1)",
    )
    assert (second["name"], second["goal"]) == ("'+86项目经费", '\'=HYPERLINK("http://x")')
    assert (second["total"], second["fiscal_appropriation"], second["other_funds"]) == (
        "4.00",
        "16.00",
        "-12.00",
    )
    assert records[0]["name"] == "合计"  # text that is not formula-like is untouched


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_parse_csv_prefixes_every_formula_start(start):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(hostile_rows("甲", "乙"), columns=HEADER.split("\t"))
    document = read_frame(frame, name=f"{start}1+1.txt")  # the path starts every record
    header, *records = csv.reader(io.StringIO(parse_output.render_csv([document])))
    assert [record[0] for record in records] == [f"'{start}1+1.txt"] * len(document.rows)
    other_funds = [dict(zip(header, record, strict=True))["other_funds"] for record in records]
    assert other_funds == ["", "", "-1.00", ""]  # an amount is never prefixed
