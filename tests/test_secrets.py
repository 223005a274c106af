"""Secrets stay out of everything faborite writes and prints (docs/secrets.md).

A secret is planted where a source legitimately reads one (the environment),
the real CLI runs every command that reads, writes or shows things (validate,
plan -out, show, apply, sync, sources list, query, state, compile, gc) plus
failing connections with ``--debug``, and then every file under the project
(``.faborite/`` included: state, manifest, caches, the database) and every
captured stdout/stderr is searched for the secret and for SHA-256 digests of
it and of the variables that carry it (an unsalted digest of a secret lets
anyone confirm a guess).
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import uuid
from pathlib import Path

import pytest

from faborite.providers.sqlalchemy import SqlSourceConfig
from tests.conftest import CliResult, run_cli, run_cli_in_process

#: Lower-case letters and digits only, so no quoting or URL encoding can disguise it.
SECRET = "s3cr3t" + uuid.uuid4().hex
#: The FABORITE_SECRET_ prefix: templates cannot read it with env_var() (docs/secrets.md).
URL_VAR = "FABORITE_SECRET_CRM_URL"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Session:
    """Runs the CLI with the planted environment and keeps every output.

    ``in_process`` runs each command in this process (:func:`run_cli_in_process`: what a child
    would print, tracebacks, log records and warnings included, at a fraction of the start-up);
    the Fabric case keeps real child processes, so one case still sees exactly what a user's
    process prints.
    """

    def __init__(self, env: dict[str, str], *, in_process: bool = False) -> None:
        self.env = env
        self.run = run_cli_in_process if in_process else run_cli
        self.runs: list[tuple[tuple[str, ...], CliResult]] = []

    def __call__(self, *args: str, cwd: Path, ok: bool, env: dict[str, str] | None = None) -> CliResult:
        result = self.run(*args, cwd=cwd, env={**self.env, **(env or {})})
        self.runs.append((args, result))
        assert (result.code in (0, 2)) == ok, (args, result.output)
        return result


def _assert_nowhere(roots: list[Path], session: Session, planted: list[str]) -> int:
    """No file under ``roots`` and no output holds the secret or a digest; returns how many files were read."""
    needles = {"the secret": SECRET, "sha256(secret)": _sha(SECRET)}
    needles.update({f"sha256 of a planted value ({value[:12]}...)": _sha(value) for value in planted})
    leaks: list[str] = []
    files = 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            files += 1
            data = path.read_bytes()
            leaks += [f"{path}: {label}" for label, needle in needles.items() if needle.encode() in data]
    for args, result in session.runs:
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            leaks += [f"faborite {' '.join(args)} ({stream}): {label}" for label, needle in needles.items()
                      if needle in text]
    assert not leaks, "secret leaked:\n" + "\n".join(leaks)
    return files


def _crm_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as con:
        con.execute("create table contacts (id integer primary key, name text, updated_at text)")
        con.executemany("insert into contacts values (?, ?, ?)",
                        [(i, f"name {i}", f"2024-01-{i:02d}") for i in range(1, 21)])


def test_a_sql_source_url_from_the_environment_is_stored_and_shown_nowhere(demo: Path) -> None:
    root = demo
    _crm_database(root / "data" / "crm.db")
    (root / "sources" / "crm.yml").parent.mkdir(exist_ok=True)
    (root / "sources" / "crm.yml").write_text(f"sources:\n  - name: crm\n    type: sql\n    url_env: {URL_VAR}\n")
    (root / "syncs").mkdir(exist_ok=True)
    (root / "syncs" / "crm.yml").write_text("syncs:\n  - name: crm_copy\n    from: crm\n    tables: [contacts]\n")
    # SQLite is the only driver installed, and takes no password: the credential rides in the
    # query string, where drivers take one too (libpq's ?password=, pyodbc's odbc_connect=...;PWD=).
    good = f"sqlite:///{root / 'data' / 'crm.db'}?password={SECRET}"
    unreachable = f"sqlite:///{root / 'no' / 'such' / 'dir' / 'crm.db'}?password={SECRET}"
    with_userinfo = f"postgresql://alice:{SECRET}@127.0.0.1:9/crm"  # no postgres driver here: fails to connect
    cli = Session({URL_VAR: good}, in_process=True)

    cli("validate", cwd=root, ok=True)
    cli("plan", "-out", "plan.json", cwd=root, ok=True)
    cli("show", "plan.json", cwd=root, ok=True)
    cli("show", "plan.json", "--json", cwd=root, ok=True)
    # A connection that fails during apply, then one that works.
    cli("apply", "plan.json", cwd=root, ok=False, env={URL_VAR: unreachable})
    cli("apply", "--auto-approve", cwd=root, ok=True)
    cli("sources", "list", "crm", cwd=root, ok=True)
    listed = cli("sources", "list", "crm", "--json", cwd=root, ok=True)
    cli("sync", "--auto-approve", cwd=root, ok=True)
    rows = json.loads(cli("query", "select count(*) as n from contacts", "--json", cwd=root, ok=True).stdout)
    assert rows == [{"n": 20}]  # the source really was read through the planted URL
    cli("state", "list", cwd=root, ok=True)
    cli("state", "list", "--json", cwd=root, ok=True)
    cli("state", "history", cwd=root, ok=True)
    cli("state", "history", "--json", cwd=root, ok=True)
    cli("plan", "--json", cwd=root, ok=True)
    cli("compile", cwd=root, ok=True)
    cli("gc", "--dry-run", cwd=root, ok=True)
    # Failing connections, with tracebacks.
    cli("--debug", "plan", cwd=root, ok=False, env={URL_VAR: with_userinfo})
    cli("--debug", "sources", "list", "crm", cwd=root, ok=False, env={URL_VAR: unreachable})
    # A template cannot read the variable at all.
    model = root / "models" / "leak.sql"
    model.write_text(f"select '{{{{ env_var('{URL_VAR}') }}}}' as url\n")
    refused = cli("validate", cwd=root, ok=False)
    assert f"env_var('{URL_VAR}'): secret variables cannot be used in SQL" in refused.stderr
    model.unlink()

    # The places a leak would land were written (so the scan below is not vacuous) ...
    faborite = root / ".faborite"
    for written in ("state/dev/serial-000001.json", "manifest.json", "cache/sources.json", "dev.duckdb"):
        assert (faborite / written).is_file(), written
    assert list((faborite / "cache").glob("compile-*.json")) and (root / "plan.json").is_file()
    # ... the secret is nowhere ...
    assert _assert_nowhere([root], cli, [good, unreachable, with_userinfo]) >= 10
    # ... and the source's location is shown with the credential masked.
    assert "password=***" in listed.stdout and "password=***" in (faborite / "cache/sources.json").read_text()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_service_principal_secret_stays_out_of_a_failed_fabric_login(tmp_path: Path) -> None:
    root = tmp_path / "fabric"
    (root / "sources").mkdir(parents=True)
    (root / "syncs").mkdir()
    (root / "faborite.yml").write_text("name: lakehouse_copy\n")
    (root / "sources" / "lh.yml").write_text(
        "sources:\n  - {name: lh, type: fabric, workspace: Contoso, lakehouse: Sales, auth: service_principal}\n")
    (root / "syncs" / "s.yml").write_text("syncs:\n  - {name: s, from: lh, tables: [orders]}\n")
    # Every HTTPS request goes to a closed local port: the login fails here, offline, and no
    # secret is ever sent anywhere.
    proxy = f"http://127.0.0.1:{_closed_port()}"
    cli = Session({"AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000001",
                   "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000002", "AZURE_CLIENT_SECRET": SECRET,
                   "HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""})

    for args in (("validate",), ("--debug", "plan")):  # both read the source's tables: a login
        failed = cli(*args, cwd=root, ok=False)
        assert "auth 'service_principal'" in failed.stderr, failed.output
    _assert_nowhere([root], cli, [])


def test_a_url_with_a_credential_in_its_query_string_is_refused_in_a_source_file() -> None:
    for url in (f"postgresql://db.example.com/crm?password={SECRET}",
                f"postgresql://db.example.com/crm?sslpassword={SECRET}",
                f"mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BSERVER%3Ddb%3BPWD%3D{SECRET}",
                f"postgresql://alice:{SECRET}@db.example.com/crm"):
        with pytest.raises(ValueError, match="'url:' must not hold credentials") as info:
            SqlSourceConfig(name="crm", type="sql", url=url)
        assert SECRET not in str(info.value.errors(include_input=False)), url
    assert SqlSourceConfig(name="crm", type="sql", url="postgresql://db.example.com/crm?sslmode=require").url


def test_a_target_password_from_the_environment_stays_out_of_every_command(demo: Path) -> None:
    # A PostgreSQL target whose server is not there: every command that connects fails,
    # and its errors (with tracebacks under --debug) must not carry the password.
    text = (demo / "faborite.yml").read_text()
    (demo / "faborite.yml").write_text(text.replace("targets:\n", (
        "targets:\n  pg:\n    type: postgres\n    host: 127.0.0.1\n"
        f"    port: {_closed_port()}\n    user: alice\n    dbname: shop\n"
        "    password: \"{{ env_var('FABORITE_TEST_PG_PASSWORD') }}\"\n"
        # State kept locally (not in the absent server) so that plan works without it.
        "    state: {type: local}\n"), 1))
    cli = Session({"FABORITE_TEST_PG_PASSWORD": SECRET}, in_process=True)

    cli("validate", "--target", "pg", cwd=demo, ok=True)
    cli("compile", "--target", "pg", cwd=demo, ok=True)
    cli("plan", "--target", "pg", "--refresh=false", "-out", "plan.json", cwd=demo, ok=True)
    cli("show", "plan.json", "--json", cwd=demo, ok=True)
    cli("plan", "--target", "pg", cwd=demo, ok=True)  # no state yet: nothing to look at in the target
    for args in (("apply", "--target", "pg", "--auto-approve"), ("--debug", "apply", "--target", "pg", "plan.json"),
                 ("debug", "--target", "pg"),
                 ("debug", "--target", "pg", "--json")):
        failed = cli(*args, cwd=demo, ok=False)
        assert "127.0.0.1" in failed.output or "connection" in failed.output.lower(), failed.output
    # Without the variable, compile still works (it never reads the password) ...
    cli("validate", "--target", "pg", cwd=demo, ok=True, env={"FABORITE_TEST_PG_PASSWORD": ""})
    _assert_nowhere([demo], cli, [])
