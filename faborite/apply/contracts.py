"""Stage ``contracts``: enforced model contracts, checked on the built versions before publish.

The compiler already compared column names where it could; here the built
relation's real columns and types are compared with the contract, and each
``not_null`` column is counted for nulls. A violation names the model and the
column and stops the apply: nothing is published (the built version is kept
for inspection, as after a failed check).
"""

from __future__ import annotations

from faborite.apply.context import ApplyContext
from faborite.compiler.contracts import contract_mismatch
from faborite.errors import ApplyError
from faborite.plan.model import Action


def enforce_contracts(ctx: ApplyContext) -> None:
    """Raise ApplyError at the first created, replaced or updated node whose relation breaks its contract."""
    dialect = ctx.connection.dialect
    old_nodes = ctx.state.nodes if ctx.state else {}
    for node in ctx.manifest.built_nodes():
        if node.contract is None or ctx.action_of(node.id) not in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            continue
        # A contract added to a kept version (an update) is checked on that version, as audit does.
        built = ctx.result.built.get(node.id)
        columns = built.columns if built is not None else old_nodes[node.id].columns if node.id in old_nodes else ()
        problem = contract_mismatch(node.contract, [(c.name, c.type) for c in columns], dialect.sqlglot_dialect)
        if problem is None:
            problem = _null_violation(ctx, node.contract, ctx.physical_of(node))
        if problem is not None:
            raise ApplyError(f"model {node.name!r} breaks its contract: {problem}; nothing was published",
                             file=node.file, hint="fix the query or the contract; the built version is kept "
                                                  "for inspection")


def _null_violation(ctx: ApplyContext, contract, physical) -> str | None:
    dialect = ctx.connection.dialect
    relation = dialect.quote_relation(physical)
    for column in contract:
        if not column.not_null:
            continue
        nulls = ctx.connection.fetch_scalar(
            f"SELECT COUNT(*) FROM {relation} WHERE {dialect.quote_column(column.name)} IS NULL")
        if nulls:
            return f"column {column.name!r} is not_null but has {int(nulls)} null row{'s' if nulls != 1 else ''}"
    return None
