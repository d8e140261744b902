"""``read_note``: what a reader could not take exactly as written, reported where it stands."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, register
from budgetqa.model import Document, NoteKind


@register
class ReadNoteCheck(CheckKind):
    name = "read_note"
    description = (
        "Reports the notes a reader left on the document of one kind: bytes the encoding could "
        "not decode, an encoding chosen on thin evidence, a number too long to be an amount, a "
        "spreadsheet formula saved without its value. The reader keeps going, so the rest of "
        "the table is still read; this rule makes sure the report says where it could not "
        "read the input as written."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "kind": Param(
            "str",
            NoteKind.UNDECODABLE_BYTES.value,
            "which kind of reader note",
            tuple(kind.value for kind in NoteKind),
        ),
    }
    fields = frozenset({"text", "detail"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        wanted = NoteKind(params["kind"])
        for note in document.notes:
            if note.kind is not wanted:
                continue
            yield Hit(
                span=note.span,
                row=None,
                key=f"{note.kind.value}:{note.span.line}:{note.text}",
                fields={
                    "row": "",
                    "unit": "",
                    "path": document.path,
                    "line": note.span.line,
                    "text": note.text,
                    "detail": note.detail,
                },
                actual=note.text,
                facts={"kind": "read_note"},
            )
