"""What a sync asks for, as typed config (``syncs/*.yml``).

A sync copies tables from a source (a Fabric lakehouse, a Delta folder, files,
a SQL database) into a destination (the target database, or Parquet / CSV /
JSON / Delta files), sampled and filtered on the way, with masking.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Strategy = Literal["full", "head", "random", "recent", "stratified", "sql"]
MaskKind = Literal["hash", "redact", "null", "drop"]
#: Earlier spellings of output formats, accepted and normalised when loaded.
#: ``duckdb`` meant "a table in the target database" whatever the target's engine.
LEGACY_FORMATS = {"duckdb": "target"}


def normalise_format(value: object) -> object:
    """``value`` with a legacy spelling (``duckdb``) replaced by its current name (``target``)."""
    return LEGACY_FORMATS.get(value, value) if isinstance(value, str) else value


def fingerprint_format(value: str) -> str:
    """The spelling a format is hashed as: the legacy one, so upgrading changes no node's version."""
    return {new: old for old, new in LEGACY_FORMATS.items()}.get(value, value)


#: ``target``: a table in the target database; the others: files under ``path``.
OutputFormat = Annotated[Literal["target", "parquet", "csv", "json", "delta"], BeforeValidator(normalise_format)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SampleSpec(_Spec):
    """How many and which rows to copy."""

    strategy: Strategy = "full"
    rows: int | None = Field(default=None, ge=0, description="rows to keep (head/random/recent/stratified)")
    percent: float | None = Field(default=None, gt=0, le=100, description="random: share of rows to keep")
    seed: int = 42
    by: str | None = Field(default=None, description="stratified: the column whose groups are kept")
    per_group: int | None = Field(default=None, ge=1, description="stratified: rows per group instead of proportional")
    column: str | None = Field(default=None, description="recent: the date/timestamp column")
    query: str | None = Field(default=None, description="sql: a full query over {{ table }}")
    max_full_rows: int | None = Field(default=None, ge=0, description="tables this small are copied whole")

    @model_validator(mode="after")
    def _needs(self) -> "SampleSpec":
        s = self.strategy
        if s in ("head", "recent") and self.rows is None:
            raise ValueError(f"strategy {s!r} needs 'rows:'")
        if s == "random" and (self.rows is None) == (self.percent is None):
            raise ValueError("strategy 'random' needs exactly one of 'rows:' or 'percent:'")
        if s == "recent" and not self.column:
            raise ValueError("strategy 'recent' needs 'column:' (a date or timestamp column)")
        if s == "stratified" and not self.by:
            raise ValueError("strategy 'stratified' needs 'by:' (the column to stratify on)")
        if s == "stratified" and (self.rows is None) == (self.per_group is None):
            raise ValueError("strategy 'stratified' needs exactly one of 'rows:' (proportional) or 'per_group:'")
        if s == "sql" and not self.query:
            raise ValueError("strategy 'sql' needs 'query:' (use {{ table }} for the source table)")
        return self


class ColumnsSpec(_Spec):
    """Which columns to copy and how to mask them."""

    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    mask: dict[str, MaskKind] = Field(default_factory=dict)


class OutputSpec(_Spec):
    """Where synced tables land. ``target`` (``duckdb`` before) means the project's target database."""

    format: OutputFormat = "target"
    path: str | None = Field(default=None, description="file formats: output folder (relative to the project)")
    schema_name: str | None = Field(default=None, alias="schema", description="target: schema of the tables")
    compression: str | None = Field(default=None, description="parquet: zstd, snappy, gzip, none")
    partition_by: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _path_for_files(self) -> "OutputSpec":
        if self.format != "target" and not self.path:
            raise ValueError(f"format {self.format!r} needs 'path:' (an output folder)")
        if self.path and "://" in self.path:
            # Versioned outputs publish by symlink, which a URL cannot hold; refuse rather
            # than write a local folder named after the URL.
            raise ValueError("'path:' must be a local folder; syncing into a URL (abfss://, s3://) is not supported yet")
        return self


class IncrementalSpec(_Spec):
    """Copy only rows past the stored cursor, merged by key."""

    cursor: str
    key: str | tuple[str, ...]


class SyncSpec(_Spec):
    """One entry under ``syncs:``."""

    name: str
    from_: str = Field(alias="from", description="the source to copy from")
    tables: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    where: str | None = None
    sample: SampleSpec = Field(default_factory=SampleSpec)
    columns: ColumnsSpec = Field(default_factory=ColumnsSpec)
    to: OutputSpec = Field(default_factory=OutputSpec)
    incremental: IncrementalSpec | None = None
    description: str = ""
    tags: tuple[str, ...] = ()


class SyncsFile(_Spec):
    """A ``syncs/*.yml`` file."""

    syncs: tuple[SyncSpec, ...] = ()
