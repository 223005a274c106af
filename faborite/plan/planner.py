"""Manifest x State -> Plan. Pure: reads no database and writes nothing.

Walks the DAG parents-first and decides for every built node whether it is
new, rebuilt (and whether that breaks its children), changed in metadata
only, or kept; then deletes what the project no longer has.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from faborite import __version__
from faborite.compiler import fingerprint
from faborite.compiler.manifest import Manifest, Node
from faborite.errors import PlanError
from faborite.plan.destructive import column_losses
from faborite.plan.drift import Drift
from faborite.plan.incremental import RebuildOptions, incremental_change
from faborite.plan.atomicity import PublishStrategy, publish_strategy
from faborite.plan.model import Action, Change, Plan, PlanSelection, Reason
from faborite.state.model import NodeState, State


@dataclass(frozen=True)
class _Effect:
    """How a node's change looks to its children."""

    data_changed: bool = False
    breaking: bool = False
    physical_changed: bool = False


#: The effect of a node that did not change (its children see nothing new).
_NO_EFFECT = _Effect()
#: Materializations built from their previous version (:func:`incremental_change` plans them).
_FROM_PREVIOUS = ("incremental", "snapshot")


def make_plan(manifest: Manifest, state: State | None, *, select: set[str] | None = None,
              drift: tuple[Drift, ...] | None = None, selected_by: str = "",
              rebuild: RebuildOptions = RebuildOptions(),
              due: Mapping[str, str] | None = None, clock: datetime | None = None,
              moved: Mapping[str, str] | None = None) -> Plan:
    """The changes that take ``state`` to ``manifest``.

    With ``select`` (node ids), only those nodes change; every other node is
    *deferred*: it keeps exactly what the state records (Terraform's -target).
    ``drift`` (from :func:`faborite.plan.drift.find_drift`; None: the target was
    not looked at) turns a node the state calls current into a rebuild (its
    version is gone) or a re-publish (its published name is not as recorded).
    ``selected_by`` is the selector that chose ``select``, shown in the plan.
    ``rebuild``: ``--full-refresh`` and ``--allow-rebuild`` for incremental models.
    ``due`` (node id -> why, from :func:`faborite.compiler.schedule.due_nodes`)
    rebuilds those nodes even when nothing about them changed, as of ``clock``.
    ``moved`` (new node id -> old id, from :func:`faborite.plan.moved.resolve_moves`)
    plans a renamed node against its old state: its version is kept, not rebuilt.
    """
    rebuild.check_names(manifest.built_nodes())
    old_nodes, renamed = _renamed(state.nodes if state else {}, moved or {})
    drift_of = {d.node_id: d for d in drift or ()}
    # Nodes planned by more than their own comparison (below); every other unchanged node takes the short path.
    special = {*drift_of, *renamed, *(due or ())}
    #: What each node's change does to its children; absent: nothing (most nodes of most plans).
    effects: dict[str, _Effect] = {}
    changes: list[Change] = []
    for node in manifest.nodes.values():
        if not node.is_built:
            continue
        old = old_nodes.get(node.id)
        if select is not None and node.id not in select:
            changes.append(Change(node_id=node.id, name=node.name, kind=node.kind, relation=node.relation,
                                  materialized=node.materialized, action=Action.NOOP, deferred=True,
                                  old_version=old.version if old else None,
                                  kept_physical=old.physical if old else None))
            continue
        if (old is not None and node.id not in special and node.materialized not in _FROM_PREVIOUS
                and _untouched(node, old, effects)):
            changes.append(_kept(node, old))  # the common case
            continue
        change, effect = _plan_node(node, old_nodes, effects, manifest)
        if due and node.id in due:
            change, effect = _rebuild_due(change, due[node.id])
        if node.id in renamed:
            change = _moved(change, renamed[node.id], old_nodes[node.id])
        change = _with_column_losses(change, node, old_nodes.get(node.id))
        change = _with_build_key(change, node, old_nodes.get(node.id), clock)
        if node.id in drift_of:
            change = _repair(change, drift_of[node.id])
        if node.materialized in _FROM_PREVIOUS:
            change = incremental_change(change, node, old_nodes.get(node.id), rebuild, manifest.sql_dialect)
        if effect != _NO_EFFECT:
            effects[node.id] = effect
        changes.append(change)
    for node_id, old in old_nodes.items():
        if select is None and node_id not in manifest.nodes:
            changes.append(Change(
                node_id=node_id, name=node_id.split(".", 1)[-1], kind=old.kind, relation=old.relation,
                materialized=old.materialized, action=Action.DELETE, old_version=old.version,
                reasons=(Reason(code="removed", detail="removed from the project"),),
            ))
    selection = None
    if select is not None:
        _check_selected_parents(manifest, select, old_nodes)
        selection = PlanSelection(label=selected_by,
                                  nodes=tuple(n.id for n in manifest.built_nodes() if n.id in select))
    return Plan(
        selection=selection, clock=clock,
        faborite_version=__version__, created_at=datetime.now(timezone.utc), target=manifest.target,
        lineage=state.lineage if state else None, serial=state.serial if state else None,
        manifest=manifest, changes=tuple(changes), drift=tuple(drift or ()), refreshed=drift is not None,
        publish=_publish_strategy(manifest),
    )


def _renamed(old_nodes: dict[str, NodeState], moved: Mapping[str, str]) -> tuple[dict[str, NodeState], dict[str, str]]:
    """The state's nodes with each moved node re-keyed under its new id; and new id -> old id for those
    moved now (a block whose old node is gone from the state was applied before and does nothing)."""
    renamed = {new: old for new, old in moved.items() if old in old_nodes and new not in old_nodes}
    if not renamed:
        return old_nodes, {}
    nodes = {i: n for i, n in old_nodes.items() if i not in renamed.values()}
    nodes.update({new: old_nodes[old].model_copy(update={"id": new}) for new, old in renamed.items()})
    return nodes, renamed


def _moved(change: Change, old_id: str, old: NodeState) -> Change:
    """``change`` for a node a ``moved:`` block renames: published under its new name from the
    kept physical relation (0 builds) unless its data changed too; the old name is dropped."""
    reason = Reason(code="moved", detail=f"moved from {old_id.split('.', 1)[-1]}")
    update: dict = {"moved_from": old_id, "reasons": (*change.reasons, reason)}
    if old.relation != change.relation:
        update["old_relation"] = old.relation
    if not change.rebuild and change.action is not Action.DELETE:
        update |= {"action": Action.REPLACE, "kept_physical": old.physical}
    return change.model_copy(update=update)


def _rebuild_due(change: Change, why: str) -> tuple[Change, _Effect]:
    """``change`` made a rebuild because its schedule came due; its children see new data."""
    reasons = (*change.reasons, Reason(code="schedule", detail=why))
    update: dict = {"reasons": reasons}
    if not change.rebuild:
        update |= {"action": Action.REPLACE, "rebuild": True, "kept_physical": None,
                   "category": change.category if change.category != "metadata-only" else None}
    return change.model_copy(update=update), _Effect(data_changed=True, breaking=True, physical_changed=True)


def _with_build_key(change: Change, node: Node, old: NodeState | None, clock: datetime | None) -> Change:
    """A rebuild of the version the state already holds (a scheduled run, or what reads one) goes
    to a fresh physical relation named after the version and the clock; the old build stays for rollback."""
    if not change.rebuild or old is None or old.version != node.version or change.repairs_drift:
        return change
    stamp = (clock or datetime.now(timezone.utc)).isoformat()
    return change.model_copy(update={"build_key": fingerprint.sha256_json([node.version, stamp])})


def _with_column_losses(change: Change, node: Node, old: NodeState | None) -> Change:
    """``change`` with the published columns its new query no longer selects (names only:
    types are known once built, and apply compares them then)."""
    if old is None or not change.rebuild or node.output_columns is None or not old.columns:
        return change
    if len(old.columns) == len(node.output_columns) and all(
            c.name == n for c, n in zip(old.columns, node.output_columns)):
        return change  # the same names (most rebuilds): nothing dropped, and names alone say no type
    losses = column_losses(old.columns, node.output_columns)
    return change.model_copy(update={"column_losses": losses}) if losses else change


def _check_selected_parents(manifest: Manifest, select: set[str], old_nodes: dict[str, NodeState]) -> None:
    """Refuse a selection that builds a node whose unselected parent was never applied: it could not be read."""
    missing = []
    for node in manifest.built_nodes():
        if node.id not in select:
            continue
        for parent_id in node.parents:
            parent = manifest.nodes.get(parent_id)
            if parent is not None and parent.is_built and parent_id not in select and parent_id not in old_nodes:
                missing.append((node.name, parent.name))
    if missing:
        child, parent = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise PlanError(f"{child} is selected but its parent {parent} is not, and it was never applied{more}",
                        hint=f"select the parents too, e.g. -s +{child}, or apply {parent} first")


def _publish_strategy(manifest: Manifest) -> PublishStrategy | None:
    """How the target the manifest was compiled for publishes (None: an old manifest names none)."""
    if not manifest.target_dialect:
        return None
    from faborite.dialects import get_dialect

    return publish_strategy(get_dialect(manifest.target_dialect)())


_DRIFT_REASON = {
    "version_missing": "its version is missing; rebuild it",
    "unpublished": "its published relation is missing; publish it again",
    "replaced": "its published relation was replaced; publish it again",
    "repointed": "its published relation reads another version; publish it again",
}


def _repair(change: Change, drift: Drift) -> Change:
    """``change`` made to also repair ``drift``: rebuild a missing version, re-publish a name.

    A rebuilt version has the same name and the same rows (same version), so
    children are not affected; what the node's own change does to them stands.
    """
    reasons = (*change.reasons, Reason(code="drift", detail=f"changed outside faborite: {_DRIFT_REASON[drift.kind]}"))
    if change.rebuild:
        return change.model_copy(update={"reasons": reasons})
    if drift.needs_rebuild:
        return change.model_copy(update={"action": Action.REPLACE, "rebuild": True, "kept_physical": None,
                                         "reasons": reasons})
    # The version exists: publishing the kept physical relation again is enough.
    return change.model_copy(update={"action": Action.REPLACE, "reasons": reasons})


def _untouched(node: Node, old: NodeState, effects: dict[str, _Effect]) -> bool:
    """Whether nothing about ``node`` moved since ``old`` (its version covers sources too) and no
    parent's change reaches it."""
    return (old.version == node.version and old.metadata_hash == node.metadata_hash
            and old.relation == node.relation and not any(p in effects for p in node.parents))


def _kept(node: Node, old: NodeState) -> Change:
    """The no-op change of an untouched node: it keeps the physical version it has."""
    return Change(node_id=node.id, name=node.name, kind=node.kind, relation=node.relation,
                  materialized=node.materialized, action=Action.NOOP, new_version=node.version,
                  old_version=old.version, kept_physical=old.physical)


def _plan_node(node: Node, old_nodes: dict[str, NodeState], effects: dict[str, _Effect],
               manifest: Manifest) -> tuple[Change, _Effect]:
    old = old_nodes.get(node.id)
    base = dict(node_id=node.id, name=node.name, kind=node.kind, relation=node.relation,
                materialized=node.materialized, new_version=node.version)
    if old is None:
        detail = f"new: {_sync_summary(node)}" if node.sync else "new"
        return (Change(**base, action=Action.CREATE, rebuild=True, reasons=(Reason(code="new", detail=detail),)),
                _Effect(data_changed=True, breaking=True, physical_changed=True))
    base["old_version"] = old.version
    if _untouched(node, old, effects):
        return _kept(node, old), _NO_EFFECT
    if old.relation != node.relation:
        base["old_relation"] = old.relation
    diff = _sql_diff(old, node)

    changed = {p: effects[p] for p in node.parents if p in effects}
    breaking_parents = [p for p, e in changed.items() if e.breaking]
    additive_parents = [p for p, e in changed.items() if e.data_changed and not e.breaking]
    rebuilt_parents = [p for p, e in changed.items() if e.physical_changed]
    names = lambda ids: ", ".join(i.split(".", 1)[-1] for i in ids)  # noqa: E731
    upstream_reason = None
    if breaking_parents:
        upstream_reason = Reason(code="upstream_changed", detail=f"upstream changed: {names(breaking_parents)}")
    elif _sources_changed(old, old_nodes, manifest):
        sources = [p for p in old.parents if p not in old_nodes]
        upstream_reason = Reason(code="source_changed", detail=f"source data changed: {names(sources) or 'upstream'}")

    if old.data_hash != node.data_hash:
        reasons, category = _own_change(node, old, manifest.sql_dialect)
        if upstream_reason is not None and category != "breaking":
            # Its own change only adds columns, but its input changed too: its rows did.
            reasons, category = (*reasons, upstream_reason), "breaking"
        breaking = category == "breaking"
        return (Change(**base, action=Action.REPLACE, rebuild=True, category=category, reasons=reasons,
                       sql_diff=diff),
                _Effect(data_changed=True, breaking=breaking, physical_changed=True))
    if upstream_reason is not None:
        return (Change(**base, action=Action.REPLACE, rebuild=True, category="breaking", reasons=(upstream_reason,)),
                _Effect(data_changed=True, breaking=True, physical_changed=True))
    if additive_parents and _selects_star(node, manifest.sql_dialect):
        reason = Reason(code="upstream_changed",
                        detail=f"upstream added columns that '*' passes through: {names(additive_parents)}")
        return (Change(**base, action=Action.REPLACE, rebuild=True, category="non-breaking", reasons=(reason,)),
                _Effect(data_changed=True, breaking=False, physical_changed=True))
    if node.materialized == "view" and rebuilt_parents:
        # A view reads its parents' physical relations, so it must be re-pointed; its rows are unchanged.
        reason = Reason(code="upstream_changed", detail=f"upstream rebuilt: {names(rebuilt_parents)}")
        return (Change(**base, action=Action.REPLACE, rebuild=True, category="non-breaking", reasons=(reason,)),
                _Effect(physical_changed=True))
    if old.metadata_hash != node.metadata_hash:
        reason = Reason(code="metadata_changed", detail="description, tags, columns or checks changed")
        return (Change(**base, action=Action.UPDATE, category="metadata-only", reasons=(reason,),
                       kept_physical=old.physical),
                _NO_EFFECT)
    reasons = ()
    if old.version != node.version:
        moved = [p for p in node.parents if p in old_nodes and old_nodes[p].version != manifest.nodes[p].version]
        detail = (f"upstream only added columns: {names(additive_parents)}" if additive_parents
                  else f"upstream only added columns further up (via {names(moved)})")
        reasons = (Reason(code="upstream_changed", detail=f"{detail}; data kept"),)
    return Change(**base, action=Action.NOOP, kept_physical=old.physical, reasons=reasons), _NO_EFFECT


def _sources_changed(old: NodeState, old_nodes: dict[str, NodeState], manifest: Manifest) -> bool:
    """Whether a source that ``old`` was built from has other data now.

    State keeps no source nodes, so recompute ``old``'s version from its applied
    data hash, its built parents' applied versions and its source parents'
    *current* versions: it differs from the applied version only if a source did.
    """
    parents = []
    for parent_id in old.parents:
        if parent_id in old_nodes:
            parents.append((parent_id, old_nodes[parent_id].version))
        elif parent_id in manifest.nodes and not manifest.nodes[parent_id].is_built:
            parents.append((parent_id, manifest.nodes[parent_id].version))
        else:
            return True  # the source is gone: cannot tell, so rebuild
    return fingerprint.version(old.data_hash, parents) != old.version


def _sync_summary(node: Node) -> str:
    """``copy dbo.orders (v41, ~2,100,000 rows) -> stratified sample of 50,000``."""
    info = node.sync
    assert info is not None
    rows = f", ~{info.source_rows:,} rows" if info.source_rows is not None else ""
    sample = node.data_config.get("sample") or {}
    strategy = sample.get("strategy", "full")
    small = sample.get("max_full_rows")
    if strategy != "full" and small is not None and info.source_rows is not None and info.source_rows <= small:
        strategy = "full"  # max_full_rows: small tables are copied whole
    if strategy == "full":
        what = "all rows"
    elif strategy == "sql":
        what = "rows of the sync's SQL query"
    elif sample.get("percent") is not None:
        what = f"{strategy} sample of {sample['percent']}%"
    elif sample.get("per_group") is not None:
        what = f"{strategy} sample of {sample['per_group']:,} rows per {sample.get('by')}"
    else:
        what = f"{strategy} sample of {sample.get('rows') or 0:,} rows"
    if node.data_config.get("incremental"):
        what = f"rows past the cursor ({node.data_config['incremental']['cursor']})"
    return f"copy {info.source}.{info.table} (v{info.source_version}{rows}) -> {what}"


def _own_change(node: Node, old: NodeState, dialect: str) -> tuple[tuple[Reason, ...], str]:
    if node.kind == "sync":
        old_config = old.extra.get("data_config")
        if old_config is not None and old_config != node.data_config:
            return (Reason(code="config_changed", detail=f"sync config changed; {_sync_summary(node)}"),), "breaking"
        old_version = old.extra.get("source_version", "?")
        detail = f"source changed: v{old_version} -> v{node.sync.source_version}; {_sync_summary(node)}"
        return (Reason(code="source_changed", detail=detail),), "breaking"
    if node.kind == "seed":
        return (Reason(code="seed_changed", detail=f"{node.file} changed"),), "breaking"
    old_config = old.extra.get("data_config")
    if old_config is not None and old_config != node.data_config:
        keys = sorted(k for k in {*old_config, *node.data_config} if old_config.get(k) != node.data_config.get(k))
        detail = "config changed: " + ", ".join(f"{k} {old_config.get(k)!r} -> {node.data_config.get(k)!r}"
                                                for k in keys)
        return (Reason(code="config_changed", detail=detail),), "breaking"
    from faborite.compiler import warm_parser

    category = warm_parser.ask("categorize", old.sql, node.sql or "", dialect)
    if category is None:
        from faborite.plan.categorize import categorize_sql  # sqlglot: only when SQL really changed

        category = categorize_sql(old.sql, node.sql or "", dialect)
    detail = "SQL changed (only adds columns)" if category == "non-breaking" else "SQL changed"
    return (Reason(code="sql_changed", detail=detail),), category


def _selects_star(node: Node, dialect: str) -> bool:
    # The compiler leaves output_columns empty exactly when a '*' hides them.
    return node.output_columns is None


def _sql_diff(old: NodeState, node: Node) -> str | None:
    if old.sql is None or node.sql is None or old.sql == node.sql:
        return None
    lines = difflib.unified_diff(
        old.sql.splitlines(), node.sql.splitlines(),
        fromfile=f"{node.name} (applied)", tofile=f"{node.name} (planned)", lineterm="",
    )
    return "\n".join(lines)
