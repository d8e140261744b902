"""``fragments``: input text that belongs to no row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, register
from budgetqa.checks.consecutive import Consecutive
from budgetqa.model import Document


@register
class FragmentsCheck(CheckKind):
    name = "fragments"
    description = (
        "Lines the reader could not attach to any row (text with no row name, figures with no "
        "name, a name whose figures never come). Kept, never dropped, and reported here."
    )
    fields = frozenset({"reason", "text"})
    # Junk lines one after another are one problem: one finding for the run, not one per line.
    consecutive: ClassVar[Consecutive | None] = Consecutive(same=("reason",))

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for fragment in document.fragments:
            text = fragment.text.replace("\n", " ")
            yield Hit(
                span=fragment.span,
                row=None,
                key=str(fragment.span.line),
                fields={
                    "row": "",
                    "unit": "",
                    "path": document.path,
                    "line": fragment.span.line,
                    "reason": fragment.reason,
                    "text": text if len(text) <= 40 else text[:40] + "…",
                },
                facts={"kind": "fragment"},
            )
