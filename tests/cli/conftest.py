"""Helpers for the CLI tests: run ``faborite`` in-process, as a subprocess, or on a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_on_pty

from faborite.cli import main

#: Environment variables that change whether rich and click style their output.
_COLOR_ENV = ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR", "CLICOLOR_FORCE")


@dataclass
class Run:
    """What one ``faborite`` run printed and returned."""

    code: int
    out: str
    err: str = ""

    @property
    def output(self) -> str:
        return self.out + self.err


def run_in_process(capsys, *args: str, stdin: str = "") -> Run:
    """Call the real entry point ``faborite.cli.main``; stdin is not a terminal."""
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.stdin = saved
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_subprocess(*args: str, cwd: Path) -> Run:
    """``faborite ARGS`` as a user runs it, without a terminal (stdin is /dev/null)."""
    proc = subprocess.run([sys.executable, "-m", "faborite", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_tty(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """``faborite ARGS`` on a pseudo-terminal with a colour-capable TERM; returns the raw bytes as text."""
    environment = {k: v for k, v in os.environ.items() if k not in _COLOR_ENV}
    environment.update({"TERM": "xterm-256color", "COLUMNS": "200", **(env or {})})
    code, text = run_on_pty(list(args), cwd=cwd, env=environment)
    return Run(code, text)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A project with exactly one model (a table) and one seed of one row."""
    root = tmp_path / "tiny"
    write(root, "faborite.yml", "name: tiny\ntargets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n")
    write(root, "seeds/s.csv", "id\n1\n")
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id from {{ ref('s') }}\n")
    return root
