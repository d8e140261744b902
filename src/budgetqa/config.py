"""The ``[tool.budgetqa]`` table of a pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs

from budgetqa.errors import ConfigError

__all__ = ["Config", "find_pyproject", "load_config", "split_tokens"]

_KEYS = {
    "select", "ignore", "rules", "severity", "tolerance", "fail-on", "paths", "max-bytes",
    "rule-budget", "profiles",
}  # fmt: skip


@attrs.frozen
class Config:
    """Settings from ``[tool.budgetqa]``; paths in it are relative to the pyproject.toml."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rules: tuple[Path, ...] = ()
    #: Table profile files or folders that add to (or replace) the shipped profiles.
    profiles: tuple[Path, ...] = ()
    severity: dict[str, str] = attrs.field(factory=dict)
    #: Largest difference a sum rule accepts, by rule (``{"AR102": "0.05"}``).
    tolerance: dict[str, str] = attrs.field(factory=dict)
    fail_on: str | None = None
    paths: tuple[Path, ...] = ()
    #: Bytes read from one input at most (``max-bytes``: a number or ``"64M"``); None: the default.
    max_bytes: int | None = None
    #: Seconds each rule's pattern searches may take on one document (``rule-budget``).
    rule_budget: float | None = None
    source: Path | None = None


def split_tokens(values: list[str]) -> list[str]:
    """Rule selectors given as repeated and/or comma-separated options, as one list."""
    return [token.strip() for value in values for token in value.split(",") if token.strip()]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _strings(value: object, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: [tool.budgetqa] {key} must be a string or a list of strings")
    return tuple(value)


def _seconds(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            f"{where}: [tool.budgetqa] rule-budget must be a number of seconds above 0"
        )
    return float(value)


def load_config(start: Path | None = None) -> Config:
    """Read ``[tool.budgetqa]`` from the nearest pyproject.toml (an empty Config if none)."""
    pyproject = find_pyproject((start or Path.cwd()).resolve())
    if pyproject is None:
        return Config()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read: {error}") from None
    table = data.get("tool", {}).get("budgetqa")
    if table is None:
        return Config(source=pyproject)
    where = str(pyproject)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.budgetqa] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: [tool.budgetqa] has unknown keys {', '.join(unknown)}"
            f" (known: {', '.join(sorted(_KEYS))})"
        )
    severity = table.get("severity", {})
    if not isinstance(severity, dict) or not all(isinstance(v, str) for v in severity.values()):
        raise ConfigError(
            f"{where}: [tool.budgetqa] severity must map rule codes or names to error/warning/info"
        )
    tolerance = table.get("tolerance", {})
    if not isinstance(tolerance, dict) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in tolerance.values()
    ):
        raise ConfigError(
            f"{where}: [tool.budgetqa] tolerance must map rule codes or names to amounts written"
            ' as strings, e.g. AR102 = "0.05"'
        )
    fail_on = table.get("fail-on")
    if fail_on is not None and fail_on not in {"error", "warning", "info", "never"}:
        raise ConfigError(f"{where}: [tool.budgetqa] fail-on must be error, warning, info or never")
    max_bytes = table.get("max-bytes")
    if max_bytes is not None:
        from budgetqa.inputs import parse_size  # here: reading a config stays light

        try:
            max_bytes = parse_size(max_bytes)
        except ValueError as error:
            raise ConfigError(
                f"{where}: [tool.budgetqa] max-bytes must be a size in bytes such as 268435456"
                f' or "256M" ({error})'
            ) from None
    base = pyproject.parent
    return Config(
        select=_strings(table.get("select", []), "select", where),
        ignore=_strings(table.get("ignore", []), "ignore", where),
        rules=tuple(base / item for item in _strings(table.get("rules", []), "rules", where)),
        profiles=tuple(
            base / item for item in _strings(table.get("profiles", []), "profiles", where)
        ),
        severity=dict(severity),
        tolerance={key: str(value) for key, value in tolerance.items()},
        fail_on=fail_on,
        paths=tuple(base / item for item in _strings(table.get("paths", []), "paths", where)),
        max_bytes=max_bytes,
        rule_budget=_seconds(table.get("rule-budget"), where),
        source=pyproject,
    )
