"""Hypothesis strategies for budget tables, printed in each layout by ``budgetqa.synthetic``.

A generated :class:`TableSpec` is consistent by construction: every unit's columns are the sums
of its projects', and 合计's the sums of the units'. The renderers (shared with the benchmark and
the detection-quality figures) print it the way published tables look, so a property test can
read it back and compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

from budgetqa import synthetic
from budgetqa.synthetic import (
    HEADER,
    IndicatorSpec,
    ProjectSpec,
    TableSpec,
    UnitSpec,
    indicator_text,
)

__all__ = [
    "HEADER",
    "IndicatorSpec",
    "ProjectSpec",
    "TableSpec",
    "UnitSpec",
    "indicator_text",
    "render_csv",
    "render_layout_text",
    "render_tsv",
    "render_tsv_ocr",
    "tables",
    "to_frame",
    "write_xlsx",
]

# Characters for names and texts: no digits, no 指/标 (indicator words), no punctuation.
_HAN = (
    "人力资源社会保障就业服务管理中心区市广州经费专项补贴"
    "工作培训系统运行维护档案仲裁劳动监察医疗退休"
)
_UNIT_SUFFIXES = ("中心", "局", "办公室")


def han(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_HAN, min_size=min_size, max_size=max_size)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def projects(draw: st.DrawFn, columns: tuple[bool, bool, bool]) -> ProjectSpec:
    funding: list[Decimal | None] = [None, None, None]
    for column, used in enumerate(columns):
        if used and draw(st.booleans()):
            funding[column] = draw(amounts)
    if all(value is None for value in funding):
        first_used = columns.index(True)
        funding[first_used] = draw(amounts)
    indicators = draw(
        st.lists(
            st.builds(
                IndicatorSpec,
                han(2, 10),
                st.sampled_from(["≥95%", "100%", "5次", "不低于90%"]),
                st.just("达标"),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return ProjectSpec(
        name=draw(han(2, 30)) + "经费",
        funding=(funding[0], funding[1], funding[2]),
        goal=draw(han(4, 60)) + "。",
        indicators=tuple(indicators),
    )


@st.composite
def units(draw: st.DrawFn, columns: tuple[bool, bool, bool]) -> UnitSpec:
    name = "广州市" + draw(han(2, 16)) + draw(st.sampled_from(_UNIT_SUFFIXES))
    return UnitSpec(
        # a consistent table has no project twice in a unit: names drawn alike would be a repeat
        name=name,
        projects=tuple(
            draw(st.lists(projects(columns), min_size=1, max_size=5, unique_by=lambda p: p.name))
        ),
    )


@st.composite
def tables(draw: st.DrawFn, columns: tuple[bool, bool, bool] | None = None) -> TableSpec:
    """A consistent budget table; ``columns`` fixes which funding columns are in use."""
    if columns is None:
        columns = draw(
            st.sampled_from([(True, False, False), (True, True, False), (True, True, True)])
        )
    return TableSpec(
        department="广州市" + draw(han(2, 10)) + "局",
        units=tuple(
            draw(st.lists(units(columns), min_size=1, max_size=4, unique_by=lambda u: u.name))
        ),
        columns=columns,
    )


# --- renderers (budgetqa.synthetic's, under the names the tests use) ---------------------------


def render_tsv(table: TableSpec) -> str:
    return synthetic.render(table, "tsv").text


def render_tsv_ocr(table: TableSpec, drops: Sequence[bool]) -> str:
    return synthetic.render(table, "tsv-ocr", drops=drops).text


def render_layout_text(table: TableSpec, width: int, page_every: int) -> str:
    return synthetic.render(table, "pdf-text", width=width, page_every=page_every).text


def render_csv(table: TableSpec) -> str:
    return synthetic.render(table, "csv").text


def write_xlsx(table: TableSpec, path: Path) -> None:
    synthetic.write_xlsx(table.rows(), path)


def to_frame(table: TableSpec):
    return synthetic.to_frame(table.rows())
