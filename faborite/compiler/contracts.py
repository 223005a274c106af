"""Model contracts (dbt's ``contract: {enforced: true}``): the columns a model promises.

At compile, the contract is read from the model's properties (every column
needs a ``data_type``) and compared with the query's output columns where
sqlglot knows them (no ``*``): a missing or extra column is a compile error
at the model's file naming the column. Where sqlglot can type a column of the
query (a literal, a cast, a typed function), a type of a clearly different
family (a number where the contract says text, a date where it says
timestamp...) is a compile error at the column's line too; exact types
(``int`` vs ``bigint``) and every column sqlglot cannot type, as well as
``not_null``, need the built relation, so apply checks them after building
and before publishing (:mod:`faborite.apply.contracts`). Types compare
through sqlglot's type parser, so ``int`` and ``INTEGER``, ``varchar`` and
``TEXT`` agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.compiler.manifest import ContractColumn
from faborite.errors import CompileError

if TYPE_CHECKING:
    from sqlglot import exp

    from faborite.config.loader import NodeDocEntry
    from faborite.config.node_config import ModelConfig


def compile_contract(name: str, config: ModelConfig, entry: NodeDocEntry | None, output_columns: tuple[str, ...] | None,
                     file: str, *, sql: str | None = None, dialect: str | None = None,
                     line_offset: int = 0) -> tuple[ContractColumn, ...] | None:
    """The enforced contract of model ``name`` (None when it has none); CompileError when it is
    incomplete or the query's columns (names; types where sqlglot can tell from ``sql``, written
    in ``dialect``, ``line_offset`` lines into ``file``) are known to differ from it."""
    if config.contract is None or not config.contract.enforced:
        return None
    where = dict(file=entry.file, line=entry.line) if entry is not None else dict(file=file)
    if entry is None or not entry.doc.columns:
        raise CompileError(f"model {name!r} enforces a contract but declares no columns",
                           **where, hint="list its columns with data_type in its properties file")
    untyped = [c.name for c in entry.doc.columns if not c.data_type]
    if untyped:
        raise CompileError(f"model {name!r} enforces a contract but column {untyped[0]!r} has no data_type",
                           **where, hint="give every column of a contract a data_type, e.g. data_type: integer")
    contract = tuple(ContractColumn(name=c.name, data_type=c.data_type or "",
                                    not_null=any(k.type == "not_null" for k in c.constraints))
                     for c in entry.doc.columns)
    if output_columns is not None:
        mismatch = contract_mismatch(contract, [(column, None) for column in output_columns], None)
        if mismatch:
            raise CompileError(f"model {name!r} breaks its contract: {mismatch}", file=file,
                               hint="change the query or the contract's columns in "
                                    f"{entry.file} so they agree")
    if sql is not None:
        _check_known_types(name, contract, sql, dialect, file, line_offset, entry.file)
    return contract


def _family(data_type: "exp.DataType") -> str | None:
    """The broad kind of a type (None: not one this check judges, e.g. unknown, NULL, nested)."""
    from sqlglot import exp

    kind = data_type.this
    temporal = exp.DataType.TEMPORAL_TYPES
    families = {
        "number": exp.DataType.NUMERIC_TYPES, "text": exp.DataType.TEXT_TYPES,
        "boolean": {exp.DataType.Type.BOOLEAN},
        "date": {exp.DataType.Type.DATE, exp.DataType.Type.DATE32},
        "time": {exp.DataType.Type.TIME, exp.DataType.Type.TIMETZ},
    }
    for family, kinds in families.items():
        if kind in kinds:
            return family
    return "timestamp" if kind in temporal else None


def _check_known_types(name: str, contract: tuple[ContractColumn, ...], sql: str, dialect: str | None, file: str,
                       line_offset: int, properties_file: str) -> None:
    """A CompileError at the first output column sqlglot types in another family than the contract."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.annotate_types import annotate_types

    try:
        query = annotate_types(sqlglot.parse_one(sql, read=dialect or None), dialect=dialect or None)
    except Exception:  # noqa: BLE001 - typing is best effort: the build-time check still runs
        return
    if not isinstance(query, exp.Query):
        return
    promised = {c.name.lower(): c for c in contract}
    for projection in query.selects:
        column = promised.get(projection.alias_or_name.lower())
        if column is None or projection.type is None:
            continue
        try:
            declared = exp.DataType.build(column.data_type, dialect=dialect or None)
        except Exception:  # noqa: BLE001 - a type name sqlglot does not know: build time compares it
            continue
        inferred, wanted = _family(projection.type), _family(declared)
        if inferred is None or wanted is None or inferred == wanted:
            continue
        anchor = projection.args.get("alias") or projection
        line = (anchor.meta.get("line") if hasattr(anchor, "meta") else None) or _first_line(projection)
        raise CompileError(
            f"model {name!r} breaks its contract: column {column.name!r} is "
            f"{projection.type.sql(dialect or None)} in the query, the contract says {column.data_type}",
            file=file, line=line + line_offset if line else None,
            hint=f"cast it in the query (CAST(... AS {column.data_type})) or change its data_type in {properties_file}")


def _first_line(node: "exp.Expression") -> int | None:
    """The line of the first token of ``node`` that the parser located."""
    for part in node.walk():
        line = part.meta.get("line") if hasattr(part, "meta") else None
        if line:
            return line
    return None


def same_type(declared: str, actual: str, dialect: str | None) -> bool:
    """Whether two type names mean the same type in ``dialect`` (unparseable: compared as text)."""
    from sqlglot import exp

    try:
        return (exp.DataType.build(declared, dialect=dialect).sql(dialect)
                == exp.DataType.build(actual, dialect=dialect).sql(dialect))
    except Exception:  # sqlglot raises several error types for unknown type names
        return "".join(declared.split()).upper() == "".join(actual.split()).upper()


def contract_mismatch(contract: tuple[ContractColumn, ...], columns: list[tuple[str, str | None]],
                      dialect: str | None) -> str | None:
    """The first way ``columns`` (name, type or None) break ``contract``, as a phrase naming the column."""
    have = {name.lower(): type_ for name, type_ in columns}
    promised = {c.name.lower() for c in contract}
    for column in contract:
        if column.name.lower() not in have:
            return f"column {column.name!r} is missing"
    for name, _ in columns:
        if name.lower() not in promised:
            return f"column {name!r} is not in the contract"
    for column in contract:
        actual = have[column.name.lower()]
        if actual is not None and not same_type(column.data_type, actual, dialect):
            return f"column {column.name!r} is {actual}, the contract says {column.data_type}"
    return None
