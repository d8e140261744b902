"""Loading rule files: plain YAML, validated against the check kinds, every problem at once.

Only plain YAML is accepted (see :mod:`budgetqa.plain_yaml`: no tags that build objects,
no anchors or aliases, bounded size, depth and numbers). A rule file that fails validation
raises one :class:`~budgetqa.errors.RuleFileError` listing every problem as
``path:line:column: what is wrong``; no other exception comes out of loading, whatever the file
holds.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from budgetqa.checks import CHECKS
from budgetqa.checks.base import COMMON_FIELDS, CheckKind, ParamError
from budgetqa.errors import RuleFileError
from budgetqa.findings import Category, Severity
from budgetqa.plain_yaml import (
    MAX_RULE_FILE_BYTES,
    Marked,
    MarkedList,
    Position,
    read_plain_yaml,
    shown,
    too_large,
)
from budgetqa.rules.spec import RuleExample, RuleSpec

__all__ = ["builtin_rule_files", "load_builtin_rules", "load_rule_files", "load_rules_text"]

_CODE = regex.compile(r"^[A-Z]{2,4}[0-9]{3}$")
_NAME = regex.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
_GROUP = regex.compile(r"^[a-z][a-z0-9_-]*$")
_RULE_KEYS = {
    "code", "name", "category", "severity", "check",
    "params", "message", "rationale", "groups", "examples",
}  # fmt: skip
_REQUIRED = ("code", "name", "category", "severity", "check", "message", "rationale")
_FILE_KEYS = {"version", "rules"}
_EXAMPLE_KEYS = {"fail", "pass", "lines", "note", "bytes", "pdf"}
#: Regular expressions one rule file may give, in characters in all: compiling costs time per
#: character (about a second per 100,000 on a slow machine), so this bounds a file's load time.
MAX_PATTERN_CHARACTERS_PER_FILE = 100_000
_PATTERN_KINDS = {"regex", "list[regex]"}


def builtin_rule_files() -> list[Path]:
    """The rule files shipped with budgetqa."""
    folder = resources.files("budgetqa.rulefiles")
    return sorted(
        Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith((".yaml", ".yml"))
    )


def load_builtin_rules() -> list[RuleSpec]:
    """Every rule shipped with budgetqa."""
    return load_rule_files(builtin_rule_files())


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            files.append(path)
    return files


def load_rule_files(paths: Iterable[Path], *, known: Sequence[RuleSpec] = ()) -> list[RuleSpec]:
    """Load and validate rule files (a directory means every ``*.yaml`` in it).

    ``known`` rules (e.g. the built-in set, when loading a user's extra files) take part in the
    duplicate-code and duplicate-name checks. Raises :class:`RuleFileError` listing every
    problem of every file, each ``path:line:column: reason`` (a file that cannot be opened at
    all: ``path: cannot read rule file: reason``).
    """
    problems: list[str] = []
    rules: list[RuleSpec] = []
    for path in _expand(paths):
        text, problem = _read(path)
        if text is None:
            problems.append(problem)
            continue
        loaded, file_problems = _load(text, str(path))
        rules.extend(loaded)
        problems.extend(file_problems)
    problems.extend(_duplicates([*known, *rules]))
    if problems:
        raise RuleFileError(problems)
    return rules


def _read(path: Path) -> tuple[str | None, str]:
    """The file's text, or None and the problem; never more than the size limit is read."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        return None, f"{path}: cannot read rule file: {error.strerror or error}"
    if len(data) > MAX_RULE_FILE_BYTES:
        return None, too_large(str(path))
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return None, (
            f"{path}:{line}:{column}: byte 0x{data[error.start]:02X} is not UTF-8;"
            " rule files are UTF-8 text"
        )


def load_rules_text(text: str, path: str = "<rules>") -> list[RuleSpec]:
    """Load rules from YAML text (for tests and notebooks).

    Raises :class:`RuleFileError` listing every problem as ``path:line:column: reason``.
    """
    rules, problems = _load(text, path)
    problems.extend(_duplicates(rules))
    if problems:
        raise RuleFileError(problems)
    return rules


def _duplicates(rules: Sequence[RuleSpec]) -> list[str]:
    problems: list[str] = []
    seen_codes: dict[str, RuleSpec] = {}
    seen_names: dict[str, RuleSpec] = {}
    for rule in rules:
        if rule.code in seen_codes:
            problems.append(
                f"{rule.source}: code {rule.code} is already used at {seen_codes[rule.code].source}"
            )
        else:
            seen_codes[rule.code] = rule
        if rule.name in seen_names:
            problems.append(
                f"{rule.source}: name {rule.name} is already used at {seen_names[rule.name].source}"
            )
        else:
            seen_names[rule.name] = rule
    return problems


def _at(path: str, position: Position) -> str:
    return f"{path}:{position[0]}:{position[1]}"


def _load(text: str, path: str) -> tuple[list[RuleSpec], list[str]]:
    try:
        document, problems = read_plain_yaml(text, path)
    except RuleFileError as error:
        return [], list(error.problems)
    if not isinstance(document, Marked):
        where = document.mark if isinstance(document, MarkedList) else (1, 1)
        return [], [*problems, f"{_at(path, where)}: a rule file is a mapping with a 'rules' list"]
    for key in document:
        if key not in _FILE_KEYS:
            problems.append(
                f"{_at(path, document.marks[key])}: unknown top-level key {shown(key)}"
                " (expected: version, rules)"
            )
    version = document.get("version", 1)
    if type(version) is not int or version != 1:
        problems.append(
            f"{_at(path, document.marks['version'])}: unsupported rule file version"
            f" {shown(version)} (expected 1)"
        )
    entries = document.get("rules")
    if not isinstance(entries, MarkedList):
        where = document.marks.get("rules", document.mark)
        return [], [*problems, f"{_at(path, where)}: 'rules' must be a list of rules"]
    rules: list[RuleSpec] = []
    budget = _PatternBudget()
    for entry, position in zip(entries, entries.marks, strict=True):
        if not isinstance(entry, Marked):
            problems.append(
                f"{_at(path, position)}: every entry under 'rules' must be a mapping,"
                f" got {shown(entry)}"
            )
            continue
        rule, rule_problems = _rule(_Entry(entry, path, budget))
        problems.extend(rule_problems)
        if rule is not None:
            rules.append(rule)
    return rules, problems


class _PatternBudget:
    """How many characters of regular expressions the rest of a file may still give."""

    def __init__(self) -> None:
        self.left = MAX_PATTERN_CHARACTERS_PER_FILE

    def spend(self, value: object) -> bool:
        """Whether ``value`` (a pattern or a list of them) fits; if it does, it is spent."""
        items = value if isinstance(value, list) else [value]
        size = sum(len(item) for item in items if isinstance(item, str))
        if size > self.left:
            return False
        self.left -= size
        return True


class _Entry:
    """One rule's mapping and the places of its keys' values, for messages."""

    def __init__(self, values: Marked, path: str, budget: _PatternBudget) -> None:
        self.values = values
        self.path = path
        self.budget = budget

    def at(self, key: str) -> str:
        """Where ``key``'s value stands, or the rule itself if it has no such key."""
        return _at(self.path, self.values.marks.get(key, self.values.mark))


def _rule(entry: _Entry) -> tuple[RuleSpec | None, list[str]]:
    values = entry.values
    unknown_keys = [
        f"{entry.at(key)}: unknown key {shown(key)}"
        f" (expected one of: {', '.join(sorted(_RULE_KEYS))})"
        for key in values
        if key not in _RULE_KEYS
    ]
    problems = _missing_strings(entry)
    if problems:
        return None, [*unknown_keys, *problems]
    problems.extend(unknown_keys)
    category, severity, identity_problems = _identity(entry)
    problems.extend(identity_problems)
    check = values["check"]
    kind = CHECKS.get(check)
    params: dict[str, Any] = {}
    if kind is None:
        problems.append(
            f"{entry.at('check')}: unknown check kind {shown(check)}"
            f" (known: {', '.join(sorted(CHECKS))})"
        )
    else:
        params, param_problems = _params(entry, kind)
        problems.extend(param_problems)
        problems.extend(
            f"{entry.at('message')}: {problem}"
            for problem in _template_problems(values["message"], kind.fields)
        )
    groups = values.get("groups") or []
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and _GROUP.match(g) for g in groups
    ):
        problems.append(f"{entry.at('groups')}: 'groups' must be a list of lower-case names")
        groups = []
    examples, example_problems = _examples(values.get("examples"), entry)
    problems.extend(example_problems)
    if problems or category is None or severity is None:
        return None, problems
    raw_params = values.get("params") or {}
    return (
        RuleSpec(
            code=values["code"],
            name=values["name"],
            category=category,
            severity=severity,
            check=check,
            params=params,
            raw_params=dict(raw_params),
            message=values["message"].strip(),
            rationale=" ".join(values["rationale"].split()),
            groups=tuple(groups),
            examples=examples,
            source=_at(entry.path, values.mark),
        ),
        [],
    )


def _missing_strings(entry: _Entry) -> list[str]:
    problems: list[str] = []
    for key in _REQUIRED:
        if key not in entry.values:
            problems.append(f"{entry.at(key)}: the rule has no {key!r}")
        elif not isinstance(entry.values[key], str) or not entry.values[key].strip():
            problems.append(f"{entry.at(key)}: {key!r} must be a non-empty string")
    return problems


def _identity(entry: _Entry) -> tuple[Category | None, Severity | None, list[str]]:
    """The rule's code, name, category and severity checked; its category and severity."""
    values = entry.values
    code, name = values["code"], values["name"]
    problems: list[str] = []
    if not _CODE.match(code):
        problems.append(
            f"{entry.at('code')}: code {shown(code)} must be 2-4 capital letters and 3 digits,"
            " e.g. AR101"
        )
    if not _NAME.match(name):
        problems.append(
            f"{entry.at('name')}: name {shown(name)} must be dotted lower_snake_case,"
            " e.g. arithmetic.unit_sum"
        )
    try:
        category: Category | None = Category(values["category"])
    except ValueError:
        category = None
        choices = ", ".join(c.value for c in Category)
        problems.append(
            f"{entry.at('category')}: category {shown(values['category'])} is not one of {choices}"
        )
    if category is not None and _NAME.match(name) and name.split(".", 1)[0] != category.value:
        problems.append(
            f"{entry.at('name')}: name {shown(name)} must start with its category,"
            f" {category.value + '.'!r}"
        )
    try:
        severity: Severity | None = Severity(values["severity"])
    except ValueError:
        severity = None
        problems.append(
            f"{entry.at('severity')}: severity {shown(values['severity'])}"
            " is not one of error, warning, info"
        )
    return category, severity, problems


def _params(entry: _Entry, kind: type[CheckKind]) -> tuple[dict[str, Any], list[str]]:
    """The check kind's parameters converted from the rule's ``params`` (defaults filled in)."""
    raw = entry.values.get("params")
    if raw is None:
        raw = Marked()
        raw.mark, raw.marks = entry.values.mark, {}
    if not isinstance(raw, Marked):
        return {}, [f"{entry.at('params')}: 'params' must be a mapping of parameter names"]

    def at(key: str) -> str:
        return _at(entry.path, raw.marks.get(key, raw.mark))

    problems: list[str] = []
    for key in raw:
        if key not in kind.parameters:
            known = ", ".join(sorted(kind.parameters)) or "none"
            problems.append(
                f"{at(key)}: {kind.name} has no parameter {shown(key)} (known: {known})"
            )
    params: dict[str, Any] = {}
    for key, param in kind.parameters.items():
        value = raw.get(key, param.default)
        if param.kind in _PATTERN_KINDS and not entry.budget.spend(value):
            problems.append(
                f"{at(key)}: parameter {key!r}: the file's regular expressions come to more than"
                f" {MAX_PATTERN_CHARACTERS_PER_FILE:,} characters; split its rules over several"
                " files"
            )
            continue
        try:
            params[key] = param.convert(value)
        except ParamError as error:
            problems.append(f"{at(key)}: parameter {key!r}: {error}")
    return params, problems


def _template_problems(template: str, fields: frozenset[str]) -> list[str]:
    """Templates may only name fields the check provides, as plain ``{name}``.

    No attribute or index access, no conversion (``!r``) and no format spec (``:d``,
    ``:>300000000``): a spec can fail on the value a check supplies, or build a string of any
    size, when the message is rendered. Literal braces are written ``{{`` and ``}}``.
    """
    allowed = fields | COMMON_FIELDS
    problems: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        return [f"message template is malformed: {error}"]
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            problems.append(
                f"message field {{{field}}} must be a plain name (no attributes, no indexing)"
            )
        elif field not in allowed:
            problems.append(
                f"message field {{{field}}} is not provided"
                f" (available: {', '.join(sorted(allowed))})"
            )
        if conversion or spec:
            written = "{" + field + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            problems.append(
                f"message field {shown(written)[1:-1]} may not use conversions or format specs"
                f" (write {{{field}}})"
            )
    return problems


def _examples(raw: object, entry: _Entry) -> tuple[tuple[RuleExample, ...], list[str]]:
    where = entry.at("examples")
    if raw is None:
        return (), []
    if not isinstance(raw, MarkedList):
        return (), [f"{where}: 'examples' must be a list"]
    examples: list[RuleExample] = []
    problems: list[str] = []
    for item, position in zip(raw, raw.marks, strict=True):
        here = _at(entry.path, position)
        if not isinstance(item, Marked):
            problems.append(f"{here}: every example must be a mapping with 'fail' or 'pass'")
            continue
        kinds = [kind for kind in ("fail", "pass") if kind in item]
        if len(kinds) != 1 or set(item) - _EXAMPLE_KEYS:
            problems.append(
                f"{here}: an example has exactly one of 'fail' or 'pass'"
                " (and optional 'lines', 'note', 'bytes', 'pdf')"
            )
            continue
        kind = kinds[0]
        table, lines, note = item[kind], item.get("lines", []), item.get("note", "")
        if (
            not isinstance(table, str)
            or not isinstance(lines, list)
            or not all(type(n) is int and n >= 1 for n in lines)
            or not isinstance(note, str)
        ):
            problems.append(
                f"{here}: an example's table is a string, its 'lines' a list of line numbers"
                " and its 'note' a string"
            )
            continue
        if kind == "fail" and not lines:
            problems.append(f"{here}: a failing example must list the 'lines' where findings start")
            continue
        raw_bytes = item.get("bytes", False)
        if not isinstance(raw_bytes, bool):
            problems.append(f"{here}: an example's 'bytes' is true or false")
            continue
        pdf = item.get("pdf", False)
        if not isinstance(pdf, bool):
            problems.append(f"{here}: an example's 'pdf' is true or false")
            continue
        examples.append(RuleExample(kind, table, tuple(lines), note, raw_bytes=raw_bytes, pdf=pdf))
    return tuple(examples), problems
