"""Counts agree with their nouns ("1 seed", "2 seeds"); an unknown node gets one best suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_in_process, write


@pytest.mark.parametrize("count, word, expected", [
    (0, "row", "0 rows"), (1, "row", "1 row"), (2, "row", "2 rows"), (1, "relation", "1 relation"),
    (-1, "row", "-1 rows"), (1, "match", "1 match"), (2, "match", "2 matchs"),
])
def test_plural(count: int, word: str, expected: str) -> None:
    from faborite.output import plural

    assert plural(count, word) == expected


def test_plural_with_an_irregular_form() -> None:
    from faborite.output import plural

    assert plural(2, "match", "matches") == "2 matches" and plural(1, "match", "matches") == "1 match"


def _run(capsys, project: Path, *args: str):
    result = run_in_process(capsys, "--no-color", "--project-dir", str(project), *args)
    assert result.code == 0, result.output
    return result.out


def test_counts_of_one_are_singular(capsys, tiny: Path) -> None:
    assert _run(capsys, tiny, "validate").strip() == "ok: 2 nodes (1 model, 1 seed)"
    assert _run(capsys, tiny, "compile").strip() == "compiled 2 nodes -> .faborite/manifest.json"
    _run(capsys, tiny, "apply", "--auto-approve")
    listed = _run(capsys, tiny, "state", "list")
    assert "1 row" in listed and "1 rows" not in listed
    assert _run(capsys, tiny, "query", "select 1 as x").strip().endswith("(1 row)")
    assert _run(capsys, tiny, "query", "select 1 as x union all select 2").strip().endswith("(2 rows)")
    assert _run(capsys, tiny, "query", "select 1 as x union all select 2", "--limit", "1").strip().endswith(
        "(2 rows, first 1 shown)")

    write(tiny, "models/m.sql", "{{ config(materialized='table') }}\nselect id, 2 as two from {{ ref('s') }}\n")
    _run(capsys, tiny, "apply", "--auto-approve")
    dry = _run(capsys, tiny, "gc", "--keep", "1", "--dry-run")
    assert "; dropping 1 relation:" in dry, dry
    assert _run(capsys, tiny, "gc", "--keep", "1", "--auto-approve").strip().endswith("Dropped 1 relation.")


def test_validate_counts_a_source(capsys, tiny: Path) -> None:
    write(tiny, "sources/raw.yml", "sources:\n  - name: raw\n    tables:\n      - name: t\n")
    assert _run(capsys, tiny, "validate").strip() == "ok: 3 nodes (1 model, 1 seed, 1 source)"


def test_compile_unknown_node_suggests_the_best_match(capsys, demo: Path) -> None:
    result = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "compile", "stg_order")
    assert result.code == 1
    assert result.err.splitlines() == ["error: no node named 'stg_order'", "  hint: did you mean 'stg_orders'?"]
