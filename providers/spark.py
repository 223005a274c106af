"""Spark target: Parquet tables and views in a Spark session catalog, for data past one machine.

pyspark is imported only when a connection opens (:mod:`.spark_session`), so
validating a target's config costs nothing and works without the ``spark`` extra.

How the connection behaves, and why:

- **Where tables persist** across faborite's processes: see
  :mod:`faborite.providers.spark_session` (a Derby metastore inside the
  warehouse for local masters; the cluster's or Spark Connect server's catalog
  otherwise).
- **No transactions**: Spark has none. :meth:`SparkConnection.transaction`
  only groups statements (and refuses to nest); each statement takes effect on
  its own. The dialect says so (``transactional_ddl = False``), so publish
  runs one view at a time and the plan shows it is not atomic.
- **Loads** (:meth:`SparkConnection.create_table_from_arrow`) read the whole
  source first, then write the table with one ``CREATE TABLE ... AS SELECT``
  from a temporary view: a source that fails leaves nothing, and Spark drops a
  table whose CTAS job fails.
- **Threads share the session**: a Spark session is thread-safe, so
  :meth:`SparkConnection.cursor` is another handle on the same session.
- **Names**: the session catalog keeps schema and table names in lower case
  and letters, digits and ``_`` only; relations are reported as it stores them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from faborite.dialects import get_dialect
from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.providers.spark_arrow import for_spark, spark_schema
from faborite.providers.spark_metrics import labelled, rows_written
from faborite.providers.spark_session import is_local, open_session, session_settings, spark_errors, \
    warehouse_location
from faborite.providers.sql_errors import WatchedSource
from faborite.relation import Relation
from faborite.target import Column, RelationInfo

if TYPE_CHECKING:
    import pyarrow as pa

#: ``SHOW TABLE EXTENDED``'s text for a view: Spark prints the SQL twice, as written (``View Text``)
#: and as given (``View Original Text``); both are the same for a view created by SQL.
_VIEW_TEXT = re.compile(r"^View Text: (.*?)\nView Original Text: \1\n", re.MULTILINE | re.DOTALL)
_VIEW_TEXT_ONLY = re.compile(r"^View Text: (.*?)\nView Original Text: ", re.MULTILINE | re.DOTALL)
_TYPE = re.compile(r"^Type: (\w+)$", re.MULTILINE)
#: A statement that creates a table (its rows are read from the write's metrics).
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\b", re.IGNORECASE)


class SparkTargetConfig(BaseModel):
    """The ``targets:`` block of a Spark target: a master or a Spark Connect server, exactly one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["spark"]
    #: ``local[N]``, ``spark://host:7077``, ``yarn``, ``k8s://...``: Spark runs from this process.
    master: str | None = Field(default=None, min_length=1)
    #: ``sc://host:15002``: a Spark Connect server runs everything, with its own catalog.
    remote: str | None = Field(default=None, pattern=r"^sc://")
    #: Where tables are stored: a folder (relative to the project) or a URL. Not with ``remote``.
    warehouse: str | None = Field(default=None, min_length=1)
    #: The schema unqualified names resolve to (``USE``); spelled ``schema`` in YAML.
    schema_name: str = Field(default="default", alias="schema", pattern=r"^[A-Za-z0-9_]+$")
    #: Settings for the session builder (``spark.executor.memory: 4g``); they win over faborite's.
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)
    #: The faborite dialect SQL for this target is generated in.
    dialect: str = "spark"

    @model_validator(mode="after")
    def _one_engine(self) -> SparkTargetConfig:
        if (self.master is None) == (self.remote is None):
            raise ValueError("set exactly one of `master` (local[N], spark://..., yarn) or `remote` (sc://host:port)")
        if self.remote is not None and self.warehouse is not None:
            raise ValueError("`warehouse` is the Spark Connect server's own setting; leave it out with `remote`")
        return self

    def where(self) -> str:
        """The master or server, for messages: a Spark Connect URL without its ``/;token=...`` parameters."""
        return self.remote.split("/;", 1)[0] if self.remote else self.master or ""

    def settings(self, project_root: Path | None) -> dict[str, str]:
        """The session builder's settings; a local master gets ``.faborite/spark-warehouse`` by default."""
        warehouse = self.warehouse
        if warehouse is None and self.master is not None and is_local(self.master):
            warehouse = ".faborite/spark-warehouse"
        location = warehouse_location(warehouse, project_root) if warehouse is not None else None
        return session_settings(self.master, location, self.conf)


class SparkProvider:
    """Opens :class:`SparkConnection` s; registered as entry point ``spark``."""

    name = "spark"
    config_model = SparkTargetConfig
    #: Reads dbt profile outputs of this adapter type (a dbt project run in place).
    dbt_adapter_type = "spark"

    def target_from_dbt(self, output: Any) -> tuple[dict[str, Any], list[str]]:
        """This target's block for a dbt ``type: spark`` profile output, and the dbt keys ignored.

        dbt-spark's ``method: session`` runs Spark in the dbt process, as a ``master`` does here;
        its thrift, http and odbc methods reach a server faborite does not speak to.
        """
        from faborite.dbt.output_keys import translate_output
        from faborite.errors import ConfigError

        method = output.get("method", "session")
        if method != "session":
            raise ConfigError(f"dbt-spark `method: {method}` is not supported: faborite runs Spark in process "
                              "(`method: session`) or through Spark Connect",
                              hint="use `method: session`, or write a faborite.yml with a spark target "
                                   "`remote: sc://host:15002`")
        block, ignored = translate_output(output, self.name, {"schema": "schema", "server_side_parameters": "conf"})
        block.setdefault("master", "local[*]")
        return block, [key for key in ignored if key not in ("method", "host")]

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> SparkConnection:
        """Start (or join) a Spark session. ``read_only`` is not enforced by Spark: ``faborite query``
        relies on its own single-SELECT check there."""
        if not isinstance(config, SparkTargetConfig):
            raw = config if isinstance(config, dict) else config.model_dump(by_alias=True)
            config = SparkTargetConfig.model_validate(raw)
        dialect = get_dialect(config.dialect)()
        session, owned = open_session(config.master, config.remote, config.settings(project_root), config.where())
        connection = SparkConnection(session, dialect, where=config.where(), owned=owned)
        try:
            if config.schema_name != dialect.default_schema and config.schema_name.lower() in connection.schemas():
                connection.execute(f"USE {dialect.quote_identifier(config.schema_name)}")
        except ProviderError:
            connection.close()
            raise
        return connection


class SparkConnection:
    """A handle on a Spark session implementing :class:`faborite.target.TargetConnection`.

    Thread-safe: :meth:`cursor` hands out more handles on the same session.
    """

    def __init__(self, session: Any, dialect: Dialect, *, where: str = "", owned: bool = False) -> None:
        self._session = session
        self.dialect = dialect
        self.where = where
        self._owned = owned
        self._closed = False
        self._in_transaction = False

    def __repr__(self) -> str:
        return f"SparkConnection({self.where!r})"

    def __enter__(self) -> SparkConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SqlRunner ----------------------------------------------------------

    def execute(self, sql: str) -> int | None:
        """Run one statement (DDL and DML run when called; a query is only analysed).

        Returns the rows a ``CREATE TABLE ... AS`` wrote, from Spark's metrics of the write
        (:mod:`.spark_metrics`), or None when they cannot be read: never a second job to count.
        """
        if not _CREATE_TABLE.match(sql):
            self._sql(sql)
            return None
        with labelled(self._session, sql.strip().split("\n", 1)[0]) as label:
            self._sql(sql)
        return rows_written(self._session, label)

    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return all rows, typed by Spark's result schema."""
        with spark_errors(sql, self.where):
            return self._sql(sql).toArrow()

    def fetch_scalar(self, sql: str) -> Any:
        """First column of the first row, or None when there are no rows."""
        with spark_errors(sql, self.where):
            rows = self._sql(sql).take(1)
        return rows[0][0] if rows else None

    def _sql(self, sql: str) -> Any:
        if self._closed:
            raise ProviderError(f"the connection to Spark ({self.where}) is closed")
        with spark_errors(sql, self.where):
            return self._session.sql(sql)

    # -- Transactional --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Groups statements only: Spark has no transactions, so each statement inside takes
        effect when it runs and nothing is undone on error (the dialect declares this)."""
        if self._in_transaction:
            raise ProviderError("a transaction is already open on this connection",
                                hint="transactions do not nest; use cursor() for independent work")
        self._in_transaction = True
        try:
            yield
        finally:
            self._in_transaction = False

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data: pa.Table | pa.RecordBatchReader) -> None:
        """Create ``relation`` from Arrow data with one CTAS from a temporary view.

        The whole source is read first (it must fit in the driver's memory), so a
        failing source leaves nothing behind; an existing relation is an error.
        """
        import pyarrow as pa

        source = WatchedSource(data)
        try:
            table = pa.Table.from_batches(list(source.batches()), schema=data.schema)
        except Exception:
            source.raise_source_error(relation)
            raise
        self.execute(self.dialect.create_schema(relation.schema_name))
        table = for_spark(table)
        with spark_errors(f"createDataFrame for {relation}", self.where):
            frame = self._session.createDataFrame(table, schema=spark_schema(table.schema))
        temporary = f"faborite_load_{uuid.uuid4().hex}"
        frame.createOrReplaceTempView(temporary)
        try:
            self.execute(self.dialect.create_table_as(relation, f"SELECT * FROM {temporary}"))
        finally:
            self._session.catalog.dropTempView(temporary)

    # -- Inspector ------------------------------------------------------------

    def schemas(self) -> set[str]:
        """The names of the schemas in the session catalog, as it stores them (lower case)."""
        with spark_errors("SHOW SCHEMAS", self.where):
            return {row[0] for row in self._sql("SHOW SCHEMAS").collect()}

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view in the given schemas (one ``SHOW TABLE EXTENDED`` per existing schema)."""
        return {info.relation for info in self.describe_relations(schema_names)}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Tables and views of the given schemas, views with the SQL Spark keeps for them.

        One catalog call for the schemas, then one ``SHOW TABLE EXTENDED`` per schema that
        exists (Spark has no catalog query across schemas). Temporary views are left out.
        """
        wanted = sorted({name.lower() for name in schema_names})
        if not wanted:
            return []
        existing = self.schemas()
        found: list[RelationInfo] = []
        for schema in wanted:
            if schema not in existing:
                continue
            sql = f"SHOW TABLE EXTENDED IN {self.dialect.quote_identifier(schema)} LIKE '*'"
            with spark_errors(sql, self.where):
                rows = self._sql(sql).collect()
            for namespace, name, temporary, information in rows:
                if temporary:
                    continue
                found.append(_relation_info(namespace or schema, name, information))
        return found

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order, with Spark's type names (``int``, ``decimal(18,3)``)."""
        with spark_errors(f"columns of {relation}", self.where):
            schema = self._session.table(self.dialect.quote_relation(relation)).schema
        return [Column(name=field.name, type=field.dataType.simpleString()) for field in schema.fields]

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        """Spark's version and where it runs, for ``faborite debug``."""
        return f"Spark {self._session.version} ({self.where})"

    def cursor(self) -> SparkConnection:
        """Another handle on the same (thread-safe) session; closing it leaves the session running."""
        return SparkConnection(self._session, self.dialect, where=self.where, owned=False)

    def close(self) -> None:
        """Close the handle (idempotent); stops the session only if this connection started it."""
        if not self._closed:
            self._closed = True
            if self._owned:
                self._session.stop()


def _relation_info(schema: str, name: str, information: str) -> RelationInfo:
    """One row of ``SHOW TABLE EXTENDED`` as a :class:`RelationInfo`."""
    relation = Relation(schema_name=schema, name=name)
    kind = _TYPE.search(information or "")
    if kind is None or kind.group(1) != "VIEW":
        return RelationInfo(relation=relation, kind="table")
    text = _VIEW_TEXT.search(information) or _VIEW_TEXT_ONLY.search(information)
    return RelationInfo(relation=relation, kind="view", definition=text.group(1) if text else None)
