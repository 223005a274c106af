"""The warm parser: a forked child that imports sqlglot beside a plan, answers exactly what the
in-process functions return, and never stands in the way (any failure: the caller does the work)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from faborite.compiler import warm_parser
from tests.cli.conftest import run_in_process
from tests.config.projects import edit, proj  # noqa: F401 - proj: fixture

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the warm parser forks on Linux only")

SQL = "select id, sum(amount) * 2 as amount from orders group by id"
WIDER_SQL = "select id, sum(amount) * 2 as amount, 1 as one from orders group by id"


def _fresh_python(body: str) -> dict:
    """Run ``body`` in a new interpreter (sqlglot not yet imported, one thread, as the command is);
    it prints one JSON object, returned here."""
    script = textwrap.dedent("""
        import json, os, sys
        from faborite.compiler import warm_parser
        warm_parser.allow()
    """) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_answers_as_the_functions_do_without_sqlglot_here() -> None:
    found = _fresh_python(f"""
        warm_parser.start("duckdb")
        child = warm_parser._current
        analysis = warm_parser.ask("analyze", {SQL!r}, "duckdb", "models/m.sql", 0)
        verdicts = [warm_parser.ask("categorize", {SQL!r}, {WIDER_SQL!r}, "duckdb"),
                    warm_parser.ask("categorize", {WIDER_SQL!r}, {SQL!r}, "duckdb")]
        here = "sqlglot" in sys.modules
        fds = sorted(os.readlink(f"/proc/{{child.pid}}/fd/{{fd}}") for fd in os.listdir(f"/proc/{{child.pid}}/fd"))
        warm_parser.stop()
        try:
            os.waitpid(child.pid, 0)
            reaped = False
        except ChildProcessError:
            reaped = True
        print(json.dumps({{"analysis": analysis.to_json(), "verdicts": verdicts, "sqlglot_here": here,
                           "fds": fds, "reaped": reaped}}))
    """)
    from faborite.compiler.analysis import analyze_sql
    from faborite.plan.categorize import categorize_sql

    assert found["analysis"] == analyze_sql(SQL, "duckdb", file="models/m.sql").to_json()
    assert found["verdicts"] == [categorize_sql(SQL, WIDER_SQL, "duckdb"), categorize_sql(WIDER_SQL, SQL, "duckdb")]
    assert found["verdicts"] == ["non-breaking", "breaking"]
    assert not found["sqlglot_here"], "the parser was imported in the child only"
    # The child holds /dev/null and its two pipes: not the parent's output, files or locks.
    assert found["fds"][:3] == ["/dev/null"] * 3 and len(found["fds"]) == 5
    assert all(fd.startswith("pipe:") for fd in found["fds"][3:])
    assert found["reaped"], "stop() kills and reaps the child"


def test_an_error_is_raised_here_the_usual_way() -> None:
    found = _fresh_python("""
        from faborite.errors import CompileError
        from faborite.compiler.analysis import analyze_sql
        warm_parser.start("duckdb")
        answer = warm_parser.ask("analyze", "select from where", "duckdb", "models/bad.sql", 2)
        running = warm_parser._current is not None
        try:
            analyze_sql("select from where", "duckdb", file="models/bad.sql", line_offset=2)
            error = None
        except CompileError as exc:
            error = exc.location
        print(json.dumps({"answer": answer, "running": running, "error": error}))
    """)
    assert found["answer"] is None and not found["running"], "a failed answer stops the child"
    assert found["error"].startswith("models/bad.sql:")


def test_a_dead_child_means_the_work_is_done_here() -> None:
    found = _fresh_python(f"""
        import signal
        warm_parser.start("duckdb")
        os.kill(warm_parser._current.pid, signal.SIGKILL)
        answer = warm_parser.ask("analyze", {SQL!r}, "duckdb", "models/m.sql", 0)
        from faborite.compiler.analysis import analyze_sql
        print(json.dumps({{"answer": answer, "running": warm_parser._current is not None,
                           "here": analyze_sql({SQL!r}, "duckdb", file="models/m.sql").output_columns}}))
    """)
    assert found == {"answer": None, "running": False, "here": ["id", "amount"]}


def test_not_started_where_it_cannot_help_or_is_not_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "sqlglot" in sys.modules  # this test process imported it: nothing to gain
    monkeypatch.setattr(warm_parser, "_allowed", True)
    warm_parser.start("duckdb")
    assert warm_parser._current is None
    monkeypatch.setattr(warm_parser, "_allowed", False)
    monkeypatch.setattr(warm_parser, "_worthwhile", lambda: True)
    warm_parser.start("duckdb")
    assert warm_parser._current is None, "only the faborite command allows it"
    assert warm_parser.ask("analyze", SQL, "duckdb", "m.sql", 0) is None


def test_a_plan_through_the_command_equals_the_plan_in_process(proj: Path, capsys: pytest.CaptureFixture,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command (warm parser on) and the in-process CLI (off) print the same plan after an edit."""
    monkeypatch.chdir(proj)
    assert run_in_process(capsys, "apply", "--auto-approve").code == 0
    run_in_process(capsys, "plan", "--refresh=false")  # the compile cache holds the applied project
    edit(proj, "models/staging/stg_orders.sql", "status,", "status, 1 as one,")
    # The command's own entry point, with the warm parser's log on stderr.
    script = ("import logging, sys; logging.basicConfig(level=logging.DEBUG, format='%(name)s: %(message)s');"
              "sys.argv = ['faborite', 'plan', '--refresh=false', '--no-color'];"
              "from faborite.cli import console_main; console_main()")
    command = subprocess.run([sys.executable, "-c", script], cwd=proj, capture_output=True, text=True, timeout=120)
    in_process = run_in_process(capsys, "plan", "--refresh=false", "--no-color")
    assert command.returncode == in_process.code == 0, command.stderr
    assert "warm parser started" in command.stderr and "warm parser gave no answer" not in command.stderr
    assert "[non-breaking]" in command.stdout and "1 to replace" in command.stdout
    assert command.stdout == in_process.out
