"""The one DuckDB query that filters, samples, projects and masks a source table.

The source is registered in an in-memory DuckDB connection as ``src`` (a
re-scannable Arrow stream, or a pyarrow Dataset); :func:`build_sample_query`
writes one SELECT over it. The query names only the columns it needs
(:func:`plan_reads` tells the source which, so it can project itself), and
:mod:`~faborite.sync.pushdown` gives a source the part of the filter it can
apply itself.

Determinism: every sampling choice is a function of the row's *values* and
the seed, never of file order or thread scheduling. A row's rank is
``hash(hash(seed, c1, c2, ...))`` over the copied columns (before masking).
``random`` keeps the ``n`` lowest ranks, or the rows whose rank modulo 10^6
falls under ``percent`` * 10^4; ``recent`` the ``n`` latest values, ties broken
by rank; incremental de-duplication the latest row per key, ties by rank.

Bounded memory: no operator holds more than about ``rows`` rows. ``random``
and ``recent`` take two passes: the first keeps the ``n`` best sort keys in
an aggregate (``min(rank, n)``: integers only), the second streams the rows at
or past the n-th key into a sort of about ``n`` rows. ``stratified`` counts
each stratum (a scan of the ``by`` column only), gives each a quota
(proportional by largest remainder, at least one row per stratum; or
``per_group``), keeps rows whose rank falls under a per-stratum cut set a few
standard deviations above the quota, and then the ``quota`` lowest ranks of
those. The base query is repeated in each pass rather than shared as a CTE:
DuckDB materialises a CTE used twice over a Python stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faborite.sync import SyncError
from faborite.sync.masking import OutputColumn, projection, quote, resolve_column
from faborite.sync.scratch import SCRATCH_DIALECT
from faborite.sync.spec import SyncSpec

if TYPE_CHECKING:
    import pyarrow as pa

#: The name the executor registers the source under.
SOURCE = "src"
_TABLE_PLACEHOLDER = re.compile(r"\{\{\s*table\s*\}\}")
_BASE = "__faborite_base"
#: ``percent`` resolution: a row is kept when its rank modulo this falls under percent * _PER_PERCENT.
_BUCKETS = 1_000_000
_PER_PERCENT = _BUCKETS // 100


@dataclass(frozen=True)
class SourceReads:
    """What the query reads from the source, for sources that push it down themselves.

    ``columns`` is None when unknown (a ``sql`` strategy, an unparseable
    ``where``): read every column. ``where`` is DuckDB SQL; a source may push
    it down only where it means the same thing, since the query applies it again.
    ``after`` is the incremental cursor: ``(column, value)``, rows with a greater value.
    """

    columns: tuple[str, ...] | None
    where: str | None = None
    after: tuple[str, Any] | None = None


@dataclass(frozen=True)
class SampleQuery:
    """A sampling query and what it needs."""

    sql: str
    strategy: str  # what runs: 'full' when max_full_rows applied
    output: tuple[OutputColumn, ...]
    reads: SourceReads
    cursor: str | None = None  # the output column the next cursor comes from
    keys: tuple[str, ...] = ()  # the merge key's output columns


@dataclass(frozen=True)
class _Incremental:
    cursor: str
    keys: tuple[str, ...]
    predicate: str | None  # cursor > value, when there is a value


def plan_reads(schema: "pa.Schema", spec: SyncSpec, *, table: str = "table", cursor_value: Any = None) -> SourceReads:
    """The columns and filter the sampling query needs from the source (see :class:`SourceReads`)."""
    inc = _incremental(schema, spec, table, cursor_value)
    where = _where(spec, inc)
    after = (inc.cursor, cursor_value) if inc and inc.predicate else None
    if spec.sample.strategy == "sql":
        return SourceReads(None, where, after)
    out = projection(schema, spec.columns, table=table)
    needed = _base_columns(schema, spec, table, out, inc)
    if spec.where:
        referenced = _referenced_columns(spec.where, schema.names)
        if referenced is None:
            return SourceReads(None, where, after)
        needed = _unique([*needed, *referenced])
    ordered = tuple(c for c in schema.names if c in set(needed))  # the source's order
    return SourceReads(ordered, where, after)


def build_sample_query(
    schema: "pa.Schema",
    spec: SyncSpec,
    *,
    table: str = "table",
    source: str = SOURCE,
    row_count: int | None = None,
    cursor_value: Any = None,
    merge: bool = False,
    describe: Callable[[str], "pa.Schema"] | None = None,
) -> SampleQuery:
    """The query copying ``spec``'s rows of ``table`` (registered as ``source``, schema ``schema``).

    ``row_count`` (when known) lets ``max_full_rows`` copy small tables whole.
    ``cursor_value``: keep only rows past it (incremental). ``merge``: keep one
    row per key, the latest by cursor. ``describe`` returns the schema of a
    query; only the ``sql`` strategy needs it (its output columns are the
    user query's).
    """
    sample = spec.sample
    inc = _incremental(schema, spec, table, cursor_value)
    reads = plan_reads(schema, spec, table=table, cursor_value=cursor_value)
    where = _where(spec, inc)
    strategy = sample.strategy
    if (
        strategy not in ("full", "sql")
        and sample.max_full_rows is not None
        and row_count is not None
        and row_count <= sample.max_full_rows
    ):
        strategy = "full"
    if strategy == "sql":
        return _sql_strategy(schema, spec, table, source, where, inc, merge, describe, reads)

    out = projection(schema, spec.columns, table=table)
    if inc is not None:
        _check_incremental_output(inc, out, table)
    base_cols = _base_columns(schema, spec, table, out, inc)
    rank = _rank([c.source for c in out], sample.seed)
    base = f"SELECT {', '.join(quote(c) for c in base_cols)} FROM {quote(source)}"
    if where:
        base += f" WHERE {where}"
    if merge and inc is not None:
        base += " " + _latest_per_key(inc, rank)
    select = ", ".join(f"{c.expr} AS {quote(c.name)}" for c in out)
    sql = _strategy_sql(strategy, schema, spec, table, base, select, rank)
    return SampleQuery(
        sql=sql, strategy=strategy, output=tuple(out), reads=reads,
        cursor=inc.cursor if inc else None, keys=inc.keys if inc else (),
    )


# -- strategies -------------------------------------------------------------


def _strategy_sql(
    strategy: str, schema: "pa.Schema", spec: SyncSpec, table: str, base: str, select: str, rank: str
) -> str:
    """The query for ``strategy`` over ``base`` (the filtered, projected source).

    ``base`` is written out at each use, never as a CTE used twice: DuckDB
    materialises such a CTE over a Python stream, i.e. the whole table.
    Ranks and sort keys get names of their own (``__faborite_h``,
    ``__faborite_t``): in an outer ORDER BY / WHERE, a column's name could
    bind to its masked output alias.
    """
    sample = spec.sample
    b = f"({base}) AS {_BASE}"
    ranked = f"(SELECT *, {rank} AS __faborite_h FROM {b}) AS __faborite_r"
    n = int(sample.rows or 0)
    if strategy == "full":
        return f"SELECT {select} FROM {b}"
    if strategy == "head":
        return f"SELECT {select} FROM {b} LIMIT {n}"
    if strategy in ("random", "recent") and n == 0 and sample.percent is None:
        return f"SELECT {select} FROM {b} LIMIT 0"
    if strategy == "random" and sample.percent is not None:
        cut = round(sample.percent * _PER_PERCENT)
        return f"SELECT {select} FROM {ranked} WHERE __faborite_h % {_BUCKETS} < {cut}"
    if strategy == "random":
        # Pass 1 keeps the n lowest ranks (an aggregate holding n integers); pass 2
        # streams the rows at or under the n-th into a sort of about n rows. A plain
        # ORDER BY rank LIMIT n over a stream sorts (or heaps the strings of) every row.
        return (
            f"SELECT {select} FROM {ranked}, "
            f"(SELECT list_max(min({rank}, {n})) AS __faborite_c FROM {b}) AS __faborite_cut "
            f"WHERE __faborite_h <= __faborite_c ORDER BY __faborite_h LIMIT {n}"
        )
    if strategy == "recent":
        column = quote(_temporal_column(schema, sample.column or "", table))
        # Pass 1: the n latest values of the column alone (NULLs come last: when
        # fewer than n are set, rows without one fill up); pass 2 as for random,
        # ties on the column broken by rank.
        ranked = f"(SELECT *, {column} AS __faborite_t, {rank} AS __faborite_h FROM {b}) AS __faborite_r"
        return (
            f"SELECT {select} FROM {ranked}, "
            f"(SELECT list_min(__faborite_l) AS __faborite_c, len(__faborite_l) < {n} AS __faborite_short FROM "
            f"(SELECT coalesce(max({column}, {n}), []) AS __faborite_l FROM {b})) AS __faborite_cut "
            f"WHERE __faborite_t >= __faborite_c OR (__faborite_short AND (__faborite_c IS NULL OR __faborite_t IS NULL)) "
            f"ORDER BY __faborite_t DESC NULLS LAST, __faborite_h LIMIT {n}"
        )
    if strategy == "stratified":
        by = resolve_column(sample.by or "", schema.names, table=table, role="sample.by")
        return _stratified(by, b, select, rank, rows=sample.rows, per_group=sample.per_group)
    raise SyncError(f"unknown sampling strategy {strategy!r}")  # the spec's Literal makes this unreachable


def _stratified(by: str, b: str, select: str, rank: str, *, rows: int | None, per_group: int | None) -> str:
    k = quote(by)
    counts = f"(SELECT {k} AS __faborite_k, count(*) AS __faborite_n FROM {b} GROUP BY 1) AS __faborite_counts"
    if per_group is not None:
        quota = f"(SELECT __faborite_k, __faborite_n, least(__faborite_n, {int(per_group)}) AS __faborite_q FROM {counts})"
    else:
        n = int(rows or 0)
        # Largest remainder: every stratum gets floor(exact share), the biggest
        # remainders one more until the total is `rows`; never below one row.
        share = (
            f"(SELECT __faborite_k, __faborite_n, {n} * __faborite_n / sum(__faborite_n) OVER () AS __faborite_exact "
            f"FROM {counts}) AS __faborite_share"
        )
        quota = (
            f"(SELECT __faborite_k, __faborite_n, least(__faborite_n, greatest(1, "
            f"CAST(floor(__faborite_exact) AS BIGINT) + CASE WHEN row_number() OVER "
            f"(ORDER BY __faborite_exact - floor(__faborite_exact) DESC, hash(__faborite_k)) "
            f"<= {n} - sum(floor(__faborite_exact)) OVER () THEN 1 ELSE 0 END)) AS __faborite_q FROM {share})"
        )
    # Keep a stratum's rows whose rank is under a cut giving about q + 4*sqrt(q) + 16
    # rows (so almost surely at least q), then the q lowest ranks of those: the
    # window sorts about `rows` rows, never the table.
    cut = (
        f"(SELECT __faborite_k, __faborite_q, "
        f"least(1.0, (__faborite_q + 4 * sqrt(__faborite_q) + 16) / __faborite_n) AS __faborite_p "
        f"FROM {quota} AS __faborite_quota) AS __faborite_cut"
    )
    return (
        f"SELECT {select} FROM (SELECT *, {rank} AS __faborite_h FROM {b}) AS __faborite_ranked JOIN {cut} "
        f"ON __faborite_ranked.{k} IS NOT DISTINCT FROM __faborite_cut.__faborite_k\n"
        f"WHERE __faborite_p >= 1 OR CAST(__faborite_h AS DOUBLE) < __faborite_p * 18446744073709551616.0\n"
        f"QUALIFY row_number() OVER (PARTITION BY __faborite_ranked.{k} ORDER BY __faborite_h) <= __faborite_q\n"
        f"ORDER BY __faborite_h"
    )


def _sql_strategy(
    schema: "pa.Schema",
    spec: SyncSpec,
    table: str,
    source: str,
    where: str | None,
    inc: _Incremental | None,
    merge: bool,
    describe: Callable[[str], "pa.Schema"] | None,
    reads: SourceReads,
) -> SampleQuery:
    user = spec.sample.query or ""
    if not _TABLE_PLACEHOLDER.search(user):
        raise SyncError(
            f"the sample query of sync {spec.name!r} does not mention {{{{ table }}}}",
            hint="write the query over {{ table }}, e.g. SELECT * FROM {{ table }} WHERE ...",
        )
    if describe is None:
        raise SyncError("the 'sql' strategy needs the query's columns, and no describe() was given")
    user = _TABLE_PLACEHOLDER.sub(_BASE, user).strip().rstrip(";")
    base = f"SELECT * FROM {quote(source)}" + (f" WHERE {where}" if where else "")
    head = f"WITH {_BASE} AS NOT MATERIALIZED ({base}),\n__faborite_query AS NOT MATERIALIZED (SELECT * FROM ({user}) AS __faborite_q"
    out_schema = describe(f"{head})\nSELECT * FROM __faborite_query")
    out = projection(out_schema, spec.columns, table=table)
    qualify = ""
    if inc is not None:
        # The cursor and key must come out of the user's query under their own names.
        inc = _Incremental(
            cursor=resolve_column(inc.cursor, out_schema.names, table=table, role="incremental.cursor (in the sample query's output)"),
            keys=tuple(resolve_column(k, out_schema.names, table=table, role="incremental.key (in the sample query's output)") for k in inc.keys),
            predicate=inc.predicate,
        )
        _check_incremental_output(inc, out, table)
        if merge:
            qualify = " " + _latest_per_key(inc, _rank(out_schema.names, spec.sample.seed))
    select = ", ".join(f"{c.expr} AS {quote(c.name)}" for c in out)
    sql = f"{head}{qualify})\nSELECT {select} FROM __faborite_query"
    return SampleQuery(
        sql=sql, strategy="sql", output=tuple(out), reads=reads,
        cursor=inc.cursor if inc else None, keys=inc.keys if inc else (),
    )


# -- helpers ----------------------------------------------------------------


def _rank(columns: Sequence[str], seed: int) -> str:
    """A row's seeded pseudo-random rank: a function of its values and the seed only."""
    # The outer hash mixes the seed into every bit, so another seed is another order.
    return f"hash(hash({int(seed)}, {', '.join(quote(c) for c in columns)}))"


def _incremental(schema: "pa.Schema", spec: SyncSpec, table: str, cursor_value: Any) -> _Incremental | None:
    if spec.incremental is None:
        return None
    names = schema.names
    keys_raw = (spec.incremental.key,) if isinstance(spec.incremental.key, str) else tuple(spec.incremental.key)
    if spec.sample.strategy == "sql":  # resolved against the query's output later
        cursor, keys = spec.incremental.cursor, keys_raw
    else:
        cursor = resolve_column(spec.incremental.cursor, names, table=table, role="incremental.cursor")
        keys = tuple(resolve_column(k, names, table=table, role="incremental.key") for k in keys_raw)
    predicate = None
    if cursor_value is not None:
        from faborite.dialects import get_dialect

        predicate = f"{quote(cursor)} > {get_dialect(SCRATCH_DIALECT)().literal(cursor_value)}"
    return _Incremental(cursor, keys, predicate)


def _where(spec: SyncSpec, inc: _Incremental | None) -> str | None:
    parts = []
    if spec.where:
        parts.append(f"({spec.where})")
    if inc is not None and inc.predicate:
        parts.append(inc.predicate)
    return " AND ".join(parts) or None


def _latest_per_key(inc: _Incremental, rank: str) -> str:
    keys = ", ".join(quote(k) for k in inc.keys)
    return f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {quote(inc.cursor)} DESC NULLS LAST, {rank}) = 1"


def _check_incremental_output(inc: _Incremental, out: Sequence[OutputColumn], table: str) -> None:
    by_name = {c.source: c for c in out}
    cursor = by_name.get(inc.cursor)
    if cursor is None or cursor.mask is not None:
        raise SyncError(
            f"incremental.cursor {inc.cursor!r} of table {table!r} is excluded or masked",
            hint="the cursor column must be copied unmasked: the next sync starts after its largest value",
        )
    for key in inc.keys:
        if key not in by_name:
            raise SyncError(
                f"incremental.key {key!r} of table {table!r} is excluded or dropped",
                hint="the key columns must be copied (they may be hashed): new rows replace old ones by key",
            )


def _base_columns(
    schema: "pa.Schema", spec: SyncSpec, table: str, out: Sequence[OutputColumn], inc: _Incremental | None
) -> list[str]:
    needed = [c.source for c in out]
    sample = spec.sample
    if sample.strategy == "stratified" and sample.by:
        needed.append(resolve_column(sample.by, schema.names, table=table, role="sample.by"))
    if sample.strategy == "recent" and sample.column:
        needed.append(resolve_column(sample.column, schema.names, table=table, role="sample.column"))
    if inc is not None:
        needed.extend([inc.cursor, *inc.keys])
    return _unique(needed)


def _temporal_column(schema: "pa.Schema", name: str, table: str) -> str:
    import pyarrow as pa

    column = resolve_column(name, schema.names, table=table, role="sample.column (strategy 'recent')")
    type_ = schema.field(column).type
    if not (pa.types.is_date(type_) or pa.types.is_timestamp(type_)):
        raise SyncError(
            f"strategy 'recent' needs a date or timestamp column, but {column!r} of table {table!r} is {type_}",
            hint="name a date/timestamp column in sample.column, or pick another strategy (no silent fallback to random)",
        )
    return column


def _referenced_columns(where: str, names: Sequence[str]) -> list[str] | None:
    """Columns of ``names`` a ``where`` clause mentions; None when it cannot be parsed."""
    try:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(where, read=SCRATCH_DIALECT)
    except Exception:  # noqa: BLE001 - any parse failure: read every column
        return None
    lowered = {n.lower(): n for n in names}
    found = []
    for column in tree.find_all(exp.Column):
        match = column.name if column.name in names else lowered.get(column.name.lower())
        if match:
            found.append(match)
    return found


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
