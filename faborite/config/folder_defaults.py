"""Per-folder config defaults, dbt style: ``models: {+materialized: view, marts: {+materialized: table}}``.

Keys starting with ``+`` are config for every node under that folder; other
keys name sub-folders. The tree is flattened into ``{folder_path: overrides}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from faborite.config.validation import config_error_from
from faborite.config.yaml_loader import LineDict, line_of
from faborite.errors import ConfigError

FolderDefaults = dict[tuple[str, ...], dict[str, Any]]


def flatten_folder_tree(tree: Any, config_model: type[BaseModel], *, file: str, section: str) -> FolderDefaults:
    """Validate the ``+key`` entries against ``config_model`` and flatten by folder path."""
    result: FolderDefaults = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            raise ConfigError(
                f"'{section}.{'.'.join(path)}' must be a mapping of '+key: value' defaults and sub-folders",
                file=file,
                line=getattr(node, "line", None) or line_of(tree, path),
                hint="config keys start with '+', e.g. '+materialized: table'",
            )
        overrides = LineDict()
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("+"):
                overrides[key[1:]] = value
                if isinstance(node, LineDict):
                    overrides.key_lines[key[1:]] = node.key_lines.get(key, node.line)
            else:
                walk(value, (*path, str(key)))
        if overrides:
            try:
                config_model.model_validate(overrides)
            except ValidationError as exc:
                raise config_error_from(exc, config_model, overrides, file=file, what=f"'{section}' folder defaults",
                                        key_prefix="+") from None
            result[path] = dict(overrides)

    walk(tree, ())
    return result


def defaults_for(folder: tuple[str, ...], defaults: FolderDefaults) -> dict[str, Any]:
    """Merged overrides for a node in ``folder`` (outermost first, innermost wins)."""
    merged: dict[str, Any] = {}
    for depth in range(len(folder) + 1):
        for key, value in defaults.get(folder[:depth], {}).items():
            if key == "tags":
                existing = list(merged.get("tags", ()))
                merged["tags"] = existing + ([value] if isinstance(value, str) else list(value))
            else:
                merged[key] = value
    return merged
