"""Where a sync may write files: inside the project, outside faborite's own folders.

A sync's ``to.path`` becomes folders and symlinks that apply creates, replaces
and garbage-collects. Pointed at ``../../somewhere``, ``/etc`` or
``.faborite/state`` it would write (and later delete) where it has no business.
So an output path must resolve (symlinks followed) inside an *output root* and
must not be, hold or sit inside one of the project's own folders.

Output roots default to the project itself; ``paths: {outputs: [...]}`` in
``faborite.yml`` replaces them (relative to the project, or absolute: the way
to write outside the project on purpose).
"""

from __future__ import annotations

import os
from pathlib import Path

from faborite.config.project import PathsConfig

#: Folders under the project root that are never an output, whatever ``paths:`` says.
RESERVED = (".faborite", ".git")

HINT = ("write outputs to a folder of their own inside the project (e.g. 'exports'); to write elsewhere, "
        "list the folder under 'paths: {outputs: [...]}' in faborite.yml")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def protected_folders(root: Path, paths: PathsConfig) -> dict[str, Path]:
    """The project's own folders, by how they are named in messages, symlinks resolved."""
    named = {name: name for name in RESERVED}
    for field in ("models", "seeds", "macros", "sources", "syncs"):
        named[f"{field} folder '{getattr(paths, field)}'"] = getattr(paths, field)
    return {label: _real(root / folder) for label, folder in named.items()}


def output_path_problem(path: str, root: Path, paths: PathsConfig) -> str | None:
    """Why ``path`` may not be a sync output (None when it may)."""
    if path.startswith("~"):
        return f"sync output path {path!r} starts with '~', which is not expanded"
    root = Path(root)
    real_root = _real(root)
    target = _real(root / path)
    outputs = [_real(root / Path(o).expanduser()) for o in paths.outputs] or [real_root]
    if not any(_within(target, allowed) for allowed in outputs):
        where = "outside the project" if not paths.outputs else "outside the folders under 'paths.outputs'"
        return f"sync output path {path!r} is {where} (it resolves to {target})"
    if target == real_root:
        return f"sync output path {path!r} is the project folder itself"
    for label, folder in protected_folders(root, paths).items():
        if _within(target, folder):
            return f"sync output path {path!r} is inside the project's {label}"
        if target in folder.parents:
            return f"sync output path {path!r} holds the project's {label}"
    return None
