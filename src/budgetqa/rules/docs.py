"""Rule documentation generated from the rule files, so the docs cannot drift from the rules.

``python -m budgetqa.rules.docs docs/rules`` writes one page per rule and an index. Each page
runs the rule on its own examples and shows the findings they produce.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from budgetqa.checks import CHECKS
from budgetqa.checks.engine import run_rules
from budgetqa.findings import Finding
from budgetqa.ingest import read_bytes
from budgetqa.rules.loader import load_builtin_rules
from budgetqa.rules.spec import RuleExample, RuleSpec

__all__ = ["example_findings", "render_rule_docs", "rule_page"]


def example_findings(rule: RuleSpec, example: RuleExample) -> list[Finding]:
    """What ``rule`` finds in ``example`` (read as ``example.txt``, or as the pages of
    ``example.pdf`` when the example sketches PDF pages)."""
    if example.pdf:
        from budgetqa.ingest.pdf_synthetic import sketch_pages
        from budgetqa.ingest.pdf_tables import read_pdf_pages

        document = read_pdf_pages("example.pdf", sketch_pages(example.table))
    else:
        document = read_bytes(example.data, name="example.txt")
    return run_rules(document, [rule])


def _pipe_safe(text: str) -> str:
    return text.replace("|", "\\|")


def _code_block(text: str) -> list[str]:
    return ["```text", *text.rstrip("\n").splitlines(), "```"]


def rule_page(rule: RuleSpec) -> str:
    kind = CHECKS[rule.check]
    out = [f"# {rule.code} `{rule.name}`", ""]
    out += [
        "| | |",
        "| --- | --- |",
        f"| category | {rule.category.value} |",
        f"| default severity | {rule.severity.value} |",
        f"| groups | {', '.join(rule.groups) or '—'} |",
        f"| check kind | `{rule.check}` |",
        "",
        "## What it checks",
        "",
        kind.description,
        "",
        *([kind.consecutive.describe(), ""] if kind.consecutive is not None else []),
        "## Why it matters",
        "",
        rule.rationale,
        "",
    ]
    failing = [example for example in rule.examples if example.kind == "fail"]
    passing = [example for example in rule.examples if example.kind == "pass"]
    if failing:
        out += ["## Anti-pattern", ""]
        for example in failing:
            if example.note:
                out += [example.note, ""]
            out += _code_block(example.table)
            out += ["", "Findings:", ""]
            for finding in example_findings(rule, example):
                where = str(finding.location)[len("example.txt:") :]
                out.append(f"- line {where}: {finding.message}")
            out.append("")
    if passing:
        out += ["## Best practice", ""]
        for example in passing:
            if example.note:
                out += [example.note, ""]
            out += _code_block(example.table)
            out.append("")
    out += ["## Options", ""]
    if kind.parameters:
        out += ["| parameter | this rule | default | meaning |", "| --- | --- | --- | --- |"]
        for name, param in kind.parameters.items():
            value = rule.raw_params.get(name, param.default)
            shown = (
                ", ".join(f"`{item}`" for item in value)
                if isinstance(value, list)
                else f"`{value}`"
            )
            default = param.default
            default_shown = (
                ", ".join(f"`{item}`" for item in default)
                if isinstance(default, list)
                else f"`{default}`"
            )
            meaning = param.help + (
                f" (one of {', '.join(param.choices)})" if param.choices else ""
            )
            cells = [f"`{name}`", _pipe_safe(shown), _pipe_safe(default_shown), meaning]
            out.append("| " + " | ".join(cells) + " |")
    else:
        out.append("This check kind has no parameters.")
    out += [
        "",
        "Select or ignore it with `--select`/`--ignore` and its code, name, category or a group; "
        f"change its severity with `--severity {rule.code}=warning`"
        " or in `[tool.budgetqa.severity]`"
        + (
            f"; the difference it accepts with `--tolerance {rule.code}=0.05`"
            " or in `[tool.budgetqa.tolerance]`."
            if "tolerance" in kind.parameters
            else "."
        ),
        "",
        "Message template:",
        "",
        *_code_block(rule.message),
        "",
    ]
    if rule.check == "table_relation":
        out += _relations_section(rule)
    return "\n".join(out)


def _relations_section(rule: RuleSpec) -> list[str]:
    """Every relation of every built-in table profile this rule checks, from the files."""
    from budgetqa.checks.table_relation import relation_group
    from budgetqa.profiles.loader import builtin_profiles

    wanted = rule.params.get("relation", "any")
    rows = [
        f"| {profile.name_zh} (`{profile.kind}`) | `{relation.id}` |"
        f" {_pipe_safe(relation.describe())} |"
        for profile in builtin_profiles().profiles
        for relation in profile.relations
        if wanted in ("any", relation_group(relation))
    ]
    return [
        "## Relations it checks / 检查的关系",
        "",
        "Every relation the built-in table profiles declare that this rule checks"
        " (profiles/*.yaml; a profile of your own adds its relations).",
        "",
        "| table | id | relation |",
        "| --- | --- | --- |",
        *rows,
        "",
    ]


def index_page(rules: Sequence[RuleSpec]) -> str:
    out = [
        "# Rules",
        "",
        "Generated from `rules/*.yaml` by `python -m budgetqa.rules.docs docs/rules`"
        " (`nox -s docs`).",
        "",
        "| code | name | category | severity | what it finds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        summary = rule.rationale.split(". ")[0].rstrip(".") + "."
        out.append(
            f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {rule.category.value}"
            f" | {rule.severity.value} | {summary} |"
        )
    return "\n".join(out) + "\n"


def render_rule_docs(rules: Sequence[RuleSpec] | None = None) -> dict[str, str]:
    """File name → content of every generated page."""
    chosen = list(rules) if rules is not None else load_builtin_rules()
    pages = {f"{rule.code}.md": rule_page(rule) for rule in chosen}
    pages["index.md"] = index_page(chosen)
    return pages


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    target = Path(arguments[0] if arguments else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    pages = render_rule_docs()
    for stale in target.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, content in pages.items():
        (target / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(pages)} pages to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
