"""The project file, ``faborite.yml``."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from faborite.notify.config import WebhookSpec

PROJECT_FILE = "faborite.yml"


class PathsConfig(BaseModel):
    """Where the project's files live, relative to the project root."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: str = "models"
    seeds: str = "seeds"
    macros: str = "macros"
    sources: str = "sources"
    syncs: str = "syncs"
    outputs: tuple[str, ...] = Field(
        default=(), description="folders sync outputs may be written under (relative or absolute); "
                                "default: anywhere in the project outside its own folders")


class LintConfig(BaseModel):
    """``lint:``: which `faborite lint` rules to turn off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disable: tuple[str, ...] = Field(default=(), description="rule codes to skip, e.g. [FAB004]")


class MovedBlock(BaseModel):
    """``moved: [{from: old_name, to: new_name}]``: a node renamed in place (Terraform's moved block).

    The renamed node keeps its built version: the plan publishes it under the new
    name, drops the old name, and re-keys the state; nothing is rebuilt.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, description="the node's old name (no longer in the project)")
    to: str = Field(min_length=1, description="the node's new name (in the project)")


class EnvironmentsConfig(BaseModel):
    """``environments:`` in faborite.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_suffix: str = Field(default="__{env}", description="appended to every virtual schema of a non-default "
                                                              "environment; {env} is its name")
    default_name: str = Field(default="prod", description="what `env` commands call the default environment")

    @field_validator("schema_suffix")
    @classmethod
    def _names_env(cls, value: str) -> str:
        if "{env}" not in value:
            raise ValueError("the suffix must contain {env}, e.g. '__{env}'")
        if not re.fullmatch(r"[A-Za-z0-9_{}]+", value):
            raise ValueError("use letters, digits, '_' and {env}")
        return value


class TargetBlock(BaseModel):
    """A target's config: ``type`` picks the provider, which validates the rest."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str


class ProjectConfig(BaseModel):
    """``faborite.yml``: name, targets, vars, paths and per-folder defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str = "1"
    dialect: str = Field(default="duckdb", description="SQL dialect models are written in")
    target: str | None = Field(default=None, description="default target; --target overrides")
    targets: dict[str, TargetBlock] = Field(
        default_factory=lambda: {"dev": TargetBlock(type="duckdb", path=".faborite/dev.duckdb")}
    )
    threads: int = Field(default=4, ge=1, le=64)
    vars: dict[str, Any] = Field(default_factory=dict)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    models: dict[str, Any] = Field(default_factory=dict, description="folder defaults: +key: value")
    seeds: dict[str, Any] = Field(default_factory=dict, description="folder defaults: +key: value")
    notify: tuple[WebhookSpec, ...] = Field(default=(), description="webhooks told after apply, rollback and sync")
    lint: LintConfig = Field(default_factory=LintConfig)
    moved: tuple[MovedBlock, ...] = Field(default=(), description="nodes renamed without a rebuild: "
                                                                  "[{from: old_name, to: new_name}]")
    environments: EnvironmentsConfig = Field(default_factory=EnvironmentsConfig,
                                             description="how --env environments are named")

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("use letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _default_target_exists(self) -> "ProjectConfig":
        if not self.targets:
            raise ValueError("define at least one target under 'targets:'")
        if self.target is not None and self.target not in self.targets:
            raise ValueError(f"target {self.target!r} is not defined under 'targets:'")
        return self

    @property
    def default_target(self) -> str:
        """The target used when none is given on the command line."""
        return self.target or next(iter(self.targets))
