"""Loading rule files: safe YAML, validated against the check kinds, every problem at once.

Only plain YAML is accepted (``yaml.SafeLoader``: no tags that build objects or run code). A
rule file that fails validation raises one :class:`~budgetqa.errors.RuleFileError` listing every
problem as ``path:line:column: what is wrong``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import regex
import yaml

from budgetqa.checks import CHECKS
from budgetqa.checks.base import COMMON_FIELDS, ParamError
from budgetqa.errors import RuleFileError
from budgetqa.findings import Category, Severity
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


class _Marked(dict[Any, Any]):
    """A mapping that remembers where it and each of its values stood in the file."""

    mark: tuple[int, int] = (1, 1)
    marks: dict[Any, tuple[int, int]]


class _Loader(yaml.SafeLoader):
    duplicate_keys: list[tuple[str, int, int]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Marked:
    loader.flatten_mapping(node)
    result = _Marked()
    result.mark = (node.start_mark.line + 1, node.start_mark.column + 1)
    result.marks = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicate_keys.append(
                (str(key), key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.marks[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
    duplicate-code and duplicate-name checks.
    """
    problems: list[str] = []
    rules: list[RuleSpec] = []
    for path in _expand(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: cannot read rule file: {error}")
            continue
        loaded, file_problems = _load(text, str(path))
        rules.extend(loaded)
        problems.extend(file_problems)
    problems.extend(_duplicates([*known, *rules]))
    if problems:
        raise RuleFileError(problems)
    return rules


def load_rules_text(text: str, path: str = "<rules>") -> list[RuleSpec]:
    """Load rules from YAML text (for tests and notebooks)."""
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


def _load(text: str, path: str) -> tuple[list[RuleSpec], list[str]]:
    try:
        loader = _Loader(text)  # checks the characters first
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        return [], [
            f"{path}:{line}:{column}: invalid YAML: character U+{error.character:04X} "
            "is not allowed in a YAML file"
        ]
    loader.duplicate_keys = []
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        reason = " ".join(filter(None, [error.context, error.problem]))
        if "could not determine a constructor" in reason:
            reason = f"{reason} (only plain YAML is allowed: tags that build objects are refused)"
        return [], [f"{where}: invalid YAML: {reason}"]
    except yaml.YAMLError as error:
        return [], [f"{path}: invalid YAML: {error}"]
    finally:
        loader.dispose()
    problems = [
        f"{path}:{line}:{column}: duplicate key {key!r}"
        for key, line, column in loader.duplicate_keys
    ]
    if not isinstance(document, _Marked):
        return [], [*problems, f"{path}:1:1: a rule file is a mapping with a 'rules' list"]
    for key in document:
        if key not in _FILE_KEYS:
            line, column = document.marks[key]
            problems.append(
                f"{path}:{line}:{column}: unknown top-level key {key!r} (expected: version, rules)"
            )
    if document.get("version", 1) != 1:
        line, column = document.marks["version"]
        problems.append(
            f"{path}:{line}:{column}: unsupported rule file version"
            f" {document['version']!r} (expected 1)"
        )
    entries = document.get("rules")
    if not isinstance(entries, list):
        line, column = document.marks.get("rules", document.mark)
        return [], [*problems, f"{path}:{line}:{column}: 'rules' must be a list of rules"]
    rules: list[RuleSpec] = []
    for entry in entries:
        rule, rule_problems = _rule(entry, path)
        problems.extend(rule_problems)
        if rule is not None:
            rules.append(rule)
    return rules, problems


def _rule(entry: object, path: str) -> tuple[RuleSpec | None, list[str]]:
    if not isinstance(entry, _Marked):
        return None, [f"{path}: every entry under 'rules' must be a mapping, got {entry!r}"]
    problems: list[str] = []

    def at(key: str) -> str:
        line, column = entry.marks.get(key, entry.mark)
        return f"{path}:{line}:{column}"

    unknown_keys: list[str] = []
    for key in entry:
        if key not in _RULE_KEYS:
            unknown_keys.append(
                f"{at(key)}: unknown key {key!r} (expected one of: {', '.join(sorted(_RULE_KEYS))})"
            )
    for key in _REQUIRED:
        if key not in entry:
            problems.append(f"{at(key)}: the rule has no {key!r}")
        elif not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{at(key)}: {key!r} must be a non-empty string")
    if problems:
        return None, [*unknown_keys, *problems]
    problems.extend(unknown_keys)

    code, name, check = entry["code"], entry["name"], entry["check"]
    if not _CODE.match(code):
        problems.append(
            f"{at('code')}: code {code!r} must be 2-4 capital letters and 3 digits, e.g. AR101"
        )
    if not _NAME.match(name):
        problems.append(
            f"{at('name')}: name {name!r} must be dotted lower_snake_case, e.g. arithmetic.unit_sum"
        )
    try:
        category = Category(entry["category"])
    except ValueError:
        category = None
        choices = ", ".join(c.value for c in Category)
        problems.append(f"{at('category')}: category {entry['category']!r} is not one of {choices}")
    if category is not None and _NAME.match(name) and name.split(".", 1)[0] != category.value:
        problems.append(
            f"{at('name')}: name {name!r} must start with its category, {category.value + '.'!r}"
        )
    try:
        severity = Severity(entry["severity"])
    except ValueError:
        severity = None
        problems.append(
            f"{at('severity')}: severity {entry['severity']!r} is not one of error, warning, info"
        )

    kind = CHECKS.get(check)
    params: dict[str, Any] = {}
    raw_params = entry.get("params") or {}
    if kind is None:
        problems.append(
            f"{at('check')}: unknown check kind {check!r} (known: {', '.join(sorted(CHECKS))})"
        )
    elif not isinstance(raw_params, Mapping):
        problems.append(f"{at('params')}: 'params' must be a mapping")
    else:
        for key in raw_params:
            if key not in kind.parameters:
                known = ", ".join(sorted(kind.parameters)) or "none"
                problems.append(
                    f"{_param_at(raw_params, key, path)}: {check} has no parameter {key!r}"
                    f" (known: {known})"
                )
        for key, param in kind.parameters.items():
            try:
                params[key] = param.convert(raw_params.get(key, param.default))
            except ParamError as error:
                problems.append(f"{_param_at(raw_params, key, path)}: parameter {key!r}: {error}")
        problems.extend(
            f"{at('message')}: {problem}"
            for problem in _template_problems(entry["message"], kind.fields)
        )

    groups = entry.get("groups") or []
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and _GROUP.match(g) for g in groups
    ):
        problems.append(f"{at('groups')}: 'groups' must be a list of lower-case names")
        groups = []
    examples, example_problems = _examples(entry.get("examples") or [], at("examples"))
    problems.extend(example_problems)
    if problems or category is None or severity is None:
        return None, problems
    line, column = entry.mark
    return (
        RuleSpec(
            code=code,
            name=name,
            category=category,
            severity=severity,
            check=check,
            params=params,
            raw_params=dict(raw_params),
            message=entry["message"].strip(),
            rationale=" ".join(entry["rationale"].split()),
            groups=tuple(groups),
            examples=examples,
            source=f"{path}:{line}:{column}",
        ),
        [],
    )


def _param_at(raw_params: object, key: str, path: str) -> str:
    if isinstance(raw_params, _Marked) and key in raw_params.marks:
        line, column = raw_params.marks[key]
        return f"{path}:{line}:{column}"
    if isinstance(raw_params, _Marked):
        return f"{path}:{raw_params.mark[0]}:{raw_params.mark[1]}"
    return path


def _template_problems(template: str, fields: frozenset[str]) -> list[str]:
    """Templates may only name fields the check provides, with no attribute or index access."""
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
        if conversion or (spec and "{" in spec):
            problems.append(f"message field {{{field}}} may not use conversions or nested fields")
    return problems


def _examples(raw: object, where: str) -> tuple[tuple[RuleExample, ...], list[str]]:
    if not isinstance(raw, list):
        return (), [f"{where}: 'examples' must be a list"]
    examples: list[RuleExample] = []
    problems: list[str] = []
    for item in raw:
        if not isinstance(item, _Marked):
            problems.append(f"{where}: every example must be a mapping with 'fail' or 'pass'")
            continue
        here = f"{where.rsplit(':', 2)[0]}:{item.mark[0]}:{item.mark[1]}"
        kinds = [kind for kind in ("fail", "pass") if kind in item]
        unknown = set(item) - {"fail", "pass", "lines", "note", "bytes"}
        if len(kinds) != 1 or unknown:
            problems.append(
                f"{here}: an example has exactly one of 'fail' or 'pass'"
                " (and optional 'lines', 'note', 'bytes')"
            )
            continue
        kind = kinds[0]
        table = item[kind]
        lines = item.get("lines", [])
        if (
            not isinstance(table, str)
            or not isinstance(lines, list)
            or not all(isinstance(n, int) for n in lines)
        ):
            problems.append(
                f"{here}: an example's table is a string and its 'lines' a list of line numbers"
            )
            continue
        if kind == "fail" and not lines:
            problems.append(f"{here}: a failing example must list the 'lines' where findings start")
            continue
        raw_bytes = item.get("bytes", False)
        if not isinstance(raw_bytes, bool):
            problems.append(f"{here}: an example's 'bytes' is true or false")
            continue
        examples.append(
            RuleExample(kind, table, tuple(lines), str(item.get("note", "")), raw_bytes=raw_bytes)
        )
    return tuple(examples), problems
