"""``budgetqa audit``, ``rules`` and ``explain``: outputs, options, config and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import budgetqa
from budgetqa.cli import main
from budgetqa.rules import load_builtin_rules

pytestmark = pytest.mark.integration

CLEAN = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "工作经费\t5.00\t5.00\t\t\t开展工作。\t1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)


@pytest.fixture
def clean_table(tmp_path):
    path = tmp_path / "clean.txt"
    path.write_text(CLEAN, encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_audit_examples_fails_on_errors_by_default(in_tmp, capsys):
    assert main(["audit", "--examples"]) == 1
    out = capsys.readouterr().out
    # the five tables' 156 (越秀's and 增城's one-cent differences are four rounding tails,
    # AR105; 越秀's blank 其他资金 on line 38 is named, AR301), and the bundled budget PDF's
    # two (AR203, info): 20805 行政事业单位养老支出 prints 419.35, its items add up to
    # 123.54 + 199.06 + 96.76 = 419.36 (pages 8 and 11)
    assert "154 finding(s): 20 error, 41 warning, 93 info in 6 document(s)" in out


def test_fail_on_levels(in_tmp, capsys):
    assert main(["audit", "--examples", "--fail-on", "never"]) == 0
    assert main(["audit", "--examples", "--select", "text", "--fail-on", "error"]) == 0
    assert main(["audit", "--examples", "--select", "text", "--fail-on", "warning"]) == 1
    capsys.readouterr()


def test_clean_table_exits_zero(in_tmp, clean_table, capsys):
    assert main(["audit", str(clean_table), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == []
    assert data["documents"][0]["stats"]["rows"] == 3


def test_select_ignore_and_severity_override(in_tmp, capsys):
    assert (
        main(["audit", "--examples", "--select", "DU", "--ignore", "DU101", "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert {f["code"] for f in data["findings"]} == {"DU102"}
    assert (
        main(
            [
                "audit",
                "--examples",
                "--select",
                "DU102",
                "--severity",
                "DU102=error",
                "--format",
                "json",
            ]
        )
        == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert {f["severity"] for f in data["findings"]} == {"error"}


def test_unknown_selector_is_usage_error(in_tmp, capsys):
    assert main(["audit", "--examples", "--select", "QQ"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "budgetqa: error: select: 'QQ' matches no rule (see `budgetqa rules`)"
    )


def test_user_rule_file_adds_a_rule(in_tmp, clean_table, capsys):
    rules = in_tmp / "mine.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - code: XY101\n    name: text.work_word\n    category: text\n"
        "    severity: warning\n    check: text_pattern\n    params:\n      patterns: ['工作']\n"
        "    message: '{row}: found {match}'\n    rationale: Demonstration.\n",
        encoding="utf-8",
    )
    assert (
        main(
            [
                "audit",
                str(clean_table),
                "--rules",
                str(rules),
                "--format",
                "json",
                "--fail-on",
                "warning",
            ]
        )
        == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["location"]["line"]) for f in data["findings"]] == [
        ("XY101", 4),
        ("XY101", 4),
    ]


def test_bad_rule_file_lists_problems_and_exits_2(in_tmp, clean_table, capsys):
    rules = in_tmp / "bad.yaml"
    rules.write_text("version: 1\nrules:\n  - code: nope\n", encoding="utf-8")
    assert main(["audit", str(clean_table), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"budgetqa: error: {rules}:3:")
    assert "the rule has no 'name'" in err


def test_pyproject_config_is_used(in_tmp, clean_table, capsys):
    (in_tmp / "pyproject.toml").write_text(
        '[tool.budgetqa]\nselect = ["placeholder"]\nfail-on = "info"\npaths = ["clean.txt"]\n',
        encoding="utf-8",
    )
    clean_table.write_text(CLEAN.replace("开展工作。", "待补充"), encoding="utf-8")
    assert main(["audit", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in data["findings"]] == ["PH101"]


def test_unreadable_file_reported_and_others_audited(in_tmp, clean_table):
    empty = in_tmp / "empty.txt"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "budgetqa.cli", "audit", str(empty), str(clean_table), "--format", "json"],
        capture_output=True, text=True, check=False, cwd=in_tmp,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == f"budgetqa: error: {empty}: the file is empty"
    data = json.loads(result.stdout)
    assert data["summary"]["unreadable"] == 1
    assert data["documents"][0]["path"] == str(clean_table)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_report_to_file(in_tmp, fmt, capsys):
    target = in_tmp / f"report.{fmt}"
    assert (
        main(["audit", "--examples", "--format", fmt, "-o", str(target), "--fail-on", "never"]) == 0
    )
    assert capsys.readouterr().out == ""
    assert "AR102" in target.read_text(encoding="utf-8")


def test_rules_lists_every_rule(in_tmp, capsys):
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(load_builtin_rules())
    assert lines[0].startswith("AR101  error    arithmetic.row_funding_sum")
    assert main(["rules", "--select", "indicator", "--format", "json"]) == 0
    assert [rule["code"] for rule in json.loads(capsys.readouterr().out)] == [
        "IN101",
        "IN102",
        "IN103",
        "IN104",
    ]


def test_explain_shows_the_rule_page(in_tmp, capsys):
    assert main(["explain", "du101"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# DU101 `duplicate.exact_row`")
    assert "## Anti-pattern" in page
    assert "## Best practice" in page
    assert main(["explain", "XX999"]) == 2


# 增城 (example 002) prints 合计 24,955.91 over units that add up to 24,955.92, and a unit of
# 1,366.63 over projects that add up to 1,366.62: four 0.01 differences (总计 and 财政拨款 each).
ZENGCHENG = "002_3729fac599dfabba.txt"


def _zengcheng():
    return next(path for path in budgetqa.example_paths() if path.name == ZENGCHENG)


def _errors(out: str) -> list[tuple[str, str]]:
    found = json.loads(out)["findings"]
    return sorted((f["code"], f["difference"]) for f in found if f["severity"] == "error")


@pytest.mark.parametrize("engine", ["native", "pandera", "gx"])
def test_rounding_tails_and_tolerances_in_every_engine(in_tmp, capsys, engine):
    path = str(_zengcheng())
    args = ["audit", path, "--select", "AR", "--engine", engine, "--format", "json"]
    # by default a sum may miss by the rounding of its printed addends: tails, not errors
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["code"], f["location"]["line"]) for f in found) == [
        ("AR105", 12),
        ("AR105", 14),
    ]
    # no difference accepted: the four cents are errors (the tails are still shown)
    assert main([*args, "--tolerance", "AR=0"]) == 1
    # (one finding per sum, with both columns: 总计 and 财政拨款 each miss by the cent)
    assert _errors(capsys.readouterr().out) == [("AR102", "-0.01"), ("AR103", "0.01")]
    # a tolerance on one rule leaves the others as they were
    assert main([*args, "--tolerance", "AR103=0"]) == 1
    assert _errors(capsys.readouterr().out) == [("AR103", "0.01")]


def test_a_tolerance_in_the_configuration(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.budgetqa]\nselect = ["AR"]\n[tool.budgetqa.tolerance]\nAR102 = "0"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(_zengcheng()), "--format", "json"]) == 1
    assert _errors(capsys.readouterr().out) == [("AR102", "-0.01")]
    # the command line adds to the configuration
    assert main(["audit", str(_zengcheng()), "--format", "json", "--tolerance", "AR103=0"]) == 1
    assert [code for code, _ in _errors(capsys.readouterr().out)] == ["AR102", "AR103"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("AR102=-1", "tolerance for 'AR102': expected auto or an amount of at least 0, got '-1'"),
        ("AR102=much", "tolerance for 'AR102': expected a decimal number, got 'much'"),
        ("AR102", "--tolerance 'AR102': expected RULE=AMOUNT, e.g. AR102=0.05"),
        ("TX101=0.5", "tolerance: TX101 (text.html_markup) takes no tolerance"),
        ("ZZ9=0.5", "tolerance: 'ZZ9' matches no rule"),
        ("AR202=often", "tolerance for 'AR202': expected a decimal number, got 'often'"),
    ],
)
def test_a_bad_tolerance_is_one_line_and_exit_2(in_tmp, capsys, option, message):
    assert main(["audit", str(_zengcheng()), "--tolerance", option]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"budgetqa: error: {message}")
    assert err.count("\n") == 1


def test_the_relations_tolerance_is_the_printed_precision_unless_set(in_tmp, capsys):
    # The bundled budget's 20805 行政事业单位养老支出 prints 419.35 over 123.54 + 199.06 +
    # 96.76 = 419.36 (pages 8 and 11): within 3 × 0.005, a rounding tail (AR203, info) ...
    (pdf,) = budgetqa.example_budget_paths()
    assert main(["audit", str(pdf), "--format", "json", "--fail-on", "never"]) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["code"], f["location"]["page"]) for f in found) == [
        ("AR203", 8),
        ("AR203", 11),
    ]
    # ... and a break (AR202, error) when no difference is accepted
    assert main(["audit", str(pdf), "--format", "json", "--tolerance", "AR202=0"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["code"], f["location"]["page"]) for f in found if f["code"] == "AR202") == [
        ("AR202", 8),
        ("AR202", 11),
    ]
