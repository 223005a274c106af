"""Per-model compile failures: one model's error fails that model and what depends on it.

A compile keeps going past a failing model so that one run reports every
failure (with a count), each at its file:line; the models downstream of a
failure are not compiled (they would only repeat it). At the end, if anything
failed, one :class:`faborite.errors.CompileErrors` carries them all: validate
and plan print them and exit 1, and there is nothing to apply.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, TypeVar

from faborite.errors import CompileErrors, FaboriteError

T = TypeVar("T")


class Failures:
    """The models that failed so far, by name, with their errors (first error per model)."""

    def __init__(self) -> None:
        self.errors: dict[str, FaboriteError] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.errors

    def add(self, name: str, error: FaboriteError) -> None:
        """Record ``error`` for model ``name`` (a model's first error is the one reported)."""
        self.errors.setdefault(name, error)

    def attempt(self, name: str, step: Callable[[], T]) -> T | None:
        """``step()``, or None after recording its error against ``name``."""
        try:
            return step()
        except FaboriteError as error:
            self.add(name, error)
            return None

    def prune(self, drafts: dict[str, dict[str, Any]], node_ids: dict[str, str]) -> dict[str, str]:
        """Drop from ``drafts`` every node downstream of a failure; ``{name: failed ancestor}``."""
        failed_ids = {node_ids.get(name, f"model.{name}"): name for name in self.errors}
        skipped: dict[str, str] = {}
        changed = True
        while changed:
            changed = False
            for node_id, draft in list(drafts.items()):
                culprit = next((failed_ids[p] for p in draft.get("parents", ()) if p in failed_ids), None)
                if culprit is not None:
                    del drafts[node_id]
                    failed_ids[node_id] = culprit
                    skipped[draft.get("name", node_id)] = culprit
                    changed = True
        return skipped

    def raise_if_any(self, skipped: dict[str, str]) -> None:
        """Raise the one error that lists every failure (a single failure is raised as it is:
        what depends on it is plain from the DAG)."""
        if not self.errors:
            return
        if len(self.errors) == 1:
            raise next(iter(self.errors.values()))
        raise CompileErrors(list(self.errors.values()), skipped,
                            models={id(e): n for n, e in self.errors.items() if not _in_own_file(n, e)})


def _in_own_file(name: str, error: FaboriteError) -> bool:
    """Whether ``error`` points into the failing model's own file (else, e.g. a macro, the report
    names the model: the same macro line failing for several models is otherwise ambiguous)."""
    return not error.file or PurePosixPath(str(error.file)).stem == name
