"""How the plan builds an incremental model: from its previous version plus new rows, or whole.

An incremental model whose own SQL and config are unchanged, but whose
inputs moved, is an *incremental update*: its new version is built from the
published one plus the rows the ``is_incremental()`` branch selects. Any change
to the model itself (SQL, strategy, keys), a previous version that was not an
incremental model or is missing, or ``--full-refresh`` makes it a *full
rebuild*; a ``protect: true`` model refuses that without ``--allow-rebuild``.
The plan says which, and why, in a reason the reviewer reads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from faborite.compiler.manifest import Node
from faborite.errors import PlanError
from faborite.plan.model import Change, Reason
from faborite.state.model import NodeState

#: ``--full-refresh`` with no names: every incremental model.
ALL = "*"


class RebuildOptions(BaseModel):
    """``--full-refresh [NAME...]`` and ``--allow-rebuild NAME`` as plain data."""

    model_config = ConfigDict(frozen=True)

    #: Incremental models to build whole (names or ids; ``*``: all).
    full_refresh: frozenset[str] = frozenset()
    #: Protected models that may be rebuilt whole.
    allow_rebuild: frozenset[str] = frozenset()

    def refreshes(self, node: Node) -> bool:
        """Whether ``--full-refresh`` names ``node`` (or names nothing: all)."""
        return bool({ALL, node.name, node.id} & self.full_refresh)

    def check_names(self, nodes: "list[Node]") -> None:
        """Refuse a name that is no incremental model (a typo would silently refresh nothing)."""
        incremental = {n.name for n in nodes if n.materialized == "incremental"}
        known = incremental | {f"model.{n}" for n in incremental} | {ALL}
        for flag, names in (("--full-refresh", self.full_refresh), ("--allow-rebuild", self.allow_rebuild)):
            unknown = sorted(names - known)
            if unknown:
                from faborite.compiler.jinja import best_match_hint

                raise PlanError(f"{flag} {unknown[0]}: no incremental model has that name",
                                hint=best_match_hint(unknown[0], incremental)
                                or f"incremental models: {', '.join(sorted(incremental)) or 'none'}")

    def allows(self, node: Node) -> bool:
        """Whether ``--allow-rebuild`` names ``node``."""
        return bool({node.name, node.id} & self.allow_rebuild)


def incremental_change(change: Change, node: Node, old: NodeState | None, options: RebuildOptions,
                       dialect: str = "") -> Change:
    """``change`` (the planner's, for an incremental model) made incremental or marked a full rebuild;
    ``dialect``: the sqlglot dialect models are written in."""
    if not change.rebuild or old is None:
        return change
    why = _full_rebuild_cause(change, node, old, options)
    if why is None:
        reason = Reason(code="incremental", detail=f"incremental: {describe_delta(node, old, dialect)}")
        return change.model_copy(update={"incremental_from": old.physical, "reasons": (reason, *change.reasons)})
    if node.protect and not options.allows(node):
        raise PlanError(f"incremental model {node.name!r} is protected (protect: true) and would be rebuilt "
                        f"in full: {why}", file=node.file,
                        hint=f"if rebuilding it is intended, plan or apply with --allow-rebuild {node.name}")
    reason = Reason(code="full_rebuild", detail=f"full rebuild: {why}")
    return change.model_copy(update={"reasons": (reason, *change.reasons)})


def _full_rebuild_cause(change: Change, node: Node, old: NodeState, options: RebuildOptions) -> str | None:
    """Why the model cannot be updated incrementally (None: it can)."""
    if options.refreshes(node):
        return "--full-refresh"
    if old.materialized != node.materialized:
        return f"it was a {old.materialized} before"
    if old.data_hash != node.data_hash:
        return "the model's SQL or config changed"
    if any(r.code == "drift" and "version is missing" in r.detail for r in change.reasons):
        return "its published version is missing"
    return None


def describe_delta(node: Node, old: NodeState, dialect: str = "") -> str:
    """``append rows where id > (...)``: what an incremental run of ``node`` adds, for the plan."""
    config = node.data_config
    if node.materialized == "snapshot":
        on = config["updated_at"] if config["strategy"] == "timestamp" else f"changes in {config['check_cols']}"
        return (f"snapshot on {', '.join(config['unique_key'])} ({config['strategy']}: {on}): changed rows "
                "closed, their new versions and new keys added")
    strategy = config.get("incremental_strategy", "append")
    if strategy == "microbatch":
        from faborite.apply.incremental_build import batch_start

        start = batch_start(config, old.extra.get("incremental", {}))
        return (f"microbatch by {config['batch_size']} on {config['event_time']}: rows from "
                f"{start.isoformat(sep=' ')} rebuilt, earlier batches kept{_columns_note(node, old)}")
    keys = config.get("unique_key") or []
    how = {"append": "append", "merge": "merge on", "delete+insert": "delete+insert on"}[strategy]
    how = f"{how} {', '.join(keys)}" if keys and strategy != "append" else how
    where = _new_rows_filter(node, dialect)
    text = f"{how}: rows where {where}" if where else f"{how}: the rows of the is_incremental() branch"
    return text + _columns_note(node, old)


def _columns_note(node: Node, old: NodeState) -> str:
    """``; on_schema_change: ...``: what happens to the columns (nothing said for the default
    ``ignore`` unless the compiler sees a difference)."""
    from faborite.apply.schema_change import planned

    previous = [c.name for c in old.columns]
    query = node.output_columns
    differs = query is not None and bool(previous) and list(query) != previous
    if node.on_schema_change == "ignore" and not differs:
        return ""
    return f"; {planned(node.on_schema_change, previous, query)}"


def _new_rows_filter(node: Node, dialect: str) -> str | None:
    """The WHERE the incremental branch adds to the full query, as SQL (None: cannot tell)."""
    if not node.incremental_sql or node.incremental_sql == node.sql:
        return None
    try:
        import sqlglot

        incremental = sqlglot.parse_one(node.incremental_sql, read=dialect or None)
        full = sqlglot.parse_one(node.sql or "", read=dialect or None)
    except Exception:  # noqa: BLE001 - only the plan's wording depends on it
        return None
    where, before = incremental.args.get("where"), full.args.get("where")
    if where is None or (before is not None and where == before):
        return None
    return " ".join(where.this.sql(dialect=dialect or None).split())
