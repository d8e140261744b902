"""Loading table profile files: plain YAML, validated, every problem at once.

A profile file is read like a rule file (:mod:`budgetqa.plain_yaml`: no tags that build
objects, no anchors or aliases, bounded size, depth and numbers). A file that fails validation
raises one :class:`~budgetqa.errors.ProfileFileError` listing every problem as
``path:line:column: what is wrong``; so does a title example the loaded set does not classify
as it says. No other exception comes out of loading, whatever the files hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from budgetqa.errors import ProfileFileError, RuleFileError
from budgetqa.plain_yaml import (
    MAX_RULE_FILE_BYTES,
    Marked,
    MarkedList,
    Position,
    read_plain_yaml,
    shown,
    too_large,
)
from budgetqa.profiles.model import (
    ColumnSpec,
    Hierarchy,
    Profiles,
    TableProfile,
    TitleExample,
)
from budgetqa.profiles.relations import Relation, RelationError, parse_equation

__all__ = [
    "builtin_profile_files",
    "builtin_profiles",
    "load_profile_files",
    "load_profiles_text",
    "resolve_profiles",
]

_WHAT = "profile file"
_KIND = regex.compile(r"^[a-z][a-z0-9_]*$")
_KEY = regex.compile(r"^[a-z][a-z0-9_]*$")
_GENERIC_KEY = regex.compile(r"^c[0-9]+$")
_STANDARD = regex.compile(r"^T[0-9]{1,2}$")
_FILE_KEYS = ("version", "profile")
_PROFILE_KEYS = (
    "kind", "standard", "name", "description", "titles", "hierarchy",
    "amounts", "columns", "empty_notes", "examples", "project_rows", "relations",
)  # fmt: skip
_RELATION_KEYS = ("id", "equation", "children", "balance", "totals")
_REQUIRED = ("kind", "name", "description", "titles", "hierarchy")
_COLUMN_KEYS = ("key", "headers", "side", "money")
_EXAMPLE_KEYS = ("title", "not", "note")
_AMOUNTS = {"required": True, "optional": False}
#: Regular expressions one profile file may give, in characters in all (compiling costs time).
MAX_PATTERN_CHARACTERS_PER_FILE = 20_000


def builtin_profile_files() -> list[Path]:
    """The profile files shipped with budgetqa."""
    folder = resources.files("budgetqa.profilefiles")
    return sorted(
        Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith((".yaml", ".yml"))
    )


_BUILTIN: list[Profiles] = []


def builtin_profiles() -> Profiles:
    """The profiles shipped with budgetqa (loaded once per process)."""
    if not _BUILTIN:
        _BUILTIN.append(Profiles(()).merged(load_profile_files(builtin_profile_files())))
    return _BUILTIN[0]


def resolve_profiles(
    profiles: Profiles | Iterable[str | Path] | None = None, *, builtin: bool = True
) -> Profiles:
    """The profiles a reading uses: a :class:`Profiles` as given, or the shipped ones with the
    profile files at the given paths added (a directory means every ``*.yaml`` in it; a user's
    profile of a shipped kind replaces the shipped one).

    Raises:
        ProfileFileError: a file is not valid, two given files define one kind, or a title
            example of a given file is not classified as it says in the resulting set.
    """
    if isinstance(profiles, Profiles):
        return profiles
    paths = [Path(path) for path in profiles or ()]
    if not paths:
        return builtin_profiles() if builtin else Profiles(())
    base = builtin_profiles() if builtin else Profiles(())
    added = load_profile_files(paths)
    chosen = base.merged(added)
    # The added profiles' examples must hold among the rest; a shipped profile's examples may
    # rightly fail once a user's more specific profile takes some of its titles.
    kinds = [profile.kind for profile in added]
    problems = [*chosen.relation_problems(kinds), *chosen.example_problems(kinds)]
    if problems:
        raise ProfileFileError(problems)
    return chosen


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            files.append(path)
    return files


def load_profile_files(paths: Iterable[Path]) -> list[TableProfile]:
    """Load and validate profile files (a directory means every ``*.yaml`` in it).

    Raises :class:`ProfileFileError` listing every problem of every file, each
    ``path:line:column: reason`` (a file that cannot be opened: ``path: cannot read …``).
    """
    problems: list[str] = []
    profiles: list[TableProfile] = []
    for path in _expand(paths):
        text, problem = _read(path)
        if text is None:
            problems.append(problem)
            continue
        profile, file_problems = _load(text, str(path))
        problems.extend(file_problems)
        if profile is not None:
            profiles.append(profile)
    seen: dict[str, TableProfile] = {}
    for profile in profiles:
        if profile.kind in seen:
            problems.append(
                f"{profile.source}: kind {profile.kind} is already defined at"
                f" {seen[profile.kind].source}"
            )
        seen.setdefault(profile.kind, profile)
    if problems:
        raise ProfileFileError(problems)
    return profiles


def load_profiles_text(text: str, path: str = "<profile>") -> TableProfile:
    """Load one profile from YAML text (for tests and notebooks).

    Raises :class:`ProfileFileError` listing every problem as ``path:line:column: reason``.
    """
    profile, problems = _load(text, path)
    if problems or profile is None:
        raise ProfileFileError(problems)
    return profile


def _read(path: Path) -> tuple[str | None, str]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        return None, f"{path}: cannot read profile file: {error.strerror or error}"
    if len(data) > MAX_RULE_FILE_BYTES:
        return None, too_large(str(path), _WHAT)
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return None, (
            f"{path}:{line}:{column}: byte 0x{data[error.start]:02X} is not UTF-8;"
            " profile files are UTF-8 text"
        )


def _at(path: str, position: Position) -> str:
    return f"{path}:{position[0]}:{position[1]}"


class _Reader:
    """Validation of one profile file: values converted, problems collected with places."""

    def __init__(self, path: str, text: str = "") -> None:
        self.path = path
        self.source_text = text
        self.problems: list[str] = []
        self.pattern_characters = MAX_PATTERN_CHARACTERS_PER_FILE

    def at(self, mapping: Marked, key: str) -> str:
        return _at(self.path, mapping.marks.get(key, mapping.mark))

    def unknown_keys(self, mapping: Marked, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.problems.append(
                    f"{self.at(mapping, key)}: {what} has no key {shown(key)}"
                    f" (expected one of: {', '.join(allowed)})"
                )

    def text(self, mapping: Marked, key: str) -> str | None:
        value = mapping.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{self.at(mapping, key)}: {key!r} must be a non-empty string")
            return None
        return " ".join(value.split())

    def languages(self, mapping: Marked, key: str) -> tuple[str, str] | None:
        value = mapping.get(key)
        if not isinstance(value, Marked) or set(value) != {"zh", "en"}:
            self.problems.append(
                f"{self.at(mapping, key)}: {key!r} must be a mapping with 'zh' and 'en' texts"
            )
            return None
        zh, en = self.text(value, "zh"), self.text(value, "en")
        return (zh, en) if zh is not None and en is not None else None

    def patterns(
        self, mapping: Marked, key: str, *, required: bool
    ) -> tuple[regex.Pattern[str], ...]:
        value = mapping.get(key)
        where = self.at(mapping, key)
        if value is None and not required:
            return ()
        if (
            not isinstance(value, MarkedList)
            or not value
            or not all(isinstance(item, str) and item for item in value)
        ):
            self.problems.append(
                f"{where}: {key!r} must be a non-empty list of regular expressions (strings)"
            )
            return ()
        size = sum(len(item) for item in value)
        if size > self.pattern_characters:
            self.problems.append(
                f"{where}: the file's regular expressions come to more than"
                f" {MAX_PATTERN_CHARACTERS_PER_FILE:,} characters"
            )
            return ()
        self.pattern_characters -= size
        compiled: list[regex.Pattern[str]] = []
        for item, position in zip(value, value.marks, strict=True):
            try:
                compiled.append(regex.compile(item, regex.VERSION1))
            except (regex.error, ValueError, OverflowError, RecursionError) as error:
                self.problems.append(
                    f"{_at(self.path, position)}: {shown(item)} is not a regular expression:"
                    f" {error}"
                )
        return tuple(compiled)

    def columns(self, profile: Marked) -> tuple[ColumnSpec, ...]:
        raw = profile.get("columns")
        if raw is None:
            return ()
        if not isinstance(raw, MarkedList):
            self.problems.append(f"{self.at(profile, 'columns')}: 'columns' must be a list")
            return ()
        specs: list[ColumnSpec] = []
        seen: set[tuple[str, str | None]] = set()
        for item, position in zip(raw, raw.marks, strict=True):
            here = _at(self.path, position)
            if not isinstance(item, Marked):
                self.problems.append(f"{here}: every column is a mapping with 'key' and 'headers'")
                continue
            self.unknown_keys(item, _COLUMN_KEYS, "a column")
            key = item.get("key")
            if not isinstance(key, str) or not _KEY.match(key) or _GENERIC_KEY.match(key):
                self.problems.append(
                    f"{self.at(item, 'key')}: a column's 'key' is a lower_snake_case name"
                    " (not c1, c2 …: those are the keys of columns no profile names)"
                )
                continue
            side = item.get("side")
            if side is not None and side not in {"income", "expenditure"}:
                self.problems.append(
                    f"{self.at(item, 'side')}: 'side' is income or expenditure, not {shown(side)}"
                )
                continue
            if (key, side) in seen:
                self.problems.append(f"{self.at(item, 'key')}: column key {key} is given twice")
            seen.add((key, side))
            money = item.get("money", True)
            if not isinstance(money, bool):
                self.problems.append(
                    f"{self.at(item, 'money')}: 'money' is true or false, not {shown(money)}"
                )
                continue
            headers = self.patterns(item, "headers", required=True)
            if headers:
                specs.append(ColumnSpec(key, headers, side, money))
        return tuple(specs)

    def relations(self, profile: Marked, columns: tuple[ColumnSpec, ...]) -> tuple[Relation, ...]:
        raw = profile.get("relations")
        if raw is None:
            return ()
        if not isinstance(raw, MarkedList):
            self.problems.append(f"{self.at(profile, 'relations')}: 'relations' must be a list")
            return ()
        keys = {spec.key for spec in columns}
        relations: list[Relation] = []
        seen: set[str] = set()
        for item, position in zip(raw, raw.marks, strict=True):
            here = _at(self.path, position)
            kinds = [
                key
                for key in ("equation", "children", "balance", "totals")
                if isinstance(item, Marked) and key in item
            ]
            if (
                not isinstance(item, Marked)
                or len(kinds) != 1
                or not isinstance(item.get("id"), str)
            ):
                self.problems.append(
                    f"{here}: a relation is a mapping with an 'id' and one of 'equation'"
                    " ('total = basic + project'), 'children: sum', 'totals: below' or 'balance'"
                    " ('income_amount = expenditure_amount')"
                )
                continue
            self.unknown_keys(item, _RELATION_KEYS, "a relation")
            identifier = item["id"]
            if not _KEY.match(identifier) or identifier in seen:
                self.problems.append(
                    f"{self.at(item, 'id')}: a relation's 'id' is a lower_snake_case name, once"
                    " per profile"
                )
                continue
            seen.add(identifier)
            if kinds[0] == "children":
                if item["children"] != "sum":
                    self.problems.append(f"{self.at(item, 'children')}: 'children' is 'sum'")
                    continue
                relations.append(Relation(identifier, "children", text="sum"))
                continue
            if kinds[0] == "totals":
                if item["totals"] != "below":
                    self.problems.append(f"{self.at(item, 'totals')}: 'totals' is 'below'")
                    continue
                relations.append(Relation(identifier, "totals", text="below"))
                continue
            field = kinds[0]
            text = item[field]
            if not isinstance(text, str):
                self.problems.append(f"{self.at(item, field)}: an equation is a string")
                continue
            try:
                left, terms = parse_equation(text)
            except RelationError as error:
                line, column = item.marks[field]
                quoted = 1 if self._quoted(line, column) else 0
                self.problems.append(
                    f"{self.path}:{line}:{column + quoted + error.column - 1}: {error.reason}"
                )
                continue
            own = (left, *(term.key for term in terms if term.table is None))
            unknown = [name for name in own if name not in keys]
            if unknown:
                self.problems.append(
                    f"{self.at(item, field)}: {', '.join(unknown)} is not a column key of"
                    f" this profile (known: {', '.join(sorted(keys)) or 'none'})"
                )
                continue
            if field == "balance" and len(own) != len(terms) + 1:
                self.problems.append(
                    f"{self.at(item, field)}: a balance compares columns of this table's halves,"
                    " not another table's"
                )
                continue
            relations.append(Relation(identifier, field, left, terms, " ".join(text.split())))
        return tuple(relations)

    def _quoted(self, line: int, column: int) -> bool:
        """Whether the value starting at ``line``:``column`` is a quoted YAML scalar."""
        lines = self.source_text.splitlines()
        return 0 < line <= len(lines) and lines[line - 1][column - 1 : column] in {"'", '"'}

    def examples(self, profile: Marked) -> tuple[TitleExample, ...]:
        raw = profile.get("examples")
        if raw is None:
            return ()
        if not isinstance(raw, MarkedList):
            self.problems.append(f"{self.at(profile, 'examples')}: 'examples' must be a list")
            return ()
        examples: list[TitleExample] = []
        for item, position in zip(raw, raw.marks, strict=True):
            here = _at(self.path, position)
            kinds = [key for key in ("title", "not") if isinstance(item, Marked) and key in item]
            if not isinstance(item, Marked) or len(kinds) != 1:
                self.problems.append(
                    f"{here}: an example is a mapping with exactly one of 'title' (a title this"
                    " kind must recognise) or 'not' (one it must leave to another kind)"
                )
                continue
            self.unknown_keys(item, _EXAMPLE_KEYS, "an example")
            title = self.text(item, kinds[0])
            note = item.get("note", "")
            if not isinstance(note, str):
                self.problems.append(f"{self.at(item, 'note')}: an example's 'note' is a string")
                continue
            if title is not None:
                examples.append(TitleExample(title, kinds[0] == "title", " ".join(note.split())))
        return tuple(examples)


def _load(text: str, path: str) -> tuple[TableProfile | None, list[str]]:
    try:
        document, problems = read_plain_yaml(text, path, what=_WHAT)
    except RuleFileError as error:
        return None, list(error.problems)
    if not isinstance(document, Marked):
        where = document.mark if isinstance(document, MarkedList) else (1, 1)
        return None, [
            *problems,
            f"{_at(path, where)}: a profile file is a mapping with 'version' and 'profile'",
        ]
    reader = _Reader(path, text)
    reader.problems.extend(problems)
    reader.unknown_keys(document, _FILE_KEYS, "a profile file")
    version = document.get("version", 1)
    if type(version) is not int or version != 1:
        reader.problems.append(
            f"{reader.at(document, 'version')}: unsupported profile file version"
            f" {shown(version)} (expected 1)"
        )
    raw = document.get("profile")
    if not isinstance(raw, Marked):
        reader.problems.append(
            f"{reader.at(document, 'profile')}: 'profile' must be a mapping (kind, name, titles …)"
        )
        return None, reader.problems
    profile = _profile(raw, reader)
    return (profile if not reader.problems else None), reader.problems


def _profile(raw: Marked, reader: _Reader) -> TableProfile | None:
    reader.unknown_keys(raw, _PROFILE_KEYS, "a profile")
    missing = [key for key in _REQUIRED if key not in raw]
    for key in missing:
        reader.problems.append(f"{_at(reader.path, raw.mark)}: the profile has no {key!r}")
    kind = raw.get("kind")
    if "kind" not in missing and (not isinstance(kind, str) or not _KIND.match(kind)):
        reader.problems.append(
            f"{reader.at(raw, 'kind')}: kind {shown(kind)} must be lower_snake_case,"
            " e.g. expenditure_summary"
        )
    standard = raw.get("standard")
    if standard is not None and not (isinstance(standard, str) and _STANDARD.match(standard)):
        reader.problems.append(
            f"{reader.at(raw, 'standard')}: 'standard' is a standard table number, T1 … T11"
        )
    name = reader.languages(raw, "name") if "name" in raw else None
    description = reader.languages(raw, "description") if "description" in raw else None
    titles = reader.patterns(raw, "titles", required=True) if "titles" in raw else ()
    hierarchy = _choice(raw, "hierarchy", {h.value: h for h in Hierarchy}, reader)
    amounts = _choice(raw, "amounts", _AMOUNTS, reader, default="required")
    columns = reader.columns(raw)
    empty_notes = reader.patterns(raw, "empty_notes", required=False)
    examples = reader.examples(raw)
    relations = reader.relations(raw, columns)
    project_rows = raw.get("project_rows", False)
    if not isinstance(project_rows, bool):
        reader.problems.append(f"{reader.at(raw, 'project_rows')}: 'project_rows' is true or false")
    if (
        reader.problems
        or not isinstance(kind, str)
        or name is None
        or description is None
        or hierarchy is None
        or amounts is None
    ):
        return None
    return TableProfile(
        kind=kind,
        name_zh=name[0],
        name_en=name[1],
        description_zh=description[0],
        description_en=description[1],
        titles=titles,
        hierarchy=hierarchy,
        amounts_required=amounts,
        columns=columns,
        empty_notes=empty_notes,
        examples=examples,
        project_rows=project_rows is True,
        relations=relations,
        standard=standard,
        source=_at(reader.path, raw.mark),
    )


def _choice(
    raw: Marked, key: str, choices: dict[str, Any], reader: _Reader, default: str | None = None
) -> Any:  # noqa: ANN401 - the chosen value, of the mapping's value type
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        reader.problems.append(
            f"{reader.at(raw, key)}: {key!r} is one of {', '.join(choices)}, not {shown(value)}"
        )
        return None
    return choices[value]
