"""Generated department budgets whose tables all reconcile, and single printed slips in them.

A budget is built from the bottom: 项 rows of the function classification with their 人员经费,
公用经费 and 项目支出; every figure above them is a sum. From those come seven tables that repeat
each other's figures the way a 部门预算 does:

- 收支总表 (``income_expenditure_summary``): income items over 本年收入合计, the 类 over
  本年支出合计, each plus 上年结转 / 结转下年 to 收入总计 = 支出总计;
- 支出总表 (``expenditure_summary``) and 一般公共预算支出表 (``general_budget_expenditure``):
  合计 → 类 → 款 → 项, 合计 = 基本支出 + 项目支出 (and 基本支出 = 人员经费 + 公用经费);
- 一般公共预算基本支出表 (经济分类 301 → 30101 …): its 合计 is the 基本支出 above;
- 一般公共预算项目支出表 (经济分类): its 合计 is the 项目支出 above;
- 项目支出表: 合计 → units → projects, 总计 = 财政拨款 + 财政专户拨款 + 其他资金 and
  财政拨款 = 一般公共预算 + 政府性基金 + 国有资本经营; its 合计 is the 支出总表's 项目支出;
- "三公"经费支出表: 合计 = 因公出国(境) + 公务接待 + 公务用车, 公务用车 = 购置 + 运行.

The tables carry their kinds' relations from the shipped profiles, so a test exercises the
relations exactly as declared. Zero figures are printed blank. A :class:`Slip` changes one
printed figure in one of the ways figures get printed wrong.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from decimal import Decimal

import attrs

from budgetqa.model import Column, ColumnRole, Document, Table, TableRow
from budgetqa.profiles import builtin_profiles

_CENT = Decimal("0.01")
_RELATIONS = {profile.kind: profile.relations for profile in builtin_profiles()}

#: The kinds of slip :func:`slip` makes.
SLIPS = ("swapped_digits", "scale_10000", "one_digit", "sign", "any")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low, high)) * _CENT).quantize(_CENT)


def _printed(value: Decimal) -> Decimal | None:
    return None if value == 0 else value


@attrs.frozen
class _Node:
    code: str
    name: str
    amounts: tuple[Decimal, ...]
    children: tuple[_Node, ...] = ()


def _sum(nodes: Sequence[_Node], width: int) -> tuple[Decimal, ...]:
    return tuple(sum((node.amounts[i] for node in nodes), Decimal(0)) for i in range(width))


def _table(
    kind: str, title: str, keys: Sequence[str], nodes: Sequence[_Node], *, coded: bool = True
) -> Table:
    """A table of ``kind``: a 合计 row over ``nodes`` (nested), amounts in ``keys`` order."""
    width = len(keys)
    columns = (
        *((Column("code", "科目编码", ColumnRole.CODE),) if coded else ()),
        Column("name", "科目名称" if coded else "项目名称", ColumnRole.NAME),
        *(Column(key, key, ColumnRole.MONEY) for key in keys),
    )
    rows: list[TableRow] = []

    def add(node: _Node | None, level: int, parent: int | None) -> None:
        index = len(rows)
        amounts = _sum(nodes, width) if node is None else node.amounts
        rows.append(
            TableRow(
                index=index,
                level=level,
                code=None if node is None or not coded else node.code,
                name="合计" if node is None else node.name,
                parent=parent,
                amounts=tuple(_printed(value) for value in amounts),
                page=None,
                line=index + 1,
                end_line=index + 1,
            )
        )
        for child in nodes if node is None else node.children:
            add(child, level + 1, index)

    add(None, 0, None)
    return Table(
        kind=kind,
        title=title,
        columns=columns,
        rows=tuple(rows),
        unit_of_money="万元",
        lines=(1, len(rows)),
        relations=_RELATIONS[kind],
    )


def _pages(tables: Sequence[Table]) -> tuple[Table, ...]:
    """Each table on a page of its own (page n + 1), its rows on lines 1, 2 …"""
    return tuple(
        attrs.evolve(
            table,
            lines=None,
            pages=(number + 1, number + 1),
            rows=tuple(attrs.evolve(row, page=number + 1) for row in table.rows),
        )
        for number, table in enumerate(tables)
    )


def budget(rng: random.Random) -> Document:
    """A department budget of seven tables whose every declared relation holds exactly."""
    # 项 rows: (personnel, public, project)
    classes: list[_Node] = []
    for c in range(rng.randint(1, 3)):
        kuans: list[_Node] = []
        for k in range(rng.randint(1, 3)):
            xiangs: list[_Node] = []
            for x in range(rng.randint(1, 3)):
                personnel = _money(rng, 0, 900_000) if rng.random() < 0.7 else Decimal("0.00")
                public = _money(rng, 0, 300_000) if rng.random() < 0.7 else Decimal("0.00")
                project = _money(rng, 0, 2_000_000) if rng.random() < 0.6 else Decimal("0.00")
                if not personnel + public + project:
                    project = _money(rng, 100, 2_000_000)
                basic = personnel + public
                code = f"{201 + c}{k + 1:02d}{x + 1:02d}"
                xiangs.append(
                    _Node(code, f"项{code}", (basic + project, basic, personnel, public, project))
                )
            amounts = _sum(xiangs, 5)
            kuans.append(
                _Node(xiangs[0].code[:5], f"款{xiangs[0].code[:5]}", amounts, tuple(xiangs))
            )
        amounts = _sum(kuans, 5)
        classes.append(_Node(kuans[0].code[:3], f"类{kuans[0].code[:3]}", amounts, tuple(kuans)))
    total, basic, personnel, public, project = _sum(classes, 5)

    def restrict(nodes: Sequence[_Node], picks: Sequence[int]) -> tuple[_Node, ...]:
        return tuple(
            attrs.evolve(
                node,
                amounts=tuple(node.amounts[i] for i in picks),
                children=restrict(node.children, picks),
            )
            for node in nodes
        )

    summary = _table(
        "expenditure_summary",
        "支出总表",
        ("total", "basic", "project"),
        restrict(classes, (0, 1, 4)),
    )
    general = _table(
        "general_budget_expenditure",
        "一般公共预算支出表",
        ("total", "basic", "personnel", "public", "project"),
        restrict(classes, (0, 1, 2, 3, 4)),
    )
    # 经济分类: personnel under 301, public under 302; each split over a few 款
    economic: list[_Node] = []
    for code, name, amount, column in (
        ("301", "工资福利支出", personnel, 0),
        ("302", "商品和服务支出", public, 1),
    ):
        if not amount:
            continue
        parts = _split(rng, amount, rng.randint(1, 4))
        leaves = tuple(
            _Node(f"{code}{i + 1:02d}", f"{name}{i + 1}", _economic(part, column))
            for i, part in enumerate(parts)
        )
        economic.append(_Node(code, name, _sum(leaves, 3), leaves))
    basic_table = _table(
        "general_budget_basic_expenditure",
        "一般公共预算基本支出表",
        ("total", "personnel", "public"),
        economic,
    )
    project_parts = _split(rng, project, rng.randint(1, 4)) if project else []
    project_economic = tuple(
        _Node(f"302{i + 1:02d}", f"项目支出科目{i + 1}", (part,))
        for i, part in enumerate(project_parts)
    )
    project_economic_table = _table(
        "general_budget_project_expenditure",
        "一般公共预算项目支出表",
        ("total",),
        (_Node("302", "商品和服务支出", (project,), project_economic),) if project else (),
    )
    # 项目支出表: units over projects; funding split into general budget, fund, special, other
    units: list[_Node] = []
    for u, share in enumerate(_split(rng, project, rng.randint(1, 3)) if project else []):
        projects = []
        for p, amount in enumerate(_split(rng, share, rng.randint(1, 4))):
            general_budget, fund, special, other = _split(rng, amount, 4, zeros=True)
            fiscal = general_budget + fund
            projects.append(
                _Node(
                    "",
                    f"单位{u + 1}项目{p + 1}",
                    (amount, fiscal, general_budget, fund, special, Decimal("0.00"), other),
                )
            )
        units.append(_Node("", f"单位{u + 1}", _sum(projects, 7), tuple(projects)))
    project_table = _table(
        "project_expenditure",
        "项目支出表",
        (
            "total",
            "fiscal_appropriation",
            "general_budget",
            "government_fund",
            "special_account",
            "state_capital",
            "other_funds",
        ),
        units,
        coded=False,
    )
    overseas, reception, purchase, operation = _split(
        rng, _money(rng, 1_000, 500_000), 4, zeros=True
    )
    three_public = _table(
        "three_public_expenditure",
        '"三公"经费支出表',
        ("total", "overseas", "reception", "vehicles", "vehicle_purchase", "vehicle_operation"),
        (),
        coded=False,
    )
    vehicles = purchase + operation
    row = attrs.evolve(
        three_public.rows[0],
        amounts=tuple(
            _printed(value)
            for value in (
                overseas + reception + vehicles,
                overseas,
                reception,
                vehicles,
                purchase,
                operation,
            )
        ),
    )
    three_public = attrs.evolve(three_public, rows=(row,))
    paired = _paired(rng, classes, total)
    tables = [
        paired,
        summary,
        general,
        basic_table,
        project_economic_table,
        project_table,
        three_public,
    ]
    tables = [table for table in tables if len(table.rows) > 1 or table is three_public]
    assert total == basic + project
    return Document(
        path="generated.pdf",
        layout="pdf",
        encoding=None,
        department="某部门",
        unit_of_money="万元",
        title=None,
        rows=(),
        fragments=(),
        line_roles=(),
        tables=_pages(tables),
    )


def _paired(rng: random.Random, classes: Sequence[_Node], total: Decimal) -> Table:
    """The 收支总表: income items over 本年收入合计, plus 上年结转 to 收入总计; the 类 of the
    expenditure over 本年支出合计, plus 结转下年 to 支出总计; the two 总计 equal."""
    carried = _money(rng, 0, 200_000) if rng.random() < 0.5 else Decimal("0.00")
    income = list(
        zip(
            ("一、一般公共预算拨款收入", "二、事业收入", "三、其他收入"),
            _split(rng, total, rng.randint(1, 3)),
            strict=False,
        )
    )
    spent = [(f"{i + 1}、{node.name}", node.amounts[0]) for i, node in enumerate(classes)]
    halves = {
        "income": [
            *((name, amount, 1) for name, amount in income),
            ("本年收入合计", total, 0),
            ("上年结转结余", carried, 1),
            ("收入总计", total + carried, 0),
        ],
        "expenditure": [
            *((name, amount, 1) for name, amount in spent),
            ("本年支出合计", total, 0),
            ("结转下年", carried, 1),
            ("支出总计", total + carried, 0),
        ],
    }
    rows: list[TableRow] = []
    for side, entries in halves.items():
        for name, amount, level in entries:
            rows.append(
                TableRow(
                    index=len(rows),
                    level=level,
                    code=None,
                    name=name,
                    parent=None,
                    amounts=(_printed(amount),),
                    page=None,
                    line=len(rows) + 1,
                    end_line=len(rows) + 1,
                    side=side,
                )
            )
    return Table(
        kind="income_expenditure_summary",
        title="收支总表",
        columns=(
            Column("income_item", "收入项目", ColumnRole.NAME, "income"),
            Column("income_amount", "收入/预算数", ColumnRole.MONEY, "income"),
            Column("expenditure_item", "支出项目", ColumnRole.NAME, "expenditure"),
            Column("expenditure_amount", "支出/预算数", ColumnRole.MONEY, "expenditure"),
        ),
        rows=tuple(rows),
        unit_of_money="万元",
        lines=(1, len(rows)),
        relations=_RELATIONS["income_expenditure_summary"],
    )


def _economic(amount: Decimal, column: int) -> tuple[Decimal, ...]:
    personnel = amount if column == 0 else Decimal("0.00")
    public = amount if column == 1 else Decimal("0.00")
    return (amount, personnel, public)


def _split(
    rng: random.Random, amount: Decimal, parts: int, *, zeros: bool = False
) -> list[Decimal]:
    """``amount`` in ``parts`` parts to the cent, each at least a cent unless ``zeros``."""
    cents = int(amount / _CENT)
    low = 0 if zeros else 1
    if cents < parts * low or parts == 1:
        return [amount] + [Decimal("0.00")] * (parts - 1)
    cuts = (
        sorted(rng.randint(low, cents - low) for _ in range(parts - 1))
        if zeros
        else sorted(rng.sample(range(1, cents), parts - 1))
    )
    bounds = [0, *cuts, cents]
    return [(Decimal(b - a) * _CENT).quantize(_CENT) for a, b in itertools.pairwise(bounds)]


@attrs.frozen
class Slip:
    """One printed figure changed: table number, row index, money position, old and new."""

    cell: tuple[int, int, int]
    original: Decimal
    printed: Decimal
    kind: str


def printed_cells(document: Document) -> list[tuple[int, int, int]]:
    """Every printed (non-blank) money cell of the document."""
    return [
        (number, row.index, position)
        for number, table in enumerate(document.tables)
        for row in table.rows
        for position, value in enumerate(row.amounts)
        if value is not None
    ]


def slip(rng: random.Random, document: Document, kind: str) -> tuple[Document, Slip] | None:
    """``document`` with one printed figure changed by a slip of ``kind`` (by at least 1.00,
    beyond any rounding), or ``None`` when the figure drawn cannot take that slip."""
    cell = rng.choice(printed_cells(document))
    number, row_index, position = cell
    table = document.tables[number]
    row = table.rows[row_index]
    original = row.amounts[position]
    assert original is not None
    changed = _slipped(rng, original, kind)
    if changed is None or abs(changed - original) < 1:
        return None
    amounts = list(row.amounts)
    amounts[position] = changed
    rows = list(table.rows)
    rows[row_index] = attrs.evolve(row, amounts=tuple(amounts))
    tables = list(document.tables)
    tables[number] = attrs.evolve(table, rows=tuple(rows))
    return attrs.evolve(document, tables=tuple(tables)), Slip(cell, original, changed, kind)


def _slipped(rng: random.Random, value: Decimal, kind: str) -> Decimal | None:
    if kind == "scale_10000":
        return value * 10000
    if kind == "sign":
        return -value
    if kind == "any":
        return value + _money(rng, 100, 1_000_000) * rng.choice((1, -1))
    digits = list(format(value, ".2f").replace(".", ""))
    if kind == "one_digit":
        i = rng.randrange(len(digits) - 2)  # a digit of the whole part
        digits[i] = rng.choice([d for d in "0123456789" if d != digits[i] and (i or d != "0")])
    else:  # swapped_digits: two different digits of the whole part
        pairs = [
            (i, j)
            for i in range(len(digits) - 2)
            for j in range(i + 1, len(digits) - 2)
            if digits[i] != digits[j] and (i or digits[j] != "0")
        ]
        if not pairs:
            return None
        i, j = rng.choice(pairs)
        digits[i], digits[j] = digits[j], digits[i]
    text = "".join(digits)
    return Decimal(f"{text[:-2]}.{text[-2:]}")
