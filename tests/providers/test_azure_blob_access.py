"""Reaching an azure_blob state: settings, URLs, secrets (no server; the backend: tests/state/test_azure_blob.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from faborite.errors import ConfigError
from faborite.providers.azure_blob_access import AzureBlobStateSettings, parse_url
from faborite.providers.azure_blob_state import AzureBlobStateFactory


@pytest.mark.parametrize(("url", "account_url", "account", "container", "prefix"), [
    ("https://acct.blob.core.windows.net/states/team/a", "https://acct.blob.core.windows.net", "acct", "states",
     "team/a"),
    ("https://acct.blob.core.windows.net/states", "https://acct.blob.core.windows.net", "acct", "states", ""),
    ("abfss://states@acct.dfs.core.windows.net/ci", "https://acct.blob.core.windows.net", "acct", "states", "ci"),
    ("https://127.0.0.1:10000/devstoreaccount1/states/x", "https://127.0.0.1:10000/devstoreaccount1",
     "devstoreaccount1", "states", "x"),
])
def test_parse_url(url, account_url, account, container, prefix):
    place = parse_url(url)
    assert (place.account_url, place.account, place.container, place.prefix) == (account_url, account, container,
                                                                                 prefix)


@pytest.mark.parametrize(("url", "message"), [
    ("https://acct.blob.core.windows.net/states?sv=2024&sig=abc", "query string"),
    ("https://acct.blob.core.windows.net/", "no container"),
    ("abfss://acct.dfs.core.windows.net/x", "abfss://<container>@"),
    ("s3://bucket/x", "expected https://"),
])
def test_bad_urls_refused(url, message):
    with pytest.raises(ValidationError, match=message):
        AzureBlobStateSettings.model_validate({"url": url})


def test_lease_seconds_within_azure_limits():
    with pytest.raises(ValidationError):
        AzureBlobStateSettings.model_validate({"url": "https://a.blob.core.windows.net/c", "lease_seconds": 5})


def test_missing_secret_variable_names_it(monkeypatch):
    monkeypatch.delenv("AZURE_STORAGE_KEY", raising=False)
    settings = AzureBlobStateSettings.model_validate({"url": "https://a.blob.core.windows.net/c",
                                                      "auth": "account_key"})
    with pytest.raises(ConfigError, match="AZURE_STORAGE_KEY is not set"):
        AzureBlobStateFactory().open(settings, target_name="dev")
