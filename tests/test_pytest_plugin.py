"""The pytest plugin, driven through pytester: collection, pass, fail, options, fixtures."""

from __future__ import annotations

import pytest

import budgetqa
from budgetqa.inputs import TABLE_SUFFIXES, expand_inputs
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
BROKEN_SUM = CLEAN.replace("合计\t5.00\t5.00", "合计\t9.00\t9.00")

#: Each table is one test item per shipped rule.
RULE_COUNT = len(load_builtin_rules())


@pytest.fixture
def tables(pytester):
    pytester.makefile(".txt", clean=CLEAN, broken=BROKEN_SUM)
    return pytester


def test_each_table_is_a_file_and_each_rule_an_item(tables):
    result = tables.runpytest("--budgetqa", "clean.txt", "--collect-only", "-q")
    lines = [line for line in result.outlines if line.startswith("clean.txt::")]
    assert len(lines) == len(budgetqa.rules.load_builtin_rules())
    assert "clean.txt::AR101" in lines
    assert result.ret == 0


def test_clean_table_passes(tables):
    result = tables.runpytest("--budgetqa", "clean.txt", "-q")
    result.assert_outcomes(passed=RULE_COUNT)


def test_broken_sum_fails_with_file_line_and_figures(tables):
    result = tables.runpytest("--budgetqa", "broken.txt", "-q")
    result.assert_outcomes(passed=RULE_COUNT - 2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*budgetqa AR103 arithmetic.total_units_sum*",
            "*broken.txt:2: AR103 error 合计: its 1 units do not add up to it: 总计 5.00 added up,"
            " 9.00 printed (difference -4.00); 财政拨款 5.00 added up, 9.00 printed (difference -4.00)",
            "*expected 9.00 · actual 5.00 · difference -4.00",
            "FAILED broken.txt::AR103*",
            "FAILED broken.txt::AR104*",
        ]
    )


def test_select_and_fail_on_options(tables):
    result = tables.runpytest("--budgetqa", "broken.txt", "--budgetqa-select", "AR103", "-q")
    result.assert_outcomes(failed=1)
    relaxed = tables.runpytest("--budgetqa", "broken.txt", "--budgetqa-fail-on", "never", "-q")
    relaxed.assert_outcomes(passed=RULE_COUNT)
    relaxed.stdout.fnmatch_lines(
        ["*budgetqa findings below --budgetqa-fail-on*", "*broken.txt:2: AR103 error*"]
    )


def test_findings_below_fail_on_are_listed_not_hidden(pytester):
    pytester.makefile(".txt", marked=CLEAN.replace("工作经费\t", "工作经费·\t"))
    result = pytester.runpytest("--budgetqa", "marked.txt", "-q")
    result.assert_outcomes(passed=RULE_COUNT)
    result.stdout.fnmatch_lines(
        ["*budgetqa findings below --budgetqa-fail-on*", "*marked.txt:4: TX104 info*"]
    )


def test_an_unreadable_table_is_one_failing_item_and_the_rest_are_audited(tables):
    tables.makefile(".txt", empty="", blob="合计\t1\n\x00")
    result = tables.runpytest("--budgetqa", ".", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(
        passed=RULE_COUNT * 2 - 2, failed=2 + 2
    )  # clean and broken.txt still run
    result.stdout.fnmatch_lines(
        [
            "*budgetqa read blob.txt*",
            "budgetqa could not read the table: *blob.txt:2: binary data (a NUL byte), not a text table",
            "*budgetqa read empty.txt*",
            "budgetqa could not read the table: *empty.txt: the file is empty",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED blob.txt::read*", "FAILED empty.txt::read*"])


def test_paths_not_audited_are_failing_items_naming_them(tables):
    import os

    os.mkfifo(tables.path / "pipe.txt")
    tables.mkdir("empty")
    result = tables.runpytest(
        "--budgetqa", "clean.txt", "--budgetqa", "missing.txt", "--budgetqa", "pipe.txt",
        "--budgetqa", "empty", "-q", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=RULE_COUNT, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*budgetqa did not audit this path: missing.txt: no such file or folder",
            "*budgetqa did not audit this path: pipe.txt: not a regular file (a FIFO)",
            "*budgetqa did not audit this path: empty: no table files (*) in this folder",
        ]
    )
    result.stdout.fnmatch_lines(
        ["FAILED missing.txt::read*", "FAILED pipe.txt::read*", "FAILED empty::read*"]
    )


def test_a_table_over_the_byte_limit_fails_its_item(tables):
    result = tables.runpytest(
        "--budgetqa", ".", "--budgetqa-max-bytes", "200", "-q", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*broken.txt: the file (* bytes) is larger than the 200 bytes limit (--max-bytes)"]
    )


def test_the_plugin_and_the_api_take_the_same_files_from_a_folder(pytester):
    for suffix in TABLE_SUFFIXES:
        pytester.path.joinpath(f"t{suffix}").write_text(CLEAN, encoding="utf-8")
    pytester.path.joinpath("notes.md").write_text("not a table", encoding="utf-8")
    # In a child process: reading workbooks loads numpy, which cannot be loaded twice in one.
    result = pytester.runpytest_subprocess("--budgetqa", ".", "--collect-only", "-q")
    files = {line.split("::")[0] for line in result.outlines if "::" in line}
    # What budgetqa.audit() reads (not read here: pytester would unload what reading loads).
    audited = {path.name for path in expand_inputs([pytester.path]).paths}
    assert files == audited == {f"t{suffix}" for suffix in TABLE_SUFFIXES}


def test_ini_paths_and_folder_and_ordinary_tests_together(tables):
    tables.makeini("[pytest]\nbudgetqa_paths = .\nbudgetqa_fail_on = never\n")
    tables.makepyfile(test_pipeline="def test_ok():\n    assert True\n")
    result = tables.runpytest("-q")
    result.assert_outcomes(passed=RULE_COUNT * 2 + 1)


def test_pyproject_tool_budgetqa_paths_and_fail_on(tables):
    tables.makepyprojecttoml(
        '[tool.budgetqa]\npaths = ["broken.txt"]\nfail-on = "never"\nselect = ["arithmetic"]\n'
    )
    result = tables.runpytest("-q")
    result.assert_outcomes(passed=13)  # the thirteen arithmetic rules, one item each
    result.stdout.fnmatch_lines(
        ["*budgetqa findings below --budgetqa-fail-on*", "*broken.txt:2: AR103 error*"]
    )


def test_bad_fail_on_is_a_usage_error(tables):
    tables.makeini("[pytest]\nbudgetqa_fail_on = sometimes\n")
    result = tables.runpytest("--budgetqa", "clean.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*budgetqa_fail_on = 'sometimes': expected one of error, warning, info, never*"]
    )


def test_a_bad_profile_file_in_pyproject_is_one_located_usage_error(tables):
    tables.makefile(".yaml", profile="version: 1\nprofile: {kind: Bad}\n")
    tables.makepyprojecttoml(
        '[tool.budgetqa]\npaths = ["clean.txt"]\nprofiles = ["profile.yaml"]\n'
    )
    result = tables.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0] == (
        f"ERROR: budgetqa: {tables.path / 'profile.yaml'}:2:10: the profile has no 'name'"
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("run", ["--budgetqa clean.txt", ""])
def test_a_mistyped_pyproject_key_is_one_usage_error(tables, run):
    tables.makepyprojecttoml('[tool.budgetqa]\nfail_on = "never"\n')
    result = tables.runpytest(*run.split(), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0] == (
        f"ERROR: budgetqa: {tables.path / 'pyproject.toml'}: [tool.budgetqa] has unknown keys"
        " fail_on (known: fail-on, ignore, max-bytes, paths, profiles, rule-budget, rules, select,"
        " severity, tolerance)"
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_table_reached_by_two_names_runs_once(tables):
    tables.mkdir("data").joinpath("clean.txt").write_text(CLEAN, encoding="utf-8")
    (tables.path / "link").symlink_to("data", target_is_directory=True)
    result = tables.runpytest(
        "--budgetqa", "data", "--budgetqa", "link", "--budgetqa-select", "AR101", "-q"
    )
    result.assert_outcomes(passed=1)


def test_table_outside_the_test_paths_is_collected_once(pytester):
    data = pytester.mkdir("data")
    (data / "clean.txt").write_text(CLEAN, encoding="utf-8")
    pytester.mkdir("tests").joinpath("test_a.py").write_text(
        "def test_a():\n    pass\n", encoding="utf-8"
    )
    result = pytester.runpytest("tests", "--budgetqa", "data/clean.txt", "-q")
    result.assert_outcomes(passed=RULE_COUNT + 1)
    also_walked = pytester.runpytest("--budgetqa", "data/clean.txt", "-q")
    also_walked.assert_outcomes(passed=RULE_COUNT + 1)


def test_fixtures_for_pipeline_tests(tables):
    tables.makepyfile(
        test_pipeline="""
        import pytest

        def test_clean(budgetqa_audit, assert_no_findings):
            assert_no_findings(budgetqa_audit("clean.txt"), severity="info")

        def test_broken(budgetqa_audit, assert_no_findings):
            report = budgetqa_audit("broken.txt", select=["arithmetic"])
            with pytest.raises(AssertionError) as caught:
                assert_no_findings(report)
            assert "budgetqa found 2 finding(s) at or above error" in str(caught.value)
            assert "broken.txt:2: AR103 error" in str(caught.value)
        """
    )
    result = tables.runpytest("test_pipeline.py", "-q")
    result.assert_outcomes(passed=2)


def test_plugin_configure_in_a_project_without_tables_stays_light(pytester):
    pytester.makepyprojecttoml("[project]\nname = 'other'\n")
    pytester.makepyfile(
        test_modules="""
        import sys

        def test_nothing_heavy_loaded():
            loaded = [m for m in ("budgetqa.checks", "budgetqa.rules", "yaml", "pandas") if m in sys.modules]
            assert loaded == []
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import sys, budgetqa.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('budgetqa.', 'pandas', 'yaml', 'great_expectations'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['budgetqa.pytest_plugin']"
