"""The one test suite every state backend must pass (Terraform's backend/testing.go).

Use it by subclassing and overriding ``make_backend``: a fixture returning a
factory; each call is a new *client* (backend instance) on the same storage,
so two clients can race on state and the lock::

    class TestMyBackend(StateBackendConformance):
        @pytest.fixture
        def make_backend(self, tmp_path):
            return lambda: MyBackend(tmp_path)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest

from faborite.errors import LockError, StateError
from faborite.state import LockInfo, NodeChangeRecord, NodeState, State, StateBackend, StateEvent, locked
from faborite.state.backend import StateCatalog
from faborite.target import Column

WHEN = datetime(2026, 11, 26, 12, 0, 1, tzinfo=timezone.utc)
#: How long a test waits for something that should happen at once: a safety net against a hang,
#: never a measure of speed (timings belong in benchmarks/).
SAFETY_NET_SECONDS = 60


def make_node(node_id: str = "model.orders", version: str = "a" * 64, **fields) -> NodeState:
    """A plausible node; override any field."""
    schema, _, name = node_id.partition(".")
    values = dict(
        id=node_id,
        kind=schema,
        version=version,
        data_hash="d" * 64,
        metadata_hash="m" * 64,
        relation=f"main.{name}",
        physical=f"faborite__main.{name}__{version[:12]}",
        materialized="table",
        sql=f"select 1 as id -- {name}",
        parents=(),
        columns=(Column(name="id", type="INTEGER"),),
        row_count=1,
        applied_at=WHEN,
    )
    values.update(fields)
    return NodeState(**values)


def make_event(operation: str = "apply", *changes: tuple[str, str], rolled_back_to: int | None = None) -> StateEvent:
    """An event with ``(node, action)`` changes."""
    return StateEvent(
        operation=operation,
        who="alice",
        host="laptop",
        at=WHEN,
        faborite_version="0.1.0",
        changes=tuple(NodeChangeRecord(node=n, action=a) for n, a in changes),
        rolled_back_to=rolled_back_to,
    )


def first_state(*nodes: NodeState) -> State:
    """Serial 1 of a new lineage for target ``dev``."""
    nodes = nodes or (make_node(),)
    event = make_event("apply", *((n.id, "create") for n in nodes))
    return State.first(target="dev", nodes=nodes, event=event, faborite_version="0.1.0")


@contextlib.contextmanager
def closing_clients(open_client: Callable[[], StateBackend]) -> Iterator[Callable[[], StateBackend]]:
    """A ``make_backend`` for backends with a ``close()``: every client made is closed after the test."""
    made: list = []

    def make() -> StateBackend:
        made.append(open_client())
        return made[-1]

    try:
        yield make
    finally:
        for backend in made:
            backend.close()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class StateBackendConformance:
    """Behaviour every :class:`~faborite.state.StateBackend` must have."""

    @pytest.fixture
    def make_backend(self) -> Callable[[], StateBackend]:
        raise NotImplementedError("override make_backend in the backend's test class")

    @pytest.fixture
    def a(self, make_backend) -> StateBackend:
        return make_backend()

    @pytest.fixture
    def b(self, make_backend) -> StateBackend:
        return make_backend()

    # -- reading and writing ---------------------------------------------

    def test_is_a_state_backend(self, a):
        assert isinstance(a, StateBackend)

    def test_empty(self, a):
        assert a.read() is None
        assert a.history() == []
        assert a.lock_info() is None
        with pytest.raises(StateError, match="serial 1"):
            a.read_serial(1)

    def test_first_write_is_seen_by_other_client(self, a, b):
        state = first_state()
        a.write(state, expected_serial=None)
        assert b.read() == state
        assert b.read_serial(1) == state

    def test_state_names_list_this_state_once_written(self, a):
        # ``env list`` reads them: every environment is a state kept beside the target's.
        own = getattr(a, "name", None) or a.directory.name
        assert own not in a.state_names()
        a.write(first_state(), expected_serial=None)
        assert own in a.state_names()
        assert isinstance(a, StateCatalog)

    def test_first_write_must_be_serial_1(self, a):
        state = first_state().model_copy(update={"serial": 2})
        with pytest.raises(StateError, match="next serial is 1"):
            a.write(state, expected_serial=None)
        assert a.read() is None

    def test_next_serials_append(self, a, b):
        s1 = first_state()
        a.write(s1, expected_serial=None)
        s2 = s1.next(nodes=[make_node(version="b" * 64)], event=make_event("apply", ("model.orders", "update")),
                     faborite_version="0.1.0")
        b.write(s2, expected_serial=1)
        assert a.read() == s2
        assert a.read_serial(1) == s1
        assert a.read_serial(2) == s2

    def test_stale_expected_serial_refused(self, a, b):
        s1 = first_state()
        a.write(s1, expected_serial=None)
        # Both clients planned on serial 1; a applies first.
        a.write(s1.next(nodes={}, event=make_event(), faborite_version="0.1.0"), expected_serial=1)
        late = s1.next(nodes=[make_node(version="c" * 64)], event=make_event(), faborite_version="0.1.0")
        with pytest.raises(StateError, match="state changed: expected serial 1, found serial 2"):
            b.write(late, expected_serial=1)
        assert b.read().nodes == {}

    def test_write_over_existing_state_with_none_refused(self, a, b):
        a.write(first_state(), expected_serial=None)
        with pytest.raises(StateError, match="expected no state, found serial 1"):
            b.write(first_state(), expected_serial=None)
        assert len(a.history()) == 1

    def test_serial_must_follow_expected(self, a):
        s1 = first_state()
        a.write(s1, expected_serial=None)
        skipping = s1.model_copy(update={"serial": 3})
        with pytest.raises(StateError, match="next serial is 2"):
            a.write(skipping, expected_serial=1)

    def test_wrong_lineage_refused(self, a, b):
        a.write(first_state(), expected_serial=None)
        other = first_state().model_copy(update={"serial": 2})  # a new lineage
        with pytest.raises(StateError, match="lineage"):
            b.write(other, expected_serial=1)
        assert a.read().serial == 1

    def test_history_oldest_first(self, a, b):
        s1 = first_state(make_node("model.orders"), make_node("seed.customers"))
        a.write(s1, expected_serial=None)
        s2 = s1.next(nodes=[make_node("model.orders")],
                     event=make_event("apply", ("seed.customers", "delete")), faborite_version="0.2.0")
        b.write(s2, expected_serial=1)
        s3 = s2.next(nodes=s1.nodes, event=make_event("rollback", ("seed.customers", "create"), rolled_back_to=1),
                     faborite_version="0.2.0")
        a.write(s3, expected_serial=2)

        history = b.history()
        assert [h.serial for h in history] == [1, 2, 3]
        assert [h.node_count for h in history] == [2, 1, 2]
        assert [h.event for h in history] == [s1.event, s2.event, s3.event]
        assert history[2].event.rolled_back_to == 1
        assert history[1].event.summary() == {"create": 0, "update": 0, "replace": 0, "delete": 1}

    def test_racing_writers_one_wins(self, make_backend):
        make_backend().write(first_state(), expected_serial=None)
        s1 = make_backend().read()
        clients = [make_backend() for _ in range(8)]
        barrier = threading.Barrier(len(clients))
        outcomes: list[object] = [None] * len(clients)

        def attempt(i: int) -> None:
            nxt = s1.next(nodes=[make_node(version=f"{i:064x}")], event=make_event(), faborite_version="0.1.0")
            barrier.wait()
            try:
                clients[i].write(nxt, expected_serial=1)
                outcomes[i] = "won"
            except StateError as exc:
                outcomes[i] = exc

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [i for i, o in enumerate(outcomes) if o == "won"]
        assert len(winners) == 1
        assert all("state changed" in o.message for o in outcomes if o != "won")
        assert make_backend().read().nodes["model.orders"].version == f"{winners[0]:064x}"

    def test_racing_lockers_one_wins(self, make_backend):
        clients = [make_backend() for _ in range(8)]
        barrier = threading.Barrier(len(clients))
        held: list[object] = [None] * len(clients)

        def attempt(i: int) -> None:
            barrier.wait()
            try:
                held[i] = clients[i].lock("apply")
            except LockError as exc:
                held[i] = exc

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        infos = [h for h in held if isinstance(h, LockInfo)]
        assert len(infos) == 1
        assert all(isinstance(h, LockError) and infos[0].id in h.message for h in held if h is not infos[0])
        assert make_backend().lock_info() == infos[0]

    def test_read_serial_missing(self, a):
        a.write(first_state(), expected_serial=None)
        with pytest.raises(StateError, match="no state with serial 7"):
            a.read_serial(7)

    # -- locking -----------------------------------------------------------

    def test_lock_refuses_other_client_at_once(self, a, b):
        held = a.lock("apply")
        assert b.lock_info() == held
        # b's attempt runs in a thread while a keeps the lock. A backend that waited for the
        # holder would still be waiting when the safety net (SAFETY_NET_SECONDS, far longer
        # than any refusal takes) runs out; what is asserted is the order: b was refused
        # while a still held the lock, not how long that took.
        outcome: list[BaseException | LockInfo] = []
        finished = threading.Event()

        def attempt() -> None:
            try:
                outcome.append(b.lock("plan"))
            except BaseException as exc:  # noqa: BLE001 - inspected below
                outcome.append(exc)
            finally:
                finished.set()

        thread = threading.Thread(target=attempt, daemon=True)
        thread.start()
        try:
            refused_while_held = finished.wait(SAFETY_NET_SECONDS)
            still_held = a.lock_info() == held
        finally:
            if not finished.is_set():  # a waiting backend: let it go before failing
                a.unlock(held.id)
                thread.join(SAFETY_NET_SECONDS)
        assert refused_while_held and still_held, "lock must fail while another client holds it, not wait for it"
        (err,) = outcome
        assert isinstance(err, LockError), err
        assert held.describe() in err.message
        assert held.id in err.message
        assert "no longer running" not in err.message  # this process holds it
        assert err.hint == f"wait for it to finish; if that process died, run `faborite force-unlock {held.id}`"
        # The same client cannot take it twice either.
        with pytest.raises(LockError):
            a.lock("apply")

    def test_unlock_with_wrong_id_refused(self, a, b):
        held = a.lock("apply")
        with pytest.raises(LockError, match="does not match"):
            b.unlock("0" * 32)
        assert a.lock_info() == held

    def test_unlock_when_not_locked_refused(self, a):
        with pytest.raises(LockError, match="not locked"):
            a.unlock("0" * 32)

    def test_unlock_then_relock(self, a, b):
        held = a.lock("apply")
        a.unlock(held.id)
        assert b.lock_info() is None
        again = b.lock("rollback")
        assert again.id != held.id
        assert a.lock_info() == again
        a.unlock(again.id)  # force-unlock from another client is by ID
        assert b.lock_info() is None

    @pytest.mark.skipif(os.name == "nt", reason="liveness of a pid is not probed on Windows")
    def test_lock_of_a_dead_holder_on_this_host_is_taken_over(self, a, b, monkeypatch):
        # A process killed mid-apply leaves its lock; on the same host it is provably
        # gone, so the next run takes the lock over instead of stranding the user.
        real_new = LockInfo.new.__func__
        pid = dead_pid()
        monkeypatch.setattr(
            LockInfo, "new", classmethod(lambda cls, op: real_new(cls, op).model_copy(update={"pid": pid}))
        )
        held = a.lock("apply")
        monkeypatch.undo()
        mine = b.lock("apply")
        assert mine.id != held.id and b.lock_info() == mine
        b.unlock(mine.id)

    @pytest.mark.skipif(os.name == "nt", reason="liveness of a pid is not probed on Windows")
    def test_dead_holder_on_another_host_is_named_not_taken_over(self, a, b, monkeypatch):
        real_new = LockInfo.new.__func__
        pid = dead_pid()
        monkeypatch.setattr(
            LockInfo, "new",
            classmethod(lambda cls, op: real_new(cls, op).model_copy(update={"pid": pid, "host": "elsewhere"})),
        )
        held = a.lock("apply")
        monkeypatch.undo()
        with pytest.raises(LockError, match="elsewhere") as caught:
            b.lock("apply")
        assert f"faborite force-unlock {held.id}" in caught.value.hint
        b.unlock(held.id)
        b.unlock(b.lock("apply").id)

    def test_locked_releases_on_error(self, a, b):
        with pytest.raises(RuntimeError):
            with locked(a, "apply") as info:
                assert b.lock_info() == info
                raise RuntimeError("boom")
        assert b.lock_info() is None
        with locked(b, "apply"):
            pass
        assert a.lock_info() is None

    # -- intent journal ----------------------------------------------------

    def test_intent_round_trips_between_clients_and_clears(self, a, b):
        assert a.read_intent() is None
        s1 = first_state()
        a.write_intent(s1)
        assert b.read_intent() == s1
        assert b.read() is None  # an intent is not the state
        b.clear_intent()
        assert a.read_intent() is None
        a.clear_intent()  # clearing nothing is fine

    def test_a_new_intent_replaces_the_old(self, a, b):
        s1 = first_state()
        a.write(s1, expected_serial=None)
        s2 = s1.next(nodes=[make_node(version="b" * 64)], event=make_event("apply", ("model.orders", "update")),
                     faborite_version="0.1.0")
        a.write_intent(first_state())
        b.write_intent(s2)
        assert a.read_intent() == s2
        assert a.read() == s1
