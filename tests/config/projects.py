"""Helpers shared by the config, compiler and CLI error tests.

A project made by ``faborite init`` (the real template), then edited: each
test changes one file and checks the one error that comes out of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import init_project
from faborite.compiler import Manifest, compile_project
from faborite.config import Project, load_project
from faborite.errors import FaboriteError


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A fresh project from the template (``faborite init``), not applied."""
    return init_project(tmp_path / "proj")


def write(root: Path, rel: str, text: str) -> Path:
    """Create or overwrite ``root/rel`` with ``text``."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``root/rel`` (fails loudly if the template changed)."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_with(root: Path, rel: str, needle: str) -> int:
    """The 1-based number of the first line of ``root/rel`` containing ``needle``."""
    for number, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def load(root: Path) -> Project:
    return load_project(root)


def compile_(root: Path, target: str | None = None, **kwargs) -> Manifest:
    return compile_project(load_project(root), target, environ=kwargs.pop("environ", {}), **kwargs)


def error_of(root: Path, target: str | None = None, **kwargs) -> FaboriteError:
    """The FaboriteError that loading and compiling ``root`` raises."""
    with pytest.raises(FaboriteError) as info:
        compile_(root, target, **kwargs)
    return info.value


def check_error(
    error: FaboriteError,
    cls: type[FaboriteError],
    *,
    file: str,
    line: int | None,
    message: str | tuple[str, ...],
    hint: str | None = None,
) -> None:
    """``error`` is a ``cls`` at ``file:line`` whose message contains ``message`` and hint contains ``hint``."""
    assert isinstance(error, cls), f"expected {cls.__name__}, got {type(error).__name__}: {error}"
    assert (error.file, error.line) == (file, line), str(error)
    for part in (message,) if isinstance(message, str) else message:
        assert part in error.message, error.message
    if hint is not None:
        assert error.hint is not None and hint in error.hint, error.hint
    # The printed form leads with the location and ends with the hint.
    text = str(error)
    assert text.startswith(f"{file}:{line}: " if line else f"{file}: "), text
    if error.hint:
        assert text.endswith(f"\n  hint: {error.hint}"), text
