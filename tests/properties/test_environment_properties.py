"""Environments under random sequences of edits, applies, promotes, rollbacks, deletes and gc.

After every step, in every environment that publishes something:

- the target holds what its state records (no drift: no view missing or
  pointing elsewhere, no version gone, whatever gc ran in another environment);
- when the project files are the ones that environment's current serial was
  applied (or promoted, or rolled back) from, its plan is "No changes.".

Runs through the Python API on the template project (DuckDB).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from faborite.api import Workspace, init_project
from faborite.errors import StateError

ENVS = (None, "dev", "qa")
#: (file, text to replace, replacements): variant 0 is the file as the template ships it.
EDITS = {
    "stg_orders": ("models/staging/stg_orders.sql", "where ", ("where ", "where id <> 105 and ", "where id <> 106 and ")),
    "daily_revenue": ("models/marts/daily_revenue.sql", "sum(amount) as revenue",
                      ("sum(amount) as revenue", "sum(amount) * 2 as revenue", "sum(amount) + 1 as revenue")),
}
QUICK = settings(max_examples=6, stateful_step_count=8, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


class EnvironmentMachine(RuleBasedStateMachine):
    """The project, its environments, and for each environment the files behind every serial."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()
        self.root = init_project(Path(self.tmp.name) / "demo")
        self.originals = {m: (self.root / f).read_text() for m, (f, _, _) in EDITS.items()}
        self.files = {m: 0 for m in EDITS}
        #: env -> files variant per serial (index 0: serial 1); None: published nothing.
        self.serials: dict[str | None, list[dict | None]] = {env: [] for env in ENVS}

    def ws(self, env: str | None) -> Workspace:
        return Workspace.open(self.root, env=env)

    def teardown(self) -> None:
        self.tmp.cleanup()

    def _record(self, env: str | None, files: dict | None) -> None:
        self.serials[env].append(None if files is None else dict(files))

    def _current(self, env: str | None) -> dict | None:
        return self.serials[env][-1] if self.serials[env] else None

    @initialize()
    def apply_prod_then_dev(self) -> None:
        self.apply(None)
        self.apply("dev")

    @rule(model=st.sampled_from(sorted(EDITS)), variant=st.integers(0, 2))
    def edit(self, model: str, variant: int) -> None:
        file, old, new = EDITS[model]
        (self.root / file).write_text(self.originals[model].replace(old, new[variant]))
        self.files[model] = variant

    @rule(env=st.sampled_from(ENVS))
    def apply(self, env: str | None) -> None:
        ws = self.ws(env)
        plan = ws.plan()
        if plan.has_changes:
            ws.apply(plan, allow_destructive=True)
            self._record(env, self.files)

    @rule(source=st.sampled_from(ENVS), dest=st.sampled_from(ENVS))
    def promote(self, source: str | None, dest: str | None) -> None:
        if source == dest or self._current(source) is None:
            return
        ws = self.ws(None)
        ws.promote(ws.plan_promote(ws.env_label(source), ws.env_label(dest)))
        self._record(dest, self._current(source))

    @rule(env=st.sampled_from(ENVS))
    def rollback(self, env: str | None) -> None:
        if len(self.serials[env]) < 2:
            return
        ws = self.ws(env)
        try:
            ws.rollback(ws.plan_rollback())
        except StateError as exc:
            assert "no longer exist" in exc.message  # gc dropped them: refused, nothing changed
            return
        self._record(env, self.serials[env][-2])

    @rule(env=st.sampled_from(ENVS[1:]))
    def delete(self, env: str) -> None:
        if self._current(env) is None:
            return
        self.ws(None).delete_environment(env)
        self._record(env, None)

    @rule(env=st.sampled_from(ENVS))
    def gc(self, env: str | None) -> None:
        if self.serials[env]:
            self.ws(env).gc(1)

    @invariant()
    def every_environment_matches_its_state(self) -> None:
        for env in ENVS:
            if self._current(env) is None:
                continue
            plan = self.ws(env).plan()
            assert plan.drift == (), (env, [d.detail for d in plan.drift])
            if self._current(env) == self.files:
                assert not plan.has_changes, (env, [(c.name, c.action) for c in plan.changes if c.action != "no-op"])


def test_environments_keep_no_changes_and_no_drift_after_any_sequence() -> None:
    run_state_machine_as_test(EnvironmentMachine, settings=QUICK)


@pytest.mark.slow
def test_environments_keep_no_changes_and_no_drift_after_longer_sequences() -> None:
    run_state_machine_as_test(EnvironmentMachine, settings=settings(QUICK, max_examples=int(os.environ.get("FABORITE_ENV_PROPERTY_EXAMPLES", "8")), stateful_step_count=10,
                                                                   derandomize=False))
