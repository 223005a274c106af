"""``plan --state FILE`` plans with every target unreachable and no credentials set: a pull
request from a fork has no secrets, and its runner cannot reach the warehouse.

The PostgreSQL and MySQL targets point at closed ports and keep their state in the target
(their default), and the password variables are unset. The state file is the one ``state
pull`` writes; it is recorded here on DuckDB under the same schema (no server needed) and
named for the target, so the offline plan must find the project unchanged.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from faborite.plan.planfile import load_plan
from tests.apply.helpers import apply, edit, workspace

SERVER_TARGETS = """\
  pg:
    type: postgres
    host: 127.0.0.1
    port: {port}
    user: deployer
    password: "{{{{ env_var('PR_FLOW_PG_PASSWORD') }}}}"
    dbname: warehouse
    schema: main
  my:
    type: mysql
    host: 127.0.0.1
    port: {port}
    user: deployer
    password: "{{{{ env_var('PR_FLOW_MYSQL_PASSWORD') }}}}"
    database: main
"""


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def offline(demo: Path, tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """The demo with unreachable pg and my targets, and a pulled state file for each."""
    apply(demo)
    pulled = workspace(demo).pull_state()
    config = demo / "faborite.yml"
    config.write_text(config.read_text().replace("targets:\n", "targets:\n" + SERVER_TARGETS.format(
        port=_closed_port()), 1))
    files = {}
    for target in ("pg", "my"):
        state = json.loads(pulled)
        state["target"] = target
        files[target] = tmp_path / f"{target}-state.json"
        files[target].write_text(json.dumps(state))
    return demo, files


def _no_credentials() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MYSQL", "PR_FLOW_"))}
    assert "PR_FLOW_PG_PASSWORD" not in env
    return env


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None):
    # run_cli merges its env into os.environ: pass a full environment without the variables.
    proc = subprocess.run([sys.executable, "-m", "faborite", "--no-color", *args], cwd=cwd, text=True,
                          capture_output=True, env={**_no_credentials(), "COLUMNS": "200", **(env or {})},
                          timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("target", ["pg", "my"])
def test_plan_against_a_state_file_needs_no_connection_and_no_credentials(offline, target: str) -> None:
    root, files = offline
    code, output = _run("plan", "-t", target, "--state", str(files[target]), "-out", "plan.json", cwd=root)
    assert code == 0, output
    assert "No changes." in output and "Saved the plan to plan.json" in output
    saved = load_plan(root / "plan.json")
    state = json.loads(files[target].read_text())
    assert (saved.target, saved.lineage, saved.serial) == (target, state["lineage"], state["serial"])
    assert saved.inputs is not None and "models/marts/customers.sql" in saved.inputs.files
    assert not saved.refreshed

    edit(root / "models/marts/customers.sql", "as order_count", "as orders_placed")
    code, output = _run("plan", "-t", target, "--state", str(files[target]), "--detailed-exitcode", cwd=root)
    assert code == 2, output
    assert "customers  replace" in output


@pytest.mark.parametrize("target", ["pg", "my"])
def test_without_the_state_file_the_closed_port_is_a_clear_error(offline, target: str) -> None:
    root, _ = offline
    variable = {"pg": "PR_FLOW_PG_PASSWORD", "my": "PR_FLOW_MYSQL_PASSWORD"}[target]
    code, output = _run("plan", "-t", target, cwd=root)
    assert code == 1 and "Traceback" not in output, output
    assert f"environment variable {variable} is not set" in output, output  # the state needs a login
    code, output = _run("plan", "-t", target, cwd=root, env={variable: "s3cret"})
    assert code == 1 and "Traceback" not in output and "s3cret" not in output, output
    assert output.startswith("error:") and "connect" in output.lower(), output


def test_a_state_file_of_another_target_is_refused(offline) -> None:
    root, files = offline
    code, output = _run("plan", "-t", "my", "--state", str(files["pg"]), cwd=root)
    assert code == 1 and "is the state of target 'pg', not 'my'" in output and "--target pg" in output, output


def test_a_missing_or_broken_state_file_is_a_clear_error(offline, tmp_path: Path) -> None:
    root, _ = offline
    code, output = _run("plan", "-t", "pg", "--state", str(tmp_path / "nope.json"), cwd=root)
    assert code == 1 and "cannot read state file" in output and "faborite state pull -o FILE" in output, output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, output = _run("plan", "-t", "pg", "--state", str(broken), cwd=root)
    assert code == 1 and "is not valid JSON" in output and "Traceback" not in output, output
