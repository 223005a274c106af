"""dbt's cross-database macros: every macro, in every faborite dialect, prints SQL that the
dialect parses back and that transpiles to every other dialect; on DuckDB the values are dbt's."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from faborite.dbt.cross_db import CrossDbMacros
from faborite.dialects import available_dialects, get_dialect
from faborite.errors import CompileError

DIALECTS = sorted({get_dialect(name).sqlglot_dialect for name in available_dialects()})

#: Each macro with arguments as a dbt project writes them.
CALLS = {
    "date_trunc": ("month", "d"),
    "dateadd": ("day", "1", "d"),
    "datediff": ("d", "e", "day"),
    "last_day": ("d", "month"),
    "date": (2024, 2, 29),
    "current_timestamp": (),
    "type_string": (), "type_int": (), "type_bigint": (), "type_float": (), "type_numeric": (),
    "type_timestamp": (), "type_boolean": (),
    "safe_cast": ("s", "int"),
    "cast": ("s", "text"),
    "cast_bool_to_text": ("b",),
    "concat": (["s", "'-'", "t"],),
    "hash": ("s",),
    "split_part": ("s", "','", "2"),
    "listagg": ("s", "','", "order by s"),
    "any_value": ("s",),
    "bool_or": ("b",),
    "length": ("s",),
    "position": ("'a'", "s"),
    "replace": ("s", "'a'", "'b'"),
    "right": ("s", "2"),
    "string_literal": ("it's",),
    "array_construct": (["1", "2"],),
    "array_append": ("arr", "3"),
    "array_concat": ("arr", "arr2"),
    "escape_single_quotes": ("it's",),
}
#: Macros with no equivalent in a dialect (a CompileError naming the dialect, never wrong SQL).
UNSUPPORTED = {("mysql", "array_construct"), ("tsql", "split_part"), ("fabric", "split_part")}
#: Text that is not an expression on its own.
NOT_EXPRESSIONS = {"escape_single_quotes", "except", "intersect"}


def test_every_macro_has_a_case():
    assert set(CrossDbMacros("").functions()) - NOT_EXPRESSIONS == set(CALLS) - NOT_EXPRESSIONS


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("macro", sorted(CALLS))
def test_macro_parses_and_transpiles(dialect, macro):
    function = CrossDbMacros(dialect).functions()[macro]
    if (dialect, macro) in UNSUPPORTED:
        with pytest.raises(CompileError, match=dialect):
            function(*CALLS[macro])
        return
    sql = function(*CALLS[macro])
    if macro in NOT_EXPRESSIONS:
        return
    query = f"SELECT CAST(NULL AS {sql}) AS x" if macro.startswith("type_") else f"SELECT {sql} AS x FROM t"
    tree = sqlglot.parse_one(query, read=dialect)
    for other in DIALECTS:
        if (other, macro) not in UNSUPPORTED:
            assert tree.sql(dialect=other)


def _value(expression: str):
    with duckdb.connect() as con:
        return con.execute(f"SELECT {expression}").fetchone()[0]


@pytest.mark.parametrize(("macro", "args", "expected"), [
    # DuckDB's date + interval is a timestamp, as dbt-duckdb's dateadd gives; so is its date_trunc.
    ("dateadd", ("day", "1", "DATE '2024-02-28'"), "2024-02-29 00:00:00"),
    ("dateadd", ("'month'", "2", "DATE '2024-01-31'"), "2024-03-31 00:00:00"),
    ("datediff", ("DATE '2024-01-01'", "DATE '2024-03-01'", "day"), 60),
    ("datediff", ("DATE '2024-01-31'", "DATE '2024-02-01'", "month"), 1),
    ("date_trunc", ("month", "DATE '2024-02-17'"), "2024-02-01 00:00:00"),
    ("last_day", ("DATE '2024-02-17'", "month"), "2024-02-29"),
    ("date", (2024, 2, 29), "2024-02-29"),
    ("split_part", ("'a,b,c'", "','", "2"), "b"),
    ("concat", (["'a'", "'-'", "'b'"],), "a-b"),
    ("hash", ("'abc'",), "900150983cd24fb0d6963f7d28e17f72"),
    ("position", ("'c'", "'abc'"), 3),
    ("right", ("'abcd'", "2"), "cd"),
    ("replace", ("'aXa'", "'a'", "'b'"), "bXb"),
    ("length", ("'abc'",), 3),
    ("safe_cast", ("'x'", "int"), None),
    ("cast_bool_to_text", ("true",), "true"),
    ("string_literal", ("it's",), "it's"),
    ("array_construct", (["1", "2"],), [1, 2]),
    ("array_append", ("[1]", "2"), [1, 2]),
    ("array_concat", ("[1]", "[2]"), [1, 2]),
])
def test_values_on_duckdb_match_dbt(macro, args, expected):
    sql = CrossDbMacros("duckdb").functions()[macro](*args)
    value = _value(sql)
    assert (str(value) if hasattr(value, "isoformat") else value) == expected


def test_aggregates_on_duckdb():
    macros = CrossDbMacros("duckdb").functions()
    with duckdb.connect() as con:
        listagg = macros["listagg"]("s", "'|'", "order by s desc")
        row = con.execute(f"SELECT {listagg}, {macros['bool_or']('b')}, "
                      f"{macros['any_value']('s')} IS NOT NULL "
                      "FROM (VALUES ('a', false), ('b', true)) v(s, b)").fetchone()
    assert row == ("b|a", True, True)


def test_results_are_remembered_by_argument_text_and_errors_raised_each_time(monkeypatch) -> None:
    macros = CrossDbMacros("duckdb")
    parsed: list[str] = []
    real = macros._parse
    monkeypatch.setattr(macros, "_parse", lambda sql: parsed.append(str(sql)) or real(sql))
    functions = macros.functions()
    assert functions["hash"]("id") == functions["hash"]("id") and parsed == ["id"]
    assert functions["dateadd"]("day", 1, "d") != functions["dateadd"]("day", "-1", "d")
    assert functions["concat"](["a", "b"]) == functions["concat"](["a", "b"])  # a list: built each time
    assert parsed.count("a") == 2
    for _ in range(2):
        with pytest.raises(CompileError):
            functions["hash"]("select from")
