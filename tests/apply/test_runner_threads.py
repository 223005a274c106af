"""Worker threads never print SQL with a half-loaded sqlglot dialect.

sqlglot registers a dialect class under its name before it has finished
building it; a second thread looking the name up meanwhile printed generic SQL
(double-quoted identifiers) that MariaDB then refused. Apply loads the project's
and the target's sqlglot dialects before starting any worker thread.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from faborite.apply import runner
from tests.apply.helpers import apply

#: Eight threads print the same tree in a dialect this fresh interpreter has only just loaded, with
#: the GIL handed over as often as possible. Without the load first, about one run in fifteen
#: printed ``SELECT "a" FROM "b"."c"`` (measured with sqlglot 30.3).
_THREADS = textwrap.dedent('''
    import sys, threading
    sys.setswitchinterval(1e-6)
    from faborite.compiler.sql import to_target_sql
    from faborite.dialects.base import load_sqlglot_dialects
    from faborite.relation import Relation

    load_sqlglot_dialects("duckdb", sys.argv[1])
    barrier, printed = threading.Barrier(8), []

    def work():
        barrier.wait()
        printed.append(to_target_sql('select "a" from "m"."t"', read="duckdb", write=sys.argv[1],
                                     relation_map={"m.t": Relation(schema_name="p", name="t__1")}))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\\n".join(printed))
''')


@pytest.mark.parametrize("run", range(3))
def test_loaded_dialect_prints_its_own_quotes_from_every_thread(run: int) -> None:
    out = subprocess.run([sys.executable, "-c", _THREADS, "mysql"], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines == ["SELECT `a` FROM `p`.`t__1`"] * 8, out.stdout + out.stderr


def test_apply_loads_both_dialects_before_its_threads(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[tuple[str, ...]] = []
    monkeypatch.setattr(runner, "load_sqlglot_dialects", lambda *names: loaded.append(names))
    apply(demo)  # threads=2
    assert loaded == [("duckdb", "duckdb")]
