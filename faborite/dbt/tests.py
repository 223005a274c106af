"""dbt tests as faborite checks: built-in, generic (``{% test %}`` blocks) and singular.

- Built-in tests (``not_null``, ``unique``, ``accepted_values``,
  ``relationships``) map to faborite's checks; dbt 1.10's ``arguments:``
  form and ``config:`` (``severity``) are read, ``where``, ``warn_if``,
  ``error_if``, ``store_failures`` and the like are ignored (counted).
- A generic test ``{% test name(model, column_name, ...) %}`` is, as in dbt,
  a macro named ``test_name``; using it in properties becomes a ``sql``
  check calling that macro on ``this``. A package's test
  (``dbt_utils.expression_is_true``) is found the same way among vendored
  package macros; one that is nowhere is skipped with a note, for that test only.
- A singular test (a ``.sql`` file under ``tests/`` or ``data-tests/``)
  returns failing rows: it becomes a check of the first node it refs, run
  before publish like every check.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from faborite.config.yaml_loader import LineList

BUILTIN = frozenset({"not_null", "unique", "accepted_values", "relationships"})
#: Options of the built-ins faborite reads; other options are dbt's (quote, where ...): dropped.
_BUILTIN_OPTIONS = frozenset({"values", "to", "field", "severity", "name"})
_TEST_BLOCK = re.compile(r"\{%-?\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_END_TEST = re.compile(r"\{%-?\s*endtest\s*-?%\}")
_TEST_MACRO = re.compile(r"\{%-?\s*macro\s+test_([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_CALL = re.compile(r"""^\s*(ref|source)\(.*\)\s*$""", re.S)
_REF = re.compile(r"""\bref\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]""")


def test_blocks_as_macros(text: str) -> str:
    """dbt's ``{% test name(...) %}...{% endtest %}`` as the macro dbt makes of it, ``test_name``."""
    if "test" not in text:
        return text
    text = _TEST_BLOCK.sub(lambda m: m.group(0).replace("test", "macro", 1).replace(m.group(1), "test_" + m.group(1), 1),
                           text)
    return _END_TEST.sub("{% endmacro %}", text)


def generic_test_names(macro_texts) -> set[str]:
    """Names of the generic tests the macro files define (``test_x`` macros, after conversion)."""
    names: set[str] = set()
    for text in macro_texts:
        names.update(_TEST_MACRO.findall(text))
    return names


def generic_tests(macro_files) -> dict[str, tuple[str | None, ...]]:
    """``{test: packages defining it}`` for the generic tests of ``(path, text)`` macro files
    (``test_x`` macros, after conversion); ``None`` stands for the root project."""
    from faborite.dbt.project_facts import macro_package

    found: dict[str, tuple[str | None, ...]] = {}
    for path, text in macro_files:
        for name in _TEST_MACRO.findall(text):
            found[name] = (*found.get(name, ()), macro_package(path))
    return found


@dataclass
class TestRewriter:
    """Rewrites a dbt ``tests:``/``data_tests:`` list into faborite checks."""

    #: ``{test: packages defining it}`` (``None``: the root project), from :func:`generic_tests`.
    generic: dict[str, tuple[str | None, ...]]
    dropped: Counter
    #: ``package.test`` names faborite has its own implementation of (a package not vendored).
    packaged: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    file: str = ""

    def __call__(self, items: list, node: Any, column: Any) -> list:
        out = LineList()
        out.line = getattr(items, "line", 0)
        lines = list(getattr(items, "item_lines", [])) or [out.line] * len(items)
        for item, line in zip(items, lines):
            check = self._one(item, node, column, line)
            if check is not None:
                out.append(check)
                out.item_lines.append(line)
        return out

    def _one(self, item: Any, node: Any, column: Any, line: int) -> Any:
        if isinstance(item, str):
            name, args = item, {}
        elif isinstance(item, dict) and "sql" not in item and len(item) >= 1:
            if "test_name" in item:  # dbt's long form: {name: x, test_name: unique, ...}
                name, args = item["test_name"], {k: v for k, v in item.items() if k != "test_name"}
            elif len(item) == 1:
                (name, args), = item.items()
                args = dict(args or {}) if isinstance(args, dict) else args
            else:
                return item  # let faborite's validation say what is wrong
        else:
            return item
        if not isinstance(args, dict):
            return item
        args, where, enabled = self._flatten(args)
        if not enabled:
            return None  # `config: {enabled: false}`: dbt does not run it
        short = name.split(".", 1)[1] if "." in name else name
        unquoted = name == "accepted_values" and str(args.get("quote", True)).lower() == "false"
        if name in BUILTIN and column and (where or unquoted or str(args.get("to", "")).strip().startswith("source(")):
            # What faborite's own checks cannot say (a `where:` filter, values as SQL (`quote: false`),
            # a source as parent): dbt's SQL.
            return builtin_as_sql(name, args, column, where)
        if name in BUILTIN:
            options = {k: v for k, v in args.items() if k in _BUILTIN_OPTIONS}
            for key in set(args) - _BUILTIN_OPTIONS:
                self.dropped[f"tests.{key}"] += 1
            return name if not options else {name: options}
        macro = self._macro(name, short)
        if macro is None and name in self.packaged:
            macro = f"{name.split('.', 1)[0]}.test_{short}"  # faborite's own version of the package's test
        if macro is not None:
            return self._generic(short, macro, args, node, column, where)
        where = f"{self.file}:{line}" if line else self.file
        self.notes.append(f"{where}: test {name!r} on {node}{'.' + column if column else ''} is skipped: "
                          f"no generic test {short!r} in the project's macros or vendored packages")
        return None

    def _flatten(self, args: dict) -> tuple[dict, str | None, bool]:
        """``(args, where, enabled)``: ``arguments:`` merged up; ``config:`` read for severity, ``where``
        and ``enabled``; the rest of dbt's test config counted."""
        args = dict(args)
        arguments = args.pop("arguments", None)
        if isinstance(arguments, dict):
            args = {**args, **arguments}
        config = args.pop("config", None) or {}
        where = args.pop("where", None) or (config.pop("where", None) if isinstance(config, dict) else None)
        enabled = args.pop("enabled", True) if "enabled" in args else (
            config.pop("enabled", True) if isinstance(config, dict) else True)
        for key in ("warn_if", "error_if", "store_failures", "store_failures_as", "limit",
                    "fail_calc", "tags", "meta", "enabled", "alias", "description", "database", "schema"):
            if key in args:
                self.dropped[f"tests.{key}"] += 1
                args.pop(key)
        if isinstance(config, dict):
            if "severity" in config:
                args["severity"] = config["severity"]
            for key in set(config) - {"severity"}:
                self.dropped[f"tests.config.{key}"] += 1
        if isinstance(args.get("severity"), str):
            args["severity"] = args["severity"].lower()
        return args, where if isinstance(where, str) and where.strip() else None, str(enabled).lower() != "false"

    def _macro(self, name: str, short: str) -> str | None:
        """The macro to call for test ``name``, as dbt finds it: ``pkg.x`` in that package (or, when no
        package of that name defines it, wherever it is); ``x`` in the root project, then a package.
        A package's macros are reachable only qualified, so its test is called as ``pkg.test_x``."""
        packages = self.generic.get(short)
        if not packages:
            return None
        wanted = name.split(".", 1)[0] if "." in name else None
        package = wanted if wanted in packages else (None if None in packages else packages[0])
        return f"test_{short}" if package is None else f"{package}.test_{short}"

    def _generic(self, short: str, macro: str, args: dict, node: Any, column: Any, where: str | None = None) -> dict:
        """The check calling ``macro`` (``[package.]test_<short>``); with ``where``, on the model's rows
        that match it (dbt's ``model`` is then that subquery)."""
        severity = args.pop("severity", None)
        label = args.pop("name", None) or (f"{short}({column})" if column else short)
        model = "this" if where is None else f"'(select * from ' ~ this ~ ' where ' ~ {where!r} ~ ') dbt_subquery'"
        call_args = [f"model={model}"] + ([f"column_name={column!r}"] if column else [])
        call_args += [f"{key}={jinja_literal(value)}" for key, value in args.items()]
        check = {"sql": "{{ " + macro + "(" + ", ".join(call_args) + ") }}", "name": label}
        if severity:
            check["severity"] = severity
        return check


def builtin_as_sql(name: str, args: dict, column: str, where: str | None) -> dict:
    """A built-in dbt test as the ``sql`` check dbt runs: for what faborite's own checks do not take
    (``where:``, ``relationships`` to a source). ``where`` filters the model's rows, as in dbt."""
    model = "{{ this }}" if where is None else f"(select * from {{{{ this }}}} where {where}) dbt_subquery"
    if name == "not_null":
        sql = f"select * from {model} where {column} is null"
    elif name == "unique":
        sql = f"select {column} from {model} where {column} is not null group by {column} having count(*) > 1"
    elif name == "accepted_values":
        quote = args.get("quote", True) is not False
        values = ", ".join("'" + str(v).replace("'", "''") + "'" if quote else str(v) for v in args.get("values") or ())
        sql = f"select {column} from {model} where {column} not in ({values or 'null'})"
    else:  # relationships
        field, parent = args.get("field") or column, str(args.get("to", "")).strip()
        sql = (f"select child.{column} from {model} as child left join {{{{ {parent} }}}} as parent "
               f"on child.{column} = parent.{field} where child.{column} is not null and parent.{field} is null")
    check = {"sql": sql, "name": args.get("name") or f"{name}({column})"}
    if args.get("severity"):
        check["severity"] = args["severity"]
    return check


def jinja_literal(value: Any) -> str:
    """A YAML value as a Jinja expression; ``ref('x')``/``source(...)`` strings are calls, as in dbt."""
    if isinstance(value, str) and _CALL.match(value):
        return value.strip()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{jinja_literal(k)}: {jinja_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(jinja_literal(v) for v in value) + "]"
    return repr(value)


def singular_test_target(text: str, nodes) -> str | None:
    """The node a singular test is attached to: the first it refs that exists."""
    for name in _REF.findall(text):
        if name in nodes:
            return name
    return None
