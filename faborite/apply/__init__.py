"""Apply a plan: build new versions, audit them, publish atomically, record state.

Also rollback (republish an earlier state) and gc (drop unused versions).
"""

from faborite.apply.context import ApplyContext, ApplyEvent
from faborite.apply.runner import STAGES, run_stages

__all__ = ["STAGES", "ApplyContext", "ApplyEvent", "run_stages"]
