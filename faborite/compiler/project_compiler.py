"""Project -> Manifest: render, parse, order, fingerprint. Pure: reads no database."""

from __future__ import annotations

import os
import re
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from typing import TYPE_CHECKING

from pydantic import ValidationError

from faborite import __version__
from faborite.compiler import fingerprint
from faborite.compiler.checks import check_sql
from faborite.compiler.dag import topological_order
from faborite.compiler.jinja import (
    REF_PLACEHOLDER_PATTERN, RenderRecord, TargetInfo, TemplateContext, best_match_hint, placeholder_name,
)
from faborite.compiler.cache import CompileCache, render_salt
from faborite.compiler.contracts import compile_contract
from faborite.compiler.manifest import ColumnInfo, CompiledCheck, Manifest, Node, SeedInfo
from faborite.compiler.sources import SourceResolver
from faborite.compiler.syncs import sync_drafts
from faborite.compiler.parallel import map_maybe_parallel
from faborite.config.loader import ModelFile, NodeDocEntry, Project
from faborite.config.node_config import DATA_KEYS, INCREMENTAL_KEYS, ModelConfig, SeedConfig
from faborite.config.properties import CheckSpec, NodeDoc
from faborite.config.validation import config_error_from
from faborite.compiler.target_support import check_target_support
from faborite.errors import CompileError, ConfigError
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
    compilation = _Compilation(project, dialect, info, {**project.config.vars, **(vars_override or {})},
                               environ, cache_dir, workers,
                               sources_snapshot)
    return compilation.run()


def recompile_models(project: Project, manifest: Manifest, edited: set[str], target: str | None = None, *,
                     vars_override: dict[str, Any] | None = None,
                     environ: Mapping[str, str] | None = None) -> Manifest | None:
    """``manifest``, compiled from an earlier ``project`` whose only change since is the text of the
    models named ``edited``, brought up to date by compiling just those models and re-versioning
    what reads them.

    Returns None when the edit may reach past those models (a relation name, parents, enabled or an
    incremental model changed, the project has syncs, or any error): then only a full
    :func:`compile_project` is right, and it reports the error at its place.
    """
    from faborite.config.targets import resolve_target
    from faborite.dialects import get_dialect
    from faborite.errors import FaboriteError

    if project.syncs:
        return None
    environ = dict(os.environ) if environ is None else environ
    try:
        resolved = resolve_target(project, target, environ=environ)
        info = TargetInfo(name=resolved.name, type=resolved.type, dialect=resolved.dialect_name,
                          schema=resolved.schema)
        compilation = _Compilation(project, get_dialect(project.config.dialect)(), info,
                                   {**project.config.vars, **(vars_override or {})}, environ, None, 1)
        return compilation.patch(manifest, edited)
    except (FaboriteError, ValidationError):
        return None


class _Compilation:
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
            config = _resolve_config(SeedConfig(), seed.defaults, project.seed_docs.get(seed.name), {}, seed.path)
            if config.enabled:
                self.seed_configs[seed.name] = config
                self.seed_relations[seed.name] = Relation(
                    schema_name=config.schema_name or target.schema, name=config.alias or seed.name)
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
        self.templates = TemplateContext(
            node_names=self.model_names | set(self.seed_relations) | set(self.sync_relations),
            resolve_source=self.sources.render, project_vars=project_vars, target=target,
            macro_files=[(m.path, m.text) for m in project.macros], environ=environ,
        )
        self.relations: dict[str, Relation] = {**self.seed_relations, **self.sync_relations}
        self.node_ids: dict[str, str] = {name: f"seed.{name}" for name in self.seed_relations}
        self.node_ids.update({d["name"]: node_id for node_id, d in self.sync_drafts.items()})
        salt = render_salt(
            project_vars=project_vars, macros=[(m.path, m.text) for m in project.macros],
            sources={name: entry.doc.model_dump() for name, entry in project.sources.items()},
            target=target, node_names=self.model_names | set(self.seed_relations),
        )
        self.cache = CompileCache(cache_dir, salt, environ)

    def _render_all(self) -> list[tuple[str, RenderRecord]]:
        """Every model rendered: from the cache, else in worker processes, else here."""
        models = self.project.models
        results: list[tuple[str, RenderRecord] | None] = [self.cache.get_render(m.path, m.text) for m in models]
        misses = [i for i, r in enumerate(results) if r is None]
        rendered = map_maybe_parallel(lambda i: self.templates.render(models[i].text, models[i].path),
                                      misses, self.workers)
        for index, value in zip(misses, rendered):
            # A failure in a worker is redone here, where it raises the located error.
            value = value or self.templates.render(models[index].text, models[index].path)
            self.cache.put_render(models[index].path, models[index].text, *value)
            results[index] = value
        if misses and len(misses) == len(models) and self.project.macros:
            # Nothing was cached under this salt (macros, vars or sources changed, or a
            # first compile): make sure broken macros are reported even when every model
            # rendered without Jinja. A hit means this salt's macros already loaded once; with no
            # macro files there is nothing to check (and Jinja need not even be imported).
            self.templates.check_macros()
        return results  # type: ignore[return-value]

    def _analyze_all(self, jobs: list[tuple[str, str, int]]) -> list["SqlAnalysis"]:
        """Analyses of ``(sql, file, line_offset)`` jobs: from the cache, else in workers, else here."""
        from faborite.compiler.analysis import analyze_sql  # sqlglot: only on cache misses

        dialect = self.dialect.sqlglot_dialect  # models are written in the project's dialect
        results: list["SqlAnalysis | None"] = [self.cache.get_sql(dialect, sql) for sql, _, _ in jobs]
        misses = [i for i, r in enumerate(results) if r is None]

        def analyze(index: int) -> "SqlAnalysis":
            sql, file, offset = jobs[index]
            return analyze_sql(sql, dialect, file=file, line_offset=offset)

        for index, value in zip(misses, map_maybe_parallel(analyze, misses, self.workers)):
            value = value or analyze(index)
            self.cache.put_sql(dialect, jobs[index][0], value)
            results[index] = value
        return results  # type: ignore[return-value]

    def run(self) -> Manifest:
        rendered: list[tuple[ModelFile, str, RenderRecord, ModelConfig]] = []
        by_folder: dict[int, ModelConfig] = {}  # models of one folder share its defaults dict
        for model, (text, record) in zip(self.project.models, self._render_all()):
            doc = self.project.model_docs.get(model.name)
            if record.config or (doc is not None and doc.doc.config):
                config = _resolve_config(ModelConfig(), model.defaults, doc, record.config, model.path,
                                         text=model.text, calls_at=record.config_at)
            else:
                key = id(model.defaults)
                if key not in by_folder:
                    by_folder[key] = _resolve_config(ModelConfig(), model.defaults, None, {}, model.path)
                config = by_folder[key]
            if not config.enabled:
                continue
            rendered.append((model, text, record, config))
            self.relations[model.name] = Relation(
                schema_name=config.schema_name or self.target.schema, name=config.alias or model.name)
            self.node_ids[model.name] = f"model.{model.name}"
        self._check_unique_relations()

        drafts: dict[str, dict[str, Any]] = {}
        for source_id, draft in self.sources.nodes().items():
            drafts[source_id] = draft
        drafts.update(self.sync_drafts)
        for seed in self.project.seeds:
            if seed.name in self.seed_configs:
                drafts[f"seed.{seed.name}"] = self._seed_draft(seed)
        sqls = []
        for model, text, _, _ in rendered:
            sqls.append(self._located_sql(text, model))
        # Incremental models are rendered a second time with is_incremental() true (dbt's branch).
        incremental = {model.name: (self._located_sql(*self._render_incremental(model, record)), record)
                       for model, _, record, config in rendered if config.materialized == "incremental"}
        analyses = self._analyze_all(sqls)
        check_target_support([(model.name, *job) for (model, _, _, _), job in zip(rendered, sqls)]
                             + [(name, *job) for name, (job, _) in incremental.items()],
                             read=self.dialect.sqlglot_dialect, target=self.target_dialect,
                             target_name=self.target.name, cache=self.cache)
        for (model, _, record, config), (sql, _, _), analysis in zip(rendered, sqls, analyses):
            extra = incremental.get(model.name)
            drafts[f"model.{model.name}"] = self._model_draft(model, sql, analysis, record, config,
                                                              incremental=extra and extra[0][0])
        self.cache.save()

        texts = {f"model.{model.name}": model.text for model, _, _, _ in rendered}

        def ref_line(child: str, parent: str) -> int | None:
            return _line_of_ref(texts[child], parent.split(".", 1)[1]) if child in texts else None

        order = topological_order({node_id: d["parents"] for node_id, d in drafts.items()},
                                  {node_id: d.get("file") for node_id, d in drafts.items()}, ref_line)
        nodes: dict[str, Node] = {}
        for node_id in order:
            draft = drafts[node_id]
            parents = [(p, nodes[p].version) for p in draft["parents"]]
            nodes[node_id] = Node(**draft, version=fingerprint.version(draft["data_hash"], parents))
        return Manifest(faborite_version=__version__, project=self.project.config.name,
                        target=self.target.name, dialect=self.project.config.dialect,
                        target_dialect=self.target.dialect, nodes=nodes)

    def patch(self, manifest: Manifest, edited: set[str]) -> Manifest | None:
        """See :func:`recompile_models`: ``manifest`` with the ``edited`` models compiled again."""
        for node in manifest.nodes.values():
            if node.kind == "model":
                relation = Relation.parse(node.relation)
                if relation.key != node.relation:
                    return None
                self.relations[node.name] = relation
                self.node_ids[node.name] = node.id
        changed: dict[str, Node] = {}
        for model in self.project.models:
            if model.name not in edited:
                continue
            old = manifest.nodes.get(f"model.{model.name}")
            text, record = self.templates.render(model.text, model.path)
            config = _resolve_config(ModelConfig(), model.defaults, self.project.model_docs.get(model.name),
                                     record.config, model.path, text=model.text, calls_at=record.config_at)
            relation = Relation(schema_name=config.schema_name or self.target.schema, name=config.alias or model.name)
            if (old is None or not config.enabled or relation.key != old.relation
                    or "incremental" in (config.materialized, old.materialized)):
                return None
            job = self._located_sql(text, model)
            analysis = self._analyze_all([job])[0]
            check_target_support([(model.name, *job)], read=self.dialect.sqlglot_dialect, target=self.target_dialect,
                                 target_name=self.target.name, cache=self.cache)
            draft = self._model_draft(model, job[0], analysis, record, config)
            if tuple(draft["parents"]) != old.parents:
                return None
            changed[old.id] = Node(**draft, version=old.version)  # versioned below, with its parents
        nodes: dict[str, Node] = {}
        for node_id, node in manifest.nodes.items():  # topological order: parents are done first
            node = changed.get(node_id, node)
            version = fingerprint.version(node.data_hash, [(p, nodes[p].version) for p in node.parents])
            nodes[node_id] = node if version == node.version else node.model_copy(update={"version": version})
        fields = {name: getattr(manifest, name) for name in Manifest.model_fields if name != "nodes"}
        return Manifest(**fields, nodes=nodes)

    # -- per node ------------------------------------------------------------------

    def _quoted(self, name: str) -> str:
        return self.dialect.quote_relation(self.relations[name])

    def _substitute(self, text: str, own_name: str | None, file: str) -> str:
        def replace(match: re.Match) -> str:
            name = placeholder_name(match)
            if name is None:
                if own_name is None:
                    raise CompileError("{{ this }} is only defined inside a model or its checks", file=file)
                return self._quoted(own_name)
            if name not in self.relations:
                raise CompileError(f"ref({name!r}) names a disabled model", file=file,
                                   hint="enable it or remove the ref")
            return self._quoted(name)
        return REF_PLACEHOLDER_PATTERN.sub(replace, text)

    def _located_sql(self, text: str, model: ModelFile) -> tuple[str, str, int]:
        """``(sql, file, line_offset)``: a rendered model with relation names in place."""
        substituted = self._substitute(text, model.name, model.path)
        # Lines stripped from the top (e.g. left by a leading config() call) still count in the file.
        offset = substituted[:len(substituted) - len(substituted.lstrip())].count("\n")
        return substituted.strip(), model.path, offset

    def _render_incremental(self, model: ModelFile, record: RenderRecord) -> tuple[str, ModelFile]:
        """The model rendered with ``is_incremental()`` true; its refs join ``record``'s (one set of parents)."""
        text, extra = self.templates.render(model.text, model.path, incremental=True)
        record.refs.extend(r for r in extra.refs if r not in record.refs)
        record.sources.extend(s for s in extra.sources if s not in record.sources)
        return text, model

    def _model_draft(self, model: ModelFile, sql: str, analysis: "SqlAnalysis", record: RenderRecord,
                     config: ModelConfig, incremental: str | None = None) -> dict[str, Any]:
        parents = sorted({self.node_ids[r] for r in record.refs if r in self.node_ids} |
                         {self.sources.node_id(s, t) for s, t in record.sources})
        data_config = _data_config(config)
        doc = self.project.model_docs.get(model.name)
        # The incremental branch changes what an incremental run adds: it is part of the data.
        content = analysis.canonical if incremental is None else f"{analysis.canonical}\n-- incremental:\n{incremental}"
        contract = compile_contract(model.name, config, doc, analysis.output_columns, model.path)
        return {
            "id": f"model.{model.name}", "kind": "model", "name": model.name, "file": model.path,
            "relation": self.relations[model.name].key, "materialized": config.materialized, "sql": sql,
            "incremental_sql": incremental,
            "parents": tuple(parents), "data_config": data_config,
            "output_columns": analysis.output_columns,
            "column_lineage": analysis.column_lineage,
            "data_hash": fingerprint.data_hash("model", content, data_config),
            "deprecated": config.deprecated, "deprecation_date": config.deprecation_date,
            "protect": config.protect,
            "schedule": config.schedule,
            **self._metadata(model.name, doc, config, model.path, contract),
        }

    def _seed_draft(self, seed) -> dict[str, Any]:
        from faborite.config.seed_check import check_seed_csv

        config = self.seed_configs[seed.name]
        check_seed_csv(self.project.root / seed.path, seed.path, config.delimiter)
        data_config = _data_config(config)
        info = SeedInfo(path=seed.path, content_hash=seed.content_hash,
                        column_types=dict(config.column_types), delimiter=config.delimiter)
        return {
            "id": f"seed.{seed.name}", "kind": "seed", "name": seed.name, "file": seed.path,
            "relation": self.seed_relations[seed.name].key, "materialized": "seed", "parents": (),
            "data_config": data_config, "seed": info,
            "data_hash": fingerprint.data_hash("seed", seed.content_hash, data_config),
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
                    self._parse_check(custom, spec, name, file)
                if spec.kind == "relationships" and spec.to not in self.relations:
                    raise CompileError(
                        f"relationships check on {name}.{spec.column} refers to unknown node {spec.to!r}",
                        hint=best_match_hint(spec.to or "", self.relations) or "name a model or seed: to: ref('x')")
                sql = check_sql(spec, self._quoted(name), resolve_ref=self._quoted, rendered_custom=custom)
            except CompileError as exc:
                # Checks are declared in a properties file: point at the check there (else the node's entry).
                if exc.file in (None, file):
                    exc.file, exc.line = file, spec.line or exc.line or line
                raise
            compiled.append(CompiledCheck(name=spec.label, kind=spec.kind, column=spec.column,
                                          severity=spec.severity, sql=sql, file=file))
        return tuple(compiled)

    def _parse_check(self, sql: str, spec: CheckSpec, name: str, file: str) -> None:
        """A custom check's SQL must parse as one query now, not fail at apply's audit."""
        read = self.dialect.sqlglot_dialect
        # A check that parsed before parses again: importing sqlglot costs every plan ~0.1 s.
        if self.cache.passed("check-parses", read, sql):
            return
        from faborite.compiler.sql import parse_query  # sqlglot: only when a custom check changed

        try:
            parse_query(sql, read, file=file)
        except CompileError as exc:
            message = exc.message.replace("the model is empty: it renders to no SQL", "the check's SQL is empty")
            message = message.replace("a model holds one SELECT statement", "a check holds one SELECT statement")
            message = message.replace("a model must be a query", "a check must be a query")
            raise CompileError(f"check {spec.label!r} on {name}: {message}", file=file, line=spec.line,
                               hint=exc.hint) from None
        self.cache.remember_passed("check-parses", read, sql)

    def _check_unique_relations(self) -> None:
        """Refuse two nodes published as one relation, ignoring case: most engines fold
        unquoted names, and DuckDB matches even quoted ones case-insensitively."""
        seen: dict[str, str] = {}
        files = {node.name: node.path for node in (*self.project.seeds, *self.project.models)}
        files.update({d["name"]: d["file"] for d in self.sync_drafts.values()})
        for name, relation in self.relations.items():
            key = relation.key.casefold()
            if key in seen:
                other = seen[key]
                where = " and ".join(f"{n!r} ({files[n]})" if files.get(n) else repr(n) for n in (other, name))
                same = "" if relation.key == self.relations[other].key else ", names differ only in case"
                raise CompileError(
                    f"{where} would both be published as {relation.key}{same}",
                    file=files.get(name), hint="rename one, or give it a different alias or schema",
                )
            seen[key] = name


def _data_config(config: ModelConfig | SeedConfig) -> dict[str, Any]:
    dumped = config.model_dump(by_alias=True, mode="json")
    keys = DATA_KEYS
    if getattr(config, "materialized", None) == "incremental":
        keys = DATA_KEYS | INCREMENTAL_KEYS
        dumped["incremental_strategy"] = config.strategy
        if isinstance(dumped["unique_key"], str):
            dumped["unique_key"] = [dumped["unique_key"]]
    return {k: v for k, v in dumped.items() if k in keys and k != "enabled"}


def _resolve_config(base, defaults: dict[str, Any], entry: NodeDocEntry | None, calls: dict[str, Any],
                    file: str, text: str | None = None, calls_at: dict[str, list] | None = None):
    """Folder defaults, then properties ``config:``, then ``config(...)`` calls; most specific wins."""
    layers = [(defaults, "faborite.yml", None, "folder defaults")]
    if entry is not None:
        layers.append((entry.doc.config, entry.file, entry.line, f"'config:' of {entry.doc.name!r}"))
    layers.append((calls, file, _line_of_call(text, "config(") if text else None, "config()"))
    config = base
    for overrides, where, line, what in layers:
        if not overrides:
            continue
        try:
            config = config.merged(overrides)
        except ValidationError as exc:
            error = config_error_from(exc, type(base), overrides, file=where, what=what)
            error.line = line
            key = next(iter(exc.errors()[0]["loc"]), None)
            if what == "config()" and calls_at and key in calls_at:
                # Point at the config() call that set it; a macro's call also names the model.
                error.file, error.line = calls_at[key]
                if error.file != file:
                    error.message += f" (while rendering {file})"
            raise error from None
    return config


def _line_of_ref(text: str, name: str) -> int | None:
    """The line of the first ``ref('name')`` in a model's source (None if it is built some other way)."""
    match = re.search(r"""\bref\(\s*(?:['"][^'"]*['"]\s*,\s*)?['"]""" + re.escape(name) + r"""['"]\s*\)""", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _line_of_call(text: str, needle: str) -> int | None:
    """The first line calling ``needle`` (``config(``; spaces before the parenthesis allowed)."""
    match = re.search(r"\b" + re.escape(needle[:-1]) + r"\s*\(", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


