"""Durations typed on the command line (``--lock-timeout``)."""

from __future__ import annotations

import pytest

from faborite.duration import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("90", 90.0), ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("1m30s", 90.0),
    ("2.5s", 2.5), ("500ms", 0.5), (" 5M ", 300.0),
])
def test_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m", "-1s", "5 m", "1h 2m", "ten"])
def test_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [0.5, 1, 30, 60, 90, 300, 3600, 5400])
def test_format_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
    assert format_duration(300) == "5m"
