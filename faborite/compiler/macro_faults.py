"""dbt projects: a macro file that cannot load fails the models that use it, not the project.

dbt stops a whole project at the first macro file it cannot parse. Large real
projects carry such files (a stray ``{% endif %}`` in a macro no current model
calls, a second definition of a helper), so for a dbt project read in place
faborite reports the file once, as a warning, and every macro the file
defines becomes a stand-in that fails the model calling it, with the file's
error at the file's line. Native faborite projects stay strict: there a broken
macro file is an error for the project.

dbt also lets a project override some of its built-ins with macros: ``ref``
and ``source`` overrides are called (``builtins.ref`` reaches faborite's own),
and an ``is_incremental`` override is not used, because faborite renders every
incremental model both ways itself (said once in a warning).
"""

from __future__ import annotations

import re
from typing import Any

from faborite.errors import CompileError

#: Built-ins a dbt project's own macro may replace; its macro is called instead.
OVERRIDABLE = frozenset({"ref", "source"})
#: Built-ins a dbt project may override in dbt, whose override faborite leaves unused.
IGNORED_OVERRIDES = frozenset({"is_incremental"})
_MACRO = re.compile(r"\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def macro_names(text: str) -> list[str]:
    """The names of the macros a file defines, read from its text (it may not compile)."""
    return _MACRO.findall(text)


class BrokenMacro:
    """Stands for a macro of a file that failed to load: calling it raises that file's error."""

    def __init__(self, name: str, error: CompileError) -> None:
        self.name = name
        self.error = error

    def __call__(self, *_: Any, **__: Any) -> Any:
        # The file's error in full is in the one warning; each model's line gives its first sentence.
        first = self.error.message.split(". ", 1)[0]
        raise CompileError(f"macro {self.name!r} is unusable: its file does not load ({first})",
                           file=self.error.file, line=self.error.line, hint=self.error.hint)


def broken_file_note(error: CompileError) -> str:
    """The one warning line for a macro file that failed to load."""
    return (f"{error.location}: macro file not loaded ({error.message}); models calling its macros fail, "
            "the others compile")


def ignored_override_note(path: str, name: str) -> str:
    """The one warning line for a dbt built-in override faborite does not use."""
    return f"{path}: macro {name!r} is not used: faborite decides {name}() itself"
