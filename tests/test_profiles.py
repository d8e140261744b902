"""Table profiles (profiles/*.yaml): every shipped profile's title examples hold, titles are
classified by the most specific profile, headers give columns their keys, a user's profile adds
a kind or replaces a shipped one, and a bad profile file is a located error, never a traceback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import ProfileFileError, UsageError
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages
from budgetqa.model import StructureProblem
from budgetqa.profiles import (
    Hierarchy,
    Profiles,
    builtin_profiles,
    load_profiles_text,
    normalise_label,
    normalise_title,
    resolve_profiles,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
SHIPPED = builtin_profiles()


def profile_text(body: str) -> str:
    return "version: 1\nprofile:\n" + textwrap.indent(textwrap.dedent(body), "  ")


MINIMAL = """\
kind: carried_over_balances
name: {zh: 财政拨款结转结余表, en: Carried-over balances}
description: {zh: 上年财政拨款结转结余。, en: Appropriations carried over from last year.}
titles: ['财政拨款结转结余(?:情况)?表']
hierarchy: function_code
columns:
  - key: total
    headers: ['合计']
examples:
  - title: 2026年财政拨款结转结余情况表
  - not: 2026年财政拨款收支总表
"""


# --- the shipped profiles -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [profile.kind for profile in SHIPPED])
def test_every_shipped_profile_has_title_examples_both_ways(kind):
    profile = SHIPPED[kind]
    assert any(example.matches for example in profile.examples), "no title it must recognise"
    assert any(not example.matches for example in profile.examples), "no title it must not"
    assert profile.name_zh
    assert profile.name_en


def test_the_shipped_title_examples_are_classified_as_they_say():
    assert SHIPPED.example_problems() == []


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # 收支总表 is inside 财政拨款收支总表: the longer match is the more specific kind
        ("财政拨款收支总表", "fiscal_summary"),
        ("收支总表", "income_expenditure_summary"),
        # 一般公共预算 + 基本支出 is T8, not T5 and not the all-funds 基本支出表
        ("一般公共预算基本支出情况表", "general_budget_basic_expenditure"),
        ("一般公共预算支出情况表", "general_budget_expenditure"),
        ("基本支出预算表", "basic_expenditure"),
        ("项目支出绩效目标表", "project_performance_targets"),
        ("项目支出表", "project_expenditure"),
        ("目录", None),
        ("第三部分 2026年部门预算表", None),
    ],
)
def test_the_most_specific_profile_names_a_title(title, kind):
    found = SHIPPED.classify(title)
    assert (found.kind if found else None) == kind


_EXAMPLES = [(e.title, p.kind) for p in SHIPPED for e in p.examples if e.matches]


@given(
    example=st.sampled_from(_EXAMPLES),
    spaces=st.lists(st.sampled_from([" ", "\u3000", "\t"]), min_size=1, max_size=5),
    data=st.data(),
)
def test_spacing_and_full_width_forms_do_not_change_a_titles_kind(example, spaces, data):
    title, kind = example
    characters = list(title)
    for space in spaces:
        characters.insert(data.draw(st.integers(0, len(characters))), space)
    # full-width digits and letters (as some templates print 2026) are the same characters
    spaced = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in characters)
    found = SHIPPED.classify(spaced)
    assert (found.kind if found else None) == kind


# --- headers and column keys ---------------------------------------------------------------------


def test_labels_are_normalised_level_by_level():
    assert normalise_label("财政拨款 / 其中：一般公共预算（万元）") == "财政拨款/一般公共预算"
    assert normalise_label("预算数（单位：万元）") == "预算数"
    assert normalise_title("2026 年一般公共预算“三公”经费支出情况表") == (
        "2026年一般公共预算三公经费支出情况表"
    )


def test_headers_give_columns_their_keys():
    profile = SHIPPED["general_budget_expenditure"]
    labels = ["科目编码", "科目名称", "合计", "其中：基本支出", "项目支出", "备注"]
    assert profile.column_keys(labels, [None] * 6) == [
        "code",
        "name",
        "total",
        "basic",
        "project",
        None,  # no profile column: the table says c6
    ]


def test_a_whole_label_is_tried_before_its_last_level():
    profile = SHIPPED["project_expenditure"]
    labels = ["项目名称", "总计", "财政拨款/合计", "财政拨款/一般公共预算", "其他资金"]
    # 财政拨款/合计 is the appropriation's subtotal, not a second 合计
    assert profile.column_keys(labels, [None] * 5) == [
        "name",
        "total",
        "fiscal_appropriation",
        "general_budget",
        "other_funds",
    ]


def test_last_years_columns_get_previous_keys():
    profile = SHIPPED["three_public_expenditure"]
    labels = [
        "2025年预算数/合计",
        "2025年预算数/公务接待费",
        "2026年预算数/合计",
        "2026年预算数/公务接待费",
    ]
    assert profile.column_keys(labels, [None] * 4) == [
        "total_previous",
        "reception_previous",
        "total",
        "reception",
    ]


def test_sided_columns_match_only_their_half():
    profile = SHIPPED["income_expenditure_summary"]
    labels = ["项目", "预算数", "项目", "预算数"]
    # halves whose group label says neither are income on the left, expenditure on the right
    assert profile.column_keys(labels, ["left", "left", "right", "right"]) == [
        "income_item",
        "income_amount",
        "expenditure_item",
        "expenditure_amount",
    ]


def test_a_read_table_carries_the_keys_of_its_profile():
    sketch = """\
支出总表
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 | 10.00 |
| 20101 | 人大事务 | 30.00 | 20.00 | 10.00 |
"""
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(sketch)).tables
    assert [column.key for column in table.columns] == ["code", "name", "total", "basic", "project"]


# --- what a profile says about a table -------------------------------------------------------------

TARGETS = """\
部门整体支出绩效目标表
单位：万元
| 整体绩效目标 | 指标名称 | 指标值 |
| 提高审计质量 | 审计项目完成率 | 100% |
| 按期完成审计 | 报告按期出具率 | 95% |
"""


def test_a_kind_that_prints_no_amounts_is_established_without_them():
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(TARGETS)).tables
    assert table.kind == "department_performance_targets"
    assert table.established
    assert [column.key for column in table.columns] == ["goal", "indicator_name", "indicator_value"]
    assert [(row.name, row.texts) for row in table.rows] == [
        ("提高审计质量", ("审计项目完成率", "100%")),
        ("按期完成审计", ("报告按期出具率", "95%")),
    ]


def test_the_same_table_under_a_profile_that_requires_amounts_is_not_established():
    strict = SHIPPED.merged(
        [
            load_profiles_text(
                profile_text(
                    """\
                    kind: department_performance_targets
                    name: {zh: 部门整体支出绩效目标表, en: Department targets}
                    description: {zh: 须有金额。, en: Must carry amounts.}
                    titles: ['整体(?:支出)?绩效目标表']
                    hierarchy: flat
                    amounts: required
                    """
                )
            )
        ]
    )
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(TARGETS), strict).tables
    # where amounts are required, a grid without any is header all through: no rows
    assert not table.established
    assert [problem for problem, _ in table.problems] == [StructureProblem.NO_ROWS]


CARRIED = """\
2026年财政拨款结转结余情况表
单位：万元
| 科目编码 | 科目名称 | 合计 |
| 201 | 一般公共服务支出 | 5.00 |
| 20101 | 人大事务 | 5.00 |
| 2010101 | 行政运行 | 5.00 |
"""


def test_a_users_profile_adds_a_kind_the_shipped_ones_do_not_know(tmp_path):
    path = tmp_path / "carried.yaml"
    path.write_text(profile_text(MINIMAL), encoding="utf-8")
    (unknown,) = read_pdf_pages("sketch.pdf", sketch_pages(CARRIED)).tables
    assert unknown.kind == "unknown"
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(CARRIED), resolve_profiles([path])).tables
    assert table.kind == "carried_over_balances"
    assert table.established
    assert [column.key for column in table.columns] == ["c1", "c2", "total"]
    assert [row.level for row in table.rows] == [1, 2, 3]  # by code: 类 款 项


def test_a_users_profile_of_a_shipped_kind_replaces_it():
    mine = load_profiles_text(
        profile_text(MINIMAL.replace("carried_over_balances", "income_summary")), "mine.yaml"
    )
    profiles = SHIPPED.merged([mine])
    assert len(profiles) == len(SHIPPED)
    assert profiles["income_summary"].source.startswith("mine.yaml:")
    assert profiles.classify("收入总表") is None  # the shipped titles are gone with it


# --- bad profile files -------------------------------------------------------------------------


def test_every_problem_of_a_profile_file_is_reported_with_its_place():
    text = profile_text(
        """\
        kind: Bad-Kind
        name: {zh: 表}
        description: {zh: 说明。, en: Text.}
        titles: ['收支(总表', 42]
        hierarchy: tree
        amounts: maybe
        colour: red
        columns:
          - key: c3
            headers: ['合计']
          - key: total
            headers: []
        examples:
          - {title: 表, not: 表}
        """
    )
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text(text, "bad.yaml")
    problems = raised.value.problems
    assert problems == [
        "bad.yaml:9:11: a profile has no key 'colour' (expected one of: kind, standard, name,"
        " description, titles, hierarchy, amounts, columns, empty_notes, examples, project_rows,"
        " relations)",
        "bad.yaml:3:9: kind 'Bad-Kind' must be lower_snake_case, e.g. expenditure_summary",
        "bad.yaml:4:9: 'name' must be a mapping with 'zh' and 'en' texts",
        "bad.yaml:6:11: 'titles' must be a non-empty list of regular expressions (strings)",
        "bad.yaml:7:14: 'hierarchy' is one of function_code, economic_code, unit_project,"
        " indentation, flat, not 'tree'",
        "bad.yaml:8:12: 'amounts' is one of required, optional, not 'maybe'",
        "bad.yaml:11:12: a column's 'key' is a lower_snake_case name (not c1, c2 …: those are"
        " the keys of columns no profile names)",
        "bad.yaml:14:16: 'headers' must be a non-empty list of regular expressions (strings)",
        "bad.yaml:16:7: an example is a mapping with exactly one of 'title' (a title this kind"
        " must recognise) or 'not' (one it must leave to another kind)",
    ]


def test_a_pattern_that_does_not_compile_is_located():
    text = profile_text(MINIMAL.replace("['财政拨款结转结余(?:情况)?表']", "['结转(表']"))
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text(text, "p.yaml")
    (problem,) = raised.value.problems
    assert problem.startswith("p.yaml:6:12: '结转(表' is not a regular expression:")


def test_yaml_hazards_are_refused_in_profile_files():
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text("version: 1\nprofile: &p\n  kind: x\nother: *p\n", "p.yaml")
    assert raised.value.problems == [
        "p.yaml:2:10: anchor &p is not allowed in a profile file"
        " (anchors and aliases are refused: write each value out)"
    ]


def test_two_files_of_one_kind_and_a_broken_example_are_errors(tmp_path):
    (tmp_path / "a.yaml").write_text(profile_text(MINIMAL), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(profile_text(MINIMAL), encoding="utf-8")
    with pytest.raises(ProfileFileError, match=r"b\.yaml:3:3: kind carried_over_balances is"):
        resolve_profiles([tmp_path])
    (tmp_path / "b.yaml").unlink()
    broken = MINIMAL.replace("- not: 2026年财政拨款收支总表", "- title: 2026年财政拨款收支总表")
    (tmp_path / "a.yaml").write_text(profile_text(broken), encoding="utf-8")
    with pytest.raises(ProfileFileError) as raised:
        resolve_profiles([tmp_path])
    assert raised.value.problems == [
        f"{tmp_path / 'a.yaml'}:3:3: example title '2026年财政拨款收支总表' should be"
        " carried_over_balances but is read as fiscal_summary"
    ]


def test_a_runaway_title_pattern_is_stopped_and_named():
    runaway = MINIMAL.replace("['财政拨款结转结余(?:情况)?表']", "['(?:(?:a|aa)+)+c']")
    runaway = runaway.replace("  - title: 2026年财政拨款结转结余情况表\n", "")
    profiles = SHIPPED.merged([load_profiles_text(profile_text(runaway), "slow.yaml")])
    with pytest.raises(UsageError, match=r"^slow\.yaml:3:3: the profile pattern .* took more than"):
        profiles.classify("a" * 40)


# --- through the front doors ------------------------------------------------------------------

ADMIN = """\
kind: administrative_and_three_public
name: {zh: 行政经费及“三公”经费预算表, en: Administrative and three public expenses}
description: {zh: 广州模板的表9。, en: Table 9 of one template.}
titles: ['行政经费及三公经费(?:预算)?表']
hierarchy: flat
columns:
  - key: item
    headers: ['项目']
  - key: all_funds
    headers: ['合计']
examples:
  - title: 财政拨款安排的行政经费及“三公”经费预算表
  - not: 2026年一般公共预算“三公”经费支出情况表
"""


def test_parse_reads_a_published_pdf_with_a_users_profile(tmp_path, capsys):
    mine = tmp_path / "admin.yaml"
    mine.write_text(profile_text(ADMIN), encoding="utf-8")
    pdf = str(FIXTURES / "guangzhou-petitions.pdf")
    assert main(["parse", pdf, "--profiles", str(mine), "--format", "json"]) == 0
    (document,) = json.loads(capsys.readouterr().out)
    # 表9 on page 15: 财政拨款安排的行政经费及“三公”经费预算表
    (table,) = [table for table in document["tables"] if table["pages"] == [15, 15]]
    assert table["kind"] == "administrative_and_three_public"
    assert [column["key"] for column in table["columns"]][:2] == ["item", "all_funds"]
    # without it, the shipped 三公 profile reads the same table
    kinds = [table.kind for table in budgetqa.read(pdf).tables if table.pages == (15, 15)]
    assert kinds == ["three_public_expenditure"]


def test_a_bad_profile_file_is_one_located_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(profile_text(ADMIN.replace("hierarchy: flat", "hierarchy: tree")), "utf-8")
    for command in (["parse"], ["audit"]):
        code = main([*command, str(FIXTURES / "beijing-audit.pdf"), "--profiles", str(bad)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith(f"budgetqa: error: {bad}:7:14: 'hierarchy' is one of")
        assert "Traceback" not in err


def test_the_profiles_command_lists_every_kind(capsys):
    assert main(["profiles", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["kind"] for item in listed] == sorted(profile.kind for profile in SHIPPED)
    t3 = next(item for item in listed if item["kind"] == "expenditure_summary")
    assert t3["standard"] == "T3"
    assert t3["hierarchy"] == Hierarchy.FUNCTION_CODE.value


def test_profiles_in_pyproject_are_used(tmp_path, monkeypatch, capsys):
    (tmp_path / "admin.yaml").write_text(profile_text(ADMIN), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.budgetqa]\nprofiles = ["admin.yaml"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["profiles"]) == 0
    assert "administrative_and_three_public" in capsys.readouterr().out


def test_audit_takes_profiles_as_paths_or_a_set(tmp_path):
    mine = tmp_path / "admin.yaml"
    mine.write_text(profile_text(ADMIN), encoding="utf-8")
    pdf = FIXTURES / "guangzhou-petitions.pdf"
    by_path = budgetqa.audit(pdf, profiles=[mine])
    by_set = budgetqa.audit(pdf, profiles=resolve_profiles([mine]))
    assert [f.to_dict() for f in by_path.findings] == [f.to_dict() for f in by_set.findings]
    with pytest.raises(ProfileFileError):
        budgetqa.audit(pdf, profiles=[tmp_path / "missing.yaml"])
    assert isinstance(SHIPPED, Profiles)


def test_generated_profile_docs_are_up_to_date():
    from budgetqa.profiles.docs import render_profile_docs

    folder = Path(__file__).parent.parent / "docs" / "profiles"
    pages = render_profile_docs()
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*.md")}
    stale = sorted(name for name in pages if on_disk.get(name) != pages[name])
    extra = sorted(set(on_disk) - set(pages))
    assert (stale, extra) == ([], []), (
        "run `nox -s docs` (python -m budgetqa.profiles.docs docs/profiles)"
    )


def test_the_text_readers_table_carries_its_profiles_relations():
    # the rows table of text, CSV and XLSX input is built in code (rows_table.py) with the
    # relations of profiles/project_performance_targets.yaml, which it must not drift from
    from budgetqa.ingest.rows_table import KIND, RELATIONS
    from budgetqa.profiles import builtin_profiles

    (profile,) = [p for p in builtin_profiles() if p.kind == KIND]
    assert profile.relations == RELATIONS


def test_a_money_flag_that_is_not_true_or_false_is_located():
    text = profile_text(
        MINIMAL.replace("    headers: ['合计']", "    headers: ['合计']\n    money: 'no'", 1)
    )
    assert "money: 'no'" in text
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text(text, "p.yaml")
    (problem,) = raised.value.problems
    assert problem.startswith("p.yaml:")
    assert problem.endswith(": 'money' is true or false, not 'no'")
