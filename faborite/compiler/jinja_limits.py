"""Bounds on what rendering one template may cost: output size, memory, time.

A model such as ``{{ 'a' * 10**10 }}`` would otherwise take gigabytes and
never finish. :class:`LimitedSandbox` is Jinja's immutable sandbox with every
operation that can build a large value checked *before* it runs:

- ``*``, ``**``, ``+`` and ``%`` (string formatting) are intercepted
  (``call_binop``), so they are also never constant-folded at compile time;
- ``~`` (concatenation), the output of macros, ``{% set %}`` / ``{% call %}``
  / ``{% filter %}`` blocks, filters and methods of ``str``/``bytes``/``int``
  that take a size (``center``, ``join``, ``replace``, ``ljust``, ...);
- the template's output, measured while it is generated.

Time is checked on every call, attribute lookup, intercepted operator and
every 256 loop iterations (``for`` loops go through :func:`_loop`), so a
template with no output (``{% for i in range(10**5) %}{% for j in range(10**5)
%}{% endfor %}{% endfor %}``) stops too. ``range()`` is limited to
``MAX_RANGE`` (100,000) items by Jinja's sandbox.

Going over a limit raises :class:`CompileError`; the renderer locates it at
the template line that was running.
"""

from __future__ import annotations

import functools
import re
import string
import time
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from faborite.errors import CompileError

#: Characters one template may render, and the size (characters or items) of any one value it builds.
MAX_OUTPUT_CHARS = 10 * 1024 * 1024
#: Characters and items one render may build in total (strings, lists, macro output): bounds memory.
MAX_BUILT_CHARS = 256 * 1024 * 1024
#: Wall-clock seconds one template (a model, a custom check, a macro file) may take to render.
MAX_SECONDS = 10.0
#: Bits of an integer built with ``*`` or ``**``.
MAX_INT_BITS = 100_000

HINT = "templates are limited to {mb} MB of output, {built} MB built in total and {seconds:g} s per file"

_LOOP_FILTER = "__faborite_loop"
_CONCAT_FILTER = "__faborite_concat"
#: ``str``/``bytes`` methods whose result grows with an argument.
_SIZED_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "join", "replace", "translate",
                            "to_bytes"})
#: Filters whose integer arguments are sizes of the result.
_SIZED_FILTERS = frozenset({"center", "indent", "batch", "slice", "truncate", "wordwrap"})
#: Methods that grow a list, dict or set in place: allowed (macros build lists and dicts, as in dbt),
#: with the result's size checked first. Values passed into templates are copies (see ``var()``).
_BUILD_METHODS = frozenset({"append", "extend", "insert", "update", "pop", "setdefault", "add", "remove",
                            "clear", "sort", "reverse"})
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class _Budget:
    """What one render has used so far."""

    __slots__ = ("deadline", "built")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.built = 0


_budget: ContextVar[_Budget | None] = ContextVar("faborite_render_budget", default=None)


def limit_error(what: str) -> CompileError:
    """The error for a template that went over a limit (located later by the renderer)."""
    return CompileError(
        f"template too expensive: {what}",
        hint=HINT.format(mb=MAX_OUTPUT_CHARS // 2**20, built=MAX_BUILT_CHARS // 2**20, seconds=MAX_SECONDS),
    )


@contextmanager
def render_budget() -> Iterator[None]:
    """Start a fresh budget (time, memory) for one template render."""
    token = _budget.set(_Budget())
    try:
        yield
    finally:
        _budget.reset(token)


def tick() -> None:
    """Refuse to go on once the render's time is up."""
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise limit_error(f"rendering took longer than {MAX_SECONDS:g} s")


def check_size(size: int, what: str = "a value", *, count: bool = True) -> None:
    """Refuse a value of ``size`` characters/items before it is built; count it against the budget."""
    if size > MAX_OUTPUT_CHARS:
        raise limit_error(f"{what} of {size:,} characters or items (the limit is {MAX_OUTPUT_CHARS:,})")
    budget = _budget.get()
    if budget is not None and count:
        budget.built += size
        if budget.built > MAX_BUILT_CHARS:
            raise limit_error(f"more than {MAX_BUILT_CHARS:,} characters built in total")
        if time.monotonic() > budget.deadline:
            raise limit_error(f"rendering took longer than {MAX_SECONDS:g} s")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else 0


def _checked(value: Any, what: str = "a value", *, count: bool = True) -> Any:
    check_size(_size(value), what, count=count)
    return value


def limited_join(parts: Iterable[Any]) -> str:
    """``"".join(parts)`` with the size checked first (macro output, blocks, ``~``)."""
    pieces = [p if isinstance(p, str) else str(p) for p in parts]
    check_size(sum(map(len, pieces)), "a string")
    return "".join(pieces)


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise limit_error(f"an integer of about {bits:,} bits (the limit is {MAX_INT_BITS:,})")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if _size_of_sequence(seq) is not None and isinstance(count, int):
                check_size(_size_of_sequence(seq) * max(count, 0), "a repeated value")
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(left.bit_length() + right.bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_int_bits(right * left.bit_length())
    elif operator == "+":
        if _size_of_sequence(left) is not None and _size_of_sequence(right) is not None:
            check_size(_size_of_sequence(left) + _size_of_sequence(right), "a joined value")
    elif operator == "%" and isinstance(left, (str, bytes)):
        text = left if isinstance(left, str) else left.decode("latin-1")
        _check_percent_format(text, right)


def _size_of_sequence(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _check_percent_format(text: str, args: Any) -> None:
    """``'%999999999s' % x`` builds a huge string: check the widths and precisions first."""
    total = len(text)
    star = False
    for match in _PERCENT_FIELD.finditer(text):
        for number in match.groups():
            if number == "*":
                star = True
            elif number:
                total += int(number) if len(number) < 12 else MAX_OUTPUT_CHARS + 1
    if star:
        values = args if isinstance(args, tuple) else (args,)
        total += sum(v for v in values if isinstance(v, int) and v > 0)
    check_size(total, "a formatted string")


def _check_format_spec(text: str, args: tuple, kwargs: dict) -> None:
    """``'{:999999999}'.format(x)``: check widths in the format string (and nested ones in the arguments)."""
    total = len(text)
    nested = False
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # format() itself reports the malformed string
    for _, _, spec, _ in fields:
        if spec:
            nested = nested or "{" in spec
            total += sum(int(n) if len(n) < 12 else MAX_OUTPUT_CHARS + 1 for n in re.findall(r"\d+", spec))
    if nested:
        total += sum(v for v in (*args, *kwargs.values()) if isinstance(v, int) and v > 0)
    check_size(total, "a formatted string")


def _check_method_call(method: Any, args: tuple, kwargs: dict) -> None:
    """Size checks for builtin methods whose result grows with an argument."""
    owner = getattr(method, "__self__", None)
    if isinstance(owner, (list, dict, set)):
        if method.__name__ in ("extend", "update") and args:
            check_size(len(owner) + _size(args[0]) + len(kwargs), "a built list or dict")
        elif method.__name__ in ("append", "insert", "add", "setdefault"):
            check_size(len(owner) + 1, "a built list or dict")
        return
    if not isinstance(owner, (str, bytes, int)) or isinstance(owner, bool):
        return
    name = method.__name__
    if name not in _SIZED_METHODS:
        return
    ints = [v for v in (*args, *kwargs.values()) if isinstance(v, int)]
    if any(v > MAX_OUTPUT_CHARS for v in ints):
        raise limit_error(f"{name}() with a size of {max(ints):,} (the limit is {MAX_OUTPUT_CHARS:,})")
    if name == "join" and args:
        items = list(args[0]) if not isinstance(args[0], (list, tuple)) else args[0]
        check_size(sum(_size(i) for i in items) + len(owner) * max(len(items) - 1, 0), "a joined string")
        return
    if name == "replace" and len(args) >= 2:
        check_size(_replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count")),
                   "a replaced string")
    elif name == "expandtabs":
        tab = ints[0] if ints else 8
        check_size(len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * max(tab, 0),
                   "an expanded string")
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((_size(v) for v in args[0].values()), default=1)
        check_size(len(owner) * max(longest, 1), "a translated string")


def _replace_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    if not isinstance(text, (str, bytes)) or not isinstance(old, type(text)):
        return 0
    occurrences = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * len(str(new))


def _filter_precheck(name: str, value: Any, rest: tuple, kwargs: dict) -> tuple:
    """Refuse a filter call whose result would be too big; returns ``rest`` (a consumed iterator replaced)."""
    sizes = [v for v in (*rest, *kwargs.values()) if isinstance(v, int) and not isinstance(v, bool)]
    if name in _SIZED_FILTERS and any(v > MAX_OUTPUT_CHARS for v in sizes):
        raise limit_error(f"the {name} filter with a size of {max(sizes):,} (the limit is {MAX_OUTPUT_CHARS:,})")
    text = value if isinstance(value, str) else ""
    if name == "indent":
        width = (rest[0] if rest else kwargs.get("width", 4))
        width = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        check_size(len(text) + (text.count("\n") + 1) * max(width, 0), "an indented string")
    elif name == "wordwrap":
        wrapstring = rest[2] if len(rest) > 2 else kwargs.get("wrapstring") or "\n"
        check_size(len(text) * (1 + len(str(wrapstring))) if len(str(wrapstring)) > 2 else 0, "a wrapped string")
    elif name == "replace" and len(rest) >= 2:
        check_size(_replace_size(value, rest[0], rest[1], rest[2] if len(rest) > 2 else kwargs.get("count")),
                   "a replaced string")
    elif name == "format" and isinstance(value, str):
        _check_percent_format(value, tuple(rest) or kwargs)
    return rest


def _limited_filter(name: str, function: Any) -> Any:
    takes_context = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)  # keeps jinja_pass_arg: the filter is called the same way
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tick()
        lead = 1 if takes_context else 0
        if len(args) > lead:
            value, rest = args[lead], args[lead + 1:]
            rest = _filter_precheck(name, value, rest, kwargs)
            if name == "join" and value is not None:
                value = value if isinstance(value, (str, bytes)) else list(value)
                separator = str(rest[0] if rest else kwargs.get("d", ""))
                attribute = rest[1] if len(rest) > 1 else kwargs.get("attribute")
                items = 0 if attribute is not None else sum(len(str(i)) for i in value)
                check_size(items + len(separator) * max(len(value) - 1, 0), "a joined string")
            args = (*args[:lead], value, *rest)
        return _checked(function(*args, **kwargs), f"the result of the {name} filter")

    return wrapper


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates: the same items, with the clock checked every 256."""
    for index, item in enumerate(iterable):
        if not index & 255:
            tick()
        yield item


class _Transformer(NodeTransformer):
    """Route ``for`` loops and ``~`` through the limited helpers."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP_FILTER, [], [], None, None, lineno=node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT_FILTER, [], [], None, None,
                            lineno=node.lineno)


class _CodeGenerator(CodeGenerator):
    def macro_def(self, macro_ref: Any, frame: Any) -> None:
        # Jinja's own, building the macro with the environment's class (dbt's ``return()`` needs its
        # own): the generated code names ``environment.macro_class`` where Jinja names ``Macro``.
        arg_tuple = ", ".join(repr(x.name) for x in macro_ref.node.args)
        name = getattr(macro_ref.node, "name", None)
        if len(macro_ref.node.args) == 1:
            arg_tuple += ","
        self.write(
            f"environment.macro_class(environment, macro, {name!r}, ({arg_tuple}),"
            f" {macro_ref.accesses_kwargs!r}, {macro_ref.accesses_varargs!r},"
            f" {macro_ref.accesses_caller!r}, context.eval_ctx.autoescape)"
        )

    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        _Transformer().visit(node)
        node.set_environment(self.environment)
        super().visit_Template(node, frame)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with output, memory and time limits (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CodeGenerator
    #: The class every ``{% macro %}`` is built with (see :class:`_CodeGenerator`).
    macro_class: type = Macro
    concat = staticmethod(limited_join)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP_FILTER] = _loop
        self.filters[_CONCAT_FILTER] = limited_join
        self.globals.pop("lipsum", None)  # lipsum(n=10**9) is a bomb, and SQL has no use for it

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        tick()
        _check_binop(operator, left, right)
        return _checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        builtin = isinstance(__obj, (types.BuiltinMethodType, types.MethodWrapperType))
        if builtin:
            _check_method_call(__obj, args, kwargs)
        # Macro output was counted when it was joined; a builtin's result is new.
        return _checked(super().call(__context, __obj, *args, **kwargs), "a call's result", count=builtin)

    def is_safe_callable(self, obj: Any) -> bool:
        tick()
        return super().is_safe_callable(obj)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in _BUILD_METHODS and type(obj) in (list, dict, set):
            return SandboxedEnvironment.is_safe_attribute(self, obj, attr, value)
        if attr.startswith("_") and callable(getattr(obj, "exposes", None)) and obj.exposes(attr):
            return True  # a package's private macro (`dbt_utils._is_relation`), not a Python internal
        return super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Any:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        text = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_spec(text, args, args[0] if value.__name__ == "format_map" and args and
                               isinstance(args[0], dict) else kwargs)
            return _checked(wrapper(*args, **kwargs), "a formatted string")

        return checked


def generate_limited(template: Any) -> str:
    """Render ``template`` under a fresh budget, stopping once its output passes the limit.

    The error is thrown into the template at the point that produced too
    much, so it is located at that line.
    """
    pieces: list[str] = []
    total = 0
    with render_budget():
        stream = template.generate()
        for piece in stream:
            total += len(piece)
            pieces.append(piece)
            if total > MAX_OUTPUT_CHARS:
                stream.throw(limit_error(f"the output passed {MAX_OUTPUT_CHARS:,} characters"))
    return "".join(pieces)
