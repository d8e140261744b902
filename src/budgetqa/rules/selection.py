"""Choosing rules by code, name, category or group, and overriding their severities and their
tolerances."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from budgetqa.checks.base import CHECKS, ParamError
from budgetqa.errors import UsageError
from budgetqa.findings import Severity
from budgetqa.rules.spec import RuleSpec

__all__ = ["matches", "select_rules"]


def matches(token: str, rule: RuleSpec) -> bool:
    """Whether ``token`` names ``rule``.

    A token is a code (``AR101``) or code prefix (``AR``, ``AR1``), a dotted name
    (``arithmetic.unit_projects_sum``) or name prefix (``arithmetic``), a category, a group, or
    ``ALL``.
    """
    token = token.strip()
    if token.upper() == "ALL":
        return True
    if token.isupper() or token[:1].isupper():
        return rule.code.startswith(token.upper())
    return (
        token == rule.name
        or rule.name.startswith(token + ".")
        or token == rule.category.value
        or token in rule.groups
    )


def select_rules(
    rules: Sequence[RuleSpec],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity: Mapping[str, str | Severity] | None = None,
    tolerance: Mapping[str, object] | None = None,
) -> list[RuleSpec]:
    """The rules chosen by ``select`` (default: all) minus ``ignore``, with severities and
    tolerances overridden.

    ``tolerance`` maps rule tokens to the largest difference a sum rule accepts, in the
    table's money unit (``{"AR102": "0.05"}``); the table-relation rules also take ``auto``
    (the printed precision times the addends, their default).

    Raises:
        UsageError: a token matches no rule, a severity is not error/warning/info, a rule
            named for a tolerance takes none, or a tolerance is not an amount.
    """
    select_tokens = [token for token in (select or []) if token.strip()]
    ignore_tokens = [token for token in (ignore or []) if token.strip()]
    for option, tokens in (
        ("select", select_tokens),
        ("ignore", ignore_tokens),
        ("severity", list(severity or {})),
        ("tolerance", list(tolerance or {})),
    ):
        for token in tokens:
            if not any(matches(token, rule) for rule in rules):
                raise UsageError(f"{option}: {token!r} matches no rule (see `budgetqa rules`)")
    chosen = [
        rule
        for rule in rules
        if (not select_tokens or any(matches(token, rule) for token in select_tokens))
        and not any(matches(token, rule) for token in ignore_tokens)
    ]
    chosen = _with_tolerances(chosen, tolerance or {})
    if not severity:
        return chosen
    overrides: list[tuple[str, Severity]] = []
    for token, value in severity.items():
        try:
            overrides.append((token, Severity(value)))
        except ValueError:
            raise UsageError(
                f"severity for {token!r}: {value!r} is not error, warning or info"
            ) from None
    result = []
    for rule in chosen:
        for token, level in overrides:
            if matches(token, rule):
                rule = rule.with_severity(level)  # later overrides win
        result.append(rule)
    return result


def _with_tolerances(rules: Sequence[RuleSpec], tolerance: Mapping[str, object]) -> list[RuleSpec]:
    if not tolerance:
        return list(rules)
    result = []
    for rule in rules:
        for token, value in tolerance.items():
            if not matches(token, rule):
                continue
            kind = CHECKS.get(rule.check)
            param = None if kind is None else kind.parameters.get("tolerance")
            if param is None:
                if token.strip().upper() == rule.code:
                    raise UsageError(f"tolerance: {rule.code} ({rule.name}) takes no tolerance")
                continue  # a prefix (AR) or group names sum rules and others alike
            try:
                converted = param.convert(str(value).strip())
            except ParamError as error:
                raise UsageError(f"tolerance for {token!r}: {error}") from None
            if converted is not None and converted < 0:
                raise UsageError(f"tolerance for {token!r}: {value!r} is below 0")
            rule = rule.with_param("tolerance", converted, str(value).strip())
        result.append(rule)
    return result
