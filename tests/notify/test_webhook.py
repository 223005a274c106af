"""Sending one webhook: a short timeout, one retry, warnings that never quote the URL."""

from __future__ import annotations

from faborite.notify.config import WebhookSpec
from faborite.notify.summary import MAX_NODES, Report
from faborite.notify.webhook import post_json, scrub
from tests.notify.conftest import Receiver

SPEC = WebhookSpec(url_env="HOOK", timeout=2)


def _post(spec: WebhookSpec, environ: dict[str, str]) -> tuple[bool, list[str]]:
    warnings: list[str] = []
    return post_json(spec, b'{"a": 1}', environ=environ, warn=warnings.append, what="apply"), warnings


def test_a_server_error_is_retried_once(receiver: Receiver) -> None:
    receiver.statuses = [503]
    assert _post(SPEC, {"HOOK": receiver.url}) == (True, [])
    assert len(receiver.requests) == 2


def test_two_server_errors_warn(receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    ok, warnings = _post(SPEC, {"HOOK": receiver.url})
    assert not ok and warnings == ["webhook from $HOOK was not delivered (the server answered HTTP 500); "
                                   "the apply itself is not affected"]


def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses = [404]
    ok, warnings = _post(SPEC, {"HOOK": receiver.url})
    assert not ok and len(receiver.requests) == 1 and "HTTP 404" in warnings[0]


def test_an_unset_variable_or_a_non_http_url_warns_without_quoting_it() -> None:
    assert _post(SPEC, {}) == (False, ["webhook from $HOOK not sent: HOOK is not set"])
    ok, warnings = _post(SPEC, {"HOOK": "file:///etc/T0KEN"})
    assert not ok and "T0KEN" not in warnings[0] and "http(s)" in warnings[0]


def test_headers_come_from_variables(receiver: Receiver) -> None:
    spec = WebhookSpec(url_env="HOOK", headers_env={"X-Token": "TOKEN", "X-Missing": "UNSET"})
    ok, warnings = _post(spec, {"HOOK": receiver.url, "TOKEN": "t1"})
    assert ok and receiver.requests[0].headers["X-Token"] == "t1"
    assert warnings == ["webhook from $HOOK: header X-Missing not sent: UNSET is not set"]


def test_scrub_removes_every_part_of_the_url() -> None:
    url = "https://user:pw@hooks.example:8443/services/T0KEN?sig=abc"
    text = scrub(f"cannot reach hooks.example:8443 ({url}); path /services/T0KEN; sig=abc", url)
    for secret in ("T0KEN", "pw", "sig=abc"):
        assert secret not in text


def test_the_node_list_is_capped() -> None:
    report = Report(operation="apply", project="p", target="dev", serial_before=None)
    report.counts = {"changes": MAX_NODES + 7}
    from faborite.notify.summary import NodeOutcome

    report.nodes = [NodeOutcome(id=f"model.m{i}", action="create", outcome="built") for i in range(MAX_NODES + 7)]
    summary = report.summary()
    assert len(summary.nodes) == MAX_NODES and summary.nodes_omitted == 7
