"""Backoff for transient storage errors; auth and not-found errors fail at once."""

from __future__ import annotations

import pytest

from faborite.errors import ProviderError
from faborite.sync.retry import is_transient, retry


class ClientAuthenticationError(Exception):
    """Named like azure-core's: classified by name, azure need not be installed."""


class Flaky:
    def __init__(self, errors: list[Exception]) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_transient_failures_are_retried_with_growing_delays():
    flaky = Flaky([OSError("Generic LocalFileSystem error: 503 Service Unavailable"), TimeoutError("read timed out")])
    waits: list[float] = []
    assert retry(flaky, base_delay=0.1, sleep=waits.append) == "ok"
    assert flaky.calls == 3
    assert len(waits) == 2 and 0 <= waits[0] <= 0.1 and 0 <= waits[1] <= 0.2


@pytest.mark.parametrize(
    "error",
    [
        ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."),
        OSError("Error: status 403 Forbidden: This request is not authorized"),
        PermissionError("access denied"),
    ],
)
def test_auth_errors_fail_at_once_with_a_clear_message(error):
    flaky = Flaky([error])
    with pytest.raises(ProviderError, match="reading orders was refused") as err:
        retry(flaky, what="reading orders", sleep=lambda _: None)
    assert flaky.calls == 1
    assert "credentials" in (err.value.hint or "")


def test_not_found_is_not_retried():
    flaky = Flaky([FileNotFoundError("no such file: _delta_log/00000.json")])
    with pytest.raises(ProviderError, match="failed: FileNotFoundError"):
        retry(flaky, sleep=lambda _: None)
    assert flaky.calls == 1


def test_persistent_transient_errors_end_in_a_provider_error():
    flaky = Flaky([ConnectionResetError("connection reset by peer")] * 10)
    with pytest.raises(ProviderError, match="failed after 3 attempts: ConnectionResetError") as err:
        retry(flaky, attempts=3, what="the read", sleep=lambda _: None)
    assert flaky.calls == 3 and "transient" in (err.value.hint or "")


def test_faborite_errors_pass_through_unchanged():
    original = ProviderError("no Delta table 'x'")
    with pytest.raises(ProviderError) as err:
        retry(Flaky([original]), sleep=lambda _: None)
    assert err.value is original


@pytest.mark.parametrize(
    "message, transient",
    [
        ("Object at location x: Generic MicrosoftAzure error: Error performing get request: response error \"request error\", after 10 retries: error sending request: operation timed out", True),
        ("Failed to read: HTTP status server error (500 Internal Server Error)", True),
        ("Kernel error: Generic DeltaTable error: status: 503", True),
        ("transient error talking to storage", True),
        ("Binder Error: column amount > 500 does not exist", False),
        ("Parser Error: syntax error at or near 503", False),
        ("Server returned non-2XX status code: 401 Unauthorized", False),
        ("Catalog Error: Table with name orders does not exist!", False),
    ],
)
def test_classification(message, transient):
    assert is_transient(OSError(message)) is transient
