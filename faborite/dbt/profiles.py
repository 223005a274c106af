"""A dbt ``profiles.yml`` read as faborite targets.

Found where dbt looks: the project folder, then ``DBT_PROFILES_DIR``, then
``~/.dbt`` (dbt itself puts ``--profiles-dir`` first; faborite has no such
flag). Every output of the chosen profile becomes a target of the same name
and the profile's ``target:`` the default, so ``--target`` works as in dbt.
Values keep their ``{{ env_var(...) }}`` calls: faborite renders them as it
renders a target block, reading credentials only when a connection opens, so
no secret ever reaches a plan or the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faborite.config.yaml_loader import LineDict, load_yaml_file
from faborite.errors import ConfigError, did_you_mean

PROFILES_FILE = "profiles.yml"


def find_profiles(root: Path, environ: Mapping[str, str]) -> Path | None:
    """The ``profiles.yml`` dbt would read for a project in ``root``, or None."""
    candidates = [root]
    if environ.get("DBT_PROFILES_DIR"):
        candidates.append(Path(environ["DBT_PROFILES_DIR"]).expanduser())
    candidates.append(Path(environ.get("HOME", "~")).expanduser() / ".dbt")
    for folder in candidates:
        if (folder / PROFILES_FILE).is_file():
            return folder / PROFILES_FILE
    return None


def profile_targets(root: Path, profile: str | None, *, environ: Mapping[str, str],
                    notes: list[str]) -> tuple[dict[str, Any], str | None]:
    """``(targets, default target)`` from the profile named ``profile`` (dbt_project.yml's or --profile).

    Without any ``profiles.yml``, one local target like a new faborite project's.
    """
    path = find_profiles(root, environ)
    if path is None:
        targets = _default_targets()
        notes.append("no profiles.yml (project folder, DBT_PROFILES_DIR or ~/.dbt): building into the "
                     "default target of a new faborite project, " + ", ".join(
                         f"{name} ({block['type']})" for name, block in targets.items()))
        return targets, next(iter(targets))
    display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    raw = load_yaml_file(path, display) or {}
    profiles = {k: v for k, v in raw.items() if k != "config"} if isinstance(raw, dict) else {}
    if profile is None:
        raise ConfigError("dbt_project.yml names no `profile:`", file="dbt_project.yml", line=1,
                          hint="add `profile: NAME` or pass --profile NAME")
    if profile not in profiles:
        raise ConfigError(f"profile {profile!r} is not in {display}", file=display, line=1,
                          hint=did_you_mean(profile, profiles) or
                          ("profiles there: " + ", ".join(map(str, profiles)) if profiles else "the file is empty"))
    entry = profiles[profile]
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        raise ConfigError(f"profile {profile!r} has no `outputs:`", file=display,
                          line=getattr(entry, "line", None), hint="list its targets under `outputs:`")
    targets = {}
    for name, output in outputs.items():
        line = outputs.key_lines.get(name) if isinstance(outputs, LineDict) else None
        targets[str(name)] = _target_block(output, f"{profile}.outputs.{name}", display, line, notes)
    default = entry.get("target") or next(iter(targets))
    if isinstance(default, str) and "{{" in default:
        # dbt allows `target: "{{ env_var('DBT_TARGET', 'dev') }}"`.
        from faborite.config.targets import render_env_vars

        default = render_env_vars(default, environ=environ, with_secrets=False, where=lambda *loc: None)
    if default not in targets:
        raise ConfigError(f"profile {profile!r} has default target {default!r}, which is not under `outputs:`",
                          file=display, line=getattr(entry, "key_lines", {}).get("target"),
                          hint=did_you_mean(str(default), targets) or "outputs: " + ", ".join(targets))
    return targets, default


def _default_targets() -> dict[str, Any]:
    """The targets of a project that declares none (faborite's own default: no engine named here)."""
    from faborite.config.project import ProjectConfig

    return {name: block.model_dump() for name, block in ProjectConfig.model_fields["targets"].default_factory().items()}


def _target_block(output: Any, where: str, file: str, line: int | None, notes: list[str]) -> dict[str, Any]:
    """One output as a faborite target block, through the provider that reads its dbt ``type``."""
    if not isinstance(output, dict) or not isinstance(output.get("type"), str):
        raise ConfigError(f"profile output {where} has no `type:`", file=file, line=line,
                          hint="name its dbt adapter: `type: ` one of " + ", ".join(dbt_adapter_types()))
    kind = output["type"]
    provider = dbt_reader(kind)
    if provider is None:
        raise ConfigError(f"dbt adapter type {kind!r} (profile output {where}) is not supported",
                          file=file, line=getattr(output, "key_lines", {}).get("type", line),
                          hint="faborite reads dbt outputs of type: " + ", ".join(dbt_adapter_types()))
    try:
        block, ignored = provider.target_from_dbt(output)
    except ConfigError as exc:
        exc.file, exc.line = exc.file or file, exc.line or line
        raise
    if ignored:
        notes.append(f"{file}: {where}: dbt keys faborite does not use: {', '.join(sorted(ignored))}")
    return block


def dbt_reader(adapter_type: str) -> Any:
    """The installed provider reading dbt outputs of ``adapter_type``, or None.

    The provider registered under the same name is tried first, so the usual
    case loads one provider, not all of them.
    """
    from faborite.plugins import load_provider, provider_names

    names = provider_names()
    ordered = ([adapter_type] if adapter_type in names else []) + [n for n in names if n != adapter_type]
    for name in ordered:
        try:
            provider = load_provider(name)
        except ConfigError:
            continue
        if getattr(provider, "dbt_adapter_type", None) == adapter_type:
            return provider
    return None


def dbt_adapter_types() -> list[str]:
    """The dbt adapter types installed providers read, sorted."""
    from faborite.plugins import load_provider, provider_names

    found = []
    for name in provider_names():
        try:
            kind = getattr(load_provider(name), "dbt_adapter_type", None)
        except ConfigError:
            continue
        if kind:
            found.append(kind)
    return sorted(found)
