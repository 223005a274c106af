"""What the compiler learns from one model's SQL, in one pass and as plain data.

Tokenizing once serves both the canonical (fingerprint) form and the parse.
The result is small and picklable, so it can come from a worker process or
from the compile cache instead of being recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass



@dataclass(frozen=True)
class SqlAnalysis:
    """Canonical text (for ``data_hash``), output columns (None behind ``*``) and column lineage."""

    canonical: str
    output_columns: tuple[str, ...] | None
    column_lineage: dict[str, tuple[str, ...]]

    def to_json(self) -> list:
        return [self.canonical, list(self.output_columns) if self.output_columns is not None else None,
                {k: list(v) for k, v in self.column_lineage.items()}]

    @classmethod
    def from_json(cls, data: list) -> "SqlAnalysis":
        canonical, outputs, lineage = data
        return cls(canonical, tuple(outputs) if outputs is not None else None,
                   {k: tuple(v) for k, v in lineage.items()})


def analyze_sql(sql: str, dialect: str, *, file: str, line_offset: int = 0) -> SqlAnalysis:
    """Tokenize and parse ``sql`` once; on any error, :func:`parse_query` raises the located message."""
    from faborite.compiler import warm_parser

    answer = warm_parser.ask("analyze", sql, dialect, file, line_offset)
    if answer is not None:
        return answer
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    from faborite.compiler.lineage import column_lineage
    from faborite.compiler.sql import canonical_from_tokens, output_columns, parse_query, too_deep_error

    engine = sqlglot.Dialect.get_or_raise(dialect)
    try:
        tokens = engine.tokenize(sql)
        statements = [s for s in engine.parser().parse(tokens, sql) if s is not None]
    except (ParseError, TokenError, RecursionError):
        statements = []
    if len(statements) != 1 or not isinstance(statements[0], sqlglot.exp.Query):
        parse_query(sql, dialect, file=file, line_offset=line_offset)  # raises the precise CompileError
        raise AssertionError("parse_query accepted SQL the parser rejected")  # pragma: no cover
    query = statements[0]
    try:
        canonical = canonical_from_tokens(tokens)
        outputs = output_columns(query)
        return SqlAnalysis(canonical, tuple(outputs) if outputs is not None else None, column_lineage(query))
    except RecursionError:  # a tree the parser built, too deep to walk
        raise too_deep_error(sql, dialect, file=file, line_offset=line_offset) from None
