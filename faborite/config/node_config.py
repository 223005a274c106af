"""Per-node configuration: what ``config(...)`` and ``+key`` folder defaults may set.

Resolution order, most specific last (dbt's): project-wide ``+key`` defaults,
then nested folder defaults, then the properties file, then ``config(...)`` in
the model itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: ``ephemeral``: never built; inlined as a CTE into each model that refs it (faborite/compiler/ephemeral.py).
#: ``snapshot``: dbt's SCD2 history table (faborite/apply/snapshot_build.py).
Materialization = Literal["view", "table", "incremental", "ephemeral", "snapshot"]
IncrementalStrategy = Literal["append", "merge", "delete+insert", "microbatch"]
OnSchemaChange = Literal["append_new_columns", "sync_all_columns", "fail", "ignore"]

#: Config keys that change a node's data; everything else is metadata.
DATA_KEYS = frozenset({"materialized", "schema", "alias", "column_types", "delimiter", "enabled"})
#: Data keys of ``materialized: incremental`` only: in no other node's fingerprint, so adding
#: them changed no existing version.
INCREMENTAL_KEYS = frozenset({"unique_key", "incremental_strategy", "event_time", "batch_size", "lookback", "begin"})
#: Data keys of ``materialized: snapshot`` only.
SNAPSHOT_KEYS = frozenset({"unique_key", "strategy", "updated_at", "check_cols"})


class ContractConfig(BaseModel):
    """``contract: {enforced: true}``: the model's columns and types are those its properties declare."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enforced: bool = False


class ModelConfig(BaseModel):
    """Configuration of a model. Every key may be set per folder with ``+key``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    materialized: Materialization = "view"
    schema_name: str | None = Field(default=None, alias="schema")
    alias: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    owner: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    #: dbt's key: from this day on the model is deprecated; `faborite lint` flags refs to it before and after.
    deprecation_date: date | None = None
    deprecated: bool = False
    #: Cron expression (UTC) for ``apply --due``; metadata: changing it rebuilds nothing.
    schedule: str | None = None
    #: dbt's model contract: checked at compile where the query's columns are known, else before publish.
    contract: ContractConfig | None = None

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        from faborite.compiler.schedule import check_cron

        return None if value is None else check_cron(value)
    # -- materialized: incremental (dbt's keys; see docs/guides/incremental.md) --
    #: The column(s) a row is identified by: ``merge`` and ``delete+insert`` replace rows by it.
    unique_key: str | tuple[str, ...] | None = None
    #: Default: ``merge`` with a ``unique_key``, else ``append``.
    incremental_strategy: IncrementalStrategy | None = None
    #: ``microbatch``: the column that places a row in a batch, the batch length, how many batches
    #: before the last one recorded are rebuilt, and where the first build starts.
    event_time: str | None = None
    batch_size: Literal["day", "hour"] | None = None
    lookback: int = Field(default=1, ge=0)
    begin: datetime | None = None
    #: A full rebuild of this (incremental) model needs ``--allow-rebuild NAME``.
    protect: bool = False
    #: What an incremental run does when the query's columns differ from the previous version's
    #: (dbt's; None: ``ignore``). Shapes future runs only, so it is in no fingerprint.
    on_schema_change: OnSchemaChange | None = None
    # -- materialized: snapshot (dbt's keys): a row's history, one row per version of it --
    #: ``timestamp``: a row changed when its ``updated_at`` grew; ``check``: when a ``check_cols`` value changed.
    #: Spelled ``strategy`` (dbt's key); ``strategy`` the attribute is the incremental strategy in force.
    snapshot_strategy: Literal["timestamp", "check"] | None = Field(default=None, alias="strategy")
    updated_at: str | None = None
    #: Columns compared by the ``check`` strategy, or ``all``.
    check_cols: str | tuple[str, ...] | None = None

    def incremental_problem(self, *, dbt: bool = False) -> str | None:
        """What the resolved incremental keys get wrong (None: nothing). Not a validator: folder
        defaults and properties set some keys and a model's ``config()`` the rest, so only the
        resolved config is checked. ``dbt``: as in dbt, incremental keys on another
        materialization are ignored (a folder's ``+on_schema_change`` over views is common)."""
        strategy = self.incremental_strategy
        if self.materialized != "incremental":
            if dbt:
                return None
            if strategy is not None:
                return f"incremental_strategy {strategy!r} needs materialized: incremental"
            if self.on_schema_change is not None:
                return f"on_schema_change {self.on_schema_change!r} needs materialized: incremental"
        if strategy in ("merge", "delete+insert") and not self.unique_key:
            return f"incremental_strategy {strategy!r} needs a unique_key (a column or a list)"
        if strategy == "microbatch" and not (self.event_time and self.batch_size and self.begin):
            return "incremental_strategy 'microbatch' needs event_time, batch_size (day|hour) and begin"
        return None

    def snapshot_problem(self) -> str | None:
        """What a snapshot's resolved config lacks (None: nothing). Not a validator: folder
        defaults set ``materialized: snapshot`` before the snapshot's own ``config()`` sets the rest."""
        if self.materialized != "snapshot":
            return None
        if not self.unique_key or self.snapshot_strategy is None:
            return "a snapshot needs unique_key and strategy (timestamp or check)"
        if self.snapshot_strategy == "timestamp" and not self.updated_at:
            return "strategy 'timestamp' needs updated_at (the column that says when a row changed)"
        if self.snapshot_strategy == "check" and not self.check_cols:
            return "strategy 'check' needs check_cols (a list of columns, or 'all')"
        return None

    @property
    def strategy(self) -> IncrementalStrategy:
        """The incremental strategy in force (dbt's default: merge with a unique_key, else append)."""
        return self.incremental_strategy or ("merge" if self.unique_key else "append")

    def merged(self, overrides: dict[str, Any]) -> "ModelConfig":
        """A copy with ``overrides`` applied (tags accumulate, dbt style)."""
        data = self.model_dump(by_alias=True, exclude_unset=False)
        for key, value in overrides.items():
            # Anything of the wrong type is passed through for pydantic to reject with a located error.
            if key == "tags" and isinstance(value, (str, list, tuple)):
                extra = [value] if isinstance(value, str) else list(value)
                data["tags"] = tuple(dict.fromkeys([*data["tags"], *extra]))
            elif key == "meta" and isinstance(value, dict):
                data["meta"] = {**data["meta"], **value}
            else:
                data[key] = value
        return type(self).model_validate(data)


class SeedConfig(BaseModel):
    """Configuration of a seed (a CSV file loaded as a table)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_name: str | None = Field(default=None, alias="schema")
    alias: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    owner: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    column_types: dict[str, str] = Field(default_factory=dict)
    delimiter: str = ","

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1 or value in "\r\n\"":
            raise ValueError("the delimiter is one character other than a quote or a line break, e.g. ';' or '\\t'")
        return value

    merged = ModelConfig.merged
