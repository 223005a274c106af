"""Random small faborite projects as plain data, rendered to files, and edits on them.

A :class:`ProjectSpec` is an immutable description of a project: 1-2 seeds,
0-1 CSV tables of a files source, and a DAG of models over them. Every model's
SQL is generated from its spec, so it is valid by construction: columns a model
reads are known to exist in its parents (edits only ever *add* columns, and a
revert swaps the whole spec at once).

Every node keeps at least one integer column, seeds hold no NULLs, joins are
inner joins and nothing computes a float, so ``not_null`` checks always pass and
two equal builds always compare equal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Union

from hypothesis import strategies as st

INT, TEXT = "int", "text"
Value = Union[int, str]

#: Folder defaults of the generated faborite.yml: models/ are views, models/sub/ tables.
FOLDER_DEFAULT = {"": "view", "sub": "table"}

# Letters without vowels: never a number, a boolean or a NULL marker to a CSV reader.
_TEXT = st.text(alphabet="bcdg", min_size=1, max_size=3)
_INT = st.integers(min_value=-3, max_value=6)


@dataclass(frozen=True)
class Filter:
    """``WHERE <column> <op> <value>`` on the model's first input."""

    column: str
    op: str
    value: Value


@dataclass(frozen=True)
class SeedSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, INT|TEXT); the first is ("id", INT)
    rows: tuple[tuple[Value, ...], ...]
    description: str = ""
    typed: bool = False  # declare column_types (cast in SQL) instead of letting the CSV reader infer


@dataclass(frozen=True)
class ModelSpec:
    name: str
    shape: str  # select | star | agg | join
    parents: tuple[str, ...]  # join: (left, right), possibly the same node twice
    picks: tuple[str, ...] = ()  # select/join: columns of parents[0] passed through
    picks_b: tuple[str, ...] = ()  # join: columns of parents[1], renamed <model>_<column>
    join_on: tuple[str, str] | None = None  # join: (int column of left, int column of right)
    group_by: str | None = None  # agg
    sum_of: str | None = None  # agg: an int column of the parent, or None
    filter: Filter | None = None
    added: tuple[tuple[str, str], ...] = ()  # (alias, int column of parents[0]) added by edits
    materialized: str = "view"  # the effective materialization
    config_in: str = "sql"  # where it is set: sql (config() call) | props (properties file) | folder (default)
    folder: str = ""  # "" (models/) or "sub" (models/sub/)
    description: str = ""
    check: str | None = None  # not_null | unique (agg) | sql | warn | fail (an error check failing on any row)
    schema: str | None = None  # config schema: publish as <schema>.<name> instead of main.<name>
    alias: str | None = None  # config alias: publish under another name
    style: int = 0  # cosmetic formatting variant (never changes the data)
    upper: bool = False  # write the aliases this model creates in upper case

    def relation_key(self) -> str:
        """Where it is published: ``schema.name``."""
        return f"{self.schema or 'main'}.{self.alias or self.name}"

    def aliases(self) -> dict[str, str]:
        """Output names this model invents -> how they are written in its SQL."""
        names = [a for a, _ in self.added]
        if self.shape == "agg":
            names += [f"n_{self.name}"] + ([f"s_{self.name}"] if self.sum_of else [])
        if self.shape == "join":
            names += [f"{self.name}_{c}" for c in self.picks_b]
        return {n: n.upper() if self.upper else n for n in names}


@dataclass(frozen=True)
class ProjectSpec:
    seeds: tuple[SeedSpec, ...]
    models: tuple[ModelSpec, ...]  # parents before children
    #: Tables of the files source ``raw``: CSV files under data/, read by models with source().
    sources: tuple[SeedSpec, ...] = ()

    # -- structure ------------------------------------------------------------------

    def node_names(self) -> list[str]:
        """The nodes apply builds and publishes."""
        return [s.name for s in self.seeds] + [m.name for m in self.models]

    def input_names(self) -> list[str]:
        """What a model can read: sources, seeds and models."""
        return [s.name for s in self.sources] + self.node_names()

    def is_source(self, name: str) -> bool:
        return any(s.name == name for s in self.sources)

    def live_views(self) -> set[str]:
        """Relations of views that read a source through views only: the files' data *now*, not a version."""
        live: set[str] = set()
        for m in self.models:
            if m.materialized == "view" and any(self.is_source(p) or p in live for p in m.parents):
                live.add(m.name)
        return {self.model(name).relation_key() for name in live}

    def model(self, name: str) -> ModelSpec:
        return next(m for m in self.models if m.name == name)

    def children(self, name: str) -> list[str]:
        return [m.name for m in self.models if name in m.parents]

    def descendants(self, name: str) -> set[str]:
        found: set[str] = set()
        todo = [name]
        while todo:
            for child in self.children(todo.pop()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def ancestors(self, name: str) -> set[str]:
        found: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            parents = self.model(current).parents if any(m.name == current for m in self.models) else ()
            for parent in parents:
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    def leaves(self) -> list[str]:
        return [m.name for m in self.models if not self.children(m.name)]

    def replace_model(self, new: ModelSpec) -> "ProjectSpec":
        return dataclasses.replace(self, models=tuple(new if m.name == new.name else m for m in self.models))

    def replace_seed(self, new: SeedSpec) -> "ProjectSpec":
        """Replace the seed or source table named ``new.name``."""
        return dataclasses.replace(self, seeds=tuple(new if s.name == new.name else s for s in self.seeds),
                                   sources=tuple(new if s.name == new.name else s for s in self.sources))

    def seed_or_source(self, name: str) -> SeedSpec:
        return next(s for s in self.seeds + self.sources if s.name == name)

    def schemas(self) -> dict[str, list[tuple[str, str]]]:
        """Every node's output columns (lower-case names) and types, parents first."""
        out: dict[str, list[tuple[str, str]]] = {s.name: list(s.columns) for s in self.seeds + self.sources}
        for m in self.models:
            a = dict(out[m.parents[0]])
            added = [(alias, INT) for alias, _ in m.added]
            if m.shape == "select":
                cols = [(c, a[c]) for c in m.picks]
            elif m.shape == "star":
                cols = list(out[m.parents[0]])
            elif m.shape == "agg":
                cols = [(m.group_by, a[m.group_by]), (f"n_{m.name}", INT)]
                cols += [(f"s_{m.name}", INT)] if m.sum_of else []
            else:
                b = dict(out[m.parents[1]])
                cols = [(c, a[c]) for c in m.picks] + [(f"{m.name}_{c}", b[c]) for c in m.picks_b]
            out[m.name] = cols + added
        return out

    def key(self) -> str:
        """Identity of the rendered files."""
        return hashlib.sha256(json.dumps(render_files(self), sort_keys=True).encode()).hexdigest()


# -- rendering ----------------------------------------------------------------------------

#: The ``targets:`` entry of the generated faborite.yml unless the caller gives another (a PostgreSQL one).
DUCKDB_TARGET = """\
  dev:
    type: duckdb
    path: .faborite/dev.duckdb
    threads: 1
"""

PROJECT_YML = """\
name: prop_project
threads: 1
targets:
{target}models:
  +materialized: view
  sub:
    +materialized: table
"""


def _kw(style: int, word: str) -> str:
    return word.upper() if style == 1 else word


def _ref(style: int, name: str, sources: frozenset[str]) -> str:
    if name in sources:
        forms = {0: "{{ source('raw', '%s') }}", 1: '{{ source("raw", "%s") }}', 2: "{{source('raw','%s')}}"}
        return forms[style] % name
    return {0: "{{ ref('%s') }}", 1: '{{ ref("%s") }}', 2: "{{ref('%s')}}"}[style] % name


def _literal(value: Value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def render_model_sql(m: ModelSpec, sources: frozenset[str] = frozenset(), schema_prefix: str = "") -> str:
    """The model's .sql file. ``style`` changes only whitespace, comments, keyword case and quotes."""
    s = m.style
    kw = lambda w: _kw(s, w)  # noqa: E731
    alias = m.aliases()
    q = "a." if m.shape == "join" else ""
    items: list[str] = []
    if m.shape == "select":
        items = [q + c for c in m.picks]
    elif m.shape == "star":
        items = ["*"]
    elif m.shape == "agg":
        items = [m.group_by, f"{kw('count')}(*) {kw('as')} {alias[f'n_{m.name}']}"]
        if m.sum_of:
            items.append(f"{kw('sum')}({m.sum_of}) {kw('as')} {alias[f's_{m.name}']}")
    else:
        items = [q + c for c in m.picks] + [f"b.{c} {kw('as')} {alias[f'{m.name}_{c}']}" for c in m.picks_b]
    for name, column in m.added:
        expression = f"{kw('max')}({column})" if m.shape == "agg" else f"{q}{column} * 2"
        items.append(f"{expression} {kw('as')} {alias[name]}")

    if m.shape == "join":
        source = (f"{_ref(s, m.parents[0], sources)} a {kw('join')} {_ref(s, m.parents[1], sources)} b "
                  f"{kw('on')} a.{m.join_on[0]} = b.{m.join_on[1]}")
    else:
        source = _ref(s, m.parents[0], sources)
    clauses = [f"{kw('from')} {source}"]
    if m.filter is not None:
        clauses.append(f"{kw('where')} {q}{m.filter.column} {m.filter.op} {_literal(m.filter.value)}")
    if m.shape == "agg":
        clauses.append(f"{kw('group by')} {m.group_by}")

    config = ""
    if m.config_in == "sql":
        quote = '"' if s == 1 else "'"
        args = [f"materialized={quote}{m.materialized}{quote}"]
        args += [f"schema={quote}{schema_prefix}{m.schema}{quote}"] if m.schema else []
        args += [f"alias={quote}{m.alias}{quote}"] if m.alias else []
        config = "{{ config(%s) }}\n" % ", ".join(args)
    if s == 0:
        body = kw("select") + "\n    " + ",\n    ".join(items) + "\n" + "\n".join(clauses) + "\n"
    elif s == 1:
        body = f"-- model {m.name}\n{kw('select')} " + ", ".join(items) + " " + " ".join(clauses) + "\n"
    else:
        body = (f"/* {m.name}: generated */\n\n{kw('select')}\t" + " ,\n\t".join(items) + "  \n\n"
                + "\n  ".join(clauses) + "\n\n")
    return config + body


def _yaml_str(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML strings


def _model_props(m: ModelSpec, schema: list[tuple[str, str]], schema_prefix: str = "") -> list[str]:
    lines = []
    if m.description:
        lines.append(f"    description: {_yaml_str(m.description)}")
    config = {"materialized": m.materialized} if m.config_in == "props" else {}
    if m.config_in != "sql":
        config.update({k: v for k, v in (("schema", m.schema and schema_prefix + m.schema), ("alias", m.alias)) if v})
    if config:
        lines.append("    config: {" + ", ".join(f"{k}: {v}" for k, v in config.items()) + "}")
    if m.check == "not_null":
        lines += ["    columns:", f"      - name: {schema[0][0]}", "        checks: [not_null]"]
    elif m.check == "unique":
        lines += ["    columns:", f"      - name: {m.group_by}", "        checks: [unique]"]
    elif m.check == "sql":
        lines += ["    checks:", "      - name: no_rows", "        sql: select * from {{ this }} where 1 = 0"]
    elif m.check == "warn":
        lines += ["    checks:", "      - name: always_warns", "        severity: warn",
                  "        sql: select * from {{ this }}"]
    elif m.check == "fail":
        lines += ["    checks:", "      - name: fails_on_any_row", "        sql: select * from {{ this }}"]
    return [f"  - name: {m.name}", *lines] if lines else []


def render_seed_csv(seed: SeedSpec) -> str:
    lines = [",".join(c for c, _ in seed.columns)]
    lines += [",".join(str(v) for v in row) for row in seed.rows]
    return "\n".join(lines) + "\n"


def render_files(project: ProjectSpec, target: str = DUCKDB_TARGET, schema_prefix: str = "") -> dict[str, str]:
    """Relative path -> text of every project file; ``target`` is the ``dev`` target's YAML entry.

    ``schema_prefix`` goes before every schema a model names (``mart``), as ``target`` puts it
    before ``main``: how a from-scratch build on a server whose schemas are global keeps off the
    machine's (tests/properties/harness.py, SharedCatalogTarget).
    """
    files = {"faborite.yml": PROJECT_YML.format(target=target)}
    seed_props = []
    for seed in project.seeds:
        files[f"seeds/{seed.name}.csv"] = render_seed_csv(seed)
        lines = []
        if seed.description:
            lines.append(f"    description: {_yaml_str(seed.description)}")
        if seed.typed:
            types = ", ".join(f"{c}: {'bigint' if t == INT else 'varchar'}" for c, t in seed.columns)
            lines.append(f"    config: {{column_types: {{{types}}}}}")
        if lines:
            seed_props += [f"  - name: {seed.name}", *lines]
    if seed_props:
        files["seeds/_seeds.yml"] = "seeds:\n" + "\n".join(seed_props) + "\n"
    if project.sources:
        tables = []
        for table in project.sources:
            files[f"data/{table.name}.csv"] = render_seed_csv(table)
            tables += [f"      - name: {table.name}", f"        path: data/{table.name}.csv",
                       "        options: {header: true}"]
        files["sources/raw.yml"] = "sources:\n  - name: raw\n    type: files\n    tables:\n" + "\n".join(tables) + "\n"
    source_names = frozenset(s.name for s in project.sources)
    schemas = project.schemas()
    props: dict[str, list[str]] = {}
    for m in project.models:
        path = f"models/{m.folder + '/' if m.folder else ''}{m.name}.sql"
        files[path] = render_model_sql(m, source_names, schema_prefix)
        props.setdefault(m.folder, []).extend(_model_props(m, schemas[m.name], schema_prefix))
    for folder, lines in props.items():
        if lines:
            files[f"models/{folder + '/' if folder else ''}_properties.yml"] = "models:\n" + "\n".join(lines) + "\n"
    return files


# -- strategies ----------------------------------------------------------------------------


@st.composite
def seed_specs(draw, name: str) -> SeedSpec:
    extra = draw(st.lists(st.sampled_from([INT, TEXT]), min_size=1, max_size=3))
    columns = (("id", INT),) + tuple((f"{name}_c{i}", t) for i, t in enumerate(extra))
    return SeedSpec(name=name, columns=columns, rows=draw(seed_rows(columns)),
                    description=draw(descriptions()), typed=draw(st.booleans()))


def seed_rows(columns: tuple[tuple[str, str], ...]):
    row = st.tuples(*[_INT if t == INT else _TEXT for _, t in columns])
    return st.lists(row, min_size=1, max_size=6).map(tuple)


def descriptions():
    return st.sampled_from(["", "", "Some rows.", "Rows: one per thing.", "ünïcode 描述"])


def _int_columns(schema: list[tuple[str, str]]) -> list[str]:
    return [c for c, t in schema if t == INT]


@st.composite
def filters(draw, schema: list[tuple[str, str]]) -> Filter:
    column, kind = draw(st.sampled_from(schema))
    if kind == INT:
        return Filter(column, draw(st.sampled_from([">", "<=", "<>"])), draw(_INT))
    return Filter(column, draw(st.sampled_from(["<>", ">="])), draw(_TEXT))


@st.composite
def _picks(draw, schema: list[tuple[str, str]], *, need_int: bool) -> tuple[str, ...]:
    names = [c for c, _ in schema]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    ints = _int_columns(schema)
    if need_int and not set(chosen) & set(ints):
        chosen.append(draw(st.sampled_from(ints)))
    return tuple(c for c in names if c in chosen)  # parent order


@st.composite
def model_specs(draw, name: str, project: ProjectSpec) -> ModelSpec:
    """A new model over nodes of ``project``."""
    schemas = project.schemas()
    nodes = project.input_names()
    shape = draw(st.sampled_from(["select", "select", "star", "agg", "join", "join"]))
    first = draw(st.sampled_from(nodes))
    a = schemas[first]
    spec: dict = dict(name=name, shape=shape, parents=(first,))
    if shape == "select":
        spec["picks"] = draw(_picks(a, need_int=True))
    elif shape == "agg":
        spec["group_by"] = draw(st.sampled_from([c for c, _ in a]))
        spec["sum_of"] = draw(st.none() | st.sampled_from(_int_columns(a)))
    elif shape == "join":
        second = draw(st.sampled_from(nodes))
        b = schemas[second]
        spec["parents"] = (first, second)
        spec["picks"] = draw(_picks(a, need_int=True))
        spec["picks_b"] = draw(_picks(b, need_int=False))
        spec["join_on"] = (draw(st.sampled_from(_int_columns(a))), draw(st.sampled_from(_int_columns(b))))
    if draw(st.booleans()):
        spec["filter"] = draw(filters(a))
    folder = draw(st.sampled_from(["", "sub"]))
    config_in = draw(st.sampled_from(["sql", "props", "folder"]))
    materialized = FOLDER_DEFAULT[folder] if config_in == "folder" else draw(st.sampled_from(["view", "table"]))
    check_options = [None, None, "not_null", "sql", "warn"] + (["unique"] if shape == "agg" else [])
    schema, alias = draw(relation_configs(name))
    return ModelSpec(**spec, folder=folder, config_in=config_in, materialized=materialized, schema=schema, alias=alias,
                     description=draw(descriptions()), check=draw(st.sampled_from(check_options)),
                     style=draw(st.integers(0, 2)), upper=draw(st.booleans()))


#: Every schema a generated project publishes in: the target's (``main``) and the one models may name.
SCHEMAS = ("main", "mart")


def relation_configs(name: str):
    """(schema, alias) a model is published under: main.<name> mostly."""
    return st.sampled_from([(None, None), (None, None), (None, None), ("mart", None), (None, f"{name}_v2"),
                            ("mart", f"{name}_v2")])


@st.composite
def projects(draw, min_models: int = 2, max_models: int = 6, max_sources: int = 1) -> ProjectSpec:
    """``max_sources=0``: no files source, for targets that cannot read files (PostgreSQL)."""
    n_seeds = draw(st.integers(1, 2))
    sources = tuple(dataclasses.replace(draw(seed_specs(f"r{i}")), description="", typed=False)
                    for i in range(draw(st.integers(0, max_sources))))
    project = ProjectSpec(seeds=tuple(draw(seed_specs(f"s{i}")) for i in range(n_seeds)), models=(),
                          sources=sources)
    for i in range(draw(st.integers(min_models, max_models))):
        model = draw(model_specs(f"m{i}", project))
        project = dataclasses.replace(project, models=project.models + (model,))
    return project


# -- edits -------------------------------------------------------------------------------------


def add_column(draw, project: ProjectSpec, name: str, alias: str) -> ProjectSpec:
    """Non-breaking: one more projection computed from an int column of the first parent."""
    m = project.model(name)
    source = draw(st.sampled_from(_int_columns(project.schemas()[m.parents[0]])))
    return project.replace_model(dataclasses.replace(m, added=m.added + ((alias, source),)))


def change_filter(draw, project: ProjectSpec, name: str) -> ProjectSpec:
    """Breaking: a different WHERE clause (or none, or a new one)."""
    m = project.model(name)
    new = draw(filters(project.schemas()[m.parents[0]]).filter(lambda f: f != m.filter)
               | (st.just(None) if m.filter is not None else st.nothing()))
    return project.replace_model(dataclasses.replace(m, filter=new))


def change_materialization(project: ProjectSpec, name: str) -> ProjectSpec:
    m = project.model(name)
    flipped = "table" if m.materialized == "view" else "view"
    if m.config_in == "folder":  # move the model to the other folder, whose default is the other one
        folder = next(f for f, mat in FOLDER_DEFAULT.items() if mat == flipped)
        return project.replace_model(dataclasses.replace(m, materialized=flipped, folder=folder))
    return project.replace_model(dataclasses.replace(m, materialized=flipped))


def cosmetic(draw, project: ProjectSpec, name: str) -> ProjectSpec:
    """Same data and metadata, different files: formatting, where the config is set, folder."""
    m = project.model(name)
    style = draw(st.integers(0, 2))
    places = ["sql", "props"] + (["folder"] if FOLDER_DEFAULT[m.folder] == m.materialized else [])
    config_in = draw(st.sampled_from(places))
    folder = m.folder
    if config_in != "folder" and draw(st.booleans()):
        folder = "sub" if m.folder == "" else ""
    return project.replace_model(dataclasses.replace(m, style=style, config_in=config_in, folder=folder))


def change_seed_rows(draw, project: ProjectSpec, name: str) -> ProjectSpec:
    """New rows for a seed or a source table."""
    seed = project.seed_or_source(name)
    rows = draw(seed_rows(seed.columns).filter(lambda r: r != seed.rows))
    return project.replace_seed(dataclasses.replace(seed, rows=rows))


def remove_model(project: ProjectSpec, name: str) -> ProjectSpec:
    assert not project.children(name)
    return dataclasses.replace(project, models=tuple(m for m in project.models if m.name != name))


def add_model(draw, project: ProjectSpec, name: str) -> ProjectSpec:
    return dataclasses.replace(project, models=project.models + (draw(model_specs(name, project)),))


@dataclass
class Names:
    """Fresh names for models and added columns, never reused within a run."""

    next_model: int = 100
    next_column: int = 0

    def model(self) -> str:
        self.next_model += 1
        return f"m{self.next_model}"

    def column(self) -> str:
        self.next_column += 1
        return f"add_{self.next_column}"
