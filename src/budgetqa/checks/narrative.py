"""``narrative``: the figures the explanations state, against themselves and the tables.

A department budget explains its figures in prose (部门预算情况说明): "2026年本部门收入预算
3,944.08万元，比上年增加286.07万元，增长7.8%". Two things can be checked:

- ``change``: the stated change is recomputed. Where the previous figure is printed (比2025年
  年初预算数 30,385.62 万元增加 2,466.43 万元) the change must be the difference of the two;
  the stated percentage must be the change over the previous figure (now less the change, where
  it is not printed), to within the rounding of the printed figures; 增加 goes with 增长 and
  减少 with 下降.
- ``total``: a stated 收入预算 or 支出预算 must be one of the totals the 收支总表 prints for that
  half (本年收入合计 or 收入总计), after converting 元 to 万元.

Text is read from the narrative pages of a PDF, with spaces and line breaks removed (so that
"2 6 6 , 7 0 5 . 5 5万元" and a figure broken over two lines read as printed).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import regex

from budgetqa.checks.base import CheckKind, Hit, Param, page_hit, register
from budgetqa.checks.constraints import UNIT_SCALE, closing_total, total_row
from budgetqa.model import Document, format_amount, money_context

_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CHANGE = regex.compile(
    rf"(?P<now>{_AMOUNT})万元[，,]?比(?:上年|20\d\d年度?)[^，。；;\d]{{0,16}}?"
    rf"(?:(?P<before>{_AMOUNT})万元)?(?P<direction>增加|减少)(?P<change>{_AMOUNT})万元"
    rf"(?:[，,](?P<trend>增长|下降)(?P<percent>\d+(?:\.\d+)?)%)?"
)
# A whole budget's total: "2026年（度）（本部门）收入预算", "本部门支出预算", "；支出预算" — not
# 机关运行经费支出预算, 项目支出预算 or a unit's 政府采购支出预算, which other words qualify.
_TOTAL = regex.compile(
    r"(?:20\d\d年度?(?:本部门|本单位|部门|单位)?|本部门|本单位|(?<=^|[；;。，,：:]))"
    rf"(?P<half>收入|支出)预算(?:总额|总计|合计)?(?:为|是)?(?P<amount>{_AMOUNT})万元"
)
_SPACE = regex.compile(r"\s+")
_WAN = UNIT_SCALE["万元"]


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _half(value: Decimal) -> Decimal:
    """Half a unit of the last printed place of ``value``."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(5).scaleb(exponent - 1)


@register
class NarrativeCheck(CheckKind):
    name = "narrative"
    description = (
        "Reads the figures the narrative pages of a budget state: a change against last year "
        "(`change`: recomputed from the figures printed beside it) or a 收入预算 / 支出预算 "
        "(`total`: compared with the totals of the 收支总表, 元 and 万元 converted)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "what": Param("str", "change", "which statement", ("change", "total")),
    }
    fields = frozenset({"statement", "detail"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        if params["what"] == "change":
            for page in document.narrative:
                yield from _changes(document, page.page, _SPACE.sub("", page.text))
            return
        summary = next(
            (
                table
                for table in document.tables
                if table.kind == "income_expenditure_summary" and table.established
            ),
            None,
        )
        scale = None if summary is None else UNIT_SCALE.get(summary.unit_of_money or "万元")
        if summary is None or scale is None:
            return
        # each half's totals (本年收入合计, 收入总计 …) in 万元
        totals: dict[str, list[Decimal]] = {}
        for side in ("income", "expenditure"):
            for row in (total_row(summary, side), closing_total(summary, side)):
                if row is not None and row.amounts and row.amounts[0] is not None:
                    totals.setdefault(side, []).append(row.amounts[0] * scale / _WAN)
        where = summary.pages[0] if summary.pages else "?"
        for page in document.narrative:
            text = _SPACE.sub("", page.text)
            yield from _totals(document, page.page, text, totals, scale, where)


def _hit(
    document: Document,
    page: int,
    statement: str,
    detail: str,
    expected: Decimal | None,
    actual: Decimal | None,
    key: str,
) -> Hit:
    difference = None
    if expected is not None and actual is not None:
        with money_context():
            difference = actual - expected
    return page_hit(
        document,
        page,
        key=key,
        fields={"statement": statement, "detail": detail},
        facts={"kind": "narrative"},
        expected=None if expected is None else str(expected),
        actual=None if actual is None else str(actual),
        difference=None if difference is None else str(difference),
    )


def _changes(document: Document, page: int, text: str) -> Iterator[Hit]:
    for found in _CHANGE.finditer(text):
        try:
            now, change = _decimal(found["now"]), _decimal(found["change"])
            before = _decimal(found["before"]) if found["before"] else None
            percent = Decimal(found["percent"]) if found["percent"] else None
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            continue
        statement = found.group()
        rising = found["direction"] == "增加"
        signed = change if rising else -change
        key = f"change:{page}:{found.start()}"
        if found["trend"] and (found["trend"] == "增长") != rising and change:
            yield _hit(
                document,
                page,
                statement,
                f"{found['direction']} goes with {'增长' if rising else '下降'},"
                f" not {found['trend']}",
                None,
                None,
                key,
            )
            continue
        if before is not None:
            with money_context():
                computed = now - before
                tolerance = _half(now) + _half(before) + _half(change)
            if abs(computed - signed) > tolerance:
                yield _hit(
                    document,
                    page,
                    statement,
                    f"{format_amount(now)} - {format_amount(before)} is {format_amount(computed)},"
                    f" not the {found['direction']} of {format_amount(change)} stated",
                    computed,
                    signed,
                    key,
                )
                continue
        if percent is None:
            continue
        with money_context():
            previous = before if before is not None else now - signed
            if previous <= 0:
                continue
            computed_percent = change / previous * 100
            # the percentage is printed rounded, and so are the figures it is computed from
            slack = (_half(change) + _half(previous) * change / previous) / previous * 100
            tolerance = _half(percent) + slack
        if abs(computed_percent - percent) > tolerance:
            shown = computed_percent.quantize(Decimal("0.01"))
            yield _hit(
                document,
                page,
                statement,
                f"{format_amount(change)} over last year's {format_amount(previous)} is"
                f" {shown}%, not the {percent}% stated",
                shown,
                percent,
                key,
            )


def _totals(
    document: Document,
    page: int,
    text: str,
    totals: Mapping[str, list[Decimal]],
    scale: Decimal,
    where: int | str,
) -> Iterator[Hit]:
    for found in _TOTAL.finditer(text):
        candidates = totals.get("income" if found["half"] == "收入" else "expenditure")
        if not candidates:
            continue
        stated = _decimal(found["amount"])
        tolerance = _half(stated) + Decimal("0.005") * scale / _WAN
        if any(abs(stated - value) <= tolerance for value in candidates):
            continue
        closest = min(candidates, key=lambda value: abs(stated - value))
        yield _hit(
            document,
            page,
            found.group(),
            f"the 收支总表 (page {where}) prints"
            f" {' / '.join(format_amount(v) or '' for v in dict.fromkeys(candidates))} 万元"
            f" for the {found['half']} total",
            closest,
            stated,
            f"total:{page}:{found.start()}",
        )
