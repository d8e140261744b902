"""Relations a table profile declares: the sums its printed figures must satisfy.

Two kinds, written in the profile's ``relations`` list:

- ``equation: 'total = basic + project + operating?'`` — on every row, the left column equals
  the signed sum of the right ones. Column names are the keys the profile gives its columns.
  A term ending in ``?`` is optional: it counts where the table prints that column and is
  zero where it does not; the equation applies to a table only when every other column it
  names is printed. Blank cells count as zero.
- ``equation: 'basic = general_budget_basic_expenditure.total'`` — a term ``kind.key`` reads
  the total row (合计) of the document's table of that kind: the equation then holds between
  the total rows of the tables, an identity across the tables of one budget. It applies when
  both tables are in the document, each with one total row.
- ``children: sum`` — every row that has rows under it (合计 over 类, 类 over 款, 款 over 项)
  equals the sum of those rows, in every money column.

The expression language is parsed here, never evaluated as Python: names, ``+``, ``-``, one
``=``, and ``?`` after a name.
"""

from __future__ import annotations

import regex

from budgetqa.model import Relation, Term

__all__ = ["Relation", "RelationError", "Term", "parse_equation"]

_TOKEN = regex.compile(
    r"\s*+(?:(?P<name>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)(?P<optional>\?)?|(?P<op>[-+=]))"
)


class RelationError(ValueError):
    """An equation that cannot be parsed; ``column`` is the 1-based place in its text."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


def parse_equation(text: str) -> tuple[str, tuple[Term, ...]]:
    """``'total = basic + project?'`` → ``('total', (Term('basic'), Term('project', 1, True)))``.

    Raises:
        RelationError: the text is not ``name = [-]name (+|- name)*``.
    """
    position = 0
    tokens: list[tuple[str, str, bool, int]] = []  # (kind, value, optional, column)
    while position < len(text):
        if not text[position:].strip():
            break
        found = _TOKEN.match(text, position)
        if found is None:
            column = position + len(text[position:]) - len(text[position:].lstrip()) + 1
            raise RelationError(
                f"unexpected {text[column - 1]!r}: an equation is column keys joined by + and -,"
                " with one =",
                column,
            )
        column = found.start() + len(found.group()) - len(found.group().lstrip()) + 1
        if found.group("name"):
            tokens.append(("name", found.group("name"), bool(found.group("optional")), column))
        else:
            tokens.append(("op", found.group("op"), False, column))
        position = found.end()
    if len(tokens) < 3 or tokens[0][0] != "name" or tokens[1][1] != "=":
        raise RelationError("an equation starts 'key =' and names at least one column after it", 1)
    if tokens[0][2]:
        raise RelationError("the left side of an equation cannot be optional", tokens[0][3])
    if "." in tokens[0][1]:
        raise RelationError("the left side of an equation is a column of this table", tokens[0][3])
    terms: list[Term] = []
    sign = 1
    expect_name = True
    for kind, value, optional, column in tokens[2:]:
        if expect_name and kind == "op" and value in "+-" and not terms and sign == 1:
            sign = -1 if value == "-" else 1
            continue
        if expect_name != (kind == "name") or value == "=":
            raise RelationError(
                f"expected {'a column key' if expect_name else '+ or -'} here, got {value!r}",
                column,
            )
        if kind == "name":
            table, _, key = value.rpartition(".")
            terms.append(Term(key, sign, optional, table or None))
        else:
            sign = -1 if value == "-" else 1
        expect_name = not expect_name
    if expect_name:
        raise RelationError("the equation ends with an operator", len(text))
    return tokens[0][1], tuple(terms)
