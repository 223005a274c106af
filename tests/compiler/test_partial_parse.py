"""Skipping an unchanged compile: every change a compile could see is a miss, never a stale hit."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import pytest

import faborite.compiler
from faborite.api import Workspace
from faborite.compiler import partial_parse
from faborite.errors import FaboriteError
from tests.config.projects import edit, proj, write  # noqa: F401 - proj: fixture

STG = "models/staging/stg_orders.sql"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full compiles (a skipped one never calls compile_project)."""
    calls: list[int] = []
    real = faborite.compiler.compile_project

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(faborite.compiler, "compile_project", counting)
    return calls


def _compile(root: Path, **kwargs):
    return Workspace(root=root, **kwargs).compile(write_manifest=False)


def _warm(root: Path, compiles: list[int], **kwargs):
    first = _compile(root, **kwargs)
    second = _compile(root, **kwargs)
    assert len(compiles) == 1, "the second compile of unchanged files is skipped"
    assert second == first
    compiles.clear()
    return first


def test_unchanged_project_is_not_compiled_again(proj: Path, compiles: list[int]) -> None:
    manifest = _warm(proj, compiles)
    ws = Workspace(root=proj)
    assert ws.compile(write_manifest=False) == manifest
    assert ws.project.config.name == "proj" and not compiles
    # A skipped compile still writes manifest.json when asked (validate, compile).
    (proj / ".faborite/manifest.json").unlink(missing_ok=True)
    Workspace(root=proj).compile()
    assert (proj / ".faborite/manifest.json").is_file() and not compiles


def test_touching_a_file_is_a_miss(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    stat = (proj / "models/staging/schema.yml").stat()
    os.utime(proj / "models/staging/schema.yml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    _compile(proj)
    assert len(compiles) == 1


def _full(root: Path, **kwargs):
    """What a full compile of the files as they are now gives."""
    from faborite.compiler.project_compiler import compile_project
    from faborite.config import load_project

    return compile_project(load_project(root), kwargs.pop("target_name", None), **kwargs)


def test_an_edited_model_is_compiled_alone_and_matches_a_full_compile(proj: Path, compiles: list[int]) -> None:
    before = _warm(proj, compiles)
    edit(proj, STG, "status,", "status, 1 as one,")
    manifest = _compile(proj)
    assert not compiles, "only the edited model was compiled again"
    assert manifest == _full(proj)
    assert "one" in manifest.nodes["model.stg_orders"].output_columns
    # What reads it has new versions; what does not keeps its own.
    assert manifest.nodes["model.orders"].version != before.nodes["model.orders"].version
    assert manifest.nodes["model.stg_customers"].version == before.nodes["model.stg_customers"].version
    assert _compile(proj) == manifest and not compiles  # each edit is compiled from the last full compile


@pytest.mark.parametrize("old, new, patched", [
    ("select", "select /* a comment */", True),
    ("select", "{{ config(materialized='table', tags=['x']) }}\nselect", True),
    ("select", "select {{ env_var('FAB_TEST_UNSET_VAR', 'd') }} as d,", True),
    ("select", "{{ config(alias='orders_renamed') }}\nselect", False),  # other models' SQL names it
    ("select", "{{ config(enabled=false) }}\nselect", False),
    ("select", "{{ config(schema='other') }}\nselect", False),
    ("from {{ ref(\"raw_orders\") }}", "from {{ ref(\"raw_orders\") }} join {{ ref(\"raw_customers\") }} c on true",
     False),  # new parents
    ("select", "{{ config(materialized='incremental') }}\nselect", False),
])
def test_edits_that_reach_further_are_compiled_in_full(proj: Path, compiles: list[int], old: str, new: str,
                                                       patched: bool) -> None:
    _warm(proj, compiles)
    text = (proj / STG).read_text()
    (proj / STG).write_text(text.replace(old, new, 1))
    try:
        expected = _full(proj)
    except FaboriteError as error:  # disabling a model others read: the full compile's error, as it is
        with pytest.raises(type(error), match=re.escape(error.message)):
            _compile(proj)
        return
    manifest = _compile(proj)
    assert len(compiles) == (0 if patched else 1)
    assert manifest == expected


def test_an_edit_elsewhere_is_a_full_compile(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    edit(proj, STG, "status,", "status, 1 as one,")
    edit(proj, "macros/money.sql", "100", "100.0")
    assert _compile(proj) == _full(proj) and len(compiles) == 1


def test_a_broken_edit_reports_the_full_compiles_error(proj: Path, compiles: list[int]) -> None:
    from faborite.errors import CompileError

    _warm(proj, compiles)
    edit(proj, STG, "status,", "status, {{ ref('nope') }},")
    with pytest.raises(CompileError) as info:
        _compile(proj)
    assert info.value.file == STG and len(compiles) == 1


def test_same_size_edit_with_mtime_restored_is_a_miss(proj: Path, compiles: list[int]) -> None:
    """The edit keeps size and mtime (as ``touch -d``/``cp -p`` can): ctime and the content hash see it."""
    _warm(proj, compiles)
    path = proj / STG
    stat = path.stat()
    text = path.read_text()
    path.write_text(text.replace("status,", "STATUS,"))  # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    manifest = _compile(proj)
    assert "STATUS" in manifest.nodes["model.stg_orders"].sql and manifest == _full(proj)


def test_racy_file_is_compared_by_content(proj: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]) -> None:
    """A file changed just before the listing is also hashed: same stat, other content is a miss."""
    _warm(proj, compiles)
    key = partial_parse._listing(proj)
    assert STG in key[1], "files written within RACY_SECONDS are hashed"
    # The stored hash no longer matches the file: the model is treated as edited and compiled again.
    entry = pickle.loads((proj / ".faborite/cache" / partial_parse._FILE).read_bytes())
    entry["key"]["racy"][STG] = "0" * 64
    (proj / ".faborite/cache" / partial_parse._FILE).write_bytes(pickle.dumps(entry))
    seen: list[set] = []
    real = partial_parse.UnchangedCompile._recompile
    monkeypatch.setattr(partial_parse.UnchangedCompile, "_recompile",
                        lambda self, p, m, edited: seen.append(edited) or real(self, p, m, edited))
    assert _compile(proj) == _full(proj)
    assert seen == [{STG}]


def test_settled_racy_files_leave_the_key(proj: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]) -> None:
    """A racy file's hash is dropped from the stored key once the file is old enough: later runs
    go by its stat alone. A file still racy, or edited, keeps its hash."""
    _warm(proj, compiles)
    cache = proj / ".faborite/cache" / partial_parse._FILE
    stored = pickle.loads(cache.read_bytes())["key"]["racy"]
    assert STG in stored, "files written within RACY_SECONDS are hashed"
    _compile(proj)
    assert pickle.loads(cache.read_bytes())["key"]["racy"] == stored, "still racy: kept"
    monkeypatch.setattr(partial_parse, "RACY_SECONDS", 0.0)  # as if RACY_SECONDS had passed
    edited = next(rel for rel in stored if rel != STG and rel.startswith("models/") and rel.endswith(".sql"))
    os.utime(proj / edited, ns=(1, 1))  # its stat differs from the key's: edited, so its hash stays
    settled = _compile(proj)
    assert pickle.loads(cache.read_bytes())["key"]["racy"].keys() == {edited}
    assert not compiles, "settling the key is not a compile"
    assert settled == _full(proj)
    # The settled key still finds an edit by stat, and the edited file is compiled again.
    edit(proj, STG, "status,", "status, 1 as one,")
    patched = _compile(proj)
    assert patched == _full(proj) and "one" in patched.nodes["model.stg_orders"].output_columns


def test_adding_and_removing_a_file_are_misses(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    write(proj, "models/marts/extra.sql", "select 1 as x\n")
    assert "model.extra" in _compile(proj).nodes
    (proj / "models/marts/extra.sql").unlink()
    assert "model.extra" not in _compile(proj).nodes
    assert len(compiles) == 2
    write(proj, "dbt_project.yml", "name: x\n")  # a root file a dbt reader may read counts too
    _compile(proj)
    assert len(compiles) == 3


def test_env_var_a_model_reads(proj: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]) -> None:
    monkeypatch.setenv("FAB_TEST_REGION", "eu")
    write(proj, "models/marts/region.sql", "select '{{ env_var(\"FAB_TEST_REGION\") }}' as region\n")
    _warm(proj, compiles)
    monkeypatch.setenv("FAB_TEST_UNRELATED", "1")
    _compile(proj)
    assert not compiles, "a variable no model reads does not matter"
    monkeypatch.setenv("FAB_TEST_REGION", "us")
    assert "'us'" in _compile(proj).nodes["model.region"].sql
    assert len(compiles) == 1
    monkeypatch.setenv("FAB_TEST_REGION", "s3cr3t-region-value")
    _compile(proj)
    assert len(compiles) == 2
    cache = (proj / ".faborite/cache" / partial_parse._FILE).read_bytes()
    assert b"FAB_TEST_REGION" in cache and b"s3cr3t-region-value" in cache  # in the compiled SQL, as it is
    monkeypatch.delenv("FAB_TEST_REGION")
    with pytest.raises(Exception):  # unset now: a miss, and the compile says it is not set
        _compile(proj)


def test_env_values_are_stored_as_hashes(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAB_TEST_NOT_IN_SQL", "s3cr3t-never-stored")
    write(proj, "models/marts/flag.sql",
          "select {% if env_var('FAB_TEST_NOT_IN_SQL', '') %}1{% else %}0{% endif %} as flag\n")
    _compile(proj)
    assert b"s3cr3t-never-stored" not in (proj / ".faborite/cache" / partial_parse._FILE).read_bytes()


def test_env_var_the_target_block_reads(proj: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]) -> None:
    edit(proj, "faborite.yml", "path: .faborite/dev.duckdb",
         "path: \"{{ env_var('FAB_TEST_DB', '.faborite/dev.duckdb') }}\"")
    _warm(proj, compiles)
    monkeypatch.setenv("FAB_TEST_DB", "other.duckdb")
    _compile(proj)
    assert len(compiles) == 1


def test_vars_and_target_are_part_of_the_key(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    assert "2025-01-01" in _compile(proj, vars_override={"start_date": "2025-01-01"}).nodes["model.stg_orders"].sql
    assert len(compiles) == 1
    _compile(proj, target_name="dev")  # the default, named: its own entry
    assert len(compiles) == 2
    _compile(proj, target_name="dev")
    assert len(compiles) == 2


def test_files_source_data_is_part_of_the_key(tmp_path: Path, compiles: list[int]) -> None:
    root = tmp_path / "p"
    write(root, "faborite.yml", "name: files\nmodels: {+materialized: table}\n")
    write(root, "sources/raw.yml", "sources:\n  - name: raw\n    type: files\n    tables:\n"
                                   "      - name: people\n        path: data/people.csv\n")
    write(root, "models/people.sql", "select * from {{ source('raw', 'people') }}\n")
    write(root, "data/people.csv", "id\n1\n")
    first = _warm(root, compiles)
    write(root, "data/people.csv", "id\n2\n")
    assert _compile(root).nodes["source.raw.people"].data_hash != first.nodes["source.raw.people"].data_hash
    assert len(compiles) == 1


def test_a_bad_cache_file_is_a_miss(proj: Path, compiles: list[int]) -> None:
    manifest = _warm(proj, compiles)
    path = proj / ".faborite/cache" / partial_parse._FILE
    path.write_bytes(b"not a pickle")
    assert _compile(proj) == manifest and len(compiles) == 1
    # Only faborite's classes are built: a pickle calling a function is refused, not run.
    path.write_bytes(pickle.dumps({"key": None, "payload": os.getcwd}))
    assert _compile(proj) == manifest and len(compiles) == 2
    # Nor a faborite class that is not plain data (one that could open a file or a connection).
    path.write_bytes(pickle.dumps({"key": None, "payload": partial_parse.UnchangedCompile}))
    assert _compile(proj) == manifest and len(compiles) == 3
    compiles.pop()
    _compile(proj)
    assert len(compiles) == 2
    path.chmod(0o666)  # writable by anyone: not trusted
    _compile(proj)
    assert len(compiles) == 3


def test_a_failed_compile_is_not_cached(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    edit(proj, STG, "status,", "status, {{ ref('nope') }},")
    with pytest.raises(Exception):
        _compile(proj)
    with pytest.raises(Exception):
        _compile(proj)
    assert len(compiles) == 2


def test_installed_plugins_are_part_of_the_key(proj: Path, monkeypatch: pytest.MonkeyPatch,
                                               compiles: list[int]) -> None:
    _warm(proj, compiles)
    real = partial_parse.installed_plugins()
    monkeypatch.setattr(partial_parse, "installed_plugins",
                        lambda: [*real, ("faborite.dialects", "other", "pkg:Dialect", "1.0")])
    _compile(proj)
    assert len(compiles) == 1


def test_a_skipped_compile_is_still_renamed_into_the_environment(proj: Path, compiles: list[int]) -> None:
    prod = _warm(proj, compiles)
    dev = Workspace.open(proj, env="dev").compile(write_manifest=False)
    assert not compiles, "the environment is applied after the cache, not part of it"
    assert {n.relation.split(".")[0] for n in dev.nodes.values() if n.kind == "model"} == {"main__dev"}
    assert {i: n.version for i, n in dev.nodes.items()} == {i: n.version for i, n in prod.nodes.items()}
    edit(proj, STG, "status,", "status, 1 as one,")  # the patched path too
    dev = Workspace.open(proj, env="dev").compile(write_manifest=False)
    assert not compiles and dev.nodes["model.stg_orders"].relation == "main__dev.stg_orders"


def test_an_edit_whose_descendant_renders_through_jinja_is_patched_while_its_render_is_cached(
        proj: Path, compiles: list[int]) -> None:
    # A model below the edited one that runs Jinja reading nothing of other models (here a loop):
    # the render cache holds it, and a full compile would take that very entry.
    write(proj, "models/marts/looped.sql",
          "select {% for c in ['id', 'name'] %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}\n"
          "from {{ ref('customers') }}\n")
    _warm(proj, compiles)
    edit(proj, STG, "status,", "status, 1 as one,")
    assert _compile(proj) == _full(proj)
    assert not compiles


def _edit_below_a_reader(proj: Path, compiles: list[int], reads: str, edited: str) -> None:
    """Warm the cache with a model below STG whose SQL shows ``reads``, edit STG to ``edited``,
    and check the compile equals a full one."""
    write(proj, "models/marts/looped.sql", f"select 1 as n, '{reads}' as x\nfrom {{{{ ref('customers') }}}}\n")
    _warm(proj, compiles)
    edit(proj, STG, "status,", edited)
    assert _compile(proj) == _full(proj)


@pytest.mark.parametrize("reads", ["{{ ref('customers').identifier }}",
                                   "{{ adapter.get_columns_in_relation(ref('customers')) | length }}"])
def test_an_edit_whose_descendant_reads_other_models_is_a_full_compile(proj: Path, compiles: list[int],
                                                                       reads: str) -> None:
    # A model below the edited one that reads another model's relation or columns (in dbt projects
    # star() or adapter calls) is never in the render cache: its SQL could change too.
    _edit_below_a_reader(proj, compiles, reads, "status, 1 as one,")
    assert len(compiles) == 1


@pytest.mark.parametrize("reads", ["{{ ref('customers').identifier }}",
                                   "{{ adapter.get_columns_in_relation(ref('stg_orders')) | length }}"])
def test_an_edit_that_keeps_the_columns_is_patched_whatever_reads_them(proj: Path, compiles: list[int],
                                                                      reads: str) -> None:
    # What a render below can read of an edited model is its relation and its columns: with both
    # unchanged, no model below can render differently, so none is checked.
    _edit_below_a_reader(proj, compiles, reads, "upper(status) as status,")
    assert not compiles


def _key(root: Path, **kwargs) -> partial_parse.UnchangedCompile:
    return partial_parse.UnchangedCompile(root / ".faborite/cache", root, kwargs.pop("target_name", None),
                                          kwargs.pop("vars_override", {}), **kwargs)


def test_digest_names_the_compile_of_the_files_as_listed_now(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a remembered no-change plan names its compile by (faborite/no_change_memo.py)."""
    reads = (["FAB_TEST_REGION"], [])
    first = _key(proj).digest(reads)
    assert first is not None and _key(proj).digest(reads) == first
    assert _key(proj, vars_override={"x": 1}).digest(reads) != first
    assert _key(proj, target_name="dev").digest(reads) != first
    monkeypatch.setenv("FAB_TEST_REGION", "eu")
    assert _key(proj).digest(reads) != first, "a variable the compile read"
    assert _key(proj).digest((["FAB_TEST_REGION"], [])) == _key(proj).digest(reads)
    monkeypatch.delenv("FAB_TEST_REGION")
    stat = (proj / STG).stat()
    os.utime(proj / STG, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _key(proj).digest(reads) != first, "a touched file"


def test_reads_are_known_after_a_hit_a_patch_or_a_save(proj: Path, compiles: list[int]) -> None:
    key = _key(proj)
    assert key.load() is None and key.reads is None
    key.save(*_warm_pair(proj))
    assert key.reads is not None
    hit = _key(proj)
    assert hit.load() is not None and hit.reads == key.reads
    edit(proj, STG, "status,", "status, 1 as one,")
    patched = _key(proj)
    assert patched.load() is not None and patched.reads == key.reads and patched.digest(patched.reads) != \
        hit.digest(hit.reads)


def _warm_pair(root: Path):
    from faborite.config import load_project

    project = load_project(root)
    return project, _full(root)


def test_cached_project_only_while_at_most_model_text_changed(proj: Path, compiles: list[int]) -> None:
    _warm(proj, compiles)
    assert _key(proj).cached_project().config.name == "proj"
    edit(proj, STG, "status,", "status, 1 as one,")
    assert _key(proj).cached_project() is not None, "a model's text: the target settings are today's"
    edit(proj, "faborite.yml", "path: .faborite/dev.duckdb", "path: .faborite/other.duckdb")
    assert _key(proj).cached_project() is None
    assert _key(proj, target_name="dev").cached_project() is None, "another context"


def test_a_model_touched_with_the_same_text_is_not_compiled(proj: Path, compiles: list[int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import faborite.compiler.model_patch as model_patch

    manifest = _warm(proj, compiles)
    patches: list[int] = []
    monkeypatch.setattr(model_patch, "recompile_models", lambda *a, **k: patches.append(1))
    stat = (proj / STG).stat()
    (proj / STG).write_text((proj / STG).read_text())
    os.utime(proj / STG, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _compile(proj) == manifest and not compiles and not patches
