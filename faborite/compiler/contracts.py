"""Model contracts (dbt's ``contract: {enforced: true}``): the columns a model promises.

At compile, the contract is read from the model's properties (every column
needs a ``data_type``) and compared with the query's output columns where
sqlglot knows them (no ``*``): a missing or extra column is a compile error
at the model's file naming the column. Types and ``not_null`` need the built
relation, so apply checks them after building and before publishing
(:mod:`faborite.apply.contracts`). Types compare through sqlglot's type
parser, so ``int`` and ``INTEGER``, ``varchar`` and ``TEXT`` agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.compiler.manifest import ContractColumn
from faborite.errors import CompileError

if TYPE_CHECKING:
    from faborite.config.loader import NodeDocEntry
    from faborite.config.node_config import ModelConfig


def compile_contract(name: str, config: ModelConfig, entry: NodeDocEntry | None, output_columns: tuple[str, ...] | None,
                     file: str) -> tuple[ContractColumn, ...] | None:
    """The enforced contract of model ``name`` (None when it has none); CompileError when it is
    incomplete or the query's columns are known to differ from it."""
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
    return contract


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
