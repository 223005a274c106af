"""The CLI shows a user mistake as one block: ``error: file:line: message`` and a hint, exit 1.

No traceback, unless ``--debug``. A few cases run the real ``faborite``
command in a subprocess; the rest call the same entry point in-process (fast).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faborite.cli import main
from faborite.errors import CompileError
from tests.config.projects import edit, line_with, proj, write  # noqa: F401 - proj is a fixture


def _faborite(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "faborite", "--no-color", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, "COLUMNS": "200"}, timeout=120,
    )


def _in_process(capsys, proj: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["--no-color", "--project-dir", str(proj), *args])
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


# -- the real command, in a subprocess -------------------------------------------------------------


def test_init_then_unknown_key_end_to_end(tmp_path):
    created = subprocess.run([sys.executable, "-m", "faborite", "init", "shop"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "shop"
    with (project / "faborite.yml").open("a", encoding="utf-8") as handle:
        handle.write("materialised: table\n")
    result = _faborite("validate", cwd=project)
    assert result.returncode == 1
    line = line_with(project, "faborite.yml", "materialised")
    assert f"error: faborite.yml:{line}: unknown key 'materialised' in faborite.yml" in result.stderr
    assert "hint: did you mean '+materialized' under 'models:'?" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_ref_end_to_end(proj):
    edit(proj, "models/marts/orders.sql", 'ref("stg_orders")', 'ref("stg_order")')
    result = _faborite("validate", cwd=proj / "models")  # found by searching upward
    assert result.returncode == 1
    line = line_with(proj, "models/marts/orders.sql", "stg_order")
    assert f"models/marts/orders.sql:{line}: ref('stg_order') names no model or seed" in result.stderr
    assert "hint: did you mean 'stg_orders'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1  # one error, one block


def test_unknown_target_end_to_end(proj):
    result = _faborite("--target", "nope", "plan", cwd=proj)
    assert result.returncode == 1
    assert f"faborite.yml:{line_with(proj, 'faborite.yml', 'targets:')}: unknown target 'nope'" in result.stderr
    assert "hint: defined targets: dev" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_path_too_long_for_the_file_system_is_one_error(proj, capsys):
    # Found by the fuzz test: a target path the OS refuses (ENAMETOOLONG) escaped as a traceback.
    text = (proj / "faborite.yml").read_text()
    (proj / "faborite.yml").write_text(text.replace(".faborite/dev.duckdb", ".faborite/dev" + "x" * 5000 + ".duckdb"))
    code, _, err = _in_process(capsys, proj, "validate")
    assert code == 1 and "'path' cannot name a file here: File name too long" in err
    (proj / "faborite.yml").write_text(text.replace("targets:\n", "targets:\n  lake:\n    type: delta\n"
                                                    "    path: " + "y" * 5000 + "\n", 1))
    code, out, err = _in_process(capsys, proj, "-t", "lake", "apply", "--auto-approve")
    assert code == 1 and "error: File name too long:" in err and "--debug" in err
    assert "Traceback" not in out + err


def test_debug_shows_the_traceback(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    {{ nope }} as y\n")
    result = _faborite("--debug", "validate", cwd=proj)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "CompileError: models/x.sql:2: Jinja error: 'nope' is undefined" in result.stderr


# -- every error class, through the CLI entry point --------------------------------------------------


def _sql(text: str):
    return lambda proj: write(proj, "models/x.sql", text)


# name: (change to the project, (file, line or text on the line), message part, hint part)
CASES = {
    "yaml tab": (lambda p: edit(p, "faborite.yml", "    type: duckdb", "\ttype: duckdb"),
                 ("faborite.yml", "\ttype"), "invalid YAML", "indentation"),
    "yaml duplicate key": (lambda p: edit(p, "faborite.yml", "dialect: duckdb", "dialect: duckdb\nname: again"),
                           ("faborite.yml", "name: again"), "duplicate key 'name'", "each key may appear once"),
    "folder default key": (lambda p: edit(p, "faborite.yml", "+tags: [marts]", "+materialised: table"),
                           ("faborite.yml", "+materialised"), "unknown key '+materialised'",
                           "did you mean '+materialized'?"),
    "properties key": (lambda p: edit(p, "models/staging/schema.yml", "      - name: status\n",
                                      "      - name: status\n        descripton: x\n"),
                       ("models/staging/schema.yml", "descripton"), "unknown key 'descripton'",
                       "did you mean 'description'?"),
    "cycle": (lambda p: (_sql("select * from {{ ref('y') }}\n")(p),
                         write(p, "models/y.sql", "select * from\n{{ ref('x') }}\n")),
              ("models/x.sql", 1), "dependency cycle: x -> y -> x", "break the cycle"),
    "sql syntax": (_sql("select\n    id,\n    coalesce(a, 0 as b\nfrom t\n"),
                   ("models/x.sql", 3), "'(' is never closed", "add the missing ')'"),
    "select from where": (_sql("select from where\n"), ("models/x.sql", 1), "SQL syntax error", "rendered SQL"),
    "jinja syntax": (_sql("select 1 as x\n{% if %}\n{% endif %}\n"), ("models/x.sql", 2), "Jinja syntax error", "closed"),
    "undefined": (_sql("select 1 as x,\n{{ nope }} as y\n"), ("models/x.sql", 2), "'nope' is undefined", "{% set %}"),
    "sandbox": (_sql("select\n'{{ ''.__class__ }}' as y\n"), ("models/x.sql", 2), "sandbox refused", "Python internals"),
    "var": (_sql("select\n'{{ var(\"nope\") }}' as y\n"), ("models/x.sql", 2), "var('nope') is not defined", "vars:"),
    "env_var": (_sql("select\n'{{ env_var(\"FABORITE_TEST_UNSET_VAR\") }}' as y\n"), ("models/x.sql", 2),
                "environment variable 'FABORITE_TEST_UNSET_VAR' is not set", "export FABORITE_TEST_UNSET_VAR"),
    "source": (_sql("select *\nfrom {{ source('raw', 'orders') }}\n"), ("models/x.sql", 2), "no source named 'raw'",
               "sources:"),
    "config key": (_sql("{{ config(materialised='table') }}\nselect 1 as x\n"), ("models/x.sql", 1),
                   "unknown key 'materialised' in config()", "did you mean 'materialized'?"),
    "materialized value": (_sql("{{ config(materialized='tabel') }}\nselect 1 as x\n"), ("models/x.sql", 1),
                           "expected 'view', 'table', 'incremental', 'ephemeral' or 'snapshot'", "did you mean 'table'?"),
    "macro": (lambda p: edit(p, "macros/money.sql", "round({{ column }}", "round({{ colum }}"),
              ("macros/money.sql", "colum }}"), "'colum' is undefined", None),
    "duplicate model": (lambda p: write(p, "models/marts/stg_orders.sql", "select 1 as x\n"),
                        ("models/staging/stg_orders.sql", 1), "two models are named 'stg_orders'", "rename one file"),
    "not a select": (_sql("create table x as select 1 as a\n"), ("models/x.sql", 1), "found CREATE",
                     "write only the SELECT"),
    "two statements": (_sql("select 1 as a;\nselect 2 as b\n"), ("models/x.sql", 2), "found 2", "remove extra"),
    "target type": (lambda p: edit(p, "faborite.yml", "type: duckdb", "type: duckdbb"),
                    ("faborite.yml", "duckdbb"), "unknown target type 'duckdbb'", "did you mean 'duckdb'?"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_error_is_one_located_block(proj, capsys, case):
    change, (file, where), message, hint = CASES[case]
    change(proj)
    location = f"{file}:{where if isinstance(where, int) else line_with(proj, file, where)}"
    code, out, err = _in_process(capsys, proj, "validate")
    assert code == 1
    first, *rest = err.strip().splitlines()
    assert first.startswith(f"error: {location}: "), err
    assert message in first, err
    if hint is not None:
        assert rest and rest[0].strip().startswith("hint:") and hint in rest[0], err
    assert "Traceback" not in err + out
    assert len(rest) <= 1


def test_debug_lets_the_error_through_in_process(proj):
    write(proj, "models/x.sql", "select from where\n")
    with pytest.raises(CompileError) as info:
        main(["--debug", "--project-dir", str(proj), "validate"])
    assert (info.value.file, info.value.line) == ("models/x.sql", 1)


def test_json_error_output(proj, capsys):
    edit(proj, "models/marts/orders.sql", 'ref("stg_orders")', 'ref("stg_order")')
    code, out, err = _in_process(capsys, proj, "validate", "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error == {"kind": "compile", "message": "ref('stg_order') names no model or seed in this project",
                     "file": "models/marts/orders.sql", "line": 3, "hint": "did you mean 'stg_orders'?"}


def test_valid_project_validates(proj, capsys):
    main(["--no-color", "--project-dir", str(proj), "validate"])
    assert capsys.readouterr().out.startswith("ok: 8 nodes")
