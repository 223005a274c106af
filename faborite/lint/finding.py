"""What a lint rule reports, and the context every rule reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest, Node
    from faborite.config.loader import Project


class Finding(BaseModel):
    """One likely mistake: a rule code, where, what, and what to do."""

    model_config = ConfigDict(frozen=True)

    code: str
    file: str | None
    line: int | None
    message: str
    hint: str

    @property
    def where(self) -> str:
        """``file:line`` (or what of it is known)."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or "faborite.yml"


class LintReport(BaseModel):
    """The findings of every enabled rule, sorted by file and line."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...]
    disabled: tuple[str, ...] = ()


@dataclass(frozen=True)
class LintContext:
    """The compiled manifest and the raw files: rules compute from the first, locate in the second."""

    project: "Project"
    manifest: "Manifest"

    @cached_property
    def dialect(self) -> str:
        """The sqlglot dialect models are written (and compiled) in."""
        return self.manifest.sql_dialect

    @cached_property
    def texts(self) -> dict[str, str]:
        """Model and macro file texts by project-relative path."""
        return {**{m.path: m.text for m in self.project.models}, **{m.path: m.text for m in self.project.macros}}

    @cached_property
    def properties_files(self) -> dict[str, Path]:
        """The properties files (``.yml``/``.yaml`` under models, seeds and sources) by project-relative path."""
        from faborite.fmt.yaml_format import properties_files

        return properties_files(self.project)

    def models(self) -> "list[Node]":
        """The compiled models, in topological order."""
        return [node for node in self.manifest.nodes.values() if node.kind == "model"]

    def line_of(self, file: str | None, pattern: str, default: int | None = 1) -> int | None:
        """The first line of ``file`` matching the regex ``pattern`` (``default`` if none)."""
        text = self.texts.get(file or "")
        if text is None and file:
            path = self.project.root / file
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
        match = re.search(pattern, text or "", re.MULTILINE)
        return text.count("\n", 0, match.start()) + 1 if match and text else default


@dataclass(frozen=True)
class Rule:
    """A lint rule: its code, a short name (for docs and --json), and the function that finds."""

    code: str
    name: str
    check: Callable[[LintContext], Iterable[Finding]]
