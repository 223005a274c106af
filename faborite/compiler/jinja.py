"""Sandboxed Jinja for models: ref, source, config, var, env_var, this, target, macros.

The rest of dbt's Jinja context (``adapter``, ``return``, ``exceptions``,
cross-database macros, package namespaces ...) comes from :mod:`faborite.dbt`
and is installed when the environment is built.

Templates run in Jinja's immutable sandbox (no attribute access to Python
internals, no mutation of passed-in objects). The functions a template calls
record what they saw in a :class:`RenderRecord`; ``ref()`` and ``this``
render as placeholders that the compiler swaps for relation names once every
model's config (and so its schema) is known.
"""

from __future__ import annotations

import logging
import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faborite.dbt.project_facts import versioned_node
from faborite.compiler.jinja_errors import deepest_line, locate, macro_line, template_error
from faborite.errors import CompileError, FaboriteError, close_matches, did_you_mean, shorten_excerpt

if TYPE_CHECKING:
    from faborite.dbt.context import ProjectFacts

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
    #: Nodes whose columns ``adapter.get_columns_in_relation`` asked for before they were known: the
    #: compiler renders the template again once they are (see faborite.dbt.context).
    columns_wanted: list[str] = field(default_factory=list)
    #: The render read what other files decide (columns, schemas, aliases): never cached.
    uncacheable: bool = False


@dataclass(frozen=True)
class TargetInfo:
    """What ``{{ target }}`` exposes: name, type, dialect and default schema."""

    name: str
    type: str
    dialect: str
    schema: str
    database: str | None = None
    threads: int = 1

    @property
    def profile_name(self) -> str:
        """dbt's ``target.profile_name``: the target's name here."""
        return self.name

    def get(self, key: str, default: Any = None) -> Any:
        """``target.get('schema')``: dbt's target is a mapping too."""
        return getattr(self, key, default)

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


def current_node() -> str | None:
    """The node being rendered (its file's stem), None outside a render."""
    record = _current.get(None)
    return record.file.rsplit("/", 1)[-1].rsplit(".", 1)[0] if record is not None else None


def rendering_file() -> str | None:
    """The file whose render is under way (a model, a check's properties file, a macro file)."""
    record = _current.get(None)
    return record.file if record is not None else None


def current_config() -> dict[str, Any]:
    """What the render under way has set with ``config()`` so far."""
    record = _current.get(None)
    return dict(record.config) if record is not None else {}


def note_columns_wanted(node: str) -> None:
    """Remember that the render under way asked for ``node``'s columns before they were known."""
    record = _current.get(None)
    if record is not None and node not in record.columns_wanted:
        record.columns_wanted.append(node)


def note_uncacheable() -> None:
    """Mark the render under way as depending on other files (it is rendered anew each compile)."""
    record = _current.get(None)
    if record is not None:
        record.uncacheable = True


def columns_pending() -> bool:
    """Whether the render under way asked for columns not known yet (it will be rendered again)."""
    record = _current.get(None)
    return bool(record is not None and record.columns_wanted)


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
        facts: "ProjectFacts | None" = None,
        model_versions: dict[str, tuple[str, dict[str, str]]] | None = None,
        package_vars: dict[str, dict[str, Any]] | None = None,
        dbt_macros: bool = False,
    ) -> None:
        """``facts``: what the dbt context needs of the compile (relations, columns, dialect);
        ``model_versions``: ``{model: (latest node, {version: node})}`` for versioned refs;
        ``package_vars``: what ``var()`` sees in a dbt package's nodes, by package folder;
        ``dbt_macros``: macro files load as dbt's do (:mod:`faborite.compiler.macro_faults`)."""
        self._node_names = node_names
        self._resolve_source = resolve_source
        self._vars = project_vars
        self._package_vars = package_vars or {}
        self._environ = dict(os.environ) if environ is None else environ  # a given mapping may record reads
        self._target = target
        self._macro_files = macro_files
        self._facts = facts
        self._versions = model_versions or {}
        self._env = None
        self._package_scopes: dict[str, dict[str, Any]] = {}
        self._dbt_macros = dbt_macros
        #: Built-ins the project's own macros replace: the static fast path leaves them to Jinja.
        self._overridden = _overrides(macro_files) if dbt_macros else frozenset()
        self._compiled: dict[tuple[str, str, bool], Any] = {}

    @property
    def env(self):
        """The sandboxed Jinja environment with macros loaded (built on first use: the
        static fast path needs neither, and importing Jinja is not free)."""
        if self._env is None:
            import jinja2

            from faborite.compiler.jinja_limits import LimitedSandbox

            from faborite.dbt.context import FILTERS, ConfigCall, ProjectFacts
            from faborite.dbt.macros import ReturningMacro
            from faborite.dbt.relation import ThisRelation

            env = LimitedSandbox(
                undefined=jinja2.StrictUndefined,
                autoescape=False,
                keep_trailing_newline=True,
                extensions=["jinja2.ext.do"],
            )
            env.macro_class = ReturningMacro
            env.filters.update({name: f for name, f in FILTERS.items()})
            self._facts = self._facts or ProjectFacts()
            functions = dict(ref=self._ref, source=self._source, config=ConfigCall(self._config, lambda: _record().config), var=self._var,
                             env_var=self._env_var)
            env.globals.update(
                **functions, is_incremental=_is_incremental, target=self._target,
                this=ThisRelation(THIS_PLACEHOLDER, current_node, self._relation_read),
            )
            self._env = env
            self._compiled = {}  # templates are bound to the environment that compiled them
            try:
                self._load_macros(self._macro_files, functions)
            except BaseException:
                self._env = None
                raise
        return self._env

    def check_macros(self) -> None:
        """Load the macros (raising their errors) even if no template needed Jinja."""
        _ = self.env

    # -- functions templates call ------------------------------------------------

    def _relation_read(self, name: str) -> tuple[str | None, str, str]:
        """``_relation_of`` for a template reading ``this.schema``, ``ref('x').identifier`` ...: the
        answer depends on config outside the template, so the render is not cached."""
        note_uncacheable()
        return self._relation_of(name)

    def _relation_of(self, name: str) -> tuple[str | None, str, str]:
        if self._facts is not None and self._facts.relation_of is not None:
            return self._facts.relation_of(name)
        return None, self._target.schema, name

    def _ref(self, *args: str, v: Any = None, version: Any = None) -> str:
        if len(args) not in (1, 2) or not all(isinstance(a, str) for a in args):
            raise CompileError("ref() takes a model or seed name: ref('orders'), ref('package', 'orders')")
        name = versioned_node(self._versions, args[-1], version if version is not None else v)
        if name not in self._node_names:
            raise CompileError(
                f"ref({shorten_excerpt(repr(name))}) names no model or seed in this project",
                hint=best_match_hint(name, self._node_names) or "check the file name under models/ or seeds/",
            )
        _record().refs.append(name)
        if self._facts is None:  # the static path before the Jinja environment exists: text is enough
            return ref_placeholder(name)
        from faborite.dbt.relation import RelationText

        return RelationText(ref_placeholder(name), node=name, quote=self._facts.quote,
                            lookup=lambda: self._relation_read(name))

    def _source(self, *args: str) -> str:
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise CompileError("source() takes a source name and a table name: source('raw', 'orders')")
        source_name, table_name = args
        _record().sources.append((source_name, table_name))
        text = self._resolve_source(source_name, table_name)
        if self._facts is None:
            return text
        from faborite.dbt.relation import RelationText

        facts = self._facts
        return RelationText(text, source=(source_name, table_name), quote=facts.quote,
                            lookup=lambda: facts.source_relation(source_name, table_name))

    def _config(self, **kwargs: Any) -> str:
        record = _record()
        record.config.update(kwargs)
        where = _jinja_caller()
        if where is not None:
            record.config_at.update({key: list(where) for key in kwargs})
        return ""

    def _var(self, name: str, *default: Any) -> Any:
        known = self._vars
        if self._package_vars:  # a package's node sees the package's vars (dbt's scoping)
            from faborite.dbt.project_facts import macro_package

            record = _current.get(None)
            known = self._package_vars.get(macro_package(record.file) if record else None, known)
        # A copy: templates may append to lists and update dicts, never the project's own values.
        if name in known:
            return _plain_copy(known[name])
        if default:
            return default[0]  # var('x', None) is None, as in dbt
        raise CompileError(
            f"var({shorten_excerpt(repr(name))}) is not defined",
            hint=did_you_mean(name, known) or f"define it under 'vars:' in faborite.yml or give a default: var({name!r}, 'x')",
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

    def _load_macros(self, macro_files: list[tuple[str, str]], functions: dict[str, Any]) -> None:
        from faborite.dbt.context import build_globals
        from faborite.dbt.dbt_utils import FALLBACK_PACKAGES, answer_plan_time_queries
        from faborite.dbt.project_facts import macro_package

        by_package: dict[str | None, list[tuple[str, str]]] = {}
        for path, text in macro_files:
            by_package.setdefault(macro_package(path), []).append((path, text))
        root: dict[str, Any] = {}
        packages: dict[str, dict[str, Any]] = {name: {} for name in by_package if name is not None}
        fallbacks = {name: (lambda load=load: load(self._module_macros)) for name, load in FALLBACK_PACKAGES.items()}
        self.env.globals.update(build_globals(
            facts=self._facts, target=self._target, node_names=self._node_names, root_macros=root,
            packages=packages, fallbacks=fallbacks, functions=functions))
        package_globals = {name: {} for name in packages}
        for package, files in by_package.items():
            # The root's macros are globals; a package's see each other and the globals (dbt's lookup).
            scope = self.env.globals if package is None else package_globals[package]
            defined = root if package is None else packages[package]
            for path, text in files:
                if not self._dbt_macros:
                    self._define(path, text, scope, defined, check_builtins=package is None)
                    continue
                from faborite.compiler.macro_faults import BrokenMacro, broken_file_note, macro_names

                try:
                    self._define(path, text, scope, defined, check_builtins=package is None)
                except CompileError as error:  # the file's macros fail their callers, not the project
                    logging.getLogger("faborite").warning(broken_file_note(error))
                    for name in macro_names(text):
                        defined.setdefault(name, BrokenMacro(name, error))
        answer_plan_time_queries(packages, self._target.type,
                                 lambda: FALLBACK_PACKAGES["dbt_utils"](self._module_macros))
        for package, scope in package_globals.items():
            scope.update(self.env.globals)
            scope.update(packages[package])
        self.env.globals.update(root)
        self._package_scopes = package_globals  # a package's models see its macros unqualified too

    def _module_macros(self, path: str, text: str) -> dict[str, Any]:
        """The macros of one file compiled against the globals (faborite's own fallback macros)."""
        scope = dict(self.env.globals)
        defined: dict[str, Any] = {}
        self._define(path, text, scope, defined, check_builtins=False)
        scope.update(defined)
        return defined

    def _define(self, path: str, text: str, scope: dict[str, Any], defined: dict[str, Any], *,
                check_builtins: bool) -> None:
        """Run one macro file with ``scope`` as its globals; add its macros to ``defined``."""
        from jinja2.runtime import Macro

        template = self._compile(text, path)
        with _located_run(path):
            # The module's context reads the live scope (shared=True, not a copy), so a macro finds
            # every other macro when it is called, whichever file defines it and whatever order the
            # files load in (dbt's behaviour).
            # The module's own context, not make_module's: Jinja exports no `_name` macro, and dbt
            # packages define and call private ones (`dbt_utils._is_relation`).
            from jinja2.environment import TemplateModule

            context = template.new_context(vars=scope, shared=True)
            try:
                TemplateModule(template, context)
            except Exception:  # noqa: BLE001 - re-raised with template lines in the traceback
                self.env.handle_exception()
        for name, value in sorted(context.vars.items()):
            if not isinstance(value, Macro):
                continue
            if check_builtins and name in BUILTIN_NAMES and self._dbt_macros:
                from faborite.compiler.macro_faults import IGNORED_OVERRIDES, OVERRIDABLE, ignored_override_note

                if name in IGNORED_OVERRIDES:
                    logging.getLogger("faborite").warning(ignored_override_note(path, name))
                    continue
                if name not in OVERRIDABLE:
                    raise CompileError(f"macro {name!r} shadows the built-in {name}()", file=path,
                                       line=macro_line(text, name), hint="rename the macro")
            elif check_builtins and name in BUILTIN_NAMES:
                raise CompileError(f"macro {name!r} shadows the built-in {name}()", file=path,
                                   line=macro_line(text, name), hint="rename the macro")
            if name in defined:
                other = getattr(defined[name], "_faborite_file", "another file")
                raise CompileError(f"macro {name!r} is defined twice (also in {other})", file=path,
                                   line=macro_line(text, name), hint="macro names are global: rename one")
            value._faborite_file = path
            defined[name] = value

    def call_macro(self, name: str, path: str, *args: Any) -> str:
        """Call macro ``name`` (a naming hook) on behalf of the node at ``path``: its output, trimmed."""
        macro = self.env.globals[name]
        with _located_run(path):
            try:
                return str(macro(*args)).strip()
            except Exception:  # noqa: BLE001 - re-raised with template lines in the traceback
                self.env.handle_exception()

    def _compile(self, text: str, path: str, *, package_scope: bool = False):
        """``package_scope``: a package's model sees its own macros unqualified (dbt's lookup)."""
        import jinja2

        key = (text, path, package_scope)
        if key in self._compiled:
            # The same template twice: an incremental model's second render, a generic test used
            # on many columns of one properties file.
            return self._compiled[key]
        try:
            code = self.env.compile(text, name=path, filename=path)
        except jinja2.TemplateSyntaxError as exc:
            raise CompileError(f"Jinja syntax error: {shorten_excerpt(exc.message or '')}", file=path, line=exc.lineno,
                               hint="check that every {{ }} and {% %} is closed") from None
        except (RecursionError, SyntaxError, MemoryError):
            # Jinja's parser and code generator recurse per level, and Python refuses deeply
            # nested code: name the deepest spot instead of crashing.
            raise CompileError("template nested too deeply to compile", file=path, line=deepest_line(text),
                               hint="flatten the expression or the nested blocks (a macro or a {% set %} per "
                                    "level helps)") from None
        scope = self.env.globals
        if package_scope and self._package_scopes:
            from faborite.dbt.project_facts import macro_package

            scope = self._package_scopes.get(macro_package(path) or "", scope)
        template = self.env.template_class.from_code(self.env, code, scope, None)
        self._compiled[key] = template
        return template

    def render(self, text: str, path: str, *, incremental: bool = False) -> tuple[str, RenderRecord]:
        """Render one template; errors become CompileErrors located at ``path:line``.

        ``incremental``: what ``is_incremental()`` returns (an incremental model is rendered
        both ways: the full build and the incremental one).
        """
        fast = self.static_render(text, path)
        if fast is not None:
            return fast
        from faborite.compiler.jinja_limits import generate_limited
        from faborite.dbt import queries

        calls = self._calls_only(text, path)
        record = RenderRecord(file=path)
        token = _current.set(record)
        flag = _incremental.set(incremental)
        results = queries.fresh_results()
        try:
            if calls is not None:
                from faborite.compiler.jinja_calls import render_calls

                output = render_calls(self.env, calls, text, path)
                if output is not None:
                    return output, record
                # Jinja renders it again from scratch, for the result and the located error.
                record = RenderRecord(file=path)
                _current.set(record)
                queries.reset_results(results)
                results = queries.fresh_results()
            template = self._compile(text, path, package_scope=True)
            return generate_limited(template), record
        except FaboriteError as exc:
            raise locate(exc, path) from None
        except Exception as exc:  # noqa: BLE001
            raise template_error(exc, path) from None
        finally:
            queries.reset_results(results)
            _incremental.reset(flag)
            _current.reset(token)


    def _calls_only(self, text: str, path: str) -> list | None:
        """The tags of a template made only of calls with literal arguments (see
        :mod:`faborite.compiler.jinja_calls`), which render without compiling it; None otherwise."""
        from faborite.compiler.jinja_calls import calls_only

        calls = calls_only(text)
        if calls is None:
            return None
        _ = self.env  # macros loaded: a package's scopes are known
        if self._package_scopes:
            from faborite.dbt.project_facts import macro_package

            if macro_package(path) in self._package_scopes:
                return None  # a package's model resolves names in its own scope: Jinja's path does that
        return calls

    def static_render(self, text: str, path: str) -> tuple[str, RenderRecord] | None:
        """Render without Jinja when every tag is a plain call with literal arguments
        (:func:`faborite.compiler.jinja_static.static_render`); None: render through Jinja."""
        from faborite.compiler.jinja_static import static_render

        return static_render(self, text, path)


def _overrides(macro_files: list[tuple[str, str]]) -> frozenset[str]:
    """The dbt built-ins the project's own macro files define (``{% macro ref(...) %}``)."""
    from faborite.compiler.macro_faults import OVERRIDABLE, macro_names
    from faborite.dbt.project_facts import macro_package

    return frozenset(name for path, text in macro_files if macro_package(path) is None and "macro" in text
                     for name in macro_names(text) if name in OVERRIDABLE)


@contextmanager
def _located_run(path: str) -> Iterator[None]:
    """Run template code outside a model render (a macro file, a naming macro) under a fresh budget,
    with its errors located at ``path``'s lines."""
    from faborite.compiler.jinja_limits import render_budget

    token = _current.set(RenderRecord(file=path))
    try:
        with render_budget():
            yield
    except FaboriteError as exc:
        raise locate(exc, path) from None
    except Exception as exc:  # noqa: BLE001 - any template error becomes a located CompileError
        raise template_error(exc, path) from None
    finally:
        _current.reset(token)


def _plain_copy(value: Any) -> Any:
    """A deep copy as plain lists, dicts and sets (YAML's line-keeping subclasses are not buildable)."""
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(v) for v in value] if isinstance(value, list) else tuple(_plain_copy(v) for v in value)
    if isinstance(value, set):
        return set(value)
    return value


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
