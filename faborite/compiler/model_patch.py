"""Partial parsing's second half: a cached manifest brought up to date after only some models' text
changed, by compiling just those models and re-versioning what reads them (never when the edit
could reach further: then only a full compile is right)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from faborite.compiler import fingerprint
from faborite.compiler.config_layers import resolve_config
from faborite.compiler.manifest import Manifest, Node
from faborite.compiler.project_compiler import TargetInfo, Compilation
from faborite.compiler.target_support import check_target_support
from faborite.config.loader import Project
from faborite.config.node_config import ModelConfig
from faborite.relation import Relation


def recompile_models(project: Project, manifest: Manifest, edited: set[str], target: str | None = None, *,
                     vars_override: dict[str, Any] | None = None,
                     environ: Mapping[str, str] | None = None, cache_dir: Path | None = None) -> Manifest | None:
    """``manifest``, compiled from an earlier ``project`` whose only change since is the text of the
    models named ``edited``, brought up to date by compiling just those models and re-versioning
    what reads them.

    Returns None when the edit may reach past those models (a relation name, parents, enabled or an
    incremental model changed, the project has syncs, a model below renders in a way that may read
    them, or any error): then only a full :func:`compile_project` is right, and it reports the
    error at its place. ``cache_dir``: the full compile's render cache, which says which models
    below render independently of other files.
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
        compilation = Compilation(project, get_dialect(project.config.dialect)(), info,
                                   {**project.config.vars, **(vars_override or {})}, environ, cache_dir, 1)
        return _patch(compilation, manifest, edited)
    except (FaboriteError, ValidationError):
        return None


def _patch(compilation: "Compilation", manifest: Manifest, edited: set[str]) -> Manifest | None:
    """``manifest`` with the ``edited`` models compiled again by ``compilation`` (see :func:`recompile_models`)."""
    if compilation.project.dbt is not None or compilation.naming_hooks:
        return None  # dbt's config and naming rules live in the full compile only
    for node in manifest.nodes.values():
        if node.kind == "model":
            relation = Relation.parse(node.relation)
            if relation.key != node.relation:
                return None
            compilation.relations[node.name] = relation
            compilation.node_ids[node.name] = node.id
    changed: dict[str, Node] = {}
    for model in compilation.project.models:
        if model.name not in edited:
            continue
        old = manifest.nodes.get(f"model.{model.name}")
        text, record = compilation.templates.render(model.text, model.path)
        config = resolve_config(ModelConfig(), model.defaults, compilation.project.model_docs.get(model.name),
                                 record.config, model.path, text=model.text, calls_at=record.config_at)
        relation = Relation(schema_name=config.schema_name or compilation.target.schema, name=config.alias or model.name)
        if (old is None or not config.enabled or relation.key != old.relation
                or "incremental" in (config.materialized, old.materialized)):
            return None
        if record.columns_wanted or record.uncacheable or config.materialized in ("ephemeral", "snapshot"):
            return None
        job = compilation._located_sql(text, model, record)
        analysis = compilation._analyze_all([job], [model.name], cached=False)[0]
        if analysis is None:
            return None  # the full compile reports the error
        check_target_support([(model.name, *job)], read=compilation.dialect.sqlglot_dialect, target=compilation.target_dialect,
                             target_name=compilation.target.name, cache=compilation.cache)
        draft = compilation._model_draft(model, job[0], analysis, record, config, line_offset=job[2])
        if tuple(draft["parents"]) != old.parents:
            return None
        changed[old.id] = Node(**draft, version=old.version)  # versioned below, with its parents
    # What a render below can read of an edited model is its relation (unchanged, above) and its
    # columns: with the same output columns, no render below can differ.
    same_face = all(node.output_columns == manifest.nodes[node_id].output_columns for node_id, node in changed.items())
    if not same_face and not _descendants_render_statically(compilation, manifest, set(changed)):
        return None
    nodes: dict[str, Node] = {}
    moved: set[str] = set()  # nodes whose version changed: only their children need versioning again
    for node_id, node in manifest.nodes.items():  # topological order: parents are done first
        if node_id not in changed and not moved.intersection(node.parents):
            nodes[node_id] = node  # its data and its parents' versions are as they were
            continue
        node = changed.get(node_id, node)
        version = fingerprint.version(node.data_hash, [(p, nodes[p].version) for p in node.parents])
        if version != manifest.nodes[node_id].version:
            moved.add(node_id)
        nodes[node_id] = node if version == node.version else node.model_copy(update={"version": version})
    fields = {name: getattr(manifest, name) for name in Manifest.model_fields if name != "nodes"}
    return Manifest(**fields, nodes=nodes)


def _descendants_render_statically(compilation: "Compilation", manifest: Manifest, edited_ids: set[str]) -> bool:
    """Whether every model below the edited ones renders without reading them: without Jinja (only
    ref/source/var/config calls), or as the render cache holds it under today's salt (the cache
    keeps only renders that read no other model's columns and nothing uncacheable, and a full
    compile would take that very entry). Any other one may read an edited model's columns or
    inline it, so its SQL could change too; then only a full compile is right."""
    texts = {f"model.{m.name}": m for m in compilation.project.models}
    below, frontier = set(), set(edited_ids)
    children: dict[str, list[str]] = {}
    for node in manifest.nodes.values():
        for parent in node.parents:
            children.setdefault(parent, []).append(node.id)
    while frontier:
        frontier = {c for p in frontier for c in children.get(p, ())} - below
        below |= frontier
    for node_id in below:
        model = texts.get(node_id)
        if (model is not None and compilation.templates.static_render(model.text, model.path) is None
                and compilation.cache.get_render(model.path, model.text) is None):
            return False
    return True
