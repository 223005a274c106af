"""A plan as one pull-request comment (``plan --markdown``, ``show --markdown``).

The promise: a reviewer sees what can hurt first, and the comment always fits.

- The first line is an HTML comment marker, ``<!-- faborite-plan:TARGET -->``,
  so CI finds its own comment and updates it instead of adding another.
- A headline with the counts, then *drift* (changed outside faborite, and the
  changes that repair it), then *destructive* changes (deletes, renames,
  published columns dropped: see :attr:`Change.destroys`), then everything else.
- SQL diffs come last, each in a collapsible ``<details>`` block.
- The whole text stays within :data:`COMMENT_LIMIT` UTF-8 bytes (GitHub's
  limit is 65,536 characters; bytes are never fewer than characters, and the
  margin leaves room for a CI job's own footer). Sections are cut row by row,
  diffs one by one, with "... and N more" saying what was left out;
  ``faborite show PLAN`` shows everything.
"""

from __future__ import annotations

import re

from faborite.plan.model import Action, Change, Plan

#: GitHub refuses comments over 65,536 characters; this keeps a margin.
COMMENT_LIMIT = 60_000
#: One diff is cut after this many lines or bytes, so one huge model cannot crowd out the others.
DIFF_LINES = 200
DIFF_BYTES = 12_000
_SYMBOL = {Action.CREATE: "+", Action.REPLACE: "-/+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: " "}
#: Room kept for the "... and N more" lines at the end of each part.
_TAIL_ROOM = 400


def marker(target: str) -> str:
    """The HTML comment CI searches for to find and update this target's plan comment."""
    return f"<!-- faborite-plan:{target} -->"


class _Budget:
    """Bytes left for the comment; a part is added whole or not at all."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        #: Held back for a later part (the diffs) while earlier parts are added.
        self.reserved = 0

    def take(self, text: str, *, keep: int = 0) -> bool:
        size = len(text.encode("utf-8")) + 1  # + the newline joining it
        if size > self.left - keep - self.reserved:
            return False
        self.left -= size
        return True


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row(change: Change) -> str:
    why = "; ".join([*(r.detail for r in change.reasons if r.detail != "new"), *change.destroys])
    relation = f"`{change.old_relation}` → `{change.relation}`" if (
        change.old_relation and change.old_relation != change.relation) else f"`{change.relation}`"
    return (f"| `{_SYMBOL[change.action]}` | {change.kind} `{_cell(change.name)}` | {change.action.value} | "
            f"{_cell(relation)} | {change.category or ''} | {_cell(why)} |")


_TABLE_HEAD = ["| | node | action | relation | category | why |", "|---|---|---|---|---|---|"]


def _headline(plan: Plan, destructive: int) -> list[str]:
    s = plan.summary()
    counts = (f"{s['create']} to create, {s['replace']} to replace, {s['update']} to update, "
              f"{s['delete']} to delete")
    flags = []
    if destructive:
        flags.append(f":warning: **{destructive} destructive**")
    if plan.drift:
        flags.append(f":warning: **{len(plan.drift)} changed outside faborite**")
    nothing = "no changes in the selected nodes" if plan.selection is not None else "no changes"
    title = f"### faborite plan for `{plan.target}`: " + (counts if plan.has_changes else nothing)
    against = (f"Against state serial {plan.serial} (lineage `{plan.lineage[:8]}`)" if plan.lineage
               else "Against no state yet (first apply)")
    checked = "; the target was checked for drift." if plan.refreshed else \
        "; the target was not looked at (offline plan), so drift is unknown."
    lines = [marker(plan.target), title, ""]
    if flags:
        lines += [" · ".join(flags), ""]
    lines.append(against + checked)
    if plan.environment is not None:
        lines.append(plan.environment.describe().capitalize() + ".")
    if plan.selection is not None:
        from faborite.plan.render import partial_note

        lines.append(partial_note(plan))
    if plan.publish is not None and plan.has_changes:
        lines.append(f"Publish: {plan.publish.detail}.")
    return lines


def _rows(head: list[str], rows: list[str], what: str, budget: _Budget) -> list[str]:
    """``head`` then ``rows``, cut at the budget with a count of the rows left out."""
    if not rows and not head:
        return []
    if not budget.take("\n".join(head), keep=_TAIL_ROOM):
        return [f"\n... {len(rows)} {what} not shown (the comment size limit)"] if rows else []
    lines = list(head)
    for index, row in enumerate(rows):
        if not budget.take(row, keep=_TAIL_ROOM):
            lines.append(f"\n... and {len(rows) - index} more {what} (the comment size limit); "
                         "`faborite show PLAN` lists them all")
            budget.take(lines[-1])
            break
        lines.append(row)
    return lines


def _table(changes: list[Change], budget: _Budget, head: list[str] = ()) -> list[str]:
    if not changes:
        return _rows(list(head), [], "changes", budget)
    return _rows([*head, "", *_TABLE_HEAD], [_row(c) for c in changes], "changes", budget)


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``, so the diff cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _diff_block(change: Change) -> str:
    lines = (change.sql_diff or "").splitlines()
    kept, size = [], 0
    for line in lines[:DIFF_LINES]:
        size += len(line.encode("utf-8")) + 1
        if size > DIFF_BYTES:
            break
        kept.append(line)
    diff = "\n".join(kept) + (f"\n... ({len(lines) - len(kept)} more lines)" if len(kept) < len(lines) else "")
    fence = _fence(diff)
    label = f"{_cell(change.name)} ({change.action.value}{', destructive' if change.is_destructive else ''})"
    return "\n".join(["", f"<details><summary>SQL diff: {label}</summary>", "", f"{fence}diff", diff, fence,
                      "</details>"])


def _diffs(changes: list[Change], budget: _Budget) -> list[str]:
    with_diff = [c for c in changes if c.sql_diff]
    lines: list[str] = []
    for index, change in enumerate(with_diff):
        block = _diff_block(change)
        if not budget.take(block, keep=_TAIL_ROOM // 2):
            rest = len(with_diff) - index
            lines.append(f"\n... and {rest} more SQL diff{'s' if rest != 1 else ''} not shown "
                         "(the comment size limit); "
                         "`faborite show PLAN` prints them")
            break
        lines.append(block)
    return lines


def plan_to_markdown(plan: Plan, *, limit: int = COMMENT_LIMIT) -> str:
    """``plan`` as one Markdown comment of at most ``limit`` UTF-8 bytes (see the module doc)."""
    visible = plan.visible_changes()
    repairs = [c for c in visible if c.repairs_drift]
    # Deletes first: they are what a reviewer must not miss; then DAG order.
    destructive = sorted((c for c in visible if c.is_destructive), key=lambda c: c.action is not Action.DELETE)
    others = [c for c in visible if not c.repairs_drift and not c.is_destructive]
    budget = _Budget(limit)
    # Tables first, but a quarter stays for diffs: a reviewer of a huge plan still sees some SQL.
    budget.reserved = limit // 4 if any(c.sql_diff for c in visible) else 0
    lines = _headline(plan, len(destructive))
    budget.take("\n".join(lines))
    if plan.drift:
        lines += _rows(["", "#### :warning: Changed outside faborite",
                        "The state records what the target does not hold; applying this plan repairs it:", ""],
                       [f"- `{_cell(d.node_id)}`: {_cell(d.detail)}" for d in plan.drift], "drifted nodes", budget)
        lines += _table(repairs, budget)
    if destructive:
        lines += _table(destructive, budget, ["", "#### :boom: Destructive changes",
                                              "Readers lose what they read today (the old version is kept until "
                                              "`faborite gc`, so `faborite rollback` restores it); "
                                              "`faborite apply` refuses them without `--allow-destructive`."])
    if others:
        lines += _table(others, budget, ["", "#### Changes"])
    if not plan.has_changes:
        lines += ["", "No changes. The target matches the project."]
    budget.reserved = 0
    lines += _diffs(repairs + destructive + others, budget)
    return "\n".join(lines)
