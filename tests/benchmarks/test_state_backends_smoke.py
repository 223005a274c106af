"""Smoke test of the state-backends benchmark: the round-trip path on local state, no servers.

It checks the benchmark still runs and reports every backend (the servers'
absence as ``n/a`` with the reason), never how fast anything is.
"""

from __future__ import annotations

from benchmarks.state_backends import bench_round_trips, format_report


def test_round_trips_on_local_state_and_the_report():
    servers = {"postgres": "n/a: not here", "mariadb": "n/a: not here", "azurite": "n/a: not here"}
    figures = {"round_trips": bench_round_trips(servers, [10], rounds=2), "plan": {"postgres": "n/a: not here"}}
    local = figures["round_trips"]["local"]["10 nodes"]
    assert set(local) == {"round_trip_ms_median", "round_trip_ms_p90", "read_ms_median"}
    assert figures["round_trips"]["postgres (target)"] == "n/a: not here"
    report = format_report(figures)
    assert "local" in report and "azure_blob (Azurite, HTTPS)" in report and "n/a: not here" in report
