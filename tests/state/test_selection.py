"""The `state:` key of a target: which backend holds its state (faborite/state/selection.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.errors import ConfigError
from faborite.state import LocalStateBackend


def with_state(demo: Path, block: str) -> Workspace:
    config = demo / "faborite.yml"
    text = config.read_text()
    config.write_text(text.replace("    type: duckdb\n", f"    type: duckdb\n    state: {block}\n", 1))
    return Workspace.open(demo)


def test_a_duckdb_target_keeps_local_state_by_default(demo: Path) -> None:
    backend = Workspace.open(demo).state_backend
    assert isinstance(backend, LocalStateBackend)
    assert backend.directory == demo / ".faborite" / "state" / "dev"


def test_state_local_is_read_by_the_core_not_the_provider(demo: Path) -> None:
    ws = with_state(demo, "{type: local}")
    ws.compile(write_manifest=False)  # the provider's model (extra keys forbidden) never sees `state:`
    assert isinstance(ws.state_backend, LocalStateBackend)


def test_unknown_state_type_is_named_with_the_known_ones(demo: Path) -> None:
    with pytest.raises(ConfigError, match="unknown state type 'locl'") as caught:
        with_state(demo, "{type: locl}").state_backend
    assert "local" in caught.value.hint


def test_a_target_that_cannot_hold_state_says_so(demo: Path) -> None:
    with pytest.raises(ConfigError, match="cannot hold its own state"):
        with_state(demo, "{type: target}").state_backend


def test_unknown_key_in_state_is_located(demo: Path) -> None:
    with pytest.raises(ConfigError, match="url_env|unknown key") as caught:
        with_state(demo, "{type: local, url_env: X}").state_backend
    assert caught.value.file == "faborite.yml"


def test_validate_finds_a_typo_in_the_state_key(demo: Path) -> None:
    ws = with_state(demo, "{type: local, shema: x}")
    with pytest.raises(ConfigError, match="shema"):
        ws.compile(write_manifest=False)


def test_state_must_be_a_mapping_with_a_type(demo: Path) -> None:
    with pytest.raises(ConfigError, match="mapping with a `type`"):
        with_state(demo, "local").state_backend
