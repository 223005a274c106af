"""Microsoft Fabric lakehouse tables (Delta on OneLake) as a sync source.

A ``type: fabric`` source names a workspace and a lakehouse (names or GUIDs).
Its tables live at::

    abfss://<workspace>@onelake.dfs.fabric.microsoft.com/<lakehouse>.Lakehouse/Tables/<table>
    abfss://<workspace>@onelake.dfs.fabric.microsoft.com/<lakehouse>.Lakehouse/Tables/<schema>/<table>   (schema-enabled)

A GUID lakehouse is addressed bare (``<lakehouse-guid>/Tables/...``).

- **Discovery** lists ``Tables/`` with the Blob API (``walk_blobs`` with a
  ``/`` delimiter: one listing for the lakehouse, one per schema), and keeps
  the folders whose Delta log opens. Whether the lakehouse is schema-enabled is
  read from the lake when ``schema_enabled`` is not set: a schema-enabled
  lakehouse always has the ``dbo`` schema folder, a folder without its own
  ``_delta_log``.
- **Reading** is the ``delta`` source's (:mod:`faborite.providers.delta_table`):
  through the Delta log, never a glob of Parquet files, so removed files stay
  removed. ``version`` is the Delta version (``41``, as for local Delta
  folders); ``row_count`` sums the add actions' ``numRecords`` stats less the
  rows deletion vectors drop. Tables with deletion vectors or column mapping
  are read through deltalake's engine. This module adds what is OneLake's:
  URLs, auth, listing, retries.
- **Auth** is azure-identity (``azure_cli``, ``service_principal`` from
  ``AZURE_TENANT_ID`` / ``AZURE_CLIENT_ID`` / ``AZURE_CLIENT_SECRET``,
  ``managed_identity``, ``default``). One storage token
  (``https://storage.azure.com/.default``) serves the Blob listing and
  deltalake (``bearer_token``); it is kept in memory only and is never part of
  a message. Secrets are never read from config.
- **Failures**: an auth failure raises at once (no retry) naming the auth
  method and what to check; transient storage errors (timeouts, connection
  resets, 408/429/5xx) on the listing are retried with exponential backoff
  (:func:`faborite.sync.retry.retry`; deltalake's object store retries its own
  requests with backoff too);
  missing workspaces, lakehouses and tables name what is missing.

Emulators and tests inject what differs from real OneLake (endpoint, TLS,
credential) through ``credential=``, ``storage_options_override=`` and
``blob_service=``; the URLs stay OneLake's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from faborite.errors import ProviderError, did_you_mean
from faborite.providers import delta_table
from faborite.providers.onelake import (  # noqa: F401 - re-exported: the provider's public names
    T,
    STORAGE_SCOPE,
    DEFAULT_ENDPOINT,
    DEFAULT_SCHEMA,
    AUTH_HINTS,
    FabricSourceConfig,
    lakehouse_segment,
    table_path,
    table_url,
    onelake_storage_options,
    make_credential,
    redact,
    _first_line,
    _CachedCredential,
    is_transient,
    _NAME_PART,
    _ANSI,
    _AUTH_MARKERS,
)
from faborite.sync.retry import retry as _retry
from faborite.sync.source import SourceTableInfo

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

# --------------------------------------------------------------------------- the source


class FabricSource:
    """Tables of one Fabric lakehouse, read from OneLake.

    A :class:`~faborite.sync.source.TableSource` and a
    :class:`~faborite.sync.source.ScanSource`. A table is read at the version
    it was last described at (``describe``/``list_tables``), so the data
    copied is the data the plan saw; ``describe`` again to move on.

    ``credential``: any azure-core TokenCredential (default: the one ``config.auth`` names).
    ``storage_options_override``: merged into deltalake's storage options (an emulator's endpoint).
    ``blob_service``: a ``BlobServiceClient``-like object for listing (default: one for the OneLake blob host).
    ``retry_*``/``sleep``: backoff of the listing's retries (faborite.sync.retry).
    """

    def __init__(
        self,
        config: FabricSourceConfig,
        *,
        credential: Any | None = None,
        storage_options_override: dict[str, str] | None = None,
        blob_service: Any | None = None,
        retry_attempts: int = 5,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._explicit_credential = credential
        self._credential: _CachedCredential | None = None
        self._override = dict(storage_options_override or {})
        self._blob_service = blob_service
        self._owns_blob_service = blob_service is None
        self._retry_kw = {
            "attempts": retry_attempts, "base_delay": retry_base_delay, "max_delay": retry_max_delay, "sleep": sleep,
        }
        self._schema_enabled = config.schema_enabled
        self._tables: dict[str, tuple[Any, str]] = {}  # display name -> (DeltaTable as last described, its token)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FabricSource({self.config.workspace!r}, {self.config.lakehouse!r})"

    # -- where things are

    @property
    def where(self) -> str:
        """``workspace 'W', lakehouse 'L'`` for messages."""
        return f"workspace {self.config.workspace!r}, lakehouse {self.config.lakehouse!r}"

    @property
    def tables_prefix(self) -> str:
        """``Sales.Lakehouse/Tables/``: where the tables are in the workspace container."""
        return f"{lakehouse_segment(self.config.lakehouse)}/Tables/"

    def table_url(self, name: str) -> str:
        """The abfss URL of table ``name`` (``orders``, ``dbo.orders``) in this lakehouse."""
        schema, table = self._split(name)
        return table_url(self.config.workspace, self.config.lakehouse, table, schema=schema, endpoint=self.config.endpoint)

    def storage_options(self) -> dict[str, str]:
        """deltalake storage options for this lakehouse's URLs, e.g. to write Delta back (memory only)."""
        return onelake_storage_options(self._token(), override=self._override)

    # -- TableSource

    def list_tables(self) -> list[SourceTableInfo]:
        """Every Delta table under ``Tables/`` with its version and row count."""
        names = [f"{schema}.{table}" if schema else table for schema, table in self._discover()]
        self._token()  # authenticate once, before the threads
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:  # one Delta log read per table
            infos = list(pool.map(lambda name: self._describe(name, missing_ok=True), names))
        return sorted((i for i in infos if i is not None), key=lambda i: i.name)

    def describe(self, name: str) -> SourceTableInfo:
        """The table's current Delta version and row count; ProviderError naming it when missing."""
        info = self._describe(name, missing_ok=False)
        assert info is not None
        return info

    def schema(self, name: str) -> "pa.Schema":
        """The table's Arrow schema (logical column names)."""
        return delta_table.schema(self._table(name))

    def dataset(self, name: str) -> "ds.Dataset":
        """A pyarrow Dataset over exactly the files the Delta log lists (see :func:`delta_table.dataset`)."""
        return delta_table.dataset(self._table(name))

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: Any = None,
    ) -> Any:
        """What the executor registers in DuckDB: a bounded, re-scannable stream (see :func:`delta_table.scan`)."""
        return delta_table.scan(self._table(name), columns, where, after)

    def close(self) -> None:
        self._tables.clear()
        if self._blob_service is not None and self._owns_blob_service:
            self._blob_service.close()
            self._blob_service = None
        if self._credential is not None:
            if self._explicit_credential is None:  # ours to close; a caller's credential stays open
                self._credential.close()
            self._credential = None

    def __enter__(self) -> "FabricSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals: auth and clients

    def _cred(self) -> _CachedCredential:
        with self._lock:
            if self._credential is None:
                inner = self._explicit_credential
                if inner is None:
                    inner = make_credential(self.config.auth)
                self._credential = _CachedCredential(inner, self.config.auth)
            return self._credential

    def _token(self) -> str:
        """The current storage token (fails at once, naming the auth method, when there is none)."""
        return self._cred().get_token(STORAGE_SCOPE).token

    def _container(self) -> Any:
        cred = self._cred()
        self._token()  # authenticate before the first listing: an auth failure is reported as one
        with self._lock:
            if self._blob_service is None:
                from azure.storage.blob import BlobServiceClient

                host = self.config.endpoint.replace(".dfs.", ".blob.", 1)
                # retry_total=0: the listing's retries are faborite's (transient errors only, one policy).
                self._blob_service = BlobServiceClient(f"https://{host}", credential=cred, retry_total=0)
            service = self._blob_service
        return service.get_container_client(self.config.workspace)

    # -- internals: discovery

    def _list_folders(self, prefix: str) -> list[str]:
        """Names of the folders right under ``prefix``: one paginated listing, retried when transient."""

        def listing() -> list[str]:
            names = []
            for item in self._container().walk_blobs(name_starts_with=prefix, delimiter="/"):
                if item.name.endswith("/"):  # a BlobPrefix: a folder
                    names.append(item.name[len(prefix):].rstrip("/"))
            return names

        return self._storage_call(listing, f"listing {prefix or '/'} in {self.where}")

    def _storage_call(self, fn: Callable[[], T], doing: str) -> T:
        from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError

        try:
            return _retry(fn, is_transient=is_transient, what=doing, **self._retry_kw)
        except ProviderError as exc:
            chain = []
            link: BaseException | None = exc.__cause__
            while link is not None and len(chain) < 10:
                chain.append(link)
                link = link.__cause__ or link.__context__
            auth = next((c for c in chain if isinstance(c, ClientAuthenticationError)), None)
            cause = auth or exc.__cause__
            if isinstance(cause, ClientAuthenticationError):
                raise ProviderError(
                    f"OneLake refused access to {self.where} (auth '{self.config.auth}'): {redact(_first_line(cause))}",
                    hint=AUTH_HINTS[self.config.auth] + "; and check the identity is a member of the workspace",
                ) from None
            if isinstance(cause, ResourceNotFoundError) and "ContainerNotFound" in f"{cause.error_code} {cause}":
                raise self._workspace_not_found() from None
            if cause is not None:
                raise ProviderError(redact(exc.message), hint=exc.hint) from None
            raise

    def _workspace_not_found(self) -> ProviderError:
        return ProviderError(
            f"workspace {self.config.workspace!r} not found in OneLake (or no access to it)",
            hint="check the workspace name or GUID, and that this identity is a member of it",
        )

    def _detect_schema_enabled(self, folders: list[str]) -> bool:
        """A schema-enabled lakehouse always has ``Tables/dbo/``, which holds no ``_delta_log`` of its own."""
        if DEFAULT_SCHEMA not in folders:
            return False
        return "_delta_log" not in self._list_folders(f"{self.tables_prefix}{DEFAULT_SCHEMA}/")

    def _discover(self) -> list[tuple[str | None, str]]:
        """(schema, table) candidates under Tables/: one listing, plus one per schema."""
        top = self._list_folders(self.tables_prefix)
        if not top:
            self._check_lakehouse_exists()
            return []
        if self._schema_enabled is None:
            self._schema_enabled = self._detect_schema_enabled(top)
        if not self._schema_enabled:
            return [(None, t) for t in top]
        found: list[tuple[str | None, str]] = []
        for schema in top:
            found.extend((schema, t) for t in self._list_folders(f"{self.tables_prefix}{schema}/") if t != "_delta_log")
        return found

    def _check_lakehouse_exists(self) -> None:
        if lakehouse_segment(self.config.lakehouse) not in self._list_folders(""):
            raise ProviderError(
                f"lakehouse {self.config.lakehouse!r} not found in workspace {self.config.workspace!r}",
                hint="check the lakehouse name (without '.Lakehouse') or its GUID",
            )

    def _resolve_schema_enabled(self) -> bool:
        if self._schema_enabled is None:
            top = self._list_folders(self.tables_prefix)
            if not top:
                self._check_lakehouse_exists()
            self._schema_enabled = self._detect_schema_enabled(top)
        return self._schema_enabled

    # -- internals: names and Delta

    def _split(self, name: str) -> tuple[str | None, str]:
        """(schema, table) of ``name`` as this lakehouse stores it."""
        if not name or name.count(".") > 1 or any(not _NAME_PART.match(p) for p in name.split(".")):
            raise ProviderError(f"invalid table name {name!r} for {self.where}", hint="write 'table' or 'schema.table'")
        schema, _, table = name.rpartition(".")
        enabled = self._schema_enabled
        if enabled is None and schema and schema != DEFAULT_SCHEMA:
            enabled = True  # only schema-enabled lakehouses have other schemas
        if enabled is None:
            enabled = self._resolve_schema_enabled()
        if enabled:
            return schema or DEFAULT_SCHEMA, table
        if schema and schema != DEFAULT_SCHEMA:
            raise ProviderError(
                f"table {name!r}: {self.where} is not schema-enabled, so it has no schema {schema!r}",
                hint=f"write {table!r}",
            )
        return None, table

    def _display(self, name: str) -> str:
        schema, table = self._split(name)
        return f"{schema}.{table}" if schema else table

    def _load(self, name: str, *, version: int | None = None, missing_ok: bool = False) -> Any:
        """A DeltaTable for ``name`` (its current version, or ``version``); None when missing and ``missing_ok``."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        url = self.table_url(name)
        options = self.storage_options()
        try:
            table = DeltaTable(url, version=version, storage_options=options)
        except TableNotFoundError:
            if missing_ok:
                return None
            raise self._not_found(name) from None
        except OSError as exc:
            raise self._delta_error(name, exc, options["bearer_token"]) from None
        self._tables[self._display(name)] = (table, options["bearer_token"])
        return table

    def _table(self, name: str) -> Any:
        """The table as last described (loaded now if it never was); reopened with a fresh token if it expired."""
        cached = self._tables.get(self._display(name))
        if cached is None:
            return self._load(name)
        table, token = cached
        if token != self._token():  # the token was renewed: the old one is about to expire
            return self._load(name, version=table.version())
        return table

    def _not_found(self, name: str) -> ProviderError:
        display = self._display(name)
        try:
            known = [f"{s}.{t}" if s else t for s, t in self._discover()]
        except ProviderError as exc:  # the workspace or lakehouse itself is missing: say that instead
            return exc
        hint = did_you_mean(display, known) or (
            f"tables here: {', '.join(sorted(known)[:20])}" if known else "this lakehouse has no tables"
        )
        return ProviderError(
            f"table {display!r} not found in {self.where} (no Delta log at Tables/{display.replace('.', '/')})",
            hint=hint,
        )

    def _delta_error(self, name: str, exc: OSError, token: str | None) -> ProviderError:
        text = _ANSI.sub("", redact(str(exc), token))
        compact = " ".join(line.strip().lstrip("↳").strip() for line in text.splitlines() if line.strip())
        display = self._display(name)
        if "ContainerNotFound" in text:
            return self._workspace_not_found()
        if any(marker in text for marker in _AUTH_MARKERS):
            return ProviderError(
                f"OneLake refused access to table {display!r} in {self.where} (auth '{self.config.auth}')",
                hint=AUTH_HINTS[self.config.auth] + "; and check the identity is a member of the workspace",
            )
        return ProviderError(f"reading the Delta log of {display!r} in {self.where} failed: {compact[:500]}")

    def _describe(self, name: str, *, missing_ok: bool) -> SourceTableInfo | None:
        dt = self._load(name, missing_ok=missing_ok)
        if dt is None:
            return None
        return delta_table.table_info(self._display(name), dt, location=self.table_url(name))


# --------------------------------------------------------------------------- plugin


class FabricSourceProvider:
    """Opens :class:`FabricSource` s; registered as ``faborite.sources`` entry point ``fabric``."""

    name = "fabric"
    config_model = FabricSourceConfig

    def open(self, config: BaseModel, project_root: Path) -> FabricSource:
        if not isinstance(config, FabricSourceConfig):
            config = FabricSourceConfig.model_validate(config.model_dump() if isinstance(config, BaseModel) else config)
        return FabricSource(config)


__all__ = [
    "AUTH_HINTS", "DEFAULT_ENDPOINT", "STORAGE_SCOPE", "FabricSource", "FabricSourceConfig", "FabricSourceProvider",
    "is_transient", "lakehouse_segment", "make_credential", "onelake_storage_options", "redact", "table_path",
    "table_url",
]
