"""The CLI goes through faborite.api: its modules import nothing else from faborite's core.

Allowed, and why:

- ``faborite`` (the package itself): ``__version__`` for ``--version``;
- ``faborite.api``: every piece of work (compile, plan, apply, state, plan files and views);
- ``faborite.errors``: the CLI raises ``FaboriteError`` for its own refusals (no terminal to confirm on);
- ``faborite.output``, ``faborite.progress``: presentation (rich text, JSON, the live apply display);
- ``faborite.atomic_file``: an I/O primitive with no domain knowledge, for files the user asked for
  (``state pull -o FILE``);
- ``faborite.duration``: parsing what people type (``--lock-timeout 5m``), no domain knowledge;
- ``faborite.cli`` and ``faborite.cli_*``: the CLI's own modules.

Anything else (``faborite.plan.*``, ``faborite.apply.*``, ``faborite.state.*``, ``faborite.compiler.*``,
...) is work the Python API should offer too: add a function or method to faborite/api.py and call that.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import faborite

PACKAGE = Path(faborite.__file__).parent
ALLOWED = {"faborite", "faborite.api", "faborite.errors", "faborite.output", "faborite.progress",
           "faborite.atomic_file", "faborite.duration", "faborite.cli"}
CLI_MODULES = sorted(PACKAGE.glob("cli*.py"))


def _faborite_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.level or module == "faborite" or module.startswith("faborite."):
                found.append((node.lineno, module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names
                      if alias.name == "faborite" or alias.name.startswith("faborite.")]
    return found


def test_there_are_cli_modules() -> None:
    assert {p.name for p in CLI_MODULES} >= {"cli.py", "cli_state.py"}


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: p.name)
def test_cli_imports_only_the_api_and_presentation(path: Path) -> None:
    bad = [f"{path.name}:{line}: {module}" for line, module in _faborite_imports(path)
           if module not in ALLOWED and not module.startswith("faborite.cli_")]
    assert not bad, ("the CLI must go through faborite.api (add what it needs there): " + "; ".join(bad))


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "cli_sample.py"
    sample.write_text("def f():\n    from faborite.plan.planfile import load_plan\n    import faborite.state\n")
    assert _faborite_imports(sample) == [(2, "faborite.plan.planfile"), (3, "faborite.state")]
