"""The YAML that rule and profile files are written in: plain data, read within fixed bounds.

A rule file needs strings, numbers, ``true``/``false``, ``null``, lists and mappings, nothing
more. Everything else YAML offers is refused with its place in the file, before any value is
built:

- anchors, aliases and merge keys (``&a``, ``*a``, ``<<``): with them a few lines can stand for
  billions of values;
- tags other than the plain ones (``!!python/object``, ``!!binary``, ``!!set``, ``!!omap``,
  ``!!timestamp``, local ``!tags``): they build objects a rule file has no use for;
- nesting deeper than :data:`MAX_DEPTH`, numbers longer than :data:`MAX_NUMBER_LENGTH`
  characters, ``.nan`` and ``.inf``, keys that are not strings, and files over
  :data:`MAX_RULE_FILE_BYTES`.

Dates are not recognised at all: ``code: 2024-13-45`` is the string ``'2024-13-45'``.

:func:`read_plain_yaml` returns the document as :class:`Marked` mappings and
:class:`MarkedList` lists, which remember where each of their values stood, or raises
:class:`~budgetqa.errors.RuleFileError` listing every refusal as ``path:line:column: reason``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver, Resolver
from yaml.scanner import Scanner

from budgetqa.errors import RuleFileError

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_LENGTH",
    "MAX_RULE_FILE_BYTES",
    "MAX_VALUES",
    "Marked",
    "MarkedList",
    "read_plain_yaml",
    "shown",
]

#: A rule file larger than this is refused before it is parsed (the shipped ones are under 10 KB).
MAX_RULE_FILE_BYTES = 1_000_000
#: Lists and mappings may nest this deep (a rule file needs five levels).
MAX_DEPTH = 64
#: The most values (scalars, lists and mappings, keys included) a rule file may hold; the shipped
#: files hold under 1,000 each. Reading costs time per value, so this bounds the time a file
#: takes as the size limit bounds its memory.
MAX_VALUES = 20_000
#: The longest number, in characters, a rule file may hold (line numbers and versions need few).
MAX_NUMBER_LENGTH = 40

_YAML = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (
    _YAML + "str",
    _YAML + "int",
    _YAML + "float",
    _YAML + "bool",
    _YAML + "null",
)
_SEQ, _MAP, _MERGE = _YAML + "seq", _YAML + "map", _YAML + "merge"
_PLAIN = "strings, numbers, true/false, null, lists and mappings"

Position = tuple[int, int]


class Marked(dict[str, Any]):
    """A mapping that remembers where it and each of its values stood in the file (1-based)."""

    mark: Position = (1, 1)
    marks: dict[str, Position]


class MarkedList(list[Any]):
    """A list that remembers where it and each of its items stood in the file (1-based)."""

    mark: Position = (1, 1)
    marks: list[Position]


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to about ``limit`` characters for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Mark(Protocol):
    """A place in the text as PyYAML gives it (0-based)."""

    line: int
    column: int


class _Refused(Exception):
    """Raised while composing: something a rule file may not hold, at ``mark``."""

    def __init__(self, mark: _Mark | None, reason: str) -> None:
        super().__init__(reason)
        self.mark = mark
        self.reason = reason


class _PlainComposer(Composer):
    """Composes nodes, refusing anchors, aliases, nesting beyond :data:`MAX_DEPTH` and more
    than :data:`MAX_VALUES` nodes.

    The refusal happens as the event arrives, so neither time nor memory grows with what an
    alias would have stood for, how deep the brackets would have gone or how many values follow.
    """

    depth = 0
    values = 0
    what = "rule file"

    if TYPE_CHECKING:  # provided by the Parser the loader mixes in

        def peek_event(self) -> Event: ...

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _Refused(
                event.start_mark, f"alias *{event.anchor} is not allowed in a {self.what}"
                " (anchors and aliases are refused: write each value out)"
            )  # fmt: skip
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused(
                event.start_mark, f"anchor &{event.anchor} is not allowed in a {self.what}"
                " (anchors and aliases are refused: write each value out)"
            )  # fmt: skip
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Refused(
                event.start_mark,
                f"the {self.what} holds more than {MAX_VALUES:,} values;"
                " split it into several files",
            )
        # Depth counts lists and mappings: a scalar inside them is not another level.
        step = 1 if isinstance(event, CollectionStartEvent) else 0
        self.depth += step
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(
                    event.start_mark,
                    f"lists and mappings are nested more than {MAX_DEPTH} deep",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= step


class _PlainResolver(BaseResolver):
    """YAML 1.1's implicit types, less timestamps (rule files hold no dates) and ``=``."""


_PlainResolver.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag not in {_YAML + "timestamp", _YAML + "value"}
    ]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


class _PlainLoader(Reader, Scanner, Parser, _PlainComposer, _PlainResolver):
    """Reads a stream into nodes; no constructor: :class:`_Builder` turns nodes into values."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _PlainComposer.__init__(self)
        _PlainResolver.__init__(self)


def read_plain_yaml(text: str, path: str, *, what: str = "rule file") -> tuple[object, list[str]]:
    """The single YAML document in ``text``, and the duplicate keys it has (as problems).

    Mappings are :class:`Marked`, lists :class:`MarkedList`; scalars are ``str``, ``int``,
    finite ``float``, ``bool`` or ``None``; every mapping key is a ``str``. An empty document
    is ``None``. A duplicate key keeps its last value and is reported, so the caller can go on
    to validate the rest. Anything else raises :class:`RuleFileError`, every problem starting
    ``path:line:column:``; ``what`` names the kind of file in its messages (``profile file``).
    """
    if len(text) > MAX_RULE_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > (
        MAX_RULE_FILE_BYTES
    ):
        raise RuleFileError([too_large(path, what)])
    try:
        loader = _PlainLoader(text)  # checks the characters first
        loader.what = what
    except ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise RuleFileError(
            [
                f"{path}:{line}:{column}: invalid YAML: character U+{error.character:04X}"
                " is not allowed in a YAML file"
            ]
        ) from None
    try:
        root = loader.get_single_node()
    except _Refused as refusal:
        raise RuleFileError([f"{_at(path, refusal.mark)}: {refusal.reason}"]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(filter(None, [error.context, error.problem]))
        raise RuleFileError([f"{_at(path, mark)}: invalid YAML: {reason}"]) from None
    except yaml.YAMLError as error:  # pragma: no cover - PyYAML raises only marked errors here
        raise RuleFileError([f"{path}:1:1: invalid YAML: {error}"]) from None
    finally:
        loader.dispose()
    if root is None:
        return None, []
    builder = _Builder(path, what)
    document = builder.value(root)
    if builder.refusals:
        raise RuleFileError(builder.refusals)
    return document, builder.duplicates


def too_large(path: str, what: str = "rule file") -> str:
    """The problem of a rule (or profile) file over :data:`MAX_RULE_FILE_BYTES`."""
    return (
        f"{path}:1:1: the {what} is larger than {MAX_RULE_FILE_BYTES:,} bytes;"
        " split it into several files"
    )


def _at(path: str, mark: _Mark | None) -> str:
    return f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else f"{path}:1:1"


def _position(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


class _Builder:
    """Turns composed nodes into plain values, collecting every refusal rather than stopping.

    Recursion is bounded: the composer has already refused anything deeper than MAX_DEPTH.
    """

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        self.what = what
        self.refusals: list[str] = []
        self.duplicates: list[str] = []

    def refuse(self, node: Node, reason: str) -> None:
        self.refusals.append(f"{_at(self.path, node.start_mark)}: {reason}")

    def value(self, node: Node) -> object:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            return self.sequence(node)
        assert isinstance(node, MappingNode)
        return self.mapping(node)

    def unplain(self, node: Node) -> None:
        self.refuse(
            node,
            f"tag {_tag_name(node.tag)} is not allowed in a {self.what}"
            f" (only plain YAML is allowed: {_PLAIN})",
        )

    def sequence(self, node: SequenceNode) -> MarkedList | None:
        if node.tag != _SEQ:
            self.unplain(node)
            return None
        items = MarkedList(self.value(item) for item in node.value)
        items.mark = _position(node)
        items.marks = [_position(item) for item in node.value]
        return items

    def mapping(self, node: MappingNode) -> Marked | None:
        if node.tag != _MAP:
            self.unplain(node)
            return None
        result = Marked()
        result.mark = _position(node)
        result.marks = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            value = self.value(value_node)
            if key is None:
                continue
            if key in result:
                self.duplicates.append(
                    f"{_at(self.path, key_node.start_mark)}: duplicate key {shown(key)}"
                )
            result[key] = value
            result.marks[key] = _position(value_node)
        return result

    def key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == _MERGE:
            self.refuse(
                node, f"merge keys (<<) are not allowed in a {self.what}: write each key out"
            )
            return None
        if not isinstance(node, ScalarNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
            self.refuse(node, f"a mapping key must be a plain name, not {kind}")
            return None
        refused = len(self.refusals)
        key = self.scalar(node)
        if isinstance(key, str):
            return key
        if len(self.refusals) == refused:  # a plain number, true/false or null
            self.refuse(node, f"a mapping key must be a name, not {shown(key)}")
        return None

    def scalar(self, node: ScalarNode) -> object:
        text: str = node.value
        if node.tag == _STR:
            return text
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return self.boolean(node)
        if node.tag in {_INT, _FLOAT}:
            return self.number(node)
        self.unplain(node)
        return None

    def boolean(self, node: ScalarNode) -> bool | None:
        word = node.value.lower()
        if word in {"true", "yes", "on"}:
            return True
        if word in {"false", "no", "off"}:
            return False
        self.refuse(node, f"{shown(node.value)} is not true or false")
        return None

    def number(self, node: ScalarNode) -> int | float | None:
        # Python refuses to turn more than 4,300 digits into an int; far fewer are plenty here.
        text = node.value.replace("_", "")
        if len(text) > MAX_NUMBER_LENGTH:
            self.refuse(
                node,
                f"a number of {len(text):,} characters is too long for a {self.what}"
                f" (at most {MAX_NUMBER_LENGTH})",
            )
            return None
        try:
            value = _yaml_int(text) if node.tag == _INT else _yaml_float(text)
        except ValueError:
            kind = "an integer" if node.tag == _INT else "a number"
            self.refuse(node, f"{shown(node.value)} is not {kind}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.refuse(node, f"{shown(node.value)} is not a finite number")
            return None
        return value


def _yaml_int(text: str) -> int:
    """A YAML 1.1 integer, read as PyYAML's safe loader does (``0x1f``, ``017``, ``1:30``)."""
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text == "0":
        return 0
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0"):
        return sign * int(text, 8)
    if ":" in text:
        value = 0
        for part in text.split(":"):
            value = value * 60 + int(part)
        return sign * value
    return sign * int(text)


def _yaml_float(text: str) -> float:
    """YAML 1.1 floats as PyYAML's safe loader reads them (``1.5``, ``.inf``, ``1:30.5``)."""
    text = text.lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == ".inf":
        return sign * math.inf
    if text == ".nan":
        return math.nan
    if ":" in text:
        value = 0.0
        for part in text.split(":"):
            value = value * 60 + float(part)
        return sign * value
    return sign * float(text)
