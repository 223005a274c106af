"""The generic SQL faborite writes, and the flags an engine overrides.

Modelled on sqlglot's ``dialects/``: :class:`Dialect` holds ANSI SQL for every
statement faborite needs; an engine subclasses it, sets class attributes and
overrides only the methods where it differs. Subclasses register themselves by
``name`` when they are defined; third parties plug in through the
``faborite.dialects`` entry-point group (see :mod:`faborite.plugins`).

Every method returns SQL text and runs nothing. sqlglot is imported only by
:meth:`Dialect.transpile`, so loading a dialect stays cheap.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from faborite.errors import ProviderError
from faborite.relation import Relation

if TYPE_CHECKING:
    from pathlib import Path

    from faborite.dialects.support import Unsupported

FileFormat = Literal["parquet", "csv", "json"]


class Dialect:
    """Generic ANSI SQL generation; engines subclass and override what differs."""

    #: Every registered dialect by ``name``; filled by ``__init_subclass__``.
    registry: ClassVar[dict[str, type[Dialect]]] = {}

    #: The name used in ``dialect:`` settings and entry points.
    name: ClassVar[str] = ""
    #: The dialect name sqlglot knows this engine by ("" is sqlglot's generic SQL).
    sqlglot_dialect: ClassVar[str] = ""

    # Capabilities: apply and publish choose their strategy from these.
    #: DDL can run inside a transaction and is undone by ROLLBACK.
    transactional_ddl: ClassVar[bool] = False
    #: ``CREATE OR REPLACE VIEW`` exists (else publish drops and re-creates). Not
    #: spelled ``create_or_replace_view``: that name is the method below.
    supports_create_or_replace_view: ClassVar[bool] = False
    #: How the engine spells that one statement (T-SQL: ``CREATE OR ALTER VIEW``).
    replace_view_verb: ClassVar[str] = "CREATE OR REPLACE VIEW"
    #: :meth:`publish_statements` swaps every view in its one last statement (e.g. MySQL's
    #: multi-table ``RENAME TABLE``), so publish is atomic without transactional DDL.
    single_statement_publish: ClassVar[bool] = False
    #: ``MERGE INTO`` exists (incremental models can upsert).
    supports_merge: ClassVar[bool] = False
    #: An incremental model's versions may share one table of row versions (each row tagged with
    #: the generation that added it and the one that replaced it; each version a view over it),
    #: every run's ``UPDATE``/``INSERT``/``CREATE VIEW`` in one transaction: a run then costs the
    #: new rows, not a copy of the table. Needs transactional DDL. Without it each version is a
    #: copy-on-write ``CREATE TABLE AS`` (:meth:`create_table_from_previous`).
    row_versioned_incremental: ClassVar[bool] = False
    #: When the engine does not report how many rows a new table got, apply counts them with
    #: ``SELECT COUNT(*)``. False where a scan is a job of its own whatever the table's size
    #: (a cluster scheduling a job): the row count is then recorded as unknown.
    count_rows_by_scan: ClassVar[bool] = True
    #: The schema unqualified names resolve to.
    default_schema: ClassVar[str] = "public"
    #: File formats :meth:`read_files` can read; empty when the engine reads no files.
    file_formats: ClassVar[frozenset[str]] = frozenset()

    #: A file of the function names the engine has, one per line (see :mod:`faborite.dialects.support`);
    #: None: calls are not checked at compile time.
    functions_file: ClassVar[str | None] = None
    #: Type names the engine has, upper case; empty: casts are not checked at compile time.
    types: ClassVar[frozenset[str]] = frozenset()

    #: Identifier delimiters; an embedded closing delimiter is escaped by doubling it.
    quote_start: ClassVar[str] = '"'
    quote_end: ClassVar[str] = '"'

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        """Register a subclass that sets its own ``name`` (``register=False`` opts out, e.g. in tests)."""
        super().__init_subclass__(**kwargs)
        # Only a class that names itself registers: an abstract intermediate base that
        # inherits its parent's name must not shadow the parent. A later class with the
        # same name wins, as in sqlglot.
        if register and "name" in cls.__dict__ and cls.name:
            Dialect.registry[cls.name] = cls

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- names --------------------------------------------------------------

    def quote_identifier(self, name: str) -> str:
        """``name`` as a delimited identifier, always quoted, embedded delimiters escaped."""
        if not name or "\x00" in name:
            raise ProviderError(f"invalid identifier {name!r}", hint="names must be non-empty and contain no NUL")
        return f"{self.quote_start}{self._escape_identifier(name)}{self.quote_end}"

    def _escape_identifier(self, name: str) -> str:
        """The inside of a delimited identifier: the SQL standard doubles the closing delimiter."""
        return name.replace(self.quote_end, self.quote_end * 2)

    def quote_column(self, name: str) -> str:
        """A column of a model's output, named as the model's SQL named it (``merge`` and
        ``insert_into`` write these); engines that fold undelimited names override this."""
        return self.quote_identifier(name)

    def quote_relation(self, rel: Relation) -> str:
        """``"schema"."name"`` (``"catalog"."schema"."name"`` with a catalog): quoting always,
        so case and odd characters survive."""
        two = f"{self.quote_identifier(rel.schema_name)}.{self.quote_identifier(rel.name)}"
        return f"{self.quote_identifier(rel.catalog)}.{two}" if rel.catalog else two

    # -- DDL ----------------------------------------------------------------

    def create_schema(self, schema_name: str) -> str:
        """Create a schema unless it exists."""
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote_identifier(schema_name)}"

    def create_table_as(self, rel: Relation, select_sql: str) -> str:
        """Create ``rel`` from a query (fails if it exists: physical relations are never overwritten)."""
        return f"CREATE TABLE {self.quote_relation(rel)} AS\n{_body(select_sql)}"

    def create_view(self, rel: Relation, select_sql: str) -> str:
        """Create the view ``rel`` over a query (fails if it exists)."""
        return f"CREATE VIEW {self.quote_relation(rel)} AS\n{_body(select_sql)}"

    def create_or_replace_view(self, rel: Relation, select_sql: str) -> list[str]:
        """Statements that point the view ``rel`` at a query, replacing any previous view.

        One statement when the engine has ``CREATE OR REPLACE VIEW``, else a drop and a
        create, which the caller runs in one transaction where ``transactional_ddl``.
        """
        if self.supports_create_or_replace_view:
            return [f"{self.replace_view_verb} {self.quote_relation(rel)} AS\n{_body(select_sql)}"]
        return [self.drop_view(rel), self.create_view(rel, select_sql)]

    def replace_view_in_place(self, rel: Relation, select_sql: str) -> list[str]:
        """Statements that (re)create the view ``rel`` whose columns never change (one version of a
        node), keeping views that read it: ``CREATE OR REPLACE`` where the engine has any form of it."""
        return self.create_or_replace_view(rel, select_sql)

    def drop_schema(self, schema_name: str) -> str:
        """Drop the schema if it exists; not ``CASCADE``: the engine refuses one still holding relations
        (``env delete`` drops an environment's virtual schemas once empty)."""
        return f"DROP SCHEMA IF EXISTS {self.quote_identifier(schema_name)}"

    def add_column(self, rel: Relation, name: str, type_name: str) -> str:
        """Add the column ``name`` of the engine's type ``type_name`` to the table ``rel``."""
        return f"ALTER TABLE {self.quote_relation(rel)} ADD COLUMN {self.quote_identifier(name)} {type_name}"

    def drop_table(self, rel: Relation) -> str:
        """Drop the table ``rel`` if it exists."""
        return f"DROP TABLE IF EXISTS {self.quote_relation(rel)}"

    def drop_view(self, rel: Relation) -> str:
        """Drop the view ``rel`` if it exists."""
        return f"DROP VIEW IF EXISTS {self.quote_relation(rel)}"

    def swap_view(self, virtual: Relation, physical: Relation) -> list[str]:
        """Statements that publish ``physical`` under the name ``virtual``: the virtual
        layer is a view ``SELECT * FROM <physical>`` (what :meth:`pointer_reads` recognises)."""
        return self.create_or_replace_view(virtual, f"SELECT * FROM {self.quote_relation(physical)}")

    def publish_statements(self, pointers: Mapping[Relation, Relation], drops: Iterable[Relation] = ()) -> list[str]:
        """Every statement publish runs, in order: ``drops`` gone, each virtual relation of
        ``pointers`` reading its physical one. An engine with an atomic multi-rename
        (MySQL's ``RENAME TABLE a TO b, c TO d``) overrides this and sets ``single_statement_publish``."""
        # Drops first: a relation a node left (deleted or renamed) may be taken by another node.
        statements = [self.drop_view(virtual) for virtual in drops if virtual not in pointers]
        statements += [self.create_schema(s) for s in sorted({v.schema_name for v in pointers})]
        for virtual, physical in sorted(pointers.items(), key=lambda item: item[0].key):
            statements += self.swap_view(virtual, physical)
        return statements

    # -- DML ----------------------------------------------------------------

    def insert_into(self, target: Relation, select_sql: str, columns: Sequence[str]) -> str:
        """Append the rows of a query to ``target``. ``columns`` name the table's columns the
        query's outputs fill, in the query's order, so the table's own column order does not matter."""
        names = _column_list(columns)
        listed = ", ".join(self.quote_column(c) for c in names)
        return f"INSERT INTO {self.quote_relation(target)} ({listed})\n{_body(select_sql)}"

    def update_rows(self, target: Relation, assignments: Mapping[str, str], where: str) -> str:
        """``UPDATE target SET column = <sql>, ... WHERE where`` (the values are SQL, not literals)."""
        listed = ", ".join(f"{self.quote_identifier(c)} = {v}" for c, v in assignments.items())
        return f"UPDATE {self.quote_relation(target)} SET {listed} WHERE {where}"

    def delete_rows(self, target: Relation, where: str) -> str:
        """``DELETE FROM target WHERE where``."""
        return f"DELETE FROM {self.quote_relation(target)} WHERE {where}"

    def merge(self, target: Relation, source_sql: str, unique_key: Sequence[str], columns: Sequence[str]) -> str:
        """Upsert the rows of ``source_sql`` into ``target``: rows whose ``unique_key`` matches are
        updated, the others inserted. ``columns`` are the columns written (the key included).

        Keys compare with ``=``, so a NULL key never matches and is inserted again: keep keys
        NOT NULL. Check ``supports_merge`` first: this is the SQL-standard spelling.
        """
        names = _column_list(columns)
        keys = _column_list(unique_key)
        missing = [k for k in keys if k not in names]
        if missing:
            raise ProviderError(f"unique key column(s) {', '.join(map(repr, missing))} not among the merged columns")
        q = self.quote_column
        t, s = self.quote_identifier("faborite_target"), self.quote_identifier("faborite_source")
        on = " AND ".join(f"{t}.{q(k)} = {s}.{q(k)}" for k in keys)
        lines = [f"MERGE INTO {self.quote_relation(target)} AS {t}", f"USING (\n{_body(source_sql)}\n) AS {s}", f"ON {on}"]
        updated = [c for c in names if c not in keys]
        if updated:  # a key-only table has nothing to update: matched rows are left alone
            lines.append("WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{q(c)} = {s}.{q(c)}" for c in updated))
        lines.append(
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(q(c) for c in names)}) "
            f"VALUES ({', '.join(f'{s}.{q(c)}' for c in names)})"
        )
        return "\n".join(lines)

    def create_table_from_previous(self, new: Relation, previous: Relation, delta_sql: str,
                                   columns: Sequence[str], *, keep: str | None = None,
                                   previous_select: Sequence[str] | None = None) -> str:
        """Copy-on-write: create ``new`` from the ``previous`` version's rows (those matching
        ``keep``, a condition on alias ``o``; all without it) plus the rows of ``delta_sql``.
        ``previous_select``: one SQL expression over ``o`` per column instead of the columns
        themselves (a column the previous version lacks, or casts to a new type).

        One ``CREATE TABLE AS`` pass over both inputs, so ``new`` exists complete or not at all
        and ``previous`` is only read: incremental models and incremental syncs build every new
        version this way (``append``: no ``keep``; ``merge``: :meth:`key_not_in`).
        """
        names = ", ".join(self.quote_identifier(c) for c in _column_list(columns))
        old = ", ".join(previous_select) if previous_select else names
        where = f" WHERE {keep}" if keep else ""
        return self.create_table_as(new, (
            f"SELECT {old} FROM {self.quote_relation(previous)} AS o{where}\n"
            f"UNION ALL\nSELECT {names} FROM (\n{_body(delta_sql)}\n) AS n"))

    def key_not_in(self, delta: Relation, unique_key: Sequence[str]) -> str:
        """The condition on alias ``o`` keeping a row whose ``unique_key`` is not among ``delta``'s
        rows (keys compare with ``=``: a NULL key never matches, as in ``merge``)."""
        q = self.quote_identifier
        match = " AND ".join(f"d.{q(k)} = o.{q(k)}" for k in _column_list(unique_key))
        return f"NOT EXISTS (SELECT 1 FROM {self.quote_relation(delta)} AS d WHERE {match})"

    # -- reading back -------------------------------------------------------

    def pointer_reads(self, definition: str) -> Relation | None:
        """The relation a virtual-layer view reads, from the view's definition as the engine
        stores it (``CREATE VIEW v AS SELECT * FROM s.t``, any quoting); None when the view is
        not such a pointer (someone replaced it). Cheap: no SQL parser, since ``plan``
        reads every published view."""
        match = _POINTER.search(definition)
        if match is None:
            return None
        parts = self._split_identifiers(match.group(1).strip())
        if parts is None or len(parts) < 2:
            return None
        return Relation(schema_name=parts[-2], name=parts[-1], catalog=parts[-3] if len(parts) > 2 else None)

    def _split_identifiers(self, text: str) -> list[str] | None:
        """``a."b c".d`` -> ``['a', 'b c', 'd']``; None if ``text`` is not just a dotted name."""
        parts, position = [], 0
        while position < len(text):
            if text.startswith(self.quote_start, position):
                read = self._read_quoted(text, position + len(self.quote_start))
                if read is None:
                    return None
                value, position = read
                parts.append(value)
            else:
                match = _BARE_IDENTIFIER.match(text, position)
                if match is None:
                    return None
                parts.append(self._fold_unquoted(match.group(0)))
                position = match.end()
            if position < len(text):
                if text[position] != ".":
                    return None
                position += 1
        return parts

    def _read_quoted(self, text: str, start: int) -> tuple[str, int] | None:
        """The delimited identifier whose inside begins at ``start``, unescaped, and the
        position after its closing delimiter; None when it is never closed."""
        value, end = [], start
        while True:
            close = text.find(self.quote_end, end)
            if close < 0:
                return None
            value.append(text[end:close])
            if not text.startswith(self.quote_end * 2, close):
                return "".join(value), close + len(self.quote_end)
            value.append(self.quote_end)
            end = close + 2 * len(self.quote_end)

    def _fold_unquoted(self, name: str) -> str:
        """What the engine makes of an undelimited name; kept as written unless it folds case."""
        return name

    # -- queries ------------------------------------------------------------

    def read_files(self, format: FileFormat, paths: list[str], options: dict[str, Any]) -> str:
        """A table expression usable in ``FROM`` that reads files; engines that can override this."""
        raise ProviderError(
            "this target cannot read files directly",
            hint=f"the {self.name or 'generic'} dialect has no file reader; load the files with a sync instead",
        )

    def count_rows_sql(self, select_sql: str) -> str:
        """A query returning the number of rows ``select_sql`` yields."""
        return f"SELECT COUNT(*) FROM (\n{_body(select_sql)}\n) AS {self.quote_identifier('_faborite_count')}"

    def cast(self, sql: str, type_name: str) -> str:
        """``sql`` converted to ``type_name``, a column type as this engine spells it (typed seeds)."""
        return f"CAST({sql} AS {type_name})"

    def literal(self, value: Any) -> str:
        """``value`` as a SQL literal: None, bool, int, float, Decimal, str, date, datetime."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):  # before int: bool is an int subclass
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                # No portable spelling: refuse rather than write an engine-specific cast.
                raise ProviderError(f"cannot write {value!r} as a SQL literal")
            return repr(value)
        if isinstance(value, decimal.Decimal):
            if not value.is_finite():
                raise ProviderError(f"cannot write {value!r} as a SQL literal")
            return str(value)
        if isinstance(value, str):
            if "\x00" in value:
                raise ProviderError("cannot write a string containing NUL as a SQL literal")
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
            kind = "TIMESTAMP WITH TIME ZONE" if value.utcoffset() is not None else "TIMESTAMP"
            return f"{kind} '{value.isoformat(sep=' ')}'"
        if isinstance(value, dt.date):
            return f"DATE '{value.isoformat()}'"
        raise ProviderError(f"cannot write a {type(value).__name__} as a SQL literal")

    # -- translation --------------------------------------------------------

    def transpile(self, sql: str, read: str) -> str:
        """``sql`` written in sqlglot dialect ``read``, rewritten for this engine.

        Identity when ``read`` is this engine's dialect. A construct the engine cannot
        express raises :class:`ProviderError` naming it: never silently wrong SQL.
        """
        if read == self.sqlglot_dialect:
            return sql
        import sqlglot  # lazy: sqlglot costs start-up time the CLI does not always need
        from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

        try:
            statements = sqlglot.transpile(
                sql, read=read, write=self.sqlglot_dialect, unsupported_level=ErrorLevel.RAISE
            )
        except UnsupportedError as exc:
            raise ProviderError(
                f"cannot translate from {read} to {self._label()}: {exc}",
                hint="rewrite the construct in SQL both dialects share, or use a target that supports it",
            ) from None
        except ParseError as exc:
            # sqlglot's own message carries terminal colour codes; the structured errors do not.
            first = exc.errors[0] if exc.errors else {}
            where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
            detail = first.get("description", str(exc))
            raise ProviderError(f"cannot parse SQL as {read}{where}: {detail}") from None
        except ValueError as exc:  # sqlglot: "Unknown dialect 'x'."
            raise ProviderError(f"cannot translate from {read} to {self._label()}: {exc}") from None
        return ";\n".join(statements)

    def refused_construct(self, node: Any) -> str | None:
        """The name of a construct in sqlglot expression ``node`` this engine has no spelling for
        (e.g. an ASOF join), else None. The base refuses nothing; engines override."""
        return None

    def checks_queries_from(self, read: str) -> bool:
        """Whether :meth:`unsupported` has anything to check for SQL written in sqlglot dialect
        ``read`` (no: the same dialect, and nothing declared to check against)."""
        return read != self.sqlglot_dialect or bool(self.functions_file) or bool(self.types) \
            or type(self).refused_construct is not Dialect.refused_construct

    def unsupported(self, sql: str, read: str) -> list["Unsupported"]:
        """What ``sql`` (one query in sqlglot dialect ``read``) uses that this engine lacks.

        Empty when the query can run here. Checks sqlglot's own refusals, then every
        call, cast and construct of the query against what the dialect declares.
        """
        import sqlglot
        from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

        from faborite.dialects.support import Unsupported, find_unsupported, load_names

        if not self.checks_queries_from(read):
            return []
        functions = load_names(self._functions_path()) if self.functions_file else frozenset()
        try:
            trees = [t for t in sqlglot.parse(sql, read=read) if t is not None]
        except ParseError:
            return []  # the compiler reports parse errors itself, located
        found: list[Unsupported] = []
        for tree in trees:
            try:
                tree.sql(dialect=self.sqlglot_dialect, unsupported_level=ErrorLevel.RAISE)
            except UnsupportedError as exc:
                found.append(Unsupported(str(exc).strip(), None))
            found.extend(find_unsupported(tree, self.sqlglot_dialect, functions, self.types,
                                          self.refused_construct))
        return found

    def _functions_path(self) -> Path:
        """``functions_file`` resolved beside the module that declares it (a plugin ships its own)."""
        import sys
        from pathlib import Path

        for cls in type(self).__mro__:
            if "functions_file" in cls.__dict__:
                module = sys.modules.get(cls.__module__)
                return Path(getattr(module, "__file__", __file__)).parent / self.functions_file
        return Path(__file__).parent / self.functions_file

    def _label(self) -> str:
        return self.sqlglot_dialect or self.name or "generic SQL"


#: The body of a virtual-layer view: ``SELECT * FROM <dotted name>`` and nothing after it.
_POINTER = re.compile(r"\bSELECT\s+\*\s+FROM\s+(.+?)\s*;?\s*\Z", re.IGNORECASE | re.DOTALL)
_BARE_IDENTIFIER = re.compile(r"[^\s.\"`\[\]();,]+")


def load_sqlglot_dialects(*names: str) -> None:
    """Finish loading sqlglot's dialect classes ``names`` now, in this thread.

    Call before worker threads print SQL. sqlglot's metaclass registers a dialect
    class under its name before it has finished building it, so a thread that
    looks the name up meanwhile gets the half-built class and prints generic SQL
    (upper case, double-quoted identifiers): a MariaDB view body once failed so.
    """
    from sqlglot.dialects.dialect import Dialect as SqlglotDialect

    for name in names:
        if name:
            SqlglotDialect.get_or_raise(name)


def _column_list(columns: Sequence[str]) -> list[str]:
    """``columns`` as a list, refusing an empty or repeated one (a string is one column, not letters)."""
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise ProviderError("no columns given")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise ProviderError(f"column(s) {', '.join(map(repr, repeated))} given more than once")
    return names


def _body(select_sql: str) -> str:
    """A query without trailing whitespace and semicolons, so it can be embedded."""
    return select_sql.strip().rstrip(";").rstrip()
