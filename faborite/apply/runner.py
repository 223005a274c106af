"""Apply as an ordered list of stages, each a function of the context (sqlglot optimizer style).

guard -> build -> columns -> contracts -> audit -> journal -> publish -> record. A failure in any stage stops
the run; since only publish touches what users query, and it is one
transaction, a failure leaves published data and state as they were. A kill
between publish and record is resolved by the next command through the
journal's intent (:mod:`faborite.state.journal`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from faborite.apply.audit import audit
from faborite.apply.build import build
from faborite.apply.context import ApplyContext
from faborite.apply.contracts import enforce_contracts
from faborite.apply.destructive_guard import guard, guard_columns
from faborite.apply.publish import publish
from faborite.apply.record import journal, record
from faborite.crashpoints import crash_point
from faborite.dialects.base import load_sqlglot_dialects

Stage = Callable[[ApplyContext], None]

#: The apply pipeline, in order; ``faborite apply --explain`` lists it.
STAGES: tuple[tuple[str, str, Stage], ...] = (
    ("guard", "refuse destructive changes (relations deleted, columns dropped) without --allow-destructive",
     guard),
    ("build", "build new versions into their own physical relations, parents first", build),
    ("columns", "refuse published columns dropped or retyped that only the built versions show", guard_columns),
    ("contracts", "check enforced contracts (columns, types, not_null) on the built versions", enforce_contracts),
    ("audit", "run checks on the versions about to be published", audit),
    ("journal", "write the state about to be published as an intent (a crash from here on is resolved "
                "by the next command)", journal),
    ("publish", "point every virtual relation at its new version in one transaction", publish),
    ("record", "write the new state (serial + 1) to the state backend and clear the intent", record),
)


def run_stages(ctx: ApplyContext) -> ApplyContext:
    """Run every stage in order; exceptions propagate (nothing published past a failure)."""
    if ctx.threads > 1:
        # Before any worker thread prints SQL (see load_sqlglot_dialects).
        load_sqlglot_dialects(ctx.manifest.sql_dialect, ctx.connection.dialect.sqlglot_dialect)
    for name, _, stage in STAGES:
        started = time.perf_counter()
        ctx.emit("stage", None, name)
        crash_point(f"stage:{name}:before")
        stage(ctx)
        crash_point(f"stage:{name}:after")
        ctx.emit("stage_done", None, name, time.perf_counter() - started)
    return ctx
