"""Filter pushdown: the part of a sync's ``where`` (and cursor) a source can apply itself.

The sampling query (:mod:`faborite.sync.sampling`) always applies the whole
filter, in DuckDB SQL. A source may narrow its read first, but only with
what means exactly the same there, so pushing a filter is a saving and never
a change of rows:

- :func:`pyarrow_filter`: a pyarrow dataset expression (files, Delta), from
  the conjuncts that compare a column with a literal of the same type family;
- :func:`sql_filter`: the ``where`` in a SQL database's own dialect (sqlglot).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faborite.sync.scratch import SCRATCH_DIALECT

if TYPE_CHECKING:
    import pyarrow as pa


def sql_filter(where: str, dialect: str) -> str | None:
    """``where`` (in :data:`SCRATCH_DIALECT`) written in ``dialect`` (a sqlglot name), or None.

    None when sqlglot cannot translate it: the sampling query then filters alone.
    """
    try:
        import sqlglot

        return sqlglot.transpile(where, read=SCRATCH_DIALECT, write=dialect)[0]
    except Exception:  # noqa: BLE001 - not translatable: DuckDB filters alone
        return None


def pyarrow_filter(where: str | None, after: tuple[str, Any] | None, schema: "pa.Schema") -> Any:
    """The part of ``where`` (and the cursor) a pyarrow scan can apply itself, or None.

    Only conjuncts whose meaning cannot differ from DuckDB's are kept: a column
    compared with a literal of the same type family (``=``, ``<>``, ``<``,
    ``<=``, ``>``, ``>=``, ``IN``, ``IS [NOT] NULL``). Dropping a conjunct is
    always safe: the sampling query applies the whole filter again; pushing it
    only lets pyarrow skip partitions and row groups.
    """
    import pyarrow.compute as pc

    parts = []
    if where:
        parts.extend(_arrow_conjuncts(where, schema))
    if after is not None and after[0] in schema.names:
        literal = _arrow_literal(after[1], schema.field(after[0]).type)
        if literal is not _NO:
            parts.append(pc.field(after[0]) > literal)
    if not parts:
        return None
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr


_NO = object()


def _arrow_conjuncts(where: str, schema: "pa.Schema") -> list[Any]:
    try:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(where, read=SCRATCH_DIALECT)
    except Exception:  # noqa: BLE001 - unparseable: nothing pushed
        return []
    conjuncts = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
    out = []
    for node in conjuncts:
        while isinstance(node, exp.Paren):
            node = node.this
        expr = _arrow_comparison(node, schema)
        if expr is not None:
            out.append(expr)
    return out


def _arrow_comparison(node: Any, schema: "pa.Schema") -> Any:
    import pyarrow.compute as pc
    from sqlglot import exp

    ops = {exp.EQ: "eq", exp.NEQ: "ne", exp.LT: "lt", exp.LTE: "le", exp.GT: "gt", exp.GTE: "ge"}
    flipped = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        column = _schema_column(node.this, schema)
        return pc.field(column).is_null() if column else None
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is) and isinstance(node.this.expression, exp.Null):
        column = _schema_column(node.this.this, schema)
        return pc.field(column).is_valid() if column else None
    if isinstance(node, exp.In) and not node.args.get("query"):
        column = _schema_column(node.this, schema)
        if not column:
            return None
        values = [_sql_literal(v, schema.field(column).type) for v in node.expressions]
        return None if any(v is _NO for v in values) else pc.field(column).isin(values)
    op = ops.get(type(node))
    if op is None:
        return None
    left, right = node.this, node.expression
    column = _schema_column(left, schema)
    if not column:
        column, left, right, op = _schema_column(right, schema), right, left, flipped[op]
    if not column:
        return None
    value = _sql_literal(right, schema.field(column).type)
    if value is _NO:
        return None
    field = pc.field(column)
    return {"eq": field == value, "ne": field != value, "lt": field < value,
            "le": field <= value, "gt": field > value, "ge": field >= value}[op]


def _schema_column(node: Any, schema: "pa.Schema") -> str | None:
    from sqlglot import exp

    if not isinstance(node, exp.Column) or node.table:
        return None
    name = node.name
    if name in schema.names:
        return name
    folded = [n for n in schema.names if n.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def _sql_literal(node: Any, type_: "pa.DataType") -> Any:
    """The Python value of a SQL literal, when it is unambiguous for a column of ``type_``."""
    import datetime as dt

    from sqlglot import exp

    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        inner = _sql_literal(node.this, type_)
        return _NO if inner is _NO else -inner
    if isinstance(node, exp.Boolean):
        return _arrow_literal(node.this, type_)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        target = node.to.this
        text = node.this.this
        try:
            if target == exp.DataType.Type.DATE:
                return _arrow_literal(dt.date.fromisoformat(text), type_)
            if target.name in ("TIMESTAMP", "TIMESTAMPNTZ", "DATETIME", "TIMESTAMPTZ"):
                return _arrow_literal(dt.datetime.fromisoformat(text), type_)
        except ValueError:
            return _NO
        return _NO
    if isinstance(node, exp.Literal):
        if node.is_string:
            return _arrow_literal(node.this, type_)
        try:
            number = int(node.this)
        except ValueError:
            try:
                number = float(node.this)
            except ValueError:
                return _NO
        return _arrow_literal(number, type_)
    return _NO


def _arrow_literal(value: Any, type_: "pa.DataType") -> Any:
    """``value`` when comparing it with a column of ``type_`` means the same in pyarrow as in DuckDB."""
    import datetime as dt

    import pyarrow as pa

    if isinstance(value, bool):
        return value if pa.types.is_boolean(type_) else _NO
    if isinstance(value, int):
        return value if pa.types.is_integer(type_) or pa.types.is_floating(type_) else _NO
    if isinstance(value, float):
        return value if pa.types.is_floating(type_) else _NO
    if isinstance(value, str):
        return value if pa.types.is_string(type_) or pa.types.is_large_string(type_) else _NO
    if isinstance(value, dt.datetime):
        if not pa.types.is_timestamp(type_) or (value.tzinfo is None) != (type_.tz is None):
            return _NO
        return pa.scalar(value, type=type_)
    if isinstance(value, dt.date):
        return value if pa.types.is_date32(type_) else _NO
    return _NO
