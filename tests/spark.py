"""A local Spark session for tests: one JVM per test session, with a temporary warehouse.

Use the session fixture from a test module::

    from tests.spark import spark_connection  # noqa: F401  (re-exported fixture)

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


#: The one Spark session of this test process (Spark allows one per process). Test modules
#: import the fixture, and pytest makes each import its own session-scoped fixture: they all
#: share this connection; pyspark stops its JVM when the process ends.
_SHARED: list = []


@pytest.fixture(scope="session")
def spark_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A SparkConnection on ``local[2]`` with a fresh warehouse, one per test process."""
    require_spark()
    if not _SHARED:
        from faborite.providers.spark import SparkProvider, SparkTargetConfig

        root = tmp_path_factory.mktemp("spark")
        config = SparkTargetConfig.model_validate(
            {"type": "spark", "master": "local[2]", "warehouse": "warehouse", "conf": FAST_CONF})
        started = time.monotonic()
        connection = SparkProvider().connect(config, project_root=root)
        connection.startup_seconds = time.monotonic() - started
        _SHARED.append(connection)
    yield _SHARED[0]
