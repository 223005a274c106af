"""Choosing where a target's state lives: the ``state:`` key of a ``targets:`` block.

- ``{type: local}``: files in ``.faborite/state/<target>/`` (:mod:`.local`);
- ``{type: target, schema: faborite_state}``: tables inside the target's own
  database, for targets whose provider can hold them (its ``state_backend``);
- any other ``type`` is a plugin of the ``faborite.state_backends`` entry-point
  group (``{type: postgres, url_env: VAR}`` is one), with its own settings model.

Without ``state:``, a target uses its provider's ``default_state`` (``local``
when the provider names none). The core names no engine: every engine's
backend lives with its provider.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from faborite.errors import ConfigError

if TYPE_CHECKING:
    from faborite.config.targets import ResolvedTarget
    from faborite.state.backend import StateBackend

#: Where a project keeps local state, one folder per target.
LOCAL_STATE_DIR = Path(".faborite") / "state"


class LocalSettings(BaseModel):
    """``state: {type: local}``."""

    model_config = ConfigDict(extra="forbid")

    type: str = "local"


class TargetSettings(BaseModel):
    """``state: {type: target, schema: faborite_state}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = "target"
    #: The schema (database, on engines where those are one) holding the state tables.
    schema_name: str | None = Field(default=None, alias="schema", min_length=1)


class LocalStateFactory:
    """``{type: local}``: today's files."""

    name = "local"
    settings_model = LocalSettings

    def open(self, settings: BaseModel, *, target_name: str, project_root: Path, **_: Any) -> "StateBackend":
        import hashlib

        from faborite.state.local import LocalStateBackend

        # One parsed copy per state directory, beside the compile cache (the state folder holds only state).
        digest = hashlib.sha256(target_name.encode("utf-8")).hexdigest()[:16]
        return LocalStateBackend(project_root / LOCAL_STATE_DIR / target_name,
                                 parsed_cache=project_root / LOCAL_STATE_DIR.parent / "cache" / f"parsed-state-{digest}.pickle")


class TargetStateFactory:
    """``{type: target}``: asks the target's provider for tables in the target itself."""

    name = "target"
    settings_model = TargetSettings

    def open(self, settings: BaseModel, *, target_name: str, target: "ResolvedTarget", **_: Any) -> "StateBackend":
        assert isinstance(settings, TargetSettings)
        make = getattr(target.provider, "state_backend", None)
        if make is None:
            raise ConfigError(f"target {target_name!r} (type {target.type}) cannot hold its own state",
                              file="faborite.yml",
                              hint="use `state: {type: local}` or a state backend such as "
                                   "`{type: <name>, url_env: VAR}`")
        return make(target.config, schema=settings.schema_name, target_name=target_name)


def url_from_env(variable: str, *, what: str, example: str) -> str:
    """The connection URL a ``url_env:`` setting names; ConfigError when the variable is unset.

    State backends keep URLs (which may hold passwords) out of faborite.yml:
    the file names a variable, and only its name is ever printed.
    """
    url = os.environ.get(variable)
    if not url:
        raise ConfigError(f"environment variable {variable} is not set (the state's {what} URL)",
                          file="faborite.yml", hint=f"export {variable}={example}")
    return url


def state_type(target: "ResolvedTarget", block: dict[str, Any] | None = None) -> str:
    """The ``state: type`` of ``target`` (or of ``block`` in its place): the block's, else the
    provider's default, else local."""
    block = target.state or {} if block is None else block
    return str(block.get("type") or getattr(target.provider, "default_state", "local"))


def state_settings(target: "ResolvedTarget", block: dict[str, Any] | None = None,
                   *, file: str = "faborite.yml") -> tuple[Any, BaseModel]:
    """The backend factory and validated settings of ``target``'s state (or of ``block``, a
    ``state:`` block given elsewhere, e.g. ``state migrate --to``); opens nothing (``validate``)."""
    from faborite.config.validation import validate
    from faborite.plugins import load_state_backend

    given = target.state or {} if block is None else block
    type_name = state_type(target, given)
    factory = load_state_backend(type_name)
    settings = validate(factory.settings_model, {**given, "type": type_name}, file=file,
                        what=f"the state of target {target.name!r}", loc_prefix=("targets", target.name, "state"))
    return factory, settings


def open_state_backend(target: "ResolvedTarget", project_root: Path,
                       block: dict[str, Any] | None = None, *, env: str | None = None) -> "StateBackend":
    """The state backend ``target``'s ``state:`` key (or its default, or ``block``) names, settings validated.

    ``env``: an environment's state, kept beside the target's under its own key (``<target>@<env>``):
    every backend is keyed by that name, so environments need nothing of their own from a backend.
    """
    from faborite.environment import state_key

    factory, settings = state_settings(target, block, file="faborite.yml" if block is None else "--to")
    return factory.open(settings, target_name=state_key(target.name, env), target=target, project_root=project_root)
