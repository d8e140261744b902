"""The native, pandera and Great Expectations engines report the same findings."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.api import resolve_rules
from budgetqa.engines import ENGINE_CHECKS, run_with_engine
from budgetqa.errors import BudgetQAError
from budgetqa.ingest import read_bytes
from tests.strategies import render_tsv, tables

pytestmark = pytest.mark.integration
RULES = resolve_rules()
# The rules the engines compute themselves (table relations, AR2xx, run natively in each).
SUMS_AND_REPEATS = [
    rule for rule in resolve_rules(select=["arithmetic", "DU101"]) if rule.check in ENGINE_CHECKS
]


def signature(findings):
    return sorted(
        (f.id, f.code, f.location.line, f.location.end_line, f.expected, f.actual, f.difference, f.message,
         f.related, f.explanation)
        for f in findings
    )  # fmt: skip


@pytest.mark.parametrize("engine", ["pandera", "pandera-polars", "gx"])
@pytest.mark.parametrize("district", ["yuexiu", "huadu", "zengcheng", "panyu", "conghua"])
def test_engines_agree_on_the_example_tables(examples, district, engine):
    document = examples[district]
    native = run_with_engine(document, RULES, "native")
    assert signature(run_with_engine(document, RULES, engine)) == signature(native)


def _inject(table, data):
    """A generated table printed as TSV, with an amount altered and a row repeated."""
    lines = render_tsv(table).split("\n")
    rows = [n for n, line in enumerate(lines) if line.count("\t") == 6 and "项目名称" not in line]
    project_rows = [n for n in rows if lines[n].split("\t")[5]]
    changed = data.draw(st.sampled_from(project_rows))
    cells = lines[changed].split("\t")
    fiscal = Decimal(cells[2].replace(",", "")) if cells[2] else Decimal(0)
    cells[2] = f"{fiscal + data.draw(st.integers(min_value=1, max_value=900)):.2f}"
    lines[changed] = "\t".join(cells)
    repeated = data.draw(st.sampled_from(project_rows))
    lines.insert(repeated + 1, lines[repeated])
    return "\n".join(lines)


@given(tables(), st.data())
def test_pandera_agrees_on_generated_tables_with_defects(table, data):
    document = read_bytes(_inject(table, data).encode("utf-8"), name="generated.txt")
    native = run_with_engine(document, SUMS_AND_REPEATS, "native")
    assert native, "the injected defects are found"
    assert signature(run_with_engine(document, SUMS_AND_REPEATS, "pandera")) == signature(native)


@settings(max_examples=20)
@given(tables(), st.data())
def test_pandera_on_polars_agrees_on_generated_tables_with_defects(table, data):
    document = read_bytes(_inject(table, data).encode("utf-8"), name="generated.txt")
    native = run_with_engine(document, SUMS_AND_REPEATS, "native")
    assert signature(run_with_engine(document, SUMS_AND_REPEATS, "pandera-polars")) == signature(
        native
    )


def test_polars_frame_keeps_exact_decimals(examples):
    from budgetqa.engines.pandera_polars import to_polars

    frame = to_polars(examples["yuexiu"])
    assert frame["total"].to_list()[0] == Decimal("55873.15")
    assert frame["special_account"].to_list()[0] is None
    assert frame.shape == (36, 16)


@settings(max_examples=12)
@given(tables(), st.data())
def test_gx_agrees_on_generated_tables_with_defects(table, data):
    document = read_bytes(_inject(table, data).encode("utf-8"), name="generated.txt")
    native = run_with_engine(document, SUMS_AND_REPEATS, "native")
    assert signature(run_with_engine(document, SUMS_AND_REPEATS, "gx")) == signature(native)


def test_audit_api_and_cli_accept_the_engine(examples, capsys):
    from budgetqa.cli import main

    report = budgetqa.audit(examples["conghua"], engine="pandera")
    assert [f.id for f in report] == [f.id for f in budgetqa.audit(examples["conghua"])]
    assert (
        main(
            ["audit", "--examples", "--engine", "pandera", "--format", "json", "--fail-on", "never"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    # the five tables' findings and the bundled budget PDF's two rounding tails (AR203, info)
    assert data["summary"]["by_severity"] == {"error": 20, "warning": 41, "info": 93}
    with pytest.raises(
        BudgetQAError, match="engine 'spark' is not one of native, pandera, pandera-polars, gx"
    ):
        budgetqa.audit(examples["conghua"], engine="spark")


def test_canonical_schema_validates_to_frame_and_round_trips_through_yaml(examples):
    import pandera.pandas as pa

    from budgetqa.engines.pandera_engine import canonical_schema

    clean = examples["huadu"].to_frame()
    schema = canonical_schema(RULES)
    schema.validate(clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a dropped (unregistered) check would warn
        text = schema.to_yaml()
    again = pa.DataFrameSchema.from_yaml(text)
    assert len(again.checks) == len(schema.checks)
    again.validate(clean)
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        again.validate(examples["conghua"].to_frame(), lazy=True)
    failed = set(caught.value.failure_cases["index"].dropna().astype(int))
    document = examples["conghua"]
    native_lines = {f.location.line for f in run_with_engine(document, SUMS_AND_REPEATS, "native")}
    assert failed == {row.index for row in document.rows if row.span.line in native_lines}


def test_canonical_schema_checks_amounts_levels_and_parents(examples):
    import pandera.pandas as pa

    from budgetqa.engines.pandera_engine import canonical_schema

    frame = examples["huadu"].to_frame()
    frame.loc[3, "fiscal_appropriation"] = Decimal("-1.00")
    frame.loc[4, "level"] = "district"
    frame.loc[5, "parent_index"] = 5
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        canonical_schema().validate(frame, lazy=True)
    checks = set(caught.value.failure_cases["check"].astype(str))
    assert any("budgetqa_non_negative" in check for check in checks)
    assert any("isin" in check for check in checks)
    assert any("budgetqa_parent_links" in check for check in checks)


def test_a_check_that_crashes_is_an_error_not_a_pass(examples, monkeypatch):
    from budgetqa.engines import frame as engine_frame

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine_frame, "duplicate_copies", broken)
    monkeypatch.setattr("budgetqa.engines.pandera_engine.duplicate_copies", broken)
    with pytest.raises(BudgetQAError, match=r"pandera could not run DU101 .*boom"):
        run_with_engine(examples["conghua"], resolve_rules(select=["DU101"]), "pandera")


def test_gx_suite_exports_as_readable_json():
    from budgetqa.engines.gx_engine import export_suite

    suite = json.loads(export_suite(SUMS_AND_REPEATS))
    columns = [expectation["kwargs"]["column"] for expectation in suite["expectations"]]
    assert "bqa_AR102_fiscal_appropriation" in columns
    assert "bqa_DU101" in columns
    assert {e["meta"]["budgetqa_code"] for e in suite["expectations"]} == {
        r.code for r in SUMS_AND_REPEATS
    }


def test_exported_suite_runs_in_gx_and_catches_placeholders(examples):
    from budgetqa.engines.gx_engine import export_suite, gx_frame

    rules = resolve_rules(select=["arithmetic", "DU101", "placeholder"])
    exported = json.loads(export_suite(rules))
    placeholder = [
        e
        for e in exported["expectations"]
        if e["type"] == "expect_column_values_to_not_match_regex_list"
    ]
    assert (
        "待(?:单位|部门)?(?:补充|填写|填报|完善|确定|核实)(?:\\.{2,}|…+)?"
        in placeholder[0]["kwargs"]["regex_list"]
    )
    document = examples["zengcheng"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx

        context = gx.get_context(mode="ephemeral")
        batch = (
            context.data_sources.add_pandas("t")
            .add_dataframe_asset("a")
            .add_batch_definition_whole_dataframe("b")
        )
        suite = context.suites.add(
            gx.ExpectationSuite(name="exported", expectations=exported["expectations"])
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name="v", data=batch, suite=suite)
        )
        outcome = validation.run(
            batch_parameters={"dataframe": gx_frame(document, rules)},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["index"]},
        )
    flagged = {
        (r.expectation_config.meta["budgetqa_code"], int(item["index"]))
        for r in outcome.results
        for item in r.result.get("unexpected_index_list") or []
    }
    native = run_with_engine(document, rules, "native")
    in_suite = {e["meta"]["budgetqa_code"] for e in exported["expectations"]}
    expected = set()
    for finding in native:
        if finding.code not in in_suite:
            continue  # rounding tails (AR105) and table relations run natively only
        row = next(
            r
            for r in document.rows
            if r.name == finding.location.row
            and r.span.line <= finding.location.line <= r.span.end_line
        )
        expected.add((finding.code, row.index))
    assert flagged == expected


def test_native_audit_never_imports_pandera_or_gx():
    code = (
        "import sys; from budgetqa.cli import main; main(['audit', '--examples', '--fail-on', 'never', '-o', '/dev/null']);"
        "print([m for m in ('pandas', 'pandera', 'great_expectations') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


WIDE = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t200000000000000000000000003.00\t200000000000000000000000003.00\t\t\t\t",
        "某区就业服务中心\t200000000000000000000000003.00\t200000000000000000000000003.00\t\t\t\t",
        "甲项目经费\t100000000000000000000000001.00\t100000000000000000000000001.00\t\t\t开展工作。\t",
        "乙项目经费\t100000000000000000000000002.00\t100000000000000000000000001.00\t\t\t开展工作。\t",
    ]
)


@pytest.mark.parametrize("engine", ["native", "pandera", "pandera-polars", "gx"])
def test_every_engine_sums_29_digit_amounts_exactly(engine):
    # 乙's 财政拨款 is one short of its 总计 (AR101), so the projects' 财政拨款 add up to one
    # less than the unit's (AR102) and than 合计's (AR104): differences of 1.00 on sums of 29
    # digits, which Python's default 28-digit context rounds away.
    document = read_bytes(WIDE.encode("utf-8"), name="wide.txt")
    findings = run_with_engine(document, SUMS_AND_REPEATS, engine)
    assert sorted((f.code, f.location.line, f.difference) for f in findings) == [
        ("AR101", 5, "-1.00"),
        ("AR102", 3, "-1.00"),
        ("AR104", 2, "-1.00"),
    ]
