"""The versioned state file format: exact roundtrips, clear refusals."""

from __future__ import annotations

import json
import string
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faborite.errors import StateError
from faborite.state import NodeState, State
from faborite.state.file_format import CURRENT_FORMAT_VERSION, READERS, dumps, loads
from faborite.target import Column

from .conformance import first_state, make_event, make_node

# Drawn as a number: 64 separately drawn characters make generation too slow.
hexes = st.integers(0, 2**256 - 1).map(lambda i: f"{i:064x}")
names = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
aware = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@st.composite
def nodes(draw) -> NodeState:
    kind = draw(st.sampled_from(["model", "seed", "sync"]))
    name = draw(names)
    version = draw(hexes)
    return NodeState(
        id=f"{kind}.{name}",
        kind=kind,
        version=version,
        data_hash=draw(hexes),
        metadata_hash=draw(hexes),
        relation=f"main.{name}",
        physical=f"faborite__main.{name}__{version[:12]}",
        materialized=draw(st.sampled_from(["table", "view", "seed"])),
        sql=draw(st.none() | st.text()),
        parents=tuple(draw(st.lists(names.map(lambda n: f"model.{n}"), max_size=3))),
        columns=tuple(draw(st.lists(st.builds(Column, name=st.text(), type=st.sampled_from(["INT", "VARCHAR"])),
                                    max_size=4))),
        row_count=draw(st.none() | st.integers(min_value=0)),
        applied_at=draw(aware),
        extra=draw(st.dictionaries(st.text(), json_values, max_size=3)),
    )


@settings(deadline=None)  # first examples pay for imports; CI machines vary
@given(node_list=st.lists(nodes(), max_size=6, unique_by=lambda n: n.id), serial=st.integers(1, 10**6))
def test_roundtrip_exact(node_list, serial):
    state = first_state().model_copy(update={"serial": serial})
    state = State.model_validate({**state.model_dump(), "nodes": {n.id: n for n in node_list}})
    data = dumps(state)
    back = loads(data, "mem.json")
    assert back == state
    assert dumps(back) == data  # deterministic: same state, same bytes


def test_header_and_determinism():
    state = first_state(make_node("model.b"), make_node("model.a"))
    data = dumps(state)
    raw = json.loads(data)
    assert raw["format_version"] == CURRENT_FORMAT_VERSION == 1
    assert list(raw) == sorted(raw)
    assert set(raw) == {"format_version", "lineage", "serial", "target", "faborite_version", "nodes", "event"}
    assert data.endswith(b"\n")
    assert raw["nodes"]["model.a"]["applied_at"] == "2026-11-26T12:00:01Z"


def test_datetimes_normalised_to_utc():
    local = datetime(2026, 1, 1, 17, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    node = make_node(applied_at=local)
    assert node.applied_at.tzinfo is timezone.utc and node.applied_at.hour == 12
    with pytest.raises(ValueError, match="timezone-aware"):
        make_node(applied_at=datetime(2026, 1, 1))


def test_newer_format_refused():
    raw = json.loads(dumps(first_state()))
    raw["format_version"] = CURRENT_FORMAT_VERSION + 1
    with pytest.raises(StateError) as caught:
        loads(json.dumps(raw).encode(), ".faborite/state/dev/serial-000003.json")
    assert caught.value.message == (
        f"state file .faborite/state/dev/serial-000003.json was written by a newer faborite "
        f"(format {CURRENT_FORMAT_VERSION + 1}); upgrade faborite"
    )


@pytest.mark.parametrize("version", [None, 0, "1", True])
def test_missing_or_unknown_format_refused(version):
    raw = json.loads(dumps(first_state()))
    raw["format_version"] = version
    with pytest.raises(StateError, match="format_version") as caught:
        loads(json.dumps(raw).encode(), "s.json")
    assert caught.value.file == "s.json"


def test_corrupt_json_names_file_and_line():
    data = dumps(first_state())
    lines = data.split(b"\n")
    line = next(i for i, text in enumerate(lines) if b'"serial"' in text)
    lines[line] += b",,"
    broken = b"\n".join(lines)
    with pytest.raises(StateError, match="not valid JSON") as caught:
        loads(broken, "dev/serial-000001.json")
    err = caught.value
    assert err.file == "dev/serial-000001.json"
    assert err.line == line + 1
    assert str(err).startswith(f"dev/serial-000001.json:{err.line}: ")


@pytest.mark.parametrize("data", [b"", b"[1, 2]", b"\xff\xfe"])
def test_not_a_state_object(data):
    with pytest.raises(StateError) as caught:
        loads(data, "x.json")
    assert caught.value.file == "x.json"


def test_invalid_content_names_field():
    raw = json.loads(dumps(first_state()))
    del raw["nodes"]["model.orders"]["version"]
    raw["surprise"] = 1
    with pytest.raises(StateError, match=r"nodes\.model\.orders\.version: Field required \(and 1 more\)"):
        loads(json.dumps(raw).encode(), "x.json")


def test_node_key_must_match_id():
    raw = json.loads(dumps(first_state()))
    raw["nodes"]["model.other"] = raw["nodes"].pop("model.orders")
    with pytest.raises(StateError, match="does not match its id"):
        loads(json.dumps(raw).encode(), "x.json")


def test_every_version_up_to_current_has_a_reader():
    assert set(READERS) == set(range(1, CURRENT_FORMAT_VERSION + 1))


def test_event_summary():
    event = make_event("apply", ("a", "create"), ("b", "create"), ("c", "replace"), ("d", "weird"))
    assert event.summary() == {"create": 2, "update": 0, "replace": 1, "delete": 0, "weird": 1}


def test_moved_to_is_written_only_when_set():
    # Added after format 1 shipped: a state no migration touched keeps the old bytes, readable by
    # a faborite that does not know the field; a migrate marker round-trips with it.
    plain = first_state()
    assert "moved_to" not in json.loads(dumps(plain))["event"]
    marker = plain.next(nodes=plain.nodes, faborite_version="0.1.0",
                        event=make_event("migrate").model_copy(update={"moved_to": "{type: local}"}))
    assert json.loads(dumps(marker))["event"]["moved_to"] == "{type: local}"
    assert loads(dumps(marker), "x") == marker
