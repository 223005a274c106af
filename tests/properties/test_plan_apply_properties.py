"""Property: after any apply, ``plan`` is empty and the target equals a from-scratch build.

A Hypothesis state machine generates a small project (1-2 seeds, a DAG of
models over them) and applies a random sequence of edits, each followed by
plan + apply through the Python API: added columns (non-breaking), filter,
materialization, seed and alias-case changes (breaking), descriptions and
checks (metadata-only), cosmetic rewrites (no change at all), added and removed
models, reverts to an earlier project and rollbacks. After every apply:

* ``plan()`` reports no changes;
* every published relation (names, column names and types, rows as a multiset)
  equals what a first apply of the same files in an empty directory publishes.

Before each apply the plan is also checked against what the edit should cause
(which nodes are replaced, updated, created or deleted, and in which category).

A second property: compiling the same files twice, in another directory, or
reformatted, gives the same fingerprints.

Runs: the unmarked tests are a quick, derandomized sweep (deterministic in CI);
the ``slow`` ones explore more. To explore much more::

    FABORITE_PROPERTY_EXAMPLES=300 FABORITE_PROPERTY_STEPS=15 \\
        pytest tests/properties -m slow -p no:cacheprovider

(``--hypothesis-seed=N`` replays a run; failures are also kept in ``.hypothesis/``.)
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from faborite.api import WORK_DIR, Workspace
from faborite.plan.model import Action, Plan
from tests.properties import harness, project_gen
from tests.properties.project_gen import Counter, ProjectSpec

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

#: Quick sweep: same examples every run, nothing read from or written to the example database.
QUICK = settings(max_examples=4, stateful_step_count=6, deadline=None, derandomize=True, database=None,
                 suppress_health_check=_SUPPRESS, print_blob=True)
#: Longer, random sweep (``-m slow``); scale it with the environment variables in the module docstring.
SLOW = settings(max_examples=int(os.environ.get("FABORITE_PROPERTY_EXAMPLES", "25")),
                stateful_step_count=int(os.environ.get("FABORITE_PROPERTY_STEPS", "10")),
                deadline=None, suppress_health_check=_SUPPRESS, print_blob=True)

BREAKING, NON_BREAKING, METADATA = "breaking", "non-breaking", "metadata-only"


class PlanApplyMachine(RuleBasedStateMachine):
    """One project directory, edited and applied step by step."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="faborite-prop-"))
        self.root = self.tmp / "project"
        self.spec: ProjectSpec | None = None
        self.applied: list[ProjectSpec] = []  # every project applied, oldest first
        self.spec_at_serial: dict[int, ProjectSpec] = {}
        self.names = Counter()
        self.threads = 1

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the step every rule ends with ---------------------------------------------------

    def apply(self, new: ProjectSpec, expect: dict[str, tuple[Action, str | None]] | None) -> None:
        """Write ``new``, check the plan against ``expect`` (node -> action, category), apply, check."""
        harness.write_project(self.root, new)
        if expect is not None:
            plan = harness.plan(self.root)
            assert harness.visible(plan) == expect, (
                f"plan differs from what the edit should cause\nexpected {expect}\nplan:\n"
                + harness.describe_plan(plan))
        plan, _ = harness.apply(self.root, threads=self.threads)
        self.spec = new
        self.applied.append(new)
        self.spec_at_serial[harness.serial(self.root)] = new
        self.check_converged()

    def check_converged(self) -> None:
        assert self.spec is not None
        after = harness.plan(self.root)
        assert not after.has_changes, "plan after apply is not empty:\n" + harness.describe_plan(after)
        self.check_published(self.spec)

    def check_published(self, spec: ProjectSpec) -> None:
        diff = harness.diff_published(harness.published(self.root), harness.from_scratch(spec))
        assert not diff, "published relations differ from a from-scratch build:\n" + diff

    # -- what an edit should do to the plan ---------------------------------------------

    def rebuild_all(self, spec: ProjectSpec, name: str, action: Action = Action.REPLACE
                    ) -> dict[str, tuple[Action, str | None]]:
        """A breaking change of ``name``: it and everything downstream is replaced."""
        expect = {name: (action, BREAKING if action is Action.REPLACE else None)}
        expect.update({d: (Action.REPLACE, BREAKING) for d in spec.descendants(name)})
        return expect

    @staticmethod
    def additive(spec: ProjectSpec, name: str) -> dict[str, tuple[Action, str | None]]:
        """``name`` only added a column: '*' children pass it on, views are re-pointed, tables kept."""
        widened, rebuilt = {name}, {name}
        for m in spec.models:
            if m.name == name:
                continue
            if m.shape == "star" and m.parents[0] in widened:
                widened.add(m.name)
                rebuilt.add(m.name)
            elif m.materialized == "view" and rebuilt & set(m.parents):
                rebuilt.add(m.name)
        return {n: (Action.REPLACE, NON_BREAKING) for n in rebuilt}

    # -- rules ---------------------------------------------------------------------------------

    @initialize(project=project_gen.projects(), threads=st.sampled_from([1, 1, 2]))
    def start(self, project: ProjectSpec, threads: int) -> None:
        self.threads = threads
        self.apply(project, expect={n: (Action.CREATE, None) for n in project.node_names()})

    def _model(self, data: st.DataObject) -> str:
        assert self.spec is not None
        return data.draw(st.sampled_from([m.name for m in self.spec.models]), label="model")

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def add_column(self, data: st.DataObject) -> None:
        name = self._model(data)
        new = project_gen.add_column(data.draw, self.spec, name, self.names.column())
        self.apply(new, expect=self.additive(new, name))

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def change_filter(self, data: st.DataObject) -> None:
        name = self._model(data)
        new = project_gen.change_filter(data.draw, self.spec, name)
        self.apply(new, expect=self.rebuild_all(new, name))

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def change_materialization(self, data: st.DataObject) -> None:
        name = self._model(data)
        new = project_gen.change_materialization(self.spec, name)
        self.apply(new, expect=self.rebuild_all(new, name))

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def recase_aliases(self, data: st.DataObject) -> None:
        """Write the aliases a model invents in the other case: published column names change."""
        name = self._model(data)
        m = self.spec.model(name)
        if not m.aliases():
            return
        new = self.spec.replace_model(dataclasses.replace(m, upper=not m.upper))
        self.apply(new, expect=self.rebuild_all(new, name))

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def cosmetic_rewrite(self, data: st.DataObject) -> None:
        """Reformat, move the config between config() and properties, move folders: nothing changes."""
        new = project_gen.cosmetic(data.draw, self.spec, self._model(data))
        self.apply(new, expect={})

    @precondition(lambda self: self.spec is not None)
    @rule(data=st.data())
    def change_description(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.spec.node_names()), label="node")
        text = data.draw(project_gen.descriptions(), label="description")
        if any(s.name == name for s in self.spec.seeds):
            seed = next(s for s in self.spec.seeds if s.name == name)
            old, new = seed.description, self.spec.replace_seed(dataclasses.replace(seed, description=text))
        else:
            m = self.spec.model(name)
            old, new = m.description, self.spec.replace_model(dataclasses.replace(m, description=text))
        self.apply(new, expect={} if text == old else {name: (Action.UPDATE, METADATA)})

    @precondition(lambda self: self.spec is not None and self.spec.models)
    @rule(data=st.data())
    def change_check(self, data: st.DataObject) -> None:
        m = self.spec.model(self._model(data))
        options = [None, "not_null", "sql", "warn"] + (["unique"] if m.shape == "agg" else [])
        check = data.draw(st.sampled_from([c for c in options if c != m.check]), label="check")
        self.apply(self.spec.replace_model(dataclasses.replace(m, check=check)),
                   expect={m.name: (Action.UPDATE, METADATA)})

    @precondition(lambda self: self.spec is not None)
    @rule(data=st.data())
    def change_seed_rows(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from([s.name for s in self.spec.seeds]), label="seed")
        new = project_gen.change_seed_rows(data.draw, self.spec, name)
        self.apply(new, expect=self.rebuild_all(new, name))

    @precondition(lambda self: self.spec is not None and len(self.spec.models) < 8)
    @rule(data=st.data())
    def add_model(self, data: st.DataObject) -> None:
        name = self.names.model()
        self.apply(project_gen.add_model(data.draw, self.spec, name), expect={name: (Action.CREATE, None)})

    @precondition(lambda self: self.spec is not None and len(self.spec.models) > 1)
    @rule(data=st.data())
    def remove_leaf(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.spec.leaves()), label="leaf")
        self.apply(project_gen.remove_model(self.spec, name), expect={name: (Action.DELETE, None)})

    @precondition(lambda self: len(self.applied) > 1)
    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        """Go back to an earlier project: its table versions are still built and are reused."""
        earlier = data.draw(st.sampled_from(self.applied[:-1]), label="earlier project")
        self.apply(earlier, expect=None)

    @precondition(lambda self: len(self.applied) > 1)
    @rule()
    def rollback_then_apply(self) -> None:
        """Rollback republishes the previous serial exactly; applying again restores the project."""
        goal = harness.rollback(self.root)
        rolled_back_to = self.spec_at_serial[goal]
        self.spec_at_serial[harness.serial(self.root)] = rolled_back_to
        self.check_published(rolled_back_to)
        self.apply(self.spec, expect=None)


def test_after_apply_plan_is_empty_and_matches_scratch_build_quick() -> None:
    run_state_machine_as_test(PlanApplyMachine, settings=QUICK)


@pytest.mark.slow
def test_after_apply_plan_is_empty_and_matches_scratch_build() -> None:
    run_state_machine_as_test(PlanApplyMachine, settings=SLOW)


# -- same inputs, same fingerprints ---------------------------------------------------------------


def _fingerprints(root: Path) -> dict[str, tuple[str, str, str]]:
    manifest = Workspace(root=root).compile(write_manifest=False)
    return {i: (n.version, n.data_hash, n.metadata_hash) for i, n in manifest.nodes.items()}


def _restyled(draw, project: ProjectSpec) -> ProjectSpec:
    for m in project.models:
        project = project_gen.cosmetic(draw, project, m.name)
    return project


def check_same_fingerprints(project: ProjectSpec, data: st.DataObject) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="faborite-fp-"))
    try:
        first, second, restyled = tmp / "one" / "project", tmp / "two" / "elsewhere", tmp / "three" / "p"
        harness.write_project(first, project)
        harness.write_project(second, project)
        harness.write_project(restyled, _restyled(data.draw, project))
        want = _fingerprints(first)
        assert set(want) == {f"seed.{s.name}" for s in project.seeds} | {f"model.{m.name}" for m in project.models}
        assert _fingerprints(first) == want, "compiling the same directory twice gave other fingerprints"
        assert _fingerprints(second) == want, "the same files in another directory gave other fingerprints"
        assert _fingerprints(restyled) == want, "reformatting SQL or moving config changed fingerprints"
        assert not (first / WORK_DIR).exists(), "compile(write_manifest=False) wrote into the project"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=_SUPPRESS)
@given(project=project_gen.projects(max_models=8), data=st.data())
def test_same_inputs_same_fingerprints_quick(project: ProjectSpec, data: st.DataObject) -> None:
    check_same_fingerprints(project, data)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("FABORITE_PROPERTY_EXAMPLES", "25")) * 4, deadline=None,
          suppress_health_check=_SUPPRESS)
@given(project=project_gen.projects(max_models=8), data=st.data())
def test_same_inputs_same_fingerprints(project: ProjectSpec, data: st.DataObject) -> None:
    check_same_fingerprints(project, data)


def test_plan_is_pure(tmp_path: Path) -> None:
    """Planning against a state snapshot writes no relation and changes no state."""
    project = ProjectSpec(
        seeds=(project_gen.SeedSpec(name="s0", columns=(("id", "int"), ("s0_c0", "text")), rows=((1, "b"),)),),
        models=(project_gen.ModelSpec(name="m0", shape="star", parents=("s0",)),),
    )
    harness.write_project(tmp_path, project)
    harness.apply(tmp_path)
    before = harness.published(tmp_path)
    harness.write_project(tmp_path, project_gen.change_materialization(project, "m0"))
    plan: Plan = harness.plan(tmp_path)
    assert harness.visible(plan) == {"m0": (Action.REPLACE, BREAKING)}
    assert harness.serial(tmp_path) == 1
    assert harness.published(tmp_path) == before
