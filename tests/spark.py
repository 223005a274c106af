"""A local Spark session for tests: one JVM per test session, with a temporary warehouse.

Its fixture ``spark_connection`` is registered once for every test (tests/conftest.py names
this module in ``pytest_plugins``).

Without pyspark or Java the fixture skips on a laptop and fails on CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest

from tests.azurite import skip_or_fail

INSTALL_HINT = 'pyspark or Java not found: pip install -e ".[dev]" and install Java 17+ (JAVA_HOME or PATH)'
#: Test-only settings: a small driver and few shuffle partitions (test tables are tiny).
FAST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.memory": "1g",
}


#: JVM options for a short-lived Spark CLI child: the client compiler only (C1) and the serial
#: collector. A command's JVM lives seconds running tiny jobs: C2's optimising compiles cost more
#: than they return there (`faborite --target spark plan` took 28-33 s with the defaults, 16-19 s
#: with these, on 2 cores). The session fixture keeps the defaults: its one long-lived JVM gained
#: nothing (tests/providers/test_spark.py + the Spark benchmark smoke, 89.0 s vs 88.4 s). Only how
#: fast the JVM runs changes, never what Spark does.
FAST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def fast_jvm_env() -> dict[str, str]:
    """``JAVA_TOOL_OPTIONS`` with :data:`FAST_JVM_OPTIONS` added: for a child process that starts Spark."""
    given = os.environ.get("JAVA_TOOL_OPTIONS", "")
    if FAST_JVM_OPTIONS in given:
        return {"JAVA_TOOL_OPTIONS": given}
    return {"JAVA_TOOL_OPTIONS": f"{given} {FAST_JVM_OPTIONS}".strip()}


def spark_available() -> bool:
    """pyspark importable and a Java runtime found."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    java_home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK)))


def require_spark() -> None:
    if not spark_available():
        skip_or_fail(INSTALL_HINT)


@pytest.fixture(scope="session")
def spark_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A SparkConnection on ``local[2]`` with a fresh warehouse, one per test process (Spark allows
    one session per process; pyspark stops its JVM when the process ends)."""
    require_spark()
    from faborite.providers.spark import SparkProvider, SparkTargetConfig

    root = tmp_path_factory.mktemp("spark")
    config = SparkTargetConfig.model_validate(
        {"type": "spark", "master": "local[2]", "warehouse": "warehouse", "conf": FAST_CONF})
    started = time.monotonic()
    connection = SparkProvider().connect(config, project_root=root)
    connection.startup_seconds = time.monotonic() - started
    yield connection
