"""OneLake addressing and authentication: the fabric source's config, table URLs,
credentials (azure-identity) and which storage errors are worth retrying.

Kept apart from :mod:`faborite.providers.fabric` (the table source itself) so
that writing Delta back to OneLake can use the same URLs and credentials.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from faborite.errors import FaboriteError, ProviderError
from faborite.sync.retry import is_transient as _generic_is_transient

if TYPE_CHECKING:
    pass

T = TypeVar("T")

#: Token scope for OneLake (and Azure Storage) data access.
STORAGE_SCOPE = "https://storage.azure.com/.default"
DEFAULT_ENDPOINT = "onelake.dfs.fabric.microsoft.com"
DEFAULT_SCHEMA = "dbo"
AuthMethod = Literal["azure_cli", "service_principal", "managed_identity", "default"]

#: Environment variables azure-identity reads for a service principal.
SP_ENV_VARS = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")

#: What to check, per auth method, when authentication fails.
AUTH_HINTS: dict[str, str] = {
    "azure_cli": "azure_cli: run `az login` (and `az account show` to check the tenant) on this machine",
    "service_principal": (
        "service_principal: set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET in the environment, "
        "check the secret has not expired, and that the principal is allowed in the Fabric tenant settings"
    ),
    "managed_identity": (
        "managed_identity: only works on Azure compute with a managed identity assigned "
        "(set AZURE_CLIENT_ID for a user-assigned one)"
    ),
    "default": (
        "default: tries environment variables (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), "
        "managed identity, then `az login`; make one of them work, or set 'auth:' to the one you use"
    ),
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NAME_PART = re.compile(r"^[^/\\.\s][^/\\]*$")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*\.?[A-Za-z0-9_\-]*")
_SECRET_KEYS = {
    "tenant_id", "tenantid", "client_id", "clientid", "client_secret", "clientsecret", "secret",
    "password", "token", "bearer_token", "account_key", "access_token",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_AUTH_MARKERS = (
    "403 Forbidden", "401 Unauthorized", "AuthenticationFailed", "AuthorizationPermissionMismatch",
    "AuthorizationFailure", "lacked the necessary privileges",
)
_TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}


# --------------------------------------------------------------------------- config


class FabricSourceConfig(BaseModel):
    """A ``sources:`` entry of ``type: fabric``. Holds no secret, by design."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["fabric"]
    name: str
    #: Workspace name or GUID (the OneLake container).
    workspace: str = Field(min_length=1)
    #: Lakehouse name or GUID.
    lakehouse: str = Field(min_length=1)
    auth: AuthMethod = "default"
    #: Whether tables sit under schema folders (``Tables/dbo/orders``); None: read it from the lake.
    schema_enabled: bool | None = None
    #: OneLake DFS host; other clouds/regions use their own host.
    endpoint: str = DEFAULT_ENDPOINT
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            found = sorted(k for k in data if isinstance(k, str) and k.lower().replace("-", "_") in _SECRET_KEYS)
            if found:
                raise ValueError(
                    f"{', '.join(found)} cannot be set in a source file: credentials come only from the environment "
                    f"({', '.join(SP_ENV_VARS)}) or the Azure CLI / managed identity; pick one with 'auth:'"
                )
        return data

    @field_validator("workspace", "lakehouse")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or value.strip() != value:
            raise ValueError("must be a plain name or GUID (no slashes, no surrounding spaces)")
        return value

    @field_validator("endpoint")
    @classmethod
    def _host_only(cls, value: str) -> str:
        host = value.removeprefix("https://").rstrip("/")
        if not host or "/" in host or "://" in host:
            raise ValueError("must be a host name such as 'onelake.dfs.fabric.microsoft.com'")
        return host


# --------------------------------------------------------------------------- URLs and options


def lakehouse_segment(lakehouse: str) -> str:
    """The lakehouse's folder in its workspace: ``Sales.Lakehouse``, or a bare GUID."""
    if _GUID.match(lakehouse) or lakehouse.endswith(".Lakehouse"):
        return lakehouse
    return f"{lakehouse}.Lakehouse"


def table_path(lakehouse: str, table: str, schema: str | None = None) -> str:
    """Path of a table inside its workspace container (``Sales.Lakehouse/Tables/dbo/orders``)."""
    parts = [lakehouse_segment(lakehouse), "Tables"]
    if schema:
        parts.append(schema)
    parts.append(table)
    return "/".join(parts)


def table_url(
    workspace: str, lakehouse: str, table: str, *, schema: str | None = None, endpoint: str = DEFAULT_ENDPOINT,
) -> str:
    """The abfss URL of a lakehouse table, for reading or for writing Delta back to OneLake.

    ``table`` may be schema-qualified (``dbo.orders``) when ``schema`` is not given.
    """
    if schema is None and "." in table:
        schema, table = table.split(".", 1)
    for label, part in (("workspace", workspace), ("lakehouse", lakehouse), ("table", table), ("schema", schema)):
        if part is not None and not _NAME_PART.match(part):
            raise ProviderError(f"invalid {label} name {part!r} for a OneLake path")
    return f"abfss://{workspace}@{endpoint}/{table_path(lakehouse, table, schema)}"


def onelake_storage_options(
    token: str | None = None,
    *,
    auth: AuthMethod = "default",
    credential: Any | None = None,
    override: dict[str, str] | None = None,
) -> dict[str, str]:
    """deltalake ``storage_options`` for reading or writing ``abfss://...onelake...`` URLs.

    Pass a ``token`` you already hold, or let it get one from ``credential`` (or
    the one ``auth`` names). ``override`` is merged last (emulator endpoint,
    TLS settings). The result holds a bearer token: keep it in memory.
    """
    if token is None:
        token = _token_for(credential if credential is not None else make_credential(auth), auth).token
    options = {"bearer_token": token, "use_fabric_endpoint": "true"}
    options.update(override or {})
    return options


# --------------------------------------------------------------------------- credentials


def make_credential(auth: AuthMethod) -> Any:
    """The azure-identity credential for ``auth``; secrets only from the environment."""
    try:
        import azure.identity as identity
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ProviderError("the fabric source needs azure-identity", hint="pip install azure-identity") from exc
    if auth == "azure_cli":
        return identity.AzureCliCredential()
    if auth == "service_principal":
        missing = [name for name in SP_ENV_VARS if not os.environ.get(name)]
        if missing:
            raise ProviderError(
                f"auth 'service_principal' needs {', '.join(missing)} in the environment",
                hint=AUTH_HINTS["service_principal"],
            )
        return identity.ClientSecretCredential(
            os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"]
        )
    if auth == "managed_identity":
        client_id = os.environ.get("AZURE_CLIENT_ID")
        return identity.ManagedIdentityCredential(client_id=client_id) if client_id else identity.ManagedIdentityCredential()
    return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without the given secrets, the service principal's secret, or anything token-shaped."""
    for secret in (*secrets, os.environ.get("AZURE_CLIENT_SECRET")):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _JWT.sub("***", text)


def _first_line(exc: BaseException) -> str:
    text = (getattr(exc, "message", None) or str(exc) or type(exc).__name__).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _auth_error(auth: str, exc: BaseException | None, what: str) -> ProviderError:
    reason = f": {redact(_first_line(exc))}" if exc is not None else ""
    return ProviderError(f"OneLake authentication failed (auth '{auth}') {what}{reason}", hint=AUTH_HINTS[auth])


def _token_for(credential: Any, auth: str) -> Any:
    """One token from ``credential``, or a ProviderError naming ``auth`` (never retried)."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    try:
        return credential.get_token(STORAGE_SCOPE)
    except ClientAuthenticationError as exc:  # CredentialUnavailableError is one too
        raise _auth_error(auth, exc, "while getting a storage token") from None
    except AzureError as exc:  # e.g. the identity endpoint could not be reached
        raise ProviderError(
            f"could not get a OneLake storage token (auth '{auth}'): {redact(_first_line(exc))}", hint=AUTH_HINTS[auth]
        ) from None


class _CachedCredential:
    """Wraps the configured credential: one token shared by the Blob client and deltalake.

    The token is refreshed five minutes before it expires; it lives only here.
    """

    def __init__(self, inner: Any, auth: str) -> None:
        self._inner = inner
        self._auth = auth
        self._token: Any = None
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        with self._lock:
            if self._token is None or self._token.expires_on - time.time() < 300:
                self._token = _token_for(self._inner, self._auth)
            return self._token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


# --------------------------------------------------------------------------- retries


def is_transient(exc: BaseException) -> bool:
    """Timeouts, dropped connections and 408/429/5xx answers from Azure Storage: worth another try.

    azure-core exceptions are judged by type and status code; anything else by
    :func:`faborite.sync.retry.is_transient`. Auth and not-found errors never are.
    """
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, (ClientAuthenticationError, ResourceNotFoundError, FaboriteError)):
        return False
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return True
    if isinstance(exc, HttpResponseError):
        return exc.status_code in _TRANSIENT_STATUS
    if isinstance(exc, AzureError):
        return False
    return _generic_is_transient(exc)


