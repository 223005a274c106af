"""``env promote`` and ``env delete``: moving an environment's virtual layer, building nothing.

Promote points environment B's virtual relations at environment A's physical
versions. Every version A publishes exists already (A built or reused it),
so promote computes nothing: it checks the versions are still there, then
republishes them in one publish step (one transaction where the engine has
transactional DDL) and records B's next serial (``operation: promote``,
``promoted_from: A``). Delete drops an environment's views, records an empty
serial (``operation: env-delete``) and drops its virtual schemas once empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faborite import __version__
from faborite.apply.republish import Moves, check_exist, republish
from faborite.environment import DELETE_OPERATION, is_fresh, move_nodes
from faborite.config.project import EnvironmentsConfig
from faborite.errors import FaboriteError, StateError
from faborite.relation import Relation
from faborite.state.backend import StateBackend
from faborite.state.lock import current_host, current_user
from faborite.state.model import NodeState, State, StateEvent, utcnow
from faborite.target import TargetConnection


@dataclass(frozen=True)
class PromotePlan:
    """What ``env promote SOURCE DEST`` will do."""

    source_name: str
    dest_name: str
    #: SOURCE's state whose versions are promoted.
    source: State
    #: DEST's state now (None: never applied).
    dest: State | None
    #: DEST's nodes after the promote: SOURCE's versions, published under DEST's names.
    goal: dict[str, NodeState]
    moves: Moves


def plan_promote(source: State | None, dest: State | None, *, source_env: str | None, dest_env: str | None,
                 source_name: str, dest_name: str, config: EnvironmentsConfig) -> PromotePlan:
    """Compare DEST's published nodes with SOURCE's, renamed into DEST (pure: reads nothing)."""
    if is_fresh(source):
        raise StateError(f"environment {source_name!r} has nothing to promote",
                         hint=f"apply it first: faborite apply --env {source_name}")
    assert source is not None
    goal = move_nodes(source.nodes, source_env, dest_env, config)
    current = {} if dest is None else dest.nodes
    return PromotePlan(source_name=source_name, dest_name=dest_name, source=source, dest=dest, goal=goal,
                       moves=Moves.between(current, goal))


def execute_promote(plan: PromotePlan, connection: TargetConnection, backend: StateBackend,
                    project_root: Path) -> State:
    """Republish ``plan.goal`` in DEST (under DEST's lock, which the caller holds) and record it."""
    check_exist(plan.goal, connection, f"cannot promote {plan.source_name} to {plan.dest_name}",
                f"they were garbage-collected or dropped by hand; apply {plan.source_name} again, then promote")
    event = StateEvent(operation="promote", who=current_user(), host=current_host(), at=utcnow(),
                       faborite_version=__version__, changes=plan.moves.records(), promoted_from=plan.source_name)
    return republish(plan.dest, plan.goal, event=event, target=plan.source.target, connection=connection,
                     backend=backend, project_root=project_root)


def delete_environment(state: State, connection: TargetConnection, backend: StateBackend,
                       project_root: Path) -> State:
    """Drop every view ``state`` publishes, record an empty serial, then drop its schemas left empty."""
    event = StateEvent(operation=DELETE_OPERATION, who=current_user(), host=current_host(), at=utcnow(),
                       faborite_version=__version__, changes=Moves.between(state.nodes, {}).records())
    new = republish(state, {}, event=event, target=state.target, connection=connection, backend=backend,
                    project_root=project_root)
    schemas = sorted({Relation.parse(n.relation).schema_name for n in state.nodes.values() if not n.extra.get("files")})
    try:
        left = {r.schema_name for r in connection.list_relations(schemas)}
        for schema in schemas:
            if schema not in left:  # another tool's tables in it: keep the schema
                connection.execute(connection.dialect.drop_schema(schema))
    except FaboriteError:
        # Tidying only: the views are gone and the deletion recorded; an engine that cannot drop
        # a schema (a lakehouse without them) keeps an empty one.
        pass
    return new
