"""Errors a user can act on.

Every error faborite raises on purpose is a :class:`FaboriteError`: one message
that says what went wrong, where (file and line when there is one), and a hint.
The CLI prints it in one block and exits 1; a traceback is shown only with
``--debug``. Anything else that escapes is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class FaboriteError(Exception):
    """A user-facing error with an optional location and hint."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        super().__init__(self.message)
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint

    # Messages quote what the user wrote; a 2 MB line must not make a 2 MB message.
    @property
    def message(self) -> str:
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._message = readable_text(value)

    @property
    def hint(self) -> str | None:
        return self._hint

    @hint.setter
    def hint(self, value: str | None) -> None:
        self._hint = readable_text(value) if value is not None else None

    @property
    def location(self) -> str | None:
        """``file:line`` (or just ``file``) when known."""
        if self.file is None:
            return None
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        """The error as plain data, for ``--json`` output."""
        return {
            "kind": self.kind,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "hint": self.hint,
        }


class ConfigError(FaboriteError):
    """A project file is malformed: bad YAML, unknown key, wrong type."""

    kind = "config"


class CompileError(FaboriteError):
    """A model could not be compiled: Jinja error, SQL syntax, bad ref, cycle."""

    kind = "compile"


class CompileErrors(CompileError):
    """Several models failed to compile: each error at its file:line, and the models not
    compiled because they depend on one that failed. validate and plan report them all at once."""

    def __init__(self, errors: "list[FaboriteError]", skipped: "dict[str, str] | None" = None,
                 models: "dict[int, str] | None" = None) -> None:
        # ``models``: the failing model of an error located outside its own file (a macro), by id(error).
        self.errors = list(errors)
        models = models or {}
        self.skipped = dict(skipped or {})
        count = len(self.errors)
        lines = [f"{count} model{'s' if count != 1 else ''} failed to compile"
                 + (f"; {len(self.skipped)} more depend on them and were not compiled" if self.skipped else "")
                 + ":"]
        for error in self.errors:
            model = f" (model {models[id(error)]})" if id(error) in models else ""
            where = f"{error.location}{model}: " if error.location else (f"model {models[id(error)]}: " if model else "")
            lines.append(f"  {where}{error.message}")
            if error.hint:
                lines.append(f"    hint: {error.hint}")
        if self.skipped:
            lines.append("  not compiled: " + ", ".join(f"{name} (needs {parent})"
                                                        for name, parent in sorted(self.skipped.items())))
        super().__init__("\n".join(lines), hint="fix each model above; nothing is applied while any fails")
        # Every failure is listed, however many: only each line is kept short (MAX_LINES would cut the list).
        self._message = "\n".join(shorten_excerpt(line) if len(line) > MAX_LINE_CHARS else line for line in lines)

    def to_dict(self) -> dict:
        """The errors as plain data: every failure, and what was not compiled because of them."""
        return {**super().to_dict(), "errors": [e.to_dict() for e in self.errors], "skipped": self.skipped}


class StateError(FaboriteError):
    """Recorded state cannot be read, written, or does not match."""

    kind = "state"


class LockError(StateError):
    """Another operation holds the state lock."""

    kind = "lock"


class PlanError(FaboriteError):
    """A saved plan cannot be applied (stale, foreign, or corrupt)."""

    kind = "plan"


class ApplyError(FaboriteError):
    """Building, checking or publishing failed; nothing was published."""

    kind = "apply"


class QueryError(FaboriteError):
    """``faborite query`` refused a statement: it must be one read-only query."""

    kind = "query"


class ProviderError(FaboriteError):
    """A provider or target could not do what was asked."""

    kind = "provider"


class TargetMissingError(ProviderError):
    """The target's database does not exist (yet, or any more): nothing is published there."""


#: How much of a quoted piece of input a message shows.
EXCERPT_CHARS = 200
#: A message or hint line longer than this is shortened to EXCERPT_CHARS; more lines than MAX_LINES are cut.
MAX_LINE_CHARS = 1000
MAX_LINES = 40


def shorten_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` (quoted input: a value, a line, a token) cut to about ``limit`` characters.

    Keeps the start and the end, and says how much was left out:
    ``'aaaa… (1,999,800 more characters) …aaaa'``.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    tail = limit - head
    return f"{text[:head]}… ({len(text) - head - tail:,} more characters) …{text[-tail:]}"


def readable_text(text: str) -> str:
    """A message or hint with every over-long line shortened (``shorten_excerpt``) and at most MAX_LINES lines."""
    text = str(text)
    if len(text) <= MAX_LINE_CHARS and text.count("\n") < MAX_LINES:
        return text
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES - 1], f"… ({len(lines) - MAX_LINES + 1:,} more lines)"]
    return "\n".join(shorten_excerpt(line) if len(line) > MAX_LINE_CHARS else line for line in lines)


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Names from ``candidates`` that look like ``word`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidates, or None when nothing is close."""
    matches = close_matches(word, candidates)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
