"""Refuse destructive changes unless ``--allow-destructive`` was given.

Two stages, one rule: ``guard`` (before build) refuses what the plan already
calls destructive (:attr:`faborite.plan.model.Change.destroys`), so nothing is
built for an apply that cannot publish; ``columns`` (after build, before
publish) compares each rebuilt relation's real columns and types with those
the state recorded, for what the plan could not see (a ``*`` query, a type
change). Either way nothing is published. CI passes the flag explicitly, after
review, the way Terraform asks for ``-destroy``.
"""

from __future__ import annotations

from collections.abc import Iterable

from faborite.apply.context import ApplyContext
from faborite.errors import ApplyError
from faborite.plan.destructive import column_losses
from faborite.plan.model import Action, Plan

_HINT = ("read them in `faborite plan` (section 'Destructive changes'); once reviewed, apply with "
         "--allow-destructive (CI passes it explicitly). Old versions stay until gc, so rollback restores them")


def destructive_error(losses: Iterable[tuple[str, str]], when: str = "") -> ApplyError:
    """One error listing ``(node name, what is lost)`` pairs."""
    lines = "\n    ".join(f"{name}: {what}" for name, what in losses)
    return ApplyError(f"refusing destructive changes{when} without --allow-destructive; nothing was published:"
                      f"\n    {lines}", hint=_HINT)


def refuse_destructive(plan: Plan, allow: bool) -> None:
    """Raise unless ``allow`` when ``plan`` has destructive changes (deferred ones aside)."""
    if allow:
        return
    losses = [(c.name, what) for c in plan.changes if not c.deferred for what in c.destroys]
    if losses:
        raise destructive_error(losses)


def guard(ctx: ApplyContext) -> None:
    """Stage: refuse the plan's destructive changes before anything is built."""
    refuse_destructive(ctx.plan, ctx.allow_destructive)


def guard_columns(ctx: ApplyContext) -> None:
    """Stage: refuse published columns dropped or retyped, found only once the new versions are built."""
    if ctx.allow_destructive or ctx.state is None:
        return
    changes = ctx.changes_by_node()
    losses = []
    for node in ctx.rebuilt():
        change, old, built = changes[node.id], ctx.state.nodes.get(node.id), ctx.result.built.get(node.id)
        if (change.action is not Action.REPLACE or change.repairs_drift or old is None or built is None
                or not old.columns or not built.columns):
            continue
        seen = set(change.column_losses)  # refused (or allowed) before building
        losses += [(node.name, f"column {loss}") for loss in column_losses(old.columns, built.columns)
                   if loss not in seen]
    if losses:
        raise destructive_error(losses, " found after building")
