"""Integration: the audit of the five real tables finds what a careful auditor would."""

from __future__ import annotations

from collections import Counter

import pytest

import budgetqa
from budgetqa.findings import Finding, Report

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reports(examples) -> dict[str, Report]:
    return {district: budgetqa.audit(document) for district, document in examples.items()}


def only(report: Report, code: str, **where) -> list[Finding]:
    return [
        finding
        for finding in report.by_code(code)
        if all(getattr(finding.location, key) == value for key, value in where.items())
    ]


def figures(finding: Finding) -> tuple[str | None, str | None, str | None]:
    return finding.expected, finding.actual, finding.difference


def test_huadu_is_clean(reports):
    assert list(reports["huadu"]) == []


def test_panyu_only_html_left_in_text(reports):
    report = reports["panyu"]
    assert Counter(finding.code for finding in report) == {"TX101": 24}
    lines = sorted({finding.location.line for finding in report})
    assert lines == [25, 26, 27, 38, 39, 40]
    assert report.findings[0].actual == "<p>"


def test_conghua_unit_totals_off_by_exactly_the_repeated_rows(reports):
    report = reports["conghua"]
    repeats = report.by_code("DU101")
    assert [(f.location.line, f.location.row, f.actual) for f in repeats] == [
        (193, "劳动保障监察协管员财政补助项目（2024年市补助）（穗财社〔2023〕33）", "281.40"),
        (471, "企业职教幼教退休教师生活补贴费", "148.80"),
        (558, "原国有企业部分退休人员补贴", "188.00"),
        (973, "编外人员经费(1)-临时聘用人员经费", "12.00"),
    ]
    # one finding per unit, naming every column that misses: each repeat inflates 总计 and
    # 财政拨款 alike
    by_unit = {f.location.row: f for f in report.by_code("AR102")}
    assert len(by_unit) == len(report.by_code("AR102")) == 3
    hr = by_unit["广州市从化区人力资源和社会保障局"]
    assert figures(hr) == ("2467.17", "2748.57", "281.40")
    assert (
        "总计 2748.57 added up, 2467.17 printed (difference 281.40); 财政拨款 2748.57 added up,"
        " 2467.17 printed (difference 281.40)"
    ) in hr.message
    assert hr.location.line == 10
    assert hr.related == (repeats[0].id,)
    assert "exactly accounted for" in (hr.explanation or "")
    # the same, as typed details (nothing needs to parse the message): both columns, printed
    # 2467.17 against 2748.57 computed, and the 2 × 15 cells read (the unit, its 14 projects)
    details = hr.details
    assert (details.relation, details.row) == ("unit_projects", "广州市从化区人力资源和社会保障局")
    assert [(c.column, c.printed, c.computed, c.difference) for c in details.columns] == [
        ("总计", "2467.17", "2748.57", "-281.40"),
        ("财政拨款", "2467.17", "2748.57", "-281.40"),
    ]
    assert len(details.cells) == 2 * 15
    assert (details.cells[0].line, details.cells[0].value, details.cells[0].coefficient) == (
        10,
        "2467.17",
        "1",
    )
    assert {cell.coefficient for cell in details.cells[1:15]} == {"-1"}
    social = by_unit["广州市从化区社会保险基金管理中心"]
    assert figures(social) == ("1335.72", "1672.52", "336.80")
    assert set(social.related) == {repeats[1].id, repeats[2].id}
    rural = by_unit["广州市从化区城乡居民保险管理中心"]
    assert figures(rural) == ("125.39", "137.39", "12.00")
    assert rural.related == (repeats[3].id,)
    # The repeated rows point back at the sums they explain.
    assert hr.id in repeats[0].related
    (total,) = report.by_code("AR104")
    assert figures(total) == ("18276.74", "18906.94", "630.20")  # 281.40 + 336.80 + 12.00
    assert set(total.related) == {repeat.id for repeat in repeats}
    assert "in 总计 and 财政拨款 is exactly accounted for" in (total.explanation or "")


def test_conghua_tranches_with_marked_names_are_info_only(reports):
    tranches = reports["conghua"].by_code("DU102")
    assert len(tranches) == 12
    assert all(f.severity.value == "info" for f in tranches)
    first = tranches[0]
    assert (first.location.line, first.location.row, first.expected, first.actual) == (
        282,
        "人事档案信息化建设专项经费·",
        "16.92",
        "74.21",
    )
    # 编外人员经费(1)-临时聘用人员经费 in two different units is not a duplicate.
    assert not only(reports["conghua"], "DU101", line=958)


def test_yuexiu_blank_funding_row_explains_the_unit_gap(reports):
    report = reports["yuexiu"]
    (blank,) = report.by_code("AR101")
    assert (blank.location.line, figures(blank)) == (38, ("216.99", "0.00", "-216.99"))
    assert "all its funding cells are blank" in blank.message
    assert [(c.column, c.value, c.coefficient) for c in blank.details.cells] == [
        ("总计", "216.99", "1"),
        ("财政拨款", None, "-1"),
        ("财政专户拨款", None, "-1"),
        ("其他资金", None, "-1"),
    ]
    assert [(c.printed, c.computed, c.difference) for c in blank.details.columns] == [
        ("216.99", "0.00", "216.99")
    ]
    unit_gap = [f for f in report.by_code("AR102") if f.difference == "-216.99"]
    assert len(unit_gap) == 1
    assert unit_gap[0].location.row == "广州市越秀区退休职工管理委员会办公室"
    assert figures(unit_gap[0]) == ("4272.69", "4055.70", "-216.99")
    # and with the likeliest wrong figure (AR301): of the row's three blank funding cells only
    # 其他资金 at 216.99 also fits the unit's 其他资金 sum
    (cell,) = report.by_code("AR301")
    assert (cell.location.line, cell.expected) == (38, "216.99")
    assert unit_gap[0].related == (blank.id, cell.id)
    assert unit_gap[0].id in blank.related


def test_yuexiu_cent_differences_are_rounding_tails(reports):
    # 合计 (line 3) prints 55873.15 in 总计 over 28 projects that add up to 55873.14, and the
    # unit on line 34 prints 5246.42 over 6 projects that add up to 5246.41 (财政拨款 alike):
    # within 28 × 0.005 and 6 × 0.005, rounding tails (AR105, info), not errors; the same rows'
    # 216.99 gap in 其他资金 stays an error.
    report = reports["yuexiu"]
    sums = [*report.by_code("AR102"), *report.by_code("AR103"), *report.by_code("AR104")]
    assert sorted((f.code, f.location.line, f.difference) for f in sums) == [
        ("AR102", 34, "-216.99"),
        ("AR104", 3, "-216.99"),
    ]
    tails = report.by_code("AR105")
    assert [(f.location.line, f.severity.value) for f in tails] == [(3, "info"), (34, "info")]
    assert "总计: 55873.15 printed, 55873.14 added up (difference -0.01)" in tails[0].message
    assert "总计: 5246.42 printed, 5246.41 added up (difference -0.01)" in tails[1].message
    first = tails[0].details.columns[0]
    assert (first.column, first.printed, first.computed, first.difference) == (
        "总计",
        "55873.15",
        "55873.14",
        "0.01",
    )
    assert len(tails[0].details.cells) == len(tails[0].details.columns) * 29  # 合计 + 28


def test_yuexiu_ocr_damage(reports):
    report = reports["yuexiu"]
    assert sorted(f.actual for f in report.by_code("TX102")) == sorted(["厂州", "単", "力元"])
    (masked,) = report.by_code("PH103")
    assert masked.location.line == 26
    (fragment,) = report.by_code("ST101")
    assert fragment.location.line == 24
    numbering = only(report, "IN104", line=44)
    assert [f.message for f in numbering] == [
        "2025年编外人员聘用经费: indicator numbering skips: found 6 where 5 was due"
    ]


def test_zengcheng_placeholders_found_at_their_lines(reports):
    report = reports["zengcheng"]
    placeholders = report.by_code("PH101")
    spans = [(f.location.line, f.location.end_line) for f in placeholders]
    assert spans == [
        (565, 565),
        (565, 567),
        (567, 567),
        (584, 584),
        (584, 585),
        (585, 585),
        (599, 599),
        (599, 601),
        (601, 601),
    ]
    assert {f.actual for f in placeholders} == {"待单位补充..."}


def test_zengcheng_sums_off_by_one_cent_are_rounding_tails(reports):
    # 合计 (line 12) prints 24,955.91 over 4 units that add up to 24,955.92; the 人社局 unit
    # (line 14) prints 1,366.63 over 27 projects that add up to 1,366.62: one cent each, in
    # 总计 and 财政拨款, within 4 × 0.005 and 27 × 0.005. One tail per row and sum.
    report = reports["zengcheng"]
    assert not [*report.by_code("AR102"), *report.by_code("AR103")]
    total, unit = report.by_code("AR105")
    assert (total.location.line, figures(total)) == (12, ("24955.91", "24955.92", "0.01"))
    assert (unit.location.line, figures(unit)) == (14, ("1366.63", "1366.62", "-0.01"))
    assert "财政拨款: 1366.63 printed, 1366.62 added up (difference -0.01)" in unit.message


def test_error_counts_per_table(reports):
    errors = {
        district: len(report.filter(severity="error")) for district, report in reports.items()
    }
    # the cent differences of 越秀 (4) and 增城 (4) are rounding tails now, not errors
    # 从化: 4 repeats (DU101), 3 units and 合计 over its projects (one finding per sum)
    assert errors == {"yuexiu": 3, "huadu": 0, "zengcheng": 9, "panyu": 0, "conghua": 8}


def test_zengcheng_form_default_text_as_a_target(reports):
    found = reports["zengcheng"].by_code("PH105")
    assert [(f.location.line, f.location.end_line) for f in found] == [
        (148, 149), (191, 192), (206, 208), (224, 225), (292, 292), (292, 293),
    ]  # fmt: skip
    assert {f.actual for f in found} == {"制定预算时的计划数"}


def test_yuexiu_rows_that_lost_cells_are_listed_row_by_row(reports):
    # Runs of up to 12 consecutive rows lost cells the same way: each row is its own finding
    # (only runs longer than checks.consecutive.ROWS_LISTED are one finding).
    lost = reports["yuexiu"].by_code("ST103")
    assert [finding.location.line for finding in lost] == [
        11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36,
        37, 38, 40, 41, 42, 43, 44,
    ]  # fmt: skip
    assert all(finding.location.end_line == finding.location.line for finding in lost)
    assert not any("alike" in finding.message for report in reports.values() for finding in report)
