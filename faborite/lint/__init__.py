"""``faborite lint``: likely mistakes, each with a rule code, file:line, message and hint.

Rules are computed from the compiled manifest and located in the raw files.
:data:`RULES` lists them in code order; each family lives in its own module
(:mod:`rules_sql`, :mod:`rules_usage`, :mod:`rules_models`, :mod:`rules_yaml`). ``lint: {disable:
[FAB004]}`` in faborite.yml turns rules off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.lint.finding import Finding, LintContext, LintReport, Rule
from faborite.lint.rules_models import models_without_checks, refs_to_deprecated
from faborite.lint.rules_sql import ambiguous_join_columns, select_star_from_source
from faborite.lint.rules_usage import unused_macros, unused_sources
from faborite.lint.rules_yaml import yaml_key_order

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest
    from faborite.config.loader import Project


#: Every rule, in code order (docs/commands/lint.md lists them the same way).
RULES = (
    Rule("FAB001", "select-star-from-source", select_star_from_source),
    Rule("FAB002", "unused-source", unused_sources),
    Rule("FAB003", "unused-macro", unused_macros),
    Rule("FAB004", "model-without-checks", models_without_checks),
    Rule("FAB005", "ambiguous-join-column", ambiguous_join_columns),
    Rule("FAB006", "ref-to-deprecated-model", refs_to_deprecated),
    Rule("FAB007", "yaml-key-order", yaml_key_order),
)
RULE_NAMES = {rule.code: rule.name for rule in RULES}


def lint_project(project: "Project", manifest: "Manifest") -> LintReport:
    """Run every rule not disabled in faborite.yml; findings sorted by file and line."""
    from faborite.errors import ConfigError
    from faborite.compiler.jinja import best_match_hint

    disabled = project.config.lint.disable
    for code in disabled:
        if code not in RULE_NAMES:
            raise ConfigError(f"lint.disable: no rule {code!r}", file="faborite.yml",
                              line=project.config_line("lint", "disable"),
                              hint=best_match_hint(code, RULE_NAMES) or f"rules: {', '.join(RULE_NAMES)}")
    ctx = LintContext(project=project, manifest=manifest)
    findings = [f for rule in RULES if rule.code not in disabled for f in rule.check(ctx)]
    findings.sort(key=lambda f: (f.file or "", f.line or 0, f.code))
    return LintReport(findings=tuple(findings), disabled=tuple(disabled))


__all__ = ["Finding", "LintReport", "RULES", "RULE_NAMES", "lint_project"]
