"""Saved plans (``plan -out FILE``): a versioned JSON file, and the staleness check.

The file holds the whole plan, including the compiled manifest, so ``apply
FILE`` applies exactly what was reviewed even if the project files moved on.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from faborite import __version__
from faborite.atomic_file import write_atomic
from faborite.errors import PlanError
from faborite.plan.model import Plan
from faborite.state.model import State

PLANFILE_FORMAT_VERSION = 1


def save_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` atomically."""
    payload = {"format_version": PLANFILE_FORMAT_VERSION, "plan": json.loads(plan.model_dump_json())}
    # Not sort_keys: the manifest's node order is its topological order.
    data = json.dumps(payload, indent=1).encode("utf-8")
    write_atomic(Path(path), data)


def load_plan(path: Path) -> Plan:
    """Read a saved plan; a file that is not one, or from another format, is refused clearly."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"no plan file at {path}", hint="make one with `faborite plan -out FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"{path} is not a faborite plan file ({exc})",
                        hint="make one with `faborite plan -out FILE`") from None
    if not isinstance(payload, dict) or "plan" not in payload or "format_version" not in payload:
        raise PlanError(f"{path} is not a faborite plan file", hint="make one with `faborite plan -out FILE`")
    version = payload["format_version"]
    if version != PLANFILE_FORMAT_VERSION:
        raise PlanError(
            f"plan file format {version} is not supported by faborite {__version__} "
            f"(expected {PLANFILE_FORMAT_VERSION})",
            hint="make the plan again with this version of faborite",
        )
    try:
        return Plan.model_validate(payload["plan"])
    except ValidationError as exc:
        raise PlanError(f"{path} is damaged: {exc.errors()[0]['msg']}", hint="make the plan again") from None


def check_plan_applies(plan: Plan, state: State | None, *, target: str) -> None:
    """Refuse a plan made for another target or lineage, or against an older state."""
    if plan.target != target:
        raise PlanError(f"this plan was made for target {plan.target!r}, not {target!r}",
                        hint=f"apply it with --target {plan.target}")
    if plan.faborite_version != __version__:
        raise PlanError(f"this plan was made by faborite {plan.faborite_version}, this is {__version__}",
                        hint="make the plan again with this version")
    current_lineage = state.lineage if state else None
    current_serial = state.serial if state else None
    if plan.lineage is not None and current_lineage is not None and plan.lineage != current_lineage:
        raise PlanError(
            f"this plan belongs to another state (lineage {plan.lineage[:8]}, the target's is {current_lineage[:8]})",
            hint="it was made against a different environment; run `faborite plan` again",
        )
    if plan.serial != current_serial:
        raise PlanError(
            f"state changed since this plan was made (plan serial {plan.serial}, state serial {current_serial})",
            hint="someone applied or rolled back in between; run `faborite plan` again and review it",
        )
