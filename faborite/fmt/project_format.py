"""Format every model of a project, and never write one whose meaning changed.

The promise: a file is rewritten only when (1) its text formats to itself
again, (2) its Jinja comes back byte for byte (both :mod:`sql_format`), and
(3) the project compiled with the new text gives every model the same SQL
tree (sqlglot's structural equality of the compiled query), the same tokens as
sqlglot's printing of the old compiled query, and the same config as before. A model failing (3) keeps its old text and is reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from faborite.compiler.parallel import map_maybe_parallel
from faborite.errors import CompileError
from faborite.fmt.sql_format import FormatOutcome, format_model_text
from faborite.fmt.yaml_format import format_project_yaml

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest  # noqa: F401 - in CompileFn's string annotation
    from faborite.config.loader import Project

CompileFn = Callable[["Project"], "Manifest"]


class FormatReport(BaseModel):
    """Every model file's outcome in file order, then the YAML files'."""

    model_config = ConfigDict(frozen=True)

    files: tuple[FormatOutcome, ...]
    written: bool

    def with_status(self, status: str) -> list[FormatOutcome]:
        """The outcomes with ``status`` (formatted, unchanged, skipped)."""
        return [f for f in self.files if f.status == status]

    @property
    def needs_formatting(self) -> bool:
        """Whether some file is (or, under --check, would be) rewritten."""
        return any(f.status == "formatted" for f in self.files)


def format_project(project: "Project", compile_fn: CompileFn, *, write: bool) -> FormatReport:
    """Format every model of ``project``; ``write`` rewrites the files (each atomically).

    ``compile_fn`` compiles a project (the real compiler, for the target in use);
    it is called once on the files as they are and once per round of changes.
    """
    from faborite.dialects import get_dialect

    dialect = get_dialect(project.config.dialect).sqlglot_dialect
    models = project.models

    def format_one(index: int) -> FormatOutcome:
        return format_model_text(models[index].text, dialect, path=models[index].path)

    # Parsing and printing dominate (tens of ms a model): large projects use every core.
    formatted = map_maybe_parallel(format_one, range(len(models)))
    outcomes = {m.path: outcome or format_one(i) for i, (m, outcome) in enumerate(zip(models, formatted))}
    originals = {m.path: m.text for m in project.models}
    if any(o.status == "formatted" for o in outcomes.values()):
        outcomes = _keep_meaning(project, compile_fn, outcomes, originals, dialect)
    outcomes.update({o.path: o for o in format_project_yaml(project)})
    if write:
        from faborite.atomic_file import write_atomic

        for outcome in outcomes.values():
            if outcome.status == "formatted":
                write_atomic(project.root / outcome.path, outcome.text.encode("utf-8"))
    return FormatReport(files=tuple(outcomes.values()), written=write)


def _keep_meaning(project: "Project", compile_fn: CompileFn, outcomes: dict[str, FormatOutcome],
                  originals: dict[str, str], dialect: str) -> dict[str, FormatOutcome]:
    """Turn every formatted outcome whose compiled meaning differs into a skip."""
    before = compile_fn(project)
    by_file = {node.file: node for node in before.nodes.values() if node.kind == "model"}
    # Each round drops the changes that failed; a model's config may name relations others read, so recheck.
    while changed := {p: o for p, o in outcomes.items() if o.status == "formatted"}:
        models = tuple(dataclasses.replace(m, text=changed[m.path].text) if m.path in changed else m
                       for m in project.models)
        try:
            after = compile_fn(project.model_copy(update={"models": models}))
        except CompileError as exc:
            if exc.file not in changed:
                raise
            outcomes[exc.file] = changed[exc.file].skipped(
                f"the formatted model does not compile ({exc.message})", originals[exc.file])
            continue
        after_by_file = {node.file: node for node in after.nodes.values() if node.kind == "model"}
        failed = False
        paths = list(changed)

        def same(index: int) -> bool:
            return _same_meaning(by_file.get(paths[index]), after_by_file.get(paths[index]), dialect)

        verdicts = map_maybe_parallel(same, range(len(paths)))
        for path, verdict in zip(paths, verdicts):
            outcome = changed[path]
            old, new = by_file.get(path), after_by_file.get(path)
            if not verdict:
                outcomes[path] = outcome.skipped("formatting would change its compiled SQL", originals[path])
                failed = True
            elif old is not None and new is not None and old.data_hash != new.data_hash:
                outcomes[path] = outcome.model_copy(update={"rebuilds": True})
        if not failed:
            break
    return outcomes


def _same_meaning(old, new, dialect: str) -> bool:
    """Same compiled query tree (comments and layout aside), same config, same parents."""
    if old is None or new is None:
        return old is None and new is None
    if (old.data_config, old.parents, old.relation) != (new.data_config, new.parents, new.relation):
        return False
    return same_query(old.sql or "", new.sql or "", dialect)


def same_query(old_sql: str, new_sql: str, dialect: str) -> bool:
    """Whether ``new_sql`` is ``old_sql`` as sqlglot prints it: the same tree, and the same tokens.

    The tree alone is not enough: sqlglot forgives text an engine refuses (a dangling ``AS``
    parses as no alias), so the new tokens must also be those of the old query's printing.
    """
    import sqlglot

    from faborite.compiler.sql import canonical_text

    try:
        old = sqlglot.parse_one(old_sql, read=dialect)
        if old != sqlglot.parse_one(new_sql, read=dialect):
            return False
        return canonical_text(new_sql, dialect) == canonical_text(old.sql(dialect=dialect, pretty=True), dialect)
    except Exception:  # noqa: BLE001 - what cannot be compared is not the same
        return False
