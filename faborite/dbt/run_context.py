"""The parts of dbt's Jinja context that describe the run and the node being rendered.

- ``run_started_at`` (a UTC datetime) and ``invocation_id`` (a UUID) are those of
  the compile that rendered the model. A model whose text did not change keeps
  the rendering it had (faborite's compile cache), so it is not rebuilt on
  every apply for a new timestamp; dbt renders them anew each run.
- ``dbt_version`` is the dbt release whose behaviour faborite follows.
- ``model`` is the node under render, with the attributes macros read
  (``model.name``, ``model.unique_id``, ``model.config.materialized``
  as configured so far, ``model.path`` ...), by attribute or by key.
- ``schema``/``database`` are the target's, ``selected_resources`` every node
  (faborite builds the whole project), ``load_relation`` is
  ``adapter.get_relation`` for a relation, ``set_strict`` is ``set``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

#: The dbt release whose Jinja context faborite follows (``dbt_version``).
DBT_VERSION = "1.11.0"


class CurrentModel:
    """``model``: the node being rendered, looked up when an attribute is read."""

    def __init__(self, project_name: str, node: Callable[[], str | None], file: Callable[[], str | None],
                 config: Callable[[], dict[str, Any]]) -> None:
        self._project, self._node, self._file, self._config = project_name, node, file, config

    def _fields(self) -> dict[str, Any]:
        name, path = self._node() or "", self._file() or ""
        config = dict(self._config())
        return {"name": name, "alias": config.get("alias") or name, "resource_type": "model",
                "unique_id": f"model.{self._project}.{name}", "package_name": self._project,
                "path": path.split("/", 1)[-1], "original_file_path": path, "config": config,
                "tags": list(config.get("tags") or ()), "fqn": [self._project, *path.split("/")[1:-1], name]}

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        fields = self._fields()
        if key not in fields:
            raise AttributeError(key)
        return fields[key]

    def __getitem__(self, key: str) -> Any:
        return self._fields()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``model.get('name')``, as on dbt's node dict."""
        return self._fields().get(key, default)


def run_globals(*, project_name: str, target: Any, node_ids: list[str], adapter: Any,
                node: Callable[[], str | None], file: Callable[[], str | None],
                config: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The run's and the node's globals for one compile (see the module docstring)."""
    def load_relation(relation: Any) -> Any:
        return adapter.get_relation(getattr(relation, "database", None), getattr(relation, "schema", None),
                                    getattr(relation, "identifier", None))

    return {
        "run_started_at": datetime.datetime.now(datetime.timezone.utc),
        "invocation_id": str(uuid.uuid4()),
        "dbt_version": DBT_VERSION,
        "selected_resources": list(node_ids),
        "model": CurrentModel(project_name, node, file, config),
        "schema": target.schema, "database": getattr(target, "database", None),
        "load_relation": load_relation, "set_strict": set,
    }
