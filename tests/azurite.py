"""Azurite (the Azure Storage emulator) for tests: start it, talk to it, stop it.

Its fixture is registered once for every test (tests/conftest.py names this module in
``pytest_plugins``, so each test process starts one server)::

    @pytest.mark.service
    def test_x(azurite): ...

The server:

- runs ``azurite-blob`` from the repo's ``node_modules/.bin`` (``npm install
  azurite``; ``AZURITE_BLOB`` may name another binary), on a free 127.0.0.1
  port with a temporary ``--location``;
- serves HTTPS with a throw-away self-signed certificate and ``--oauth basic``,
  so both shared-key and bearer-token (Entra ID) requests work, and the same
  code that talks to real OneLake (bearer tokens need TLS) runs unchanged;
- has two accounts with the emulator's well-known key: ``devstoreaccount1``
  and ``onelake`` (OneLake's account name, so real
  ``abfss://<ws>@onelake.dfs.fabric.microsoft.com/...`` URLs map onto it).

Without Azurite the fixture skips on a laptop and fails on CI (``CI=true``).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port, skip_or_fail

#: The emulator's published well-known account key.
WELL_KNOWN_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ACCOUNTS = ("devstoreaccount1", "onelake")
REPO_ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = "Azurite not found: run `npm install azurite` in the repo root"


@dataclass(frozen=True)
class Azurite:
    """A running Azurite blob service."""

    host: str
    port: int
    location: Path
    #: PEM of the self-signed certificate it serves (pass as ``connection_verify``).
    cert_path: Path

    def account_url(self, account: str = "devstoreaccount1") -> str:
        """Path-style account URL: ``https://127.0.0.1:PORT/<account>``."""
        return f"https://{self.host}:{self.port}/{account}"

    def connection_string(self, account: str = "devstoreaccount1") -> str:
        return (
            f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={WELL_KNOWN_KEY};"
            f"BlobEndpoint={self.account_url(account)};"
        )

    def blob_service(self, account: str = "devstoreaccount1", credential: Any = None, **kwargs: Any) -> Any:
        """A BlobServiceClient: shared key by default, or any TokenCredential."""
        from azure.storage.blob import BlobServiceClient

        if credential is None:
            credential = {"account_name": account, "account_key": WELL_KNOWN_KEY}
        return BlobServiceClient(
            self.account_url(account), credential=credential, connection_verify=str(self.cert_path), **kwargs
        )

    def create_container(self, name: str, account: str = "devstoreaccount1") -> None:
        """Create a container (shared key) if it is not there yet."""
        from azure.core.exceptions import ResourceExistsError

        with self.blob_service(account) as service:
            try:
                service.create_container(name)
            except ResourceExistsError:
                pass

    def endpoint_options(self, account: str = "devstoreaccount1") -> dict[str, str]:
        """deltalake/object_store options that send requests here (no credential)."""
        return {"azure_storage_endpoint": self.account_url(account), "allow_invalid_certificates": "true"}

    def shared_key_options(self, account: str = "devstoreaccount1") -> dict[str, str]:
        """deltalake options for ``az://<container>/<path>`` or ``abfss://`` URLs, with the account key."""
        return {**self.endpoint_options(account), "account_name": account, "account_key": WELL_KNOWN_KEY}


class FakeEntraCredential:
    """A TokenCredential minting tokens Azurite's ``--oauth basic`` accepts.

    Azurite checks a bearer token's shape, lifetime, issuer and audience, not
    its signature; these are unsigned JWTs for ``https://storage.azure.com``.
    ``calls`` counts ``get_token`` calls.
    """

    def __init__(self, *, audience: str = "https://storage.azure.com", lifetime: int = 3600) -> None:
        self.audience = audience
        self.lifetime = lifetime
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.calls += 1
        now = int(time.time())

        def part(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        claims = {
            "aud": self.audience, "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
            "iat": now - 60, "nbf": now - 60, "exp": now + self.lifetime, "oid": "faborite-tests",
        }
        return AccessToken(f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.", now + self.lifetime)

    def close(self) -> None:
        pass


def find_azurite_blob() -> Path | None:
    """The azurite-blob launcher: $AZURITE_BLOB, the repo's node_modules, or PATH."""
    candidates = [os.environ.get("AZURITE_BLOB"), REPO_ROOT / "node_modules" / ".bin" / "azurite-blob",
                  shutil.which("azurite-blob")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _self_signed_cert(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def _wait_until_up(proc: subprocess.Popen, port: int, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"azurite-blob exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if "successfully listens" in log.read_text(errors="replace"):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"azurite-blob did not answer within {timeout:.0f}s: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def run_azurite(location: Path, binary: Path | None = None) -> Iterator[Azurite]:
    """Start Azurite (HTTPS, oauth basic, accounts devstoreaccount1 + onelake) in ``location``; stop it after."""
    binary = binary or find_azurite_blob()
    if binary is None:
        raise FileNotFoundError(INSTALL_HINT)
    location.mkdir(parents=True, exist_ok=True)
    cert, key = _self_signed_cert(location)
    env = {**os.environ, "AZURITE_ACCOUNTS": ";".join(f"{a}:{WELL_KNOWN_KEY}" for a in ACCOUNTS)}
    last_error: Exception | None = None
    for _ in range(3):  # the free port can be taken between picking and binding it
        port = free_port()
        log = location / f"azurite-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(location / "data"),
                 "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
                 "--oauth", "basic", "--cert", str(cert), "--key", str(key)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )
        try:
            _wait_until_up(proc, port, log)
        except RuntimeError as exc:
            last_error = exc
            _stop(proc)
            continue
        try:
            yield Azurite("127.0.0.1", port, location, cert)
        finally:
            _stop(proc)
        return
    raise RuntimeError(f"could not start Azurite: {last_error}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """A session-wide Azurite; skipped (laptop) or failed (CI) when not installed."""
    if find_azurite_blob() is None:
        skip_or_fail(INSTALL_HINT)
    if shutil.which("node") is None:
        skip_or_fail("Azurite needs node (Node.js 18+) on PATH")
    with run_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server
