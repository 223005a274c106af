"""apply, rollback and sync through the CLI tell the `notify:` webhooks, success or failure."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from faborite import __version__
from tests.cli.conftest import run_in_process, write
from tests.notify.conftest import Receiver

HOOK = "notify:\n  - url_env: FABORITE_TEST_HOOK\n"


def _project(root: Path, notify: str = HOOK, model: str = "select id from {{ ref('s') }}") -> Path:
    write(root, "faborite.yml", "name: hooked\ntargets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n"
          + notify)
    write(root, "seeds/s.csv", "id\n1\n2\n")
    write(root, "models/m.sql", "{{ config(materialized='table') }}\n" + model + "\n")
    return root


@pytest.fixture
def hooked(tmp_path: Path, monkeypatch, receiver: Receiver) -> Path:
    monkeypatch.setenv("FABORITE_TEST_HOOK", receiver.url)
    root = _project(tmp_path / "p")
    monkeypatch.chdir(root)
    return root


def test_apply_posts_a_summary(capsys, hooked: Path, receiver: Receiver) -> None:
    result = run_in_process(capsys, "apply", "--auto-approve")
    assert result.code == 0, result.output
    [request] = receiver.requests
    assert request.path == "/hooks/T0KEN-s3cr3t"
    assert request.headers["Content-Type"] == "application/json"
    body = request.body
    assert body["format_version"] == 1
    assert (body["operation"], body["status"], body["project"], body["target"]) == ("apply", "succeeded", "hooked", "dev")
    assert (body["serial_before"], body["serial_after"]) == (None, 1)
    assert body["environment"] == "prod"  # the default environment, by its name
    assert body["counts"] == {"changes": 2, "built": 2, "reused": 0, "failed": 0, "skipped": 0, "deferred": 0}
    assert {(n["id"], n["action"], n["outcome"]) for n in body["nodes"]} == {
        ("seed.s", "create", "built"), ("model.m", "create", "built")}
    assert body["nodes_omitted"] == 0 and body["error"] is None
    assert body["faborite_version"] == __version__ and body["who"] and body["duration_seconds"] >= 0
    assert receiver.url not in result.output


def test_rollback_posts_a_summary(capsys, hooked: Path, receiver: Receiver) -> None:
    assert run_in_process(capsys, "apply", "--auto-approve").code == 0
    write(hooked, "models/m.sql", "{{ config(materialized='table') }}\nselect id * 10 as id from {{ ref('s') }}\n")
    assert run_in_process(capsys, "apply", "--auto-approve").code == 0
    result = run_in_process(capsys, "rollback", "--auto-approve")
    assert result.code == 0, result.output
    body = receiver.requests[-1].body
    assert (body["operation"], body["status"], body["serial_before"], body["serial_after"]) == ("rollback", "succeeded", 2, 3)
    assert body["counts"] == {"changes": 1, "moved": 1, "restored": 0, "removed": 0}
    assert body["nodes"] == [{"id": "model.m", "action": "moved", "outcome": "published"}]
    assert [r.body["operation"] for r in receiver.requests] == ["apply", "apply", "rollback"]


def test_an_environment_is_named_in_the_summary(capsys, hooked: Path, receiver: Receiver) -> None:
    assert run_in_process(capsys, "apply", "--auto-approve").code == 0
    assert run_in_process(capsys, "apply", "--env", "dev", "--auto-approve").code == 0
    write(hooked, "models/m.sql", "{{ config(materialized='table') }}\nselect id * 10 as id from {{ ref('s') }}\n")
    assert run_in_process(capsys, "apply", "--env", "dev", "--auto-approve").code == 0
    assert run_in_process(capsys, "rollback", "--env", "dev", "--auto-approve").code == 0
    assert [(r.body["operation"], r.body["environment"]) for r in receiver.requests] == [
        ("apply", "prod"), ("apply", "dev"), ("apply", "dev"), ("rollback", "dev")]


def test_a_failed_apply_posts_a_failure(capsys, tmp_path: Path, monkeypatch, receiver: Receiver) -> None:
    monkeypatch.setenv("FABORITE_TEST_HOOK", receiver.url)
    root = _project(tmp_path / "p", model="select cast(null as integer) as id")
    write(root, "models/m.yml", "models:\n  - name: m\n    columns:\n      - name: id\n        checks: [not_null]\n")
    monkeypatch.chdir(root)
    result = run_in_process(capsys, "apply", "--auto-approve")
    assert result.code == 1, result.output
    [request] = receiver.requests
    body = request.body
    assert (body["operation"], body["status"], body["serial_after"]) == ("apply", "failed", None)
    assert "not_null" in body["error"]
    assert {n["outcome"] for n in body["nodes"]} == {"not_published"}


def test_an_unreachable_webhook_warns_and_the_apply_succeeds(capsys, tmp_path: Path, monkeypatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T0KEN-s3cr3t?key=hush"
    monkeypatch.setenv("FABORITE_TEST_HOOK", url)
    root = _project(tmp_path / "p")
    monkeypatch.chdir(root)
    result = run_in_process(capsys, "apply", "--auto-approve")
    assert result.code == 0, result.output
    assert "webhook from $FABORITE_TEST_HOOK was not delivered" in result.err
    assert "the apply itself is not affected" in result.err
    for secret in ("T0KEN", "hush", f":{port}"):
        assert secret not in result.output
    assert "Apply complete!" in result.out
    # Nor in anything faborite wrote (state, manifest, caches).
    for path in (root / ".faborite").rglob("*"):
        if path.is_file():
            assert b"T0KEN" not in path.read_bytes(), path


def test_the_python_api_logs_webhook_warnings(tmp_path: Path, monkeypatch, caplog) -> None:
    from faborite import Workspace

    monkeypatch.delenv("FABORITE_TEST_HOOK", raising=False)
    ws = Workspace(root=_project(tmp_path / "p"))
    with caplog.at_level("WARNING", logger="faborite"):
        ws.apply(ws.plan())
    assert caplog.messages == ["webhook from $FABORITE_TEST_HOOK not sent: FABORITE_TEST_HOOK is not set"]


def test_a_webhook_only_hears_the_operations_it_asked_for(capsys, tmp_path: Path, monkeypatch,
                                                          receiver: Receiver) -> None:
    monkeypatch.setenv("FABORITE_TEST_HOOK", receiver.url)
    monkeypatch.setenv("FABORITE_TEST_AUTH", "Bearer abc")
    notify = ("    notify:\n      - url_env: FABORITE_TEST_HOOK\n        on: [rollback]\n"
              "        headers_env: {Authorization: FABORITE_TEST_AUTH}\n")
    monkeypatch.chdir(_project(tmp_path / "p", notify=notify))  # under targets.dev: that target's webhooks
    assert run_in_process(capsys, "apply", "--auto-approve").code == 0
    assert receiver.requests == []
    write(tmp_path / "p", "models/m.sql", "{{ config(materialized='table') }}\nselect 2 as id\n")
    # id goes from BIGINT (the seed's) to INTEGER: a retyped column, so the flag is needed.
    assert run_in_process(capsys, "apply", "--auto-approve", "--allow-destructive").code == 0
    assert run_in_process(capsys, "rollback", "--auto-approve").code == 0
    [request] = receiver.requests
    assert request.body["operation"] == "rollback"
    assert request.headers["Authorization"] == "Bearer abc"


def test_sync_posts_a_summary(capsys, tmp_path: Path, monkeypatch, receiver: Receiver) -> None:
    root = tmp_path / "p"
    (root / "lake").mkdir(parents=True)
    write_deltalake(str(root / "lake/events"), pa.table({"id": list(range(20))}))
    write(root, "faborite.yml", "name: synced\n" + HOOK)
    write(root, "sources/lake.yml", "sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    write(root, "syncs/s.yml", "syncs:\n  - name: s\n    from: lake\n    tables: ['*']\n")
    monkeypatch.setenv("FABORITE_TEST_HOOK", receiver.url)
    monkeypatch.chdir(root)
    result = run_in_process(capsys, "sync", "--auto-approve")
    assert result.code == 0, result.output
    [request] = receiver.requests
    body = request.body
    assert (body["operation"], body["status"], body["serial_after"]) == ("sync", "succeeded", 1)
    assert body["nodes"] == [{"id": "sync.s.events", "action": "create", "outcome": "built"}]
