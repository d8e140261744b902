"""The performance-target table of a text, CSV, XLSX or DataFrame input as a :class:`Table`.

Those readers give :attr:`Document.rows` (合计 → 资金使用单位 → 项目); the same rows are also
the document's one table, of kind ``project_performance_targets``, so a document read from any
input has its tables, and the PDF reader's and the text readers' output have one shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetqa.model import (
    COLUMN_LABELS,
    MONEY_COLUMNS,
    Column,
    ColumnRole,
    Level,
    Relation,
    Row,
    Table,
    TableRow,
    Term,
)

__all__ = ["KIND", "performance_table"]

#: The kind of the table the text readers read (profiles/project_performance_targets.yaml).
KIND = "project_performance_targets"

_LEVEL = {Level.TOTAL: 0, Level.UNIT: 1, Level.PROJECT: 2}
_COLUMNS = (
    Column("name", "项目名称", ColumnRole.NAME),
    *(Column(key, COLUMN_LABELS[key], ColumnRole.MONEY) for key in MONEY_COLUMNS),
    Column("goal", "绩效目标", ColumnRole.TEXT),
    Column("indicators", "绩效指标", ColumnRole.TEXT),
)


# The relations of profiles/project_performance_targets.yaml, for the table whose columns are
# fixed above (loading every profile file would slow each text read; a test keeps them equal).
_FUNDING = ("fiscal_appropriation", "special_account", "other_funds")
RELATIONS = (
    Relation(
        "funding",
        "equation",
        "total",
        tuple(map(Term, _FUNDING)),
        f"total = {' + '.join(_FUNDING)}",
    ),
    Relation("hierarchy", "children", text="sum"),
)


def performance_table(
    rows: Sequence[Row], *, title: str | None, unit: str | None, department: str | None
) -> Table:
    """The rows as one table: levels 0–2, amounts in the four money columns, goal and
    indicator text, each row keeping its lines."""
    return Table(
        kind=KIND,
        title=title or "",
        columns=_COLUMNS,
        rows=tuple(
            TableRow(
                index=row.index,
                level=_LEVEL[row.level],
                code=None,
                name=row.name,
                parent=row.parent_index,
                amounts=row.amounts,
                page=None,
                line=row.span.line,
                end_line=row.span.end_line,
                texts=(row.goal, row.indicator_text),
            )
            for row in rows
        ),
        unit_of_money=unit,
        lines=(rows[0].span.line, rows[-1].span.end_line) if rows else None,
        department=department,
        relations=RELATIONS,
    )
