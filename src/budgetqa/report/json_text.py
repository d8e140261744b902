"""JSON text written in pieces, spelt exactly as ``json.dumps(..., indent=2)`` spells it.

``json.dumps(value, ensure_ascii=False, indent=2)`` runs the standard library's pure-Python
encoder (its C encoder does not indent), which makes one small string per token through a
stack of generators and joins them all before returning: a report of many findings costs
several times its own size in memory while it is written, and the time goes into the
generators. :func:`iter_json` yields the same text in pieces instead. An iterator in the value
stands for a list whose items are made one at a time (``(finding.to_dict() for finding in
findings)``): each item is one piece, so a list of any length costs the memory of one item.
Strings are encoded by the standard library's C string encoder, the one ``json.dumps`` uses;
everything around them is assembled here in one pass, without generators below the streamed
lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

__all__ = ["iter_json"]

_INDENT = "  "
_CONSTANTS = {None: "null", True: "true", False: "false"}


def iter_json(value: Any, level: int = 0) -> Iterator[str]:  # noqa: ANN401 - any JSON value
    """Pieces whose concatenation is ``json.dumps(value, ensure_ascii=False, indent=2)`` for
    ``value`` nested ``level`` deep; an iterator in ``value`` is written as a list.

    Objects and lists are written piece by piece down to the iterators; each item an iterator
    makes is one piece. Raises what ``json.dumps`` raises for a value JSON cannot hold
    (``TypeError``, ``ValueError``), possibly after some pieces were yielded. The value must not
    contain itself (``json.dumps`` says so; here it would recurse until ``RecursionError``).
    """
    if isinstance(value, dict | list | tuple):
        yield from _members(value, level, streamed=False)
    elif isinstance(value, Iterator):
        yield from _members(value, level, streamed=True)
    else:
        yield _encode(value, level)


def _members(
    container: dict[Any, Any] | Iterable[Any], level: int, *, streamed: bool
) -> Iterator[str]:
    """An object or a list, bracket and items as separate pieces; the items of an iterator
    (``streamed``) each encoded whole."""
    keyed = isinstance(container, dict)
    items: Iterable[tuple[object, object]] = (
        container.items() if isinstance(container, dict) else ((None, item) for item in container)
    )
    opening, closing = ("{", "}") if keyed else ("[", "]")
    separator = opening + "\n" + _INDENT * (level + 1)
    empty = True
    for key, item in items:
        prefix = separator + (_key(key) + ": " if keyed else "")
        if streamed:
            yield prefix + _encode(item, level + 1)
        else:
            yield prefix
            yield from iter_json(item, level + 1)
        separator = ",\n" + _INDENT * (level + 1)
        empty = False
    yield opening + closing if empty else "\n" + _INDENT * level + closing


def _encode(value: Any, level: int) -> str:  # noqa: ANN401 - any JSON value
    """``value`` nested ``level`` deep, as ``indent=2`` writes it, in one string."""
    if isinstance(value, str):
        return str(encode_basestring(value))
    if value is None or value is True or value is False:
        return _CONSTANTS[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ",\n" + _INDENT * (level + 1)
        members = inner.join(
            f"{_key(key)}: {_encode(item, level + 1)}" for key, item in value.items()
        )
        return "{\n" + _INDENT * (level + 1) + members + "\n" + _INDENT * level + "}"
    if isinstance(value, list | tuple | Iterator):
        inner = ",\n" + _INDENT * (level + 1)
        members = inner.join(_encode(item, level + 1) for item in value)
        if not members:  # no items: an item's text is never empty
            return "[]"
        return "[\n" + _INDENT * (level + 1) + members + "\n" + _INDENT * level + "]"
    # Floats (NaN and the infinities spelt as json spells them) and what JSON cannot hold.
    return json.dumps(value, ensure_ascii=False)


def _key(key: object) -> str:
    """An object key as JSON spells it (a number, ``true`` or ``null`` as a string)."""
    if isinstance(key, str):
        return str(encode_basestring(key))
    return json.dumps({key: 0}, ensure_ascii=False)[1:-4]
