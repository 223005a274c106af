"""`faborite fmt` and `faborite lint` end to end, as a user runs them.

The first case runs child processes; the others call the same entry point in this process
(tests/conftest.py's run_cli_in_process): what they check is what the commands print and return.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, run_cli_in_process


def test_fmt_check_fails_until_fmt_has_run(demo: Path) -> None:
    stg = demo / "models" / "staging" / "stg_orders.sql"
    stg.write_text(stg.read_text() + "{% if false %}\n{% endif %}\n")  # control flow: skipped, not an error
    check = run_cli("fmt", "--check", cwd=demo)
    assert check.code == 1, check.output
    assert "would reformat models/marts/customers.sql (fingerprint changes" in check.stdout
    assert "skipped models/staging/stg_orders.sql: Jinja control flow" in check.stdout
    assert "5 files would be reformatted, 3 files unchanged, 1 file skipped" in check.stdout

    done = run_cli("fmt", cwd=demo)
    assert done.code == 0 and "formatted models/marts/customers.sql" in done.stdout, done.output
    assert "skipped" not in done.stdout.split("\n")[0]
    assert run_cli("fmt", "--check", cwd=demo).code == 0
    verbose = run_cli("fmt", "--check", "-v", cwd=demo)
    assert verbose.code == 0 and "unchanged models/marts/orders.sql" in verbose.stdout
    assert run_cli("validate", cwd=demo).code == 0


def test_lint_reports_findings_and_exits_1(demo: Path) -> None:
    result = run_cli_in_process("lint", cwd=demo)
    assert result.code == 1
    assert result.stdout.startswith("models/marts/schema.yml:18: FAB004 model 'daily_revenue' has no checks\n  hint: ")
    data = json.loads(run_cli_in_process("lint", "--json", cwd=demo).stdout)
    assert [f["code"] for f in data["findings"]] == ["FAB004"] and data["disabled"] == []


def test_lint_with_the_rule_disabled_exits_0(demo: Path) -> None:
    config = demo / "faborite.yml"
    config.write_text(config.read_text() + "lint: {disable: [FAB004]}\n")
    result = run_cli_in_process("lint", cwd=demo)
    assert result.code == 0 and "no findings" in result.stdout, result.output


def test_fmt_and_lint_report_compile_errors_without_a_traceback(demo: Path) -> None:
    (demo / "models" / "bad.sql").write_text("select * from {{ ref('nope') }}\n")
    for command in ("fmt", "lint"):
        result = run_cli_in_process(command, cwd=demo)
        assert result.code == 1 and "models/bad.sql:1: ref('nope')" in result.stderr, result.output
        assert "Traceback" not in result.output
