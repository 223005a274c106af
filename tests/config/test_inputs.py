"""``input_files`` lists exactly the files the loader reads, so a saved plan's file hashes
cover every edit that could change the compile."""

from __future__ import annotations

from pathlib import Path

from faborite.config.inputs import input_files, project_inputs


def _all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".faborite" not in p.parts}


def test_every_file_of_the_template_is_an_input(demo: Path) -> None:
    assert set(input_files(demo)) == _all_files(demo) - {".gitignore", "README.md"}


def test_configured_folders_and_every_kind_are_read(tmp_path: Path) -> None:
    root = tmp_path / "p"
    files = {
        "faborite.yml": "name: p\npaths: {models: sql, seeds: data, macros: jinja, sources: src, syncs: copy}\n",
        "sql/a/b.sql": "select 1", "sql/a/props.yaml": "models: []", "sql/props.yml": "models: []",
        "jinja/m.sql": "{% macro x() %}1{% endmacro %}", "data/s.csv": "a\n1\n", "data/s.yml": "seeds: []",
        "src/s.yml": "sources: []", "copy/c.yaml": "syncs: []",
        # not read by the loader:
        "models/ignored.sql": "select 2", "sql/notes.md": "x", "jinja/m.yml": "x", "data/s.txt": "x",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    assert input_files(root) == sorted(["faborite.yml", "sql/a/b.sql", "sql/a/props.yaml", "sql/props.yml",
                                        "jinja/m.sql", "data/s.csv", "data/s.yml", "src/s.yml", "copy/c.yaml"])


def test_hashes_name_what_changed(demo: Path) -> None:
    before = project_inputs(demo)
    (demo / "models/marts/customers.sql").write_text("select 1 as id\n")
    (demo / "macros").mkdir(exist_ok=True)
    (demo / "macros/m.sql").write_text("{% macro m() %}1{% endmacro %}")
    after = project_inputs(demo)
    assert after.changed_since(before) == ["macros/m.sql", "models/marts/customers.sql"]
    assert before.digest != after.digest and project_inputs(demo).digest == after.digest


def test_a_broken_project_file_still_hashes(demo: Path) -> None:
    before = project_inputs(demo)
    (demo / "faborite.yml").write_text("name: [unclosed\n")
    assert "faborite.yml" in project_inputs(demo).changed_since(before)
