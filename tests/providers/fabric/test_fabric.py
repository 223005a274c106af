"""The fabric source against Azurite posing as OneLake, with real OneLake URLs.

Azurite runs with TLS and ``--oauth basic``, so the provider's real code path
runs: a TokenCredential's bearer token goes to the Blob listing and to
deltalake (``bearer_token`` + ``use_fabric_endpoint``) for
``abfss://<ws>@onelake.dfs.fabric.microsoft.com/...`` URLs. Only the endpoint
and the emulator's self-signed certificate are injected.
"""

from __future__ import annotations

import json
import struct
import threading
import time
import uuid

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceResponseError
from deltalake import DeltaTable, write_deltalake

from faborite.errors import ProviderError
from faborite.providers.delta import DeltaFolderSource
from faborite.providers.fabric import (
    FabricSource,
    FabricSourceConfig,
    FabricSourceProvider,
    onelake_storage_options,
    table_url,
)
from faborite.sync.source import TableSource
from tests.azurite import FakeEntraCredential
from tests.sync.source_conformance import ORDERS, SourceConformance

service = pytest.mark.service


# ---------------------------------------------------------------- helpers


def config(lake, lakehouse: str = "Sales", **kw) -> FabricSourceConfig:
    return FabricSourceConfig(type="fabric", name="sales_lh", workspace=lake.workspace, lakehouse=lakehouse, **kw)


def open_source(lake, lakehouse: str = "Sales", *, blob_service=None, credential=None, sleeps=None, **kw) -> FabricSource:
    return FabricSource(
        config(lake, lakehouse, **kw),
        credential=credential or lake.credential,
        storage_options_override=lake.storage_options_override(),
        blob_service=blob_service or lake.blob_service(),
        retry_base_delay=0.01,
        sleep=(sleeps.append if sleeps is not None else time.sleep),
    )


def seed(lake, table: str, data: pa.Table, *, folder: str = "Sales.Lakehouse", mode: str = "append", **kw) -> str:
    """Write a Delta table into the emulated lakehouse (shared key: independent of the provider's auth)."""
    url = f"abfss://{lake.workspace}@onelake.dfs.fabric.microsoft.com/{folder}/Tables/{table}"
    write_deltalake(url, data, mode=mode, storage_options=lake.azurite.shared_key_options("onelake"), **kw)
    return url


def orders(ids, region="eu") -> pa.Table:
    return pa.table({"order_id": pa.array(ids, pa.int64()), "region": [region] * len(ids),
                     "amount": pa.array([float(i) * 1.5 for i in ids])})


def rows(dataset) -> list[dict]:
    return sorted(dataset.to_table().to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


class CountingBlobService:
    """Wraps a BlobServiceClient; counts listings and fails the first ``failures`` of them."""

    def __init__(self, inner, failures: int = 0, error=None) -> None:
        self.inner, self.failures, self.calls = inner, failures, 0
        self.error = error or (lambda: ServiceResponseError("connection reset by peer (injected)"))

    def get_container_client(self, name):
        outer = self
        container = self.inner.get_container_client(name)

        class Container:
            def walk_blobs(self, *args, **kwargs):
                outer.calls += 1
                if outer.calls <= outer.failures:
                    raise outer.error()
                return container.walk_blobs(*args, **kwargs)

        return Container()

    def close(self) -> None:
        self.inner.close()


#: How long a test waits for something that should happen at once or soon: a guard against a
#: hang, never a measure of speed (timings belong in benchmarks/).
SAFETY_NET_SECONDS = 60


def finishes(fn):
    """``fn()``'s result (or its exception), run in a thread; fails only if it hangs past the safety net."""
    outcome: list = []
    done = threading.Event()

    def call() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=call, daemon=True).start()
    if not done.wait(SAFETY_NET_SECONDS):
        pytest.fail(f"still running after {SAFETY_NET_SECONDS} s (a hang, or a retry loop)")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


class RecordingCredential(FakeEntraCredential):
    """A FakeEntraCredential that keeps every token it minted (``minted``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.minted: list = []

    def get_token(self, *scopes, **kwargs):
        token = super().get_token(*scopes, **kwargs)
        self.minted.append(token)
        return token


class StaticCredential:
    """Always the same token, even an expired one."""

    def __init__(self, token) -> None:
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return self.token

    def close(self) -> None:
        pass


def wait_until_refused(lake, token) -> None:
    """Return once Azurite refuses ``token`` (it expired); the deadline is only a safety net."""
    deadline = time.monotonic() + SAFETY_NET_SECONDS
    with lake.blob_service(credential=StaticCredential(token)) as svc:
        container = svc.get_container_client(lake.workspace)
        while True:
            try:
                container.get_container_properties()
            except HttpResponseError as exc:  # ClientAuthenticationError is one
                if exc.status_code in (401, 403):
                    return
                raise
            if time.monotonic() > deadline:
                pytest.fail(f"Azurite still accepts a token that expired {SAFETY_NET_SECONDS} s ago")
            time.sleep(0.05)


def http_503() -> HttpResponseError:
    err = HttpResponseError(message="Service Unavailable (injected)")
    err.status_code = 503
    return err


class FailingCredential:
    """A credential whose every get_token fails the way azure-identity does."""

    def __init__(self, message: str) -> None:
        self.message, self.calls = message, 0

    def get_token(self, *scopes, **kwargs):
        self.calls += 1
        raise ClientAuthenticationError(message=self.message)


# ---------------------------------------------------------------- config and URLs (no service)


def test_config_rejects_secrets_and_unknown_keys():
    with pytest.raises(ValueError, match="credentials come only from the environment") as info:
        FabricSourceConfig.model_validate(
            {"type": "fabric", "name": "s", "workspace": "W", "lakehouse": "L", "client_secret": "hunter2-s3cret"}
        )
    assert "hunter2-s3cret" not in str(info.value.errors(include_input=False))
    with pytest.raises(ValueError):
        FabricSourceConfig.model_validate({"type": "fabric", "name": "s", "workspace": "W", "lakehouse": "L", "x": 1})
    with pytest.raises(ValueError):
        FabricSourceConfig(type="fabric", name="s", workspace="W/x", lakehouse="L")
    cfg = FabricSourceConfig(type="fabric", name="s", workspace="W", lakehouse="L", endpoint="https://onelake.dfs.fabric.microsoft.com/")
    assert cfg.endpoint == "onelake.dfs.fabric.microsoft.com" and cfg.auth == "default" and cfg.schema_enabled is None


def test_table_urls_follow_onelake_layout():
    assert table_url("Contoso", "Sales", "orders") == \
        "abfss://Contoso@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables/orders"
    assert table_url("Contoso", "Sales", "dbo.orders") == \
        "abfss://Contoso@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables/dbo/orders"
    ws, lh = str(uuid.uuid4()), str(uuid.uuid4())
    assert table_url(ws, lh, "orders", schema="sales") == \
        f"abfss://{ws}@onelake.dfs.fabric.microsoft.com/{lh}/Tables/sales/orders"
    with pytest.raises(ProviderError):
        table_url("Contoso", "Sales", "../etc")


def test_service_principal_needs_env_vars(monkeypatch):
    for var in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_TENANT_ID", "t")
    src = FabricSource(FabricSourceConfig(type="fabric", name="s", workspace="W", lakehouse="L", auth="service_principal"))
    with pytest.raises(ProviderError) as info:
        src.list_tables()
    assert "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET" in info.value.message
    assert "service_principal" in str(info.value)


def test_azure_cli_without_login_fails_at_once_naming_az_login(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` here: AzureCliCredential is unavailable
    sleeps: list[float] = []
    src = FabricSource(FabricSourceConfig(type="fabric", name="s", workspace="W", lakehouse="L", auth="azure_cli"),
                       sleep=sleeps.append)
    with pytest.raises(ProviderError) as info:
        src.describe("orders")
    assert sleeps == []  # at once: no retry, no backoff
    assert "auth 'azure_cli'" in info.value.message
    assert "az login" in info.value.hint


def test_provider_plugin_opens_a_table_source(tmp_path):
    provider = FabricSourceProvider()
    assert provider.name == "fabric" and provider.config_model is FabricSourceConfig
    src = provider.open(FabricSourceConfig(type="fabric", name="s", workspace="W", lakehouse="L"), tmp_path)
    assert isinstance(src, TableSource)
    src.close()


# ---------------------------------------------------------------- against Azurite


@service
def test_lists_plain_lakehouse_tables_with_versions_and_row_counts(lake):
    seed(lake, "orders", orders([1, 2, 3]))
    seed(lake, "orders", orders([4, 5]))  # v1
    seed(lake, "customers", pa.table({"customer_id": [1, 2]}))
    with lake.blob_service() as svc:  # a folder that is not a Delta table is not listed
        svc.get_blob_client(lake.workspace, "Sales.Lakehouse/Tables/junk/readme.txt").upload_blob(b"hi")
    listing = CountingBlobService(lake.blob_service())
    with open_source(lake, blob_service=listing) as src:
        tables = src.list_tables()
    assert [(t.name, t.version, t.row_count) for t in tables] == [("customers", "0", 2), ("orders", "1", 5)]
    assert tables[1].location == f"abfss://{lake.workspace}@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables/orders"
    assert listing.calls == 1  # one listing for the lakehouse, not one per table
    assert all("eyJ" not in t.model_dump_json() for t in tables)  # no token anywhere in what is returned


@service
def test_schema_enabled_lakehouse_is_detected_and_names_are_qualified(lake):
    seed(lake, "dbo/customers", pa.table({"customer_id": [1, 2, 3], "name": ["a", "b", "c"]}))
    seed(lake, "sales/regions", pa.table({"region": ["eu", "us"]}))
    with open_source(lake) as src:
        assert [(t.name, t.row_count) for t in src.list_tables()] == [("dbo.customers", 3), ("sales.regions", 2)]
        assert src.describe("customers") == src.describe("dbo.customers")  # default schema dbo
        assert src.describe("customers").location.endswith("/Sales.Lakehouse/Tables/dbo/customers")
        assert rows(src.dataset("sales.regions")) == [{"region": "eu"}, {"region": "us"}]
    with open_source(lake, schema_enabled=True) as src:
        assert [t.name for t in src.list_tables()] == ["dbo.customers", "sales.regions"]


@service
def test_describe_schema_and_dataset_read_the_right_rows(lake):
    seed(lake, "orders", orders([1, 2]))
    seed(lake, "orders", orders([3], region="us"))
    with open_source(lake) as src:
        info = src.describe("orders")
        assert (info.name, info.version, info.row_count, info.describe_version()) == ("orders", "1", 3, "1")
        schema = src.schema("orders")
        assert schema.names == ["order_id", "region", "amount"]
        assert schema.field("order_id").type == pa.int64()
        data = src.dataset("orders")
        assert data.schema.names == schema.names
        assert [r["order_id"] for r in rows(data)] == [1, 2, 3]
        filtered = data.to_table(columns=["order_id"], filter=pds.field("region") == "us")  # pushdown works
        assert filtered.to_pylist() == [{"order_id": 3}]
        assert src.describe("dbo.orders").name == "orders"  # non-schema lakehouses accept the dbo prefix


@service
def test_a_new_commit_bumps_the_version(lake):
    seed(lake, "orders", orders([1]))
    with open_source(lake) as src:
        before = src.describe("orders")
        seed(lake, "orders", orders([2]))
        after = src.describe("orders")
    assert (before.version, after.version) == ("0", "1")
    assert (before.row_count, after.row_count) == (1, 2)


@service
def test_reads_the_described_version_and_renews_the_token(lake):
    seed(lake, "orders", orders([1, 2]))
    credential = RecordingCredential(lifetime=2)  # tokens that expire two seconds after they are minted
    with open_source(lake, credential=credential) as src:
        assert src.describe("orders").version == "0"
        short_lived = credential.minted[-1]
        credential.lifetime = 3600
        seed(lake, "orders", orders([3]))
        wait_until_refused(lake, short_lived)  # the first token has expired: Azurite refuses it now
        scanned = src.scan("orders")  # a bounded stream (memory does not grow with the table)
        assert [r["order_id"] for r in sorted(scanned.reader().read_all().to_pylist(),
                                              key=lambda r: r["order_id"])] == [1, 2]  # the version the plan saw
        assert src.describe("orders").version == "1"
        assert [r["order_id"] for r in rows(src.dataset("orders"))] == [1, 2, 3]


@service
def test_overwritten_table_does_not_resurrect_old_rows(lake):
    seed(lake, "orders", orders([1, 2, 3]))
    seed(lake, "orders", orders([10, 11]), mode="overwrite")
    with lake.blob_service() as svc:
        parquet = [b.name for b in svc.get_container_client(lake.workspace).list_blobs(
            name_starts_with="Sales.Lakehouse/Tables/orders/") if b.name.endswith(".parquet")]
    assert len(parquet) == 2  # the removed file is still in storage ...
    with open_source(lake) as src:
        assert [r["order_id"] for r in rows(src.dataset("orders"))] == [10, 11]  # ... but the log drops it
        assert src.describe("orders").row_count == 2


@service
def test_missing_table_lakehouse_and_workspace_give_clear_errors(lake):
    seed(lake, "orders", orders([1]))
    with open_source(lake) as src:
        with pytest.raises(ProviderError) as info:
            src.dataset("order")
        msg = str(info.value)
        assert "table 'order' not found" in msg and lake.workspace in msg and "'Sales'" in msg
        assert "did you mean 'orders'" in msg
    with open_source(lake, lakehouse="Nope") as src:
        with pytest.raises(ProviderError, match="lakehouse 'Nope' not found in workspace"):
            src.list_tables()
        with pytest.raises(ProviderError, match="lakehouse 'Nope' not found"):
            src.describe("orders")
    cfg = FabricSourceConfig(type="fabric", name="s", workspace="no-such-ws", lakehouse="Sales")
    with FabricSource(cfg, credential=lake.credential, storage_options_override=lake.storage_options_override(),
                      blob_service=lake.blob_service()) as src:
        with pytest.raises(ProviderError, match="workspace 'no-such-ws' not found"):
            src.list_tables()
        with pytest.raises(ProviderError, match="workspace 'no-such-ws' not found"):
            src.describe("orders")


@service
def test_auth_failure_fails_at_once_naming_the_method_and_never_the_secret(lake, monkeypatch):
    secret = "sup3r-s3cret-value-" + uuid.uuid4().hex
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant")
    monkeypatch.setenv("AZURE_CLIENT_ID", "client")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    seed(lake, "orders", orders([1]))
    credential = FailingCredential(f"AADSTS7000215: Invalid client secret provided ({secret}).")
    listing = CountingBlobService(lake.blob_service())
    sleeps: list[float] = []
    with open_source(lake, auth="service_principal", credential=credential, blob_service=listing, sleeps=sleeps) as src:
        for call in (src.list_tables, lambda: src.describe("orders"), lambda: src.dataset("orders")):
            with pytest.raises(ProviderError) as info:
                call()
            text = str(info.value)
            assert "auth 'service_principal'" in text
            assert "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET" in text
            assert "AADSTS7000215" in text  # the reason is kept ...
            assert secret not in text and secret not in repr(info.value.to_dict())  # ... the secret is not
    assert credential.calls == 3 and sleeps == [] and listing.calls == 0  # no retries, no storage call


@service
def test_token_rejected_by_storage_fails_at_once(lake):
    seed(lake, "orders", orders([1]))
    wrong = FakeEntraCredential(audience="https://management.azure.com")  # Azurite answers 403
    listing = CountingBlobService(lake.blob_service(credential=wrong))
    sleeps: list[float] = []
    with open_source(lake, auth="azure_cli", credential=wrong, blob_service=listing, sleeps=sleeps) as src:
        with pytest.raises(ProviderError) as info:
            src.list_tables()
        assert "refused access" in info.value.message and "auth 'azure_cli'" in info.value.message
        assert "az login" in info.value.hint and "eyJ" not in str(info.value)
    assert listing.calls == 1 and sleeps == []
    # With the layout known there is no listing: deltalake meets the 403 itself.
    with open_source(lake, auth="azure_cli", credential=wrong, blob_service=listing, schema_enabled=False,
                     sleeps=sleeps) as src:
        # object_store does not retry a 403 either; were it to (for up to its 3-minute retry
        # timeout), the safety net would end the wait and fail.
        info = finishes(lambda: pytest.raises(ProviderError, src.describe, "orders"))
        assert "refused access to table 'orders'" in info.value.message
        assert "auth 'azure_cli'" in info.value.message and "eyJ" not in str(info.value)
    assert listing.calls == 1 and sleeps == []


@service
@pytest.mark.parametrize("error", [lambda: ServiceResponseError("connection reset (injected)"), http_503],
                         ids=["connection-reset", "http-503"])
def test_transient_storage_failures_are_retried(lake, error):
    seed(lake, "orders", orders([1, 2]))
    flaky = CountingBlobService(lake.blob_service(), failures=2, error=error)
    sleeps: list[float] = []
    with open_source(lake, blob_service=flaky, sleeps=sleeps) as src:
        assert [(t.name, t.row_count) for t in src.list_tables()] == [("orders", 2)]
    assert flaky.calls == 3
    assert len(sleeps) == 2 and sleeps[0] <= 0.01 and sleeps[1] <= 0.02  # exponential backoff, full jitter


@service
def test_persistent_transient_failure_gives_up_with_a_clear_error(lake):
    flaky = CountingBlobService(lake.blob_service(), failures=100, error=http_503)
    sleeps: list[float] = []
    with open_source(lake, blob_service=flaky, sleeps=sleeps) as src:
        with pytest.raises(ProviderError, match="failed after 5 attempts"):
            src.list_tables()
    assert flaky.calls == 5 and len(sleeps) == 4


@service
def test_writing_delta_back_to_onelake_reads_back(lake):
    seed(lake, "orders", orders([1, 2, 3]))
    with open_source(lake) as src:
        sample = src.dataset("orders").to_table(filter=pc.field("order_id") >= 2)
        url = table_url(lake.workspace, "Sales", "orders_sample")
        # What a sync with `to: {format: delta, path: abfss://...}` does: a bearer token, OneLake's URL.
        options = onelake_storage_options(credential=lake.credential, override=lake.storage_options_override())
        assert options["use_fabric_endpoint"] == "true" and "account_key" not in options
        write_deltalake(url, sample, mode="overwrite", storage_options=options)
        write_deltalake(table_url(lake.workspace, "Sales", "orders_sample"), sample.slice(0, 1), mode="append",
                        storage_options=src.storage_options())
        info = src.describe("orders_sample")
        assert (info.version, info.row_count) == ("1", 3)
        assert [r["order_id"] for r in rows(src.dataset("orders_sample"))] == [2, 2, 3]
        assert [t.name for t in src.list_tables()] == ["orders", "orders_sample"]
    # And it is a real Delta table where OneLake keeps it.
    assert DeltaTable(url, storage_options=lake.azurite.shared_key_options("onelake")).version() == 1


@service
def test_guid_workspace_and_lakehouse(azurite):
    from tests.providers.fabric.conftest import Lake
    ws, lh = str(uuid.uuid4()), str(uuid.uuid4())
    azurite.create_container(ws, account="onelake")
    lake = Lake(azurite, ws, FakeEntraCredential())
    seed(lake, "orders", orders([1, 2]), folder=lh)
    with open_source(lake, lakehouse=lh) as src:
        [info] = src.list_tables()
        assert info.location == f"abfss://{ws}@onelake.dfs.fabric.microsoft.com/{lh}/Tables/orders"
        assert info.row_count == 2


def _inline_deletion_vector(deleted_rows: list[int]) -> dict:
    """A Delta deletion vector stored inline in the log (what Spark/Fabric write for small deletes).

    Layout per the Delta protocol: magic 1681511377, a RoaringTreemap (one bucket,
    one 32-bit portable roaring bitmap with an array container), Z85-encoded.
    """
    rows = sorted(deleted_rows)
    bitmap = struct.pack("<IIHHI", 12346, 1, 0, len(rows) - 1, 16) + b"".join(struct.pack("<H", r) for r in rows)
    raw = struct.pack("<IQI", 1681511377, 1, 0) + bitmap
    padded = raw + b"\0" * (-len(raw) % 4)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
    encoded = []
    for i in range(0, len(padded), 4):
        value, chunk = int.from_bytes(padded[i:i + 4], "big"), []
        for _ in range(5):
            value, digit = divmod(value, 85)
            chunk.append(alphabet[digit])
        encoded.extend(reversed(chunk))
    return {"storageType": "i", "pathOrInlineDv": "".join(encoded), "sizeInBytes": len(raw), "cardinality": len(rows)}


@service
def test_deletion_vectors_are_applied(lake):
    """Fabric writes deletion vectors; deltalake cannot write them, so the commit is made by hand."""
    seed(lake, "orders", orders([1, 2, 3, 4]), configuration={"delta.enableDeletionVectors": "true"})
    log = "Sales.Lakehouse/Tables/orders/_delta_log/"
    with lake.azurite.blob_service("onelake") as svc:
        container = svc.get_container_client(lake.workspace)
        first = container.download_blob(log + "00000000000000000000.json").readall().decode()
        add = next(json.loads(line)["add"] for line in first.splitlines() if '"add"' in line)
        now = int(time.time() * 1000)
        commit = [
            {"commitInfo": {"timestamp": now, "operation": "DELETE"}},
            {"remove": {"path": add["path"], "deletionTimestamp": now, "dataChange": True,
                        "extendedFileMetadata": True, "size": add["size"], "partitionValues": {}}},
            {"add": {**add, "modificationTime": now, "dataChange": True,
                     "deletionVector": _inline_deletion_vector([1, 3])}},  # order_id 2 and 4
        ]
        container.upload_blob(log + "00000000000000000001.json", "\n".join(json.dumps(a) for a in commit) + "\n")
    with open_source(lake) as src:
        info = src.describe("orders")
        assert (info.version, info.row_count) == ("1", 2)  # numRecords 4 less the 2 the vector drops
        # The delta source reads the same table through the same code: the same count, the same rows.
        folder = DeltaFolderSource(src.table_url("orders").rsplit("/", 1)[0], storage_options=src.storage_options())
        assert folder.describe("orders").row_count == info.row_count
        assert sorted(folder.scan("orders").reader().read_all().column("order_id").to_pylist()) == [1, 3]
        data = src.dataset("orders")
        assert data.schema == src.schema("orders")
        assert [r["order_id"] for r in rows(data)] == [1, 3]
        # What the executor registers in DuckDB must survive more than one scan per query.
        stream = src.scan("orders", columns=["order_id", "region"])
        con = duckdb.connect()
        con.register("t", stream)
        assert con.sql("SELECT (SELECT count(*) FROM t), (SELECT sum(order_id) FROM t)").fetchall() == [(2, 4)]
        assert con.sql("SELECT * FROM t ORDER BY order_id").fetchall() == [(1, "eu"), (3, "eu")]


def test_fixture_module_reports_missing_azurite(monkeypatch, tmp_path):
    import tests.azurite as az

    monkeypatch.setenv("AZURITE_BLOB", str(tmp_path / "nope"))
    monkeypatch.setattr(az, "REPO_ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert az.find_azurite_blob() is None
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="npm install azurite"):
        az.skip_or_fail(az.INSTALL_HINT)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="npm install azurite"):
        az.skip_or_fail(az.INSTALL_HINT)



def test_unreachable_identity_endpoint_is_a_clear_error():
    from azure.core.exceptions import ServiceRequestError

    class Unreachable:
        def get_token(self, *scopes, **kwargs):
            raise ServiceRequestError("Failed to establish a new connection: login.microsoftonline.com")

    src = FabricSource(FabricSourceConfig(type="fabric", name="s", workspace="W", lakehouse="L", auth="default"),
                       credential=Unreachable())
    with pytest.raises(ProviderError, match="could not get a OneLake storage token \\(auth 'default'\\)"):
        src.storage_options()


# ---------------------------------------------------------------- conformance


@service
class TestFabricConformance(SourceConformance):
    @pytest.fixture
    def source(self, lake):
        seed(lake, "orders", ORDERS.slice(0, 30))
        seed(lake, "orders", ORDERS.slice(30))
        with open_source(lake) as src:
            yield src
