"""Azure Blob state on Azurite: the conformance suite, the pointer's roll-forward, and a killed holder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from faborite.providers.azure_blob_state import AzureBlobStateBackend, AzureBlobStateFactory, AzureBlobStateSettings
from faborite.state.file_format import dumps
from tests.azurite import WELL_KNOWN_KEY

from .conformance import SAFETY_NET_SECONDS, StateBackendConformance, closing_clients, first_state, make_event

pytestmark = pytest.mark.service

#: The shortest lease Azure allows: a killed holder's lock frees this long after its last renewal.
SHORT_LEASE = 15


@pytest.fixture
def container(azurite):  # noqa: F811
    name = f"state-{uuid.uuid4().hex[:12]}"
    azurite.create_container(name)
    return name


def _backend(azurite, container, lease_seconds=60):  # noqa: F811
    client = azurite.blob_service().get_container_client(container)
    return AzureBlobStateBackend(client, prefix="ci/states", name="dev", lease_seconds=lease_seconds)


class TestAzureBlobStateBackend(StateBackendConformance):
    @pytest.fixture
    def make_backend(self, azurite, container):  # noqa: F811
        with closing_clients(lambda: _backend(azurite, container)) as make:
            yield make


def test_layout_and_pointer(azurite, container):  # noqa: F811
    backend = _backend(azurite, container)
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.write(s1.next(nodes={}, event=make_event(), faborite_version="0.1.0"), expected_serial=1)
    client = azurite.blob_service().get_container_client(container)
    names = sorted(b.name for b in client.list_blobs())
    assert names == ["ci/states/dev/latest.json", "ci/states/dev/serial-000001.json",
                     "ci/states/dev/serial-000002.json"]
    assert json.loads(client.download_blob("ci/states/dev/latest.json").readall()) == {"serial": 2}
    assert client.download_blob("ci/states/dev/serial-000001.json").readall() == dumps(s1)
    backend.close()


def test_a_serial_written_past_the_pointer_is_read_and_the_pointer_repaired(azurite, container):  # noqa: F811
    # A writer killed after creating serial 2 but before moving latest.json: serial 2 exists, so it is the state.
    backend = _backend(azurite, container)
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    s2 = s1.next(nodes={}, event=make_event(), faborite_version="0.1.0")
    client = azurite.blob_service().get_container_client(container)
    client.upload_blob("ci/states/dev/serial-000002.json", dumps(s2))
    assert backend.read() == s2
    assert json.loads(client.download_blob("ci/states/dev/latest.json").readall()) == {"serial": 2}
    late = s1.next(nodes={}, event=make_event(), faborite_version="0.1.0")
    with pytest.raises(Exception, match="state changed: expected serial 1, found serial 2"):
        backend.write(late, expected_serial=1)
    backend.close()


def test_factory_with_a_connection_string_from_the_environment(azurite, container, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FABORITE_TEST_BLOB", azurite.connection_string())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.cert_path))  # Azurite's self-signed certificate
    settings = AzureBlobStateSettings.model_validate({
        "url": f"{azurite.account_url()}/{container}/team", "auth": "connection_string",
        "credential_env": "FABORITE_TEST_BLOB"})
    backend = AzureBlobStateFactory().open(settings, target_name="dev")
    backend.write(first_state(), expected_serial=None)
    assert [h.serial for h in _backend_at(azurite, container, "team").history()] == [1]
    assert azurite.connection_string() not in repr(backend)
    backend.close()


def _backend_at(azurite, container, prefix):  # noqa: F811
    return AzureBlobStateBackend(azurite.blob_service().get_container_client(container), prefix=prefix, name="dev")


def _killed_holder(azurite, container, host: str | None) -> str:  # noqa: F811
    """Run a process that takes the lock (holder host faked when given) and is killed; its lock ID."""
    fake = f"LockInfo.new = classmethod(lambda cls, op, _n=LockInfo.new.__func__: _n(cls, op).model_copy(" \
           f"update={{'host': {host!r}}}))" if host else ""
    child = textwrap.dedent(f"""
        import os
        from azure.storage.blob import BlobServiceClient
        from faborite.providers.azure_blob_state import AzureBlobStateBackend
        from faborite.state.lock import LockInfo
        {fake}
        service = BlobServiceClient({azurite.account_url()!r}, connection_verify={str(azurite.cert_path)!r},
                                    credential={{"account_name": "devstoreaccount1",
                                                 "account_key": {WELL_KNOWN_KEY!r}}})
        b = AzureBlobStateBackend(service.get_container_client({container!r}), prefix="ci/states", name="dev",
                                  lease_seconds={SHORT_LEASE})
        print(b.lock("apply").id, flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=SAFETY_NET_SECONDS)
    assert proc.stdout.strip(), proc.stderr
    return proc.stdout.strip()


def test_a_killed_holder_on_this_host_is_taken_over_at_once(azurite, container):  # noqa: F811
    dead_id = _killed_holder(azurite, container, None)
    backend = _backend(azurite, container)
    assert backend.lock_info().id == dead_id  # its lease has not expired yet
    mine = backend.lock("apply")
    assert backend.taken_over is not None and backend.taken_over.id == dead_id
    assert backend.lock_info() == mine
    backend.unlock(mine.id)
    backend.close()


def test_a_killed_holder_elsewhere_is_refused_until_its_lease_expires(azurite, container):  # noqa: F811
    from faborite.errors import LockError

    dead_id = _killed_holder(azurite, container, "elsewhere")
    backend = _backend(azurite, container)
    with pytest.raises(LockError, match="elsewhere"):
        backend.lock("apply")  # not provably dead: another host's pid cannot be probed
    # Nobody renews its lease any more: poll until the lease has expired (at most SHORT_LEASE s;
    # the safety net only stops a hang).
    deadline = time.monotonic() + SAFETY_NET_SECONDS
    while backend.lock_info() is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    mine = backend.lock("apply")
    assert backend.taken_over is not None and backend.taken_over.id == dead_id
    backend.unlock(mine.id)
    backend.close()


def test_a_project_applies_plans_and_migrates_with_its_state_in_blob_storage(capsys, tmp_path, azurite, container,
                                                                             monkeypatch):  # noqa: F811
    from tests.cli.conftest import run_in_process, write

    monkeypatch.setenv("FABORITE_TEST_BLOB", azurite.connection_string())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.cert_path))
    block = (f"{{type: azure_blob, url: '{azurite.account_url()}/{container}/ci', auth: connection_string, "
             "credential_env: FABORITE_TEST_BLOB}")
    root = tmp_path / "p"
    write(root, "faborite.yml", "name: tiny\ntargets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n")
    write(root, "seeds/s.csv", "id\n1\n")
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id from {{ ref('s') }}\n")

    def cli(*args):
        return run_in_process(capsys, "--no-color", "--project-dir", str(root), *args)

    assert cli("apply", "--auto-approve").code == 0
    moved = cli("state", "migrate", "--to", block, "--auto-approve")
    assert moved.code == 0, moved.err
    write(root, "faborite.yml", "name: tiny\ntargets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n"
                                f"    state: {block}\n")
    assert "No changes" in cli("plan").out
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id, 2 as two from {{ ref('s') }}\n")
    applied = cli("apply", "--auto-approve", "--lock-timeout", "30s")
    assert applied.code == 0, applied.err
    history = _backend_at(azurite, container, "ci").history()
    assert [h.serial for h in history] == [1, 2] and history[1].event.operation == "apply"
    assert azurite.connection_string() not in applied.output + moved.output


def test_a_wrong_account_key_is_one_error_naming_the_auth_not_the_key(azurite, container, monkeypatch):  # noqa: F811
    from faborite.errors import ProviderError

    wrong = "d3Jvbmcga2V5" * 7
    monkeypatch.setenv("FABORITE_TEST_KEY", wrong)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.cert_path))
    settings = AzureBlobStateSettings.model_validate({
        "url": f"{azurite.account_url()}/{container}/team", "auth": "account_key", "credential_env": "FABORITE_TEST_KEY"})
    backend = AzureBlobStateFactory().open(settings, target_name="dev")
    with pytest.raises(ProviderError, match="refused access to the state at .*/team/dev \\(auth 'account_key'\\)") as caught:
        backend.read()
    assert "FABORITE_TEST_KEY" in caught.value.hint and wrong not in caught.value.message
    backend.close()
