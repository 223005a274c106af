"""Plans: diff a Manifest against State into Changes; save, load, and show them.

Computing (:mod:`planner`), storing (:mod:`planfile`) and showing
(:mod:`render`, :mod:`json_view`) are separate modules; the plan itself
(:mod:`model`) is plain data.
"""

from faborite.plan.model import Action, Change, Plan, Reason
from faborite.plan.planner import make_plan

__all__ = ["Action", "Change", "Plan", "Reason", "make_plan"]
