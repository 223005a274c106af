"""Entry-point discovery: built-ins load like plugins, and outsiders plug in without the core."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types

import pytest
from pydantic import BaseModel

from faborite import plugins
from faborite.dialects import Dialect, get_dialect
from faborite.errors import ConfigError, ProviderError


@pytest.fixture(autouse=True)
def fresh_cache():
    plugins.clear_cache()
    yield
    plugins.clear_cache()


@pytest.fixture
def third_party(monkeypatch):
    """A fake installed distribution: a module and entry points naming it, plus broken ones."""
    module = types.ModuleType("faborite_fake_plugin")

    class FakeConfig(BaseModel, extra="forbid"):
        type: str

    class FakeProvider:
        name = "fake"
        config_model = FakeConfig

        def connect(self, config, project_root, *, read_only=False):
            raise NotImplementedError

    class FakeDialect(Dialect, register=False):
        name = "fakesql"
        sqlglot_dialect = "postgres"

    class FakeSinkProvider:
        name = "fakefmt"

        def open(self, directory, *, partition_by=(), compression=None, previous=None):
            raise NotImplementedError

    module.FakeProvider = FakeProvider
    module.FakeSinkProvider = FakeSinkProvider
    module.FakeDialect = FakeDialect
    module.NotAProvider = object()
    monkeypatch.setitem(sys.modules, "faborite_fake_plugin", module)

    extra = [
        importlib.metadata.EntryPoint("fake", "faborite_fake_plugin:FakeProvider", plugins.PROVIDER_GROUP),
        importlib.metadata.EntryPoint("broken", "faborite_missing_module:Provider", plugins.PROVIDER_GROUP),
        importlib.metadata.EntryPoint("notone", "faborite_fake_plugin:NotAProvider", plugins.PROVIDER_GROUP),
        importlib.metadata.EntryPoint("fakesql", "faborite_fake_plugin:FakeDialect", plugins.DIALECT_GROUP),
        importlib.metadata.EntryPoint("brokensql", "faborite_fake_plugin:Missing", plugins.DIALECT_GROUP),
        importlib.metadata.EntryPoint("fakefmt", "faborite_fake_plugin:FakeSinkProvider", plugins.SINK_GROUP),
        importlib.metadata.EntryPoint("notasink", "faborite_fake_plugin:NotAProvider", plugins.SINK_GROUP),
    ]
    real = importlib.metadata.entry_points

    def entry_points():  # as faborite.plugins calls it: once, then select(group=...)
        installed = real()
        return types.SimpleNamespace(
            select=lambda **params: [*installed.select(**params), *[ep for ep in extra if ep.matches(**params)]])

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    return module


def test_builtin_provider_loads_by_entry_point():
    from faborite.providers.duckdb import DuckDBProvider, DuckDBTargetConfig

    provider = plugins.load_provider("duckdb")
    assert isinstance(provider, DuckDBProvider)
    assert provider.name == "duckdb"
    assert provider.config_model is DuckDBTargetConfig
    assert plugins.load_provider("duckdb") is provider  # loaded once
    assert "duckdb" in plugins.provider_names()


def test_builtin_dialect_loads_by_entry_point():
    from faborite.dialects.duckdb import DuckDBDialect

    assert plugins.load_dialect_class("duckdb") is DuckDBDialect
    assert "duckdb" in plugins.dialect_names()


def test_unknown_target_type_hints_a_close_name():
    with pytest.raises(ConfigError, match="unknown target type 'duckdbb'") as info:
        plugins.load_provider("duckdbb")
    assert info.value.hint == "did you mean 'duckdb'?"


def test_unknown_target_type_lists_installed_types():
    with pytest.raises(ConfigError) as info:
        plugins.load_provider("zzzzzz")
    assert info.value.hint.startswith("installed target types: ")
    assert "duckdb" in info.value.hint


def test_unknown_dialect_hints():
    with pytest.raises(ConfigError, match="unknown dialect 'duckbd'") as info:
        plugins.load_dialect_class("duckbd")
    assert info.value.hint == "did you mean 'duckdb'?"


def test_third_party_provider_and_dialect_are_discovered(third_party):
    assert {"duckdb", "fake"} <= set(plugins.provider_names())
    provider = plugins.load_provider("fake")
    assert isinstance(provider, third_party.FakeProvider)
    assert plugins.load_dialect_class("fakesql") is third_party.FakeDialect
    assert get_dialect("fakesql") is third_party.FakeDialect
    # A close name now also suggests the plugin.
    with pytest.raises(ConfigError) as info:
        plugins.load_provider("fak")
    assert "'fake'" in info.value.hint


def test_broken_plugin_names_the_entry_point_and_the_import_error(third_party):
    with pytest.raises(ProviderError) as info:
        plugins.load_provider("broken")
    message = info.value.message
    assert "'broken'" in message and "faborite_missing_module:Provider" in message
    assert "ModuleNotFoundError" in message
    with pytest.raises(ProviderError, match="brokensql.*AttributeError"):
        plugins.load_dialect_class("brokensql")
    # A broken plugin does not break the others.
    assert plugins.load_provider("duckdb").name == "duckdb"


def test_an_entry_point_that_is_not_a_provider(third_party):
    with pytest.raises(ProviderError, match="is not a target provider"):
        plugins.load_provider("notone")


def test_builtin_sink_loads_by_entry_point():
    from faborite.providers.delta_sink import DeltaSinkProvider
    from faborite.sync.sinks import SinkProvider

    provider = plugins.load_sink_provider("delta")
    assert isinstance(provider, DeltaSinkProvider) and isinstance(provider, SinkProvider)
    assert plugins.load_sink_provider("delta") is provider  # loaded once
    assert "delta" in plugins.sink_format_names()


def test_unknown_output_format_lists_installed_formats():
    with pytest.raises(ConfigError, match="unknown output format 'deltaa'") as info:
        plugins.load_sink_provider("deltaa")
    assert info.value.hint == "did you mean 'delta'?"
    with pytest.raises(ConfigError) as info:
        plugins.load_sink_provider("zzzzzz")
    assert info.value.hint.startswith("installed output formats: target, parquet, csv, json")
    assert "delta" in info.value.hint


def test_third_party_sink_is_discovered(third_party):
    assert {"delta", "fakefmt"} <= set(plugins.sink_format_names())
    assert isinstance(plugins.load_sink_provider("fakefmt"), third_party.FakeSinkProvider)
    with pytest.raises(ProviderError, match="is not a sink provider: it lacks name, open"):
        plugins.load_sink_provider("notasink")


def test_importing_plugins_loads_no_engine_library():
    code = (
        "import sys\n"
        "from faborite import plugins\n"
        "plugins.load_provider('duckdb').config_model.model_validate({'type': 'duckdb'})\n"
        "from faborite.dialects import get_dialect\n"
        "get_dialect('duckdb')().create_schema('s')\n"
        "plugins.load_provider('postgres').config_model.model_validate("
        "{'type': 'postgres', 'user': 'u', 'dbname': 'd'})\n"
        "get_dialect('postgres')().pointer_reads('SELECT * FROM s.t')\n"
        "plugins.load_provider('spark').config_model.model_validate({'type': 'spark', 'master': 'local[2]'})\n"
        "get_dialect('spark')().pointer_reads('SELECT * FROM `s`.`t`')\n"
        "heavy = {'duckdb', 'pyarrow', 'sqlglot', 'psycopg', 'pyspark', 'py4j'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
