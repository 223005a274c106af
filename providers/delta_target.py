"""Delta lakehouse target (``type: delta``): models computed by an embedded DuckDB, written as
Delta tables with deltalake, in a local folder or at an ``abfss://`` OneLake/ADLS URL.

    targets:
      lake:
        type: delta
        path: lakehouse                 # or abfss://<workspace>@onelake.dfs.fabric.microsoft.com/<lh>.Lakehouse/Tables
        auth: default                   # abfss only: as the fabric source (azure_cli, service_principal, ...)

Layout: ``<path>/<schema>/<name>/`` per relation (:mod:`.delta_target_storage`).

How the target protocol maps onto a lakehouse:

- **Queries** run on a private in-memory DuckDB per connection (and per
  cursor). A table is made visible as ``"schema"."name"`` when a statement
  first names it: its Delta log is read with deltalake and the files it lists
  are read by DuckDB's built-in Parquet reader (a local folder, a table whose
  files alone are its rows) or else registered as a pyarrow dataset, behind a
  DuckDB view (no DuckDB extension; never a glob). Physical versions never change,
  so a registration is kept for the connection's life; what this connection
  writes, drops or publishes is registered afresh.
- **DDL** the core runs through :meth:`DeltaLakehouseConnection.execute` is
  recognised by the dialect (:meth:`DeltaDialect.parse_ddl`) and carried out
  on the lakehouse: ``CREATE TABLE ... AS`` streams the query's Arrow batches
  into ``write_deltalake`` (the table exists once its first commit does:
  complete or not at all); views are their SELECT in a ``_faborite_view.sql``
  file; drops delete the folder. Other writing statements are refused.
- **Publish** is the connection's own (:mod:`.delta_target_publish`): one Delta
  commit per published table; no cross-table atomicity (the dialect has no
  transactional DDL, and the plan says so). ``transaction()`` only groups.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from faborite.credentials import names_a_credential
from faborite.dialects import get_dialect
from faborite.errors import FaboriteError, ProviderError, TargetMissingError
from faborite.providers.delta_target_storage import (
    GLOB_CHARACTERS, VIEW_FILE, LocalFolders, ObjectStoreFolders, check_name, relation_kind,
)
from faborite.providers.onelake import AuthMethod, onelake_storage_options, redact
from faborite.providers.sql_errors import WatchedSource, sql_hint
from faborite.relation import Relation
from faborite.target import Column, RelationInfo

if TYPE_CHECKING:
    import pyarrow as pa

    from faborite.dialects.delta import DeltaDialect
    from faborite.providers.delta_duckdb_write import WrittenTable

#: Statement kinds (DuckDB's names) that only read, run on the scratch DuckDB as they are.
_READING = {"SELECT", "EXPLAIN", "SET", "VARIABLE_SET", "PRAGMA"}
_HIDDEN = itertools.count()


class DeltaTargetConfig(BaseModel):
    """The ``targets:`` block of a Delta lakehouse target."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["delta"]
    #: A folder (relative to the project root) or a URL deltalake writes (``abfss://...``).
    path: str = "lakehouse"
    #: How to get a storage token for ``abfss://`` paths, as the fabric source (ignored for folders,
    #: and when ``storage_options`` carry a credential themselves).
    auth: AuthMethod = "default"
    #: deltalake/object_store options merged last (endpoint, TLS); credentials only through
    #: ``{{ env_var() }}``.
    storage_options: dict[str, str] = {}
    #: Worker threads the embedded DuckDB may use per query.
    threads: int | None = Field(default=None, ge=1)
    #: Rows per Parquet row group of the files faborite writes. A reader scans a file's row groups
    #: in parallel, so a 1M-row table in deltalake's default single group is read by one thread
    #: (the models reading it back here, Spark, DuckDB); raise it for Fabric Direct Lake (1M+).
    row_group_size: int = Field(default=262_144, ge=1024)
    dialect: str = "delta"

    @field_validator("path")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("'path' names the lakehouse folder or URL")
        return value


def is_url(path: str) -> bool:
    return "://" in path


def storage_options(config: DeltaTargetConfig, credential: Any | None = None) -> dict[str, str]:
    """deltalake storage options for the target's URL: the fabric source's OneLake options
    (a bearer token from ``auth``) unless ``storage_options`` hold a credential of their own."""
    options = dict(config.storage_options)
    if not config.path.startswith(("abfss://", "abfs://", "az://", "azure://")):
        return options
    fabric = ".fabric.microsoft.com" in config.path.split("@", 1)[-1].split("/", 1)[0]
    if any(names_a_credential(k) for k in options):
        return {"use_fabric_endpoint": str(fabric).lower(), **options}
    return onelake_storage_options(auth=config.auth, credential=credential,
                                   override={"use_fabric_endpoint": str(fabric).lower(), **options})


class DeltaTargetProvider:
    """The ``faborite.providers`` entry point ``delta``."""

    name = "delta"
    config_model = DeltaTargetConfig

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False,
                credential: Any | None = None) -> "DeltaLakehouseConnection":
        """Open the lakehouse (creating a local folder unless ``read_only``).

        ``credential``: any azure-core TokenCredential instead of the one ``auth`` names (tests)."""
        if not isinstance(config, DeltaTargetConfig):
            raw = config if isinstance(config, dict) else config.model_dump()
            config = DeltaTargetConfig.model_validate(raw)
        dialect = get_dialect(config.dialect)()
        if is_url(config.path):
            folders: Any = ObjectStoreFolders(config.path, storage_options(config, credential))
        else:
            root = Path(config.path).expanduser()
            root = root if root.is_absolute() else Path(project_root) / root
            if read_only and not root.is_dir():
                raise TargetMissingError(f"no lakehouse at {root}", hint="run `faborite apply` to build it")
            if not read_only:
                root.mkdir(parents=True, exist_ok=True)
            folders = LocalFolders(root)
        return DeltaLakehouseConnection(folders, dialect, project_root=Path(project_root), read_only=read_only,
                                        threads=config.threads, row_group_size=config.row_group_size)


class DeltaLakehouseConnection:
    """A session with a Delta lakehouse, implementing :class:`faborite.target.TargetConnection`
    and :class:`faborite.target.Publisher`. Not thread-safe: give each thread its own :meth:`cursor`."""

    def __init__(self, folders: Any, dialect: "DeltaDialect", *, project_root: Path, read_only: bool = False,
                 threads: int | None = None, row_group_size: int | None = None,
                 written: "dict[tuple[str, str], WrittenTable] | None" = None) -> None:
        import duckdb

        self.folders = folders
        self.dialect = dialect
        self.location = folders.root
        self._project_root = project_root
        self._read_only = read_only
        self._threads = threads
        self._row_group_size = row_group_size
        self._closed = False
        #: (schema, name) -> the hidden name its dataset is registered under ("" when nothing is
        #: registered: a view, or a table DuckDB reads from its Parquet files itself).
        self._visible: dict[tuple[str, str], str] = {}
        #: Tables this connection or a cursor of it wrote with DuckDB, by (schema, name): their files
        #: and columns are known, so reading them back opens no Delta log and describes nothing.
        self._written: "dict[tuple[str, str], WrittenTable]" = {} if written is None else written
        self._con = duckdb.connect()
        setup = ["SET python_enable_replacements = false",
                 f"SET file_search_path = {dialect.literal(str(project_root.resolve()))}"]
        if threads:
            setup.append(f"SET threads = {int(threads)}")
        for sql in setup:
            self._con.execute(sql)

    def __repr__(self) -> str:
        return f"DeltaLakehouseConnection({self.location!r})"

    def __enter__(self) -> "DeltaLakehouseConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SqlRunner ----------------------------------------------------------

    def execute(self, sql: str) -> int | None:
        """Carry out the dialect's DDL on the lakehouse; run anything else that only reads on DuckDB.
        Returns the rows a ``CREATE TABLE ... AS`` wrote (its commit's file statistics), else None."""
        ddl = self.dialect.parse_ddl(sql)
        with self._errors(sql):
            if ddl is not None:
                self._check_writable(sql)
                return self._ddl(ddl)
            kinds = [str(s.type).rsplit(".", 1)[-1] for s in self._con.extract_statements(sql)]
            refused = [k for k in kinds if k not in _READING]
            if refused:
                raise ProviderError(
                    f"a delta target does not run {refused[0]} statements",
                    hint="it writes tables only through CREATE TABLE ... AS, CREATE [OR REPLACE] VIEW and DROP "
                         "as faborite writes them; " + sql_hint(sql))
            self._show(sql)
            self._con.execute(sql)
            self._con.complete()
            return None

    def fetch_arrow(self, sql: str) -> "pa.Table":
        """All rows of a query."""
        with self._errors(sql):
            self._show(sql)
            rel = self._con.sql(sql)
            if rel is None:
                import pyarrow as pa

                return pa.table({})
            return rel.to_arrow_table()

    def fetch_scalar(self, sql: str) -> Any:
        """First column of the first row, or None."""
        with self._errors(sql):
            self._show(sql)
            rel = self._con.sql(sql)
            rows = rel.limit(1).fetchall() if rel is not None else []
        return rows[0][0] if rows and rows[0] else None

    def stream(self, sql: str) -> "pa.RecordBatchReader":
        """A query's rows as record batches, for writing them to Delta without holding them all."""
        self._show(sql)
        return self._con.sql(sql).to_arrow_reader(100_000)

    # -- Transactional --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Groups statements only: each Delta commit stands on its own (``transactional_ddl`` is off)."""
        yield

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data: "pa.Table | pa.RecordBatchReader") -> None:
        """Write ``data`` as a new Delta table, streamed; it exists once its one commit does."""
        import pyarrow as pa

        self._check_writable(f"create {relation}")
        source = WatchedSource(data)
        reader = pa.RecordBatchReader.from_batches(data.schema, source.batches())
        try:
            with self._errors(f"write {relation}"):
                self._create_table(relation, reader)
        except ProviderError:
            source.raise_source_error(relation)
            raise

    # -- Publisher --------------------------------------------------------------

    def publish(self, pointers: Mapping[Relation, Relation], drops: Sequence[Relation]) -> None:
        """One Delta commit per published table (see :mod:`.delta_target_publish`)."""
        from faborite.providers.delta_target_publish import publish

        self._check_writable("publish")
        with self._errors("publish"):
            publish(self, pointers, drops)

    # -- Inspector ------------------------------------------------------------

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view folder of the given schemas."""
        with self._errors("list relations"):
            return {rel for rel, _ in self._walk(schema_names)}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Tables and views with their kind; a table faborite published is a view whose definition
        is the physical relation it mirrors (its last commit says so)."""
        from faborite.providers.delta_target_publish import mirrored_definition

        infos = []
        with self._errors("describe relations"):
            for rel, kind in self._walk(schema_names):
                if kind == "view":
                    infos.append(RelationInfo(relation=rel, kind="view",
                                              definition=self.folders.read_text(rel.schema_name, rel.name, VIEW_FILE)))
                    continue
                definition = mirrored_definition(self, rel)
                infos.append(RelationInfo(relation=rel, kind="view" if definition else "table", definition=definition))
        return infos

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order, with DuckDB type names."""
        known = self._written.get((relation.schema_name, relation.name))
        if known is not None:
            return [Column(name=name, type=type_) for name, type_ in known.columns]
        sql = f"DESCRIBE SELECT * FROM {self.dialect.quote_relation(relation)}"
        with self._errors(sql):
            if not self._make_visible(relation.schema_name, relation.name):
                raise ProviderError(f"relation {relation} does not exist in {self.location}")
            rows = self._con.execute(sql).fetchall()
        return [Column(name=row[0], type=row[1]) for row in rows]

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        import deltalake

        return f"deltalake {deltalake.__version__} at {self.location}"

    def cursor(self) -> "DeltaLakehouseConnection":
        """Another session (its own DuckDB) on the same lakehouse."""
        if self._closed:
            raise ProviderError("the connection is closed")
        return DeltaLakehouseConnection(self.folders, self.dialect, project_root=self._project_root,
                                        read_only=self._read_only, threads=self._threads,
                                        row_group_size=self._row_group_size, written=self._written)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._con.close()

    def forget(self, relation: Relation) -> None:
        """Drop this session's registration of ``relation`` (it is about to change)."""
        self._written.pop((relation.schema_name, relation.name), None)
        hidden = self._visible.pop((relation.schema_name, relation.name), None)
        if hidden is None:
            return
        for sql in (f"DROP VIEW IF EXISTS {self.dialect.quote_relation(relation)}",):
            self._con.execute(sql)
        if hidden:
            self._con.unregister(hidden)

    # -- internals: DDL ------------------------------------------------------------

    def _ddl(self, ddl: Any) -> int | None:
        """Carry out one DDL statement; the rows written for ``create_table_as``, else None."""
        rel, kind = ddl.relation, ddl.kind
        check_name(rel.schema_name, "schema")
        if kind == "create_schema":
            self.folders.make_dir(rel.schema_name)
            return None
        check_name(rel.name, "relation")
        existing = relation_kind(self.folders, rel)
        if kind == "create_table_as":
            if existing:
                raise ProviderError(f"relation {rel} already exists in {self.location}")
            self._show(ddl.body)
            written = self._write_locally(rel, ddl.body)
            if written is not None:
                return written
            return self._create_table(rel, self._con.sql(ddl.body).to_arrow_reader(100_000))
        elif kind in ("create_view", "replace_view"):
            if existing == "table" or (existing and kind == "create_view"):
                raise ProviderError(f"relation {rel} already exists in {self.location}")
            self._show(ddl.body)
            self._con.execute(f"DESCRIBE {ddl.body}")  # binds the query: a view that cannot run is refused
            self.forget(rel)
            self.folders.write_text(ddl.body, rel.schema_name, rel.name, VIEW_FILE)
        elif kind == "drop_table" and existing == "table":
            self.forget(rel)
            self.folders.delete_dir(rel.schema_name, rel.name)
        elif kind == "drop_view" and existing == "view":
            self.forget(rel)
            self.folders.delete_dir(rel.schema_name, rel.name)
        return None

    def _create_table(self, relation: Relation, reader: "pa.RecordBatchReader") -> int | None:
        """Write ``reader`` as the new Delta table ``relation``; the rows written, from the commit's
        file statistics (so apply need not count them with a scan), or None without them."""
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake

        check_name(relation.schema_name, "schema")
        check_name(relation.name, "relation")
        if relation_kind(self.folders, relation):
            raise ProviderError(f"relation {relation} already exists in {self.location}")
        self.forget(relation)
        uri = self.folders.uri(relation.schema_name, relation.name)
        # The DuckDB reader goes to deltalake as it is: a Python generator counting batches
        # in between made writing measurably slower.
        write_deltalake(uri, delta_compatible(reader), mode="error", storage_options=self.folders.storage_options,
                        writer_properties=self.writer_properties())
        counts = pa.table(DeltaTable(uri, storage_options=self.folders.storage_options)
                          .get_add_actions(flatten=True)).column("num_records")
        # One value per file: summed in Python (importing pyarrow.compute costs ~0.2 s a command).
        return None if counts.null_count else sum(counts.to_pylist())

    def _write_locally(self, relation: Relation, body: str) -> int | None:
        """``body``'s rows written as the new table ``relation`` by DuckDB's Parquet writer
        (:mod:`.delta_duckdb_write`): the rows written; None (nothing written) when the lakehouse
        is not a local folder or the rows are not of plain types."""
        from faborite.providers.delta_duckdb_write import write_table

        if not isinstance(self.folders, LocalFolders):
            return None
        folder = Path(self.folders.uri(relation.schema_name, relation.name))
        if GLOB_CHARACTERS.search(str(folder)):
            return None  # DuckDB would read it as a pattern
        self.forget(relation)
        written = write_table(self._con, folder, body, dialect=self.dialect, row_group_size=self._row_group_size)
        if written is None:
            return None
        self._written[(relation.schema_name, relation.name)] = written
        return written.rows

    def writer_properties(self) -> Any:
        """deltalake's Parquet writer settings for every file this connection writes."""
        from deltalake import WriterProperties

        return WriterProperties(max_row_group_size=self._row_group_size) if self._row_group_size else None

    def _check_writable(self, what: str) -> None:
        if self._read_only:
            raise ProviderError(f"refused: this connection to {self.location} is read-only", hint=sql_hint(what))

    # -- internals: what DuckDB sees -----------------------------------------------

    def _show(self, sql: str) -> None:
        """Make every lakehouse relation ``sql`` names visible to DuckDB as ``"schema"."name"``."""
        import sqlglot
        from sqlglot import exp

        try:
            trees = [t for t in sqlglot.parse(sql, read=self.dialect.sqlglot_dialect) if t is not None]
        except sqlglot.errors.SqlglotError:
            return  # DuckDB reports what is wrong with it
        for tree in trees:
            ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
            for table in tree.find_all(exp.Table):
                if table.catalog or not table.name or (not table.db and table.name in ctes):
                    continue
                self._make_visible(table.db or self.dialect.default_schema, table.name)

    def _make_visible(self, schema: str, name: str) -> bool:
        """Register the table or view ``schema.name`` in DuckDB (once); False when there is none."""
        if (schema, name) in self._visible:
            return True
        try:
            check_name(schema, "schema")
            check_name(name, "relation")
        except ProviderError:
            return False
        relation = Relation(schema_name=schema, name=name)
        written = self._written.get((schema, name))
        kind = "table" if written is not None else relation_kind(self.folders, relation)
        if kind is None:
            return False
        quoted = self.dialect.quote_relation(relation)
        self._con.execute(self.dialect.create_schema(schema))
        if written is not None:
            self._visible[(schema, name)] = ""
            select = self._parquet_select([column for column, _ in written.columns], list(written.files))
            self._con.execute(f"CREATE OR REPLACE VIEW {quoted} AS {select}")
        elif kind == "table":
            from deltalake import DeltaTable

            from faborite.providers import delta_table

            table = DeltaTable(self.folders.uri(schema, name), storage_options=self.folders.storage_options)
            files = delta_table.plain_files(table)
            files = self.folders.local_paths((schema, name), files) if files else None
            if files:
                # DuckDB's own Parquet reader over exactly the files the log lists: parallel and
                # pushed down, about twice as fast for models as scanning a pyarrow dataset.
                self._visible[(schema, name)] = ""
                select = self._parquet_select(delta_table.schema(table).names, files)
                self._con.execute(f"CREATE OR REPLACE VIEW {quoted} AS {select}")
            else:
                hidden = f"__faborite_delta_{next(_HIDDEN)}"
                self._con.register(hidden, delta_table.dataset(table))
                self._visible[(schema, name)] = hidden
                self._con.execute(
                    f"CREATE OR REPLACE VIEW {quoted} AS SELECT * FROM {self.dialect.quote_identifier(hidden)}")
        else:
            body = self.folders.read_text(schema, name, VIEW_FILE) or ""
            self._visible[(schema, name)] = ""
            self._show(body)
            self._con.execute(f"CREATE OR REPLACE VIEW {quoted} AS {body}")
        return True

    def _parquet_select(self, names: list[str], files: list[str]) -> str:
        """A SELECT of a table's columns ``names``, in its schema's order, from its Parquet ``files``
        (by name: a column added by a later commit reads as NULL in older files)."""
        d = self.dialect
        columns = ", ".join(d.quote_identifier(name) for name in names)
        paths = ", ".join(d.literal(path) for path in files)
        return f"SELECT {columns} FROM read_parquet([{paths}], union_by_name = true)"

    def _walk(self, schema_names: Sequence[str]) -> Iterator[tuple[Relation, str]]:
        for schema in schema_names:
            try:
                check_name(schema, "schema")
            except ProviderError:
                continue
            for name in self.folders.list_dirs(schema):
                relation = Relation(schema_name=schema, name=name)
                kind = relation_kind(self.folders, relation)
                if kind is not None:
                    yield relation, kind

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        """Engine, Delta and storage failures as :class:`ProviderError` (first line, secrets removed)."""
        try:
            yield
        except FaboriteError:
            raise
        except Exception as exc:  # noqa: BLE001 - duckdb, deltalake, arrow and OS errors alike
            if self._closed:
                raise ProviderError("the connection is closed", hint=sql_hint(sql)) from None
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            kept = []
            for line in lines:
                if line.startswith(("LINE ", "Traceback")):
                    break
                kept.append(line)
            message = redact(" ".join(kept)[:1000] or type(exc).__name__, *self._secrets())
            raise ProviderError(message, hint=sql_hint(sql)) from None

    def _secrets(self) -> list[str]:
        options = self.folders.storage_options or {}
        return [v for k, v in options.items() if names_a_credential(k)]


#: Arrow types Delta has no equivalent of, and the type each is written as (values unchanged).
def _delta_type(kind: "pa.DataType") -> "pa.DataType":
    import pyarrow as pa

    widen = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64(),
             pa.uint64(): pa.decimal128(20, 0)}
    if kind in widen:
        return widen[kind]
    if pa.types.is_dictionary(kind):
        return _delta_type(kind.value_type)
    return kind


def delta_compatible(reader: "pa.RecordBatchReader") -> "pa.RecordBatchReader":
    """``reader`` with unsigned integers widened (Delta has none); unchanged when nothing needs it."""
    import pyarrow as pa

    schema = reader.schema
    target = pa.schema([field.with_type(_delta_type(field.type)) for field in schema])
    if target.equals(schema):
        return reader
    return pa.RecordBatchReader.from_batches(target, (batch.cast(target) for batch in reader))
