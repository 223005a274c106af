"""Fuzzing broken project files: validate and plan never crash, always locate, never write.

Hypothesis starts from the template project (``faborite init``, applied once,
so there is a state and a database to protect) and breaks its files: truncates
them, inserts random bytes, unicode, NULs, invalid UTF-8, huge lines, Jinja and
SQL fragments, deeply nested YAML; duplicates and deletes lines; swaps YAML
values for other types; empties files; adds files with random names under
models/, seeds/, macros/, sources/ and syncs/. Then it runs ``validate``
(``Workspace.compile()``) and ``plan`` (``Workspace.plan()``) through the API,
and a few cases through the real CLI. Properties:

1. nothing but a FaboriteError escapes the API; the CLI exits 0 or 1 and never
   prints a traceback;
2. every error is located: ``error.file`` is set, and ``error.line`` too when
   that file is a text file with lines;
3. validate and plan write nothing: every file of the project is byte-for-byte
   and mtime-for-mtime as before (state, database, project files), except the
   compile cache (``.faborite/cache/``) and the manifest validate writes.

Runs: the unmarked tests are a quick, derandomized sweep (deterministic, in the
fast suite); the ``slow`` ones explore ``FABORITE_FUZZ_EXAMPLES`` cases (default
150 through the API, a tenth through the CLI; CI runs that)::

    FABORITE_FUZZ_EXAMPLES=3000 pytest tests/fuzz -m slow -p no:cacheprovider

The outcome counts are printed at the end of the module (and named in any
failure); docs/reliability.md records a full run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from faborite.api import WORK_DIR, Workspace, init_project
from faborite.errors import CompileError, CompileErrors, ConfigError, FaboriteError

EXAMPLES = int(os.environ.get("FABORITE_FUZZ_EXAMPLES", "150"))
#: What every case came to: "ok", or "<error kind>: <first words of the message>".
OUTCOMES: Counter[str] = Counter()
#: Files validate and plan may write.
MAY_CHANGE = (f"{WORK_DIR}/cache/", f"{WORK_DIR}/manifest.json")

# -- what to break, and with what ---------------------------------------------------------------

JINJA = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{% if %}", "{% endif %}", "{% for x in %}", "{% endfor %}",
    "{{ ref(", "{{ ref('nope') }}", "{{ ref('stg_orders') }}", "{{ ref() }}", "{{ ref(1, 2, 3) }}",
    "{{ source('x', 'y') }}", "{{ source( }}", "{{ config(materialized='nope') }}", "{{ config(1) }}",
    "{{ config(materialized=['table']) }}", "{{ config(schema=5) }}", "{{ var('x') }}", "{{ env_var('HOME') }}",
    "{{ this }}", "{{ this.x.y }}", "{{ target.nope }}", "{% macro m( %}", "{% macro ref() %}{% endmacro %}",
    "{% macro cents_to_dollars(x) %}{% endmacro %}", "{% set x = %}", "{{ ''.__class__ }}", "{{ 1/0 }}",
    "{{ 'a' * 10**10 }}", "{{ range(10**9)|list }}", "{% raw %}", "{% endraw %}", "{{ undefined_name }}",
    "{% include 'x.sql' %}", "{% extends 'base' %}", "{% import 'x' as y %}", "{{ caller() }}",
]
SQL = [
    "select", "from", "where", "(", ")", ";", "'", '"', "--", "/*", "*/", "union", "union all", "join",
    "left join", ",", "*", "group by", "order by", "limit", "as", "with", "insert into t values (1)",
    "drop table x", "select 1; select 2", "::", "[", "]", "$1", "?", "CASE WHEN", "END", "over (", "e'\\",
]
YAML = [
    ":", "- ", "? ", "&a", "*a", "!!python/object:os.system", "!!binary", "{", "}", "[", "]", "|", ">",
    "\t", "---", "...", "%YAML 1.1", "key: value", "name:", "- name: x", "columns:", "checks: [", "<<: *a",
    "tests: [unique]", "config: {materialized: table}", "sources:", "seeds:", "models:", "syncs:",
    "- {name: s, type: fabric}", "- name: y\n  type: files\n  tables: [{name: t, path: '/etc/*'}]",
    "\n".join(["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]),  # laughs
]
VALUES = ["[1, 2]", "{a: 1}", "null", "123", "-1", "true", "1.5e308", "''", "'x'", "[]", "{}", "~",
          "!!int 3", "[[[[]]]]", "2024-01-01", "0x1F", ".inf", "'\\u0000'"]
FOLDERS = ["models", "models/staging", "models/marts", "seeds", "macros", "sources", "syncs"]
SUFFIXES = [".sql", ".yml", ".yaml", ".csv", ".txt", ""]


@dataclass(frozen=True)
class Mutation:
    """One way to break one file (``file`` relative to the project)."""

    op: str
    file: str
    at: float = 0.0
    payload: bytes = b""
    count: int = 0

    def __repr__(self) -> str:  # huge payloads would flood a failure report
        payload = repr(self.payload) if len(self.payload) <= 80 else (
            f"{self.payload[:60]!r} + ... ({len(self.payload):,} bytes)")
        return f"Mutation({self.op!r}, {self.file!r}, at={self.at:.3f}, payload={payload}, count={self.count})"

    def apply(self, data: bytes) -> bytes:
        cut = int(len(data) * self.at)
        lines = data.splitlines(keepends=True)
        index = int(len(lines) * self.at) if lines else 0
        if self.op == "truncate":
            return data[:cut]
        if self.op == "insert":
            return data[:cut] + self.payload + data[cut:]
        if self.op == "replace":
            return self.payload
        if self.op == "duplicate_line" and lines:
            return b"".join([*lines[:index + 1], *lines[index:index + 1] * self.count, *lines[index + 1:]])
        if self.op == "delete_line" and lines:
            return b"".join([*lines[:index], *lines[index + 1:]])
        if self.op == "swap_value":
            colons = [i for i in range(len(data) - 1) if data[i:i + 2] == b": "]
            if not colons:
                return data + b"\nkey: " + self.payload + b"\n"
            start = colons[int(len(colons) * self.at) % len(colons)] + 2
            end = data.find(b"\n", start)
            return data[:start] + self.payload + (data[end:] if end >= 0 else b"")
        if self.op == "nest":
            opener, closer = (b"[", b"]") if self.count % 2 else (b"{a: ", b"}")
            return data[:cut] + b"\nx: " + opener * self.count + closer * self.count + b"\n" + data[cut:]
        return data


def _template_files() -> list[str]:
    root = Path(tempfile.mkdtemp(prefix="faborite-fuzz-list-"))
    try:
        init_project(root / "p")
        found = sorted(str(p.relative_to(root / "p")) for p in (root / "p").rglob("*")
                       if p.is_file() and WORK_DIR not in p.parts and p.name != ".gitignore")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return found


TEMPLATE_FILES = _template_files()

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
payloads = st.one_of(
    st.binary(max_size=64),
    _text.map(lambda s: s.encode("utf-8")),
    st.integers(1, 8).map(lambda n: b"\0" * n),
    st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x80abc", b"\xef\xbb\xbf"]),
    st.sampled_from(JINJA).map(str.encode),
    st.sampled_from(SQL).map(lambda s: f" {s} ".encode()),
    st.sampled_from(YAML).map(lambda s: f"\n{s}\n".encode()),
    st.lists(st.sampled_from(JINJA + SQL), min_size=1, max_size=6).map(lambda xs: " ".join(xs).encode()),
    st.sampled_from([b"x" * 200_000, b"\n" * 50_000, b"a," * 100_000, b"{{ x }}" * 20_000]),  # huge lines
    st.sampled_from([b"(" * 300 + b"1" + b")" * 300, b"{{ " + b"(" * 2000 + b"1" + b")" * 2000 + b" }}",
                     b"{% if 1 %}" * 500 + b"{% endif %}" * 500, b"{{ 1" + b" + 1" * 5000 + b" }}",
                     b"[" * 5000, b"- " * 5000 + b"x"]),  # deep nesting
)
new_names = st.builds(
    lambda folder, stem, suffix: f"{folder}/{stem}{suffix}",
    st.sampled_from(FOLDERS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"), min_size=1,
            max_size=30).filter(lambda s: s not in (".", "..") and len(s.encode()) < 150),
    st.sampled_from(SUFFIXES),
)
files = st.one_of(st.sampled_from(TEMPLATE_FILES), st.sampled_from(TEMPLATE_FILES), new_names)
fractions = st.floats(0, 1, allow_nan=False)


@st.composite
def mutations(draw) -> Mutation:
    op = draw(st.sampled_from(["truncate", "insert", "insert", "insert", "replace", "duplicate_line",
                               "delete_line", "swap_value", "nest", "copy"]))
    file = draw(files)
    if op == "copy":  # an existing file under another name: duplicate names, a seed named like a model, ...
        return Mutation(op, draw(new_names), payload=draw(st.sampled_from(TEMPLATE_FILES)).encode())
    if op == "swap_value":
        return Mutation(op, file, draw(fractions), draw(st.sampled_from(VALUES)).encode())
    if op == "nest":
        return Mutation(op, file, draw(fractions), count=draw(st.sampled_from([3, 50, 1000, 5000, 20001])))
    if op == "replace":
        return Mutation(op, file, payload=draw(st.one_of(st.just(b""), payloads)))
    return Mutation(op, file, draw(fractions), draw(payloads) if op == "insert" else b"",
                    draw(st.integers(1, 3)))


broken = st.lists(mutations(), min_size=1, max_size=3)

# -- running a case --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The template project, applied: a state and a database that validate/plan must not touch."""
    root = init_project(tmp_path_factory.mktemp("fuzz") / "base")
    ws = Workspace(root=root)
    ws.apply(ws.plan())
    return root


def summary(top: int = 12) -> str:
    """The counts so far: cases, outcomes by kind, the most common errors."""
    ok = OUTCOMES.get("ok", 0)
    kinds = Counter()
    for outcome, count in OUTCOMES.items():
        if outcome != "ok" and not outcome.startswith("cli "):
            kinds[outcome.split(":", 1)[0]] += count
    detail = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
    common = "; ".join(f"{count}x {outcome}" for outcome, count in OUTCOMES.most_common(top)
                       if outcome != "ok" and not outcome.startswith("cli "))
    cli_runs = ", ".join(f"{outcome[4:]} {count}" for outcome, count in sorted(OUTCOMES.items())
                         if outcome.startswith("cli "))
    cases = sum(count for outcome, count in OUTCOMES.items() if not outcome.startswith("cli "))
    cli = sum(count for outcome, count in OUTCOMES.items() if outcome.startswith("cli "))
    return (f"{cases} broken projects through the API: {ok} still valid; by kind: {detail}; "
            f"CLI: {cli} runs ({cli_runs}). Most common errors: {common}")


def _copy(base: Path) -> Path:
    root = Path(tempfile.mkdtemp(prefix="faborite-fuzz-")) / "p"
    shutil.copytree(base, root, symlinks=True)
    return root


def _break(root: Path, broken_by: list[Mutation]) -> None:
    for mutation in broken_by:
        path = root / mutation.file
        if path.exists() and not path.is_file():
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if mutation.op == "copy":
                source = root / mutation.payload.decode()
                path.write_bytes(source.read_bytes() if source.is_file() else b"")
                continue
            data = path.read_bytes() if path.exists() else b""
            path.write_bytes(mutation.apply(data))
        except OSError:  # a name the file system refuses (too long, reserved): not a project
            continue


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    files = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(MAY_CHANGE):
            stat = path.stat()
            files[rel] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return files


def _has_lines(root: Path, file: str) -> bool:
    path = root / file
    if not path.is_file():
        return False
    data = path.read_bytes()
    if not data.strip():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def _outcome(error: FaboriteError | None) -> str:
    if error is None:
        return "ok"
    words = " ".join(error.message.split()[:4])
    return f"{error.kind}: {words[:60]}"


def _check_located(root: Path, error: FaboriteError, what: str) -> None:
    if isinstance(error, CompileErrors):  # several models failed: each is reported at its place
        for each in error.errors:
            _check_located(root, each, what)
        return
    assert error.file is not None, f"{what}: unlocated error: {error!s:.500}"
    if error.line is None and _has_lines(root, error.file):
        # Errors about a whole file (e.g. 'properties for x, which has no .sql file') may have no line,
        # but an error in a text file with lines should say which.
        raise AssertionError(f"{what}: error in {error.file} without a line: {error!s:.500}")


def run_case(base: Path, broken_by: list[Mutation]) -> None:
    """Break a copy of ``base``, then validate and plan it through the API; check the properties."""
    root = _copy(base)
    try:
        _break(root, broken_by)
        before = _snapshot(root)
        note(f"project: {root}")
        outcome = "ok"
        for what, step in (("validate", lambda ws: ws.compile()), ("plan", lambda ws: ws.plan())):
            try:
                step(Workspace.open(root))
            except FaboriteError as error:
                _check_located(root, error, what)
                outcome = _outcome(error)
                break
            except Exception as exc:  # noqa: BLE001 - the property: nothing else escapes
                raise AssertionError(
                    f"{what} raised {type(exc).__name__} (after {sum(OUTCOMES.values())} cases: {summary(5)})"
                ) from exc
        after = _snapshot(root)
        changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
        assert not changed, f"validate/plan wrote {changed}"
        OUTCOMES[outcome] += 1
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def run_cli_case(base: Path, broken_by: list[Mutation]) -> None:
    """The same through the real command: exit 0 or 1, one message, no traceback, no writes."""
    root = _copy(base)
    try:
        _break(root, broken_by)
        before = _snapshot(root)
        for command in ("validate", "plan"):
            result = subprocess.run([sys.executable, "-m", "faborite", "--no-color", command], cwd=root,
                                    capture_output=True, text=True, timeout=300,
                                    env={**os.environ, "COLUMNS": "200"})
            output = result.stdout + result.stderr
            assert result.returncode in (0, 1), f"{command} exited {result.returncode}: {output[-2000:]}"
            assert "Traceback" not in output, f"{command}: {output[-3000:]}"
            if result.returncode == 1:
                blocks = [line for line in result.stderr.splitlines() if line.startswith("error:")]
                assert len(blocks) == 1, result.stderr[-2000:]  # one message
                OUTCOMES[f"cli {command}: exit 1"] += 1
                break
            OUTCOMES[f"cli {command}: exit 0"] += 1
        after = _snapshot(root)
        changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
        assert not changed, f"the CLI's validate/plan wrote {changed}"
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])

# -- the quick sweep (fast suite) and the large one (slow) ---------------------------------------------


@settings(max_examples=40, derandomize=True, database=None, **_COMMON)
@given(broken_by=broken)
def test_broken_projects_quick(base, broken_by):
    run_case(base, broken_by)


@settings(max_examples=3, derandomize=True, database=None, **_COMMON)
@given(broken_by=broken)
def test_broken_projects_cli_quick(base, broken_by):
    run_cli_case(base, broken_by)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, **_COMMON)
@given(broken_by=broken)
def test_broken_projects_large(base, broken_by):
    run_case(base, broken_by)


@pytest.mark.slow
@settings(max_examples=max(EXAMPLES // 10, 5), **_COMMON)
@given(broken_by=broken)
def test_broken_projects_cli_large(base, broken_by):
    run_cli_case(base, broken_by)


def test_the_unbroken_template_validates_and_plans_no_changes(base):
    """The baseline the mutations start from: valid, applied, nothing to do."""
    root = _copy(base)
    try:
        assert not Workspace.open(root).plan().has_changes
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


# -- what the fuzzer found, as examples (each was a traceback, a crash or an unlocated error) --------

from tests.config.projects import check_error, compile_, edit, error_of, line_with, proj, write  # noqa: E402,F401


@pytest.mark.parametrize("text, line", [
    ("name: proj\nvars:\n  x: " + "[" * 20001 + "]" * 20001 + "\n", 3),  # libyaml recursed in C: a segfault
    ("name: proj\nvars:\n  x: " + "{a: " * 20001 + "}" * 20001 + "\n", 3),
    ("name: proj\nvars:\n  x: " + "[" * 150 + "]" * 150 + "\n", 3),  # Python's parser recursed: RecursionError
    ("name: proj\nvars:\n  x:\n" + "".join(" " * (i + 4) + f"k{i}:\n" for i in range(120)), 102),
], ids=["flow-lists-20001", "flow-maps-20001", "flow-lists-150", "block-maps-120"])
def test_deeply_nested_yaml_is_a_located_error(proj, text, line):
    write(proj, "faborite.yml", text)
    check_error(error_of(proj), ConfigError, file="faborite.yml", line=line,
                message="nested more than 100 levels deep", hint="at most 100 levels")


def test_a_control_character_in_yaml_is_located(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, "  - name: stg_orders", "  - name: stg_orders\x1f")
    check_error(error_of(proj), ConfigError, file=rel, line=line_with(proj, rel, "stg_orders\x1f"),
                message="(character U+001F)")


@pytest.mark.parametrize("sql, line, message", [
    ("select 1 as x,\n  " + "(" * 300 + "1" + ")" * 300 + " as y\n", 2, "(300 levels of brackets)"),
    ("select 1 as x,\n  " + "- " * 5000 + "1 as y\n", 2, "nested too deeply"),
], ids=["parentheses", "unary-minus"])
def test_sql_nested_deeper_than_the_parser_goes_is_located(proj, sql, line, message):
    write(proj, "models/x.sql", sql)
    check_error(error_of(proj), CompileError, file="models/x.sql", line=line, message=message, hint="flatten")


@pytest.mark.parametrize("text, line", [
    ("select 1 as x,\n  {{ " + "(" * 2000 + "1" + ")" * 2000 + " }} as y\n", 2),
    ("select 1 as x\n" + "{% if 1 %}\n" * 300 + "{% endif %}" * 300 + "\n", 301),
    ("select 1 as x,\n\n  {{ 1" + " + 1" * 5000 + " }} as y\n", 3),
], ids=["parentheses", "if-blocks", "long-sum"])
def test_jinja_nested_deeper_than_python_goes_is_located(proj, text, line):
    write(proj, "models/x.sql", text)
    check_error(error_of(proj), CompileError, file="models/x.sql", line=line,
                message="template nested too deeply to compile", hint="flatten")


@pytest.mark.parametrize("path, message", [("''", "names the database file"), ("models", "is a folder")])
def test_a_target_path_that_is_no_file_is_refused_at_validate(proj, path, message):
    edit(proj, "faborite.yml", "path: .faborite/dev.duckdb", f"path: {path}")
    check_error(_validate_error(proj), ConfigError, file="faborite.yml",
                line=line_with(proj, "faborite.yml", f"path: {path}"), message=message)


def _validate_error(root: Path) -> FaboriteError:
    with pytest.raises(FaboriteError) as info:
        Workspace.open(root).compile()
    return info.value


def test_check_options_that_are_not_a_mapping(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, "accepted_values: {values: [placed, shipped, completed, returned]}", "accepted_values: [1, 2]")
    check_error(error_of(proj), ConfigError, file=rel, line=line_with(proj, rel, "- name: status"),
                message="the options of check 'accepted_values' are a mapping")


def test_a_bad_config_set_by_a_macro_is_located_at_the_macro(proj):
    write(proj, "macros/money.sql", "{% macro cents_to_dollars(column) -%}\n  {{ config(materialized='nope') }}\n"
                                    "  round({{ column }} / 100.0, 2)\n{%- endmacro %}\n")
    for _ in range(2):  # the second compile reads the render from the compile cache
        check_error(_validate_error(proj), ConfigError, file="macros/money.sql", line=2,
                    message=("got 'nope'", "(while rendering models/staging/stg_orders.sql)"))


def test_a_bad_config_call_with_a_space_is_located(proj):
    write(proj, "models/x.sql", "select 1 as x\n{{ config (materialized='nope') }}\n")
    check_error(error_of(proj), ConfigError, file="models/x.sql", line=2, message="got 'nope'")


def test_a_billion_laughs_of_yaml_aliases_is_refused(proj):
    """Found while reviewing the fuzzer's YAML: 40 doubling aliases made validate hang."""
    bomb = "\n".join(["  a0: &a0 [x, x]"] + [f"  a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)])
    edit(proj, "faborite.yml", "vars:", "vars:\n  bomb:\n  " + bomb.replace("\n", "\n  "))
    error = error_of(proj)
    assert isinstance(error, ConfigError) and "aliases repeat more than 100,000 values" in error.message
    assert error.file == "faborite.yml" and error.line is not None and "at most 100,000" in error.hint


def test_ordinary_anchors_and_merge_keys_still_work(proj):
    write(proj, "models/x.sql", "select 1 as id\n")
    write(proj, "models/x.yml", "models:\n  - name: x\n    columns:\n      - &id_column\n        name: id\n"
                                "        checks: [not_null, unique]\n    config: &cfg {materialized: table}\n"
                                "  - name: orders\n    config:\n      <<: *cfg\n      tags: [t]\n")
    (proj / "models/marts/schema.yml").write_text("models: []\n", encoding="utf-8")
    manifest = compile_(proj)
    assert [c.name for c in manifest.find("x").checks] == ["not_null(id)", "unique(id)"]
    assert manifest.find("orders").materialized == "table" and "t" in manifest.find("orders").tags
