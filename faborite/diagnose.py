"""``faborite debug``: is each target usable? Provider, config, connection, state.

dbt users run ``dbt debug`` before anything else; this is the same first
step. Every check is read-only: the connection is opened read-only (a target
whose database does not exist yet is reported, not created) and the state is
only read. Values of config keys that name a credential are shown as ``***``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from faborite.credentials import names_a_credential
from faborite.errors import FaboriteError, TargetMissingError

if TYPE_CHECKING:
    from faborite.api import Workspace

class Check(BaseModel):
    """One line of the report: what was checked, whether it passed, what was seen or what to do."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    detail: str
    hint: str | None = None


class TargetDiagnosis(BaseModel):
    """Every check of one target, in order; later checks are skipped once one fails."""

    model_config = ConfigDict(frozen=True)

    target: str
    type: str
    config: dict[str, Any]
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the values of credential-like keys (at any depth) replaced by ``***``."""
    return {key: ("***" if names_a_credential(str(key)) and value not in (None, "") else
                  masked(value) if isinstance(value, dict) else value)
            for key, value in config.items()}


def diagnose(workspace: "Workspace", targets: list[str]) -> list[TargetDiagnosis]:
    """Check each named target of ``workspace``'s project."""
    return [_diagnose_one(workspace.with_target(name)) for name in targets]


def _diagnose_one(ws: "Workspace") -> TargetDiagnosis:
    from faborite.plugins import load_provider

    block = ws.project.config.targets[ws.target]
    raw = (ws.project.raw_config.get("targets") or {}).get(ws.target) or block.model_dump()
    checks: list[Check] = []
    report = lambda: TargetDiagnosis(target=ws.target, type=block.type, config=masked(dict(raw)),  # noqa: E731
                                     checks=tuple(checks))
    try:
        provider = load_provider(block.type)
    except FaboriteError as exc:
        checks.append(Check(name="provider", ok=False, detail=exc.message, hint=exc.hint))
        return report()
    checks.append(Check(name="provider", ok=True, detail=f"{block.type} ({type(provider).__module__})"))
    try:
        ws.target_config(with_secrets=True)
    except FaboriteError as exc:
        checks.append(Check(name="config", ok=False, detail=str(exc).splitlines()[0], hint=exc.hint))
        return report()
    checks.append(Check(name="config", ok=True, detail="valid"))
    checks.append(_connection_check(ws))
    checks.append(_state_check(ws))
    return report()


def _connection_check(ws: "Workspace") -> Check:
    try:
        connection = ws.connect(read_only=True)
    except TargetMissingError as exc:
        # Not a failure: the first apply creates it.
        return Check(name="connection", ok=True, detail=f"not created yet ({exc.message})",
                     hint="`faborite apply` creates it")
    except FaboriteError as exc:
        return Check(name="connection", ok=False, detail=exc.message,
                     hint=exc.hint or "check the target's settings and that the server is reachable")
    try:
        version = getattr(connection, "server_version", None)
        detail = f"ok: {version()}" if callable(version) else "ok"
    finally:
        connection.close()
    return Check(name="connection", ok=True, detail=detail)


def _state_check(ws: "Workspace") -> Check:
    try:
        backend = ws.state_backend
        state = backend.read()
        lock = backend.lock_info()
        intent = backend.read_intent()
    except FaboriteError as exc:
        return Check(name="state", ok=False, detail=exc.message, hint=exc.hint)
    where = str(getattr(backend, "directory", backend))
    parts = [f"serial {state.serial}" if state else "no state yet"]
    parts.append(f"locked by {lock.describe()} (lock ID {lock.id})" if lock else "unlocked")
    if intent is not None:
        parts.append(f"an interrupted publish of serial {intent.serial} awaits the next command")
    moved_to = state.event.moved_to if state is not None and state.event is not None else None
    if moved_to:
        return Check(name="state", ok=False, detail=f"{where}: " + ", ".join(parts) + f", read-only: moved to {moved_to}",
                     hint=f"set `state: {moved_to}` for this target in faborite.yml")
    return Check(name="state", ok=True, detail=f"{where}: " + ", ".join(parts))
