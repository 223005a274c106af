"""How to reach an ``azure_blob`` state's container: the ``state:`` settings, the URL forms
(``https://<account>.blob.core.windows.net/...``, ``abfss://<container>@<account>.dfs...``, an
emulator's path-style URL), the auth methods and the BlobServiceClient they make, and the one
way storage failures become messages (never carrying a secret).

Secrets (account key, SAS, connection string) come only from environment variables; ``url``
may not carry a query string (a SAS there would be stored in faborite.yml).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from faborite.errors import ConfigError, ProviderError

AzureBlobAuth = Literal["default", "azure_cli", "service_principal", "managed_identity",
                        "account_key", "sas", "connection_string"]
#: The environment variable each secret-based auth reads by default (the Azure CLI's names).
DEFAULT_ENV = {"account_key": "AZURE_STORAGE_KEY", "sas": "AZURE_STORAGE_SAS_TOKEN",
               "connection_string": "AZURE_STORAGE_CONNECTION_STRING"}


class AzureBlobStateSettings(BaseModel):
    """``state: {type: azure_blob, url: ..., auth: ...}``."""

    model_config = ConfigDict(extra="forbid")

    type: str = "azure_blob"
    #: ``https://<account>.blob.core.windows.net/<container>[/<prefix>]`` or
    #: ``abfss://<container>@<account>.dfs.core.windows.net[/<prefix>]``.
    url: str = Field(min_length=1)
    #: An azure-identity credential (as the fabric source), or a secret read from ``credential_env``.
    auth: AzureBlobAuth = "default"
    #: The variable holding the account key / SAS token / connection string (default per ``auth``).
    credential_env: str | None = Field(default=None, min_length=1)
    #: Lease length; a dead holder's lock is free this long after its last renewal.
    lease_seconds: int = Field(default=60, ge=15, le=60)

    @field_validator("url")
    @classmethod
    def _no_query(cls, value: str) -> str:
        if urlsplit(value).query:
            raise ValueError("may not hold a query string (a SAS token belongs in an environment variable: "
                             "auth: sas, credential_env: VAR)")
        parse_url(value)
        return value


class BlobLocation(BaseModel):
    """Where the state objects live: the account endpoint, container and prefix of a ``url``."""

    model_config = ConfigDict(frozen=True)

    account_url: str
    account: str
    container: str
    prefix: str


def parse_url(url: str) -> BlobLocation:
    """Split an ``https://`` (virtual-host or emulator path-style) or ``abfss://`` URL."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme in ("abfss", "abfs"):
        container, at, host = parts.netloc.partition("@")
        if not at or not container or not host:
            raise ValueError("an abfss URL is abfss://<container>@<account>.dfs.core.windows.net/<prefix>")
        host = host.replace(".dfs.", ".blob.", 1)
        return BlobLocation(account_url=f"https://{host}", account=host.split(".")[0], container=container,
                            prefix="/".join(segments))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("expected https://<account>.blob.core.windows.net/<container>/<prefix> or abfss://...")
    base = f"{parts.scheme}://{parts.netloc}"
    account = parts.hostname.split(".")[0]
    if _is_local(parts.hostname):  # the emulator's path-style URLs: /<account>/<container>/...
        if not segments:
            raise ValueError("an emulator URL is http(s)://host:port/<account>/<container>/<prefix>")
        account = segments.pop(0)
        base = f"{base}/{account}"
    if not segments:
        raise ValueError("the URL names no container: .../<container>/<prefix>")
    return BlobLocation(account_url=base, account=account, container=segments[0], prefix="/".join(segments[1:]))


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_private
    except ValueError:
        return False




def blob_service(settings: AzureBlobStateSettings, place: BlobLocation) -> Any:
    """A BlobServiceClient authenticated as ``settings.auth`` says; secrets only from the environment."""
    from azure.storage.blob import BlobServiceClient

    from faborite.providers.onelake import make_credential

    if settings.auth not in DEFAULT_ENV:
        return BlobServiceClient(place.account_url, credential=make_credential(settings.auth))  # type: ignore[arg-type]
    variable = settings.credential_env or DEFAULT_ENV[settings.auth]
    secret = os.environ.get(variable)
    if not secret:
        raise ConfigError(f"environment variable {variable} is not set (the state storage's {settings.auth})",
                          file="faborite.yml", hint=f"export {variable}=... or set the state's credential_env")
    if settings.auth == "connection_string":
        # The connection string names the endpoint; the URL still gives container and prefix.
        return BlobServiceClient.from_connection_string(secret)
    if settings.auth == "account_key":
        return BlobServiceClient(place.account_url, credential={"account_name": place.account, "account_key": secret})
    return BlobServiceClient(place.account_url, credential=secret.lstrip("?"))


def auth_hint(settings: AzureBlobStateSettings) -> str:
    """What to check when the storage refuses ``settings.auth``'s credential."""
    from faborite.providers.onelake import AUTH_HINTS

    if settings.auth in DEFAULT_ENV:
        variable = settings.credential_env or DEFAULT_ENV[settings.auth]
        return f"{settings.auth}: check that ${variable} holds a current {settings.auth} for this account"
    return AUTH_HINTS[settings.auth] + "; and that the identity may read and write blobs in the container"


def access_error(where: str, auth: str, hint: str, exc: BaseException) -> ProviderError:
    """The storage refused the credential: say where, which auth, and what to check."""
    return ProviderError(f"Azure Blob refused access to the state at {where} (auth '{auth}'): {first_line(exc)}",
                         hint=hint or f"check the credential of auth '{auth}'")


def first_line(exc: BaseException) -> str:
    """The first line of an SDK error (they run to many lines of headers), secrets redacted."""
    from faborite.providers.onelake import redact

    text = str(getattr(exc, "message", None) or exc).strip()
    return redact(text.splitlines()[0]) if text else type(exc).__name__


