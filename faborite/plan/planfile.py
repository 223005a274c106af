"""Saved plans (``plan -out FILE``): a versioned JSON file, and the staleness check.

The file holds the whole plan, including the compiled manifest, so ``apply
FILE`` applies exactly what was reviewed. It also records what the plan was
made from: the state's lineage and serial and a hash of every project file.
``apply FILE`` refuses it once either moved, because the reviewed plan no
longer describes the shared state or the branch being deployed.

Format 2 added the project files' hashes; a format 1 file cannot be checked
against the files, so it is refused (make the plan again).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from faborite import __version__
from faborite.atomic_file import write_atomic
from faborite.errors import PlanError
from faborite.config.inputs import ProjectInputs
from faborite.plan.model import Plan
from faborite.state.model import State

#: 2: plans record the project files they were compiled from (``Plan.inputs``).
PLANFILE_FORMAT_VERSION = 2
#: How many changed files a refusal names before "and N more".
_NAMED_FILES = 5


def save_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` atomically; it must record its project files (``Plan.inputs``)."""
    if plan.inputs is None:
        raise ValueError("a saved plan records the project files it was made from: plan with record_inputs=True")
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
        older = isinstance(version, int) and version < PLANFILE_FORMAT_VERSION
        raise PlanError(
            f"plan file format {version} is not supported by faborite {__version__} "
            f"(expected {PLANFILE_FORMAT_VERSION})"
            + (": it does not record the project files it was made from, so it cannot be checked" if older else ""),
            hint="make the plan again with this version of faborite",
        )
    try:
        plan = Plan.model_validate(payload["plan"])
    except ValidationError as exc:
        raise PlanError(f"{path} is damaged: {exc.errors()[0]['msg']}", hint="make the plan again") from None
    if plan.inputs is None:
        raise PlanError(f"{path} is damaged: it does not record the project files it was made from",
                        hint="make the plan again")
    return plan


def check_plan_applies(plan: Plan, state: State | None, *, target: str,
                       inputs: ProjectInputs | None = None, env: str | None = None) -> None:
    """Refuse a plan made for another target or lineage, against an older state, or (given the
    project files as they are now, ``inputs``) from files that have changed since.

    A stale plan is refused with every reason that applies: the state moved, the files
    differ (naming up to five of them), or both.
    """
    if plan.target != target:
        raise PlanError(f"this plan was made for target {plan.target!r}, not {target!r}",
                        hint=f"apply it with --target {plan.target}")
    planned_env = plan.environment.name if plan.environment is not None else None
    if planned_env != env:
        def name(e: str | None) -> str:
            return f"environment {e!r}" if e else "the default environment"

        raise PlanError(f"this plan was made for {name(planned_env)}, not {name(env)}",
                        hint=f"apply it with --env {planned_env}" if planned_env else "apply it without --env")
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
    stale, hints = [], []
    if plan.serial != current_serial:
        stale.append(f"state changed since this plan was made (plan serial {plan.serial}, "
                     f"state serial {current_serial})")
        hints.append("someone applied or rolled back in between")
    changed = inputs.changed_since(plan.inputs) if inputs is not None and plan.inputs is not None else []
    if changed:
        stale.append(f"project files changed since this plan was made: {_name_files(changed)}")
        hints.append("the files being deployed are not the ones the plan was made from")
    if stale:
        raise PlanError("; and ".join(stale), hint="; ".join(hints) + "; run `faborite plan` again and review it")


def _name_files(paths: list[str]) -> str:
    named = ", ".join(paths[:_NAMED_FILES])
    return named + (f" and {len(paths) - _NAMED_FILES} more" if len(paths) > _NAMED_FILES else "")
