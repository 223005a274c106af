"""BigQuery: backtick names with backslash escapes, datasets for schemas, no transactional DDL.

A delimited name escapes like a BigQuery string (``\\``` for a backtick, ``\\\\`` for a
backslash, ``\\n`` and ``\\xhh`` for control characters); a string literal does the same
with ``'``, since BigQuery does not double quotes. One backtick pair may hold a whole
path (```project.dataset.table```), so a view's definition is split on dots inside
quotes too. Dataset names allow only letters, digits and underscores, and are checked
here rather than failing at apply. DDL does not run inside multi-statement transactions.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import unicodedata
from typing import Any

from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.relation import Relation

_DATASET = re.compile(r"[A-Za-z0-9_]+\Z")
_TABLE_PUNCTUATION = frozenset({"Pc", "Pd", "Zs"})
#: Escapes BigQuery reads in quoted names and strings, besides \xhh, \uhhhh, \Uhhhhhhhh and \ooo.
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SHORT_ESCAPES = {"\n": "n", "\r": "r", "\t": "t"}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{3}|.)", re.DOTALL)


def backslash_escape(text: str, quote: str) -> str:
    """``text`` for the inside of a BigQuery quoted name or string delimited by ``quote``."""
    out = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append("\\" + _SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def backslash_unescape(text: str) -> str:
    """The inverse of :func:`backslash_escape`, reading every escape BigQuery defines."""

    def one(match: re.Match) -> str:
        code = match.group(1)
        if len(code) == 1:
            return _SIMPLE_ESCAPES.get(code, code)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        return chr(int(code, 8))

    return _ESCAPE.sub(one, text)


class BigQueryDialect(Dialect):
    """GoogleSQL as BigQuery runs it."""

    name = "bigquery"
    sqlglot_dialect = "bigquery"
    transactional_ddl = False
    supports_create_or_replace_view = True
    supports_merge = True
    # BigQuery has no default dataset; relations the project leaves unqualified land here.
    default_schema = "analytics"
    quote_start = "`"
    quote_end = "`"

    def _escape_identifier(self, name: str) -> str:
        if "." in name:
            # `a.b` is the path a, b to BigQuery whatever the quoting: no escape keeps the dot.
            raise ProviderError(f"invalid BigQuery name {name!r}", hint="BigQuery names cannot contain a dot")
        return backslash_escape(name, self.quote_end)

    def _read_quoted(self, text: str, start: int) -> tuple[str, int] | None:
        position = start
        while position < len(text):
            if text[position] == "\\":
                position += 2  # the escaped character cannot close the name
            elif text[position] == self.quote_end:
                return backslash_unescape(text[start:position]), position + 1
            else:
                position += 1
        return None

    def _split_identifiers(self, text: str) -> list[str] | None:
        parts = super()._split_identifiers(text)
        # `project.dataset.table` in one pair of backticks names three parts; table and
        # dataset names cannot contain a dot, so splitting loses nothing.
        return None if parts is None else [piece for part in parts for piece in part.split(".")]

    def quote_relation(self, rel: Relation) -> str:
        """```dataset`.`table```, refusing names BigQuery would reject (so no table name holds a
        dot or a backtick, and :meth:`pointer_reads` can split on dots)."""
        _check_dataset(rel.schema_name)
        _check_table(rel.name)
        return super().quote_relation(rel)

    def create_schema(self, schema_name: str) -> str:
        """``CREATE SCHEMA IF NOT EXISTS`` creates a dataset."""
        _check_dataset(schema_name)
        return super().create_schema(schema_name)

    def literal(self, value: Any) -> str:
        """BigQuery spellings: backslash-escaped strings, ``NUMERIC``/``BIGNUMERIC`` decimals (a
        bare ``1.5`` is FLOAT64), ``DATETIME`` for naive and ``TIMESTAMP`` for aware datetimes."""
        if isinstance(value, str):
            if "\x00" in value:
                raise ProviderError("cannot write a string containing NUL as a SQL literal")
            return "'" + backslash_escape(value, "'") + "'"
        if isinstance(value, decimal.Decimal) and value.is_finite():
            _, digits, exponent = value.as_tuple()
            # NUMERIC holds 29 digits before the point and 9 after; wider needs BIGNUMERIC.
            fits = -exponent <= 9 and len(digits) + exponent <= 29
            return f"{'NUMERIC' if fits else 'BIGNUMERIC'} '{value:f}'"
        if isinstance(value, dt.datetime) and value.utcoffset() is None:
            return f"DATETIME '{value.isoformat(sep=' ')}'"
        if isinstance(value, dt.datetime):
            return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
        return super().literal(value)


def _check_dataset(name: str) -> None:
    if not _DATASET.match(name or ""):
        raise ProviderError(
            f"invalid BigQuery dataset name {name!r}",
            hint="dataset names may contain only letters, digits and underscores",
        )


def _check_table(name: str) -> None:
    # Table names: Unicode letters, marks, numbers, connectors (_), dashes and spaces.
    bad = sorted({c for c in name if not _table_char(c)})
    if not name or bad:
        raise ProviderError(
            f"invalid BigQuery table name {name!r}",
            hint="table names may contain letters, marks, digits, underscores, dashes and spaces"
            + (f", not {''.join(bad)!r}" if bad else ""),
        )


def _table_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LMN" or category in _TABLE_PUNCTUATION
