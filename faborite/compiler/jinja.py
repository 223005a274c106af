"""Sandboxed Jinja for models: ref, source, config, var, env_var, this, target, macros.

Templates run in Jinja's immutable sandbox (no attribute access to Python
internals, no mutation of passed-in objects). The functions a template calls
record what they saw in a :class:`RenderRecord`; ``ref()`` and ``this``
render as placeholders that the compiler swaps for relation names once every
model's config (and so its schema) is known.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import traceback
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from faborite.errors import CompileError, FaboriteError, close_matches, did_you_mean, shorten_excerpt

THIS_PLACEHOLDER = "__faborite_this__"
#: ``ref('x')`` renders as ``__faborite_ref_<hex of the UTF-8 name>__``. Hex has no ``_``, quote or dot,
#: so the placeholder ends at the first ``__`` whatever the name holds (``stg_shop__orders``, quotes,
#: unicode) and never runs into the text after it.
REF_PLACEHOLDER_PATTERN = re.compile(r"__faborite_ref_([0-9a-f]+)__|" + THIS_PLACEHOLDER)
#: Environment variables with this prefix hold secrets and may not reach SQL (they would land in state).
SECRET_ENV_PREFIX = "FABORITE_SECRET_"
BUILTIN_NAMES = frozenset({"ref", "source", "config", "var", "env_var", "this", "target", "is_incremental"})


def best_match_hint(word: str, candidates) -> str | None:
    """'did you mean ...?' naming only the names nearly as close as the closest one.

    ``stg_order`` suggests ``'stg_orders'`` alone, not also ``'orders'`` and ``'stg_customers'``.
    """
    matches = close_matches(word, candidates)
    if not matches:
        return None
    best = difflib.SequenceMatcher(None, word, matches[0]).ratio()
    near = [m for m in matches if difflib.SequenceMatcher(None, word, m).ratio() >= best - 0.1]
    return did_you_mean(word, near)


@dataclass
class RenderRecord:
    """What one template render called: refs, sources, config overrides."""

    file: str
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    env_vars: list[str] = field(default_factory=list)  # read by env_var(): the compile cache checks them
    #: Where each config() key was set, ``{key: [file, line]}``, when Jinja rendered the call (a
    #: macro may call config() for the model that calls it: a bad value is reported where it is written).
    config_at: dict[str, list] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetInfo:
    """What ``{{ target }}`` exposes: name, type, dialect and default schema."""

    name: str
    type: str
    dialect: str
    schema: str

    def __str__(self) -> str:
        return self.name


def ref_placeholder(name: str) -> str:
    """What ``ref(name)`` renders as until relation names are known (see REF_PLACEHOLDER_PATTERN)."""
    return f"__faborite_ref_{name.encode('utf-8').hex()}__"


def placeholder_name(match: re.Match) -> str | None:
    """The node name a REF_PLACEHOLDER_PATTERN match stands for (None for ``this``)."""
    return bytes.fromhex(match.group(1)).decode("utf-8") if match.group(1) else None


_current: ContextVar[RenderRecord] = ContextVar("faborite_render")
#: What ``is_incremental()`` answers in the render under way (see :meth:`TemplateContext.render`).
_incremental: ContextVar[bool] = ContextVar("faborite_is_incremental", default=False)


def _is_incremental() -> bool:
    return _incremental.get()


def _record() -> RenderRecord:
    return _current.get()


class TemplateContext:
    """Builds the sandboxed environment and renders model, check and macro templates."""

    def __init__(
        self,
        *,
        node_names: set[str],
        resolve_source: Callable[[str, str], str],
        project_vars: dict[str, Any],
        target: TargetInfo,
        macro_files: list[tuple[str, str]],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._node_names = node_names
        self._resolve_source = resolve_source
        self._vars = project_vars
        self._environ = dict(os.environ) if environ is None else environ  # a given mapping may record reads
        self._target = target
        self._macro_files = macro_files
        self._env = None

    @property
    def env(self):
        """The sandboxed Jinja environment with macros loaded (built on first use: the
        static fast path needs neither, and importing Jinja is not free)."""
        if self._env is None:
            import jinja2

            from faborite.compiler.jinja_limits import LimitedSandbox

            env = LimitedSandbox(
                undefined=jinja2.StrictUndefined,
                autoescape=False,
                keep_trailing_newline=True,
            )
            env.globals.update(
                ref=self._ref, source=self._source, config=self._config, var=self._var,
                env_var=self._env_var, is_incremental=_is_incremental, target=self._target,
                this=THIS_PLACEHOLDER,
            )
            self._env = env
            try:
                self._load_macros(self._macro_files)
            except BaseException:
                self._env = None
                raise
        return self._env

    def check_macros(self) -> None:
        """Load the macros (raising their errors) even if no template needed Jinja."""
        _ = self.env

    # -- functions templates call ------------------------------------------------

    def _ref(self, *args: str) -> str:
        if len(args) not in (1, 2) or not all(isinstance(a, str) for a in args):
            raise CompileError("ref() takes a model or seed name: ref('orders')")
        name = args[-1]
        if name not in self._node_names:
            raise CompileError(
                f"ref({shorten_excerpt(repr(name))}) names no model or seed in this project",
                hint=best_match_hint(name, self._node_names) or "check the file name under models/ or seeds/",
            )
        _record().refs.append(name)
        return ref_placeholder(name)

    def _source(self, *args: str) -> str:
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise CompileError("source() takes a source name and a table name: source('raw', 'orders')")
        source_name, table_name = args
        _record().sources.append((source_name, table_name))
        return self._resolve_source(source_name, table_name)

    def _config(self, **kwargs: Any) -> str:
        record = _record()
        record.config.update(kwargs)
        where = _jinja_caller()
        if where is not None:
            record.config_at.update({key: list(where) for key in kwargs})
        return ""

    def _var(self, name: str, default: Any = None) -> Any:
        if name in self._vars:
            return self._vars[name]
        if default is not None:
            return default
        raise CompileError(
            f"var({shorten_excerpt(repr(name))}) is not defined",
            hint=did_you_mean(name, self._vars) or f"define it under 'vars:' in faborite.yml or give a default: var({name!r}, 'x')",
        )

    def _env_var(self, name: str, default: Any = None) -> Any:
        if name.startswith(SECRET_ENV_PREFIX):
            raise CompileError(
                f"env_var({name!r}): secret variables cannot be used in SQL",
                hint="rendered SQL is stored in state and plan files; a secret belongs to the connection that "
                     "needs it (e.g. a sql source's url_env), never to SQL (see docs/secrets.md)",
            )
        _record().env_vars.append(name)
        if name in self._environ:
            return self._environ[name]
        if default is not None:
            return default
        raise CompileError(f"environment variable {name!r} is not set", hint=f"export {name}=... or give a default")

    # -- macros and rendering ----------------------------------------------------

    def _load_macros(self, macro_files: list[tuple[str, str]]) -> None:
        from jinja2.runtime import Macro

        from faborite.compiler.jinja_limits import render_budget

        defined: dict[str, str] = {}
        for path, text in macro_files:
            template = self._compile(text, path)
            _current.set(RenderRecord(file=path))
            try:
                # The module's context reads the live globals (shared=True, not a copy), so a
                # macro finds every other macro when it is called, whichever file defines it
                # and whatever order the files load in (dbt's behaviour).
                with render_budget():
                    try:
                        module = template.make_module(vars=self.env.globals, shared=True)
                    except Exception:  # noqa: BLE001 - re-raised with template lines in the traceback
                        self.env.handle_exception()
            except FaboriteError as exc:
                raise _locate(exc, path) from None
            except Exception as exc:  # noqa: BLE001 - any template error becomes a located CompileError
                raise _template_error(exc, path) from None
            for name in dir(module):
                value = getattr(module, name)
                if not isinstance(value, Macro):
                    continue
                if name in BUILTIN_NAMES:
                    raise CompileError(f"macro {name!r} shadows the built-in {name}()", file=path,
                                       line=_macro_line(text, name), hint="rename the macro")
                if name in defined:
                    raise CompileError(f"macro {name!r} is defined twice (also in {defined[name]})", file=path,
                                       line=_macro_line(text, name), hint="macro names are global: rename one")
                defined[name] = path
                self.env.globals[name] = value

    def _compile(self, text: str, path: str):
        import jinja2

        try:
            code = self.env.compile(text, name=path, filename=path)
        except jinja2.TemplateSyntaxError as exc:
            raise CompileError(f"Jinja syntax error: {shorten_excerpt(exc.message or '')}", file=path, line=exc.lineno,
                               hint="check that every {{ }} and {% %} is closed") from None
        except (RecursionError, SyntaxError, MemoryError):
            # Jinja's parser and code generator recurse per level, and Python refuses deeply
            # nested code: name the deepest spot instead of crashing.
            raise CompileError("template nested too deeply to compile", file=path, line=_deepest_line(text),
                               hint="flatten the expression or the nested blocks (a macro or a {% set %} per "
                                    "level helps)") from None
        return self.env.template_class.from_code(self.env, code, self.env.globals, None)

    def render(self, text: str, path: str, *, incremental: bool = False) -> tuple[str, RenderRecord]:
        """Render one template; errors become CompileErrors located at ``path:line``.

        ``incremental``: what ``is_incremental()`` returns (an incremental model is rendered
        both ways: the full build and the incremental one).
        """
        fast = self._static_render(text, path)
        if fast is not None:
            return fast
        from faborite.compiler.jinja_limits import generate_limited

        template = self._compile(text, path)
        record = RenderRecord(file=path)
        token = _current.set(record)
        flag = _incremental.set(incremental)
        try:
            return generate_limited(template), record
        except FaboriteError as exc:
            raise _locate(exc, path) from None
        except Exception as exc:  # noqa: BLE001
            raise _template_error(exc, path) from None
        finally:
            _incremental.reset(flag)
            _current.reset(token)


    def _static_render(self, text: str, path: str) -> tuple[str, RenderRecord] | None:
        """Render without Jinja when every tag is a plain call with literal arguments.

        Most models only use ``{{ ref('x') }}``, ``{{ source('a', 'b') }}``,
        ``{{ var('x') }}``, ``{{ this }}`` and ``{{ config(k=literal) }}``;
        compiling each through Jinja costs milliseconds (dbt's static parser
        exists for the same reason). Anything else, and every error, goes
        through Jinja, so results and messages are identical.
        """
        if "{%" in text or "{#" in text:
            return None
        matches = list(_EXPRESSION.finditer(text))
        if text.count("{{") != len(matches) or text.count("}}") != len(matches):
            return None  # unbalanced delimiters: Jinja reports the syntax error
        record = RenderRecord(file=path)
        token = _current.set(record)
        try:
            parts, position = [], 0
            for match in matches:
                value = self._static_value(match.group(1))
                if value is None:
                    return None
                parts += [text[position:match.start()], value]
                position = match.end()
            parts.append(text[position:])
            return "".join(parts), record
        except Exception:  # noqa: BLE001 - let the Jinja path produce the located error
            return None
        finally:
            _current.reset(token)

    def _static_value(self, expression: str) -> str | None:
        if "\\" in expression:
            return None
        try:
            node = ast.parse(expression.strip(), mode="eval").body
        except SyntaxError:
            return None
        if isinstance(node, ast.Name) and node.id == "this":
            return THIS_PLACEHOLDER
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return None
        name = node.func.id
        if name in ("ref", "source", "var") and not node.keywords and all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args):
            function = {"ref": self._ref, "source": self._source, "var": self._var}[name]
            return str(function(*(a.value for a in node.args)))
        if name == "config" and not node.args:
            kwargs = {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    return None
                value = ast.literal_eval(keyword.value)  # ValueError (not a literal) -> Jinja path
                if _has_python_only_literal(keyword.value):
                    return None
                kwargs[keyword.arg] = value
            return self._config(**kwargs)
        return None


def _jinja_caller() -> tuple[str, int] | None:
    """The template file and line of the innermost template frame calling us (None outside Jinja)."""
    import sys

    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            return template.filename, template.get_corresponding_lineno(frame.f_lineno)
        frame = frame.f_back
    return None


def _has_python_only_literal(node: ast.AST) -> bool:
    """Literals Jinja reads differently (True/None are fine; sets, bytes, complex are not Jinja)."""
    return any(isinstance(n, (ast.Set, ast.BinOp, ast.UnaryOp)) or
               (isinstance(n, ast.Constant) and isinstance(n.value, (bytes, complex)))
               for n in ast.walk(node))


_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


_BLOCK_TAG = re.compile(r"\{%-?\s*(end)?(if|for|macro|call|filter|set|with|block|raw)\b")
_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def _deepest_line(text: str) -> int:
    """The line where brackets and blocks nest deepest, else the line of the longest tag."""
    steps = [(m.start(), -1 if m.group(1) else 1) for m in _BLOCK_TAG.finditer(text)]
    brackets = _DELIMITERS.sub(lambda m: "  ", text)  # same positions, Jinja's own braces removed
    steps += [(m.start(), 1 if m.group(0) in "([{" else -1) for m in re.finditer(r"[()\[\]{}]", brackets)]
    depth = deepest = position = 0
    for at, step in sorted(steps):
        depth += step
        if depth > deepest:
            deepest, position = depth, at
    if deepest >= 20:
        return text.count("\n", 0, position) + 1
    longest = max(_TAG.finditer(text), key=lambda m: len(m.group(0)), default=None)
    return text.count("\n", 0, longest.start()) + 1 if longest else 1


def _macro_line(text: str, name: str) -> int | None:
    match = re.search(r"{%-?\s*macro\s+" + re.escape(name) + r"\b", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _template_line(exc: BaseException, default_file: str) -> tuple[str, int | None]:
    """The innermost project file and line in a Jinja-rewritten traceback."""
    file, line = default_file, None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.endswith(".sql") and not os.path.isabs(name):
            file, line = name, lineno
    return file, line


def _locate(exc: FaboriteError, path: str) -> FaboriteError:
    if exc.file is None:
        exc.file, exc.line = _template_line(exc, path)
    return exc


def _template_error(exc: Exception, path: str) -> CompileError:
    import jinja2

    file, line = _template_line(exc, path)
    if isinstance(exc, jinja2.UndefinedError):
        return CompileError(f"Jinja error: {shorten_excerpt(exc.message or '')}", file=file, line=line,
                            hint="define it with {% set %}, as a var(), or as a macro in macros/")
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return CompileError(f"Jinja sandbox refused: {shorten_excerpt(str(exc))}", file=file, line=line,
                            hint="templates cannot reach Python internals")
    if isinstance(exc, jinja2.TemplateError):
        return CompileError(f"Jinja error: {shorten_excerpt(str(exc))}", file=file, line=line)
    # Calling ref(), var(), ... wrongly is a TypeError naming our method: name the function as written.
    text = re.sub(r"\bTemplateContext\._(\w+)\(\)", r"\1()", str(exc))
    return CompileError(f"error while rendering: {type(exc).__name__}: {shorten_excerpt(text)}", file=file, line=line)
