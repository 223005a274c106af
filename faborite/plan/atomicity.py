"""How publish makes new versions visible on a target, and whether that is atomic.

Chosen from the target dialect's declared capabilities, shown in every plan
(text, Markdown and JSON) so a reviewer knows what readers may see during
apply, and used by publish itself: plan and apply cannot disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class PublishStrategy(BaseModel):
    """How a target publishes: every swap in one transaction, or one statement at a time."""

    model_config = ConfigDict(frozen=True)

    method: Literal["transaction", "single_statement", "per_statement"]
    #: Readers see all of an apply's changes or none of them.
    atomic: bool
    #: One sentence for the plan.
    detail: str


def publish_strategy(dialect) -> PublishStrategy:
    """The most atomic publish ``dialect``'s engine allows."""
    name = dialect.name or "this engine"
    if dialect.transactional_ddl:
        return PublishStrategy(method="transaction", atomic=True,
                               detail=f"atomic: every view is swapped in one transaction ({name} has "
                                      "transactional DDL); readers see all of this apply or none of it")
    if dialect.single_statement_publish:
        return PublishStrategy(method="single_statement", atomic=True,
                               detail=f"atomic: {name} has no transactional DDL, so the new views are prepared "
                                      "under other names and swapped in by one statement; readers see all of "
                                      "this apply or none of it")
    return PublishStrategy(method="per_statement", atomic=False,
                           detail=f"not atomic: {name} commits each DDL statement on its own, so views are "
                                  "swapped one at a time; while publish runs, readers may see some new and some "
                                  "old versions, and a failure part way leaves the earlier swaps in place "
                                  "(the next faborite command records them)")
