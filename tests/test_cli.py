"""The ``budgetqa parse`` command: outputs, -o, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from budgetqa.cli import main

pytestmark = pytest.mark.integration


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "budgetqa.cli", *args], capture_output=True, text=True, check=False
    )


def test_parse_examples_json_shape(capsys):
    assert main(["parse", "--examples", "--format", "json"]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert len(documents) == 6  # five project tables, then the whole budget (PDF)
    assert documents[5]["layout"] == "pdf"
    assert len(documents[5]["tables"]) == 13
    first = documents[0]
    assert set(first) >= {"path", "department", "unit_of_money", "layout", "stats", "rows"}
    assert first["layout"] == "tsv-ocr"
    assert first["stats"]["lines"] == first["stats"]["accounted"] == 44
    total = first["rows"][0]
    assert {key: total[key] for key in ("level", "name", "line", "end_line")} == {
        "level": "total",
        "name": "合计",
        "line": 3,
        "end_line": 3,
    }
    assert (
        total["total"],
        total["fiscal_appropriation"],
        total["special_account"],
        total["other_funds"],
    ) == (
        "55873.15",
        "43558.37",
        None,
        "12314.78",
    )
    zengcheng = documents[2]
    project = next(row for row in zengcheng["rows"] if row["name"] == "区人社办公楼维护维修经费")
    assert (project["line"], project["end_line"], project["total"]) == (19, 40, "10.00")
    assert project["indicators"][0] == {
        "number": 1,
        "category": "产出指标",
        "category_code": "1",
        "subcategory": "数量指标",
        "subcategory_code": "11",
        "name": "维修工程计划完成率",
        "period_value": "维修工程计划完成",
        "annual_value": "维修工程计划完成100%",
        "line": 29,
        "end_line": 31,
    }


def test_parse_csv_has_a_line_per_row(capsys):
    assert main(["parse", "--examples", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # the five tables' rows, then the PDF's 项目支出表 (合计, one unit, nine projects: page 21)
    assert len(rows) == 36 + 45 + 58 + 25 + 58 + 11
    assert rows[0]["name"] == "合计"
    assert rows[0]["other_funds"] == "12314.78"


def test_parse_text_shows_accounting_and_rows(capsys):
    assert main(["parse", "--examples"]) == 0
    out = capsys.readouterr().out
    assert "lines: 1238 read, 1238 accounted for" in out
    assert "广州市增城区人力资源和社会保障局" in out
    assert "? columns ambiguous" in out


def test_parse_writes_to_output_file(tmp_path, capsys):
    target = tmp_path / "out.json"
    assert main(["parse", "--examples", "--format", "json", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 6


def test_bad_file_gets_one_line_exit_2_and_others_still_read(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02")
    result = run("parse", str(empty), str(binary), "--examples", "--format", "json")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"budgetqa: error: {empty}: the file is empty",
        f"budgetqa: error: {binary}:1: binary data (a NUL byte), not a text table",
    ]
    assert "Traceback" not in result.stderr
    assert len(json.loads(result.stdout)) == 6


def test_no_paths_is_a_usage_error(capsys):
    assert main(["parse"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "budgetqa: error: parse: give at least one PATH, or --examples"
    )


def test_unknown_option_exits_2():
    result = run("parse", "--format", "yaml")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_unwritable_output(tmp_path, capsys):
    target = tmp_path / "missing" / "out.txt"
    assert main(["parse", "--examples", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"budgetqa: error: {target}: cannot write: No such file or directory\n"
    )


def test_import_and_cli_start_do_not_load_heavy_libraries():
    code = (
        "import sys, budgetqa, budgetqa.cli; "
        "heavy = [m for m in ('pandas', 'pandera', 'great_expectations', 'numpy') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
