"""dbt's naming hooks: ``generate_schema_name`` and ``generate_alias_name`` macros.

Decision: a project that defines either macro in its own macros gets it called
for every model and seed, with dbt's arguments (``custom_schema_name`` / the
``schema`` config, else None; ``node`` with ``name``, ``resource_type``,
``path`` ...), and its rendered, trimmed output is the schema (alias). A dbt
project read in place that defines no ``generate_schema_name`` gets dbt's
default, as ``dbt build`` would: ``<target schema>_<custom schema>`` (so
``+schema: staging`` with a ``dev`` profile schema builds ``dev_staging``); a
snapshot's legacy ``target_schema`` is used as written, as in dbt. A native
faborite project keeps faborite's naming: a ``schema:`` config is the schema
as written. dbt's default is also available to override macros as
``default__generate_schema_name`` / ``dbt.generate_schema_name``, as in dbt.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faborite.dbt.project_facts import macro_package

HOOKS = ("generate_schema_name", "generate_alias_name")


def default_functions(target: Any) -> dict[str, Any]:
    """dbt's default implementations, for override macros that call them."""
    def generate_schema_name(custom_schema_name: Any = None, node: Any = None) -> str:
        if custom_schema_name is None or str(custom_schema_name).strip() == "":
            return target.schema
        return f"{target.schema}_{str(custom_schema_name).strip()}"

    def generate_alias_name(custom_alias_name: Any = None, node: Any = None) -> str:
        if custom_alias_name is not None and str(custom_alias_name).strip():
            return str(custom_alias_name).strip()
        version = getattr(node, "version", None)
        name = getattr(node, "name", "")
        return f"{name}_v{version}" if version not in (None, "") else name

    def generate_schema_name_for_env(custom_schema_name: Any = None, node: Any = None) -> str:
        # dbt's built-in alternative: the custom schema as written in the target named prod only.
        if getattr(target, "name", None) == "prod" and custom_schema_name is not None:
            return str(custom_schema_name).strip()
        return target.schema

    return {"default__generate_schema_name": generate_schema_name,
            "generate_schema_name_for_env": generate_schema_name_for_env,
            "default__generate_alias_name": generate_alias_name,
            "generate_schema_name": generate_schema_name, "generate_alias_name": generate_alias_name}


def defined_hooks(macro_texts: list[tuple[str, str]]) -> set[str]:
    """Which hooks the project's own macro files might define (a cheap text test; no Jinja)."""
    return {hook for hook in HOOKS for path, text in macro_texts
            if macro_package(path) is None and f"macro {hook}" in text}


def node_for(name: str, path: str, resource_type: str, config: dict[str, Any]) -> SimpleNamespace:
    """The ``node`` argument the hooks receive (dbt's attributes that naming macros use)."""
    return SimpleNamespace(name=name, resource_type=resource_type, path=path, original_file_path=path,
                           unique_id=f"{resource_type}.{name}", fqn=[*path.split("/")[1:-1], name],
                           config=dict(config), tags=list(config.get("tags", ())), version=None,
                           package_name="")
