"""Opening a Spark session for a ``type: spark`` target, and Spark's errors as faborite's.

Every faborite command is a new process, so what apply builds must outlive the
session. Where it lives:

- **A local master** (``local[N]``) with a warehouse folder: Spark's Hive
  support with an embedded Derby metastore *inside the warehouse*
  (``<warehouse>/metastore_db``) and the tables' Parquet files beside it
  (``spark.sql.warehouse.dir``). The next process opens the same metastore and
  finds every table and view. Derby embedded admits one process at a time.
- **A cluster master** (``spark://``, ``yarn``, ``k8s://``) or a warehouse URL:
  Hive support with the metastore the cluster's configuration names
  (``hive-site.xml`` or ``conf: {spark.hadoop.hive.metastore.uris: ...}``).
- **Spark Connect** (``remote: sc://...``): the server's own catalog; faborite
  sets nothing but the ``conf:`` given.

pyspark is imported here only, when a connection opens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faborite.errors import ProviderError
from faborite.providers.sql_errors import sql_hint

INSTALL_HINT = 'pip install "faborite[spark]" (Spark also needs Java 17 or later on PATH or in JAVA_HOME)'
CONNECT_HINT = 'Spark Connect needs the connect client: pip install "pyspark[connect]"'
#: A URL (``hdfs://``, ``s3a://``, ``abfss://``, ``file:/``) rather than a local folder.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")
#: Settings that say where the metastore is: when given, faborite does not set up Derby.
_METASTORE_KEYS = ("spark.hadoop.hive.metastore.uris", "spark.hadoop.javax.jdo.option.ConnectionURL",
                   "spark.sql.catalogImplementation")
#: pyspark logs every SQL error, with the JVM's stack trace, before raising it; faborite reports them itself.
_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def is_local(master: str) -> bool:
    """Whether ``master`` runs Spark inside this process's machine (``local``, ``local[4]``, ``local[*]``)."""
    return master == "local" or master.startswith("local[")


def warehouse_location(warehouse: str, project_root: Path | None) -> str:
    """``warehouse`` as Spark needs it: a URL unchanged, a folder resolved against the project."""
    if _URL.match(warehouse):
        return warehouse
    folder = Path(warehouse).expanduser()
    if not folder.is_absolute():
        folder = (project_root or Path.cwd()) / folder
    return str(folder.resolve())


def session_settings(master: str | None, warehouse: str | None, conf: dict[str, Any]) -> dict[str, str]:
    """Every setting the session builder gets: faborite's defaults, then the target's ``conf:`` (which wins)."""
    settings: dict[str, str] = {}
    if master is not None:
        settings.update({"spark.app.name": "faborite", "spark.ui.enabled": "false",
                         "spark.sql.session.timeZone": "UTC", "spark.sql.catalogImplementation": "hive"})
        if is_local(master):
            settings["spark.sql.shuffle.partitions"] = "4"
        if warehouse is not None:
            settings["spark.sql.warehouse.dir"] = warehouse
            if not _URL.match(warehouse) and not any(key in conf for key in _METASTORE_KEYS):
                derby = f"jdbc:derby:;databaseName={warehouse}/metastore_db;create=true"
                settings["spark.hadoop.javax.jdo.option.ConnectionURL"] = derby
                # Derby's log (derby.log) beside its database, not in the working directory.
                settings["spark.driver.extraJavaOptions"] = f"-Dderby.system.home={warehouse}"
    settings.update({key: _text(value) for key, value in conf.items()})
    return settings


def _folder(location: str) -> str:
    """A warehouse location comparable with the one Spark reports (``file:/x/`` is ``/x``)."""
    return re.sub(r"^file:(?://)?", "", location).rstrip("/")


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def open_session(master: str | None, remote: str | None, settings: dict[str, str], where: str) -> tuple[Any, bool]:
    """A Spark session and whether faborite created it (and so stops it on close).

    An already running session in this process (faborite called from inside a
    Spark application) is used as it is and left running.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ProviderError("the spark target needs pyspark, which is not installed", hint=INSTALL_HINT) from None
    for name in _PYSPARK_ERROR_LOGGERS:
        logging.getLogger(name).disabled = True
    running = SparkSession.getActiveSession()
    if running is not None and remote is None:
        wanted, has = settings.get("spark.sql.warehouse.dir"), running.conf.get("spark.sql.warehouse.dir", None)
        if wanted and has and _folder(has) != _folder(wanted):
            raise ProviderError(f"a Spark session with warehouse {has} is already running in this process",
                                hint=f"one process has one Spark session; run faborite for {wanted} in its own process")
        return running, False
    builder = SparkSession.builder
    builder = builder.remote(remote) if remote is not None else builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except ImportError as exc:
        raise ProviderError(f"could not start Spark for {where}: {exc}", hint=CONNECT_HINT) from None
    except Exception as exc:  # noqa: BLE001 - the JVM or the server refused; say which, without a trace
        raise ProviderError(f"could not start Spark for {where}: {spark_message(exc)}", hint=INSTALL_HINT) from None
    if remote is None:
        session.sparkContext.setLogLevel("ERROR")
    return session, True


def spark_message(exc: BaseException) -> str:
    """The first line of Spark's own message: no JVM stack trace, no echoed SQL."""
    java = getattr(exc, "java_exception", None)
    text = str(java) if java is not None else str(exc)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("An error occurred while calling"):
            # A Java exception prints as `org.apache...SomeException: message`.
            return re.sub(r"^(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error): ", "", line.lstrip(": "))
    return type(exc).__name__


def _spark_errors() -> tuple[type[BaseException], ...]:
    """pyspark's error classes and py4j's (the JVM side), whichever are importable."""
    found: list[type[BaseException]] = []
    try:
        from pyspark.errors import PySparkException

        found.append(PySparkException)
    except ImportError:  # pragma: no cover - pyspark < 3.4
        pass
    try:
        from py4j.protocol import Py4JError

        found.append(Py4JError)
    except ImportError:  # Spark Connect clients ship without py4j
        pass
    return tuple(found)


@contextmanager
def spark_errors(sql: str, where: str = "") -> Iterator[None]:
    """Spark's errors while running ``sql`` as :class:`ProviderError`: its message's first line, the SQL as hint."""
    try:
        yield
    except _spark_errors() as exc:
        message = spark_message(exc)
        hint = sql_hint(sql)
        if "metastore" in message.lower() or "derby" in message.lower():
            hint += f"; is another process using the metastore of {where}? (Derby admits one at a time)"
        raise ProviderError(message, hint=hint) from None
