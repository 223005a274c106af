"""Print what the broken-project fuzzer saw, after the test run (visible without -s)."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    from tests.fuzz.test_broken_projects import OUTCOMES, summary

    if OUTCOMES:
        terminalreporter.write_sep("-", "fuzzing broken project files")
        terminalreporter.write_line(summary(top=20))
