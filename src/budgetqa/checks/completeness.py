"""``completeness``: a department budget prints every standard table, each as its note says.

The standard set of a 部门预算 (收支总表 … "三公"经费表, the 政府性基金 and 国有资本经营 tables) is
printed whole: a table a department has nothing to put in is printed empty with a note saying
why (本部门无政府性基金预算…), not left out. Two findings follow from the tables read:

- ``missing``: a document that holds at least ``min_tables`` of the standard tables (so it is
  a budget's set of tables, not one table exported on its own) lacks one of ``standards``;
- ``note_contradicts``: a table whose note says it is empty prints figures other than zero.

A table printed empty without such a note is the reader's ``no_rows`` problem (ST112).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, page_hit, register, table_row_hit
from budgetqa.model import Document


@register
class CompletenessCheck(CheckKind):
    name = "completeness"
    description = (
        "Whether a budget's set of standard tables is whole (`missing`: a standard table of "
        "`standards` absent from a document holding at least `min_tables` of them) and whether "
        "a table's note agrees with its figures (`note_contradicts`: a note saying the table "
        "is empty above figures other than zero)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "what": Param("str", "missing", "which defect", ("missing", "note_contradicts")),
        "standards": Param(
            "list[str]",
            [],
            "the standard tables a budget prints, each its number and name ('T6 政府性基金预算"
            "支出表'): the number is what table profiles give as their 'standard'",
        ),
        "min_tables": Param(
            "int",
            3,
            "how many of the standard tables a document holds before it is taken to be a"
            " budget's whole set",
        ),
    }
    fields = frozenset({"standard", "name", "held", "table", "title", "note", "row", "count"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        if params["what"] == "missing":
            yield from _missing(document, params["standards"], params["min_tables"])
        else:
            yield from _contradicting(document)


def _missing(document: Document, standards: tuple[str, ...], least: int) -> Iterator[Hit]:
    wanted = [(entry.split()[0], " ".join(entry.split()[1:])) for entry in standards if entry]
    held = {table.standard for table in document.tables if table.standard is not None}
    present = [code for code, _ in wanted if code in held]
    if len(present) < least:
        return
    for code, name in wanted:
        if code in held:
            continue
        yield page_hit(
            document,
            1 if document.pages else None,
            key=f"missing:{code}",
            fields={"standard": code, "name": name or code, "held": len(present)},
            facts={"kind": "completeness", "standard": code},
            actual=code,
        )


def _contradicting(document: Document) -> Iterator[Hit]:
    for table in document.tables:
        if not table.note_says_empty or not table.established or table.kind == "unknown":
            continue
        figures = [row for row in table.rows if any(amount for amount in row.amounts)]
        if not figures:
            continue
        first = figures[0]
        yield table_row_hit(
            document,
            table,
            first,
            key=f"note:{table.kind}:{first.index}",
            fields={
                "title": table.title,
                "table": table.kind,
                "note": table.note or "",
                "count": len(figures),
            },
            expected=None,
            actual=None,
            difference=None,
            facts={"kind": "completeness", "table": table.kind},
        )
