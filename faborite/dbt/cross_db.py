"""dbt's built-in cross-database macros (``dbt.dateadd``, ``type_string``, ``concat`` ...).

One spelling per macro: each builds a sqlglot expression from its arguments
(SQL text, parsed in the project's dialect) and prints it in the project's
dialect. The compiler then transpiles the model to the target's dialect as it
does any model, so every faborite dialect is served by the same code and no
engine is named here. Arguments are SQL expressions as dbt takes them
(``dateadd('day', 1, 'order_date')``); a datepart may be written with or
without quotes.

sqlglot is imported when a macro is first called, never on the static path.
"""

from __future__ import annotations

from typing import Any

from faborite.errors import CompileError

#: The macro names, as they are reachable in templates (unqualified and under ``dbt.``).
MACROS = (
    "date_trunc", "dateadd", "datediff", "last_day", "date", "current_timestamp",
    "safe_cast", "cast", "cast_bool_to_text", "concat", "hash", "split_part", "listagg", "any_value", "bool_or",
    "escape_single_quotes", "length", "position", "replace", "right", "string_literal",
    "array_construct", "array_append", "array_concat", "except", "intersect",
)


#: ``type_x()`` macros: the type each names, in sqlglot's spelling (dbt's ``float`` is double precision,
#: its ``numeric`` is NUMERIC(28, 6)).
TYPES = {"type_string": "text", "type_int": "int", "type_bigint": "bigint", "type_float": "double",
         "type_numeric": "decimal(28, 6)", "type_timestamp": "timestamp", "type_boolean": "boolean"}


def _remembered(function: Any) -> Any:
    """``function`` returning the text it gave before for the same arguments (strings and numbers;
    other arguments are not remembered). Each macro is a pure function of its arguments' text and the
    dialect; errors are raised anew on each call."""
    results: dict[Any, str] = {}

    def call(*args: Any, **kwargs: Any) -> Any:
        if not all(isinstance(v, (str, int, float)) for v in (*args, *kwargs.values())):
            return function(*args, **kwargs)
        key = (tuple(map(_as_key, args)), tuple(sorted((k, _as_key(v)) for k, v in kwargs.items())))
        if key not in results:
            value = function(*args, **kwargs)
            if not isinstance(value, str):
                return value
            results[key] = value
        return results[key]

    call.__name__ = call.__qualname__ = getattr(function, "__name__", "macro")
    call.__doc__ = function.__doc__
    return call


def _as_key(value: Any) -> tuple[str, str]:
    # A relation or Markup is the SQL text it renders as; 1, 1.0, True and '1' stay apart.
    return ("str" if isinstance(value, str) else type(value).__name__, str(value))


class CrossDbMacros:
    """The macros for one project dialect (a sqlglot dialect name; ``""`` is sqlglot's generic SQL)."""

    def __init__(self, dialect: str) -> None:
        self._dialect = dialect

    def functions(self) -> dict[str, Any]:
        """``{macro name: callable}`` for the template globals (each remembers its results: a project
        calls ``type_string()`` or ``hash('id')`` in hundreds of models, and each call parses SQL)."""
        types = {name: (lambda spelled=spelled: self._sql(self._type(spelled))) for name, spelled in TYPES.items()}
        return {name: _remembered(function) for name, function in {
            **types, **{name: getattr(self, name + "_" if name in ("except", "hash", "cast") else name)
                        for name in MACROS}}.items()}

    # -- building blocks -------------------------------------------------------------------

    def _parse(self, sql: Any):
        import sqlglot

        text = str(sql).strip()
        try:
            return sqlglot.parse_one(text, read=self._dialect)
        except sqlglot.errors.ParseError as exc:
            raise CompileError(f"cannot read {text!r} as a SQL expression: {exc.errors[0]['description']}"
                               if exc.errors else f"cannot read {text!r} as a SQL expression") from None

    def _sql(self, tree) -> str:
        from sqlglot.errors import ErrorLevel, UnsupportedError

        try:
            return tree.sql(dialect=self._dialect, unsupported_level=ErrorLevel.RAISE)
        except UnsupportedError as exc:
            raise CompileError(f"{self._dialect or 'this dialect'} has no equivalent: {exc}",
                               hint="write this part without the macro, or use a target that supports it") from None

    def _type(self, name: str):
        from sqlglot import exp

        return exp.DataType.build(str(name), dialect=self._dialect)

    @staticmethod
    def _unit(datepart: Any):
        from sqlglot import exp

        return exp.var(str(datepart).strip().strip("'\"").upper())

    # -- dates -----------------------------------------------------------------------------

    def date_trunc(self, datepart: Any, date: Any) -> str:
        """``date_trunc('month', d)``: ``d`` truncated to the start of its month."""
        from sqlglot import exp

        return self._sql(exp.DateTrunc(this=self._parse(date), unit=exp.Literal.string(str(self._unit(datepart)))))

    def dateadd(self, datepart: Any, interval: Any, from_date_or_timestamp: Any) -> str:
        """``dateadd('day', 1, d)``: ``d`` plus ``interval`` dateparts."""
        from sqlglot import exp

        return self._sql(exp.DateAdd(this=self._parse(from_date_or_timestamp), expression=self._parse(interval),
                                     unit=self._unit(datepart)))

    def datediff(self, first_date: Any, second_date: Any, datepart: Any) -> str:
        """``datediff(a, b, 'day')``: dateparts from ``a`` to ``b`` (positive when ``b`` is later)."""
        from sqlglot import exp

        return self._sql(exp.DateDiff(this=self._parse(second_date), expression=self._parse(first_date),
                                      unit=self._unit(datepart)))

    def last_day(self, date: Any, datepart: Any) -> str:
        """``last_day(d, 'month')``: the last day of ``d``'s month (or quarter, year)."""
        start = self.date_trunc(datepart, date)
        return f"CAST({self.dateadd('day', -1, self.dateadd(datepart, 1, start))} AS {self.type_date()})"

    def type_date(self) -> str:
        """The DATE type."""
        return self._sql(self._type("date"))

    def date(self, year: Any, month: Any, day: Any) -> str:
        """``date(2024, 1, 31)``: a DATE literal."""
        return f"CAST('{int(year):04d}-{int(month):02d}-{int(day):02d}' AS {self.type_date()})"

    def current_timestamp(self) -> str:
        """The current timestamp."""
        from sqlglot import exp

        return self._sql(exp.CurrentTimestamp())

    # -- types and casts -------------------------------------------------------------------

    def safe_cast(self, field: Any, type: Any) -> str:  # noqa: A002 - dbt's argument name
        """``safe_cast(x, type_int())``: NULL where the cast fails."""
        from sqlglot import exp

        return self._sql(exp.TryCast(this=self._parse(field), to=self._type(type)))

    def cast_(self, field: Any, type: Any) -> str:  # noqa: A002 - dbt's argument name
        """``cast(x, type_string())``."""
        from sqlglot import exp

        return self._sql(exp.Cast(this=self._parse(field), to=self._type(type)))

    def cast_bool_to_text(self, field: Any) -> str:
        """A boolean as 'true' / 'false' text."""
        from sqlglot import exp

        value = self._parse(field)
        case = exp.Case(ifs=[exp.If(this=value, true=exp.Literal.string("true")),
                             exp.If(this=exp.Not(this=value.copy()), true=exp.Literal.string("false"))])
        return self._sql(case)

    # -- strings ---------------------------------------------------------------------------

    def concat(self, fields: Any) -> str:
        """``concat(['a', "'-'", 'b'])``: the fields joined (dbt's ``concat``)."""
        from sqlglot import exp

        items = list(fields) if isinstance(fields, (list, tuple)) else [fields]
        # CONCAT(...) as dbt's default spells it (its NULL handling is each engine's, as in dbt).
        return self._sql(exp.Anonymous(this="CONCAT", expressions=[self._parse(f) for f in items]))

    def hash_(self, field: Any) -> str:
        """``hash(x)``: the MD5 hex digest of ``x`` as text."""
        from sqlglot import exp

        return self._sql(exp.MD5(this=exp.Cast(this=self._parse(field), to=self._type("text"))))

    def split_part(self, string_text: Any, delimiter_text: Any, part_number: Any) -> str:
        """``split_part(s, "','", 2)``: the 2nd piece of ``s`` split at ','."""
        from sqlglot import exp

        return self._sql(exp.SplitPart(this=self._parse(string_text), delimiter=self._parse(delimiter_text),
                                       part_index=self._parse(part_number)))

    def listagg(self, measure: Any, delimiter_text: Any = "','", order_by_clause: Any = None,
                limit_num: Any = None) -> str:
        """``listagg(x, "', '", 'order by x')``: the group's values joined."""
        from sqlglot import exp

        if limit_num is not None:
            raise CompileError("listagg(..., limit_num=...) is not supported",
                               hint="limit the rows in a subquery before aggregating")
        this = self._parse(measure)
        if order_by_clause:
            order = self._parse(f"SELECT 1 {order_by_clause}").args.get("order")
            this = exp.Order(this=this, expressions=order.expressions) if order is not None else this
        return self._sql(exp.GroupConcat(this=this, separator=self._parse(delimiter_text)))

    def escape_single_quotes(self, expression: Any) -> str:
        """Text with each ``'`` doubled, to put inside a SQL string literal."""
        return str(expression).replace("'", "''")

    def string_literal(self, value: Any) -> str:
        """``string_literal('x')``: ``'x'`` as a SQL string literal."""
        from sqlglot import exp

        return self._sql(exp.Literal.string(str(value)))

    def length(self, expression: Any) -> str:
        """Characters in the text."""
        from sqlglot import exp

        return self._sql(exp.Length(this=self._parse(expression)))

    def position(self, substring_text: Any, string_text: Any) -> str:
        """1-based position of the substring (0 when absent)."""
        from sqlglot import exp

        return self._sql(exp.StrPosition(this=self._parse(string_text), substr=self._parse(substring_text)))

    def replace(self, field: Any, old_chars: Any, new_chars: Any) -> str:
        """``replace(x, "'a'", "'b'")``."""
        from sqlglot import exp

        return self._sql(exp.Anonymous(this="REPLACE", expressions=[self._parse(field), self._parse(old_chars),
                                                                    self._parse(new_chars)]))

    def right(self, string_text: Any, length_expression: Any) -> str:
        """The last ``n`` characters."""
        from sqlglot import exp

        return self._sql(exp.Right(this=self._parse(string_text), expression=self._parse(length_expression)))

    # -- aggregates ------------------------------------------------------------------------

    def any_value(self, expression: Any) -> str:
        """Any one value of the group."""
        from sqlglot import exp

        return self._sql(exp.AnyValue(this=self._parse(expression)))

    def bool_or(self, expression: Any) -> str:
        """True when the expression is true for any row of the group."""
        from sqlglot import exp

        return self._sql(exp.LogicalOr(this=self._parse(expression)))

    # -- arrays ----------------------------------------------------------------------------

    def array_construct(self, inputs: Any = (), data_type: Any = None) -> str:
        """``array_construct(['1', '2'])``: an array of the given expressions."""
        from sqlglot import exp

        items = [self._parse(i) for i in (inputs or ())]
        if not items and data_type:
            return self._sql(exp.Cast(this=exp.Array(expressions=[]), to=self._type(f"array<{data_type}>")))
        return self._sql(exp.Array(expressions=items))

    def array_append(self, array: Any, new_element: Any) -> str:
        """The array with one more element at the end."""
        from sqlglot import exp

        return self._sql(exp.ArrayAppend(this=self._parse(array), expression=self._parse(new_element)))

    def array_concat(self, array_1: Any, array_2: Any) -> str:
        """Two arrays, one after the other."""
        from sqlglot import exp

        return self._sql(exp.ArrayConcat(this=self._parse(array_1), expressions=[self._parse(array_2)]))

    # -- set operators ---------------------------------------------------------------------

    def except_(self) -> str:
        """``except`` (dbt's spelling of the set operator)."""
        return "except"

    def intersect(self) -> str:
        """``intersect``."""
        return "intersect"
