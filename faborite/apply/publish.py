"""Stage 3, publish: point every virtual relation at its new physical version, all at once.

One transaction where the engine has transactional DDL; the views are cheap,
so publishing (and rolling back) takes the same time for any table size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from faborite.apply.context import ApplyContext, writes_files
from faborite.apply.file_layer import publish_links
from faborite.crashpoints import crash_point
from faborite.errors import ApplyError, FaboriteError
from faborite.plan.atomicity import publish_strategy
from faborite.plan.model import Action
from faborite.relation import Relation
from faborite.target import TargetConnection


def publish(ctx: ApplyContext) -> None:
    """Publish created and replaced nodes; drop the virtual relations of deleted ones."""
    changes = ctx.changes_by_node()
    published = [n for n in ctx.manifest.built_nodes() if ctx.action_of(n.id) in (Action.CREATE, Action.REPLACE)]
    pointers = {Relation.parse(n.relation): ctx.physical_of(n) for n in published if not writes_files(n)}
    links = {n.relation: ctx.physical_key(n) for n in published if writes_files(n)}
    old_nodes = ctx.state.nodes if ctx.state else {}
    file_outputs = {c.node_id for c in changes.values()
                    if old_nodes.get(c.node_id) is not None and old_nodes[c.node_id].extra.get("files")}
    moved = [c for c in changes.values()
             if c.old_relation and ctx.action_of(c.node_id) in (Action.CREATE, Action.REPLACE)]
    drops = [Relation.parse(c.relation) for c in ctx.deletes() if c.node_id not in file_outputs]
    drops += [Relation.parse(c.old_relation) for c in moved if c.node_id not in file_outputs]
    unlinks = [c.relation for c in ctx.deletes() if c.node_id in file_outputs]
    unlinks += [c.old_relation for c in moved if c.node_id in file_outputs]
    publish_pointers(ctx.connection, pointers, drops)
    # Files after the database: if this fails, the database is published and state is
    # not written, so the next apply redoes the links (their folders are kept).
    publish_links(ctx.project_root, links, unlinks)


def publish_pointers(connection: TargetConnection, pointers: Mapping[Relation, Relation],
                     drops: Iterable[Relation] = ()) -> None:
    """Make each virtual view select from its physical relation, and drop ``drops``, atomically."""
    dialect = connection.dialect
    drops = list(drops)
    if not pointers and not drops:
        return
    strategy = publish_strategy(dialect)
    own = getattr(connection, "publish", None)
    try:
        if callable(own):
            # The target publishes its own way (a lakehouse writes table versions, not views).
            crash_point("publish:statement")
            own(pointers, drops)
            return
        statements = dialect.publish_statements(pointers, drops)
        if strategy.method == "transaction":
            with connection.transaction():
                for statement in statements:
                    crash_point("publish:statement")
                    connection.execute(statement)
                crash_point("publish:commit")
        else:
            for statement in statements:
                crash_point("publish:statement")
                connection.execute(statement)
    except FaboriteError as exc:
        hint = ("the transaction was rolled back; published data is unchanged" if strategy.method == "transaction"
                else "the views swap in one last statement, which did not run: published data is unchanged"
                if strategy.atomic else
                f"{dialect.name} has no transactional DDL: views swapped before the failure stay swapped; "
                "run `faborite plan` to see them, then apply again")
        raise ApplyError(f"publishing failed: {exc.message}", hint=hint) from None
