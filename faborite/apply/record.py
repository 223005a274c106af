"""Stages around publish: ``journal`` writes the state about to be published as an intent;
``record`` writes it as the new serial once publish succeeded, then clears the intent.

A kill between the two leaves the intent for the next command to resolve
against what is really published (:mod:`faborite.state.journal`).
"""

from __future__ import annotations

from faborite import __version__
from faborite.apply.context import ApplyContext, writes_files
from faborite.compiler import fingerprint
from faborite.compiler.schedule import SCHEDULED_AT
from faborite.plan.model import Action
from faborite.state.lock import current_host, current_user
from faborite.state.model import NodeChangeRecord, NodeState, State, StateEvent, utcnow


def new_state(ctx: ApplyContext) -> State:
    """The state after this apply: every built node with its version and physical relation."""
    now = utcnow()
    old_nodes = ctx.state.nodes if ctx.state else {}
    changes = ctx.changes_by_node()
    nodes = {}
    for node in ctx.manifest.built_nodes():
        old = old_nodes.get(node.id)
        built = ctx.result.built.get(node.id)
        change = changes.get(node.id)
        if ctx.is_deferred(node.id):
            if old is not None:  # not selected this run: exactly as recorded
                nodes[node.id] = old
            continue
        rebuilt = change is not None and change.rebuild
        old = old or ctx.base_nodes.get(node.id)  # a new environment: what its base recorded carries over
        extra = {"data_config": node.data_config}
        if rebuilt and ctx.plan.clock is not None:
            extra[SCHEDULED_AT] = ctx.plan.clock.isoformat()  # the clock --due judges the next run by
        elif not rebuilt and old is not None and SCHEDULED_AT in old.extra:
            extra[SCHEDULED_AT] = old.extra[SCHEDULED_AT]
        if node.sync is not None:
            extra["source_version"] = node.sync.source_version
            if writes_files(node):
                extra["files"] = True  # published by symlink, not as a view (rollback and gc read this)
            kept = {k: v for k, v in (old.extra if old else {}).items() if k in ("cursor", "bytes")}
            extra.update(kept if not rebuilt else {})
            extra.update(built.extra if built else {})
        elif built is not None:
            extra.update(built.extra)  # e.g. an incremental model's strategy and high-water mark
        elif old is not None and "incremental" in old.extra:
            extra["incremental"] = old.extra["incremental"]
        version, data_hash = node.version, node.data_hash
        copied = (built.extra.get("source_version") if built else None)
        if node.sync is not None and copied is not None and copied != node.sync.source_version:
            # The source moved between plan and apply: record what was copied, so the
            # next plan compares against that version and does not copy it again.
            data_hash = fingerprint.data_hash("sync", copied, node.data_config)
            version = fingerprint.version(data_hash, [])
            extra["source_version"] = copied
        nodes[node.id] = NodeState(
            id=node.id, kind=node.kind, version=version, data_hash=data_hash,
            metadata_hash=node.metadata_hash, relation=node.relation,
            physical=ctx.physical_key(node), materialized=node.materialized, sql=node.sql,
            parents=node.parents,
            columns=built.columns if built else (old.columns if old else ()),
            row_count=built.row_count if built else (old.row_count if old else None),
            applied_at=now if rebuilt or old is None else old.applied_at,
            extra=extra,
        )
    # A node gone from the project stays recorded until a plan deletes it: a partial plan
    # (-s, sync) deletes nothing, and forgetting it would leave its relations untracked.
    deleted = {c.node_id for c in ctx.deletes()}
    # A moved node's old id is re-keyed: recorded under its new id above.
    deleted |= {c.moved_from for c in changes.values() if c.moved_from and not ctx.is_deferred(c.node_id)}
    for node_id, old in old_nodes.items():
        if node_id not in nodes and node_id not in ctx.manifest.nodes and node_id not in deleted:
            nodes[node_id] = old
    event = StateEvent(
        operation="apply", who=current_user(), host=current_host(), at=now, faborite_version=__version__,
        changes=tuple(NodeChangeRecord(node=c.node_id, action=c.action.value)
                      for c in changes.values() if ctx.action_of(c.node_id) not in (Action.NOOP, None)
                      and not ctx.is_deferred(c.node_id)),
    )
    if ctx.state is None:
        return State.first(target=ctx.plan.target, nodes=nodes, event=event, faborite_version=__version__)
    return ctx.state.next(nodes=nodes, event=event, faborite_version=__version__)


def journal(ctx: ApplyContext) -> None:
    """Compute the new state and store it as the pending intent, before anything is published."""
    assert ctx.state_writer is not None
    ctx.result.new_state = new_state(ctx)
    ctx.state_writer.write_intent(ctx.result.new_state)


def record(ctx: ApplyContext) -> None:
    """Write the new state, refusing if someone else wrote one since the plan; clear the intent."""
    assert ctx.state_writer is not None and ctx.result.new_state is not None
    ctx.state_writer.write(ctx.result.new_state, expected_serial=ctx.state.serial if ctx.state else None)
    ctx.state_writer.clear_intent()
