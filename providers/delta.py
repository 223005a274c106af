"""Source provider ``delta``: Delta tables under a local folder (or any URL deltalake opens).

    sources:
      - name: lake
        type: delta
        path: data/lake          # <path>/<table>/_delta_log or <path>/<schema>/<table>/_delta_log

Tables are read through the Delta log, never by globbing Parquet files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeltaSourceConfig(BaseModel):
    """A folder of Delta tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["delta"]
    path: str = Field(description="folder holding the tables, relative to the project (or a URL)")
    description: str = ""


class DeltaSourceProvider:
    """Registered as ``faborite.sources`` entry point ``delta``."""

    name = "delta"
    config_model = DeltaSourceConfig

    def open(self, config: BaseModel, project_root: Path):
        from faborite.sync.local_sources import DeltaFolderSource

        assert isinstance(config, DeltaSourceConfig)
        root = config.path if "://" in config.path else str((Path(project_root) / config.path).resolve())
        return DeltaFolderSource(root, default_schema=None)
