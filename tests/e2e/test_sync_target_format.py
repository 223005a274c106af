"""``to: {format: target}`` (once ``duckdb``): renaming the format moves no node's version.

The versions pinned below were computed by the code before the rename (commit
536a100), for the project :func:`_project` writes. A project applied then must
plan "No changes." now, whether its YAML says ``duckdb``, ``target`` or nothing.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from faborite.api import Workspace
from faborite.compiler.manifest import SyncInfo
from tests.conftest import run_cli

#: node id -> (data_hash, version) as the code before the rename computed them.
PINNED = {
    "sync.plain.orders": ("f526b883da00bced4b5d73c80c77390ca7f68730be912cf8db35f1af8d713ffb",
                          "93d26c44c9ab44c8f54fa2e1e0d6d1043760a69a1a2733592e33bc086677fa6b"),
    "sync.raw.customers": ("a1bf1f1fc381c226cec60885e2c63c23ffe6a94753e2a366bba37097b9652a52",
                           "a450e3d35d341cbcaa690678e5de7eec67bef7df3b39d5727f81012249e997d1"),
}


def _write_syncs(root: Path, spelling: str | None) -> None:
    plain_to = f"    to: {{format: {spelling}}}\n" if spelling else ""
    raw_to = f"    to: {{format: {spelling}, schema: raw}}\n" if spelling else "    to: {schema: raw}\n"
    (root / "syncs/s.yml").write_text(
        "syncs:\n"
        "  - name: plain\n    from: lake\n    tables: [orders]\n" + plain_to +
        "  - name: raw\n    from: lake\n    tables: [customers]\n    sample: {strategy: head, rows: 2}\n" + raw_to)


def _project(root: Path, spelling: str | None) -> Path:
    (root / "lake").mkdir(parents=True)
    write_deltalake(str(root / "lake/orders"), pa.table({"id": [1, 2, 3], "region": ["a", "b", "a"]}))
    write_deltalake(str(root / "lake/customers"), pa.table({"id": [1, 2]}))
    (root / "faborite.yml").write_text("name: fp\n")
    (root / "sources").mkdir()
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir()
    _write_syncs(root, spelling)
    return root


@pytest.mark.parametrize("spelling", [None, "duckdb", "target"])
def test_versions_are_those_of_the_code_before_the_rename(tmp_path: Path, spelling: str | None) -> None:
    root = _project(tmp_path / "p", spelling)
    manifest = Workspace.open(root).compile(write_manifest=False, refresh=True)
    syncs = {node_id: node for node_id, node in manifest.nodes.items() if node.kind == "sync"}
    assert {node_id: (n.data_hash, n.version) for node_id, n in syncs.items()} == PINNED
    assert {n.sync.format for n in syncs.values()} == {"target"}
    # The recorded config keeps the old spelling: the planner compares it with the state's.
    assert {n.data_config["to"]["format"] for n in syncs.values()} == {"duckdb"}


def test_applied_with_the_old_spelling_plans_no_changes_with_any(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "duckdb")
    applied = run_cli("apply", "--auto-approve", cwd=root)
    assert applied.code == 0, applied.output
    for spelling in ("target", None, "duckdb"):
        _write_syncs(root, spelling)
        plan = run_cli("plan", "--detailed-exitcode", cwd=root)
        assert plan.code == 0 and "No changes." in plan.stdout, (spelling, plan.output)


def test_a_manifest_written_before_the_rename_reads_duckdb_as_target() -> None:
    info = SyncInfo.model_validate({"sync": "s", "source": "lake", "table": "orders", "source_version": "0",
                                    "format": "duckdb"})
    assert info.format == "target"
