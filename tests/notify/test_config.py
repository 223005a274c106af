"""`notify:` entries are validated like every other key of faborite.yml: one located error with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.errors import ConfigError
from faborite.notify.config import webhooks_for
from tests.cli.conftest import write

TARGETS = "targets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n"


def _workspace(root: Path, config: str) -> Workspace:
    write(root, "faborite.yml", config)
    write(root, "models/m.sql", "select 1 as id\n")
    return Workspace(root=root)


def test_an_unknown_key_names_its_line_and_the_close_match(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "name: p\n" + TARGETS + "notify:\n  - url_env: HOOK\n    header_env: {A: B}\n")
    with pytest.raises(ConfigError) as info:
        ws.project
    assert (info.value.file, info.value.line) == ("faborite.yml", 8)
    assert "unknown key 'header_env'" in info.value.message and "headers_env" in info.value.hint


def test_an_unknown_operation_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "name: p\n" + TARGETS + "notify:\n  - url_env: HOOK\n    on: [apply, gc]\n")
    with pytest.raises(ConfigError) as info:
        ws.project
    # YAML reads a bare `on` key as true, so the line is the entry's, and the message names `on[1]`.
    assert info.value.line == 7 and "'gc'" in info.value.message and "notify[0].on[1]" in info.value.message


def test_a_url_instead_of_a_variable_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "name: p\n" + TARGETS + "notify:\n  - url_env: https://hooks.example/x\n")
    with pytest.raises(ConfigError) as info:
        ws.project
    assert info.value.line == 7 and "environment variable" in info.value.message
    assert "hooks.example" not in str(info.value)  # the URL may carry a token: never echoed


def test_a_bad_target_entry_fails_validate_at_its_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "name: p\n" + TARGETS + "    notify:\n      - url: x\n")
    with pytest.raises(ConfigError) as info:
        ws.compile(write_manifest=False)
    assert (info.value.file, info.value.line) == ("faborite.yml", 7)
    assert "target 'dev'" in info.value.message


def test_top_level_and_target_webhooks_both_apply_filtered_by_operation(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "name: p\ntargets:\n  dev:\n    type: duckdb\n    notify:\n"
                              "      - {url_env: DEV_HOOK, on: [sync]}\nnotify:\n  - url_env: ALL_HOOK\n")
    ws.compile(write_manifest=False)  # the provider never sees `notify:`
    assert [h.url_env for h in webhooks_for(ws.project, "dev", "sync")] == ["ALL_HOOK", "DEV_HOOK"]
    assert [h.url_env for h in webhooks_for(ws.project, "dev", "apply")] == ["ALL_HOOK"]
    assert webhooks_for(ws.project, "dev", "apply")[0].on == ("apply", "rollback", "sync")
