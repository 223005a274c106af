"""Property: after any apply, ``plan`` is empty and the target equals a from-scratch build.

A Hypothesis state machine generates a small project (1-2 seeds, maybe a files
source, 2-6 models in a random DAG: projections, filters, aggregates, joins,
``*``; views and tables; checks) and takes random steps through the Python API,
a fresh Workspace each time:

* single edits, each with its plan predicted and checked before apply: an added
  column (non-breaking: '*' children pass it on, views are re-pointed, tables
  keep their data), a filter, materialization, schema/alias, seed or source rows,
  seed column types (breaking: everything downstream), a description or a check
  (metadata-only), a cosmetic rewrite (nothing: formatting, config moved between
  config() and properties, folder), an added model, a removed leaf;
* change sets: several of those edits in one apply, and "an upstream breaking
  change plus an added column below it" in one apply;
* a revert to any earlier project (built versions are reused), a rollback to any
  serial gc kept (checked against that serial's project) then apply, gc, a
  failed apply (an error check fails: nothing published, state unchanged), and
  drift (a version, a view or the whole database removed outside faborite: the
  plan names exactly what is missing, and applying it converges).

After every apply:

* ``plan()`` reports no changes;
* every published relation (names, column names and types, rows as a multiset)
  equals what a first apply of the same files in an empty directory publishes.

A second property: compiling the same files twice, in another directory, or
reformatted, gives the same fingerprints.

The plain tests at the end are the bugs these properties found, as examples;
the strict xfails are known gaps (they fail loudly once fixed, to be flipped).

Runs: the unmarked tests are a quick, derandomized sweep (deterministic in CI);
the ``slow`` ones explore more. To explore much more::

    FABORITE_PROPERTY_EXAMPLES=300 FABORITE_PROPERTY_STEPS=15 \\
        pytest tests/properties -m slow -p no:cacheprovider

(``--hypothesis-seed=N`` replays a run; failures are also kept in ``.hypothesis/``.)

Targets: the machine runs on DuckDB, and (``run_on``) on PostgreSQL, MariaDB, Spark
``local[2]`` and a Delta folder, each built and read back through the engine itself, with
fewer examples on the slower ones (``FABORITE_{PG,MYSQL,SPARK,DELTA}_PROPERTY_EXAMPLES``
raise them). A target whose dialect reads no files gets no files source; what drift
drops with a relation (PostgreSQL's CASCADE) is read from the target, not assumed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from faborite.api import WORK_DIR, Workspace
from faborite.dialects import get_dialect
from faborite.errors import ApplyError
from faborite.plan.model import Action, Plan
from faborite.relation import Relation
from tests.properties import harness, project_gen
from tests.properties.project_gen import Names, ProjectSpec
from tests.spark import FAST_CONF

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
#: Every step applies twice, so shrinking a failure can take minutes; FABORITE_PROPERTY_SHRINK=0 skips it.
_PHASES = (list(Phase) if os.environ.get("FABORITE_PROPERTY_SHRINK", "1") != "0"
           else [Phase.explicit, Phase.reuse, Phase.generate])

#: Quick sweep: same examples every run, nothing read from or written to the example database.
QUICK = settings(max_examples=5, stateful_step_count=8, deadline=None, derandomize=True, database=None,
                 suppress_health_check=_SUPPRESS, phases=_PHASES)
#: Longer, random sweep (``-m slow``); scale it with the environment variables in the module docstring.
SLOW = settings(max_examples=int(os.environ.get("FABORITE_PROPERTY_EXAMPLES", "12")),
                stateful_step_count=int(os.environ.get("FABORITE_PROPERTY_STEPS", "10")),
                deadline=None, suppress_health_check=_SUPPRESS, phases=_PHASES, print_blob=True)

BREAKING, NON_BREAKING, METADATA = "breaking", "non-breaking", "metadata-only"

#: Changing only the case of an alias (``x as total`` -> ``x as Total``) renames the published
#: column, but faborite.compiler.sql.canonical_text lower-cases unquoted identifiers, so the
#: plan sees no change (see test_alias_case_change_is_planned). While that holds, the state
#: machine does not make such edits; flip this when canonical_text keeps alias case.
ALIAS_CASE_IS_FINGERPRINTED = True

Expect = dict[str, tuple[Action, "str | None"]]


# -- what an edit should do to the plan ---------------------------------------------------------


def expect_rebuild_all(spec: ProjectSpec, name: str) -> Expect:
    """A breaking change of ``name``: it and everything downstream is replaced (sources are not built)."""
    expect = {} if spec.is_source(name) else {name: (Action.REPLACE, BREAKING)}
    expect.update({d: (Action.REPLACE, BREAKING) for d in spec.descendants(name)})
    return expect


def expect_additive(spec: ProjectSpec, name: str) -> Expect:
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


# -- edits: (draw, spec, fresh names) -> (new spec, expected plan) or None when not applicable -----------


def _pick_model(draw, spec: ProjectSpec) -> str | None:
    return draw(st.sampled_from([m.name for m in spec.models]), label="model") if spec.models else None


def edit_add_column(draw, spec, names):
    name = _pick_model(draw, spec)
    if name is None:
        return None
    new = project_gen.add_column(draw, spec, name, names.column())
    return new, expect_additive(new, name)


def edit_filter(draw, spec, names):
    name = _pick_model(draw, spec)
    if name is None:
        return None
    new = project_gen.change_filter(draw, spec, name)
    return new, expect_rebuild_all(new, name)


def edit_materialization(draw, spec, names):
    name = _pick_model(draw, spec)
    if name is None:
        return None
    new = project_gen.change_materialization(spec, name)
    return new, expect_rebuild_all(new, name)


def edit_alias_case(draw, spec, names):
    """Write the aliases a model invents in the other case: published column names change."""
    name = _pick_model(draw, spec)
    if name is None or not ALIAS_CASE_IS_FINGERPRINTED or not spec.model(name).aliases():
        return None
    m = spec.model(name)
    new = spec.replace_model(dataclasses.replace(m, upper=not m.upper))
    return new, expect_rebuild_all(new, name)


def edit_cosmetic(draw, spec, names):
    """Reformat, move the config between config() and properties, move folders: nothing changes."""
    name = _pick_model(draw, spec)
    if name is None:
        return None
    return project_gen.cosmetic(draw, spec, name), {}


def edit_description(draw, spec, names):
    name = draw(st.sampled_from(spec.node_names()), label="node")
    text = draw(project_gen.descriptions(), label="description")
    if any(s.name == name for s in spec.seeds):
        seed = spec.seed_or_source(name)
        old, new = seed.description, spec.replace_seed(dataclasses.replace(seed, description=text))
    else:
        m = spec.model(name)
        old, new = m.description, spec.replace_model(dataclasses.replace(m, description=text))
    return new, {} if text == old else {name: (Action.UPDATE, METADATA)}


def edit_check(draw, spec, names):
    name = _pick_model(draw, spec)
    if name is None:
        return None
    m = spec.model(name)
    options = [None, "not_null", "sql", "warn"] + (["unique"] if m.shape == "agg" else [])
    check = draw(st.sampled_from([c for c in options if c != m.check]), label="check")
    return spec.replace_model(dataclasses.replace(m, check=check)), {name: (Action.UPDATE, METADATA)}


def edit_seed_rows(draw, spec, names):
    name = draw(st.sampled_from([s.name for s in spec.seeds + spec.sources]), label="seed or source")
    new = project_gen.change_seed_rows(draw, spec, name)
    return new, expect_rebuild_all(new, name)


def edit_relation(draw, spec, names):
    """Publish a model under another schema and/or name (its readers' SQL changes with it)."""
    name = _pick_model(draw, spec)
    if name is None:
        return None
    m = spec.model(name)
    schema, alias = draw(project_gen.relation_configs(name).filter(lambda r: r != (m.schema, m.alias)))
    new = spec.replace_model(dataclasses.replace(m, schema=schema, alias=alias))
    return new, expect_rebuild_all(new, name)


def edit_seed_types(draw, spec, names):
    """Declare a seed's column types or stop declaring them: a data config change."""
    seed = draw(st.sampled_from(spec.seeds), label="seed")
    new = spec.replace_seed(dataclasses.replace(seed, typed=not seed.typed))
    return new, expect_rebuild_all(new, seed.name)


def edit_add_model(draw, spec, names):
    if len(spec.models) >= 8:
        return None
    name = names.model()
    return project_gen.add_model(draw, spec, name), {name: (Action.CREATE, None)}


def edit_remove_leaf(draw, spec, names):
    if len(spec.models) <= 1:
        return None
    name = draw(st.sampled_from(spec.leaves()), label="leaf")
    return project_gen.remove_model(spec, name), {name: (Action.DELETE, None)}


#: Edits a change set may combine (each keeps the project valid on its own).
COMBINABLE = (edit_add_column, edit_filter, edit_materialization, edit_alias_case, edit_cosmetic,
              edit_description, edit_check, edit_seed_rows, edit_relation, edit_seed_types, edit_add_model)


#: Single edits a step may make, each followed by plan (checked against the prediction) and apply.
SINGLE_EDITS = {
    "add_column": edit_add_column, "change_filter": edit_filter, "change_seed_or_source_rows": edit_seed_rows,
    "change_materialization": edit_materialization, "change_relation": edit_relation,
    "remove_leaf": edit_remove_leaf, "add_model": edit_add_model, "change_description": edit_description,
    "change_check": edit_check, "cosmetic_rewrite": edit_cosmetic, "change_seed_types": edit_seed_types,
    "change_alias_case": edit_alias_case,
}
#: Everything a step may do, the richest first (Hypothesis favours the first choices).
ACTIONS = ("change_set", "change_upstream_and_add_column_below", "rollback_then_apply", "revert", "failed_apply",
           *SINGLE_EDITS, "gc", "drift")


class PlanApplyMachine(RuleBasedStateMachine):
    """One project directory, edited and applied step by step."""

    #: Where the project is built and read back; from-scratch builds go to ``target.scratch()``.
    target: harness.Target = harness.DUCKDB

    def __init__(self) -> None:
        super().__init__()
        self.target.reset()
        self.tmp = Path(tempfile.mkdtemp(prefix="faborite-prop-"))
        self.root = self.tmp / "project"
        self.spec: ProjectSpec | None = None
        self.applied: list[ProjectSpec] = []  # every project applied, oldest first
        self.spec_at_serial: dict[int, ProjectSpec] = {}
        self.names = Names()
        self.threads = 1
        self.oldest_kept_serial = 1  # gc dropped the versions only older serials used

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the step every rule ends with ---------------------------------------------------

    def apply(self, new: ProjectSpec, expect: Expect | None) -> None:
        """Write ``new``, check the plan against ``expect`` (node -> action, category), apply, check."""
        harness.write_project(self.root, new, self.target)
        if expect is not None:
            plan = harness.plan(self.root)
            assert harness.visible(plan) == expect, (
                f"plan differs from what the edit should cause\nexpected {expect}\nplan:\n"
                + harness.describe_plan(plan))
        harness.apply(self.root, threads=self.threads)
        self.spec = new
        self.applied.append(new)
        self.spec_at_serial[harness.serial(self.root)] = new
        self.check_converged()

    def check_converged(self) -> None:
        assert self.spec is not None
        after = harness.plan(self.root)
        assert not after.has_changes, "plan after apply is not empty:\n" + harness.describe_plan(after)
        self.check_published(self.spec)

    def check_published(self, spec: ProjectSpec, skip: set[str] = frozenset()) -> None:
        got = self.target.published(self.root, skip)
        want = {k: v for k, v in harness.from_scratch(spec, self.target).items() if k not in skip}
        diff = harness.diff_published(got, want)
        assert not diff, "published relations differ from a from-scratch build:\n" + diff

    def edit(self, edit, data: st.DataObject) -> None:
        assert self.spec is not None
        result = edit(data.draw, self.spec, self.names)
        if result is not None:
            self.apply(*result)

    # -- rules ---------------------------------------------------------------------------------

    @initialize(project=project_gen.projects(), threads=st.sampled_from([1, 1, 2]))
    def start(self, project: ProjectSpec, threads: int) -> None:
        self.threads = threads
        self.apply(project, expect={n: (Action.CREATE, None) for n in project.node_names()})

    # One rule picks the action, so that the mix is ours: Hypothesis orders rules by name and leans
    # towards the first one of them, as it does towards the first choices of a sampled_from.
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        actions = [a for a in ACTIONS if len(self.applied) > 1 or a not in ("rollback_then_apply", "revert")]
        action = data.draw(st.sampled_from(actions), label="action")
        if action in SINGLE_EDITS:
            self.edit(SINGLE_EDITS[action], data)
        else:
            getattr(self, action)(data)

    def change_set(self, data: st.DataObject) -> None:
        """Several edits in one apply, as one pull request makes them (the plan is not predicted)."""
        new = self.spec
        for edit in data.draw(st.lists(st.sampled_from(COMBINABLE), min_size=2, max_size=4), label="edits"):
            result = edit(data.draw, new, self.names)
            new = result[0] if result is not None else new
        self.apply(new, expect=None)

    def change_upstream_and_add_column_below(self, data: st.DataObject) -> None:
        """One apply changes the rows of a node upstream and adds a column to a model below it.

        The model's own edit only adds columns, but its rows change too: everything below rebuilds.
        """
        name = _pick_model(data.draw, self.spec)
        if name is None:
            return
        upstream = data.draw(st.sampled_from(sorted(self.spec.ancestors(name))), label="upstream")
        if any(m.name == upstream for m in self.spec.models):
            new = project_gen.change_filter(data.draw, self.spec, upstream)
        else:
            new = project_gen.change_seed_rows(data.draw, self.spec, upstream)
        new = project_gen.add_column(data.draw, new, name, self.names.column())
        self.apply(new, expect=expect_rebuild_all(new, upstream))

    def rollback_then_apply(self, data: st.DataObject) -> None:
        """Rollback republishes an earlier serial exactly; applying again restores the project."""
        current = harness.serial(self.root)
        if current - 1 < self.oldest_kept_serial:
            return
        to = data.draw(st.integers(self.oldest_kept_serial, current - 1), label="rollback to serial")
        goal = harness.rollback(self.root, to)
        rolled_back_to = self.spec_at_serial[goal]
        self.spec_at_serial[harness.serial(self.root)] = rolled_back_to
        # A view over a files source reads today's files, not a version: rollback cannot restore it.
        live = rolled_back_to.live_views() if rolled_back_to.sources != self.spec.sources else set()
        self.check_published(rolled_back_to, skip=live)
        self.apply(self.spec, expect=None)

    def revert(self, data: st.DataObject) -> None:
        """Go back to an earlier project: its table versions are still built and are reused."""
        earlier = data.draw(st.sampled_from(self.applied[:-1]), label="earlier project")
        self.apply(earlier, expect=None)

    def failed_apply(self, data: st.DataObject) -> None:
        """A breaking edit plus an error check that fails: nothing is published, state does not move.

        Then the check is dropped and the edit applied: the versions the failed apply built are reused.
        """
        name = _pick_model(data.draw, self.spec)
        if name is None:
            return
        edited, _ = edit_filter(data.draw, self.spec, self.names)
        failing = edited.replace_model(dataclasses.replace(edited.model(name), check="fail"))
        rows = harness.from_scratch(edited, self.target)[edited.model(name).relation_key()].rows
        before_serial, before = harness.serial(self.root), self.target.published(self.root)
        harness.write_project(self.root, failing, self.target)
        if not rows:  # a check that fails on any row passes on none
            harness.apply(self.root, threads=self.threads)
            self.spec_at_serial[harness.serial(self.root)] = failing  # a serial rollback may go back to
        else:
            with pytest.raises(ApplyError, match="checks failed; nothing was published"):
                harness.apply(self.root, threads=self.threads)
            assert harness.serial(self.root) == before_serial, "a failed apply recorded a new state"
            assert self.target.published(self.root) == before, "a failed apply changed published relations"
        self.apply(edited, expect=None)

    def gc(self, data: st.DataObject) -> None:
        """Drop versions the newest ``keep`` serials do not use; published data must not change."""
        keep = data.draw(st.integers(1, 3), label="keep")
        before = self.target.published(self.root)
        kept = harness.gc(self.root, keep)
        self.oldest_kept_serial = max(self.oldest_kept_serial, min(kept))
        assert self.target.published(self.root) == before, "gc changed published relations"


    def drift(self, data: st.DataObject) -> None:
        """Something outside faborite drops a version or a view, or deletes the database: the
        plan names exactly what is missing, and applying it converges.

        PostgreSQL drops the views reading a dropped relation with it (CASCADE): those nodes drift too.
        """
        nodes = Workspace(root=self.root).state().nodes
        kind = data.draw(st.sampled_from(["drop_version", "drop_view", "delete_database"]), label="drift")
        if kind == "delete_database":
            self.target.wipe(self.root)
            expected = set(nodes)
        else:
            node = nodes[data.draw(st.sampled_from(sorted(nodes)), label="drifted node")]
            relation = Relation.parse(node.physical if kind == "drop_version" else node.relation)
            before = self.target.relations(self.root)
            self.target.drop(self.root, relation, before[relation])
            gone = set(before) - set(self.target.relations(self.root))
            assert relation in gone
            expected = {n.id for n in nodes.values()
                        if {Relation.parse(n.physical), Relation.parse(n.relation)} & gone}
        plan = harness.plan(self.root)
        assert {d.node_id for d in plan.drift} == expected, harness.describe_plan(plan)
        assert plan.has_changes
        self.apply(self.spec, expect=None)


def test_after_apply_plan_is_empty_and_matches_scratch_build_quick() -> None:
    run_state_machine_as_test(PlanApplyMachine, settings=QUICK)


@pytest.mark.slow
def test_after_apply_plan_is_empty_and_matches_scratch_build() -> None:
    run_state_machine_as_test(PlanApplyMachine, settings=SLOW)


# -- the same properties on every other target ------------------------------------------------------


def target_settings(env: str, examples: int, steps: int) -> settings:
    """The quick sweep with fewer examples and steps for a slower target; ``env`` raises them."""
    return settings(QUICK, max_examples=int(os.environ.get(env, str(examples))), stateful_step_count=steps)


#: Every PostgreSQL or MariaDB step costs round trips to a server; every Spark step runs Spark jobs
#: (a from-scratch build is seconds); every Delta step writes and reads table logs: fewer examples
#: there than DuckDB's slow sweep (``SLOW``, 12), and smaller projects on Spark.
PG_QUICK = target_settings("FABORITE_PG_PROPERTY_EXAMPLES", 8, 6)
MYSQL_QUICK = target_settings("FABORITE_MYSQL_PROPERTY_EXAMPLES", 4, 4)
SPARK_QUICK = target_settings("FABORITE_SPARK_PROPERTY_EXAMPLES", 1, 2)
DELTA_QUICK = target_settings("FABORITE_DELTA_PROPERTY_EXAMPLES", 5, 6)


def run_on(target: harness.Target, quick: settings, *, max_models: int = 6) -> None:
    """The machine on ``target``; a files source only where the target's dialect reads files."""
    reads_files = bool(get_dialect(target.name).file_formats)

    class OnTarget(PlanApplyMachine):
        @initialize(project=project_gen.projects(max_models=max_models, max_sources=int(reads_files)),
                    threads=st.sampled_from([1, 1, 2]))
        def start(self, project: ProjectSpec, threads: int) -> None:
            super().start(project, threads)

    OnTarget.target = target
    OnTarget.__name__ = f"On{target.name.title()}"
    run_state_machine_as_test(OnTarget, settings=quick)


@pytest.mark.service
def test_after_apply_plan_is_empty_and_matches_scratch_build_on_postgres(postgres) -> None:  # noqa: F811
    """Published (read from the PostgreSQL target) equals a from-scratch build on PostgreSQL.

    One database for the machine, emptied before each example, and one for from-scratch builds.
    """
    databases = postgres.create_database(), postgres.create_database()
    try:
        run_on(harness.PostgresTarget(postgres, *databases), PG_QUICK)
    finally:
        for name in databases:
            postgres.drop_database(name)


@pytest.mark.service
def test_after_apply_plan_is_empty_and_matches_scratch_build_on_mysql(mysql) -> None:  # noqa: F811
    """The same on MariaDB: databases ``main`` and ``mart`` (and their ``faborite__`` ones),
    dropped before each example; from-scratch builds go to ``scratch_main`` and ``scratch_mart``."""
    target = harness.MySQLTarget(mysql)
    try:
        run_on(target, MYSQL_QUICK)
    finally:
        target.reset()
        target.scratch().reset()


@pytest.mark.service
def test_after_apply_plan_is_empty_and_matches_scratch_build_on_spark(spark_connection) -> None:  # noqa: F811
    """The same on Spark ``local[2]``, in the process's one session (the fixture's warehouse);
    schemas as on MariaDB. Few examples of few steps over at most three models: each is Spark jobs."""
    target = harness.SparkTarget(spark_connection._session, FAST_CONF)
    try:
        run_on(target, SPARK_QUICK, max_models=3)
    finally:
        target.reset()
        target.scratch().reset()


def test_after_apply_plan_is_empty_and_matches_scratch_build_on_delta() -> None:
    """The same on a Delta lakehouse folder in the project's ``.faborite/``, read with deltalake."""
    run_on(harness.DeltaFolderTarget(), DELTA_QUICK)


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
        assert set(want) == ({f"seed.{s.name}" for s in project.seeds} | {f"model.{m.name}" for m in project.models}
                             | {f"source.raw.{s.name}" for s in project.sources})
        assert _fingerprints(first) == want, "compiling the same directory twice gave other fingerprints"
        assert _fingerprints(second) == want, "the same files in another directory gave other fingerprints"
        assert _fingerprints(restyled) == want, "reformatting SQL or moving config changed fingerprints"
        written = {f.relative_to(first / WORK_DIR).parts[0] for f in (first / WORK_DIR).rglob("*") if f.is_file()}
        assert written <= {"cache"}, f"compile(write_manifest=False) wrote {written} (only a compile cache may be)"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=_SUPPRESS)
@given(project=project_gen.projects(max_models=8), data=st.data())
def test_same_inputs_same_fingerprints_quick(project: ProjectSpec, data: st.DataObject) -> None:
    check_same_fingerprints(project, data)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("FABORITE_PROPERTY_EXAMPLES", "12")) * 4, deadline=None,
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


# -- regressions the state machine found, as plain examples ------------------------------------------


def _files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


_CHAIN = {
    "faborite.yml": "name: chain\nthreads: 1\nmodels:\n  +materialized: table\n",
    "seeds/s.csv": "id,v\n1,2\n2,3\n",
    "models/a.sql": "select id, v from {{ ref('s') }}",
    "models/b.sql": "select id, v from {{ ref('a') }}",
    "models/c.sql": "select id, v from {{ ref('b') }}",
}


def test_added_column_two_levels_up_rebuilds_nothing_downstream(tmp_path: Path) -> None:
    """a adds a column: b (table, explicit columns) keeps its data, and so does c below it.

    Used to plan c as 'replace, breaking: source data changed' and rebuild everything under it.
    """
    _files(tmp_path, _CHAIN)
    harness.apply(tmp_path)
    _files(tmp_path, {"models/a.sql": "select id, v, v * 2 as w from {{ ref('s') }}"})
    assert harness.visible(harness.plan(tmp_path)) == {"a": (Action.REPLACE, NON_BREAKING)}


def test_added_column_with_breaking_upstream_change_rebuilds_readers(tmp_path: Path) -> None:
    """One apply filters a (breaking) and adds a column to b: b's rows changed, so c must rebuild.

    Used to plan b as non-breaking and keep c's stale rows forever ('No changes' afterwards).
    """
    _files(tmp_path, _CHAIN)
    harness.apply(tmp_path)
    _files(tmp_path, {"models/a.sql": "select id, v from {{ ref('s') }} where id = 1",
                      "models/b.sql": "select id, v, v * 2 as w from {{ ref('a') }}"})
    assert harness.visible(harness.plan(tmp_path)) == {n: (Action.REPLACE, BREAKING) for n in "abc"}
    harness.apply(tmp_path)
    assert harness.published(tmp_path)["main.c"].rows == ((1, 2),)


def test_source_change_with_added_column_upstream_is_rebuilt(tmp_path: Path) -> None:
    """n reads a files source and model a; one apply changes the file and adds a column to a.

    Used to plan n as no-op ('upstream only added columns') and keep the old file's rows.
    """
    _files(tmp_path, {
        **_CHAIN,
        "sources/raw.yml": ("sources:\n  - name: raw\n    type: files\n    tables:\n"
                            "      - name: f\n        path: data/f.csv\n"),
        "data/f.csv": "id,x\n1,10\n",
        "models/n.sql": "select f.x, a.v from {{ source('raw', 'f') }} f join {{ ref('a') }} a on a.id = f.id",
    })
    harness.apply(tmp_path)
    _files(tmp_path, {"data/f.csv": "id,x\n1,99\n", "models/a.sql": "select id, v, v * 2 as w from {{ ref('s') }}"})
    changes = harness.visible(harness.plan(tmp_path))
    assert changes["n"] == (Action.REPLACE, BREAKING)
    harness.apply(tmp_path)
    assert harness.published(tmp_path)["main.n"].rows == ((99, 2),)


def test_alias_case_change_is_planned(tmp_path: Path) -> None:
    _files(tmp_path, {**_CHAIN, "models/c.sql": "select id as total, v from {{ ref('b') }}"})
    harness.apply(tmp_path)
    _files(tmp_path, {"models/c.sql": "select id as Total, v from {{ ref('b') }}"})
    assert harness.visible(harness.plan(tmp_path)) == {"c": (Action.REPLACE, BREAKING)}


@pytest.mark.parametrize("child", [
    # NATURAL JOIN joins on every shared column name: a new column 'k' in a joins on k too.
    pytest.param("select id, k from {{ ref('a') }} natural join {{ ref('t') }}", id="natural-join"),
    # Only the first branch's projections are looked at; a '*' in a later one no longer matches it.
    pytest.param("select id, v from {{ ref('s') }} union all select * from {{ ref('a') }}", id="union-star"),
    # DuckDB's COLUMNS() selects every column whose name matches.
    pytest.param("select columns('^[vk]$') from {{ ref('a') }}", id="columns-expression"),
])
def test_child_reading_parent_column_set_is_rebuilt(tmp_path: Path, child: str) -> None:
    _files(tmp_path, {**_CHAIN, "seeds/t.csv": "id,k\n1,2\n2,5\n", "models/c.sql": child})
    harness.apply(tmp_path)
    _files(tmp_path, {"models/a.sql": "select id, v, v as k from {{ ref('s') }}"})
    assert "c" in harness.visible(harness.plan(tmp_path))


@pytest.mark.service
def test_postgres_rebuilds_a_view_a_failed_apply_left_under_another(tmp_path: Path, postgres) -> None:  # noqa: F811
    """A failed apply leaves a's and b's new view versions, b's over a's; applying again rebuilds a's.

    Used to fail on PostgreSQL: the rebuild dropped a's view first, which b's view depends on.
    """
    dbname = postgres.create_database()
    try:
        target = harness.PostgresTarget(postgres, dbname)
        chain = {**_CHAIN, "faborite.yml": f"name: chain\nthreads: 1\ntargets:\n{target.block}",
                 "models/a.sql": "select id, v from {{ ref('s') }} where id > 0"}
        _files(tmp_path, chain)
        harness.apply(tmp_path)
        _files(tmp_path, {"models/a.sql": "select id, v from {{ ref('s') }} where id > 1",
                          "models/_p.yml": ("models:\n  - name: a\n    checks:\n      - name: fails\n"
                                            "        sql: select * from {{ this }}\n")})
        with pytest.raises(ApplyError, match="checks failed; nothing was published"):
            harness.apply(tmp_path)
        (tmp_path / "models/_p.yml").unlink()
        harness.apply(tmp_path)
        assert target.published(tmp_path)["main.c"].rows == ((2, 3),)
    finally:
        postgres.drop_database(dbname)


@pytest.mark.service
def test_mysql_loads_a_typed_seed(tmp_path: Path, mysql) -> None:  # noqa: F811
    """A seed with ``column_types`` on MariaDB. Used to fail: the load cast to the column type
    names (``CAST(x AS BIGINT)``, ``AS TEXT``), which MySQL's CAST refuses (``SIGNED``, ``CHAR``)."""
    target = harness.MySQLTarget(mysql)
    try:
        _files(tmp_path, {"faborite.yml": f"name: typed\nthreads: 1\ntargets:\n{target.block}",
                          "seeds/s.csv": "id,v\n1,b\n",
                          "seeds/_s.yml": "seeds:\n  - name: s\n    config: {column_types: {id: bigint, v: varchar}}\n"})
        harness.apply(tmp_path)
        published = target.published(tmp_path)["main.s"]
        assert published.rows == ((1, "b"),)
        assert published.columns[0][1].startswith("bigint")
    finally:
        target.reset()
