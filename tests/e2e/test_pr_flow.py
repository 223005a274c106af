"""Issue 10, the pull-request flow, through the real CLI with a throwaway PostgreSQL target
that keeps its state in the target (its default):

1. main applied once (serial 1);
2. a branch edits a model; CI pulls the state (with credentials), plans against the file
   with *no* credentials, saves the plan, validates its JSON against docs/plan-schema.json
   and renders the Markdown comment;
3. after merge, ``apply plan.bin`` (with credentials) applies exactly that plan;
4. a plan made before another apply is refused as stale, the same file applied twice too;
5. a plan whose project files were edited after planning is refused, naming the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from faborite.api import init_project
from tests.apply.helpers import edit
from tests.conftest import run_cli_in_process
from tests.postgres import PostgresServer

pytestmark = pytest.mark.service

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "plan-schema.json").read_text())
PASSWORD_VAR = "PR_FLOW_PG_PASSWORD"
#: What a CI job with secrets has in PASSWORD_VAR (the throwaway server trusts every local login).
CI_PASSWORD = "not-needed-by-trust-auth"
PG_TARGET = """\
  pg:
    type: postgres
    host: {host}
    port: {port}
    user: {user}
    password: "{{{{ env_var('{var}') }}}}"
    dbname: {dbname}
    schema: analytics
"""


@pytest.fixture
def project(tmp_path: Path, postgres: PostgresServer, pg_database: str) -> Path:  # noqa: F811
    root = init_project(tmp_path / "repo")
    config = root / "faborite.yml"
    block = PG_TARGET.format(host=postgres.host, port=postgres.port, user=postgres.user, dbname=pg_database,
                             var=PASSWORD_VAR)
    text = config.read_text().replace("\ntarget: dev", "\ntarget: pg", 1)
    config.write_text(text.replace("targets:\n", "targets:\n" + block, 1))
    return root


def faborite(*args: str, cwd: Path, secrets: bool, ok: bool = True) -> tuple[str, str]:
    """Run the CLI as a CI job would: with the password variable (``secrets``) or without any."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", PASSWORD_VAR))}
    if secrets:
        env[PASSWORD_VAR] = CI_PASSWORD
    proc = subprocess.run([sys.executable, "-m", "faborite", "--no-color", *args], cwd=cwd, text=True,
                          capture_output=True, env={**env, "COLUMNS": "200"}, timeout=300)
    assert (proc.returncode in (0, 2)) == ok, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout, proc.stderr


def serial(root: Path) -> int:
    """The state's serial, read as a CI job with secrets would (in this process: it is a check of the
    flow, not a step of it, and a child costs ~0.5 s of start-up)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("PG", PASSWORD_VAR))}
    result = run_cli_in_process("state", "history", "--json", cwd=root,
                                env={**env, PASSWORD_VAR: CI_PASSWORD})
    assert result.code == 0 and "Traceback" not in result.stderr, result.output
    return json.loads(result.stdout)[-1]["serial"]


def test_pull_plan_offline_review_apply_and_refuse_stale_plans(project: Path, tmp_path: Path) -> None:
    root = project
    faborite("apply", "--auto-approve", cwd=root, secrets=True)
    assert serial(root) == 1

    # -- the pull request: state pulled with secrets, plan made without any --------------------
    edit(root / "models/marts/customers.sql", "as order_count", "as orders_placed")
    faborite("state", "pull", "-o", "s.json", cwd=root, secrets=True)
    out, _ = faborite("plan", "--state", "s.json", "-out", "plan.bin", "--detailed-exitcode", cwd=root,
                      secrets=False)
    assert "Saved the plan to plan.bin" in out and "customers  replace" in out
    shown = json.loads(faborite("show", "--json", "plan.bin", cwd=root, secrets=False)[0])
    jsonschema.Draft202012Validator(SCHEMA).validate(shown)
    assert shown["serial"] == 1 and not shown["refreshed"] and shown["files_hash"]
    replaced = {c["address"] for c in shown["resource_changes"] if c["action"] == "replace"}
    assert "model.customers" in replaced
    comment, _ = faborite("show", "--markdown", "plan.bin", cwd=root, secrets=False)
    assert comment.startswith("<!-- faborite-plan:pg -->\n### faborite plan for `pg`:")
    assert "Destructive changes" in comment and "<details><summary>SQL diff: customers" in comment
    assert "Against state serial 1" in comment

    assert "column order_count dropped" in comment

    # -- merged: apply exactly the reviewed plan; it drops a column, so CI says it may --------------
    _, err = faborite("apply", "plan.bin", cwd=root, secrets=True, ok=False)
    assert "refusing destructive changes without --allow-destructive" in err and serial(root) == 1
    out, _ = faborite("apply", "plan.bin", "--allow-destructive", cwd=root, secrets=True)
    assert "Apply complete!" in out and f"{len(replaced)} replaced" in out
    assert serial(root) == 2
    rows = json.loads(faborite("query", "select orders_placed from analytics.customers", "--json", cwd=root,
                               secrets=True)[0])
    assert rows and "orders_placed" in rows[0]
    out, _ = faborite("plan", cwd=root, secrets=True)
    assert "No changes." in out

    # -- two plans of one state: the first applied makes the second (and itself) stale ------------
    edit(root / "models/marts/customers.sql", "as orders_placed", "as orders_count")
    faborite("state", "pull", "-o", "s2.json", cwd=root, secrets=True)
    faborite("plan", "--state", "s2.json", "-out", "first.bin", cwd=root, secrets=False)
    faborite("plan", "--state", "s2.json", "-out", "second.bin", cwd=root, secrets=False)
    faborite("apply", "first.bin", "--allow-destructive", cwd=root, secrets=True)
    assert serial(root) == 3
    for stale in ("second.bin", "first.bin"):
        _, err = faborite("apply", stale, cwd=root, secrets=True, ok=False)
        assert "state changed since this plan was made (plan serial 2, state serial 3)" in err, err
        assert "files changed" not in err
    assert serial(root) == 3

    # -- files edited after planning: refused, naming them ---------------------------------------
    faborite("state", "pull", "-o", "s3.json", cwd=root, secrets=True)
    edit(root / "models/marts/customers.sql", "as orders_count", "as n_orders")
    faborite("plan", "--state", "s3.json", "-out", "edited.bin", cwd=root, secrets=False)
    edit(root / "models/staging/stg_orders.sql", "select", "select  ")
    (root / "models/marts/extra.sql").write_text("select 1 as one\n")
    _, err = faborite("apply", "edited.bin", cwd=root, secrets=True, ok=False)
    assert "project files changed since this plan was made: models/marts/extra.sql, " \
           "models/staging/stg_orders.sql" in err, err
    assert "state changed" not in err
    assert serial(root) == 3
