"""Loading a seed CSV into its physical table, through Arrow (engine-neutral)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from faborite.compiler.manifest import Node
from faborite.errors import ApplyError
from faborite.relation import Relation


def load_seed(connection, node: Node, physical: Relation, project_root: Path, *, project_dialect: str = "") -> int:
    """Create ``physical`` from the seed's CSV and return its rows; refuse a file changed since the plan.

    ``column_types`` are written in the project's dialect (sqlglot name
    ``project_dialect``) and translated for the target's.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    assert node.seed is not None
    path = project_root / node.seed.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ApplyError(f"cannot read seed {node.seed.path}: {exc.strerror}", file=node.seed.path) from None
    if hashlib.sha256(data).hexdigest() != node.seed.content_hash:
        raise ApplyError(
            f"seed {node.seed.path} changed since the plan was made",
            file=node.seed.path, hint="run `faborite plan` again and review the new plan",
        )
    text_columns = {name: pa.string() for name in node.seed.column_types}
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            parse_options=pacsv.ParseOptions(delimiter=node.seed.delimiter),
            convert_options=pacsv.ConvertOptions(column_types=text_columns),
        )
    except pa.ArrowInvalid as exc:
        raise ApplyError(f"seed {node.seed.path} is not valid CSV: {exc}", file=node.seed.path) from None
    if not node.seed.column_types:
        connection.create_table_from_arrow(physical, table)
        return table.num_rows
    missing = set(node.seed.column_types) - set(table.column_names)
    if missing:
        raise ApplyError(f"column_types names columns the seed does not have: {', '.join(sorted(missing))}",
                         file=node.seed.path, hint=f"the CSV's columns are: {', '.join(table.column_names)}")
    # Typed seeds: load the raw text, then cast in SQL so type names are the engine's own.
    dialect = connection.dialect
    staging = Relation(schema_name=physical.schema_name, name=physical.name + "__staging")
    connection.execute(dialect.drop_table(staging))
    connection.create_table_from_arrow(staging, table)
    types = {c: target_type(t, read=project_dialect, dialect=dialect, file=node.seed.path)
             for c, t in node.seed.column_types.items()}
    projections = ", ".join(
        # An empty field is NULL, as dbt loads it (casting '' to a number would fail).
        f"{dialect.cast(_empty_as_null(dialect, c), types[c])} AS {dialect.quote_identifier(c)}"
        if c in node.seed.column_types else dialect.quote_identifier(c)
        for c in table.column_names
    )
    try:
        connection.execute(dialect.create_table_as(physical, f"SELECT {projections} FROM {dialect.quote_relation(staging)}"))
    finally:
        connection.execute(dialect.drop_table(staging))
    return table.num_rows


def target_type(type_name: str, *, read: str, dialect, file: str) -> str:
    """A type written in the project's dialect, spelled for the target (``DOUBLE`` -> ``DOUBLE PRECISION``)."""
    if read == dialect.sqlglot_dialect:
        return type_name
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        return exp.DataType.build(type_name, dialect=read).sql(dialect=dialect.sqlglot_dialect)
    except (ParseError, ValueError) as exc:
        raise ApplyError(f"column type {type_name!r} is not a {read} type: {exc}", file=file,
                         hint="write column_types in the project's dialect") from None


def _empty_as_null(dialect, column: str) -> str:
    """The column with empty fields as NULL."""
    return f"NULLIF({dialect.quote_identifier(column)}, {dialect.literal('')})"
