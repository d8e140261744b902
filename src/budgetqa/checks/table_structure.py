"""``table_structure``: what the reader of a whole budget could not establish, page by page.

A table whose header or hierarchy could not be read, pages without a text layer, a budget
PDF in which no table was found, a table no profile recognises: each is said where it is, so
a document is never reported clean when part of it was not read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, page_hit, register
from budgetqa.model import Document, PageUse, Table

_WHATS = ("not_established", "no_text_layer", "no_table", "unknown_kind")


def _page_ranges(pages: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for page in pages:
        if ranges and ranges[-1][1] == page - 1:
            ranges[-1] = (ranges[-1][0], page)
        else:
            ranges.append((page, page))
    return ranges


def _pages_text(first: int, last: int, noun: str = "page") -> str:
    return f"{noun} {first}" if first == last else f"{noun}s {first}–{last}"


def _where(table: Table) -> tuple[int | None, int, str]:
    """A table's page (``None`` for text or CSV input), first line and where it is, as said."""
    if table.pages is None and table.lines is not None:
        first, last = table.lines
        return None, first, _pages_text(first, last, "line")
    first, last = table.pages or (1, 1)
    return first, 1, _pages_text(first, last)


@register
class TableStructureCheck(CheckKind):
    name = "table_structure"
    description = (
        "Reports what the reader of a whole budget document could not establish: a table "
        "whose header, columns or hierarchy could not be read (`not_established`), pages with "
        "no text layer (`no_text_layer`), a PDF with pages of text but no budget table "
        "(`no_table`), a table of figures that no table profile recognises (`unknown_kind`)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "what": Param("str", "not_established", "which structural problem", _WHATS),
    }
    fields = frozenset({"table", "title", "pages", "detail", "count"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        what = params["what"]
        if what == "not_established":
            yield from self._not_established(document)
        elif what == "unknown_kind":
            yield from self._unknown(document)
        elif what == "no_text_layer":
            yield from self._no_text(document)
        elif document.pages and not document.tables:
            readable = [role.page for role in document.pages if role.use is PageUse.NARRATIVE]
            if readable:
                yield self._hit(
                    document,
                    readable[0],
                    key="no_table",
                    fields={
                        "count": len(document.pages),
                        "pages": _pages_text(1, len(document.pages)),
                    },
                )

    @staticmethod
    def _hit(
        document: Document,
        page: int | None,
        *,
        key: str,
        fields: Mapping[str, object],
        table: str | None = None,
        actual: str | None = None,
        line: int = 1,
    ) -> Hit:
        return page_hit(
            document,
            page,
            key=key,
            fields=fields,
            facts={"kind": "table_structure"},
            table=table,
            actual=actual,
            line=line,
        )

    def _not_established(self, document: Document) -> Iterator[Hit]:
        for table in document.tables:
            if table.established or table.kind == "unknown":
                continue
            page, line, where = _where(table)
            yield self._hit(
                document,
                page,
                line=line,
                key=f"table:{table.kind}:{page or line}",
                table=table.kind,
                fields={
                    "table": table.kind,
                    "title": table.title,
                    "pages": where,
                    "detail": "; ".join(detail for _, detail in table.problems),
                },
                actual=",".join(problem.value for problem, _ in table.problems),
            )

    def _unknown(self, document: Document) -> Iterator[Hit]:
        for table in document.tables:
            if table.kind != "unknown" or not table.rows:
                continue
            page, line, where = _where(table)
            yield self._hit(
                document,
                page,
                line=line,
                key=f"unknown:{page or line}",
                table=table.kind,
                fields={
                    "table": table.kind,
                    "title": table.title,
                    "pages": where,
                    "count": len(table.rows),
                },
            )

    def _no_text(self, document: Document) -> Iterator[Hit]:
        pages = [role.page for role in document.pages if role.use is PageUse.NO_TEXT]
        for first, last in _page_ranges(pages):
            yield self._hit(
                document,
                first,
                key=f"no_text:{first}",
                fields={"pages": _pages_text(first, last), "count": last - first + 1},
            )
