"""Table profiles as data: what a kind of table is called, how its rows nest, what its columns are.

A :class:`TableProfile` is loaded from a YAML file (see :mod:`budgetqa.profiles.loader` and
``docs/profiles.md``); a :class:`Profiles` set classifies a title line (the most specific
profile wins) and names a table's columns from their printed headers.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import regex

from budgetqa.errors import UsageError
from budgetqa.model import Relation

__all__ = [
    "ColumnSpec",
    "Hierarchy",
    "Profiles",
    "TableProfile",
    "TitleExample",
    "normalise_label",
    "normalise_title",
]

#: How long one profile pattern may take on one title or header before budgetqa gives up on it
#: (seconds). Titles and headers are short; a pattern that takes this long is a broken pattern.
PATTERN_TIMEOUT = 1.0

_SPACE = regex.compile(r"\s+")
_QUOTES = regex.compile(r"[\"'“”‘’「」『』]")
# 其中：基本支出 means 基本支出; a unit in brackets (万元) says nothing about the column.
_OF_WHICH = regex.compile(r"^其中[:：]?")
_UNIT_SUFFIX = regex.compile(r"[（(](?:单位[:：]?)?(?:万元|元|千元|亿元)[)）]$")


def normalise_title(text: str) -> str:
    """A title as profile patterns see it: NFKC, no white space, no quotation marks.

    ``2026 年一般公共预算“三公”经费支出情况表`` → ``2026年一般公共预算三公经费支出情况表``.
    """
    return _QUOTES.sub("", _SPACE.sub("", unicodedata.normalize("NFKC", text)))


def normalise_label(label: str) -> str:
    """A column header as profile patterns see it: each level normalised like a title, less a
    leading ``其中：`` and a trailing unit in brackets; levels stay joined by ``/``.

    ``财政拨款 / 其中：一般公共预算（万元）`` → ``财政拨款/一般公共预算``.
    """
    parts = [
        _UNIT_SUFFIX.sub("", _OF_WHICH.sub("", normalise_title(part))) for part in label.split("/")
    ]
    return "/".join(part for part in parts if part)


class Hierarchy(enum.StrEnum):
    """How the rows of a kind of table nest."""

    #: 功能分类 codes: 类 (3 digits) → 款 (5) → 项 (7).
    FUNCTION_CODE = "function_code"
    #: 经济分类 codes: 类 (3 digits) → 款 (5).
    ECONOMIC_CODE = "economic_code"
    #: 合计 → 资金使用单位 → 项目.
    UNIT_PROJECT = "unit_project"
    #: By the indentation (or numbering) of the names.
    INDENTATION = "indentation"
    #: One level under the total.
    FLAT = "flat"


#: The halves of a paired table, and the unlabelled half each stands for.
_SIDES = {
    "income": frozenset({"income", "left"}),
    "expenditure": frozenset({"expenditure", "right"}),
}


def _timed_out(pattern: regex.Pattern[str], source: str) -> UsageError:
    return UsageError(
        f"{source}: the profile pattern {pattern.pattern!r} took more than {PATTERN_TIMEOUT:g} s"
        " on one line; simplify it"
    )


@attrs.frozen
class ColumnSpec:
    """One column a profile names: a stable ``key`` and the headers it is printed under.

    A header matches when a pattern matches the whole of its normalised label
    (``财政拨款/一般公共预算``) or of a tail of its levels (``一般公共预算``). ``side`` restricts
    the column to one half of a paired table (``income`` or ``expenditure``; a half whose label
    says neither is income on the left, expenditure on the right). ``money`` is ``False`` for a
    column of figures that are not money (序号, 指标值, 指标权重): it is read as text, whatever
    its cells look like, and no sum counts it.
    """

    key: str
    headers: tuple[regex.Pattern[str], ...]
    side: str | None = None
    money: bool = True

    def matches(self, label: str, side: str | None, source: str = "<profile>") -> bool:
        """True when ``label`` (normalised, one tail of levels) on ``side`` is this column."""
        if self.side is not None and side not in _SIDES[self.side]:
            return False
        for pattern in self.headers:
            try:
                if pattern.fullmatch(label, timeout=PATTERN_TIMEOUT):
                    return True
            except TimeoutError:
                raise _timed_out(pattern, source) from None
        return False


@attrs.frozen
class TitleExample:
    """A title a profile must recognise (``matches``), or one it must leave to another kind."""

    title: str
    matches: bool
    note: str = ""


@attrs.frozen
class TableProfile:
    """One kind of table: its titles, hierarchy, columns and tested title examples."""

    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    titles: tuple[regex.Pattern[str], ...]
    hierarchy: Hierarchy = Hierarchy.FLAT
    #: False for a kind that may legitimately print no amounts (部门整体绩效目标表).
    amounts_required: bool = True
    columns: tuple[ColumnSpec, ...] = ()
    #: Notes that say this table is empty on purpose (本部门无政府性基金预算…), besides the
    #: phrasings every kind shares.
    empty_notes: tuple[regex.Pattern[str], ...] = ()
    examples: tuple[TitleExample, ...] = ()
    #: True when its rows are 合计 → 资金使用单位 → 项目 with ``total`` and funding columns: the
    #: project-table rules (sums, repeats, placeholders, indicators) check them.
    project_rows: bool = False
    #: The sums its figures must satisfy (see :mod:`budgetqa.profiles.relations`).
    relations: tuple[Relation, ...] = ()
    #: The standard table it is (``T1`` … ``T11``, see docs/profiles.md), if one.
    standard: str | None = None
    #: ``path:line:column`` of the profile in its file.
    source: str = "<profile>"

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data, shaped like its file (``budgetqa profiles --format json``)."""
        return {
            "kind": self.kind,
            "standard": self.standard,
            "name": {"zh": self.name_zh, "en": self.name_en},
            "description": {"zh": self.description_zh, "en": self.description_en},
            "titles": [pattern.pattern for pattern in self.titles],
            "hierarchy": self.hierarchy.value,
            "amounts": "required" if self.amounts_required else "optional",
            "columns": [
                {
                    "key": spec.key,
                    "headers": [pattern.pattern for pattern in spec.headers],
                    "side": spec.side,
                }
                for spec in self.columns
            ],
            "empty_notes": [pattern.pattern for pattern in self.empty_notes],
            "project_rows": self.project_rows,
            "relations": [
                {"id": relation.id, relation.kind: relation.text} for relation in self.relations
            ],
            "examples": [
                {"title" if example.matches else "not": example.title, "note": example.note}
                for example in self.examples
            ],
            "source": self.source,
        }

    def title_match(self, title: str) -> int:
        """How many characters of the normalised ``title`` the longest title pattern matches
        (0: none). The most specific profile is the one with the longest match."""
        best = 0
        for pattern in self.titles:
            try:
                found = pattern.search(title, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                raise _timed_out(pattern, self.source) from None
            if found is not None:
                best = max(best, len(found.group()))
        return best

    def empty_note(self, note: str) -> bool:
        """True when ``note`` (normalised) is one of this kind's own empty-table notes."""
        return any(pattern.search(note) for pattern in self.empty_notes)

    def column_keys(self, labels: Sequence[str], sides: Sequence[str | None]) -> list[str | None]:
        """Each column's key from its printed header (``None`` where no spec names it).

        A label is tried whole first, then by ever shorter tails of its levels, so
        ``财政拨款/合计`` is the appropriation's subtotal before it is any ``合计``. Each key is
        given once per side, to the leftmost column it matches. Where the headers carry years
        (``2025年预算数/合计`` beside ``2026年预算数/合计``), the latest year's columns get the
        keys and earlier years' the keys with ``_previous`` appended.
        """
        normals = [normalise_label(label) for label in labels]
        years = [_year(label) for label in normals]
        latest = max((year for year in years if year is not None), default=None)
        keys: list[str | None] = []
        taken: set[tuple[str, str | None]] = set()
        for normal, side, year in zip(normals, sides, years, strict=True):
            earlier = latest is not None and year is not None and year < latest
            suffix = "_previous" if earlier else ""
            keys.append(self._key(normal, side, suffix, taken))
        return keys

    def _key(
        self, label: str, side: str | None, suffix: str, taken: set[tuple[str, str | None]]
    ) -> str | None:
        levels = label.split("/") if label else []
        for start in range(len(levels)):
            tail = "/".join(levels[start:])
            for spec in self.columns:
                key = spec.key + suffix
                if (key, side) not in taken and spec.matches(tail, side, self.source):
                    taken.add((key, side))
                    return key
        return None


_YEAR = regex.compile(r"((?:19|20)\d{2})年")


def _year(label: str) -> int | None:
    """The year a column's upper header level names (``2025年预算数/合计`` → 2025)."""
    levels = label.split("/")
    for level in levels[:-1] if len(levels) > 1 else levels:
        found = _YEAR.search(level)
        if found:
            return int(found.group(1))
    return None


@attrs.frozen
class Profiles:
    """A set of table profiles: the shipped ones, with a user's added or replacing them.

    Iterating gives the profiles in a fixed order (by kind).
    """

    profiles: tuple[TableProfile, ...]

    def __iter__(self) -> Iterator[TableProfile]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, kind: object) -> bool:
        return any(profile.kind == kind for profile in self.profiles)

    def __getitem__(self, kind: str) -> TableProfile:
        for profile in self.profiles:
            if profile.kind == kind:
                return profile
        raise KeyError(kind)

    def classify(self, title: str) -> TableProfile | None:
        """The profile a title line names: the one whose pattern matches the longest part of
        the normalised title (财政拨款收支总表 is not a 收支总表), or ``None``. On a tie the
        first profile by kind wins."""
        flat = normalise_title(title)
        best: tuple[int, TableProfile] | None = None
        for profile in self.profiles:
            length = profile.title_match(flat)
            if length and (best is None or length > best[0]):
                best = (length, profile)
        return None if best is None else best[1]

    def merged(self, others: Iterable[TableProfile]) -> Profiles:
        """These profiles with ``others`` added; one of the same kind replaces the one here."""
        by_kind = {profile.kind: profile for profile in self.profiles}
        for profile in others:
            by_kind[profile.kind] = profile
        return Profiles(tuple(sorted(by_kind.values(), key=lambda profile: profile.kind)))

    def relation_problems(self, kinds: Iterable[str] | None = None) -> list[str]:
        """Every term of the profiles of ``kinds`` (default: all) that names another table's
        column this set has no profile or column key for, each ``source: …``."""
        chosen = None if kinds is None else set(kinds)
        problems: list[str] = []
        for profile in self.profiles:
            if chosen is not None and profile.kind not in chosen:
                continue
            for relation in profile.relations:
                for term in relation.terms:
                    if term.table is None:
                        continue
                    other = next((p for p in self.profiles if p.kind == term.table), None)
                    if other is None or term.key not in {spec.key for spec in other.columns}:
                        problems.append(
                            f"{profile.source}: relation {relation.id} reads {term}, but there is"
                            f" no such {'column' if other else 'kind of table'}"
                        )
        return problems

    def example_problems(self, kinds: Iterable[str] | None = None) -> list[str]:
        """Every title example of the profiles of ``kinds`` (default: all) that this set does
        not classify as it says, each ``source: …`` (empty when all hold)."""
        chosen = None if kinds is None else set(kinds)
        problems: list[str] = []
        for profile in self.profiles:
            if chosen is not None and profile.kind not in chosen:
                continue
            for example in profile.examples:
                found = self.classify(example.title)
                kind = found.kind if found else None
                if example.matches and kind != profile.kind:
                    problems.append(
                        f"{profile.source}: example title {example.title!r} should be"
                        f" {profile.kind} but is read as {kind or 'no known kind'}"
                    )
                elif not example.matches and kind == profile.kind:
                    problems.append(
                        f"{profile.source}: example title {example.title!r} should not be"
                        f" {profile.kind}, but is"
                    )
        return problems
