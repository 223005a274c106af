"""A ``targets:`` block resolved: its provider, its validated config, its SQL dialect and schema.

The block's values may read the environment with ``{{ env_var('NAME') }}`` or
``{{ env_var('NAME', 'default') }}``, as dbt's profiles do. Only that: a target
block is configuration, not a template. Keys that name a credential (password,
token, ...) are rendered only when a connection is about to open
(``with_secrets=True``): compiling and planning never read a secret, so a
reviewer's machine or a pull request from a fork needs none.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faborite.credentials import names_a_credential
from faborite.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from pydantic import BaseModel

    from faborite.config.loader import Project
    from faborite.dialects.base import Dialect
    from faborite.target import TargetProvider

#: ``{{ env_var('NAME') }}`` or ``{{ env_var("NAME", "default") }}``, spaces allowed.
_ENV_VAR = re.compile(
    r"""\{\{\s*env_var\(\s*(['"])(?P<name>[^'"]+)\1\s*(?:,\s*(['"])(?P<default>(?:(?!\3).)*)\3\s*)?\)\s*\}\}""")
#: What a credential renders as while it is not needed.
UNREAD_SECRET = "***"


@dataclass(frozen=True)
class ResolvedTarget:
    """One target of the project, ready to compile against or connect to."""

    name: str
    provider: "TargetProvider"
    config: "BaseModel"
    #: The block's ``state:`` key (where the state lives), read by the core, not the provider.
    state: Mapping[str, Any] | None = None

    @property
    def type(self) -> str:
        """The provider's ``type:`` name."""
        return self.provider.name

    @property
    def dialect_name(self) -> str:
        """The faborite dialect the target's SQL is written in (its config's ``dialect``)."""
        return getattr(self.config, "dialect", None) or getattr(self.provider, "dialect", "") or self.provider.name

    def dialect(self) -> "Dialect":
        """An instance of the target's dialect."""
        from faborite.dialects import get_dialect

        return get_dialect(self.dialect_name)()

    @property
    def schema(self) -> str:
        """Where unqualified nodes go: the config's ``schema`` if it has one, else the dialect's default."""
        # By alias: a pydantic field cannot be called ``schema`` (BaseModel.schema exists).
        return self.config.model_dump(by_alias=True).get("schema") or self.dialect().default_schema


def resolve_target(project: "Project", name: str | None = None, *, with_secrets: bool = False,
                   environ: Mapping[str, str] | None = None) -> ResolvedTarget:
    """The target ``name`` (default: the project's default target), validated by its provider.

    Errors point at ``faborite.yml``: an unknown target or type, an unset
    environment variable, a value the provider's config model refuses.
    """
    from faborite.config.validation import validate
    from faborite.plugins import load_provider, provider_names

    config = project.config
    name = name or config.default_target
    if name not in config.targets:
        raise ConfigError(
            f"unknown target {name!r}: faborite.yml defines no such target",
            file="faborite.yml", line=project.config_line("targets"),
            hint=did_you_mean(name, config.targets) or "defined targets: " + ", ".join(config.targets),
        )
    type_name = config.targets[name].type
    if type_name not in provider_names():
        installed = provider_names()
        raise ConfigError(
            f"unknown target type {type_name!r} for target {name!r}",
            file="faborite.yml", line=project.config_line("targets", name, "type"),
            hint=did_you_mean(type_name, installed) or
            ("installed target types: " + ", ".join(installed) if installed else "no target providers are installed"),
        )
    provider = load_provider(type_name)
    raw = (project.raw_config.get("targets") or {}).get(name) if project.raw_config else None
    if raw is None:
        raw = config.targets[name].model_dump()
    raw, state = _split_state(raw, lambda *loc: project.config_line("targets", name, *loc))
    if isinstance(raw, dict) and "notify" in raw:  # the core's key (faborite/notify/), not the provider's
        raw = copy.copy(raw)
        del raw["notify"]
    rendered = render_env_vars(raw, environ=os.environ if environ is None else environ,
                               with_secrets=with_secrets, where=lambda *loc: project.config_line("targets", name, *loc))
    validated = validate(provider.config_model, rendered, file="faborite.yml", what=f"target {name!r}",
                         loc_prefix=("targets", name), context={"project_root": project.root})
    return ResolvedTarget(name=name, provider=provider, config=validated, state=state)


def _split_state(raw: Any, where) -> tuple[Any, Mapping[str, Any] | None]:
    """The target block without its ``state:`` key, and that key (a mapping with a ``type``)."""
    if not isinstance(raw, dict) or "state" not in raw:
        return raw, None
    rest = copy.copy(raw)
    state = rest.pop("state")
    if not isinstance(state, dict) or not isinstance(state.get("type"), str):
        raise ConfigError("a target's `state:` must be a mapping with a `type`", file="faborite.yml",
                          line=where("state"), hint="e.g. `state: {type: local}` or `state: {type: target}`")
    return rest, state


def render_env_vars(value: Any, *, environ: Mapping[str, str], with_secrets: bool, where, loc: tuple = ()) -> Any:
    """``value`` with every ``{{ env_var(...) }}`` in its strings replaced; credentials only ``with_secrets``.

    Mappings and lists are copied with ``copy.copy`` so the YAML loader's line
    records survive and a later validation error still points at its line.
    """
    if isinstance(value, (dict, list)):
        rendered = copy.copy(value)
        for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
            rendered[key] = render_env_vars(item, environ=environ, with_secrets=with_secrets, where=where,
                                            loc=(*loc, key))
        return rendered
    if not isinstance(value, str) or "{{" not in value:
        return value
    if not with_secrets and any(isinstance(part, str) and names_a_credential(part) for part in loc):
        return UNREAD_SECRET

    def substitute(match: re.Match) -> str:
        variable, default = match.group("name"), match.group("default")
        if variable in environ:
            return environ[variable]
        if default is not None:
            return default
        key = ".".join(str(part) for part in loc)
        raise ConfigError(f"environment variable {variable} is not set (read by targets key {key!r})",
                          file="faborite.yml", line=where(*loc),
                          hint=f"export {variable}=..., or give a default: {{{{ env_var('{variable}', '...') }}}}")

    rendered = _ENV_VAR.sub(substitute, value)
    if "{{" in rendered:
        key = ".".join(str(part) for part in loc)
        raise ConfigError(f"targets key {key!r} holds Jinja other than env_var(): {value!r}"
                          if not names_a_credential(key) else f"targets key {key!r} holds Jinja other than env_var()",
                          file="faborite.yml", line=where(*loc),
                          hint="a target block may only read the environment: {{ env_var('NAME') }}")
    return rendered
