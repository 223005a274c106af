"""Read a project directory into a typed :class:`Project`. No SQL, no Jinja here."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from faborite.config.folder_defaults import FolderDefaults, defaults_for, flatten_folder_tree
from faborite.config.node_config import ModelConfig, SeedConfig
from faborite.config.output_paths import HINT as OUTPUT_HINT, output_path_problem
from faborite.config.project import PROJECT_FILE, PathsConfig, ProjectConfig
from faborite.dbt.project import DBT_PROJECT_FILE
from faborite.config.properties import NodeDoc, PropertiesFile, SourceDoc
from faborite.config.validation import validate
from faborite.config.yaml_loader import LineDict, LineList, line_of, load_yaml_file, not_utf8_error
from faborite.errors import ConfigError, close_matches, did_you_mean
from faborite.sync.spec import SyncsFile, SyncSpec


@dataclass(frozen=True)
class ModelFile:
    """A model's SQL file and the folder defaults that apply to it.

    A plain dataclass: a project holds thousands and they are built from files
    already validated, so pydantic's per-instance validation is pure cost.
    """

    name: str
    path: str  # project-relative, posix
    folder: tuple[str, ...]
    text: str
    defaults: dict[str, Any]


class SeedFile(BaseModel):
    """A seed CSV file; its bytes are hashed, not kept."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    folder: tuple[str, ...]
    content_hash: str
    defaults: dict[str, Any]


class MacroFile(BaseModel):
    """A file of Jinja macros."""

    model_config = ConfigDict(frozen=True)

    path: str
    text: str


class Located(BaseModel):
    """A properties entry and where it was declared."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None


class NodeDocEntry(Located):
    doc: NodeDoc


class SourceEntry(Located):
    doc: SourceDoc


class SyncSourceEntry(Located):
    """A source read only by syncs (fabric, delta, sql ...): its type and provider-validated config."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    config: Any


class SyncEntry(Located):
    """A sync declared under ``syncs:``."""

    spec: SyncSpec


class Project(BaseModel):
    """Everything in a project directory, typed and validated, nothing compiled."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    config: ProjectConfig
    models: tuple[ModelFile, ...]
    seeds: tuple[SeedFile, ...]
    macros: tuple[MacroFile, ...]
    model_docs: dict[str, NodeDocEntry]
    seed_docs: dict[str, NodeDocEntry]
    sources: dict[str, SourceEntry]
    sync_sources: dict[str, SyncSourceEntry] = Field(default_factory=dict)
    syncs: dict[str, SyncEntry] = Field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: A dbt project's analyses: compiled (``faborite compile NAME``), never built.
    analyses: tuple[ModelFile, ...] = ()
    #: The dbt project read in place (:class:`faborite.dbt.project.DbtProject`); None for a faborite project.
    dbt: Any = Field(default=None, exclude=True, repr=False)
    #: ``faborite.yml`` as loaded (a LineDict), so later stages can point at a line in it.
    raw_config: Any = Field(default=None, exclude=True, repr=False)

    def config_line(self, *loc: str) -> int | None:
        """The line in ``faborite.yml`` of the key at ``loc`` (e.g. ``"targets", "dev"``), when known."""
        return line_of(self.raw_config, loc) if self.raw_config is not None else None


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``faborite.yml`` (or a dbt project's
    ``dbt_project.yml``, read in place)."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / PROJECT_FILE).is_file() or (candidate / DBT_PROJECT_FILE).is_file():
            return candidate
    raise ConfigError(
        f"no {PROJECT_FILE} found in {start} or any parent directory",
        hint="run faborite inside a project, pass --project-dir, or create one with `faborite init NAME`",
    )


def relative_to_project(path: Path, root: Path) -> str:
    """``path`` as the project names it: relative to ``root``, with ``..`` for a dbt path outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # a dbt macro or model path outside the project (`../shared_macros`)
        return Path(os.path.relpath(path, root)).as_posix()


def _read_text(path: Path, root: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8_error(path, relative_to_project(path, root)) from None


def load_project(root: Path, *, profile: str | None = None, vars_override: dict[str, Any] | None = None,
                 environ: dict[str, str] | None = None) -> Project:
    """Load and validate every project file under ``root``.

    Without ``faborite.yml``, a ``dbt_project.yml`` is read in place (:mod:`faborite.dbt`):
    ``profile`` overrides its ``profile:``, ``vars_override`` and ``environ`` feed the Jinja
    in its config values.
    """
    root = root.resolve()
    config_path = root / PROJECT_FILE
    dbt = None
    if not config_path.is_file() and (root / DBT_PROJECT_FILE).is_file():
        from faborite.dbt.project import read_dbt_project

        dbt = read_dbt_project(root, profile=profile, vars_override=vars_override,
                               environ=os.environ if environ is None else environ)
        raw = dbt.raw
    elif not config_path.is_file():
        raise ConfigError(f"no {PROJECT_FILE} in {root}", hint="create one with `faborite init NAME`")
    else:
        raw = load_yaml_file(config_path, PROJECT_FILE)
    if not isinstance(raw, dict):
        raise ConfigError(f"{PROJECT_FILE} must be a mapping of keys", file=PROJECT_FILE, line=1)
    config_file = DBT_PROJECT_FILE if dbt else PROJECT_FILE
    _precheck_project_file(raw)
    config = validate(ProjectConfig, raw, file=config_file, what=config_file)
    model_defaults = flatten_folder_tree(raw.get("models", {}), ModelConfig, file=config_file, section="models")
    seed_defaults = flatten_folder_tree(raw.get("seeds", {}), SeedConfig, file=config_file, section="seeds")

    warnings: list[str] = []
    models_dir = root / config.paths.models
    seeds_dir = root / config.paths.seeds
    models = _load_models(models_dir, root, model_defaults)
    seeds = _load_seeds(seeds_dir, root, seed_defaults)
    model_paths = {m.name: m.path for m in models}
    for seed in seeds:
        if seed.name in model_paths:
            raise ConfigError(
                f"a seed and a model are both named {seed.name!r}: {seed.path} and {model_paths[seed.name]}",
                file=model_paths[seed.name], line=1,
                hint="ref() could not tell them apart; rename one of the files",
            )
    macros = tuple(
        MacroFile(path=relative_to_project(p, root), text=_read_text(p, root))
        for p in sorted((root / config.paths.macros).rglob("*.sql"))
    )
    extra_yaml_dirs: list[Path] = []
    analyses: tuple[ModelFile, ...] = ()
    if dbt is not None:
        from faborite.dbt import project_files

        more_models, more_seeds, more_dirs = project_files.other_paths(root, dbt, model_defaults, seed_defaults,
                                                                      _load_models, _load_seeds)
        _check_no_clash(models, more_models)
        models, seeds = (*models, *more_models), (*seeds, *more_seeds)
        packages = project_files.packages_of(root, dbt)
        macros = tuple(project_files.macro_files(root, dbt, packages))
        more, extra_yaml_dirs = project_files.package_models(root, dbt, packages, _load_models)
        extra_yaml_dirs += more_dirs
        more += project_files.snapshot_models(root, dbt)
        _check_no_clash(models, more)
        models = (*models, *more)
        properties_filter = _dbt_properties_filter(dbt, macros)
        analyses = tuple(a for folder in dbt.analysis_paths if (root / folder).is_dir()
                         for a in _load_models(root / folder, root, {}))
    warnings += _unused_folders(model_defaults, {(*m.folder, m.name) for m in models}, "models", config_file)
    warnings += _unused_folders(seed_defaults, {(*s.folder, s.name) for s in seeds}, "seeds", config_file)

    model_docs: dict[str, NodeDocEntry] = {}
    seed_docs: dict[str, NodeDocEntry] = {}
    sources: dict[str, SourceEntry] = {}
    sync_sources: dict[str, SyncSourceEntry] = {}
    yaml_files = [
        *sorted(models_dir.rglob("*.yml")), *sorted(models_dir.rglob("*.yaml")),
        *sorted(seeds_dir.rglob("*.yml")), *sorted(seeds_dir.rglob("*.yaml")),
        *sorted((root / config.paths.sources).rglob("*.yml")), *sorted((root / config.paths.sources).rglob("*.yaml")),
        *(p for folder in extra_yaml_dirs for p in sorted(folder.rglob("*.y*ml"))),
    ]
    for path in yaml_files:
        display = relative_to_project(path, root)
        data = load_yaml_file(path, display)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise ConfigError(
                "a properties file must be a mapping with 'models:', 'seeds:' or 'sources:'",
                file=display, line=getattr(data, "line", None) or 1,
                hint="start the file with e.g. 'models:' and list entries under it as '- name: ...'",
            )
        if dbt is not None:
            data = properties_filter(data, display)
        _split_sync_sources(data, display, sync_sources)
        props = validate(PropertiesFile, data, file=display, what="properties file")
        for section, entries, target in (
            ("models", props.models, model_docs),
            ("seeds", props.seeds, seed_docs),
            ("sources", props.sources, sources),
        ):
            for index, entry in enumerate(entries):
                line = data[section].item_lines[index] if hasattr(data.get(section), "item_lines") else None
                if entry.name in target:
                    other = target[entry.name]
                    raise ConfigError(
                        f"{section[:-1]} {entry.name!r} is described twice (also at {other.file}:{other.line})",
                        file=display, line=line, hint="keep one entry per name",
                    )
                cls = SourceEntry if section == "sources" else NodeDocEntry
                target[entry.name] = cls(doc=entry, file=display, line=line)

    known_models = {m.name for m in models}
    if dbt is not None:
        from faborite.dbt.project_files import singular_tests
        from faborite.dbt.properties import summary

        model_docs = singular_tests(root, dbt, model_docs, known_models, dbt.notes)
        warnings += dbt.notes
        warnings += [line for line in (summary(dbt.dropped_keys),) if line]
    for name, entry in model_docs.items():
        if name not in known_models and not entry.doc.versions:  # a versioned model's files are name_v<N>
            warnings.append(f"{entry.file}:{entry.line}: properties for model {name!r}, which has no .sql file")
    known_seeds = {s.name for s in seeds}
    for name, entry in seed_docs.items():
        if name not in known_seeds:
            warnings.append(f"{entry.file}:{entry.line}: properties for seed {name!r}, which has no .csv file")

    for name, entry in sync_sources.items():
        if name in sources:
            other = sources[name]
            raise ConfigError(f"source {name!r} is described twice (also at {other.file}:{other.line})",
                              file=entry.file, line=entry.line, hint="keep one entry per name")
    syncs = _load_syncs(root / config.paths.syncs, root, config.paths)

    return Project(
        root=root, config=config, models=models, seeds=seeds, macros=macros,
        model_docs=model_docs, seed_docs=seed_docs, sources=sources, sync_sources=sync_sources, syncs=syncs,
        warnings=tuple(warnings), raw_config=raw, dbt=dbt, analyses=analyses,
    )


def _check_no_clash(models: tuple[ModelFile, ...], more: list[ModelFile]) -> None:
    """A package's model may not share a name with another model (ref() could not tell them apart)."""
    seen = {m.name: m.path for m in models}
    for model in more:
        _check_unique("model", model.name, model.path, seen)


def _dbt_properties_filter(dbt: Any, macros: tuple[MacroFile, ...]):
    """A function making one dbt properties file loadable by faborite (see :mod:`faborite.dbt.properties`)."""
    from faborite.dbt.properties import tolerate
    from faborite.dbt.tests import TestRewriter, generic_tests

    from faborite.dbt.dbt_utils import fallback_tests

    rewriter = TestRewriter(generic=generic_tests((m.path, m.text) for m in macros), dropped=dbt.dropped_keys,
                            notes=dbt.notes, packaged=fallback_tests({p.root.name for p in dbt.packages}))

    def keep_what_faborite_reads(data: Any, file: str) -> Any:
        rewriter.file = file
        return tolerate(data, dropped=dbt.dropped_keys, tests=rewriter)

    return keep_what_faborite_reads


def _precheck_project_file(raw: dict) -> None:
    """Mistakes in ``faborite.yml`` that deserve a better message than plain validation gives."""
    lines = getattr(raw, "key_lines", {})
    node_keys = {f.alias or name for model in (ModelConfig, SeedConfig) for name, f in model.model_fields.items()}
    for key in raw:
        if isinstance(key, str) and key not in ProjectConfig.model_fields:
            matches = close_matches(key, sorted(node_keys), n=1)
            if matches and not close_matches(key, ProjectConfig.model_fields):
                # e.g. 'materialized: table' at top level: node config belongs in folder defaults.
                match = matches[0]
                raise ConfigError(
                    f"unknown key {key!r} in {PROJECT_FILE}",
                    file=PROJECT_FILE, line=lines.get(key),
                    hint=f"did you mean '+{match}' under 'models:'? node config is set per folder: "
                         f"'models: {{+{match}: ...}}'",
                )
    targets, target = raw.get("targets"), raw.get("target")
    if isinstance(targets, dict) and targets and isinstance(target, str) and target not in targets:
        raise ConfigError(
            f"default target {target!r} is not defined under 'targets:'",
            file=PROJECT_FILE, line=lines.get("target"),
            hint=did_you_mean(target, targets) or "defined targets: " + ", ".join(map(str, targets)),
        )


def _check_unique(kind: str, name: str, path: str, seen: dict[str, str]) -> None:
    if name in seen:
        raise ConfigError(
            f"two {kind}s are named {name!r}: {seen[name]} and {path}",
            file=path, line=1, hint=f"{kind} names must be unique across folders; rename one file",
        )
    seen[name] = path


def _sql_files(top: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(absolute path, folder parts below top)`` of every .sql file, sorted (os.walk: no Path objects)."""
    found = []
    for directory, subdirs, files in os.walk(top):
        subdirs.sort()
        rel = os.path.relpath(directory, top)
        folder = () if rel == "." else tuple(rel.split(os.sep))
        found += [(os.path.join(directory, f), folder) for f in files if f.endswith(".sql")]
    return sorted(found)


def _load_models(models_dir: Path, root: Path, defaults: FolderDefaults) -> tuple[ModelFile, ...]:
    seen: dict[str, str] = {}
    models = []
    folder_defaults: dict[tuple[str, ...], dict[str, Any]] = {}
    prefix = len(str(root)) + 1
    inside = str(models_dir).startswith(str(root) + os.sep)
    for path, folder in _sql_files(models_dir):
        # A dbt model path may lie outside the project (`model-paths: [models, ../shared]`).
        rel = (path[prefix:] if inside else os.path.relpath(path, root)).replace(os.sep, "/")
        name = os.path.basename(path)[:-4]
        _check_unique("model", name, rel, seen)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except UnicodeDecodeError:
            raise not_utf8_error(Path(path), rel) from None
        if folder not in folder_defaults:
            folder_defaults[folder] = defaults_for(folder, defaults)
        models.append(ModelFile(name=name, path=rel, folder=folder, text=text,
                                defaults=_named_defaults(folder_defaults[folder], defaults, (*folder, name))))
    return tuple(models)


def _load_seeds(seeds_dir: Path, root: Path, defaults: FolderDefaults) -> tuple[SeedFile, ...]:
    seen: dict[str, str] = {}
    seeds = []
    for path in sorted(seeds_dir.rglob("*.csv")):
        rel = relative_to_project(path, root)
        folder = path.parent.relative_to(seeds_dir).parts
        _check_unique("seed", path.stem, rel, seen)
        seeds.append(SeedFile(
            name=path.stem, path=rel, folder=folder,
            content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
            defaults=_named_defaults(defaults_for(folder, defaults), defaults, (*folder, path.stem)),
        ))
    return tuple(seeds)


def _named_defaults(merged: dict[str, Any], defaults: FolderDefaults, path: tuple[str, ...]) -> dict[str, Any]:
    """dbt lets the tree name one node as it names a folder (``staging: {stg_x: {+enabled: false}}``):
    that entry wins over its folder's. ``merged`` is returned as is (shared by the folder) otherwise."""
    own = defaults.get(path)
    if not own:
        return merged
    return defaults_for((path[-1],), {(): merged, (path[-1],): own})  # tags accumulate, as for folders


def _unused_folders(defaults: FolderDefaults, folders: set[tuple[str, ...]], section: str,
                    config_file: str) -> list[str]:
    used = {folder[:depth] for folder in folders for depth in range(len(folder) + 1)}
    return [
        f"{config_file}: '{section}.{'.'.join(path)}' matches no folder under {section}/"
        for path in defaults if path not in used
    ]


_MODEL_SOURCE_TYPES = (None, "database", "files")


def _split_sync_sources(data: dict, file: str, found: dict[str, SyncSourceEntry]) -> None:
    """Move sources of plugin types (fabric, delta, sql, ...) out of ``data`` into ``found``,
    validated by their provider's config model; database/files sources stay for PropertiesFile."""
    from faborite.plugins import load_source_provider

    entries = data.get("sources")
    if not isinstance(entries, LineList):
        return
    kept = LineList()
    kept.line = entries.line
    for entry, line in zip(entries, entries.item_lines):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind in _MODEL_SOURCE_TYPES or not isinstance(kind, str):
            kept.append(entry)
            kept.item_lines.append(line)
            continue
        try:
            provider = load_source_provider(kind)
        except ConfigError as exc:
            exc.file, exc.line = file, entry.key_lines.get("type", line) if isinstance(entry, LineDict) else line
            raise
        config = validate(provider.config_model, entry, file=file, what=f"source of type {kind!r}")
        name = getattr(config, "name")
        if name in found:
            other = found[name]
            raise ConfigError(f"source {name!r} is described twice (also at {other.file}:{other.line})",
                              file=file, line=line, hint="keep one entry per name")
        found[name] = SyncSourceEntry(type=kind, config=config, file=file, line=line)
    data["sources"] = kept


def _load_syncs(syncs_dir: Path, root: Path, paths: PathsConfig) -> dict[str, SyncEntry]:
    """Every ``syncs:`` entry under the syncs folder, validated, with its location."""
    syncs: dict[str, SyncEntry] = {}
    for path in [*sorted(syncs_dir.rglob("*.yml")), *sorted(syncs_dir.rglob("*.yaml"))]:
        display = relative_to_project(path, root)
        data = load_yaml_file(path, display)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise ConfigError("a syncs file must be a mapping with 'syncs:'", file=display, line=1,
                              hint="start the file with 'syncs:' and list entries as '- name: ...'")
        parsed = validate(SyncsFile, data, file=display, what="syncs file")
        lines = getattr(data.get("syncs"), "item_lines", [])
        for index, spec in enumerate(parsed.syncs):
            line = lines[index] if index < len(lines) else None
            if spec.name in syncs:
                other = syncs[spec.name]
                raise ConfigError(f"sync {spec.name!r} is declared twice (also at {other.file}:{other.line})",
                                  file=display, line=line, hint="sync names must be unique")
            problem = output_path_problem(spec.to.path, root, paths) if spec.to.path is not None else None
            if problem:
                raise ConfigError(problem, file=display, line=line_of(data, ("syncs", index, "to", "path")) or line,
                                  hint=OUTPUT_HINT)
            syncs[spec.name] = SyncEntry(spec=spec, file=display, line=line)
    return syncs
