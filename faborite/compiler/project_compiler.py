"""Project -> Manifest: render, parse, order, fingerprint. Pure: reads no database."""

from __future__ import annotations

import logging
import os
import re
from types import SimpleNamespace
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from typing import TYPE_CHECKING

from faborite import __version__
from faborite.compiler import fingerprint
from faborite.compiler.checks import check_sql, parse_custom_check
from faborite.compiler.dag import topological_order
from faborite.compiler.disabled import disabled_without_rendering
from faborite.compiler.ephemeral import cte_name, with_ctes
from faborite.compiler.line_offset import body_offset
from faborite.compiler.jinja import (
    REF_PLACEHOLDER_PATTERN, RenderRecord, TargetInfo, TemplateContext, best_match_hint, placeholder_name,
)
from faborite.compiler.cache import CompileCache, render_salt
from faborite.compiler.failures import Failures
from faborite.compiler.config_layers import data_config, line_of_call, line_of_ref, resolve_config
from faborite.compiler.contracts import compile_contract
from faborite.compiler.manifest import ColumnInfo, CompiledCheck, Manifest, Node, SeedInfo
from faborite.compiler.sources import SourceResolver
from faborite.compiler.syncs import sync_drafts
from faborite.compiler.parallel import map_maybe_parallel
from faborite.compiler.unique_relations import check_unique_relations
from faborite.config.loader import ModelFile, NodeDocEntry, Project
from faborite.config.node_config import ModelConfig, SeedConfig
from faborite.config.properties import CheckSpec, NodeDoc
from faborite.dbt.project_facts import (
    FALLBACK_NAMES, ProjectFacts, declared_columns, dispatch_orders, fallback_note, model_versions, seed_header, source_columns,
)
from faborite.dbt.packages import project_package_vars
from faborite.dbt.schema_names import default_functions, defined_hooks, node_for
from faborite.compiler.target_support import check_target_support
from faborite.errors import CompileError, ConfigError, FaboriteError
from faborite.relation import Relation

if TYPE_CHECKING:
    from faborite.compiler.analysis import SqlAnalysis
    from faborite.sync.snapshot import SourceSnapshot


def compile_project(project: Project, target: str | None = None, *, vars_override: dict[str, Any] | None = None,
                    environ: Mapping[str, str] | None = None, cache_dir: Path | None = None,
                    workers: int | None = None, sources_snapshot: "SourceSnapshot | None" = None) -> Manifest:
    """Compile every model, seed and source of ``project`` for ``target``.

    ``cache_dir`` enables the compile cache (see :mod:`faborite.compiler.cache`);
    ``workers`` bounds the processes used for cold work (default: one per core);
    ``sources_snapshot`` (from the refresh step) lists the tables syncs copy.
    """
    from faborite.config.targets import resolve_target
    from faborite.dialects import get_dialect

    # Not copied when given: a partial_parse.RecordingEnviron notes which variables the compile reads.
    environ = dict(os.environ) if environ is None else environ
    try:
        dialect = get_dialect(project.config.dialect)()
    except ConfigError as exc:
        exc.file, exc.line = exc.file or "faborite.yml", exc.line or project.config_line("dialect")
        raise
    # Compile against the target: its dialect and default schema decide names and what SQL it can run.
    resolved = resolve_target(project, target, environ=environ)
    info = TargetInfo(name=resolved.name, type=resolved.type, dialect=resolved.dialect_name, schema=resolved.schema)
    compilation = Compilation(project, dialect, info, {**project.config.vars, **(vars_override or {})},
                               environ, cache_dir, workers,
                               sources_snapshot)
    return compilation.run()


class Compilation:
    """One compile run; holds the in-between results so each step stays small."""

    def __init__(self, project: Project, dialect, target: TargetInfo, project_vars: dict[str, Any],
                 environ: Mapping[str, str], cache_dir: Path | None, workers: int | None,
                 snapshot: "SourceSnapshot | None" = None) -> None:
        self.project = project
        self.workers = workers
        self.dialect = dialect
        self.target = target
        from faborite.dialects import get_dialect

        self.target_dialect = get_dialect(target.dialect)()
        self.sources = SourceResolver(project, dialect, self.target_dialect, target.name)
        self.seed_relations: dict[str, Relation] = {}
        self.seed_configs: dict[str, SeedConfig] = {}
        for seed in project.seeds:
            config = resolve_config(SeedConfig(), seed.defaults, project.seed_docs.get(seed.name), {}, seed.path)
            if config.enabled:
                self.seed_configs[seed.name] = config
        self.model_names = {m.name for m in project.models}
        self.sync_drafts = sync_drafts(project, snapshot, target.schema) if project.syncs else {}
        self.sync_relations: dict[str, Relation] = {}
        for node_id, draft in self.sync_drafts.items():
            name = draft["name"]
            if name in self.model_names or name in self.seed_relations or name in self.sync_relations:
                raise CompileError(f"synced table {name!r} ({node_id}) has the name of another node",
                                   file=draft["file"], hint="exclude the table, or rename the model or seed")
            if draft["sync"]["format"] == "target":
                self.sync_relations[name] = Relation.parse(draft["relation"])
        macro_files = [(m.path, m.text) for m in project.macros]
        versions = model_versions(project)
        self.naming_hooks = defined_hooks(macro_files)
        self.dbt_default_names = default_functions(target)
        self.literal_schemas: set[str] = set()
        self._publishers: dict[str, str] | None = None
        self.models_by_name = {m.name: m for m in project.models}
        self.known_columns: dict[str, tuple[str, ...]] = declared_columns(project)
        facts = ProjectFacts(project_name=project.config.name, quote=dialect.quote_identifier,
                             sql_dialect=dialect.sqlglot_dialect, relation_of=self._relation_at_render,
                             columns_of=self._columns_of, source_columns=source_columns(project),
                             dispatch=dispatch_orders(project), source_relation=self.sources.parts)
        self.templates = TemplateContext(
            node_names=self.model_names | set(self.seed_configs) | set(self.sync_relations),
            resolve_source=self.sources.render, project_vars=project_vars, target=target,
            macro_files=macro_files, environ=environ, facts=facts, model_versions=versions,
            package_vars=project_package_vars(project, project_vars),
            dbt_macros=project.dbt is not None,
        )
        for seed in project.seeds:
            if seed.name in self.seed_configs:
                self.seed_relations[seed.name] = self._named(seed.name, seed.path, "seed", self.seed_configs[seed.name])
        self.relations: dict[str, Relation] = {**self.seed_relations, **self.sync_relations}
        self.node_ids: dict[str, str] = {name: f"seed.{name}" for name in self.seed_relations}
        self.node_ids.update({d["name"]: node_id for node_id, d in self.sync_drafts.items()})
        salt = render_salt(
            project_vars=project_vars, macros=[(m.path, m.text) for m in project.macros],
            sources={name: entry.doc.model_dump() for name, entry in project.sources.items()}
            | ({"\0model versions": versions} if versions else {}),  # what ref('m') without v= reads
            target=target, node_names=self.model_names | set(self.seed_relations),
        )
        self.cache = CompileCache(cache_dir, salt, environ)
        self.failures = Failures()
        #: Ephemeral models by name: ``(rendered text, record, file)``; inlined, never built.
        self.ephemeral: dict[str, tuple[str, RenderRecord, ModelFile]] = {}

    def _render_all(self) -> list[tuple[str, RenderRecord]]:
        """Every model rendered: from the cache, else in worker processes, else here."""
        models = self.project.models
        results: list[tuple[str, RenderRecord] | None] = [self.cache.get_render(m.path, m.text) for m in models]
        misses = [i for i, r in enumerate(results) if r is None]
        # A model that fails comes back None here and fails again below, where its error is recorded.
        rendered = map_maybe_parallel(lambda i: _or_none(self.templates.render, models[i].text, models[i].path),
                                      misses, self.workers)
        for index, value in zip(misses, rendered):
            # A failure in a worker is redone here, where it raises the located error.
            model = models[index]
            value = value or self.failures.attempt(model.name, lambda: self.templates.render(model.text, model.path))
            if value is not None and not (value[1].columns_wanted or value[1].uncacheable):
                self.cache.put_render(model.path, model.text, *value)  # those two depend on other files
            results[index] = value
        if misses and len(misses) == len(models) and self.project.macros:
            # Nothing was cached under this salt (macros, vars or sources changed, or a
            # first compile): make sure broken macros are reported even when every model
            # rendered without Jinja. A hit means this salt's macros already loaded once; with no
            # macro files there is nothing to check (and Jinja need not even be imported).
            self.templates.check_macros()
        return results  # type: ignore[return-value]

    def _analyze_all(self, jobs: list[tuple[str, str, int]], names: list[str], *,
                     cached: bool = True) -> list["SqlAnalysis | None"]:
        """Analyses of ``(sql, file, line_offset)`` jobs: from the cache (unless not ``cached``: an
        edited model's new SQL is rarely there, and reading the cache costs more), else in workers,
        else here (None for a job whose SQL fails, recorded against its model in ``names``)."""
        from faborite.compiler.analysis import analyze_sql  # sqlglot: only on cache misses

        dialect = self.dialect.sqlglot_dialect  # models are written in the project's dialect
        results: list["SqlAnalysis | None"] = [self.cache.get_sql(dialect, sql) if cached else None
                                               for sql, _, _ in jobs]
        misses = [i for i, r in enumerate(results) if r is None]

        def analyze(index: int) -> "SqlAnalysis":
            sql, file, offset = jobs[index]
            try:
                return analyze_sql(sql, dialect, file=file, line_offset=offset)
            except CompileError as exc:
                model = self.models_by_name.get(names[index])
                if exc.line and model is not None and exc.line > model.text.count("\n") + 1:
                    # Past the file's end: the SQL a macro generated; no line of the file is right.
                    exc.line, exc.hint = None, f"in the SQL a macro generated: {exc.hint}"
                raise

        for index, value in zip(misses, map_maybe_parallel(lambda i: _or_none(analyze, i), misses, self.workers)):
            value = value or self.failures.attempt(names[index], lambda: analyze(index))
            if value is not None:
                self.cache.put_sql(dialect, jobs[index][0], value)
            results[index] = value
        return results  # type: ignore[return-value]

    def run(self) -> Manifest:
        rendered: list[tuple[ModelFile, str, RenderRecord, ModelConfig]] = []
        by_folder: dict[int, ModelConfig] = {}  # models of one folder share its defaults dict
        for model, result in zip(self.project.models, self._render_all()):
            config = self.failures.attempt(model.name, lambda: self._model_config(model, result, by_folder))
            doc = self.project.model_docs.get(model.name)
            if config is None and result is None and disabled_without_rendering(
                    model.text, model.defaults, doc.doc.config if doc else None):
                del self.failures.errors[model.name]  # a disabled model's refs are not resolved (dbt)
                continue
            if config is None:
                # Failed: its dependents still render (and are then left out) against its default name.
                self.relations[model.name] = Relation(schema_name=self.target.schema, name=model.name)
                self.node_ids[model.name] = f"model.{model.name}"
                continue
            text, record = result
            if not config.enabled:
                continue
            if config.materialized == "ephemeral":
                self.ephemeral[model.name] = (text, record, model)
                continue
            # A naming macro that fails (generate_schema_name ...) fails this model, not the project.
            kind = "snapshot" if config.materialized == "snapshot" else "model"  # dbt's node.resource_type
            relation = self.failures.attempt(model.name,
                                             lambda: self._named(model.name, model.path, kind, config))
            self.relations[model.name] = relation or Relation(schema_name=self.target.schema, name=model.name)
            self.node_ids[model.name] = f"model.{model.name}"
            if relation is not None:
                rendered.append((model, text, record, config))
        files = {node.name: node.path for node in (*self.project.seeds, *self.project.models)}
        files.update({d["name"]: d["file"] for d in self.sync_drafts.values()})
        check_unique_relations(self.relations, files)

        drafts: dict[str, dict[str, Any]] = {}
        try:
            drafts.update(self.sources.nodes())
        except FaboriteError:
            # A source a model failed to read fails here too: the model's error says where it is used.
            self.failures.raise_if_any({})
            raise
        drafts.update(self.sync_drafts)
        for seed in self.project.seeds:
            if seed.name in self.seed_configs:
                drafts[f"seed.{seed.name}"] = self._seed_draft(seed)
        self._check_ephemerals()
        located = [(entry, self.failures.attempt(entry[0].name,
                                                 lambda: self._located_sql(entry[1], entry[0], entry[2])))
                   for entry in rendered]
        rendered = [entry for entry, sql in located if sql is not None]
        sqls = [sql for _, sql in located if sql is not None]
        # Incremental models are rendered a second time with is_incremental() true (dbt's branch).
        incremental = {}
        for model, _, record, config in rendered:
            if config.materialized == "incremental":
                job = self.failures.attempt(model.name,
                                            lambda: self._located_sql(*self._render_incremental(model, record)))
                if job is not None:
                    incremental[model.name] = (job, record)
        analyses = self._analyze_all(sqls, [model.name for model, _, _, _ in rendered])
        self._settle_columns(rendered, sqls, analyses)
        note = fallback_note(self.project, list(FALLBACK_NAMES))
        if note:
            logging.getLogger("faborite").warning(note)
        self._check_target_support([(model.name, *job) for (model, _, _, _), job in zip(rendered, sqls)]
                                   + [(name, *job) for name, (job, _) in incremental.items()])
        for (model, _, record, config), (sql, _, offset), analysis in zip(rendered, sqls, analyses):
            if model.name in self.failures:
                continue
            extra = incremental.get(model.name)
            draft = self.failures.attempt(model.name, lambda: self._model_draft(
                model, sql, analysis, record, config, incremental=extra and extra[0][0], line_offset=offset))
            if draft is not None:
                drafts[f"model.{model.name}"] = draft
        self.cache.save()
        self.failures.raise_if_any(self.failures.prune(drafts, self.node_ids))

        texts = {f"model.{model.name}": model.text for model, _, _, _ in rendered}

        def ref_line(child: str, parent: str) -> int | None:
            return line_of_ref(texts[child], parent.split(".", 1)[1]) if child in texts else None

        order = topological_order({node_id: d["parents"] for node_id, d in drafts.items()},
                                  {node_id: d.get("file") for node_id, d in drafts.items()}, ref_line)
        nodes: dict[str, Node] = {}
        for node_id in order:
            draft = drafts[node_id]
            parents = [(p, nodes[p].version) for p in draft["parents"]]
            nodes[node_id] = Node(**draft, version=fingerprint.version(draft["data_hash"], parents))
        return Manifest(faborite_version=__version__, project=self.project.config.name,
                        target=self.target.name, dialect=self.project.config.dialect,
                        target_dialect=self.target.dialect, nodes=nodes, analyses=self._analyses())

    def _analyses(self) -> dict[str, str]:
        """Each analysis rendered with relation names in place (dbt compiles them, never runs them)."""
        compiled = {}
        for analysis in self.project.analyses:
            text, record = self.templates.render(analysis.text, analysis.path)
            compiled[analysis.name] = self._located_sql(text, analysis, record)[0]
        return compiled

    def _source_publishers(self) -> dict[str, str]:
        """``{source node: node}`` for the source tables a node of the project publishes (see
        :meth:`SourceResolver.published_by`): that node is a parent of the source's readers."""
        if self._publishers is None:
            self._publishers = self.sources.published_by(
                {relation.key: self.node_ids[name] for name, relation in self.relations.items()
                 if name in self.node_ids})
        return self._publishers

    # -- dbt: names and columns as templates see them -------------------------------

    def _named(self, name: str, path: str, kind: str, config: Any) -> Relation:
        """Where a node is published: its ``schema``/``alias`` config, or the project's naming macros
        (in a dbt project without them, dbt's default: ``<target schema>_<custom schema>``)."""
        schema, alias = config.schema_name, config.alias
        if name in self.literal_schemas:
            return Relation(schema_name=schema or self.target.schema, name=alias or name)
        if self.project.dbt is not None and "generate_schema_name" not in self.naming_hooks:
            schema = self.dbt_default_names["generate_schema_name"](schema)
        if self.naming_hooks:
            node = node_for(name, path, kind, {"schema": schema, "alias": alias})
            if "generate_schema_name" in self.naming_hooks:
                schema = self.templates.call_macro("generate_schema_name", path, schema, node)
            if "generate_alias_name" in self.naming_hooks:
                alias = self.templates.call_macro("generate_alias_name", path, alias, node)
        return Relation(schema_name=schema or self.target.schema, name=alias or name)

    def _relation_at_render(self, name: str) -> tuple[str | None, str, str]:
        """``(database, schema, identifier)`` of a node as known while templates render (``this``, ``ref``)."""
        relation = self.relations.get(name)
        if relation is None:
            model = self.models_by_name.get(name)
            defaults = dict(model.defaults) if model is not None else {}
            doc = self.project.model_docs.get(name)
            if doc is not None:
                defaults.update(doc.doc.config)
            settings = SimpleNamespace(schema_name=defaults.get("schema"), alias=defaults.get("alias"))
            relation = self._named(name, model.path if model else name, "model", settings)
        return relation.catalog, relation.schema_name, relation.name

    def _columns_of(self, name: str) -> tuple[str, ...] | None:
        if name not in self.known_columns and name in self.seed_configs:
            seed = next(s for s in self.project.seeds if s.name == name)
            header = seed_header(self.project, seed, self.seed_configs[name].delimiter)
            if header is not None:
                self.known_columns[name] = header
        return self.known_columns.get(name)

    def _learn_columns(self, name: str, analysis: "SqlAnalysis") -> None:
        # () once analysed without a column list (select * of an unknown table): known to be unknown,
        # unless properties declare the columns.
        self.known_columns[name] = tuple(analysis.output_columns or ()) or self.known_columns.get(name, ())

    def _settle_columns(self, rendered: list, sqls: list, analyses: list) -> None:
        """Render again the models that asked for columns before they were known (``dbt_utils.star``
        of a model): each pass learns the columns of the models it analysed."""
        for (model, _, _, _), analysis in zip(rendered, analyses):
            if analysis is not None:  # None: its SQL failed (recorded)
                self._learn_columns(model.name, analysis)
        waiting = [i for i, (model, _, record, _) in enumerate(rendered)
                   if record.columns_wanted and model.name not in self.failures]
        for _ in range(len(waiting)):
            changed = False
            for index in waiting:
                model, _, _, config = rendered[index]
                text, record = self.templates.render(model.text, model.path)
                job = self._located_sql(text, model, record)
                if job[0] == sqls[index][0]:
                    continue
                sqls[index], changed = job, True
                analyses[index] = self._analyze_all([job], [model.name])[0]
                rendered[index] = (model, text, record, config)
                if analyses[index] is not None:
                    self._learn_columns(model.name, analyses[index])
            if not changed:
                break

    def _check_target_support(self, jobs: list[tuple[str, str, str, int]]) -> None:
        """Every ``(name, sql, file, offset)`` checked against the target's dialect at once; when
        some fail, again one by one so each failing model is recorded and the rest go on."""
        def check(batch: list[tuple[str, str, str, int]]) -> None:
            check_target_support(batch, read=self.dialect.sqlglot_dialect, target=self.target_dialect,
                                 target_name=self.target.name, cache=self.cache)

        try:
            check(jobs)
        except FaboriteError:
            for job in jobs:
                self.failures.attempt(job[0], lambda: check([job]))

    # -- per node ------------------------------------------------------------------

    def _model_config(self, model: ModelFile, result: tuple[str, RenderRecord] | None,
                      by_folder: dict[int, ModelConfig]) -> ModelConfig:
        """The model's resolved config (raises the render's error when rendering failed)."""
        if result is None:  # its render failed: recorded already; raise it again to skip the model
            raise self.failures.errors[model.name]
        _, record = result
        if self.project.dbt is not None and record.config:
            # A dbt model's config() may set dbt keys faborite does not use (post_hook, grants ...).
            from faborite.dbt.project import usable_config

            if record.config.get("target_schema"):
                self.literal_schemas.add(model.name)  # dbt < 1.9 snapshots: the schema as written
            record.config = usable_config(record.config)
        doc = self.project.model_docs.get(model.name)
        if record.config or (doc is not None and doc.doc.config):
            config = resolve_config(ModelConfig(), model.defaults, doc, record.config, model.path,
                                     text=model.text, calls_at=record.config_at, dbt=self.project.dbt is not None)
            problem = config.snapshot_problem()
            if problem:
                raise ConfigError(f"snapshot {model.name!r}: {problem}", file=model.path,
                                  line=line_of_call(model.text, "config("),
                                  hint="e.g. config(unique_key='id', strategy='timestamp', updated_at='updated_at')")
            return config
        key = id(model.defaults)
        if key not in by_folder:
            by_folder[key] = resolve_config(ModelConfig(), model.defaults, None, {}, model.path,
                                            dbt=self.project.dbt is not None)
        return by_folder[key]

    def _quoted(self, name: str) -> str:
        return self.dialect.quote_relation(self.relations[name])

    def _substitute(self, text: str, own_name: str | None, file: str, ctes: list | None = None,
                    chain: tuple = ()) -> str:
        def replace(match: re.Match) -> str:
            name = placeholder_name(match)
            if name is None:
                if own_name is None:
                    raise CompileError("{{ this }} is only defined inside a model or its checks", file=file)
                return self._quoted(own_name)
            if name in self.ephemeral and ctes is not None:
                self._collect_cte(name, ctes, chain or (own_name,))
                return cte_name(name)
            if name not in self.relations:
                raise CompileError(f"ref({name!r}) names a disabled model", file=file,
                                   hint="enable it or remove the ref")
            return self._quoted(name)
        return REF_PLACEHOLDER_PATTERN.sub(replace, text)

    def _located_sql(self, text: str, model: ModelFile, record: RenderRecord | None = None) -> tuple[str, str, int]:
        """``(sql, file, line_offset)``: a rendered model with relation names in place (and the
        ephemeral models it refs inlined as CTEs, their parents added to ``record``'s)."""
        ctes: list[tuple[str, str]] = []
        substituted = self._substitute(text, model.name, model.path, ctes)
        # Lines stripped from the top (e.g. left by a leading config() call) still count in the file.
        offset = substituted[:len(substituted) - len(substituted.lstrip())].count("\n")
        offset = body_offset(model.text, substituted, offset)  # a multi-line config() renders to no lines
        if not ctes:
            return substituted.strip(), model.path, offset
        if record is not None:
            for name, _ in ctes:
                _, inner, _ = self.ephemeral[name]
                record.refs.extend(r for r in inner.refs if r not in record.refs and r not in self.ephemeral)
                record.sources.extend(s for s in inner.sources if s not in record.sources)
        # The CTEs go above the model's first line: error lines in the model's own SQL are off by them.
        return with_ctes(substituted.strip(), ctes), model.path, offset - sum(q.count("\n") + 2 for _, q in ctes)

    def _check_ephemerals(self) -> None:
        """Each ephemeral model's own SQL parsed alone: its errors are its own, at its lines (inlined,
        they would show in every model that refs it, at that model's file), and one nobody refs is checked too."""
        names = list(self.ephemeral)
        jobs = [self.failures.attempt(name, lambda name=name: self._located_sql(
            self.ephemeral[name][0], self.ephemeral[name][2])) for name in names]
        self._analyze_all([job for job in jobs if job], [n for n, job in zip(names, jobs) if job])

    def _collect_cte(self, name: str, ctes: list[tuple[str, str]], chain: tuple) -> None:
        """Add ephemeral model ``name`` (after the ephemeral models it refs) to ``ctes``, once."""
        if any(done == name for done, _ in ctes):
            return
        if name in self.failures:
            consumer = self.models_by_name.get(chain[0]) if chain else None
            raise CompileError(f"refs the ephemeral model {name!r}, which failed to compile",
                               file=consumer.path if consumer else None, hint=f"fix {name} (its error is listed)")
        if name in chain:
            raise CompileError(f"ephemeral models ref each other in a cycle: {' -> '.join((*chain[1:], name))}",
                               file=self.ephemeral[name][2].path)
        text, _, model = self.ephemeral[name]
        inner: list[tuple[str, str]] = []
        sql = self._substitute(text, name, model.path, inner, chain=(*chain, name)).strip()
        for item in inner:
            if not any(done == item[0] for done, _ in ctes):
                ctes.append(item)
        ctes.append((name, sql))

    def _render_incremental(self, model: ModelFile, record: RenderRecord) -> tuple[str, ModelFile]:
        """The model rendered with ``is_incremental()`` true; its refs join ``record``'s (one set of parents)."""
        text, extra = self.templates.render(model.text, model.path, incremental=True)
        record.refs.extend(r for r in extra.refs if r not in record.refs)
        record.sources.extend(s for s in extra.sources if s not in record.sources)
        return text, model

    def _model_draft(self, model: ModelFile, sql: str, analysis: "SqlAnalysis", record: RenderRecord,
                     config: ModelConfig, incremental: str | None = None, line_offset: int = 0) -> dict[str, Any]:
        sources = {self.sources.node_id(s, t) for s, t in record.sources}
        parents = sorted({self.node_ids[r] for r in record.refs if r in self.node_ids} | sources |
                         {self._source_publishers()[s] for s in sources if s in self._source_publishers()})
        node_data = data_config(config)
        doc = self.project.model_docs.get(model.name)
        # The incremental branch changes what an incremental run adds: it is part of the data.
        content = analysis.canonical if incremental is None else f"{analysis.canonical}\n-- incremental:\n{incremental}"
        contract = compile_contract(model.name, config, doc, analysis.output_columns, model.path, sql=sql,
                                    dialect=self.dialect.sqlglot_dialect, line_offset=line_offset)
        return {
            "id": f"model.{model.name}", "kind": "model", "name": model.name, "file": model.path,
            "relation": self.relations[model.name].key, "materialized": config.materialized, "sql": sql,
            "incremental_sql": incremental,
            "parents": tuple(parents), "data_config": node_data,
            "output_columns": _with_history_columns(analysis.output_columns, config),
            "column_lineage": analysis.column_lineage,
            "data_hash": fingerprint.data_hash("model", content, node_data),
            "deprecated": config.deprecated, "deprecation_date": config.deprecation_date,
            "protect": config.protect, "on_schema_change": config.on_schema_change or "ignore",
            "schedule": config.schedule,
            **self._metadata(model.name, doc, config, model.path, contract),
        }

    def _seed_draft(self, seed) -> dict[str, Any]:
        from faborite.config.seed_check import check_seed_csv

        config = self.seed_configs[seed.name]
        check_seed_csv(self.project.root / seed.path, seed.path, config.delimiter)
        node_data = data_config(config)
        info = SeedInfo(path=seed.path, content_hash=seed.content_hash,
                        column_types=dict(config.column_types), delimiter=config.delimiter)
        return {
            "id": f"seed.{seed.name}", "kind": "seed", "name": seed.name, "file": seed.path,
            "relation": self.seed_relations[seed.name].key, "materialized": "seed", "parents": (),
            "data_config": node_data, "seed": info,
            "data_hash": fingerprint.data_hash("seed", seed.content_hash, node_data),
            **self._metadata(seed.name, self.project.seed_docs.get(seed.name), config, seed.path),
        }

    def _metadata(self, name: str, entry: NodeDocEntry | None, config, file: str,
                  contract: tuple | None = None) -> dict[str, Any]:
        doc = entry.doc if entry else NodeDoc(name=name)
        checks = self._checks(name, doc, entry.file if entry else file, entry.line if entry else None)
        columns = tuple(ColumnInfo(name=c.name, description=c.description, data_type=c.data_type, tags=c.tags)
                        for c in doc.columns)
        tags = tuple(dict.fromkeys([*config.tags, *doc.tags]))
        meta = {**config.meta, **doc.meta}
        metadata = {
            "description": doc.description, "tags": tags, "meta": meta, "owner": config.owner,
            "columns": [c.model_dump() for c in columns],
            "checks": [c.model_dump(exclude={"file"}) for c in checks],
        }
        if getattr(config, "schedule", None):  # only when set: existing metadata hashes stay as they were
            metadata["schedule"] = config.schedule
        if contract is not None:
            metadata["contract"] = [c.model_dump() for c in contract]
        return {**metadata, "columns": columns, "checks": checks, "contract": contract,
                "metadata_hash": fingerprint.metadata_hash(metadata)}

    def _checks(self, name: str, doc: NodeDoc, file: str, line: int | None) -> tuple[CompiledCheck, ...]:
        specs: list[CheckSpec] = [c for col in doc.columns for c in col.checks] + list(doc.checks)
        compiled = []
        for spec in specs:
            try:
                custom = None
                if spec.kind == "sql":
                    text, record = self.templates.render(spec.sql or "", file)
                    custom = self._substitute(text, name, file).strip()
                    parse_custom_check(custom, spec, name, file, read=self.dialect.sqlglot_dialect,
                                       cache=self.cache)
                ctes: list[tuple[str, str]] = []
                if spec.kind == "relationships" and spec.to in self.ephemeral:
                    self._collect_cte(spec.to, ctes, (name,))  # dbt inlines an ephemeral parent here too
                elif spec.kind == "relationships" and spec.to not in self.relations:
                    raise CompileError(
                        f"relationships check on {name}.{spec.column} refers to unknown node {spec.to!r}",
                        hint=best_match_hint(spec.to or "", self.relations) or "name a model or seed: to: ref('x')")
                sql = with_ctes(check_sql(spec, self._quoted(name), rendered_custom=custom, resolve_ref=lambda n: (
                    cte_name(n) if n in self.ephemeral else self._quoted(n))), ctes)
            except CompileError as exc:
                # Checks are declared in a properties file: point at the check there (else the node's entry).
                if exc.file in (None, file):
                    exc.file, exc.line = file, spec.line or exc.line or line
                raise
            compiled.append(CompiledCheck(name=spec.label, kind=spec.kind, column=spec.column,
                                          severity=spec.severity, sql=sql, file=file))
        return tuple(compiled)


def _with_history_columns(columns, config: ModelConfig):
    """A snapshot's table holds its query's columns and dbt's four history columns."""
    if config.materialized != "snapshot" or columns is None:
        return columns
    from faborite.apply.snapshot_build import HISTORY_COLUMNS

    return (*columns, *HISTORY_COLUMNS)


def _or_none(step, *args):
    """``step(*args)``, or None when it raises a user error (redone later, where it is recorded)."""
    try:
        return step(*args)
    except FaboriteError:
        return None

